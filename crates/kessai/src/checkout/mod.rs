//! Checkout: a buyer's cart, customer, delivery and payment method are validated, written
//! to the pre-payment log (決済直前ログ) under a fresh link key together with a pending
//! payment, and only then handed to the provider: a redirect form (link type), an in-site
//! token form (module type), or a widget.
//!
//! The order is created from the log when the provider confirms the payment, by whichever
//! comes first of the browser's return and the provider's notification; [`confirm`] does it
//! exactly once.

pub mod paygent;

use serde::{Deserialize, Serialize};

use crate::domain::input::{self, Email, Invalid, Kana, Phone, PostalCode};
use crate::domain::order::OrderStatus;
use crate::domain::payment::PaymentState;
use crate::payments::Payments;
use crate::providers;
use crate::store::{
    NewOrder, NewOrderItem, NewPayment, NewPrepaymentLog, OrderFromLog, Payment, PrepaymentLog,
    StoreError,
};

/// A checkout as the storefront or a headless shop submits it.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckoutRequest {
    pub items: Vec<CartLine>,
    pub customer: Customer,
    /// The logged-in member buying, if any.
    #[serde(default)]
    pub member_id: Option<i64>,
    pub delivery_method_id: i64,
    pub payment_method_id: i64,
    #[serde(default)]
    pub note: String,
    /// Where the buyer's browser goes after paying (a headless shop's page); kessai's own
    /// completion page when absent.
    #[serde(default)]
    pub return_url: Option<String>,
}

/// One cart line.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CartLine {
    pub product_code: String,
    pub quantity: i64,
}

/// The buyer (お客様情報).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Customer {
    pub email: String,
    pub family_name: String,
    pub given_name: String,
    pub family_kana: String,
    pub given_kana: String,
    pub postal_code: String,
    pub prefecture: String,
    pub address1: String,
    #[serde(default)]
    pub address2: String,
    pub phone: String,
}

/// What the log keeps besides the order: enough to finish the hand-off and create the
/// order later, never card data.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LoggedCheckout {
    pub order: NewOrder,
    pub return_url: Option<String>,
}

