//! atone's JSON on the wire: the error body every refusal is answered with (§5, §9) and
//! the transaction object of every answer and webhook (§5).
//!
//! Error body: `{"name", "message", "errors": [{"code": "EATNnnnn", "messages": [..],
//! "params": [..]}]}` with the HTTP status of §9 (`InvalidRequest` 400, `Unauthorized`
//! 401, `NotFound` 404). `message` is the first error's message, or a summary when there
//! are several; `params` names the field concerned (e.g. `items[0].item_price`).
//!
//! Transaction object (key order carries no meaning): `id`, `object` (`"transaction"`), `livemode`
//! (`false`), `authentication_token`, `shop_transaction_no`, `amount`,
//! `authorization_result` (1 / 2), `authorization_result_ng_reason` (`null`, 1 or 9),
//! `subtract_point` (always 0: the sandbox's members have no points),
//! `amount_refund_total`, `registration_datetime` and `sales_settled_datetime`
//! (`YYYY/MM/DD HH:MM`, Japan time, the latter `null` until settled),
//! `transaction_options` (echo, `[]` when not sent), `updated_transactions` (the ids this
//! one replaced, `[]`), `related_transaction` (for a transaction replaced by 取引更新: the
//! id of the one that replaced it, else `null`), `description_trans` (echo or `null`),
//! `customer` (echo as sent), `dest_customers` (echo with the `dest_` prefix dropped from
//! every key, as the response side has them per the spec), `items` (`shop_item_id`,
//! `item_name`, `item_price`, `item_count` as integers, `item_url` when sent) and
//! `refunds` (`object` `"refund"`, `amount_refund`, `refund_datetime`, `refund_reason` and
//! `description_refund` as sent or `null`).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use serde_json::{json, Map, Value};

use super::store::{wire_time, Transaction};

/// One entry of `errors`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorEntry {
    /// `EATNnnnn`.
    pub code: &'static str,
    /// What went wrong, in Japanese.
    pub messages: Vec<String>,
    /// The field concerned, when there is one.
    pub params: Vec<String>,
}

impl ErrorEntry {
    /// `code` about `param` (empty for none) with `message`.
    pub fn new(code: &'static str, param: &str, message: impl Into<String>) -> Self {
        Self {
            code,
            messages: vec![message.into()],
            params: if param.is_empty() {
                Vec::new()
            } else {
                vec![param.to_owned()]
            },
        }
    }
}

/// A refusal, answered as the error body with its HTTP status.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// `name`: the error type of §9.
    pub name: &'static str,
    /// `errors`.
    pub errors: Vec<ErrorEntry>,
}

impl ApiError {
    /// 400 `InvalidRequest` with `errors`.
    pub fn invalid_all(errors: Vec<ErrorEntry>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            name: "InvalidRequest",
            errors,
        }
    }

    /// 400 `InvalidRequest` with one error.
    pub fn invalid(code: &'static str, param: &str, message: impl Into<String>) -> Self {
        Self::invalid_all(vec![ErrorEntry::new(code, param, message)])
    }

    /// 401 `EATN0129`: the secret key is missing or unknown.
    pub fn unauthorized() -> Self {
        Self {
            status: StatusCode::UNAUTHORIZED,
            name: "Unauthorized",
            errors: vec![ErrorEntry::new("EATN0129", "", "認証に失敗しました")],
        }
    }

    /// 401 `EATN0304`: the widget's `pub_key` names no shop.
    pub fn unknown_public_key() -> Self {
        Self {
            status: StatusCode::UNAUTHORIZED,
            name: "Unauthorized",
            errors: vec![ErrorEntry::new(
                "EATN0304",
                "pub_key",
                "店舗公開可能鍵が不正です",
            )],
        }
    }

    /// 404 `EATN0133`: no such transaction of this shop.
    pub fn not_found() -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            name: "NotFound",
            errors: vec![ErrorEntry::new("EATN0133", "id", "取引が見つかりません")],
        }
    }

    /// 404 `EATN0126`: no such path (or not with this method).
    pub fn bad_path() -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            name: "NotFound",
            errors: vec![ErrorEntry::new("EATN0126", "", "URLが不正です")],
        }
    }

    /// The first code, for the logs.
    pub fn code(&self) -> &'static str {
        self.errors.first().map_or("", |e| e.code)
    }

    /// The error body.
    pub fn body(&self) -> Value {
        let message = match self.errors.as_slice() {
            [only] => only.messages.join(" "),
            _ => "リクエストの内容に誤りがあります".to_owned(),
        };
        json!({ "name": self.name, "message": message, "errors": self.errors })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body())).into_response()
    }
}

/// The transaction object of `t`.
pub fn transaction(t: &Transaction) -> Value {
    let payment = &t.payment;
    let items: Vec<Value> = payment
        .items
        .iter()
        .map(|item| {
            let mut out = json!({
                "shop_item_id": item.shop_item_id,
                "item_name": item.item_name,
                "item_price": item.item_price,
                "item_count": item.item_count,
            });
            if let Some(url) = &item.item_url {
                out["item_url"] = json!(url);
            }
            out
        })
        .collect();
    let refunds: Vec<Value> = t
        .refunds
        .iter()
        .map(|r| {
            json!({
                "object": "refund",
                "amount_refund": r.amount,
                "refund_datetime": wire_time(r.at),
                "refund_reason": r.reason,
                "description_refund": r.description,
            })
        })
        .collect();
    json!({
        "id": t.id,
        "object": "transaction",
        "livemode": false,
        "authentication_token": t.token,
        "shop_transaction_no": payment.shop_transaction_no,
        "amount": payment.amount,
        "authorization_result": t.authorization.result(),
        "authorization_result_ng_reason": t.authorization.ng_reason(),
        "subtract_point": 0,
        "amount_refund_total": t.refunded(),
        "registration_datetime": wire_time(t.registered),
        "sales_settled_datetime": t.settled.map(wire_time),
        "transaction_options": payment.transaction_options,
        "updated_transactions": payment.updated_transactions,
        "related_transaction": t.replaced_by,
        "description_trans": payment.description_trans,
        "customer": payment.customer,
        "dest_customers": payment.dest_customers.iter().map(undestined).collect::<Vec<_>>(),
        "items": items,
        "refunds": refunds,
    })
}

/// A `dest_customers` element with `dest_` dropped from its keys.
fn undestined(dest: &Value) -> Value {
    match dest {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.strip_prefix("dest_").unwrap_or(k).to_owned(), v.clone()))
                .collect::<Map<String, Value>>(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_error_gives_its_message_and_several_a_summary() {
        let one = ApiError::invalid("EATN0105", "amount", "amount が不正です");
        let two = ApiError::invalid_all(vec![
            ErrorEntry::new("EATN0105", "amount", "a"),
            ErrorEntry::new("EATN0111", "items", "b"),
        ]);

        assert_eq!(
            one.body(),
            json!({
                "name": "InvalidRequest",
                "message": "amount が不正です",
                "errors": [{ "code": "EATN0105", "messages": ["amount が不正です"], "params": ["amount"] }]
            })
        );
        assert_eq!(two.body()["message"], "リクエストの内容に誤りがあります");
        assert_eq!(ApiError::unauthorized().status, StatusCode::UNAUTHORIZED);
    }

    #[test]
    fn destination_keys_lose_their_prefix() {
        let dest = json!({ "dest_customer_name": "山田", "dest_zip_code": "1500001", "note": 1 });

        assert_eq!(
            undestined(&dest),
            json!({ "customer_name": "山田", "zip_code": "1500001", "note": 1 })
        );
    }
}
