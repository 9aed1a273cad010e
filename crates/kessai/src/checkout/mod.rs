//! Checkout: a buyer's cart, customer, delivery and payment method are validated, written
//! to the pre-payment log (決済直前ログ) under a fresh link key together with a pending
//! payment, and only then handed to the provider ([`handoff`]): a redirect form (link
//! type), an in-site token form (module type), or a widget.
//!
//! The order is created from the log when the provider confirms the payment, by whichever
//! comes first of the hand-off, the browser's return and the provider's notification
//! ([`crate::payments::orders::confirm`] does it exactly once).

pub mod handoff;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::buyer::Buyer;
use crate::domain::input::{self, Invalid};
use crate::domain::number;
use crate::domain::order::OrderStatus;
use crate::domain::payment::{PaymentOrigin, PaymentState};
use crate::payments::Payments;
use crate::providers;
use crate::store::{
    DeliveryMethod, LoggedCheckout, NewOrder, NewOrderItem, NewPayment, NewPrepaymentLog, Payment,
    PaymentMethod, PrepaymentLog, StoreError,
};

/// A checkout as the storefront or a headless shop submits it.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckoutRequest {
    pub items: Vec<CartLine>,
    pub customer: Buyer,
    /// The logged-in member buying, if any.
    #[serde(default, deserialize_with = "number::optional_whole")]
    pub member_id: Option<i64>,
    #[serde(deserialize_with = "number::whole")]
    pub delivery_method_id: i64,
    #[serde(deserialize_with = "number::whole")]
    pub payment_method_id: i64,
    /// 配達希望日 (`YYYY-MM-DD`), one the delivery method offers; empty for none.
    #[serde(default)]
    pub delivery_date: String,
    /// 配達時間帯, one the delivery method offers; empty for none.
    #[serde(default)]
    pub delivery_time: String,
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
    #[serde(deserialize_with = "number::whole")]
    pub quantity: i64,
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

/// A checkout that passed every check: the order it will create and its provider.
#[derive(Clone, Debug)]
pub struct Prepared {
    pub order: NewOrder,
    pub provider: &'static str,
}

/// Validates a checkout and logs it with its pending payment; nothing is written when any
/// field is wrong.
pub async fn start(payments: &Payments, req: &CheckoutRequest) -> Result<Started, CheckoutError> {
    let p = start_pending(payments, req).await?;
    Ok(Started {
        link_key: p.payment.link_key,
        payment_id: p.payment.id,
        amount: p.payment.amount,
        settlement_kind: p.payment.settlement_kind,
    })
}

/// [`start`], answering the logged checkout and its payment as stored.
pub async fn start_pending(
    payments: &Payments,
    req: &CheckoutRequest,
) -> Result<Pending, CheckoutError> {
    let Prepared { order, provider } = prepare(payments, req).await?;
    let environment = match payments.connector_of(provider).await? {
        Some(connector) => connector.environment_of(&order.settlement_kind),
        None => return Err(CheckoutError::Invalid(vec![not_offered()])),
    };
    let amount = order.total();
    let settlement_kind = order.settlement_kind.clone();
    let customer_name = order.buyer.full_name();
    let logged = LoggedCheckout {
        order,
        return_url: req.return_url.clone(),
    };
    let link_key = new_link_key();
    let json = serde_json::to_string(&logged).expect("a checkout serializes");
    let (log, payment) = payments
        .store()
        .start_checkout(
            &NewPrepaymentLog {
                link_key: &link_key,
                provider,
                settlement_kind: &settlement_kind,
                amount,
                customer_name: &customer_name,
                checkout_json: &json,
            },
            &NewPayment {
                order_id: None,
                provider,
                settlement_kind: &settlement_kind,
                link_key: &link_key,
                state: PaymentState::Pending.as_str(),
                amount,
                environment: environment.as_str(),
                origin: PaymentOrigin::Checkout.as_str(),
            },
            payments.clock().now(),
        )
        .await?;
    Ok(Pending {
        log,
        checkout: logged,
        payment,
    })
}

