//! The operator's operations on an atone payment (the manual's 決済情報 dialog): 売上計上
//! (settle), 取消 (the whole amount refunded; it cannot be undone), 取引修正 (a new
//! transaction for the order's new total that replaces the old one, with the buyer's
//! 決済認証トークン) and 取引参照.

use super::handoff::Kept;
use super::map::{self, status_of, Status};
use super::wire::{Item, Payment};
use super::Config;
use crate::providers::interface::{
    Capabilities, Done, PaymentRef, ProviderError, Report, Shipment,
};

impl Config {
    /// The operations a payment in status `code` offers.
    pub fn capabilities(&self, _kind: &str, code: Option<&str>) -> Capabilities {
        Status::parse(code.unwrap_or("")).capabilities()
    }

    /// 売上計上.
    pub async fn capture(
        &self,
        p: &PaymentRef,
        _shipment: Option<&Shipment>,
    ) -> Result<Done, ProviderError> {
        let t = self.client().settle(id_of(p)?).await?;
        Ok(done(
            "売上確定(settle)",
            status_of(&t).report(&t.id, p.amount),
        ))
    }

    /// 取消: atone refunds the whole amount (before or after 売上計上).
    pub async fn cancel(&self, p: &PaymentRef) -> Result<Done, ProviderError> {
        let id = id_of(p)?;
        self.client().cancel(id).await?;
        Ok(done("取消(refund)", Status::Cancelled.report(id, p.amount)))
    }

    /// atone has no partial refund in the manual: 取消 refunds the whole amount.
    pub async fn refund(&self, p: &PaymentRef, _amount: i64) -> Result<Done, ProviderError> {
        self.cancel(p).await
    }

    /// 取引修正: a new transaction for `amount` replaces the old one (which ends), with the
    /// buyer's token and the customer kept at checkout. The order's lines are not known
    /// here, so the new transaction carries one line for the whole amount.
    pub async fn change_amount(&self, p: &PaymentRef, amount: i64) -> Result<Done, ProviderError> {
        let old = id_of(p)?;
        let kept: Kept = serde_json::from_str(&p.scratch).map_err(|_| {
            ProviderError::NotConfigured(
                "お客様のatone認証情報が残っていないため、取引修正はatoneの加盟店管理システムで行ってください。"
                    .to_owned(),
            )
        })?;
        let suffix: String = old
            .chars()
            .rev()
            .take(6)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        let payment = Payment {
            amount,
            shop_transaction_no: format!("{}-{suffix}", p.trading_id),
            sales_settled: Status::parse(p.status_code.as_deref().unwrap_or("")) == Status::Settled,
            description_trans: String::new(),
            customer: kept.customer,
            dest_customers: kept.dest_customers,
            items: vec![Item {
                shop_item_id: "order-total".to_owned(),
                item_name: "ご注文金額(取引修正後)".to_owned(),
                item_price: amount,
                item_count: 1,
            }],
            checksum: None,
            authentication_token: Some(kept.authentication_token),
            updated_transactions: vec![old.to_owned()],
        };
        let t = self.client().register(&payment).await?;
        let status = status_of(&t);
        if status != Status::Auth && status != Status::Settled {
            let (word, message) = map::ng_reason(t.authorization_result_ng_reason);
            return Err(ProviderError::Refused {
                code: word.to_owned(),
                message: format!("取引修正が承認されませんでした。{message}"),
                detail: format!("{} authorization_result={}", t.id, t.authorization_result),
            });
        }
        Ok(Done {
            replaced: Some(Status::Replaced.report(old, p.amount)),
            note: None,
            ..done("取引修正", status.report(&t.id, t.amount))
        })
    }

    /// 取引参照: the transaction as atone has it, which must be this payment's.
    pub async fn refresh(&self, p: &PaymentRef) -> Result<Report, ProviderError> {
        let t = self.client().transaction(id_of(p)?).await?;
        if !t.shop_transaction_no.starts_with(&p.trading_id) {
            return Err(ProviderError::Refused {
                code: "取引参照".to_owned(),
                message: "atoneの取引がこの決済のものではありません。".to_owned(),
                detail: format!("{} shop_transaction_no={}", t.id, t.shop_transaction_no),
            });
        }
        Ok(status_of(&t).report(&t.id, t.amount))
    }
}

fn id_of(p: &PaymentRef) -> Result<&str, ProviderError> {
    p.provider_payment_id
        .as_deref()
        .filter(|id| !id.is_empty())
        .ok_or(ProviderError::NoSuchPayment)
}

fn done(label: &'static str, status: Report) -> Done {
    Done {
        label,
        payment_id: status.payment_id.clone(),
        status,
        replaced: None,
        note: None,
    }
}
