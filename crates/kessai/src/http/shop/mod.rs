//! The storefront: what a buyer sees before the hand-off to the provider. 商品一覧 (`/`),
//! 商品詳細 (`/item/{code}`), the cart and the checkout steps under `/cart` (カート,
//! お客様情報, 発送・支払方法, 内容確認, 注文), and the member pages under `/member`
//! (新規会員登録, ログイン, マイページ, 会員情報編集, クレジットカード登録, 退会).
//!
//! Server-rendered and usable without JavaScript; only the card forms need the provider's
//! token script. Every page runs inside the shop session ([`session`]), whose CSRF token every
//! form carries; forms succeed with Post/Redirect/Get and a one-time notice, or re-render
//! with the input kept and each wrong field named. The order itself is started by
//! [`crate::checkout::start`] and paid on the hand-off pages under `/checkout`.

mod cart;
mod member;
mod member_card;
pub mod session;

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use minijinja::{context, Value};

use super::error::{ErrorPage, HttpError};
use super::{templates, SharedState};
use session::ShopSession;

/// The storefront routes (mounted at the root).
pub fn router(state: SharedState) -> Router<SharedState> {
    Router::new()
        .route("/", get(products))
        .route("/item/{code}", get(item))
        .route("/cart", get(cart::show).post(cart::update))
        .route("/cart/add", post(cart::add))
        .route(
            "/cart/customer",
            get(cart::customer).post(cart::save_customer),
        )
        .route(
            "/cart/delivery",
            get(cart::delivery).post(cart::save_delivery),
        )
        .route("/cart/confirm", get(cart::confirm))
        .route("/cart/order", post(cart::order))
        .route("/member", get(member::home))
        .route("/member/login", get(member::login_form).post(member::login))
        .route("/member/logout", post(member::logout))
        .route(
            "/member/register",
            get(member::register_form).post(member::register),
        )
        .route("/member/edit", get(member::edit_form).post(member::edit))
        .route(
            "/member/card",
            get(member_card::card_form).post(member_card::save_card),
        )
        .route("/member/card/delete", post(member_card::delete_card))
        .route(
            "/member/withdraw",
            get(member::withdraw_form).post(member::withdraw),
        )
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            session::layer,
        ))
        // Posted by a provider's own card page, without the shop's cookie or CSRF token:
        // outside the session layer, its sealed token names the member.
        .route("/member/card/return", post(member_card::card_return))
        .layer(axum::middleware::map_response_with_state(
            state.clone(),
            shop_error_page,
        ))
        .layer(axum::middleware::map_response_with_state(
            state,
            super::admin::auth::secure_cookies,
        ))
}

/// The shop's name for page titles and the header.
pub(crate) async fn shop_name(state: &SharedState) -> Result<String, HttpError> {
    let name = state.settings.shop().await?.shop_name;
    Ok(if name.is_empty() {
        "kessai".to_owned()
    } else {
        name
    })
}

/// Renders a storefront page inside the shop layout: the header (cart count, login or
/// マイページ), the session's CSRF token for every form, and a pending notice shown once.
pub(crate) async fn page(
    state: &SharedState,
    session: &mut ShopSession,
    status: StatusCode,
    template: &str,
    title: &str,
    ctx: Value,
) -> Result<Response, HttpError> {
    let member_name = match session.member_id {
        Some(id) => state
            .store
            .member(id)
            .await?
            .filter(|m| m.withdrawn_at.is_none())
            .map(|m| format!("{} {}", m.buyer.family_name, m.buyer.given_name)),
        None => None,
    };
    let notices = session.take_notices(state).await?;
    let html = templates::render(
        template,
        context! {
            title,
            shop_name => shop_name(state).await?,
            csrf => session.csrf.clone(),
            csp_nonce => session.csp_nonce.as_str(),
            member_name,
            cart_count => session.data.cart_count(),
            notices,
            ..ctx
        },
    )?;
    Ok((status, Html(html)).into_response())
}

/// A redirect that also sets a cookie (after the session was rotated).
pub(crate) fn redirect_setting(to: &str, cookie: HeaderValue) -> Response {
    let mut response = axum::response::Redirect::to(to).into_response();
    response
        .headers_mut()
        .append(axum::http::header::SET_COOKIE, cookie);
    response
}

/// Shows an error of a storefront route in the storefront's own layout.
async fn shop_error_page(State(state): State<SharedState>, response: Response) -> Response {
    let Some(ErrorPage { message }) = response.extensions().get::<ErrorPage>().cloned() else {
        return response;
    };
    let status = response.status();
    let name = shop_name(&state)
        .await
        .unwrap_or_else(|_| "kessai".to_owned());
    match templates::render(
        "shop_error.html",
        context! { title => "エラー", shop_name => name, message },
    ) {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "storefront error page failed to render");
            response
        }
    }
}

/// GET /: 商品一覧, the products on sale.
async fn products(
    State(state): State<SharedState>,
    mut session: ShopSession,
) -> Result<Response, HttpError> {
    let products: Vec<_> = state
        .store
        .products()
        .await?
        .into_iter()
        .filter(|p| p.active)
        .collect();
    page(
        &state,
        &mut session,
        StatusCode::OK,
        "shop_products.html",
        "商品一覧",
        context! { products },
    )
    .await
}

/// GET /item/{code}: 商品詳細 with the quantity and カートに入れる.
async fn item(
    State(state): State<SharedState>,
    mut session: ShopSession,
    Path(code): Path<String>,
) -> Result<Response, HttpError> {
    let product = state
        .store
        .product(&code)
        .await?
        .filter(|p| p.active)
        .ok_or(HttpError::NotFound)?;
    let title = product.name.clone();
    page(
        &state,
        &mut session,
        StatusCode::OK,
        "shop_item.html",
        &title,
        context! { product, quantity => "1", error => None::<String> },
    )
    .await
}
