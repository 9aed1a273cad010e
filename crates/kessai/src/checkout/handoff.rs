//! The hand-off, the same for every provider: the page a logged checkout shows the buyer,
//! and each step the buyer's browser (or a headless shop) brings back.
//!
//! The provider decides what a step means ([`Connector::resume`]); this module does what
//! follows for all of them: keeps what the provider asks to keep between steps, logs its
//! refusals, makes the authorizing call through the one "authorize once" step (so a second
//! click or a concurrent request never authorizes twice), applies confirmed statuses, asks
//! the provider where it must, keeps a card the buyer asked to keep, and creates the order.

use super::Pending;
use crate::payments::cards::card_ref;
use crate::payments::orders::{confirm, pays_in_full, OrderOrigin};
use crate::payments::{payment_ref, Authorizing, Payments, PaymentsError};
use crate::providers::{
    self, Checkout, Connector, HandoffUrls, Line, Next, Page, ProviderError, Shop, Submission,
};
use crate::store::{OrderFromLog, StoreError};

/// What the buyer is shown or where they go after a step.
#[derive(Debug)]
pub enum Outcome {
    /// The order exists: 購入完了 (or the headless shop's page).
    Ordered(OrderFromLog),
    /// A page of the provider's (a 3-D Secure challenge).
    Show(Page),
    /// Send the browser here (the provider's page, a bank's page).
    Redirect(String),
    /// Not paid: the hand-off page again, with this message for the buyer.
    Declined(String),
    /// The provider's answer is not known yet: the buyer is told it is being checked and
    /// must not pay again.
    Checking,
    /// The buyer came back but the provider shows no payment: they may try again.
    NotPaid,
}

/// The message of [`Outcome::Checking`].
pub const CHECKING: &str = "決済結果を確認しています。しばらくしてからご注文状況をご確認ください。二重に決済しないようご注意ください。";

/// The addresses of a checkout's hand-off under kessai's public address.
pub fn urls(p: &Pending, public_url: &str) -> HandoffUrls {
    let base = public_url.trim_end_matches('/');
    HandoffUrls {
        page: format!("{base}/checkout/{}", p.payment.link_key),
        done: done_url(p, base),
    }
}

/// Where the buyer goes once the order exists: the headless shop's page with the link key,
/// or the 購入完了 page under `base` (empty for a path on this server).
pub fn done_url(p: &Pending, base: &str) -> String {
    match &p.checkout.return_url {
        Some(url) => {
            let sep = if url.contains('?') { '&' } else { '?' };
            let key: String =
                url::form_urlencoded::byte_serialize(p.payment.link_key.as_bytes()).collect();
            format!("{url}{sep}link_key={key}")
        }
        None => format!("{base}/checkout/{}/done", p.payment.link_key),
    }
}

/// The connector of a checkout's provider, when it offers the checkout's payment method
/// now; otherwise the buyer's message.
pub async fn connector(
    payments: &Payments,
    p: &Pending,
) -> Result<Result<Connector, String>, StoreError> {
    Ok(match payments.connector_of(&p.payment.provider).await? {
        Some(c) if c.offers(&p.payment.settlement_kind) => Ok(c),
        _ => Err("この支払方法は現在ご利用いただけません。".to_owned()),
    })
}

/// The checkout as its provider sees it.
pub async fn view(
    payments: &Payments,
    p: &Pending,
    connector: &Connector,
    urls: HandoffUrls,
) -> Result<Checkout, StoreError> {
    let order = &p.checkout.order;
    let shop = payments.settings().shop().await?;
    let cards = match order.member_id {
        Some(member_id) => payments
            .member_cards(member_id, connector)
            .await?
            .iter()
            .map(card_ref)
            .collect(),
        None => Vec::new(),
    };
    Ok(Checkout {
        payment: payment_ref(&p.payment),
        buyer: order.buyer.clone(),
        items: order
            .items
            .iter()
            .map(|i| Line {
                code: i.product_code.clone(),
                name: i.product_name.clone(),
                unit_price: i.unit_price,
                quantity: i.quantity,
            })
            .collect(),
        shipping_fee: order.shipping_fee,
        member_id: order.member_id,
        method_name: order.payment_method_name.clone(),
        shop: Shop {
            name: shop.shop_name,
            company_name: shop.company_name,
        },
        urls,
        cards,
        today: payments.clock().today_in_japan(),
        delivery_method_id: order.delivery_method_id,
    })
}

