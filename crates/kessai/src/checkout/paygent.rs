//! The Paygent card hand-off.
//!
//! Module type: the buyer's browser turns the card into a token with PaygentToken.js; kessai
//! checks the token's hash, runs EMV 3-D Secure when contracted (450, the ACS page, the
//! hash-checked result on the term URL), then authorizes with telegram 020 and creates the
//! order. A member may keep the card (025, with a second token) or pay with a kept one.
//!
//! Link type: kessai sends the buyer to Paygent's payment page with a hashed request and,
//! when the buyer comes back, asks Paygent (094 by trading id) what happened; the
//! notification or the 091 poll confirms it too, whichever is first.

use serde::{Deserialize, Serialize};

use super::{confirm, OrderOrigin, Pending};
use crate::domain::payment::{Operation, PaymentState};
use crate::payments::provider::{Done, ProviderError, Report};
use crate::payments::Payments;
use crate::providers::paygent::client::{Authorize, StoredCard as CardRef, ThreeDsRequest};
use crate::providers::paygent::{self, map, wire, CardType, Config};
use crate::store::{OrderFromLog, StoreError};

/// A card token as PaygentToken.js hands it to the page (`tokenizedCardObject` and `hc`).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct TokenReceipt {
    pub token: String,
    #[serde(default)]
    pub masked_card_number: String,
    #[serde(default)]
    pub valid_until: String,
    #[serde(default)]
    pub fingerprint: String,
    #[serde(default)]
    pub hc: String,
}

/// What the card form submits.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct CardSubmission {
    /// The card token (a CVC-only token when paying with a stored card).
    #[serde(default)]
    pub card: Option<TokenReceipt>,
    /// `10`, `23`, `61-3`, `80`…: one of [`Config::payment_choices`].
    #[serde(default)]
    pub payment_choice: String,
    /// Keep the card for next time, with a second token of the same card.
    #[serde(default)]
    pub register: Option<TokenReceipt>,
    /// Pay with this kept card (a [`crate::store::StoredCard`] id).
    #[serde(default)]
    pub stored_card_id: Option<i64>,
    /// The name on the card (3-D Secure wants it).
    #[serde(default)]
    pub cardholder_name: String,
}

/// What the hand-off keeps between the card form and the 3-D Secure result.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Handoff {
    token: String,
    payment_choice: String,
    register_token: String,
    customer_id: String,
    customer_card_id: String,
    three_ds_auth_id: String,
}

/// The next step of a card payment.
#[derive(Debug)]
pub enum CardStep {
    /// Paid: the order exists.
    Ordered(OrderFromLog),
    /// Show this 3-D Secure page (Paygent's `out_acs_html`) to the buyer.
    Challenge(String),
}

