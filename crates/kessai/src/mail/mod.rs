//! Mails to the buyer and the shop: the サンキューメール (thank-you mail to the buyer) and the
//! 受注メール (order mail to the shop), composed from plain-text templates under
//! `templates/mail/`, kept in the outbox (メール送信履歴) and delivered by a durable
//! [`SendMail`] job each, over SMTP or as `.eml` files ([`transport`]).
//!
//! An order's two mails are caused by its creation: the transaction that creates the order
//! enqueues [`OrderMails`] (see [`crate::payments::orders::confirm`]), whose handler composes both
//! mails and queues them with their delivery jobs in one transaction. Composing needs the
//! stored order and the shop's settings, which the store's order transaction does not read;
//! the job makes the mails as durable as the order all the same. Each mail has a dedup key
//! (`order:<id>:thank_you`), so the handler run twice queues nothing more. Orders the
//! operator rebuilds from the pre-payment log send nothing until the operator presses
//! 「サンキューメール送信」 ([`Mailer::queue_thank_you`]).

pub mod transport;

use chrono::{DateTime, Utc};
use minijinja::context;
use serde::{Deserialize, Serialize};

use crate::clock::Clock;
use crate::jobs::{self, Job, JobError, Registry};
use crate::settings::{Settings, ShopInfo};
use crate::store::{NewJob, NewMail, Order, OrderItem, Payment, Store, StoreError};
use transport::{Delivered, Transport};

/// What a mail is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MailKind {
    /// サンキューメール: to the buyer, thanking for the order and repeating it.
    ThankYou,
    /// 受注メール: to the shop's 受注メールアドレス, reporting the new order.
    OrderNotice,
}

impl MailKind {
    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ThankYou => "thank_you",
            Self::OrderNotice => "order_notice",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "thank_you" => Some(Self::ThankYou),
            "order_notice" => Some(Self::OrderNotice),
            _ => None,
        }
    }

    /// 種別 as メール送信履歴 shows it.
    pub fn label(self) -> &'static str {
        match self {
            Self::ThankYou => "サンキューメール",
            Self::OrderNotice => "受注メール",
        }
    }

    /// The template: its first line is the subject, the body follows a blank line.
    fn template(self) -> &'static str {
        match self {
            Self::ThankYou => "mail/thank_you.txt",
            Self::OrderNotice => "mail/order_notice.txt",
        }
    }
}

/// Where a mail is in its delivery.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MailStatus {
    /// Waiting for its job (also between retries).
    Queued,
    /// Accepted by the SMTP server.
    Sent,
    /// Written to the data dir as a `.eml` file.
    Written,
    /// Its job used up every attempt (dead).
    Failed,
}

impl MailStatus {
    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Sent => "sent",
            Self::Written => "written",
            Self::Failed => "failed",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "queued" => Some(Self::Queued),
            "sent" => Some(Self::Sent),
            "written" => Some(Self::Written),
            "failed" => Some(Self::Failed),
            _ => None,
        }
    }

    /// 状態 as メール送信履歴 shows it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Queued => "送信待ち",
            Self::Sent => "送信済み",
            Self::Written => "書き出し済み",
            Self::Failed => "送信失敗",
        }
    }

    /// Whether the mail has left kessai (it is never delivered again).
    pub fn is_delivered(self) -> bool {
        match self {
            Self::Sent | Self::Written => true,
            Self::Queued | Self::Failed => false,
        }
    }
}

/// Composes and queues the two mails of a new order.
#[derive(Debug, Serialize, Deserialize)]
pub struct OrderMails {
    pub order_id: i64,
}

impl Job for OrderMails {
    const KIND: &'static str = "order_mails";
}

/// Delivers one mail of the outbox.
#[derive(Debug, Serialize, Deserialize)]
pub struct SendMail {
    pub mail_id: i64,
}

impl Job for SendMail {
    const KIND: &'static str = "send_mail";
    /// With the job back-off (2, 4, 8 … seconds) the last attempt comes about 70 minutes
    /// after the first: a mail server that is down for an hour loses no mail.
    const MAX_ATTEMPTS: i32 = 12;
}

