//! The operator's operations on a Remise card payment. The manual sends the operator to
//! Remise's 加盟店バックヤードシステム for 売上 / 取消 / 返品 / 金額変更; with 拡張セット
//! (spec §7.2) kessai makes 売上処理 (`SALES` of an authorization), 取消 (`VOID`, the same
//! day) and 返品 (`RETURN`) itself. Without it, or for 金額変更 (whose 拡張セット job the
//! spec does not know), the operation is done in the back office and recorded here.

use std::time::Duration;

use super::map::{Service, Status};
use super::wire::{self, ExtsetJob};
use super::{Config, Extset};
use crate::providers::form::{self, Charset};
use crate::providers::http;
use crate::providers::interface::{Done, PaymentRef, ProviderError, Report, Shipment};

/// How long kessai waits for the 拡張セット's answer.
pub const TIMEOUT: Duration = Duration::from_secs(30);

impl Config {
    /// 売上処理: `SALES` of the authorization, or the back office's 売上 recorded.
    pub async fn capture(
        &self,
        p: &PaymentRef,
        _shipment: Option<&Shipment>,
    ) -> Result<Done, ProviderError> {
        self.operate(p, ExtsetJob::Sales, Status::Sales, p.amount)
            .await
    }

    /// 取消: `VOID` (Remise allows it on the day of the payment only).
    pub async fn cancel(&self, p: &PaymentRef) -> Result<Done, ProviderError> {
        self.operate(p, ExtsetJob::Void, Status::Void, p.amount)
            .await
    }

    /// 返品 of the whole sale (`RETURN`; Remise's 返品 takes no amount).
    pub async fn refund(&self, p: &PaymentRef, amount: i64) -> Result<Done, ProviderError> {
        if amount < p.amount {
            return Err(ProviderError::NotConfigured(
                "ルミーズの返品は全額のみです。一部を返金する場合は、加盟店バックヤードシステムで金額変更を行い、その結果を記録してください。"
                    .to_owned(),
            ));
        }
        self.operate(p, ExtsetJob::Return, Status::Returned, p.amount)
            .await
    }

    /// 金額変更, done in Remise's back office and recorded here.
    pub async fn change_amount(&self, p: &PaymentRef, amount: i64) -> Result<Done, ProviderError> {
        let status = Status::parse(p.status_code.as_deref().unwrap_or(""));
        Ok(recorded(p, status, amount))
    }

    /// Where the operator does what kessai does not send to Remise.
    pub fn operations_note(&self, kind: &str) -> Option<&'static str> {
        Some(match (Service::from_kind(kind)?, self.extset.is_some()) {
            (Service::Card, true) => "売上処理・取消(即日のみ)・返品は拡張セットでルミーズへ送信します。金額変更はルミーズの加盟店バックヤードシステムで行ってください。ルミーズには決済状態の照会がないため、状態更新はできません。",
            (Service::Card, false) => "売上・取消・返品・金額変更はルミーズの加盟店バックヤードシステムで行います(受注をキャンセルしても決済は取り消されません)。処理した後、下のボタンでその結果を記録してください。",
            (Service::Multi, _) => "マルチ決済はお客様の入金で「入金済み」になります(収納情報通知)。取消はルミーズの加盟店バックヤードシステムで行ってください。",
        })
    }

    /// Remise has no status inquiry.
    pub async fn refresh(&self, _p: &PaymentRef) -> Result<Report, ProviderError> {
        Err(ProviderError::NotConfigured(
            "ルミーズには決済状態の照会がありません。加盟店バックヤードシステムでご確認ください。"
                .to_owned(),
        ))
    }

    async fn operate(
        &self,
        p: &PaymentRef,
        job: ExtsetJob,
        status: Status,
        amount: i64,
    ) -> Result<Done, ProviderError> {
        if Service::from_kind(&p.kind) != Some(Service::Card) {
            return Err(ProviderError::NotConfigured(
                "マルチ決済の取引はルミーズの加盟店バックヤードシステムで操作してください。"
                    .to_owned(),
            ));
        }
        let Some(extset) = &self.extset else {
            return Ok(recorded(p, status, amount));
        };
        let tranid = p.provider_payment_id.as_deref().unwrap_or("");
        let answer = self
            .call(extset, job, &p.trading_id, tranid, amount)
            .await?;
        let outcome = answer.outcome();
        if !(outcome.r_code == "0:0000" && outcome.err_level.trim() == "0") {
            return Err(ProviderError::Refused {
                code: outcome.code(),
                message: outcome.message(),
                detail: outcome.detail(),
            });
        }
        let id = match answer.get("X-TRANID") {
            "" => tranid,
            id => id,
        };
        Ok(Done {
            label: label(job),
            payment_id: id.to_owned(),
            status: status.report(id, amount),
            replaced: None,
            note: None,
        })
    }

    /// One 拡張セット call: a Shift_JIS form, answered by a page of hidden inputs.
    async fn call(
        &self,
        extset: &Extset,
        job: ExtsetJob,
        trading_id: &str,
        tranid: &str,
        amount: i64,
    ) -> Result<wire::Fields, ProviderError> {
        if extset.url.is_empty() || extset.host_id.is_empty() {
            return Err(ProviderError::NotConfigured(
                "拡張セットのホスト番号と送信先URLを設定してください。".to_owned(),
            ));
        }
        let total = amount.to_string();
        let body = form::encode_form(
            &[
                ("SHOPCO", &self.shop_code),
                ("HOSTID", &extset.host_id),
                ("S_TORIHIKI_NO", trading_id),
                ("JOB", job.code()),
                ("TRANID", tranid),
                ("TOTAL", &total),
                ("TAX", "0"),
                ("RETURL", &extset.url),
            ],
            Charset::Cp932,
        )
        .map_err(|e| ProviderError::NotConfigured(e.to_string()))?;
        let bytes = http::post_form(
            client(),
            &extset.url,
            "application/x-www-form-urlencoded; charset=Shift_JIS",
            body,
            "拡張セット",
        )
        .await?;
        let html = form::decode_text(&bytes, Charset::Cp932)
            .map_err(|_| ProviderError::Unknown("拡張セットの応答が読めません".to_owned()))?;
        let fields = wire::hidden_inputs(&html);
        if !fields.has("X-R_CODE") {
            return Err(ProviderError::Unknown(
                "拡張セットの応答に X-R_CODE がありません".to_owned(),
            ));
        }
        Ok(fields)
    }
}

/// The 処理区分 of a history row.
fn label(job: ExtsetJob) -> &'static str {
    match job {
        ExtsetJob::Sales => "拡張セット 売上処理(SALES)",
        ExtsetJob::Void => "拡張セット 取消(VOID)",
        ExtsetJob::Return => "拡張セット 返品(RETURN)",
    }
}

/// An operation the operator did in Remise's back office, recorded here as it ended there.
fn recorded(p: &PaymentRef, status: Status, amount: i64) -> Done {
    let id = p.provider_payment_id.as_deref().unwrap_or("");
    Done {
        label: "加盟店バックヤードシステムでの処理を記録",
        payment_id: id.to_owned(),
        status: status.report(id, amount),
        replaced: None,
        note: None,
    }
}

/// One client for every 拡張セット call, so connections are reused.
fn client() -> &'static reqwest::Client {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    CLIENT.get_or_init(|| http::client(TIMEOUT))
}
