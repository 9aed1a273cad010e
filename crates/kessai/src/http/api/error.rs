//! The one error type of the JSON API and its mapping to HTTP. Every failure answers
//! `{"code", "message", "field"}` with a Japanese message (validation failures add an
//! `errors` list naming every field); internal failures are logged once here and shown only
//! as a generic message.

use axum::http::header::WWW_AUTHENTICATE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use crate::domain::input::Invalid;
use crate::payments::PaymentsError;
use crate::providers::ProviderError;
use crate::store::StoreError;

/// Everything an API request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No API key, or an unknown or revoked one.
    #[error("{0}")]
    Unauthorized(&'static str),
    /// The record does not exist (or is not visible to the key).
    #[error("{0}")]
    NotFound(&'static str),
    /// No such route.
    #[error("このURLのAPIはありません。")]
    RouteNotFound,
    /// The route exists, with another method.
    #[error("このURLではこのHTTPメソッドは使えません。")]
    MethodNotAllowed,
    /// Input that failed validation, every wrong field named.
    #[error("入力内容に誤りがあります。")]
    Invalid(Vec<Invalid>),
    /// The body is not JSON at all.
    #[error("リクエスト本文がJSONとして読めません: {0}")]
    MalformedJson(String),
    /// A body that is not `application/json`.
    #[error("リクエスト本文は Content-Type: application/json で送ってください。")]
    UnsupportedMediaType,
    /// A body over the limit.
    #[error("リクエスト本文が大きすぎます。")]
    PayloadTooLarge,
    /// A required header is missing.
    #[error("{0} ヘッダーを付けてください。")]
    MissingHeader(&'static str),
    /// A header with an unusable value.
    #[error("{message}")]
    InvalidHeader {
        header: &'static str,
        message: String,
    },
    /// The Idempotency-Key was used before for a different request.
    #[error(
        "このIdempotency-Keyは別の内容のリクエストで使用済みです。新しいキーで送ってください。"
    )]
    IdempotencyKeyReused,
    /// The request that first used the Idempotency-Key has not finished yet.
    #[error(
        "このIdempotency-Keyのリクエストを処理中です。しばらくしてから同じ内容で再送してください。"
    )]
    IdempotencyKeyInProgress,
    /// The payment's current status does not allow the operation.
    #[error("{0}")]
    OperationNotAllowed(String),
    /// Another call on the payment is waiting for the provider's answer.
    #[error("{0}")]
    PaymentBusy(String),
    /// The payment did not go through at the hand-off; the buyer may try again (another
    /// card, a new token, another payment method).
    #[error("{0}")]
    PaymentDeclined(String),
    /// The provider refused the operation.
    #[error("{message}")]
    ProviderRefused {
        provider_code: String,
        message: String,
    },
    /// The provider does not know the payment (the call that would have made it never
    /// reached it); the payment's pending calls are settled as failed.
    #[error("決済会社にこの決済はありません。")]
    ProviderPaymentNotFound,
    /// The provider cannot be used now (not set up or switched off).
    #[error("{0}")]
    ProviderUnavailable(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A failure that is ours; the detail is logged, never shown.
    #[error("{0}")]
    Internal(String),
}

/// Marks a response whose request changed nothing, so its Idempotency-Key is released and a
/// corrected retry may use it again.
#[derive(Clone, Copy, Debug)]
pub struct NothingChanged;