/// Why a payment did not go through at the hand-off (card, or the other Paygent services'
/// applications), in words for the buyer.
#[derive(Debug, thiserror::Error)]
pub enum CardError {
    /// Fix the input and try again (the form is shown again).
    #[error("{0}")]
    Retry(String),
    /// The outcome is being checked; the buyer should not pay again.
    #[error("決済結果を確認しています。しばらくしてからご注文状況をご確認ください。二重に決済しないようご注意ください。")]
    Unknown,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<crate::payments::PaymentsError> for CardError {
    fn from(e: crate::payments::PaymentsError) -> Self {
        match e {
            crate::payments::PaymentsError::Store(e) => CardError::Store(e),
            other => CardError::Retry(other.to_string()),
        }
    }
}

/// The card form's settings.
pub async fn config(payments: &Payments) -> Result<std::sync::Arc<Config>, StoreError> {
    payments.paygent().await
}

/// Takes a submitted card form: checks the tokens, then runs 3-D Secure or authorizes.
pub async fn submit_card(
    payments: &Payments,
    pending: &Pending,
    form: &CardSubmission,
    term_url: &str,
) -> Result<CardStep, CardError> {
    let config = payments.paygent().await?;
    if config.card != CardType::Module {
        return Err(CardError::Retry(
            "カード決済は現在ご利用いただけません。".to_owned(),
        ));
    }
    if let Some(order_id) = pending.log.order_id {
        return Ok(CardStep::Ordered(OrderFromLog::Existing(order_id)));
    }
    let payment_choice = if config
        .payment_choices()
        .iter()
        .any(|(code, _)| *code == form.payment_choice)
    {
        form.payment_choice.clone()
    } else if form.payment_choice.is_empty() {
        "10".to_owned()
    } else {
        return Err(CardError::Retry(
            "お支払い回数を選択してください。".to_owned(),
        ));
    };
    let mut handoff = Handoff {
        payment_choice,
        ..Handoff::default()
    };
    if let Some(card) = &form.card {
        verify_token(payments, pending, &config, card).await?;
        handoff.token = card.token.clone();
    }
    let member_id = pending.checkout.order.member_id;
    match (form.stored_card_id, member_id) {
        (Some(id), Some(member_id)) if config.stored_cards => {
            let card = payments
                .store()
                .stored_card(id)
                .await?
                .filter(|c| c.member_id == member_id && c.provider == "paygent")
                .ok_or_else(|| CardError::Retry("登録済みのカードが見つかりません。".to_owned()))?;
            handoff.customer_id = card.customer_id;
            handoff.customer_card_id = card.card_ref;
        }
        (Some(_), _) => {
            return Err(CardError::Retry(
                "登録済みのカードは会員ログイン後にご利用いただけます。".to_owned(),
            ))
        }
        (None, _) if handoff.token.is_empty() => {
            return Err(CardError::Retry(
                "カード情報を入力してください。".to_owned(),
            ))
        }
        (None, _) => {}
    }
    if let (Some(register), Some(_)) = (&form.register, member_id) {
        if config.stored_cards && handoff.customer_card_id.is_empty() {
            verify_token(payments, pending, &config, register).await?;
            handoff.register_token = register.token.clone();
        }
    }

    if config.three_d_secure {
        let stored = (!handoff.customer_card_id.is_empty()).then(|| CardRef {
            customer_id: &handoff.customer_id,
            customer_card_id: &handoff.customer_card_id,
        });
        let holder = if form.cardholder_name.trim().is_empty() {
            "CARD HOLDER".to_owned()
        } else {
            form.cardholder_name.trim().to_owned()
        };
        // 450 wants the shop's name in at most 40 ASCII characters (P006 when empty).
        let shop_name = payments.settings().shop().await?.shop_name;
        let merchant_name =
            if !shop_name.is_empty() && shop_name.len() <= 40 && shop_name.is_ascii() {
                shop_name
            } else {
                "Online Shop".to_owned()
            };
        let request = ThreeDsRequest {
            trading_id: &pending.payment.link_key,
            amount: pending.payment.amount,
            term_url,
            merchant_name: &merchant_name,
            cardholder_name: &holder,
            card_token: &handoff.token,
            stored_card: stored,
        };
        let started = async { config.client()?.start_3ds(&request).await }.await;
        match started {
            Ok(start) => {
                handoff.three_ds_auth_id = start.auth_id;
                save_handoff(payments, pending, &handoff).await?;
                return Ok(CardStep::Challenge(start.acs_html));
            }
            Err(e) => {
                let e = ProviderError::from(e);
                payments
                    .log_error(&pending.payment, e.code(), &e.to_string(), "450")
                    .await?;
                return Err(match e {
                    ProviderError::Unknown(_) => CardError::Retry(
                        "3Dセキュア認証を開始できませんでした。しばらくしてからもう一度お試しください。".to_owned(),
                    ),
                    other => CardError::Retry(other.to_string()),
                });
            }
        }
    }
    authorize(payments, pending, &config, &handoff, None).await
}

/// The 3-D Secure result Paygent sends the browser back with (term URL query).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ThreeDsResult {
    #[serde(default)]
    pub result: String,
    #[serde(default, rename = "3ds_auth_id")]
    pub auth_id: String,
    #[serde(default)]
    pub attempt_kbn: String,
    #[serde(default)]
    pub hc: String,
    #[serde(default)]
    pub response_code: String,
    #[serde(default)]
    pub response_detail: String,
}