/// The [`OrderMails`] job of a new order, for the order's own transaction.
pub fn order_mails_job(order_id: i64, now: DateTime<Utc>) -> NewJob {
    jobs::new_job(
        &OrderMails { order_id },
        Some(format!("order_mails:{order_id}")),
        now,
    )
}

fn delivery_key(mail_id: i64) -> String {
    format!("send_mail:{mail_id}")
}

fn delivery_job(mail_id: i64, now: DateTime<Utc>) -> NewJob {
    jobs::new_job(&SendMail { mail_id }, Some(delivery_key(mail_id)), now)
}

/// Why a mail cannot be composed.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// A shop address 基本設定 must provide (names the field).
    #[error("基本設定の{0}が未設定か正しくありません。基本設定で入力してください。")]
    ShopAddress(&'static str),
    #[error("受注が見つかりません。")]
    NoOrder,
    #[error("メールの本文を作成できません: {0}")]
    Template(#[from] minijinja::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<MailError> for JobError {
    fn from(e: MailError) -> Self {
        JobError(e.to_string())
    }
}

/// Composes, queues and delivers mails.
#[derive(Clone, Debug)]
pub struct Mailer {
    store: Store,
    settings: Settings,
    clock: Clock,
    transport: Transport,
}

impl Mailer {
    /// A mailer delivering through `transport`.
    pub fn new(store: Store, settings: Settings, clock: Clock, transport: Transport) -> Self {
        Self {
            store,
            settings,
            clock,
            transport,
        }
    }

    /// Queues the サンキューメール and the 受注メール of a new order, at most once each
    /// however often it is called. Returns the ids of the mails queued by this call.
    pub async fn queue_order_mails(&self, order_id: i64) -> Result<Vec<i64>, MailError> {
        let order = self.order(order_id).await?;
        let mails = [MailKind::ThankYou, MailKind::OrderNotice]
            .into_iter()
            .map(|kind| {
                let mut mail = compose(kind, &order)?;
                mail.dedup_key = Some(format!("order:{order_id}:{}", kind.as_str()));
                Ok(mail)
            })
            .collect::<Result<Vec<_>, MailError>>()?;
        let now = self.clock.now();
        Ok(self
            .store
            .queue_mails(&mails, now, |id| delivery_job(id, now))
            .await?)
    }

    /// Queues a サンキューメール for an order at the operator's request (every press sends
    /// one). Returns the mail's id.
    pub async fn queue_thank_you(&self, order_id: i64) -> Result<i64, MailError> {
        let order = self.order(order_id).await?;
        let mail = compose(MailKind::ThankYou, &order)?;
        let now = self.clock.now();
        let ids = self
            .store
            .queue_mails(&[mail], now, |id| delivery_job(id, now))
            .await?;
        Ok(ids
            .into_iter()
            .next()
            .expect("a mail without a dedup key is always queued"))
    }

    async fn order(&self, order_id: i64) -> Result<OrderForMail, MailError> {
        let order = self
            .store
            .order(order_id)
            .await?
            .ok_or(MailError::NoOrder)?;
        let payment = self.store.checkout_payment(order_id).await?;
        Ok(OrderForMail {
            shop: self.settings.shop().await?,
            items: self.store.order_items(order_id).await?,
            payment_details: payment.as_ref().map(Payment::details).unwrap_or_default(),
            payment_method: self
                .settings
                .payment_method_label(&order, payment.as_ref())
                .await?,
            order,
        })
    }

    /// Delivers a queued mail once: a mail already sent or written is left alone. A failure
    /// is recorded on the mail, which turns 送信失敗 when its job has no attempt left.
    pub async fn send(&self, mail_id: i64) -> Result<(), JobError> {
        let mail = self
            .store
            .mail(mail_id)
            .await?
            .ok_or_else(|| JobError(format!("mail {mail_id} is gone")))?;
        if MailStatus::parse(&mail.status).is_some_and(MailStatus::is_delivered) {
            return Ok(());
        }
        let now = self.clock.now();
        match self.transport.deliver(&mail, now).await {
            Ok(delivered) => {
                let status = match delivered {
                    Delivered::Sent => MailStatus::Sent,
                    Delivered::Written => MailStatus::Written,
                };
                self.store
                    .record_mail_delivered(mail_id, status.as_str(), now)
                    .await?;
                tracing::info!(
                    mail.id = mail_id,
                    status = status.as_str(),
                    "mail delivered"
                );
                Ok(())
            }
            Err(e) => {
                let last_attempt = self
                    .store
                    .job_attempts(&delivery_key(mail_id))
                    .await?
                    .is_some_and(|(attempts, max)| attempts >= max);
                let status = if last_attempt {
                    MailStatus::Failed
                } else {
                    MailStatus::Queued
                };
                self.store
                    .record_mail_failure(mail_id, status.as_str(), &e.to_string())
                    .await?;
                Err(JobError(e.to_string()))
            }
        }
    }
}

/// Everything an order's mails show.
struct OrderForMail {
    shop: ShopInfo,
    order: Order,
    items: Vec<OrderItem>,
    /// お支払い情報 ([`Payment::details`]): a convenience store payment number and
    /// deadline, …; none for a card.
    payment_details: Vec<(String, String)>,
    /// The payment method's name as the mails show it (a provider may add the destination).
    payment_method: String,
}

/// Renders one mail of an order (without a dedup key).
fn compose(kind: MailKind, o: &OrderForMail) -> Result<NewMail, MailError> {
    let address = |value: &str, field: &'static str| {
        transport::mailbox(value)
            .map(|m| m.email)
            .map_err(|_| MailError::ShopAddress(field))
    };
    let sender_address = address(&o.shop.sender_email, "送信元メールアドレス")?;
    let sender = lettre::message::Mailbox::new(
        Some(o.shop.shop_name.clone()).filter(|n| !n.is_empty()),
        sender_address,
    );
    let recipient = match kind {
        MailKind::ThankYou => o.order.buyer.email.clone(),
        MailKind::OrderNotice => address(&o.shop.order_email, "受注メールアドレス")?.to_string(),
    };
    let text = crate::templates::render(
        kind.template(),
        context! {
            shop => &o.shop,
            order => &o.order,
            lines => &o.items,
            payment_details => &o.payment_details,
            payment_method => &o.payment_method,
        },
    )?;
    let (subject, body) = text.split_once('\n').unwrap_or((&text, ""));
    Ok(NewMail {
        order_id: Some(o.order.id),
        kind: kind.as_str(),
        dedup_key: None,
        sender: sender.to_string(),
        recipient,
        subject: subject.trim().to_owned(),
        body: body.trim_start_matches('\n').to_owned(),
    })
}

