//! Paygent sandbox: imitates Paygent's module-type telegrams (card, ATM, konbini number
//! type, bank net ASP, Paidy), EMV 3-D Secure, its card token API, its push notifications,
//! its hosted pages (link type, bank choice) and its test tool on the wire, written from
//! `specs/paygent.md` only.
//!
//! Paths mirror Paygent's (§2.5, §14) under `/paygent` (so `/sandbox/paygent/…` in kessai):
//! * `POST /n/card/request` — 020 auth, 021 auth cancel, 022 capture, 023 sales cancel,
//!   025/026/027 stored cards, 028 re-authorise, 029 re-capture (§6.1–6.3, §6.5);
//! * `POST /n/atm/request` — 010 ATM (Pay-easy) application (§6.7, `atm.rs`);
//! * `POST /n/conveni/request` — 030 konbini number application (§6.8, `konbini.rs`), with
//!   the dummy slip page `GET /conveni/receipt`;
//! * `POST /n/bank/requestasp` — 060 bank net ASP application (§6.9), with the bank choice
//!   page at `GET`/`POST /banking/asp` (`bank.rs`);
//! * `POST /n/paidy/request` — 340 auth cancel, 341 capture, 342 refund, 343 verify
//!   (§6.11), with the stand-in for Paidy Checkout `GET /paidy/paidy.js` and its
//!   `POST /paidy/checkout` (`paidy.rs`);
//! * `POST /n/ref/paymentref` — 094 payment inquiry (§6.10);
//! * `POST /n/ref/paynotice` — 091 difference inquiry (§7);
//! * `POST /n/threeds/request` — 450 EMV 3-D Secure (§6.4, UTF-8), with the sandbox's
//!   challenge page at `GET`/`POST /threeds/challenge/{3ds_auth_id}` (rules in
//!   `threeds.rs`); 020 takes the result with `3dsecure_use_type=2` + `3ds_auth_id`;
//! * any other `POST /n/…` path of the §2.5 table answers P004 for a kind that belongs
//!   elsewhere and P018 for a kind the sandbox does not simulate;
//! * `POST /n/token/request` and `GET /js/PaygentToken.js` — the token API (§6.6);
//! * `GET`/`POST /v/request` (Shift_JIS) and `/v/u/request` (UTF-8) — link-type requests
//!   (§12), answered with the payment page or, with `isbtob=1`, with its address
//!   `/linktype/top?tid=…`; the card form posts to `POST /linktype/card`, the konbini form
//!   to `POST /linktype/konbini` (see `link/`);
//! * `GET`/`POST /merchant` — the merchant page: keys and the 差分通知URL (§8, §14);
//! * `GET /testtool` and `POST /testtool/statusupdate` — the test tool (試験環境ツール,
//!   §15) that moves ATM, konbini and bank net payments as the buyer's payment would
//!   (`testtool.rs`);
//! * `POST /testtool/notices/deliver` — attempt every due push now, answering
//!   `{"delivered":n,"failed":n,"paused":bool}` (see [`Options::auto_push`]).
//!
//! Every difference record is also pushed to the merchant's notification URL (§8) with
//! the resend and pause rules described in `push.rs`. Deadlines (card and Paidy
//! authorisations, ATM and konbini limit dates, the bank net payment limit) lapse on the
//! sandbox's clock before each telegram, page and push round.
//!
//! Every merchant id of up to nine digits is a sandbox merchant with the same fixed
//! settings, also shown on the merchant page: connect id `sandboxconnect`, connect
//! password `sandboxpassword`, トークン生成鍵 `sandboxtokenkey`, トークン受取ハッシュ鍵
//! `sandboxtokenhashkey`, 差分通知ハッシュ値生成キー `sandboxnoticehashkey`, link-type
//! ハッシュ値生成キー `sandboxlinkhashkey`, 3Dセキュア結果受付ハッシュ鍵
//! `sandbox3dshashkey`, and the Paidy public key `pk_test_` followed by the merchant id.
//!
//! Every telegram is checked in the order of §16: credentials (P001/P002),
//! `telegram_version` `1.0` (P003), URL versus kind (P004), then the items (P005/P006/
//! P008/P009/P010). Cards reach telegrams only as tokens or stored cards; the test-card
//! rules of §15 decide outcomes.
//!
//! Not simulated yet:
//! * the IP allow-list (P015); the client certificate (P016) is checked, before anything
//!   else, only over [`crate::tls`], never over plain
//!   HTTP inside kessai;
//! * 3-D Secure 1.0 (ended in 2022): a 020 must either skip 3-D Secure
//!   (`3dsecure_ryaku=1`, at the merchant's own risk) or present an EMV result, else
//!   P010; 450's risk-data items are accepted and ignored, `card_set_method=google` gets
//!   P018, and the timeout GET Paygent sends to `term_url` by itself is not sent;
//! * raw card numbers in 020/025: the merchant counts as onboarded after 2017, so they
//!   are refused with 2023 rather than authorised;
//! * 116 stored-card update, 180… multi-currency, 28x recurring, 040 konbini slips, 070
//!   virtual accounts, konbini tickets, Paidy timeouts, every other method (also on the
//!   link-type page); the link type's card registration pages and EUC-JP path;
//! * the source IP of pushes, TLS 1.2/SNI requirements of the receiver, and separate
//!   notification URLs per site (one URL per merchant, as §8 says);
//! * the 9004 concurrent-091 error, E001/E002/9005 system errors, the optional `/s/` hashed
//!   telegrams (§2.4) and the request size limit (E02002 is the client module's check);
//! * 2011 (re-auth partial failure variant), 2015–2018, 2025;
//! * `limit_count` of 027 is accepted and ignored (ten cards at most anyway).

