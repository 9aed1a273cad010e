//! Paidy through Paygent (spec §6.11): the stand-in for Paidy Checkout and the telegrams
//! 340 オーソリキャンセル, 341 売上, 342 返金, 343 決済情報検証.
//!
//! Paidy Checkout is Paidy's script in the buyer's browser; the sandbox serves its own
//! `GET /paidy/paidy.js` with the same entry points (`Paidy.configure({api_key, closed})`
//! returning a handler whose `launch(payload)` opens the checkout). Its small overlay asks
//! for the buyer's e-mail address and phone and posts them with the payload to
//! `POST /paidy/checkout` (JSON), which plays both Paidy and Paidy's authorize webhook to
//! Paygent: the payment is made at once in 20 オーソリOK under `trading_id` =
//! `order.order_ref` (§6.11, inferred there) with a notification (`event=authorize`), and
//! the answer is the `closed` callback's data: `id` (`pay_…`), `amount`, `currency`,
//! `created_at` and `status` (`authorized`, or `rejected`). A sandbox public key is
//! `pk_test_` followed by the merchant id (shown on the merchant page); an e-mail address
//! whose local part is `rejected` is the sandbox's trigger for a rejected checkout, which
//! makes no payment (§6.11).
//!
//! 340 and 341 act on a payment in 20 only; 342 on a payment in 40 only: without `amount`
//! or for the whole amount it refunds all (→ 60), for less it moves the payment to 60 and
//! makes a new payment id in 40 with the remaining amount, which it answers. Errors: 24001
//! no such Paidy payment, 24002 a trading_id naming several, 24003 wrong status, 24006
//! past Paidy's 90 days (33 / 41), 24007 a refund above the amount. 343 answers
//! `retrieve_result` 0 with the payment's items, or 1 when Paidy has no such payment. The
//! Paidy timeouts (24005 and the 30 / 31 / 42 states) are not simulated.

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};

use super::fields::{self, Header, Rule};
use super::inquiry;
use super::refusal::Refusal;
use super::status::Status;
use super::store::{Merchant, Method, Paidy, Payment, PaymentType};
use super::wire::Items;
use super::{wake, Sandbox, Telegram};

/// Sandbox Paidy public keys are this prefix and the merchant id.
pub const PUBLIC_KEY_PREFIX: &str = "pk_test_";
/// The e-mail local part that makes the sandbox's Paidy reject a checkout.
pub const REJECTED_LOCAL_PART: &str = "rejected";