/// Takes the 3-D Secure result: checks its hash and the chargeback-risk setting, then
/// authorizes with the authentication.
pub async fn three_ds_result(
    payments: &Payments,
    pending: &Pending,
    r: &ThreeDsResult,
) -> Result<CardStep, CardError> {
    if let Some(order_id) = pending.log.order_id {
        return Ok(CardStep::Ordered(OrderFromLog::Existing(order_id)));
    }
    let config = payments.paygent().await?;
    let handoff: Handoff = serde_json::from_str(&pending.payment.handoff_json).unwrap_or_default();
    let expected = wire::three_ds_hash(
        &r.result,
        &r.auth_id,
        &r.attempt_kbn,
        config.three_d_hash_key.expose(),
    );
    let fail = |code: &str, message: &str| {
        let (code, message) = (code.to_owned(), message.to_owned());
        async move {
            payments
                .log_error(&pending.payment, &code, &message, "3Dセキュア認証結果")
                .await?;
            Err::<CardStep, CardError>(CardError::Retry(message))
        }
    };
    if handoff.three_ds_auth_id.is_empty() || handoff.three_ds_auth_id != r.auth_id {
        return fail("", "3Dセキュア認証の結果がこのご注文のものではありません。もう一度カード情報を入力してください。").await;
    }
    if !config.three_d_hash_key.is_empty() && !wire::hash_matches(&r.hc, &expected) {
        return fail("hc", "3Dセキュア認証の結果を確認できませんでした(ハッシュ値不一致)。もう一度カード情報を入力してください。").await;
    }
    if r.result != "0" {
        let code = if r.response_code.is_empty() {
            "31007"
        } else {
            &r.response_code
        };
        return fail(code, &map::error_message(code, &r.response_detail)).await;
    }
    if r.attempt_kbn == "1" && config.avoid_chargeback_risk {
        return fail(
            "attempt_kbn",
            "3Dセキュア認証が完了しませんでした(チャージバックリスク回避)。別のカードをご利用ください。",
        )
        .await;
    }
    authorize(payments, pending, &config, &handoff, Some(&r.auth_id)).await
}

/// Whether a token receipt is the one Paygent issued (its `hc` matches the token receipt
/// hash key), so the token was not swapped in the browser.
pub fn token_is_genuine(config: &Config, t: &TokenReceipt) -> bool {
    let expected = wire::token_hash(
        &t.token,
        &t.masked_card_number,
        &t.valid_until,
        &t.fingerprint,
        config.token_hash_key.expose(),
    );
    !t.token.is_empty() && wire::hash_matches(&t.hc, &expected)
}

async fn verify_token(
    payments: &Payments,
    pending: &Pending,
    config: &Config,
    t: &TokenReceipt,
) -> Result<(), CardError> {
    if !token_is_genuine(config, t) {
        let message = "カード情報を確認できませんでした。もう一度入力してください。";
        payments
            .log_error(
                &pending.payment,
                "hc",
                message,
                "トークン受取ハッシュ不一致",
            )
            .await?;
        return Err(CardError::Retry(message.to_owned()));
    }
    Ok(())
}

async fn save_handoff(
    payments: &Payments,
    pending: &Pending,
    h: &Handoff,
) -> Result<(), StoreError> {
    let json = serde_json::to_string(h).expect("hand-off serializes");
    payments
        .store()
        .set_payment_handoff(pending.payment.id, &json, payments.clock().now())
        .await
}

