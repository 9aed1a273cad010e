//! The Web Collect API client (spec §1, §3): UTF-8 form posts to the function's address
//! with `function_div` and `trader_code`, answered by a `<return>` document.

use std::time::Duration;

use super::map::error_message;
use super::wire::{Function, Return};
use crate::providers::form::{self, Charset};
use crate::providers::http;
use crate::providers::interface::ProviderError;

/// How long kessai waits for Web Collect.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// A client for one trader.
#[derive(Clone, Debug)]
pub struct Client {
    base: String,
    test_gateway: bool,
    trader_code: String,
    http: reqwest::Client,
}

/// A token authorization (A08).
#[derive(Clone, Debug)]
pub struct Authorize<'a> {
    pub order_no: &'a str,
    pub amount: i64,
    pub token: &'a str,
    /// 支払回数 (`1` = 一括).
    pub pay_way: &'a str,
    pub buyer_name: &'a str,
    pub buyer_tel: &'a str,
    pub buyer_email: &'a str,
    /// The shop's 3-D Secure return address; its presence asks for 3-D Secure.
    pub three_d_return: Option<&'a str>,
    /// The member whose card is kept or used (`member_id`, `authentication_key`).
    pub member: Option<(&'a str, &'a str)>,
}

/// What A08 answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Authorized {
    /// 与信完了, with the 与信承認番号 (`crdCResCd`).
    Done { approval: String },
    /// 3-D Secure: the page to show the buyer as it is, and the token A09 needs.
    ThreeDSecure { html: String, token: String },
}

impl Client {
    /// A client of `base` (`https://api.kuronekoyamato.co.jp`, or a test gateway whose
    /// functions are `…/test_gateway/<name>.api`).
    pub fn new(base: &str, test_gateway: bool, trader_code: &str) -> Client {
        Client {
            base: base.trim_end_matches('/').to_owned(),
            test_gateway,
            trader_code: trader_code.to_owned(),
            http: http::client(TIMEOUT),
        }
    }

    /// A08 クレジット決済登録 with a token.
    pub async fn authorize(&self, a: &Authorize<'_>) -> Result<Authorized, ProviderError> {
        let amount = a.amount.to_string();
        let mut fields = vec![
            ("device_div", "2"),
            ("order_no", a.order_no),
            ("settle_price", &amount),
            ("buyer_name_kanji", a.buyer_name),
            ("buyer_tel", a.buyer_tel),
            ("buyer_email", a.buyer_email),
            ("pay_way", a.pay_way),
            ("token", a.token),
        ];
        if let Some((member_id, key)) = a.member {
            fields.extend([("member_id", member_id), ("authentication_key", key)]);
        }
        if let Some(url) = a.three_d_return {
            fields.push(("trader_ec_url", url));
        }
        let r = self.call(Function::Authorize, &fields).await?;
        if !r.get("threeDToken").is_empty() {
            return Ok(Authorized::ThreeDSecure {
                html: r.get("threeDAuthHtml").to_owned(),
                token: r.get("threeDToken").to_owned(),
            });
        }
        Ok(Authorized::Done {
            approval: r.get("crdCResCd").to_owned(),
        })
    }

    /// A09: the 3-D Secure result the ACS posted to the shop (its upper-case fields, sent on
    /// lower-cased as the spec maps them), with the token A08 gave.
    pub async fn authorize_3d(
        &self,
        order_no: &str,
        three_d_token: &str,
        acs: &std::collections::BTreeMap<String, String>,
    ) -> Result<String, ProviderError> {
        const FORWARDED: &[(&str, &str)] = &[
            ("comp_cd", "COMP_CD"),
            ("token", "TOKEN"),
            ("card_exp", "CARD_EXP"),
            ("item_price", "ITEM_PRICE"),
            ("item_tax", "ITEM_TAX"),
            ("cust_cd", "CUST_CD"),
            ("shop_id", "SHOP_ID"),
            ("term_cd", "TERM_CD"),
            ("crd_res_cd", "CRD_RES_CD"),
            ("res_ve", "RES_VE"),
            ("res_pa", "RES_PA"),
            ("res_code", "RES_CODE"),
            ("three_d_inf", "3D_INF"),
            ("three_d_tran_id", "3D_TRAN_ID"),
            ("send_dt", "SEND_DT"),
            ("hash_value", "HASH_VALUE"),
        ];
        let mut fields = vec![("order_no", order_no), ("three_d_token", three_d_token)];
        for (ours, theirs) in FORWARDED {
            fields.push((ours, acs.get(*theirs).map(String::as_str).unwrap_or("")));
        }
        let r = self.call(Function::Authorize3d, &fields).await?;
        Ok(r.get("crdCResCd").to_owned())
    }

