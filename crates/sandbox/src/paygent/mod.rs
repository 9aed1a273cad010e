//! Paygent sandbox: imitates Paygent's module-type card telegrams and its card token API
//! on the wire, written from `specs/paygent.md` only.
//!
//! Paths mirror Paygent's (§2.5, §14) under `/paygent` (so `/sandbox/paygent/…` in kessai):
//! * `POST /n/card/request` — 020 auth, 021 auth cancel, 022 capture, 023 sales cancel,
//!   025/026/027 stored cards, 028 re-authorise, 029 re-capture (§6.1–6.3, §6.5);
//! * `POST /n/ref/paymentref` — 094 payment inquiry (§6.10);
//! * `POST /n/ref/paynotice` — 091 difference inquiry (§7);
//! * any other `POST /n/…` path of the §2.5 table answers P004 for a kind that belongs
//!   elsewhere and P018 for a kind the sandbox does not simulate;
//! * `POST /n/token/request` and `GET /js/PaygentToken.js` — the token API (§6.6).
//!
//! Every telegram is checked in the order of §16: credentials (P001/P002; any merchant id of
//! up to nine digits with connect id `sandboxconnect` / password `sandboxpassword`),
//! `telegram_version` `1.0` (P003), URL versus kind (P004), then the items (P005/P006/
//! P008/P009/P010). Cards reach telegrams only as tokens (token key `sandboxtokenkey`,
//! receipt hash key `sandboxtokenhashkey`); the test-card rules of §15 decide outcomes.
//!
//! Not simulated yet:
//! * the IP allow-list (P015); the client certificate (P016) is checked, before anything
//!   else, only over [`crate::tls`], never over plain
//!   HTTP inside kessai;
//! * 3-D Secure (450, `3dsecure_use_type`, 3DS 1.0 `out_acs_html`, 31xxx errors): the
//!   sandbox merchant is not contracted, so 020 must send `3dsecure_ryaku=1` and any 3DS
//!   request gets P063;
//! * raw card numbers in 020/025: the merchant counts as onboarded after 2017, so they
//!   are refused with 2023 rather than authorised;
//! * 116 stored-card update, 180… multi-currency, 28x recurring, every non-card method
//!   (ATM, konbini, bank net, virtual account, Paidy, …) and their test tool;
//! * push notifications of difference records (§8) — records are kept and served by 091;
//! * the 9004 concurrent-091 error, E001/E002/9005 system errors, the optional `/s/` hashed
//!   telegrams (§2.4) and the request size limit (E02002 is the client module's check);
//! * 2011/2014 (re-auth partial failure variants, 3DS payments), 2015–2018, 2025;
//! * `limit_count` of 027 is accepted and ignored (ten cards at most anyway).

mod card;
mod fields;
mod inquiry;
mod refusal;
mod status;
mod store;
mod stored;
mod testcard;
mod token;
mod wire;

use std::sync::{Arc, Mutex, PoisonError};

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, Utc};

use crate::Clock;
use fields::Header;
use refusal::Refusal;
use store::Store;
use wire::{Encoded, Form, Items, Reply};

/// Shared state of the Paygent sandbox routes.
#[derive(Clone)]
struct Sandbox {
    clock: Clock,
    store: Arc<Mutex<Store>>,
}

/// The Paygent sandbox routes, to be nested under `/paygent`, reading time from `clock`.
pub fn router<S: Clone + Send + Sync + 'static>(clock: Clock) -> Router<S> {
    Router::new()
        .route("/n/token/request", post(token::request))
        .route("/js/PaygentToken.js", get(token::script))
        .route("/n/{*path}", post(telegram))
        .with_state(Sandbox {
            clock,
            store: Arc::new(Mutex::new(Store::default())),
        })
}

/// One telegram being handled: the state, the instant, the authenticated header and items.
struct Telegram<'a> {
    store: &'a mut Store,
    now: DateTime<Utc>,
    header: &'a Header,
    form: &'a Form,
}

async fn telegram(
    State(sandbox): State<Sandbox>,
    Path(path): Path<String>,
    RawQuery(query): RawQuery,
    client_certificate: Option<axum::Extension<crate::tls::ClientCertificate>>,
    body: Bytes,
) -> Encoded {
    let form = Form::decode_telegram(query.unwrap_or_default().as_bytes(), &body);
    let kind = form.get("telegram_kind").unwrap_or_default().to_owned();
    let now = (sandbox.clock)();
    // Only the TLS listener marks requests; plain HTTP inside kessai has no certificate layer.
    let outcome = if client_certificate.is_some_and(|c| !c.presented) {
        Err(Refusal::client_certificate())
    } else {
        let mut store = sandbox.store.lock().unwrap_or_else(PoisonError::into_inner);
        store.sweep(now);
        dispatch(&mut store, now, &format!("/n/{path}"), &form)
    };
    let reply = match outcome {
        Ok(reply) => {
            tracing::info!(kind = %kind, "paygent sandbox telegram accepted");
            reply
        }
        Err(refusal) => {
            tracing::info!(kind = %kind, code = refusal.code, "paygent sandbox telegram refused");
            refuse(&kind, &form, refusal)
        }
    };
    Encoded {
        reply,
        encoding: wire::charset(&kind),
    }
}

fn dispatch(
    store: &mut Store,
    now: DateTime<Utc>,
    path: &str,
    form: &Form,
) -> Result<Reply, Refusal> {
    let header = fields::header(form)?;
    if fields::path_for_kind(&header.kind) != Some(path) {
        return Err(Refusal::wrong_url());
    }
    let telegram = Telegram {
        store,
        now,
        header: &header,
        form,
    };
    match header.kind.as_str() {
        "020" => card::authorise(telegram).map(Reply::Items),
        "021" => card::auth_cancel(telegram).map(Reply::Items),
        "022" => card::capture(telegram).map(Reply::Items),
        "023" => card::sales_cancel(telegram).map(Reply::Items),
        "028" => card::re_authorise(telegram).map(Reply::Items),
        "029" => card::re_capture(telegram).map(Reply::Items),
        "025" => stored::register(telegram).map(Reply::Items),
        "026" => stored::delete(telegram).map(Reply::Items),
        "027" => stored::inquire(telegram).map(Reply::Csv),
        "091" => inquiry::differences(telegram).map(Reply::Items),
        "094" => inquiry::payment(telegram).map(Reply::Items),
        _ => Err(Refusal::unavailable()),
    }
}

/// The refusal in the format of the telegram kind: CSV for 027, the card item list for
/// 020–023, the common items otherwise (§5).
fn refuse(kind: &str, form: &Form, refusal: Refusal) -> Reply {
    let base = Items::failure(refusal.code, &refusal.detail);
    let payment_id = refusal
        .payment_id
        .map(|id| id.to_string())
        .unwrap_or_default();
    let trading_id = form.get("trading_id").unwrap_or_default().to_owned();
    match kind {
        "027" => Reply::Csv(wire::stored_card_csv_error(refusal.code, &refusal.detail)),
        "020" | "021" | "022" | "023" => Reply::Items(
            wire::CardResult {
                payment_id,
                trading_id,
                card: None,
            }
            .items(base),
        ),
        _ => {
            let mut items = base;
            items.push("payment_id", payment_id);
            items.push("trading_id", trading_id);
            Reply::Items(items)
        }
    }
}