/// 020: authorizes (and captures, in 同時売上モード 売上), keeps the card when asked, then
/// creates the order.
async fn authorize(
    payments: &Payments,
    pending: &Pending,
    config: &Config,
    h: &Handoff,
    three_ds_auth_id: Option<&str>,
) -> Result<CardStep, CardError> {
    let store = payments.store();
    let payment = &pending.payment;
    let (payment_class, split_count) = paygent::split_payment_choice(&h.payment_choice);
    let stored = (!h.customer_card_id.is_empty()).then(|| CardRef {
        customer_id: &h.customer_id,
        customer_card_id: &h.customer_card_id,
    });
    let request = Authorize {
        trading_id: &payment.link_key,
        amount: payment.amount,
        card_token: &h.token,
        payment_class,
        split_count,
        capture: config.capture_on_authorize,
        skip_3ds: three_ds_auth_id.is_none(),
        three_ds_auth_id,
        security_code_use: config.security_code && stored.is_none(),
        stored_card: stored,
    };
    let row = store
        .begin_payment_operation(
            payment.id,
            Operation::Authorize.as_str(),
            map::telegram_label("020"),
            payment.amount,
            payments.clock().now(),
        )
        .await?
        .ok_or_else(|| {
            CardError::Retry("お支払いを処理しています。しばらくお待ちください。".to_owned())
        })?;
    // A second click that passed the first checks while the first was in flight finds the
    // payment authorized once it holds the row (`Payments::complete` writes the status
    // before it releases the row): it must not authorize again.
    let current = store
        .payment(payment.id)
        .await?
        .ok_or(StoreError::NotFound("payment"))?;
    match current.state() {
        PaymentState::Pending => {}
        PaymentState::Authorized | PaymentState::Captured => {
            store.abandon_payment_operation(row).await?;
            return Ok(CardStep::Ordered(
                confirm(payments, &payment.link_key, OrderOrigin::Buyer).await?,
            ));
        }
        PaymentState::Cancelled
        | PaymentState::Refunded
        | PaymentState::Expired
        | PaymentState::Failed => {
            store.abandon_payment_operation(row).await?;
            return Err(CardError::Retry(
                "このお支払いは終了しています。お手数ですが、もう一度ご注文ください。".to_owned(),
            ));
        }
    }
    let result = async { config.client()?.authorize(&request).await }.await;
    let authorized = match result {
        Ok(a) => a,
        Err(e) => {
            let e = ProviderError::from(e);
            payments.fail(row, payment, &e).await?;
            return Err(match e {
                ProviderError::Unknown(_) => CardError::Unknown,
                other => CardError::Retry(other.to_string()),
            });
        }
    };
    let code = if config.capture_on_authorize {
        "40"
    } else {
        "20"
    };
    let service = map::Service::Card;
    let status = map::Status::parse(code);
    let done = Done {
        label: map::telegram_label("020"),
        payment_id: authorized.payment_id.clone(),
        status: Report {
            payment_id: authorized.payment_id.clone(),
            code: code.to_owned(),
            label: status.label(service),
            state: status.state(service),
            amount: Some(payment.amount),
        },
        replaced: None,
    };
    payments.complete(row, payment, &done).await?;
    store
        .set_payment_handoff(payment.id, "", payments.clock().now())
        .await?;
    if let (false, Some(member_id)) = (
        h.register_token.is_empty(),
        pending.checkout.order.member_id,
    ) {
        keep_card(payments, pending, member_id, &h.register_token).await?;
    }
    Ok(CardStep::Ordered(
        confirm(payments, &payment.link_key, OrderOrigin::Buyer).await?,
    ))
}

/// 025: keeps the member's card at Paygent and its reference here. A failure does not undo
/// the purchase; it is logged for the operator.
async fn keep_card(
    payments: &Payments,
    pending: &Pending,
    member_id: i64,
    token: &str,
) -> Result<(), StoreError> {
    match payments.add_stored_card(member_id, token).await {
        Ok(_) => Ok(()),
        Err(crate::payments::PaymentsError::Store(e)) => Err(e),
        Err(e) => {
            let code = match &e {
                crate::payments::PaymentsError::Provider(p) => p.code(),
                _ => "",
            };
            payments
                .log_error(
                    &pending.payment,
                    code,
                    &format!("カード情報の登録に失敗しました: {e}"),
                    "025",
                )
                .await
        }
    }
}

