//! The stand-in for atone.js (spec §7): the script, the widget page it opens, and the two
//! JSON calls that page makes.
//!
//! * `GET /v1/atone.js` — the script (`assets/atone.js`): `Atone.config(options, ready)`,
//!   `Atone.start()`, `Atone.sync()` (a no-op). `start()` lays a modal overlay over the
//!   shop's page with an iframe of `GET /v1/widget` next to the script, and the two talk by
//!   `postMessage`: the page says `ready`, the script answers with `pub_key`, `pre_token`
//!   and `payment`.
//! * `POST /v1/widget/session` `{"pub_key", "pre_token", "payment"}` — the shop is found by
//!   `pub_key` (else 401 `EATN0304`), the payment's `checksum` must be right for that
//!   shop's secret key (`EATN0351`, judged before anything else in the payment), the
//!   payment object is checked (`check.rs`), and its `shop_transaction_no` must be free
//!   (`EATN1101`); `updated_transactions` is not read here (取引更新 is server-side).
//!   Answers `{"session", "amount", "shop_transaction_no", "items": [{"item_name",
//!   "item_price", "item_count"}], "member"}`, `member` being the id of the member a
//!   `pre_token` of this shop stands for, else `null` (an unknown `pre_token` is treated
//!   as a first-time buyer). A session takes one confirmation within
//!   [`super::WIDGET_MINUTES`] minutes.
//! * `POST /v1/widget/confirm` `{"session", "member"}` — the buyer pressed
//!   「お支払いを確定する」 as `member`: the transaction is registered (OK or NG by the
//!   member's rule, `members.rs`), its webhook queued, and the answer is
//!   `{"authentication_token", "result": "succeeded" | "failed", "response"}` where
//!   `response` is `{"id", "authorization_result": 1, "subtract_point": 0}` or `{"id",
//!   "authorization_result": 2, "authorization_result_ng_reason": 1 | 9}`. The token is the
//!   `pre_token` when it stands for the same member, else a new one. An unknown, used or
//!   lapsed session, or an unknown member, answers 400 `EATN0396`.
//!
//! Every refusal is the error body of `wire.rs`; the script hands it to `failed` (or to
//! `error(name, message, errors)` for `EATN0304`).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use minijinja::context;
use serde_json::{json, Value};

use super::check;
use super::checksum;
use super::members::{self, Authorization, MEMBERS};
use super::pages;
use super::store::{Registration, Session, Via};
use super::wire::ApiError;
use super::Sandbox;
use crate::pages::group_thousands;

/// `GET /v1/atone.js`.
pub async fn script() -> impl IntoResponse {
    (
        [(CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("assets/atone.js"),
    )
}

/// `GET /v1/widget`: the page inside the overlay.
pub async fn page() -> Response {
    let members: Vec<_> = MEMBERS
        .iter()
        .map(|m| {
            context! {
                id => m.id,
                name => m.name,
                label => m.label,
                limit => m.limit.map(|l| group_thousands(l.unsigned_abs())),
            }
        })
        .collect();
    pages::page(StatusCode::OK, "atone/widget.html", context! { members })
}

/// The request's body as a JSON object.
fn object(body: &Bytes) -> Result<Value, ApiError> {
    serde_json::from_slice::<Value>(body)
        .ok()
        .filter(Value::is_object)
        .ok_or_else(|| ApiError::invalid("EATN0399", "", "リクエストの形式が不正です"))
}

/// `POST /v1/widget/session`.
pub async fn session(State(sandbox): State<Sandbox>, body: Bytes) -> Result<Json<Value>, ApiError> {
    let request = object(&body)?;
    let text = |key: &str| request.get(key).and_then(Value::as_str).unwrap_or_default();
    let now = (sandbox.clock)();
    let mut store = sandbox.lock();
    let shop = store
        .shop_by_public_key(text("pub_key"))
        .ok_or_else(ApiError::unknown_public_key)?;
    let sent = request.get("payment").cloned().unwrap_or(Value::Null);
    if sent.is_object() && !checksum::verify(&store.shops[shop].secret_key, &sent) {
        tracing::info!(shop_transaction_no = %sent["shop_transaction_no"], "atone sandbox widget refused a checksum");
        return Err(ApiError::invalid(
            "EATN0351",
            "checksum",
            "不正なチェックサムです",
        ));
    }
    let mut payment = check::payment(&sent).map_err(ApiError::invalid_all)?;
    // 取引更新 is the server's (§3); on the widget the field is not read.
    payment.updated_transactions.clear();
    store.check_unique(shop, &payment.shop_transaction_no, &[])?;
    let known = store.token(shop, text("pre_token"));
    let mut answer = json!({
        "amount": payment.amount,
        "shop_transaction_no": payment.shop_transaction_no,
        "items": payment.items.iter().map(|i| json!({
            "item_name": i.item_name,
            "item_price": i.item_price,
            "item_count": i.item_count,
        })).collect::<Vec<_>>(),
        "member": known.as_ref().map(|t| t.member.id),
    });
    let id = store.open_session(Session {
        shop,
        payment,
        known,
        opened: now,
    });
    answer["session"] = json!(id);
    Ok(Json(answer))
}

/// `POST /v1/widget/confirm`.
pub async fn confirm(State(sandbox): State<Sandbox>, body: Bytes) -> Result<Json<Value>, ApiError> {
    let request = object(&body)?;
    let text = |key: &str| request.get(key).and_then(Value::as_str).unwrap_or_default();
    let gone = || {
        ApiError::invalid(
            "EATN0396",
            "session",
            "決済画面の有効期限が切れました。最初からやり直してください",
        )
    };
    let now = (sandbox.clock)();
    let (answer, id) = {
        let mut store = sandbox.lock();
        let member = members::find(text("member"))
            .ok_or_else(|| ApiError::invalid("EATN0396", "member", "テスト会員を選んでください"))?;
        let session = store.take_session(text("session"), now).ok_or_else(gone)?;
        let token = match session.known {
            Some(known) if known.member.id == member.id => known,
            _ => store.issue_token(session.shop, member),
        };
        let index = store.register(
            Registration {
                shop: session.shop,
                payment: session.payment,
                token,
                via: Via::Widget,
            },
            now,
        )?;
        let t = &store.transactions[index];
        let (result, response) = match t.authorization {
            Authorization::Ok => (
                "succeeded",
                json!({ "id": t.id, "authorization_result": 1, "subtract_point": 0 }),
            ),
            Authorization::Ng(reason) => (
                "failed",
                json!({ "id": t.id, "authorization_result": 2, "authorization_result_ng_reason": reason }),
            ),
        };
        (
            json!({ "authentication_token": t.token, "result": result, "response": response }),
            t.id.clone(),
        )
    };
    tracing::info!(id, result = %answer["result"], "atone sandbox widget registered a transaction");
    Ok(Json(answer))
}
