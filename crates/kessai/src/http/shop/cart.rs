//! The cart and the checkout steps: カート (`/cart`), お客様情報 (`/cart/customer`),
//! 発送・支払方法 (`/cart/delivery`), 内容確認 (`/cart/confirm`) and 「上記内容で注文する」
//! (`POST /cart/order`), which starts the checkout and hands the buyer to `/checkout/{link_key}`.
//!
//! The cart keeps product codes and the price the buyer last saw. Every page that shows the
//! cart reads the catalog again: a product no longer on sale leaves the cart and a changed
//! price replaces the old one, each with a message; the order is refused while the catalog
//! differs from what the confirmation page showed.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use chrono::NaiveDate;
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::session::{CartItem, DeliveryChoice, SessionData, ShopSession};
use super::{page, SharedState};
use crate::checkout::{self, CartLine, CheckoutError, CheckoutRequest};
use crate::clock::format_date_ja;
use crate::domain::buyer::Buyer;
use crate::domain::input::{self, Invalid, PREFECTURES};
use crate::http::error::HttpError;
use crate::store::{DeliveryMethod, PaymentMethod, Product};

/// Largest quantity of one product (the checkout's own limit).
const MAX_QUANTITY: i64 = 999;

/// A cart line as the pages show it.
#[derive(Clone, Debug, Serialize)]
struct Line {
    code: String,
    name: String,
    price: i64,
    quantity: i64,
    amount: i64,
}

/// Reads the cart against the catalog: a line whose product is gone or no longer on sale is
/// removed, a price that changed replaces the one the buyer saw. Returns a message for each
/// change (empty when the cart is as the buyer last saw it).
fn review(cart: &mut Vec<CartItem>, products: &[Product]) -> Vec<String> {
    let mut changes = Vec::new();
    cart.retain_mut(
        |item| match products.iter().find(|p| p.code == item.code && p.active) {
            None => {
                let name = products
                    .iter()
                    .find(|p| p.code == item.code)
                    .map_or(item.code.as_str(), |p| p.name.as_str());
                changes.push(format!(
                    "「{name}」は現在お買い求めいただけないため、カートから削除しました。"
                ));
                false
            }
            Some(p) => {
                if p.price != item.price {
                    changes.push(format!(
                        "「{}」の価格が{}円から{}円に変更されました。",
                        p.name,
                        crate::domain::money::group_thousands(item.price),
                        crate::domain::money::group_thousands(p.price)
                    ));
                    item.price = p.price;
                }
                true
            }
        },
    );
    changes
}

/// The cart's lines with the catalog's names (after [`review`]).
fn lines(cart: &[CartItem], products: &[Product]) -> Vec<Line> {
    cart.iter()
        .filter_map(|item| {
            let p = products.iter().find(|p| p.code == item.code)?;
            Some(Line {
                code: item.code.clone(),
                name: p.name.clone(),
                price: item.price,
                quantity: item.quantity,
                amount: item.price * item.quantity,
            })
        })
        .collect()
}

/// Reviews the session's cart against the catalog, saving it when something changed.
async fn reviewed(
    state: &SharedState,
    session: &mut ShopSession,
) -> Result<(Vec<Line>, Vec<String>), HttpError> {
    let products = state.store.products().await?;
    let changes = review(&mut session.data.cart, &products);
    if !changes.is_empty() {
        session.save(state).await?;
    }
    Ok((lines(&session.data.cart, &products), changes))
}

fn quantity(field: &str, name: &str, value: &str) -> Result<i64, Invalid> {
    value
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|q| (1..=MAX_QUANTITY).contains(q))
        .ok_or_else(|| {
            Invalid::new(
                field,
                format!("「{name}」の数量は1から{MAX_QUANTITY}までの半角数字で入力してください"),
            )
        })
}

/// カートに入れる.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AddForm {
    code: String,
    quantity: String,
}