/// Takes one hand-off step.
pub async fn take_step(
    payments: &Payments,
    p: &Pending,
    urls: HandoffUrls,
    submission: Submission,
) -> Result<Outcome, StoreError> {
    if let Some(order_id) = p.log.order_id {
        return Ok(Outcome::Ordered(OrderFromLog::Existing(order_id)));
    }
    let connector = match connector(payments, p).await? {
        Ok(c) => c,
        Err(message) => return Ok(Outcome::Declined(message)),
    };
    let checkout = view(payments, p, &connector, urls).await?;
    let resumed = connector.resume(&checkout, submission).await;
    if let Some(keep) = &resumed.keep {
        payments
            .store()
            .set_payment_handoff(p.payment.id, keep, payments.clock().now())
            .await?;
    }
    let buyer_order = || confirm(payments, &p.payment.link_key, OrderOrigin::Buyer);
    match resumed.next {
        Next::Show(Page::Redirect(url)) => Ok(Outcome::Redirect(url)),
        Next::Show(page) => Ok(Outcome::Show(page)),
        Next::Declined(decline) => {
            if let Some((code, detail)) = &decline.log {
                payments
                    .log_error(&p.payment, code, &decline.message, detail)
                    .await?;
            }
            Ok(Outcome::Declined(decline.message))
        }
        Next::Unknown | Next::Await => Ok(Outcome::Checking),
        Next::Confirmed(confirmation) => {
            payments
                .record_confirmation(&p.payment, &confirmation)
                .await?;
            if let (Some(card), Some(member_id)) =
                (&confirmation.kept_card, p.checkout.order.member_id)
            {
                payments.remember_card(member_id, &connector, card).await?;
            }
            Ok(Outcome::Ordered(buyer_order().await?))
        }
        Next::Inquire => inquire(payments, p).await,
        Next::Authorize(authorization) => {
            let call = connector.authorize(&checkout, &authorization.call);
            match payments
                .authorize_once(&p.payment, authorization.label, call)
                .await?
            {
                Authorizing::Done(authorized) if authorized.challenge.is_some() => {
                    let challenge = authorized.challenge.expect("a challenge");
                    payments
                        .store()
                        .set_payment_handoff(p.payment.id, &challenge.keep, payments.clock().now())
                        .await?;
                    Ok(match challenge.page {
                        Page::Redirect(url) => Outcome::Redirect(url),
                        page => Outcome::Show(page),
                    })
                }
                Authorizing::Done(authorized) => {
                    if let (Some(card), Some(member_id)) =
                        (&authorized.keep_card, p.checkout.order.member_id)
                    {
                        keep_card(payments, p, &connector, member_id, card).await?;
                    }
                    crate::failpoint::hit(crate::failpoint::BEFORE_ORDER_CREATED);
                    let ordered = buyer_order().await?;
                    Ok(match authorized.redirect {
                        Some(url) => Outcome::Redirect(url),
                        None => Outcome::Ordered(ordered),
                    })
                }
                Authorizing::AlreadyConfirmed => Ok(Outcome::Ordered(buyer_order().await?)),
                Authorizing::Ended => Ok(Outcome::Declined(
                    "このお支払いは終了しています。お手数ですが、もう一度ご注文ください。"
                        .to_owned(),
                )),
                Authorizing::Busy => Ok(Outcome::Declined(
                    "お支払いを処理しています。しばらくお待ちください。".to_owned(),
                )),
                Authorizing::Failed(ProviderError::Unknown(_)) => Ok(Outcome::Checking),
                Authorizing::Failed(e) => Ok(Outcome::Declined(e.to_string())),
            }
        }
    }
}

/// The buyer is back from the provider's page: ask the provider what happened and create
/// the order when it shows the checkout paid (or applied for) for its whole amount.
async fn inquire(payments: &Payments, p: &Pending) -> Result<Outcome, StoreError> {
    let report = match payments.refresh(&p.payment).await {
        Ok(report) => report,
        Err(PaymentsError::Provider(ProviderError::NoSuchPayment)) => return Ok(Outcome::NotPaid),
        Err(PaymentsError::Provider(ProviderError::Unknown(_))) => {
            payments
                .schedule_refresh(p.payment.id, chrono::Duration::minutes(1))
                .await?;
            return Ok(Outcome::Checking);
        }
        Err(PaymentsError::Store(e)) => return Err(e),
        Err(_) => return Ok(Outcome::Checking),
    };
    if pays_in_full(&p.payment, &report) {
        Ok(Outcome::Ordered(
            confirm(payments, &p.payment.link_key, OrderOrigin::Buyer).await?,
        ))
    } else {
        Ok(Outcome::NotPaid)
    }
}

/// Keeps the card the buyer asked to keep. A failure does not undo the purchase; it is
/// logged for the operator.
async fn keep_card(
    payments: &Payments,
    p: &Pending,
    connector: &Connector,
    member_id: i64,
    card: &providers::CardSubmission,
) -> Result<(), StoreError> {
    match payments.keep_card(member_id, connector, card).await {
        Ok(_) => Ok(()),
        Err(PaymentsError::Store(e)) => Err(e),
        Err(e) => {
            let code = match &e {
                PaymentsError::Provider(p) => p.code(),
                _ => "",
            };
            payments
                .log_error(
                    &p.payment,
                    code,
                    &format!("カード情報の登録に失敗しました: {e}"),
                    "カード情報登録",
                )
                .await
        }
    }
}
