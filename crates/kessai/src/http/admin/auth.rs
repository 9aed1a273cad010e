//! Admin login, sessions and CSRF protection.
//!
//! A session is a random cookie token (`HttpOnly`, `SameSite=Lax`); the database keeps only
//! its SHA-256 hash plus the session's CSRF token. [`guard`] runs in front of every admin
//! route: it loads the session (or sends the browser to the login page) and refuses any
//! POST whose `csrf` form field — urlencoded or multipart — does not match. The login form,
//! which has no session yet, uses a double-submit cookie instead. Failed logins are counted
//! per login name and per client; after too many the login is refused for a while.

use std::net::SocketAddr;

use axum::body::{to_bytes, Body};
use axum::extract::{
    ConnectInfo, FromRequest, FromRequestParts, OriginalUri, Query, Request, State,
};
use axum::http::header::{CONTENT_TYPE, COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use chrono::Duration;
use minijinja::context;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::http::error::HttpError;
use crate::http::security::CspNonce;
use crate::http::{templates, SharedState};
pub use crate::secrets::hash_password;
use crate::secrets::{random_token, verify_password, DUMMY_PASSWORD_HASH as DUMMY_HASH};
use crate::store::AdminSession;

const SESSION_COOKIE: &str = "kessai_admin";
const LOGIN_CSRF_COOKIE: &str = "kessai_login_csrf";
/// How long a session lasts.
const SESSION_HOURS: i64 = 12;
/// Failed logins allowed within [`LOCKOUT_MINUTES`] per login name or client.
const MAX_FAILED_LOGINS: i64 = 5;
const LOCKOUT_MINUTES: i64 = 15;
/// Largest admin form body (certificate uploads included).
pub const MAX_FORM_BYTES: usize = 4 * 1024 * 1024;

/// The SHA-256 (hex) a session cookie token is stored as.
pub(crate) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Reads a cookie from the request headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn set_cookie(name: &str, value: &str, max_age_seconds: i64) -> String {
    format!("{name}={value}; Path=/admin; HttpOnly; SameSite=Lax; Max-Age={max_age_seconds}")
}

/// The logged-in operator, available to every admin handler, with the response's script
/// nonce for the page's layout.
#[derive(Clone, Debug)]
pub struct Admin(pub AdminSession, pub PaymentErrors, pub CspNonce);

/// How many payment errors the operator has not confirmed (every admin page but the error
/// log itself then shows the manual's banner until they are confirmed or deleted).
#[derive(Clone, Copy, Debug, Default)]
pub struct PaymentErrors(pub i64);

impl Admin {
    /// The operator's login name (for the audit log).
    pub fn login(&self) -> &str {
        &self.0.login
    }

    /// How many payment errors are not confirmed yet.
    pub fn payment_errors(&self) -> i64 {
        self.1 .0
    }

    /// The CSRF token every form of this session must carry.
    pub fn csrf(&self) -> &str {
        &self.0.csrf_token
    }

    /// The nonce of this response's scripts.
    pub fn csp_nonce(&self) -> &str {
        self.2.as_str()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Admin {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Admin>()
            .cloned()
            .ok_or_else(|| HttpError::LoginRequired {
                next: original_path(&parts.uri, &parts.extensions),
            })
    }
}

/// The request path as the browser sent it (nested routers see only the inner part).
fn original_path(uri: &axum::http::Uri, extensions: &axum::http::Extensions) -> String {
    extensions
        .get::<OriginalUri>()
        .map(|o| o.0.path())
        .unwrap_or(uri.path())
        .to_owned()
}

/// Authenticates every admin request except the login page, and checks CSRF on POSTs.
pub async fn guard(
    State(state): State<SharedState>,
    mut request: Request,
    next: Next,
) -> Result<Response, HttpError> {
    let path = original_path(request.uri(), request.extensions());
    if path == "/admin/login" {
        return Ok(next.run(request).await);
    }
    let session = match cookie(request.headers(), SESSION_COOKIE) {
        Some(token) => {
            state
                .store
                .session(&token_hash(token), state.clock.now())
                .await?
        }
        None => None,
    };
    let Some(session) = session else {
        return Err(HttpError::LoginRequired { next: path });
    };
    if request.method() == Method::POST {
        let (parts, body) = request.into_parts();
        let bytes = to_bytes(body, MAX_FORM_BYTES)
            .await
            .map_err(|_| HttpError::BadRequest("送信されたデータが大きすぎます".into()))?;
        let submitted = form_csrf(&parts.headers, &bytes).await;
        if submitted.as_deref() != Some(session.csrf_token.as_str()) {
            tracing::warn!(
                path,
                "admin POST with a missing or wrong CSRF token refused"
            );
            return Err(HttpError::Csrf);
        }
        request = Request::from_parts(parts, Body::from(bytes));
    }
    let errors = if request.method() == axum::http::Method::GET {
        state.store.unconfirmed_payment_error_count().await?
    } else {
        0
    };
    let nonce = CspNonce::of(request.extensions());
    request
        .extensions_mut()
        .insert(Admin(session, PaymentErrors(errors), nonce));
    Ok(next.run(request).await)
}

/// Marks every cookie the admin sets `Secure` when the server's public URL is https (behind
/// a TLS-terminating proxy the request itself does not tell).
pub async fn secure_cookies(State(state): State<SharedState>, mut response: Response) -> Response {
    if state.config.public_url.starts_with("https://") {
        let all: Vec<String> = response
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect();
        response.headers_mut().remove(SET_COOKIE);
        for cookie in all {
            if let Ok(value) = format!("{cookie}; Secure").parse() {
                response.headers_mut().append(SET_COOKIE, value);
            }
        }
    }
    response
}

/// The `csrf` field of a urlencoded or multipart form body.
pub(crate) async fn form_csrf(headers: &HeaderMap, body: &axum::body::Bytes) -> Option<String> {
    let content_type = headers.get(CONTENT_TYPE)?.to_str().ok()?;
    if content_type.starts_with("application/x-www-form-urlencoded") {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).ok()?;
        return pairs.into_iter().find(|(k, _)| k == "csrf").map(|(_, v)| v);
    }
    if content_type.starts_with("multipart/form-data") {
        let request = Request::builder()
            .header(CONTENT_TYPE, content_type)
            .body(Body::from(body.clone()))
            .ok()?;
        let mut multipart = axum::extract::Multipart::from_request(request, &())
            .await
            .ok()?;
        while let Ok(Some(field)) = multipart.next_field().await {
            if field.name() == Some("csrf") {
                return field.text().await.ok();
            }
        }
    }
    None
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

/// Only local admin paths may be returned to after login.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with("/admin") && !n.starts_with("//") && !n.contains("://") => {
            n.to_owned()
        }
        _ => "/admin".to_owned(),
    }
}

