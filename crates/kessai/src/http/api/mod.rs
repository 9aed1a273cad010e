//! The JSON API for headless shops, under `/api`: checkouts (start, receive the hand-off,
//! submit the in-site result, read), orders with their payment and history, and the payment operations. Every
//! `/api/v1` route needs `Authorization: Bearer <key>` ([`auth`]); every POST needs an
//! `Idempotency-Key` ([`idempotency`]); every failure answers in one format ([`error`]).
//! `/api/openapi.json` describes it all.
//!
//! The routes are one table ([`routes`]) the router is built from, so a test can check the
//! OpenAPI document against exactly what is served.

pub mod auth;
mod checkouts;
pub mod error;
pub mod extract;
pub mod idempotency;
pub mod keys;
mod orders;

use axum::handler::Handler;
use axum::http::header::CONTENT_TYPE;
use axum::http::Method;
use axum::response::IntoResponse;
use axum::routing::{get, on, MethodFilter, MethodRouter};
use axum::Router;

use self::error::ApiError;
use crate::http::SharedState;

/// Where the versioned API is mounted.
pub const V1: &str = "/api/v1";
/// The OpenAPI document (public, no key).
pub const OPENAPI_PATH: &str = "/api/openapi.json";
const OPENAPI: &str = include_str!("../../../assets/openapi.json");

/// One API route.
pub struct Route {
    pub method: Method,
    /// The path under [`V1`], with `{param}` placeholders.
    pub path: &'static str,
    handler: MethodRouter<SharedState>,
}

fn route<H, T>(method: Method, path: &'static str, handler: H) -> Route
where
    H: Handler<T, SharedState>,
    T: 'static,
{
    let filter = MethodFilter::try_from(method.clone()).expect("a routable method");
    Route {
        method,
        path,
        handler: on(filter, handler),
    }
}

/// Every `/api/v1` route.
pub fn routes() -> Vec<Route> {
    vec![
        route(Method::POST, "/checkouts", checkouts::create),
        route(Method::GET, "/checkouts/{link_key}", checkouts::show),
        route(
            Method::POST,
            "/checkouts/{link_key}/submit",
            checkouts::submit,
        ),
        route(Method::GET, "/orders/{id}", orders::show),
        route(
            Method::POST,
            "/orders/{id}/payment/capture",
            orders::capture,
        ),
        route(
            Method::POST,
            "/orders/{id}/payment/change_amount",
            orders::change_amount,
        ),
        route(Method::POST, "/orders/{id}/payment/cancel", orders::cancel),
        route(Method::POST, "/orders/{id}/payment/refund", orders::refund),
        route(
            Method::POST,
            "/orders/{id}/payment/refresh",
            orders::refresh,
        ),
    ]
}

/// Every route the API serves, as (method, full path): what the OpenAPI document must list.
pub fn route_table() -> Vec<(Method, String)> {
    let mut table = vec![(Method::GET, OPENAPI_PATH.to_owned())];
    table.extend(
        routes()
            .into_iter()
            .map(|r| (r.method, format!("{V1}{}", r.path))),
    );
    table
}

/// The API routes, to be nested under `/api`.
pub fn router(state: SharedState) -> Router<SharedState> {
    let v1 = routes()
        .into_iter()
        .fold(Router::new(), |router, r| router.route(r.path, r.handler))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            idempotency::guard,
        ))
        .route_layer(axum::middleware::from_fn_with_state(
            state,
            auth::require_key,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(
            idempotency::MAX_BODY_BYTES,
        ))
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .fallback(|| async { ApiError::RouteNotFound });
    Router::new()
        .route("/openapi.json", get(openapi))
        .nest("/v1", v1)
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .fallback(|| async { ApiError::RouteNotFound })
}

async fn openapi() -> impl IntoResponse {
    ([(CONTENT_TYPE, "application/json")], OPENAPI)
}