impl ApiError {
    /// The machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthorized(_) => "unauthorized",
            Self::NotFound(_) => "not_found",
            Self::RouteNotFound => "route_not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::Invalid(_) => "invalid",
            Self::MalformedJson(_) => "malformed_json",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::PayloadTooLarge => "payload_too_large",
            Self::MissingHeader(_) => "missing_header",
            Self::InvalidHeader { .. } => "invalid_header",
            Self::IdempotencyKeyReused => "idempotency_key_reused",
            Self::IdempotencyKeyInProgress => "idempotency_key_in_progress",
            Self::OperationNotAllowed(_) => "operation_not_allowed",
            Self::PaymentBusy(_) => "payment_busy",
            Self::PaymentDeclined(_) => "payment_declined",
            Self::ProviderRefused { .. } => "provider_refused",
            Self::ProviderPaymentNotFound => "provider_payment_not_found",
            Self::ProviderUnavailable(_) => "provider_unavailable",
            Self::Store(_) | Self::Internal(_) => "internal",
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::NotFound(_) | Self::RouteNotFound | Self::ProviderPaymentNotFound => {
                StatusCode::NOT_FOUND
            }
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Invalid(_) | Self::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
            Self::MalformedJson(_) | Self::MissingHeader(_) | Self::InvalidHeader { .. } => {
                StatusCode::BAD_REQUEST
            }
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::IdempotencyKeyInProgress
            | Self::OperationNotAllowed(_)
            | Self::PaymentBusy(_) => StatusCode::CONFLICT,
            Self::PaymentDeclined(_) | Self::ProviderRefused { .. } => StatusCode::PAYMENT_REQUIRED,
            Self::ProviderUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Store(_) | Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The field (or header) the error is about.
    fn field(&self) -> Option<String> {
        match self {
            Self::Invalid(errors) => errors.first().map(|e| e.field.clone()),
            Self::MissingHeader(header) | Self::InvalidHeader { header, .. } => {
                Some((*header).to_owned())
            }
            _ => None,
        }
    }

    /// Whether the request reached the provider: only then is its answer kept for replays.
    fn changed_something(&self) -> bool {
        matches!(
            self,
            Self::PaymentDeclined(_) | Self::ProviderRefused { .. } | Self::ProviderPaymentNotFound
        )
    }
}

impl From<PaymentsError> for ApiError {
    fn from(e: PaymentsError) -> Self {
        let message = e.to_string();
        match e {
            PaymentsError::NotFound => Self::NotFound("決済が見つかりません。"),
            PaymentsError::NotAllowed { .. } => Self::OperationNotAllowed(message),
            PaymentsError::Busy => Self::PaymentBusy(message),
            PaymentsError::Amount(message) => Self::Invalid(vec![Invalid::new("amount", message)]),
            PaymentsError::Shipment(message) => {
                Self::Invalid(vec![Invalid::new("tracking_number", message)])
            }
            PaymentsError::Provider(ProviderError::Refused { code, message, .. }) => {
                Self::ProviderRefused {
                    provider_code: code,
                    message,
                }
            }
            PaymentsError::Provider(ProviderError::NoSuchPayment) => Self::ProviderPaymentNotFound,
            PaymentsError::Provider(ProviderError::NotConfigured(message)) => {
                Self::ProviderUnavailable(message)
            }
            PaymentsError::Provider(ProviderError::Unknown(detail)) => {
                // Callers answer 202 before getting here; reaching it is a bug.
                Self::Internal(format!("unknown provider outcome not handled: {detail}"))
            }
            PaymentsError::Store(e) => Self::Store(e),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = if status.is_server_error() && !matches!(self, Self::ProviderUnavailable(_)) {
            tracing::error!(error = %self, "API request failed");
            "サーバーでエラーが発生しました。時間をおいて再度お試しください。".to_owned()
        } else {
            self.to_string()
        };
        let mut body = json!({ "code": self.code(), "message": message, "field": self.field() });
        match &self {
            Self::Invalid(errors) => body["errors"] = json!(errors),
            Self::ProviderRefused { provider_code, .. } => {
                body["provider_code"] = Value::from(provider_code.as_str())
            }
            _ => {}
        }
        let mut response = (status, Json(body)).into_response();
        if matches!(self, Self::Unauthorized(_)) {
            response
                .headers_mut()
                .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if !self.changed_something() {
            response.extensions_mut().insert(NothingChanged);
        }
        response
    }
}