/// POST /cart/add
pub async fn add(
    State(state): State<SharedState>,
    mut session: ShopSession,
    Form(form): Form<AddForm>,
) -> Result<Response, HttpError> {
    let product = state
        .store
        .product(&form.code)
        .await?
        .filter(|p| p.active)
        .ok_or(HttpError::NotFound)?;
    let in_cart = session
        .data
        .cart
        .iter()
        .find(|i| i.code == product.code)
        .map_or(0, |i| i.quantity);
    let added = quantity("quantity", &product.name, &form.quantity).and_then(|q| {
        if in_cart + q > MAX_QUANTITY {
            Err(Invalid::new(
                "quantity",
                format!(
                    "「{}」はカートに{in_cart}個入っています。合計{MAX_QUANTITY}個までお買い求めいただけます",
                    product.name
                ),
            ))
        } else {
            Ok(q)
        }
    });
    let q = match added {
        Ok(q) => q,
        Err(e) => {
            let title = product.name.clone();
            return page(
                &state,
                &mut session,
                StatusCode::UNPROCESSABLE_ENTITY,
                "shop_item.html",
                &title,
                context! { product, quantity => form.quantity, error => e.message },
            )
            .await;
        }
    };
    match session
        .data
        .cart
        .iter_mut()
        .find(|i| i.code == product.code)
    {
        Some(item) => {
            item.quantity += q;
            item.price = product.price;
        }
        None => session.data.cart.push(CartItem {
            code: product.code.clone(),
            quantity: q,
            price: product.price,
        }),
    }
    session
        .notify(
            &state,
            &format!("「{}」をカートに入れました。", product.name),
        )
        .await?;
    Ok(Redirect::to("/cart").into_response())
}

async fn render_cart(
    state: &SharedState,
    session: &mut ShopSession,
    status: StatusCode,
    entered: Option<&[(String, String)]>,
    errors: Vec<Invalid>,
) -> Result<Response, HttpError> {
    let (lines, changes) = reviewed(state, session).await?;
    let total: i64 = lines.iter().map(|l| l.amount).sum();
    // The quantities as the buyer typed them when the form comes back with errors.
    let quantities: std::collections::BTreeMap<String, String> = lines
        .iter()
        .map(|l| {
            let typed = entered
                .and_then(|e| {
                    e.iter()
                        .find(|(k, _)| *k == format!("quantity[{}]", l.code))
                })
                .map(|(_, v)| v.clone());
            (
                l.code.clone(),
                typed.unwrap_or_else(|| l.quantity.to_string()),
            )
        })
        .collect();
    page(
        state,
        session,
        status,
        "shop_cart.html",
        "カート",
        context! { lines, quantities, total, changes, errors },
    )
    .await
}

/// GET /cart
pub async fn show(
    State(state): State<SharedState>,
    mut session: ShopSession,
) -> Result<Response, HttpError> {
    render_cart(&state, &mut session, StatusCode::OK, None, Vec::new()).await
}