/// Checks a checkout without writing anything: the products on sale at their current
/// prices, the customer, the delivery method with its date and time, the payment method
/// and member. Returns the order it would create, or every error with its field named.
pub async fn prepare(
    payments: &Payments,
    req: &CheckoutRequest,
) -> Result<Prepared, CheckoutError> {
    let store = payments.store();
    let mut errors = Vec::new();
    let customer = req
        .customer
        .parse("customer.")
        .map_err(|e| errors.extend(e))
        .ok();
    let note = if req.note.trim().is_empty() {
        String::new()
    } else {
        input::text("note", "備考", &req.note, 1000)
            .map_err(|e| errors.push(e))
            .unwrap_or_default()
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
            Some(p) => {
                let label = format!("商品「{}」の商品名", p.code);
                match input::provider_safe(&format!("{field}.product_code"), &label, &p.name) {
                    Ok(()) => items.push(NewOrderItem {
                        product_code: p.code.clone(),
                        product_name: p.name.clone(),
                        unit_price: p.price,
                        quantity: line.quantity,
                    }),
                    Err(e) => errors.push(e),
                }
            }
        }
    }
    let delivery = store.delivery_method(req.delivery_method_id).await?;
    let (mut delivery_date, mut delivery_time) = (None, String::new());
    match &delivery {
        None => errors.push(Invalid::new(
            "delivery_method_id",
            "配送方法を選択してください",
        )),
        Some(d) => {
            let today = payments
                .clock()
                .now()
                .with_timezone(&crate::clock::jst())
                .date_naive();
            match delivery_choice(d, today, &req.delivery_date, &req.delivery_time) {
                Ok((date, time)) => (delivery_date, delivery_time) = (date, time),
                Err(e) => errors.extend(e),
            }
        }
    }
    let method = store
        .payment_method(req.payment_method_id)
        .await?
        .filter(|m| m.active);
    let service = method
        .as_ref()
        .and_then(|m| providers::service(&m.settlement_kind));
    let payable = match &method {
        Some(m) => payable(payments, &m.settlement_kind).await?,
        None => false,
    };
    if service.is_none() {
        errors.push(Invalid::new(
            "payment_method_id",
            "支払方法を選択してください",
        ));
    } else if !payable {
        errors.push(not_offered());
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
    let (Some(customer), Some(delivery), Some(method), Some((spec, _))) =
        (customer, delivery, method, service)
    else {
        return Err(CheckoutError::Invalid(errors));
    };
    if !errors.is_empty() {
        return Err(CheckoutError::Invalid(errors));
    }

    let order = NewOrder {
        order_number: String::new(),
        member_id,
        buyer: customer,
        delivery_method_id: Some(delivery.id),
        delivery_name: delivery.name.clone(),
        carrier: delivery.carrier.clone(),
        delivery_date,
        delivery_time,
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
    if order.total() < 1 {
        return Err(CheckoutError::Invalid(vec![Invalid::new(
            "items",
            "合計金額が1円未満です",
        )]));
    }
    Ok(Prepared {
        order,
        provider: spec.key,
    })
}

/// The 配達希望日 and 配達時間帯 chosen for a delivery method on `order_date`: each empty
/// (none chosen) or one the method offers.
pub fn delivery_choice(
    method: &DeliveryMethod,
    order_date: NaiveDate,
    date: &str,
    time: &str,
) -> Result<(Option<NaiveDate>, String), Vec<Invalid>> {
    let mut errors = Vec::new();
    let date = match date.trim() {
        "" => None,
        v => {
            let offered = NaiveDate::parse_from_str(v, "%Y-%m-%d")
                .ok()
                .filter(|d| method.date_choices(order_date).contains(d));
            if offered.is_none() {
                errors.push(Invalid::new(
                    "delivery_date",
                    "配達希望日は選択肢の中から選択し直してください",
                ));
            }
            offered
        }
    };
    let time = match time.trim() {
        "" => String::new(),
        v if method.time_slot_list().contains(&v) => v.to_owned(),
        _ => {
            errors.push(Invalid::new(
                "delivery_time",
                "配達時間帯は選択肢の中から選択し直してください",
            ));
            String::new()
        }
    };
    if errors.is_empty() {
        Ok((date, time))
    } else {
        Err(errors)
    }
}

/// The line 内容確認 shows next to the payment method about the payment deadline
/// (支払期限), e.g. 「お支払いの有効期限はご注文日から7日間となっております。」. `None` for
/// a card or Paidy, which are paid on the spot, and for every service whose deadline is not
/// known here.
pub async fn payment_deadline_notice(
    payments: &Payments,
    method: &PaymentMethod,
) -> Result<Option<String>, StoreError> {
    let Some((spec, _)) = providers::service(&method.settlement_kind) else {
        return Ok(None);
    };
    Ok(payments
        .connector_of(spec.key)
        .await?
        .and_then(|c| c.deadline_notice(&method.settlement_kind)))
}

/// The payment methods a buyer may choose now, in the operator's order: in use (使用), of a
/// kind whose provider's checkout exists, and switched on in the provider's settings.
pub async fn offered_methods(payments: &Payments) -> Result<Vec<PaymentMethod>, StoreError> {
    let mut offered = Vec::new();
    for m in payments.store().payment_methods().await? {
        if m.active && payable(payments, &m.settlement_kind).await? {
            offered.push(m);
        }
    }
    Ok(offered)
}

/// Whether a settlement kind can be paid now (see [`offered_methods`]).
async fn payable(payments: &Payments, kind: &str) -> Result<bool, StoreError> {
    let Some((spec, _)) = providers::service(kind) else {
        return Ok(false);
    };
    if !providers::has_checkout(kind) {
        return Ok(false);
    }
    Ok(payments
        .connector_of(spec.key)
        .await?
        .is_some_and(|c| c.offers(kind)))
}

/// The refusal of a payment method whose provider cannot take the payment now (未対応, or
/// switched off in the provider's settings).
fn not_offered() -> Invalid {
    Invalid::new(
        "payment_method_id",
        "この支払方法は現在ご利用いただけません。別の支払方法を選択してください",
    )
}

/// A fresh link key: 20 alphanumeric characters, a trading id every provider accepts.
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
    let checkout = log.checkout()?;
    Ok(Some(Pending {
        log,
        checkout,
        payment,
    }))
}
