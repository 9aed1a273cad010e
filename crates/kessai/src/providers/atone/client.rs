//! atone's REST API v1 (spec §2–§3): JSON over HTTPS, `Authorization: Basic` followed by the
//! Base64 of the secret key alone (no user, no colon).

use std::time::Duration;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use reqwest::{Method, StatusCode};

use super::map::error_message;
use super::wire::{ErrorBody, Payment, Transaction};
use crate::providers::interface::ProviderError;
use crate::secrets::Secret;

/// How long kessai waits for atone.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// A client for one shop's keys.
#[derive(Clone, Debug)]
pub struct Client {
    base: String,
    secret_key: Secret,
    http: reqwest::Client,
}

impl Client {
    pub fn new(base: &str, secret_key: Secret) -> Client {
        Client {
            base: base.trim_end_matches('/').to_owned(),
            secret_key,
            http: crate::providers::http::client(TIMEOUT),
        }
    }

    /// 取引参照: `GET /transactions/{id}`.
    pub async fn transaction(&self, id: &str) -> Result<Transaction, ProviderError> {
        self.call(Method::GET, &format!("/transactions/{id}"), None)
            .await
    }

    /// 売上確定: `PATCH /transactions/{id}/settle`.
    pub async fn settle(&self, id: &str) -> Result<Transaction, ProviderError> {
        self.call(Method::PATCH, &format!("/transactions/{id}/settle"), None)
            .await
    }

    /// 取消 (the whole amount refunded): `PATCH /transactions/{id}/refund` with no amount.
    pub async fn cancel(&self, id: &str) -> Result<Transaction, ProviderError> {
        let body = serde_json::json!({ "refund_reason": "取消" });
        self.call(
            Method::PATCH,
            &format!("/transactions/{id}/refund"),
            Some(body),
        )
        .await
    }

    /// 取引登録 server-side (取引修正: with the buyer's token and the replaced ids).
    pub async fn register(&self, payment: &Payment) -> Result<Transaction, ProviderError> {
        let body = serde_json::to_value(payment).expect("a payment serializes");
        self.call(Method::POST, "/transactions", Some(body)).await
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Result<Transaction, ProviderError> {
        let auth = format!("Basic {}", B64.encode(self.secret_key.expose()));
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header(reqwest::header::AUTHORIZATION, auth)
            .header(reqwest::header::ACCEPT, "application/json");
        if let Some(body) = body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.to_string());
        }
        let response = request
            .send()
            .await
            .map_err(|e| ProviderError::Unknown(e.to_string()))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| ProviderError::Unknown(e.to_string()))?;
        if status.is_success() {
            return serde_json::from_slice(&bytes)
                .map_err(|e| ProviderError::Unknown(format!("atoneの応答が読めません: {e}")));
        }
        if status.is_server_error() {
            return Err(ProviderError::Unknown(format!(
                "atoneがHTTP {status}を返しました"
            )));
        }
        let error: ErrorBody = serde_json::from_slice(&bytes).unwrap_or_default();
        let code = error.code();
        if status == StatusCode::NOT_FOUND && code != "EATN0126" {
            return Err(ProviderError::NoSuchPayment);
        }
        Err(ProviderError::Refused {
            message: error_message(&code),
            code,
            detail: error.detail(),
        })
    }
}