/// The link-type request: the form the buyer's browser posts to Paygent's payment page.
#[derive(Clone, Debug, Serialize)]
pub struct LinkRequest {
    pub action: String,
    pub fields: Vec<(&'static str, String)>,
}

/// Builds the hashed link-type request (spec §12) for a pending card or convenience store
/// checkout: a card request carries the card options, a convenience store request the
/// 支払期間 in days or minutes (5 days when neither is set, as the manual says).
pub fn link_request(
    config: &Config,
    pending: &Pending,
    return_url: &str,
    stop_url: &str,
) -> LinkRequest {
    let order = &pending.checkout.order;
    let service =
        map::Service::from_kind(&pending.payment.settlement_kind).unwrap_or(map::Service::Card);
    let mut fields: Vec<(&'static str, String)> = vec![
        ("trading_id", pending.payment.link_key.clone()),
        ("payment_type", service.payment_type().to_owned()),
        ("id", pending.payment.amount.to_string()),
        ("seq_merchant_id", config.merchant_id.clone()),
    ];
    match service {
        map::Service::Conv => match config.conv_minutes {
            Some(minutes) => fields.push(("payment_term_min", minutes.to_string())),
            None => fields.push(("payment_term_day", config.conv_limit_days().to_string())),
        },
        _ => {
            let payment_class = match config.payment_class.as_str() {
                "all" => "1",
                "no_bonus" => "2",
                _ => "0",
            };
            fields.extend([
                ("payment_class", payment_class.to_owned()),
                (
                    "use_card_conf_number",
                    if config.security_code { "1" } else { "0" }.to_owned(),
                ),
                (
                    "threedsecure_ryaku",
                    if config.three_d_secure { "" } else { "1" }.to_owned(),
                ),
                (
                    "sales_flg",
                    if config.capture_on_authorize { "1" } else { "" }.to_owned(),
                ),
            ]);
        }
    }
    fields.extend([
        ("customer_family_name", order.family_name.clone()),
        ("customer_name", order.given_name.clone()),
        ("customer_family_name_kana", order.family_kana.clone()),
        ("customer_name_kana", order.given_kana.clone()),
        ("return_url", return_url.to_owned()),
        ("stop_return_url", stop_url.to_owned()),
    ]);
    fields.retain(|(_, v)| !v.is_empty());
    let hc = wire::link_hash(&fields, config.link_hash_key.expose());
    fields.push(("hc", hc));
    LinkRequest {
        action: format!("{}/v/u/request", config.link_url),
        fields,
    }
}

/// The buyer is back from Paygent's page: ask Paygent what happened and create the order
/// when the card was authorized, or the convenience store number issued. `None` when
/// Paygent has no such payment for it.
pub async fn link_return(
    payments: &Payments,
    pending: &Pending,
) -> Result<Option<OrderFromLog>, CardError> {
    if let Some(order_id) = pending.log.order_id {
        return Ok(Some(OrderFromLog::Existing(order_id)));
    }
    let report = match payments.refresh(&pending.payment).await {
        Ok(report) => report,
        Err(crate::payments::PaymentsError::Provider(ProviderError::NoSuchPayment)) => {
            return Ok(None)
        }
        Err(crate::payments::PaymentsError::Provider(ProviderError::Unknown(_))) => {
            payments
                .schedule_refresh(pending.payment.id, chrono::Duration::minutes(1))
                .await?;
            return Err(CardError::Unknown);
        }
        Err(e) => return Err(e.into()),
    };
    let payment = &pending.payment;
    if crate::payments::provider::confirms_order(
        &payment.provider,
        &payment.settlement_kind,
        &report.code,
    ) && report.amount == Some(payment.amount)
    {
        Ok(Some(
            confirm(payments, &pending.payment.link_key, OrderOrigin::Buyer).await?,
        ))
    } else {
        Ok(None)
    }
}