fn login_page(
    status: StatusCode,
    csrf: &str,
    next: &str,
    login: &str,
    error: Option<&str>,
) -> Result<Response, HttpError> {
    let html = templates::render("login.html", context! { csrf, next, login, error })?;
    Ok((
        status,
        [(SET_COOKIE, set_cookie(LOGIN_CSRF_COOKIE, csrf, 3600))],
        Html(html),
    )
        .into_response())
}

/// GET /admin/login
pub async fn login_form(Query(query): Query<LoginQuery>) -> Result<Response, HttpError> {
    login_page(
        StatusCode::OK,
        &random_token(24),
        &safe_next(query.next.as_deref()),
        "",
        None,
    )
}

#[derive(Deserialize)]
pub struct LoginForm {
    login: String,
    password: String,
    csrf: String,
    next: Option<String>,
}

/// POST /admin/login
pub async fn login(
    State(state): State<SharedState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, HttpError> {
    let next = safe_next(form.next.as_deref());
    if cookie(&headers, LOGIN_CSRF_COOKIE) != Some(form.csrf.as_str()) || form.csrf.is_empty() {
        return Err(HttpError::Csrf);
    }
    let now = state.clock.now();
    let client = client.ip().to_string();
    let login = form.login.trim();
    let recent = state
        .store
        .failed_logins_since(login, &client, now - Duration::minutes(LOCKOUT_MINUTES))
        .await?;
    if recent >= MAX_FAILED_LOGINS {
        tracing::warn!(login, client, "login refused: too many failed attempts");
        // The oldest failure counted leaves the window within this time.
        return Err(HttpError::TooManyAttempts {
            retry_after_seconds: LOCKOUT_MINUTES * 60,
        });
    }
    let user = state.store.admin_by_login(login).await?;
    let verified = match &user {
        Some(u) => verify_password(&form.password, &u.password_hash),
        None => {
            // Spend the same time as a real check so unknown logins cannot be told apart.
            let _ = verify_password(&form.password, DUMMY_HASH);
            false
        }
    };
    let Some(user) = user.filter(|_| verified) else {
        state.store.record_failed_login(login, &client, now).await?;
        tracing::info!(login, client, "failed admin login");
        let csrf = random_token(24);
        return login_page(
            StatusCode::UNAUTHORIZED,
            &csrf,
            &next,
            login,
            Some("ログインIDまたはパスワードが正しくありません。"),
        );
    };
    state.store.clear_failed_logins(login).await?;
    let token = random_token(32);
    let csrf = random_token(24);
    state
        .store
        .create_session(
            &token_hash(&token),
            user.id,
            &csrf,
            now,
            now + Duration::hours(SESSION_HOURS),
        )
        .await?;
    state
        .store
        .audit(
            &user.login,
            "ログイン",
            "admin",
            &format!("client {client}"),
            now,
        )
        .await?;
    let cookies = axum::response::AppendHeaders([
        (
            SET_COOKIE,
            set_cookie(SESSION_COOKIE, &token, SESSION_HOURS * 3600),
        ),
        (SET_COOKIE, set_cookie(LOGIN_CSRF_COOKIE, "", 0)),
    ]);
    Ok((cookies, Redirect::to(&next)).into_response())
}

/// POST /admin/logout
pub async fn logout(
    State(state): State<SharedState>,
    admin: Admin,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        state.store.delete_session(&token_hash(token)).await?;
    }
    state
        .store
        .audit(admin.login(), "ログアウト", "admin", "", state.clock.now())
        .await?;
    Ok((
        [(SET_COOKIE, set_cookie(SESSION_COOKIE, "", 0))],
        Redirect::to("/admin/login"),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_against_their_hash() {
        let hash = hash_password("correct horse").unwrap();
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("wrong", &hash));
        assert!(!verify_password("anything", "not a hash"));
    }

    #[test]
    fn login_redirects_stay_inside_the_admin() {
        assert_eq!(safe_next(Some("/admin/shop")), "/admin/shop");
        assert_eq!(safe_next(Some("https://evil.example/admin")), "/admin");
        assert_eq!(safe_next(Some("//evil.example")), "/admin");
        assert_eq!(safe_next(None), "/admin");
    }

    #[test]
    fn cookies_are_found_among_several() {
        let mut h = HeaderMap::new();
        h.insert(COOKIE, "a=1; kessai_admin=tok; b=2".parse().unwrap());
        assert_eq!(cookie(&h, "kessai_admin"), Some("tok"));
        assert_eq!(cookie(&h, "c"), None);
    }
}