/// `GET /paidy/paidy.js`: the stand-in for Paidy Checkout's script.
pub async fn script() -> impl IntoResponse {
    (
        [(CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("assets/paidy.js"),
    )
}

/// The buyer of a checkout payload.
#[derive(Debug, Default, Deserialize)]
pub struct Buyer {
    #[serde(default)]
    email: String,
    #[serde(default)]
    name1: String,
    #[serde(default)]
    phone: String,
}

/// The order of a checkout payload.
#[derive(Debug, Default, Deserialize)]
pub struct Order {
    #[serde(default)]
    order_ref: String,
}

/// The payload the shop hands to `launch` (the parts the sandbox reads).
#[derive(Debug, Default, Deserialize)]
pub struct Payload {
    #[serde(default)]
    amount: serde_json::Value,
    #[serde(default)]
    currency: String,
    #[serde(default)]
    store_name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    buyer: Buyer,
    #[serde(default)]
    order: Order,
}

/// What the overlay posts.
#[derive(Debug, Deserialize)]
pub struct Checkout {
    #[serde(default)]
    api_key: String,
    #[serde(default)]
    payload: Payload,
    /// The e-mail address the buyer confirmed (the payload's by default).
    #[serde(default)]
    email: String,
    /// The phone number the buyer confirmed.
    #[serde(default)]
    phone: String,
}

/// The `closed` callback's data.
#[derive(Debug, Serialize)]
pub struct CallbackData {
    id: String,
    amount: u64,
    currency: &'static str,
    created_at: String,
    status: &'static str,
}

fn bad_request(message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(serde_json::json!({ "error": message })),
    )
        .into_response()
}

/// `POST /paidy/checkout`: authorise a Paidy checkout and make its Paygent payment.
pub async fn checkout(State(sandbox): State<Sandbox>, Json(c): Json<Checkout>) -> Response {
    wake(&sandbox);
    let Some(merchant_id) = c
        .api_key
        .strip_prefix(PUBLIC_KEY_PREFIX)
        .filter(|id| !id.is_empty() && id.len() <= 9 && id.bytes().all(|b| b.is_ascii_digit()))
    else {
        return bad_request("api_key is not a sandbox public key (pk_test_<merchant_id>)");
    };
    let p = &c.payload;
    let Some(amount) = p.amount.as_u64().filter(|a| *a > 0) else {
        return bad_request("payload.amount must be a positive whole number of yen");
    };
    if p.currency != "JPY" {
        return bad_request("payload.currency must be JPY");
    }
    let order_ref = &p.order.order_ref;
    let order_ref_ok = !order_ref.is_empty()
        && order_ref.len() <= 25
        && order_ref
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if !order_ref_ok {
        return bad_request(
            "payload.order.order_ref must be a trading id (25 letters, digits or _)",
        );
    }
    let email = if c.email.is_empty() {
        p.buyer.email.clone()
    } else {
        c.email.clone()
    };
    let phone = if c.phone.is_empty() {
        p.buyer.phone.clone()
    } else {
        c.phone.clone()
    };
    let now = (sandbox.clock)();
    let mut store = sandbox.lock();
    store.sweep(now);
    let paidy_payment_id = format!("pay_{}", store.random_hex(20));
    let rejected = email.split('@').next() == Some(REJECTED_LOCAL_PART);
    let data = |status| CallbackData {
        id: paidy_payment_id.clone(),
        amount,
        currency: "JPY",
        created_at: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        status,
    };
    if rejected {
        tracing::info!(order_ref = %order_ref, "paygent sandbox paidy checkout rejected");
        return Json(data("rejected")).into_response();
    }
    let id = store.next_payment_id();
    let mut payment = Payment::new(
        id,
        order_ref,
        "",
        amount,
        Method::Paidy(Paidy {
            paidy_payment_id: paidy_payment_id.clone(),
            description: p.description.clone(),
            store_name: p.store_name.clone(),
            buyer_email: email,
            buyer_name: p.buyer.name1.clone(),
            buyer_phone: phone,
        }),
        now,
    );
    let merchant = store.merchant(merchant_id);
    payment.move_to(Status::Authorized, now, &mut merchant.notices);
    merchant.payments.insert(id, payment);
    tracing::info!(order_ref = %order_ref, payment_id = id, "paygent sandbox paidy checkout authorized");
    Json(data("authorized")).into_response()
}

/// The Paidy payment a telegram names, by payment_id and/or trading_id.
fn target(merchant: &Merchant, header: &Header) -> Result<u64, Refusal> {
    let is_paidy = |p: &Payment| p.payment_type() == PaymentType::Paidy;
    if let Some(id) = header.payment_id {
        return match merchant.payments.get(&id) {
            Some(p)
                if is_paidy(p)
                    && (header.trading_id.is_empty() || p.trading_id == header.trading_id) =>
            {
                Ok(id)
            }
            _ => Err(Refusal::paidy_not_found()),
        };
    }
    if header.trading_id.is_empty() {
        return Err(if header.payment_id_present {
            Refusal::empty("payment_id")
        } else {
            Refusal::absent("payment_id")
        });
    }
    let mut matching = merchant
        .payments
        .values()
        .filter(|p| is_paidy(p) && p.trading_id == header.trading_id);
    match (matching.next(), matching.next()) {
        (Some(p), None) => Ok(p.id),
        (Some(_), Some(_)) => Err(Refusal::paidy_ambiguous()),
        (None, _) => Err(Refusal::paidy_not_found()),
    }
}

fn answer(payment_id: u64, trading_id: &str) -> Items {
    let mut items = Items::success();
    items.push("payment_id", payment_id.to_string());
    items.push("trading_id", trading_id);
    items
}

/// 340 / 341: from 20 to `to`.
fn from_authorized(t: Telegram<'_>, to: Status) -> Result<Items, Refusal> {
    let merchant = t.store.merchant(&t.header.merchant_id);
    let id = target(merchant, t.header)?;
    let notices = &mut merchant.notices;
    let payment = merchant
        .payments
        .get_mut(&id)
        .ok_or_else(Refusal::paidy_not_found)?;
    match payment.status {
        Status::Authorized => {}
        Status::AuthExpired => return Err(Refusal::paidy_expired()),
        _ => return Err(Refusal::paidy_status()),
    }
    payment.move_to(to, t.now, notices);
    Ok(answer(id, &payment.trading_id))
}

/// 340: cancel the authorisation (20 → 32).
pub fn cancel(t: Telegram<'_>) -> Result<Items, Refusal> {
    from_authorized(t, Status::AuthCancelled)
}

/// 341: capture (20 → 40).
pub fn capture(t: Telegram<'_>) -> Result<Items, Refusal> {
    from_authorized(t, Status::Captured)
}

/// 342: refund all (40 → 60) or part (old → 60, new payment id in 40 for the rest).
pub fn refund(t: Telegram<'_>) -> Result<Items, Refusal> {
    let requested = match fields::optional(t.form, "amount", Rule::Digits, 8)? {
        Some(raw) => Some(raw.parse::<u64>().map_err(|_| Refusal::format("amount"))?),
        None => None,
    };
    if requested == Some(0) {
        return Err(Refusal::zero_amount());
    }
    let next_id = t.store.next_payment_id();
    let merchant = t.store.merchant(&t.header.merchant_id);
    let id = target(merchant, t.header)?;
    let notices = &mut merchant.notices;
    let payment = merchant
        .payments
        .get_mut(&id)
        .ok_or_else(Refusal::paidy_not_found)?;
    match payment.status {
        Status::Captured => {}
        Status::CapturedFinal => return Err(Refusal::paidy_expired()),
        _ => return Err(Refusal::paidy_status()),
    }
    let refund = requested.unwrap_or(payment.amount);
    if refund > payment.amount {
        return Err(Refusal::paidy_refund_amount());
    }
    payment.move_to(Status::SalesCancelled, t.now, notices);
    if refund == payment.amount {
        return Ok(answer(id, &payment.trading_id));
    }
    let mut rest = payment.clone();
    rest.id = next_id;
    rest.amount = payment.amount - refund;
    rest.base_payment_id = Some(id);
    rest.created = t.now;
    rest.cancelled = None;
    rest.history = Vec::new();
    rest.move_to(Status::Captured, t.now, notices);
    let reply = answer(next_id, &rest.trading_id);
    merchant.payments.insert(next_id, rest);
    Ok(reply)
}

/// 343: what Paidy holds for a `paidy_payment_id`.
pub fn verify(t: Telegram<'_>) -> Result<Items, Refusal> {
    let paidy_id = fields::required(t.form, "paidy_payment_id", Rule::Id, 64)?;
    let merchant = t.store.merchant(&t.header.merchant_id);
    let found =
        merchant.payments.values().rev().find(
            |p| matches!(&p.method, Method::Paidy(paidy) if paidy.paidy_payment_id == paidy_id),
        );
    let mut items = Items::success();
    let Some(p) = found else {
        items.push("retrieve_result", "1");
        return Ok(items);
    };
    let Method::Paidy(paidy) = &p.method else {
        return Err(Refusal::system());
    };
    items.push("retrieve_result", "0");
    items.push("payment_id", p.id.to_string());
    items.push("trading_id", p.trading_id.clone());
    items.push("amount", p.amount.to_string());
    for (name, value) in inquiry::paidy_items(p, paidy) {
        if !matches!(name, "authorized_date" | "cancel_date" | "payment_date") {
            items.push(name, value);
        }
    }
    Ok(items)
}