mod atm;
mod bank;
mod card;
mod fields;
mod inquiry;
mod konbini;
mod link;
mod merchant;
mod pages;
mod paidy;
mod push;
mod refusal;
mod status;
mod store;
mod stored;
mod testcard;
mod testtool;
mod threeds;
mod token;
mod wire;

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, Utc};

use crate::form::Form;
use crate::pages::base_url;
use crate::shared::{self, Shared};
use crate::Clock;
use fields::Header;
use refusal::Refusal;
use store::Store;
use wire::{Encoded, Items, Reply};

pub use merchant::{LINK_HASH_KEY, THREEDS_HASH_KEY};
pub use push::NOTICE_HASH_KEY;
pub use token::{TOKEN_GENERATE_KEY, TOKEN_HASH_KEY};

/// How the application that mounts the Paygent sandbox sets it up.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The 差分通知URL every merchant starts with; `None` leaves pushes off until a
    /// merchant registers one on the merchant page.
    pub notify_url: Option<String>,
    /// Deliver due pushes from a background task about once a second. Without it pushes
    /// go out only when `POST /testtool/notices/deliver` is called, which is what tests
    /// that move the clock want.
    pub auto_push: bool,
}

/// The shared state, as the route handlers receive it.
type Sandbox = Arc<Shared<Store>>;

/// Start the background pusher on first use when `auto_push` is set.
fn wake(sandbox: &Sandbox) {
    shared::wake(sandbox, |sandbox| async move {
        push::deliver_due(&sandbox).await;
    });
}