/// Registers the mail jobs.
pub fn register(registry: &mut Registry, mailer: Mailer) {
    let m = mailer.clone();
    registry.register(move |job: OrderMails| {
        let m = m.clone();
        async move {
            match m.queue_order_mails(job.order_id).await {
                Ok(_) => Ok(()),
                Err(MailError::NoOrder) => {
                    tracing::warn!(
                        order.id = job.order_id,
                        "the order was deleted before its mails were composed"
                    );
                    Ok(())
                }
                Err(e) => Err(e.into()),
            }
        }
    });
    registry.register(move |job: SendMail| {
        let m = mailer.clone();
        async move { m.send(job.mail_id).await }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order_for_mail() -> OrderForMail {
        let at = chrono::DateTime::parse_from_rfc3339("2026-11-23T15:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        OrderForMail {
            shop: ShopInfo {
                shop_name: "茶葉&器 <本店>".into(),
                company_name: "株式会社ケッサイ".into(),
                postal_code: "100-0001".into(),
                address1: "東京都千代田区千代田1-1".into(),
                address2: String::new(),
                phone: "03-1234-5678".into(),
                order_email: "shop@example.jp".into(),
                sender_email: "noreply@example.jp".into(),
                conversion_tag: String::new(),
            },
            order: Order {
                id: 7,
                order_number: "00000007".into(),
                member_id: None,
                buyer: crate::domain::buyer::Buyer {
                    email: "buyer@example.jp".into(),
                    family_name: "山田".into(),
                    given_name: "太郎".into(),
                    family_kana: "ヤマダ".into(),
                    given_kana: "タロウ".into(),
                    postal_code: "100-0001".into(),
                    prefecture: "東京都".into(),
                    address1: "千代田区千代田1-1".into(),
                    address2: String::new(),
                    phone: "03-1234-5678".into(),
                },
                delivery_method_id: None,
                delivery_name: "宅急便".into(),
                carrier: "japanpost".into(),
                delivery_date: chrono::NaiveDate::from_ymd_opt(2026, 11, 26),
                delivery_time: "14時～16時".into(),
                tracking_number: None,
                subtotal: 5460,
                shipping_fee: 800,
                fee: 0,
                discount: 100,
                total: 6160,
                order_status: "new".into(),
                receipt_status: "none".into(),
                payment_method_id: None,
                payment_method_name: "クレジットカード".into(),
                settlement_kind: "card".into(),
                note: String::new(),
                created_at: at,
                updated_at: at,
            },
            items: vec![
                OrderItem {
                    id: 1,
                    order_id: 7,
                    product_code: "A".into(),
                    product_name: "煎茶 \"特上\" <100g>".into(),
                    unit_price: 1080,
                    quantity: 2,
                },
                OrderItem {
                    id: 2,
                    order_id: 7,
                    product_code: "B".into(),
                    product_name: "湯呑み".into(),
                    unit_price: 3300,
                    quantity: 1,
                },
            ],
            payment_details: Vec::new(),
            payment_method: "クレジットカード".into(),
        }
    }

    #[test]
    fn the_thank_you_mail_is_plain_text_without_html_escaping() {
        let mail = compose(MailKind::ThankYou, &order_for_mail()).unwrap();

        assert_eq!(
            mail.subject,
            "【茶葉&器 <本店>】ご注文ありがとうございます（注文番号 00000007）"
        );
        assert_eq!(mail.recipient, "buyer@example.jp");
        assert_eq!(
            transport::mailbox(&mail.sender).unwrap().name.as_deref(),
            Some("茶葉&器 <本店>")
        );
        let body = &mail.body;
        assert!(body.starts_with("山田 太郎 様\n"), "{body}");
        assert!(body.contains("注文日時：2026/11/24 00:30"), "{body}");
        assert!(
            body.contains("煎茶 \"特上\" <100g>（A）\n  1,080円 × 2 ＝ 2,160円\n湯呑み（B）\n"),
            "{body}"
        );
        assert!(body.contains("送料：800円\n値引き：-100円\n"), "{body}");
        assert!(!body.contains("手数料"), "{body}");
        assert!(body.contains("総合計金額：6,160円"), "{body}");
        assert!(
            body.contains("【お支払方法】\nクレジットカード\n\nご不明な点"),
            "{body}"
        );
        assert!(!body.contains("お支払い情報"), "{body}");
        assert!(!body.contains("&amp;") && !body.contains("&lt;"), "{body}");
    }

    #[test]
    fn payment_details_and_the_buyer_s_note_get_blocks_of_their_own() {
        let mut o = order_for_mail();
        o.payment_details = vec![
            ("受付番号".into(), "1234567890".into()),
            ("支払期限".into(), "2026年11月30日".into()),
        ];
        o.order.note = "午前中に届けてください".into();

        let mail = compose(MailKind::ThankYou, &o).unwrap();

        assert!(
            mail.body.contains(
                "【お支払方法】\nクレジットカード\n\n【お支払い情報】\n受付番号：1234567890\n支払期限：2026年11月30日\n\n【備考】\n午前中に届けてください\n\nご不明な点"
            ),
            "{}",
            mail.body
        );
    }

    #[test]
    fn the_order_mail_goes_to_the_shop_with_the_buyer_s_contact() {
        let mail = compose(MailKind::OrderNotice, &order_for_mail()).unwrap();

        assert_eq!(mail.recipient, "shop@example.jp");
        assert!(mail
            .subject
            .contains("ご注文を受け付けました（注文番号 00000007）"));
        assert!(mail.body.contains("メールアドレス：buyer@example.jp"));
        assert!(mail.body.contains("山田 太郎（ヤマダ タロウ）様"));
    }

    #[test]
    fn a_shop_without_a_sender_address_cannot_compose_and_is_told_which_field() {
        let mut o = order_for_mail();
        o.shop.sender_email.clear();

        let e = compose(MailKind::ThankYou, &o).unwrap_err();

        assert!(e.to_string().contains("送信元メールアドレス"), "{e}");
    }
}
