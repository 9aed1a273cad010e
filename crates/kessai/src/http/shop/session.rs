//! The shop session: a random cookie token (`HttpOnly`, `SameSite=Lax`, `Secure` behind an
//! https public URL) naming a `shop_sessions` row, which holds the session's CSRF token, the
//! logged-in member, and [`SessionData`]: the cart, the entered お客様情報, the chosen
//! 発送・支払方法 and a one-time notice.
//!
//! [`layer`] runs in front of every storefront route: it loads the session or starts one,
//! refuses a POST whose `csrf` field does not match, and clears the cart once the order
//! placed from it exists.

use axum::body::{to_bytes, Body};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::header::SET_COOKIE;
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::buyer::Buyer;
use crate::http::admin::auth::{cookie, form_csrf, token_hash};
use crate::http::error::HttpError;
use crate::http::security::CspNonce;
use crate::http::SharedState;
use crate::secrets::random_token;
use crate::store::{NewShopSession, ShopSessionRow, StoreError};

const COOKIE: &str = "kessai_shop";
/// A session lives this long after its last change.
const SESSION_DAYS: i64 = 14;
/// Largest storefront form body.
const MAX_FORM_BYTES: usize = 64 * 1024;

/// What a session remembers between pages.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SessionData {
    /// The cart, in the order the buyer added the products.
    pub cart: Vec<CartItem>,
    /// お客様情報 as validated on the customer step.
    pub customer: Option<Buyer>,
    /// 発送・支払方法 as chosen on the delivery step.
    pub delivery: Option<DeliveryChoice>,
    /// The checkouts started from this cart (「上記内容で注文する」 pressed again after going
    /// back starts another); the cart is emptied once any of them became an order.
    pub pending_link_keys: Vec<String>,
    /// The request of the latest checkout started, so pressing 「上記内容で注文する」 again for
    /// the same order (after the back button) goes back to that checkout instead of starting
    /// a second payable one.
    pub last_request: Option<String>,
    /// Messages for the next page (Post/Redirect/Get), shown once.
    pub notices: Vec<String>,
}

/// A cart line: the product by code, and the price the buyer last saw for it (the catalog's
/// price is read again before the order; a change is reported, never charged silently).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CartItem {
    pub code: String,
    pub quantity: i64,
    pub price: i64,
}

/// 発送・支払方法 as the buyer chose them.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct DeliveryChoice {
    pub delivery_method_id: i64,
    /// `YYYY-MM-DD`, or empty for 指定しない.
    pub delivery_date: String,
    /// A time slot, or empty for 指定しない.
    pub delivery_time: String,
    pub payment_method_id: i64,
    /// 備考
    pub note: String,
}

impl SessionData {
    /// Number of items in the cart (the header shows it).
    pub fn cart_count(&self) -> i64 {
        self.cart.iter().map(|i| i.quantity).sum()
    }

    /// Forgets the cart and what was entered for it (after the order exists).
    pub fn clear_order(&mut self) {
        self.cart.clear();
        self.customer = None;
        self.delivery = None;
        self.pending_link_keys.clear();
        self.last_request = None;
    }
}

/// The buyer's session, available to every storefront handler.
#[derive(Clone, Debug)]
pub struct ShopSession {
    token_hash: String,
    /// The CSRF token every storefront form carries.
    pub csrf: String,
    /// The logged-in member.
    pub member_id: Option<i64>,
    pub data: SessionData,
    /// The nonce of this response's scripts (not stored).
    pub csp_nonce: CspNonce,
}

impl ShopSession {
    fn from_row(row: ShopSessionRow, csp_nonce: CspNonce) -> Self {
        // Data a newer or older version wrote and this one cannot read starts afresh rather
        // than locking the buyer out of the shop.
        let data = serde_json::from_str(&row.data_json).unwrap_or_default();
        Self {
            token_hash: row.token_hash,
            csrf: row.csrf_token,
            member_id: row.member_id,
            data,
            csp_nonce,
        }
    }

    fn expiry(state: &SharedState) -> DateTime<Utc> {
        state.clock.now() + Duration::days(SESSION_DAYS)
    }

    /// Saves the member and the data (and moves the expiry).
    pub async fn save(&self, state: &SharedState) -> Result<(), StoreError> {
        let json = serde_json::to_string(&self.data).expect("session data serializes");
        state
            .store
            .save_shop_session(&self.token_hash, self.member_id, &json, Self::expiry(state))
            .await
    }

    /// Adds a message for the next page and saves.
    pub async fn notify(&mut self, state: &SharedState, message: &str) -> Result<(), StoreError> {
        self.data.notices.push(message.to_owned());
        self.save(state).await
    }