/// Why a checkout cannot start.
#[derive(Debug, thiserror::Error)]
pub enum CheckoutError {
    /// Input errors, each naming its field.
    #[error("入力内容に誤りがあります")]
    Invalid(Vec<Invalid>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A started checkout.
#[derive(Clone, Debug, Serialize)]
pub struct Started {
    pub link_key: String,
    pub payment_id: i64,
    pub amount: i64,
    pub settlement_kind: String,
}

/// Validates a checkout and logs it with its pending payment; nothing is written when any
/// field is wrong.
pub async fn start(payments: &Payments, req: &CheckoutRequest) -> Result<Started, CheckoutError> {
    let store = payments.store();
    let mut errors = Vec::new();
    let mut keep = |r: Result<String, Invalid>| match r {
        Ok(v) => v,
        Err(e) => {
            errors.push(e);
            String::new()
        }
    };
    let c = &req.customer;
    let email = keep(Email::parse("customer.email", &c.email).map(|e| e.as_str().to_owned()));
    let family_name = keep(input::text(
        "customer.family_name",
        "姓",
        &c.family_name,
        30,
    ));
    let given_name = keep(input::text("customer.given_name", "名", &c.given_name, 30));
    let family_kana = keep(
        Kana::parse("customer.family_kana", "セイ", &c.family_kana).map(|k| k.as_str().to_owned()),
    );
    let given_kana = keep(
        Kana::parse("customer.given_kana", "メイ", &c.given_kana).map(|k| k.as_str().to_owned()),
    );
    let postal_code = keep(
        PostalCode::parse("customer.postal_code", &c.postal_code).map(|p| p.as_str().to_owned()),
    );
    let prefecture = keep(input::prefecture("customer.prefecture", &c.prefecture));
    let address1 = keep(input::text("customer.address1", "住所", &c.address1, 100));
    let address2 = if c.address2.trim().is_empty() {
        String::new()
    } else {
        keep(input::text("customer.address2", "建物名", &c.address2, 100))
    };
    let phone = keep(Phone::parse("customer.phone", &c.phone).map(|p| p.as_str().to_owned()));
    let note = if req.note.trim().is_empty() {
        String::new()
    } else {
        keep(input::text("note", "備考", &req.note, 1000))
    };

    let products = store.products().await?;
    let mut items = Vec::new();
    if req.items.is_empty() {
        errors.push(Invalid::new("items", "カートに商品がありません"));
    }
    for (i, line) in req.items.iter().enumerate() {
        let field = format!("items[{i}]");
        match products
            .iter()
            .find(|p| p.code == line.product_code && p.active)
        {
            None => errors.push(Invalid::new(
                &format!("{field}.product_code"),
                "この商品は購入できません",
            )),
            Some(_) if !(1..=999).contains(&line.quantity) => errors.push(Invalid::new(
                &format!("{field}.quantity"),
                "数量は1から999までで入力してください",
            )),
            Some(p) => items.push(NewOrderItem {
                product_code: p.code.clone(),
                product_name: p.name.clone(),
                unit_price: p.price,
                quantity: line.quantity,
            }),
        }
    }
    let delivery = store.delivery_method(req.delivery_method_id).await?;
    if delivery.is_none() {
        errors.push(Invalid::new(
            "delivery_method_id",
            "配送方法を選択してください",
        ));
    }
    let method = store
        .payment_method(req.payment_method_id)
        .await?
        .filter(|m| m.active);
    let service = method
        .as_ref()
        .and_then(|m| providers::service(&m.settlement_kind));
    if service.is_none() {
        errors.push(Invalid::new(
            "payment_method_id",
            "支払方法を選択してください",
        ));
    }
    let member_id = match req.member_id {
        Some(id) => match store.member(id).await? {
            Some(m) if m.withdrawn_at.is_none() => Some(id),
            _ => {
                errors.push(Invalid::new("member_id", "会員が見つかりません"));
                None
            }
        },
        None => None,
    };
    if let Some(url) = &req.return_url {
        if !(url.starts_with("https://") || url.starts_with("http://")) || url.len() > 500 {
            errors.push(Invalid::new(
                "return_url",
                "戻り先URLは http:// または https:// で始まるURLにしてください",
            ));
        }
    }
    let (Some(delivery), Some(method), Some((spec, _))) = (delivery, method, service) else {
        return Err(CheckoutError::Invalid(errors));
    };
    if !errors.is_empty() {
        return Err(CheckoutError::Invalid(errors));
    }

    let order = NewOrder {
        order_number: String::new(),
        member_id,
        email,
        family_name,
        given_name,
        family_kana,
        given_kana,
        postal_code,
        prefecture,
        address1,
        address2,
        phone,
        delivery_method_id: Some(delivery.id),
        delivery_name: delivery.name.clone(),
        carrier: delivery.carrier.clone(),
        shipping_fee: 0,
        fee: 0,
        discount: 0,
        order_status: OrderStatus::New.as_str().to_owned(),
        receipt_status: providers::initial_receipt_status(&method.settlement_kind)
            .as_str()
            .to_owned(),
        payment_method_id: Some(method.id),
        payment_method_name: method.name.clone(),
        settlement_kind: method.settlement_kind.clone(),
        note,
        items,
    };
    let amount = order.total();
    if amount < 1 {
        return Err(CheckoutError::Invalid(vec![Invalid::new(
            "items",
            "合計金額が1円未満です",
        )]));
    }
    let customer_name = format!("{} {}", order.family_name, order.given_name);
    let logged = LoggedCheckout {
        order,
        return_url: req.return_url.clone(),
    };
    let link_key = new_link_key();
    let json = serde_json::to_string(&logged).expect("a checkout serializes");
    let (_, payment_id) = store
        .start_checkout(
            &NewPrepaymentLog {
                link_key: &link_key,
                provider: spec.key,
                settlement_kind: &method.settlement_kind,
                amount,
                customer_name: &customer_name,
                checkout_json: &json,
            },
            &NewPayment {
                order_id: None,
                provider: spec.key,
                settlement_kind: &method.settlement_kind,
                link_key: &link_key,
                state: PaymentState::Pending.as_str(),
                amount,
            },
            payments.clock().now(),
        )
        .await?;
    Ok(Started {
        link_key,
        payment_id,
        amount,
        settlement_kind: method.settlement_kind,
    })
}

/// A fresh link key: 20 characters Paygent accepts as a trading id (at most 25, alphanumeric).
pub fn new_link_key() -> String {
    use rand::Rng;
    rand::thread_rng()
        .sample_iter(rand::distributions::Alphanumeric)
        .take(20)
        .map(char::from)
        .collect()
}

/// A logged checkout and its payment.
pub struct Pending {
    pub log: PrepaymentLog,
    pub checkout: LoggedCheckout,
    pub payment: Payment,
}

/// Loads a checkout by link key (`None` when unknown).
pub async fn load(payments: &Payments, link_key: &str) -> Result<Option<Pending>, StoreError> {
    let store = payments.store();
    let (Some(log), Some(payment)) = (
        store.prepayment_log(link_key).await?,
        store.payment_by_link_key(link_key).await?,
    ) else {
        return Ok(None);
    };
    let checkout: LoggedCheckout = serde_json::from_str(&log.checkout_json)
        .map_err(|e| StoreError::Corrupt(format!("pre-payment log {link_key}: {e}")))?;
    Ok(Some(Pending {
        log,
        checkout,
        payment,
    }))
}

/// Creates the order of a confirmed checkout, exactly once however many confirmations
/// (browser return, notification, inquiry) arrive and in whichever order.
pub async fn confirm(payments: &Payments, link_key: &str) -> Result<OrderFromLog, StoreError> {
    create_from_log(payments, link_key, OrderTime::Now).await
}

/// The 受注日時 of an order the operator registers from the pre-payment log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderTime {
    /// 受注日時に登録日を設定: when the checkout was logged.
    Logged,
    /// 受注日時に現在の時刻を設定: now.
    Now,
}

/// 受注データ登録: the operator creates the order of a logged checkout (a lost order), with
/// the same exactly-once guarantee as [`confirm`]; a second call gets the existing order.
/// Unlike a buyer's confirmation it is audited, and nothing is sent to the buyer.
pub async fn register_from_log(
    payments: &Payments,
    link_key: &str,
    time: OrderTime,
    actor: &str,
) -> Result<OrderFromLog, StoreError> {
    let result = create_from_log(payments, link_key, time).await?;
    if let OrderFromLog::Created(order_id) = result {
        let when = match time {
            OrderTime::Logged => "受注日時に登録日を設定",
            OrderTime::Now => "受注日時に現在の時刻を設定",
        };
        payments
            .store()
            .audit(
                actor,
                "決済直前ログから受注データ登録",
                &format!("order:{order_id}"),
                &format!("リンクキー {link_key} / {when}"),
                payments.clock().now(),
            )
            .await?;
    }
    Ok(result)
}

async fn create_from_log(
    payments: &Payments,
    link_key: &str,
    time: OrderTime,
) -> Result<OrderFromLog, StoreError> {
    let store = payments.store();
    let log = store
        .prepayment_log(link_key)
        .await?
        .ok_or(StoreError::NotFound("pre-payment log"))?;
    if let Some(order_id) = log.order_id {
        return Ok(OrderFromLog::Existing(order_id));
    }
    let mut checkout: LoggedCheckout = serde_json::from_str(&log.checkout_json)
        .map_err(|e| StoreError::Corrupt(format!("pre-payment log {link_key}: {e}")))?;
    checkout.order.order_number = format!("{:08}", log.id);
    let now = payments.clock().now();
    let created_at = match time {
        OrderTime::Logged => log.created_at,
        OrderTime::Now => now,
    };
    store
        .create_order_from_log(link_key, &checkout.order, created_at, now)
        .await
}