/// POST /cart: 数量更新, 削除 (`delete` = the product code) or 次へ (`next`), all from the
/// one cart form so changed quantities are never lost.
pub async fn update(
    State(state): State<SharedState>,
    mut session: ShopSession,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, HttpError> {
    let get = |key: &str| {
        fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    if let Some(code) = get("delete") {
        session.data.cart.retain(|i| i.code != code);
        session
            .notify(&state, "商品をカートから削除しました。")
            .await?;
        return Ok(Redirect::to("/cart").into_response());
    }
    let products = state.store.products().await?;
    let mut errors = Vec::new();
    let mut updated = session.data.cart.clone();
    for item in &mut updated {
        let Some(value) = get(&format!("quantity[{}]", item.code)) else {
            continue;
        };
        let name = products
            .iter()
            .find(|p| p.code == item.code)
            .map_or(item.code.as_str(), |p| p.name.as_str());
        match quantity(&format!("quantity[{}]", item.code), name, value) {
            Ok(q) => item.quantity = q,
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return render_cart(
            &state,
            &mut session,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(&fields),
            errors,
        )
        .await;
    }
    session.data.cart = updated;
    if get("next").is_some() {
        session.save(&state).await?;
        return Ok(Redirect::to("/cart/customer").into_response());
    }
    session.notify(&state, "数量を更新しました。").await?;
    Ok(Redirect::to("/cart").into_response())
}

/// The お客様情報 form: the buyer's details and the e-mail address again.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct CustomerForm {
    #[serde(flatten)]
    customer: Buyer,
    email_confirm: String,
}

/// Where a buyer who skipped a step goes.
fn missing_step(data: &SessionData) -> Option<&'static str> {
    if data.cart.is_empty() {
        Some("/cart")
    } else if data.customer.is_none() {
        Some("/cart/customer")
    } else if data.delivery.is_none() {
        Some("/cart/delivery")
    } else {
        None
    }
}

async fn render_customer(
    state: &SharedState,
    session: &mut ShopSession,
    status: StatusCode,
    form: CustomerForm,
    errors: Vec<Invalid>,
) -> Result<Response, HttpError> {
    page(
        state,
        session,
        status,
        "shop_customer.html",
        "お客様情報",
        context! { form, errors, prefectures => &PREFECTURES[..] },
    )
    .await
}

/// GET /cart/customer: the details entered before, else the member's, else empty.
pub async fn customer(
    State(state): State<SharedState>,
    mut session: ShopSession,
) -> Result<Response, HttpError> {
    if session.data.cart.is_empty() {
        return Ok(Redirect::to("/cart").into_response());
    }
    let known = match (&session.data.customer, session.member_id) {
        (Some(c), _) => Some(c.clone()),
        (None, Some(id)) => state
            .store
            .member(id)
            .await?
            .map(|m| crate::members::MemberForm::of(&m).customer),
        (None, None) => None,
    };
    let form = known
        .map(|customer| CustomerForm {
            email_confirm: customer.email.clone(),
            customer,
        })
        .unwrap_or_default();
    render_customer(&state, &mut session, StatusCode::OK, form, Vec::new()).await
}

/// POST /cart/customer
pub async fn save_customer(
    State(state): State<SharedState>,
    mut session: ShopSession,
    Form(form): Form<CustomerForm>,
) -> Result<Response, HttpError> {
    let mut errors = Vec::new();
    let parsed = form.customer.parse("").map_err(|e| errors.extend(e)).ok();
    if form.email_confirm.trim() != form.customer.email.trim() {
        errors.push(Invalid::new(
            "email_confirm",
            "メールアドレス（確認用）がメールアドレスと一致しません",
        ));
    }
    match parsed {
        Some(customer) if errors.is_empty() => {
            session.data.customer = Some(customer);
            session.save(&state).await?;
            Ok(Redirect::to("/cart/delivery").into_response())
        }
        _ => {
            render_customer(
                &state,
                &mut session,
                StatusCode::UNPROCESSABLE_ENTITY,
                form,
                errors,
            )
            .await
        }
    }
}

/// A delivery method as the 発送・支払方法 page offers it.
#[derive(Serialize)]
struct DeliveryOption {
    id: i64,
    name: String,
    /// (`YYYY-MM-DD`, 「1月12日(月)」)
    dates: Vec<(String, String)>,
    times: Vec<String>,
}

fn order_date(state: &SharedState) -> NaiveDate {
    state
        .clock
        .now()
        .with_timezone(&crate::clock::jst())
        .date_naive()
}

fn delivery_option(d: &DeliveryMethod, today: NaiveDate) -> DeliveryOption {
    DeliveryOption {
        id: d.id,
        name: d.name.clone(),
        dates: d
            .date_choices(today)
            .into_iter()
            .map(|date| (date.to_string(), format_date_ja(date)))
            .collect(),
        times: d.time_slot_list().into_iter().map(str::to_owned).collect(),
    }
}

async fn active_payment_methods(state: &SharedState) -> Result<Vec<PaymentMethod>, HttpError> {
    Ok(checkout::offered_methods(&state.payments).await?)
}

async fn render_delivery(
    state: &SharedState,
    session: &mut ShopSession,
    status: StatusCode,
    choice: DeliveryChoice,
    errors: Vec<Invalid>,
) -> Result<Response, HttpError> {
    let today = order_date(state);
    let methods: Vec<DeliveryOption> = state
        .store
        .delivery_methods()
        .await?
        .iter()
        .map(|d| delivery_option(d, today))
        .collect();
    let payment_methods = active_payment_methods(state).await?;
    page(
        state,
        session,
        status,
        "shop_delivery.html",
        "発送・支払方法",
        context! { methods, payment_methods, choice, errors },
    )
    .await
}

/// GET /cart/delivery
pub async fn delivery(
    State(state): State<SharedState>,
    mut session: ShopSession,
) -> Result<Response, HttpError> {
    if let Some(step @ ("/cart" | "/cart/customer")) = missing_step(&session.data) {
        return Ok(Redirect::to(step).into_response());
    }
    let choice = match &session.data.delivery {
        Some(c) => c.clone(),
        None => DeliveryChoice {
            delivery_method_id: state
                .store
                .delivery_methods()
                .await?
                .first()
                .map_or(0, |d| d.id),
            payment_method_id: active_payment_methods(&state)
                .await?
                .first()
                .map_or(0, |m| m.id),
            ..DeliveryChoice::default()
        },
    };
    render_delivery(&state, &mut session, StatusCode::OK, choice, Vec::new()).await
}

/// POST /cart/delivery: the delivery method with its own date and time fields
/// (`delivery_date_{id}`, `delivery_time_{id}`, so the page works without a script), the
/// payment method and 備考.
pub async fn save_delivery(
    State(state): State<SharedState>,
    mut session: ShopSession,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, HttpError> {
    let get = |key: &str| {
        fields
            .iter()
            .find(|(k, _)| k == key)
            .map_or("", |(_, v)| v.as_str())
    };
    let delivery_method_id = get("delivery_method_id").parse().unwrap_or(0);
    let mut choice = DeliveryChoice {
        delivery_method_id,
        delivery_date: get(&format!("delivery_date_{delivery_method_id}")).to_owned(),
        delivery_time: get(&format!("delivery_time_{delivery_method_id}")).to_owned(),
        payment_method_id: get("payment_method_id").parse().unwrap_or(0),
        note: get("note").to_owned(),
    };
    let mut errors = Vec::new();
    match state.store.delivery_method(delivery_method_id).await? {
        None => errors.push(Invalid::new(
            "delivery_method_id",
            "配送方法を選択してください",
        )),
        Some(d) => match checkout::delivery_choice(
            &d,
            order_date(&state),
            &choice.delivery_date,
            &choice.delivery_time,
        ) {
            Ok((date, time)) => {
                choice.delivery_date = date.map(|d| d.to_string()).unwrap_or_default();
                choice.delivery_time = time;
            }
            Err(e) => errors.extend(e),
        },
    }
    let payment_active = active_payment_methods(&state)
        .await?
        .iter()
        .any(|m| m.id == choice.payment_method_id);
    if !payment_active {
        errors.push(Invalid::new(
            "payment_method_id",
            "支払方法を選択してください",
        ));
    }
    if !choice.note.trim().is_empty() {
        match input::text("note", "備考", &choice.note, 1000) {
            Ok(note) => choice.note = note,
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return render_delivery(
            &state,
            &mut session,
            StatusCode::UNPROCESSABLE_ENTITY,
            choice,
            errors,
        )
        .await;
    }
    session.data.delivery = Some(choice);
    session.save(&state).await?;
    Ok(Redirect::to("/cart/confirm").into_response())
}

/// The checkout the session's cart and choices make.
fn checkout_request(session: &ShopSession) -> Option<CheckoutRequest> {
    let data = &session.data;
    let (Some(customer), Some(delivery)) = (&data.customer, &data.delivery) else {
        return None;
    };
    Some(CheckoutRequest {
        items: data
            .cart
            .iter()
            .map(|i| CartLine {
                product_code: i.code.clone(),
                quantity: i.quantity,
            })
            .collect(),
        customer: customer.clone(),
        member_id: session.member_id,
        delivery_method_id: delivery.delivery_method_id,
        payment_method_id: delivery.payment_method_id,
        delivery_date: delivery.delivery_date.clone(),
        delivery_time: delivery.delivery_time.clone(),
        note: delivery.note.clone(),
        return_url: None,
    })
}

async fn render_confirm(
    state: &SharedState,
    session: &mut ShopSession,
    status: StatusCode,
    mut errors: Vec<Invalid>,
) -> Result<Response, HttpError> {
    let (lines, changes) = reviewed(state, session).await?;
    let Some(req) = checkout_request(session) else {
        return Ok(Redirect::to("/cart").into_response());
    };
    if errors.is_empty() {
        // The same checks the order will pass (機種依存文字 in a product name, a delivery
        // date that is no longer offered…), shown before the buyer presses the button.
        if let Err(CheckoutError::Invalid(e)) = checkout::prepare(&state.payments, &req).await {
            errors = e;
        }
    }
    let subtotal: i64 = lines.iter().map(|l| l.amount).sum();
    let delivery = state.store.delivery_method(req.delivery_method_id).await?;
    let method = state.store.payment_method(req.payment_method_id).await?;
    let deadline = match &method {
        Some(m) => checkout::payment_deadline_notice(&state.payments, m).await?,
        None => None,
    };
    let delivery_date = NaiveDate::parse_from_str(&req.delivery_date, "%Y-%m-%d")
        .ok()
        .map(format_date_ja);
    page(
        state,
        session,
        status,
        "shop_confirm.html",
        "内容確認",
        context! {
            lines, subtotal, shipping_fee => 0, total => subtotal, changes, errors,
            customer => req.customer, delivery_name => delivery.map(|d| d.name),
            delivery_date, delivery_time => req.delivery_time, note => req.note,
            payment_method_name => method.map(|m| m.name), deadline,
        },
    )
    .await
}

/// GET /cart/confirm: 内容確認.
pub async fn confirm(
    State(state): State<SharedState>,
    mut session: ShopSession,
) -> Result<Response, HttpError> {
    if let Some(step) = missing_step(&session.data) {
        return Ok(Redirect::to(step).into_response());
    }
    render_confirm(&state, &mut session, StatusCode::OK, Vec::new()).await
}

/// POST /cart/order: 「上記内容で注文する」. Starts the checkout (pre-payment log and pending
/// payment) and hands the buyer to its payment page, unless the catalog changed since the
/// confirmation page: then that page is shown again with the changes.
pub async fn order(
    State(state): State<SharedState>,
    mut session: ShopSession,
) -> Result<Response, HttpError> {
    if let Some(step) = missing_step(&session.data) {
        return Ok(Redirect::to(step).into_response());
    }
    let products = state.store.products().await?;
    let mut cart = session.data.cart.clone();
    if !review(&mut cart, &products).is_empty() {
        session
            .notify(
                &state,
                "ご注文内容に変更がありました。内容をご確認のうえ、もう一度「上記内容で注文する」を押してください。",
            )
            .await?;
        return Ok(Redirect::to("/cart/confirm").into_response());
    }
    let expected: i64 = cart.iter().map(|i| i.price * i.quantity).sum();
    let Some(req) = checkout_request(&session) else {
        return Ok(Redirect::to("/cart").into_response());
    };
    let request_json = serde_json::to_string(&req).expect("a checkout request serializes");
    if let Some(link_key) = unpaid_checkout_of(&state, &session, &request_json).await? {
        return Ok(Redirect::to(&format!("/checkout/{link_key}")).into_response());
    }
    let started = match checkout::start(&state.payments, &req).await {
        Ok(started) => started,
        Err(CheckoutError::Invalid(errors)) => {
            return render_confirm(
                &state,
                &mut session,
                StatusCode::UNPROCESSABLE_ENTITY,
                errors,
            )
            .await
        }
        Err(CheckoutError::Store(e)) => return Err(e.into()),
    };
    if started.amount != expected {
        // A price changed between the check above and the checkout: this checkout is left
        // unpaid and the buyer confirms the new amount.
        session
            .notify(
                &state,
                "ご注文内容に変更がありました。内容をご確認のうえ、もう一度「上記内容で注文する」を押してください。",
            )
            .await?;
        return Ok(Redirect::to("/cart/confirm").into_response());
    }
    session
        .data
        .pending_link_keys
        .push(started.link_key.clone());
    session.data.last_request = Some(request_json);
    session.save(&state).await?;
    Ok(Redirect::to(&format!("/checkout/{}", started.link_key)).into_response())
}

/// The latest checkout of this session when it was started for exactly this request and is
/// still waiting for its payment (no order, payment pending): the buyer who went back and
/// pressed 「上記内容で注文する」 again continues it rather than opening a second payment.
async fn unpaid_checkout_of(
    state: &SharedState,
    session: &ShopSession,
    request_json: &str,
) -> Result<Option<String>, HttpError> {
    let (Some(link_key), Some(last)) = (
        session.data.pending_link_keys.last(),
        session.data.last_request.as_deref(),
    ) else {
        return Ok(None);
    };
    if last != request_json {
        return Ok(None);
    }
    let Some(pending) = checkout::load(&state.payments, link_key).await? else {
        return Ok(None);
    };
    let waiting = pending.log.order_id.is_none()
        && pending.payment.state() == crate::domain::payment::PaymentState::Pending;
    Ok(waiting.then(|| link_key.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product(code: &str, price: i64, active: bool) -> Product {
        Product {
            id: 1,
            code: code.into(),
            name: format!("{code}の名前"),
            description: String::new(),
            price,
            active,
        }
    }

    fn item(code: &str, quantity: i64, price: i64) -> CartItem {
        CartItem {
            code: code.into(),
            quantity,
            price,
        }
    }

    #[test]
    fn a_cart_as_the_catalog_has_it_has_no_changes() {
        let mut cart = vec![item("A", 2, 1080)];
        assert!(review(&mut cart, &[product("A", 1080, true)]).is_empty());
        assert_eq!(cart[0].price, 1080);
    }

    #[test]
    fn a_changed_price_is_reported_and_taken() {
        let mut cart = vec![item("A", 2, 1080)];
        let changes = review(&mut cart, &[product("A", 1200, true)]);
        assert_eq!(
            changes,
            ["「Aの名前」の価格が1,080円から1,200円に変更されました。"]
        );
        assert_eq!(cart[0].price, 1200);
    }

    #[test]
    fn a_product_no_longer_on_sale_leaves_the_cart_with_a_message() {
        let mut cart = vec![item("A", 1, 100), item("B", 1, 200), item("GONE", 1, 50)];
        let changes = review(
            &mut cart,
            &[product("A", 100, true), product("B", 200, false)],
        );
        assert_eq!(cart.len(), 1);
        assert_eq!(cart[0].code, "A");
        assert_eq!(
            changes,
            [
                "「Bの名前」は現在お買い求めいただけないため、カートから削除しました。",
                "「GONE」は現在お買い求めいただけないため、カートから削除しました。"
            ]
        );
    }
}
