//! Remise (ルミーズ) sandbox: imitates Remise's link-type card and multi payment pages,
//! the notifications they send to the shop, the 拡張セット server API and a stand-in for
//! the merchant back office, written from `specs/remise.md` and the operator manual only.
//!
//! Paths mirror Remise's under `/remise` (so `/sandbox/remise/…` in kessai):
//! * `POST /rpgw2/pc/card/paycard.aspx` — the card request (§2.1) and page (`card.rs`);
//!   the page posts to `POST /rpgw2/pc/card/pay` (`payment.rs`), which sends the RET and
//!   answers the browser's END return (§2.2);
//! * `POST /rpgw2/pc/cvs/paycvs.aspx` — the multi payment request (§3.1) and the choice of
//!   destination, posting to `POST /rpgw2/pc/cvs/pay` (`multi.rs`); the slip pages
//!   `GET /rpgw2/pc/cvs/slip|guide|cp.exec?JOB_ID=…` and their sandbox pay button
//!   `POST /rpgw2/pc/cvs/receive` (`slip.rs`);
//! * `POST /rpgw2/extset/card.aspx` — 拡張セット SALES / VOID / RETURN / CHANGE (§7.2,
//!   `extset.rs`);
//! * `GET /backoffice`, `POST /backoffice/settings|receipt|expire|notices/deliver` — the
//!   back office and test tool (`backoffice.rs`, `notify.rs`).
//!
//! Every `SHOPCO` of the form `RMS` + 5 letters/digits is a sandbox merchant; all share one
//! pair of notification URLs ([`Options`], editable in the back office). Forms are read and
//! written as Shift_JIS (CP932); buyer pages are served as Shift_JIS. No card number or
//! security code is logged or stored (`store.rs`).
//!
//! What the spec leaves open and the sandbox chose (details in each module):
//! * the last three digits of `8:1/2/3nnn` (`check.rs`, `MAIL` = `008` per the spec) and
//!   the field lengths the spec does not give;
//! * a refused request shows an error page whose button posts the error fields to
//!   `NG_RETURL` (`REC_TYPE=END`), rather than redirecting at once;
//! * declines are `X-R_CODE` `0:0000` + `X-ERRLEVEL` `1` + the network code; the sandbox's
//!   `X-ERRINFO` values, `X-CARDBRAND` names, `X-REFFORWARDED`, 7-digit `X-REFAPPROVED`,
//!   8-digit `X-REFGATEWAYNO`, 20-digit `X-JOB_ID` and PayQuick ids, 14-digit
//!   `X-AC_MEMBERID`;
//! * no 結果通知URL set = no RET and the payment completes; an unacknowledged RET sends the
//!   browser to `NG_RETURL` with `5:1000`, the authorisation stays (未確認) and keeps its
//!   請求番号; RETs are never resent;
//! * 収納情報通知 resent every 5 minutes of the sandbox clock until acknowledged;
//!   `RECDATE`/`CENDATE` as `YYYYMMDDhhmmss`, `REC_CVSCODE` = the `PAY_CSV` code,
//!   `REC_SCODE` `000001`; no notification on expiry;
//! * blank `S_PAYDATE` = 14 days; a slip expires at the end of `X-PAYDATE` (Japan time);
//!   carriers and PayPay count as paid when chosen and notify right after the END page;
//! * authorisations hold 60 days; VOID only on the Japan day of the auth / sale; RETURN
//!   also releases an authorisation; the amount-change JOB is `CHANGE`, never above the
//!   first authorised total.
//!
//! Not simulated: the feature-phone pages and `TMP` posts, `DIRECT=ON` (refused with
//! `8:3020`), 3-D Secure (its fields are ignored), the token/gateway API (§7.1), recurring
//! billing beyond recording `AUTOCHARGE=1` (no charges, cancel `AUTOCHARGE=0` flow or AC
//! APIs), paper slips (P90x), C5xx and the AUTH variants of M6xx/E202, source IP ranges,
//! Remise's mails, and card operations from the back office page.

mod backoffice;
mod card;
mod check;
mod extset;
mod multi;
mod notify;
mod pages;
mod payment;
mod slip;
mod store;
pub mod testcard;
mod wire;

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;

use crate::shared::{self, Shared};
use crate::Clock;
use store::{Settings, Store};

pub use crate::outbound::ANSWER_TIMEOUT_SECONDS;
pub use notify::Report;
pub use store::{AUTH_HOLD_DAYS, DEFAULT_PAY_DAYS, RESEND_MINUTES};
pub use wire::ACKNOWLEDGEMENT;

/// How the application that mounts the Remise sandbox sets it up.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// 結果通知URL the sandbox starts with (card RET and extset RET); `None` sends none
    /// until one is set in the back office.
    pub result_url: Option<String>,
    /// 収納情報通知URL the sandbox starts with; `None` keeps notices waiting until one is
    /// set in the back office.
    pub receipt_url: Option<String>,
    /// Resend due 収納情報通知 from a background task about once a second. Without it
    /// resends go out only on `POST /backoffice/notices/deliver` or with the next receipt,
    /// which is what tests that move the clock want.
    pub auto_resend: bool,
}

/// The shared state, as the route handlers receive it.
type Sandbox = Arc<Shared<Store>>;

/// Start the background resender on first use when `auto_resend` is set.
fn wake(sandbox: &Sandbox) {
    shared::wake(sandbox, |sandbox| async move {
        notify::deliver_due(&sandbox).await;
    });
}

/// Every request first makes sure the background resender runs (when asked for).
async fn waking(State(sandbox): State<Sandbox>, request: Request, next: Next) -> Response {
    wake(&sandbox);
    next.run(request).await
}

/// The Remise sandbox routes, to be nested under `/remise`, reading time from `clock`.
pub fn router<S: Clone + Send + Sync + 'static>(clock: Clock, options: Options) -> Router<S> {
    let store = Store::new(Settings {
        result_url: options.result_url,
        receipt_url: options.receipt_url,
    });
    let shared = Arc::new(Shared::new(
        clock,
        store,
        notify::client(),
        options.auto_resend,
    ));
    Router::new()
        .route("/rpgw2/pc/card/paycard.aspx", post(card::request))
        .route("/rpgw2/pc/card/pay", post(payment::pay))
        .route("/rpgw2/pc/cvs/paycvs.aspx", post(multi::request))
        .route("/rpgw2/pc/cvs/pay", post(multi::choose))
        .route("/rpgw2/pc/cvs/slip", get(slip::show))
        .route("/rpgw2/pc/cvs/guide", get(slip::show))
        .route("/rpgw2/pc/cvs/cp.exec", get(slip::show))
        .route("/rpgw2/pc/cvs/receive", post(slip::receive))
        .route("/rpgw2/extset/card.aspx", post(extset::request))
        .route("/backoffice", get(backoffice::show))
        .route("/backoffice/settings", post(backoffice::settings))
        .route("/backoffice/receipt", post(backoffice::receipt))
        .route("/backoffice/expire", post(backoffice::expire))
        .route("/backoffice/notices/deliver", post(notify::deliver))
        .layer(middleware::from_fn_with_state(shared.clone(), waking))
        .with_state(shared)
}