    /// A06 クレジット決済取消.
    pub async fn cancel(&self, order_no: &str) -> Result<(), ProviderError> {
        self.call(Function::Cancel, &[("order_no", order_no)])
            .await
            .map(drop)
    }

    /// A07 クレジット金額変更 to the new total.
    pub async fn change_price(&self, order_no: &str, new_price: i64) -> Result<(), ProviderError> {
        let price = new_price.to_string();
        self.call(
            Function::ChangePrice,
            &[("order_no", order_no), ("new_price", &price)],
        )
        .await
        .map(drop)
    }

    /// E01 出荷情報登録: `00` with a Yamato 送り状番号, `99` for another carrier or none.
    pub async fn ship(
        &self,
        order_no: &str,
        slip_no: &str,
        yamato: bool,
    ) -> Result<(), ProviderError> {
        let service = if yamato { "00" } else { "99" };
        self.call(
            Function::ShipmentEntry,
            &[
                ("order_no", order_no),
                ("slip_no", slip_no),
                ("delivery_service_code", service),
            ],
        )
        .await
        .map(drop)
    }

    /// E02 出荷情報取消.
    pub async fn cancel_shipment(
        &self,
        order_no: &str,
        slip_no: &str,
    ) -> Result<(), ProviderError> {
        self.call(
            Function::ShipmentCancel,
            &[("order_no", order_no), ("slip_no", slip_no)],
        )
        .await
        .map(drop)
    }

    /// E04 取引情報照会: the transaction's `resultData`.
    pub async fn trade_info(
        &self,
        order_no: &str,
    ) -> Result<std::collections::BTreeMap<String, String>, ProviderError> {
        let r = self
            .call(Function::TradeInfo, &[("order_no", order_no)])
            .await?;
        let record = r.records("resultData").next().cloned();
        record.ok_or(ProviderError::NoSuchPayment)
    }

    /// One function call: refusals become [`ProviderError::Refused`] with the code's
    /// message; no answer or an unreadable one is [`ProviderError::Unknown`].
    pub async fn call(
        &self,
        function: Function,
        fields: &[(&str, &str)],
    ) -> Result<Return, ProviderError> {
        let mut all = vec![
            ("function_div", function.code()),
            ("trader_code", self.trader_code.as_str()),
        ];
        all.extend_from_slice(fields);
        let body = form::encode_form(&all, Charset::Utf8)
            .map_err(|e| ProviderError::NotConfigured(e.to_string()))?;
        let bytes = http::post_form(
            &self.http,
            &function.url(&self.base, self.test_gateway),
            "application/x-www-form-urlencoded",
            body,
            "クロネコwebコレクト",
        )
        .await?;
        let text = String::from_utf8_lossy(&bytes);
        let r = Return::parse(&text).ok_or_else(|| {
            ProviderError::Unknown("クロネコwebコレクトの応答が読めません".to_owned())
        })?;
        if r.succeeded() {
            return Ok(r);
        }
        let code = r.get("errorCode").to_owned();
        let card = r.get("creditErrorCode");
        Err(ProviderError::Refused {
            message: error_message(&code),
            detail: if card.is_empty() {
                code.clone()
            } else {
                format!("{code} creditErrorCode={card}")
            },
            code,
        })
    }
}
