//! The one error type of the HTTP layer and its mapping to responses. Internal failures are
//! logged once here and shown to the user only as a generic message.

use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};

use crate::store::StoreError;

/// Everything a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The page or record does not exist.
    #[error("見つかりません")]
    NotFound,
    /// Not logged in: send the browser to the login page.
    #[error("ログインしてください")]
    LoginRequired { next: String },
    /// A storefront member page without a logged-in member: send the buyer to the member
    /// login page.
    #[error("ログインしてください")]
    MemberLoginRequired { next: String },
    /// A form without a valid CSRF token.
    #[error("フォームの有効期限が切れました。ページを再読み込みしてもう一度お試しください。")]
    Csrf,
    /// Too many failed logins: refused for at most this many more seconds (`Retry-After`).
    #[error("ログインの試行回数が多すぎます。しばらく時間をおいてから再度お試しください。")]
    TooManyAttempts { retry_after_seconds: i64 },
    /// A request the server cannot understand (not a validation error of a form field).
    #[error("{0}")]
    BadRequest(String),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A template failed to render.
    #[error("template: {0}")]
    Template(#[from] minijinja::Error),
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let status = match &self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::LoginRequired { next } => {
                let target = format!("/admin/login?next={}", urlencode(next));
                return Redirect::to(&target).into_response();
            }
            Self::MemberLoginRequired { next } => {
                let target = format!("/member/login?next={}", urlencode(next));
                return Redirect::to(&target).into_response();
            }
            Self::Csrf => StatusCode::FORBIDDEN,
            Self::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Store(_) | Self::Template(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let message = if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
            "サーバーでエラーが発生しました。時間をおいて再度お試しください。".to_owned()
        } else {
            self.to_string()
        };
        let page = super::templates::render(
            "error.html",
            minijinja::context! { status => status.as_u16(), message },
        )
        .unwrap_or_else(|e| {
            tracing::error!(error = %e, "error page failed to render");
            message.clone()
        });
        let mut response = (status, Html(page)).into_response();
        if let Self::TooManyAttempts {
            retry_after_seconds,
        } = self
        {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(retry_after_seconds));
        }
        response.extensions_mut().insert(ErrorPage { message });
        response
    }
}

/// What an error page says, attached to the response so a part of the site with its own look
/// (the storefront) can show the same message in its own layout.
#[derive(Clone, Debug)]
pub struct ErrorPage {
    /// The message for the user (never internal details).
    pub message: String,
}

/// Percent-encodes a query value.
pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