    /// Takes the pending messages, saving the session when there were any.
    pub async fn take_notices(&mut self, state: &SharedState) -> Result<Vec<String>, StoreError> {
        let notices = std::mem::take(&mut self.data.notices);
        if !notices.is_empty() {
            self.save(state).await?;
        }
        Ok(notices)
    }

    /// Replaces this session by a new one under a new token, with `member_id` and `data`
    /// (login keeps the cart, logout and withdrawal start afresh). Returns the cookie the
    /// response must set.
    pub async fn rotate(
        &mut self,
        state: &SharedState,
        member_id: Option<i64>,
        data: SessionData,
    ) -> Result<HeaderValue, StoreError> {
        let token = random_token(32);
        let csrf = random_token(24);
        let hash = token_hash(&token);
        let json = serde_json::to_string(&data).expect("session data serializes");
        state
            .store
            .replace_shop_session(
                &self.token_hash,
                &NewShopSession {
                    token_hash: &hash,
                    csrf_token: &csrf,
                    member_id,
                    data_json: &json,
                    expires_at: Self::expiry(state),
                },
                state.clock.now(),
            )
            .await?;
        *self = Self {
            token_hash: hash,
            csrf,
            member_id,
            data,
            csp_nonce: self.csp_nonce.clone(),
        };
        Ok(session_cookie(&token))
    }
}

fn session_cookie(token: &str) -> HeaderValue {
    let max_age = SESSION_DAYS * 24 * 3600;
    format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}")
        .parse()
        .expect("a token is a valid header value")
}

impl<S: Send + Sync> FromRequestParts<S> for ShopSession {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<ShopSession>()
            .cloned()
            .ok_or_else(|| HttpError::BadRequest("セッションがありません".into()))
    }
}

/// Loads (or starts) the session of every storefront request and checks CSRF on POSTs.
pub async fn layer(
    State(state): State<SharedState>,
    mut request: Request,
    next: Next,
) -> Result<Response, HttpError> {
    let now = state.clock.now();
    let found = match cookie(request.headers(), COOKIE) {
        Some(token) => state.store.shop_session(&token_hash(token), now).await?,
        None => None,
    };
    let csp_nonce = CspNonce::of(request.extensions());
    let (mut session, new_token) = match found {
        Some(row) => (ShopSession::from_row(row, csp_nonce), None),
        None => {
            if request.method() == Method::POST {
                // A form from a session that expired (or never existed) cannot be trusted.
                return Err(HttpError::Csrf);
            }
            let token = random_token(32);
            let session = ShopSession {
                token_hash: token_hash(&token),
                csrf: random_token(24),
                member_id: None,
                data: SessionData::default(),
                csp_nonce,
            };
            let json = serde_json::to_string(&session.data).expect("session data serializes");
            state
                .store
                .create_shop_session(
                    &NewShopSession {
                        token_hash: &session.token_hash,
                        csrf_token: &session.csrf,
                        member_id: None,
                        data_json: &json,
                        expires_at: ShopSession::expiry(&state),
                    },
                    now,
                )
                .await?;
            (session, Some(token))
        }
    };
    if request.method() == Method::POST {
        let (parts, body) = request.into_parts();
        let bytes = to_bytes(body, MAX_FORM_BYTES)
            .await
            .map_err(|_| HttpError::BadRequest("送信されたデータが大きすぎます".into()))?;
        if form_csrf(&parts.headers, &bytes).await.as_deref() != Some(session.csrf.as_str()) {
            tracing::warn!(
                path = %parts.uri.path(),
                "storefront POST with a missing or wrong CSRF token refused"
            );
            return Err(HttpError::Csrf);
        }
        request = Request::from_parts(parts, Body::from(bytes));
    }
    settle_pending_order(&state, &mut session).await?;
    request.extensions_mut().insert(session);
    let mut response = next.run(request).await;
    if let Some(token) = new_token {
        response
            .headers_mut()
            .append(SET_COOKIE, session_cookie(&token));
    }
    Ok(response)
}

/// Empties the cart once a checkout started from it has become an order (by the browser's
/// return or the provider's notification, whichever came first).
async fn settle_pending_order(
    state: &SharedState,
    session: &mut ShopSession,
) -> Result<(), StoreError> {
    let mut still_pending = Vec::new();
    for link_key in &session.data.pending_link_keys {
        match state.store.prepayment_log(link_key).await? {
            Some(log) if log.order_id.is_none() => still_pending.push(link_key.clone()),
            Some(_) => {
                session.data.clear_order();
                return session.save(state).await;
            }
            // The operator deleted the log: nothing is pending there any more.
            None => {}
        }
    }
    if still_pending.len() == session.data.pending_link_keys.len() {
        return Ok(());
    }
    session.data.pending_link_keys = still_pending;
    session.save(state).await
}