/// The Paygent sandbox routes, to be nested under `/paygent`, reading time from `clock`.
pub fn router<S: Clone + Send + Sync + 'static>(clock: Clock, options: Options) -> Router<S> {
    let store = Store::new(options.notify_url);
    let shared = Arc::new(Shared::new(clock, store, push::client(), options.auto_push));
    Router::new()
        .route("/n/token/request", post(token::request))
        .route("/js/PaygentToken.js", get(token::script))
        .route("/n/{*path}", post(telegram))
        .route("/merchant", get(merchant::show).post(merchant::update))
        .route("/testtool/notices/deliver", post(push::deliver))
        .route("/testtool", get(testtool::show))
        .route("/testtool/statusupdate", post(testtool::update))
        .route("/banking/asp", get(bank::page).post(bank::choose))
        .route("/conveni/receipt", get(konbini::receipt))
        .route("/paidy/paidy.js", get(paidy::script))
        .route("/paidy/checkout", post(paidy::checkout))
        .route(
            "/v/request",
            get(link::request_sjis).post(link::request_sjis),
        )
        .route(
            "/v/u/request",
            get(link::request_utf8).post(link::request_utf8),
        )
        .route("/linktype/top", get(link::top))
        .route("/linktype/card", post(link::card))
        .route("/linktype/konbini", post(link::konbini))
        .route(
            "/threeds/challenge/{id}",
            get(threeds::challenge_page).post(threeds::challenge_answer),
        )
        .with_state(shared)
}

/// One telegram being handled: the state, the instant, the authenticated header and items.
struct Telegram<'a> {
    store: &'a mut Store,
    now: DateTime<Utc>,
    header: &'a Header,
    form: &'a Form,
    /// Where a browser reaches the sandbox, for pages a telegram answer links to.
    base: &'a str,
}

async fn telegram(
    State(sandbox): State<Sandbox>,
    Path(path): Path<String>,
    OriginalUri(original): OriginalUri,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    client_certificate: Option<axum::Extension<crate::tls::ClientCertificate>>,
    body: Bytes,
) -> Encoded {
    let form = wire::decode_telegram(query.unwrap_or_default().as_bytes(), &body);
    let kind = form.get("telegram_kind").unwrap_or_default().to_owned();
    wake(&sandbox);
    let now = (sandbox.clock)();
    let path = format!("/n/{path}");
    let base = base_url(&headers, &original, &path);
    // Only the TLS listener marks requests; plain HTTP inside kessai has no certificate layer.
    let outcome = if client_certificate.is_some_and(|c| !c.presented) {
        Err(Refusal::client_certificate())
    } else {
        let mut store = sandbox.lock();
        store.sweep(now);
        dispatch(&mut store, now, &path, &form, &base)
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
    base: &str,
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
        base,
    };
    match header.kind.as_str() {
        "010" => atm::apply(telegram).map(Reply::Items),
        "020" => card::authorise(telegram).map(Reply::Items),
        "021" => card::auth_cancel(telegram).map(Reply::Items),
        "022" => card::capture(telegram).map(Reply::Items),
        "023" => card::sales_cancel(telegram).map(Reply::Items),
        "028" => card::re_authorise(telegram).map(Reply::Items),
        "029" => card::re_capture(telegram).map(Reply::Items),
        "025" => stored::register(telegram).map(Reply::Items),
        "026" => stored::delete(telegram).map(Reply::Items),
        "027" => stored::inquire(telegram).map(Reply::Csv),
        "030" => konbini::apply(telegram).map(Reply::Items),
        "060" => bank::apply(telegram).map(Reply::Items),
        "091" => inquiry::differences(telegram).map(Reply::Items),
        "094" => inquiry::payment(telegram).map(Reply::Items),
        "340" => paidy::cancel(telegram).map(Reply::Items),
        "341" => paidy::capture(telegram).map(Reply::Items),
        "342" => paidy::refund(telegram).map(Reply::Items),
        "343" => paidy::verify(telegram).map(Reply::Items),
        "450" => threeds::authenticate(telegram).map(Reply::Items),
        _ => Err(Refusal::unavailable()),
    }
}

/// The refusal in the format of the telegram kind: CSV for 027, the card item list for
/// 020–023, the common items and `trading_id` for 450, the common items plus `payment_id`
/// and `trading_id` otherwise (§5).
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
        "450" => {
            let mut items = base;
            items.push("trading_id", trading_id);
            Reply::Items(items)
        }
        _ => {
            let mut items = base;
            items.push("payment_id", payment_id);
            items.push("trading_id", trading_id);
            Reply::Items(items)
        }
    }
}
