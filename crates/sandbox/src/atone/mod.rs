//! atone (Net Protections' 翌月後払い) sandbox: imitates atone's REST API v1, its browser
//! widget atone.js, its 決済Webhook and a stand-in for the 加盟店管理システム, written from
//! `specs/atone.md` and the Welcart atone manual only.
//!
//! Paths under `/atone` (so `/sandbox/atone/…` in kessai), mirroring atone's hosts: the
//! API base (`https://ct-api.a-to-ne.jp/v1/`) and the widget script
//! (`https://ct-auth.a-to-ne.jp/v1/atone.js`) are both `<mount>/v1/…`:
//! * `POST /v1/transactions`, `GET /v1/transactions/{id}`,
//!   `PATCH /v1/transactions/{id}/settle|refund` — the API (`api.rs`; a `POST` with
//!   `X-HTTP-Method-Override` counts as the verb it names); any other `/v1/…` path
//!   answers 404 `EATN0126` once authenticated;
//! * `GET /v1/atone.js`, `GET /v1/widget`, `POST /v1/widget/session|confirm` — the widget
//!   (`widget.rs`, `assets/atone.js`);
//! * `GET /backoffice`, `POST /backoffice/settings` — the back office (`backoffice.rs`);
//! * `POST /testtool/webhooks/deliver` — one webhook round now (`webhook.rs`).
//!
//! Shops are fixed key pairs: [`PUBLIC_KEY`] ↔ [`SECRET_KEY`] (the pair kessai's demo
//! uses), plus any given in [`Options::shops`]; the back office lists them. Buyers are the
//! test members of `members.rs`, chosen on the widget page; the member decides OK or NG.
//! Amounts are integer yen; times are the sandbox clock's, written in Japan time.
//!
//! What the spec leaves open and the sandbox chose:
//! * codes: `EATN1201` settle of a settled transaction (inferred in the spec);
//!   `EATN1202` settle of an NG, replaced or cancelled one; `EATN1203` settle or refund
//!   after 仮売上期限切れ ([`AUTHORISATION_DAYS`] days unsettled); `EATN1301` a refund
//!   amount that is not a number, not positive or above what remains; `EATN1302` a refund
//!   of an NG, replaced or fully refunded one; `EATN1303` a partial refund before
//!   settlement (only the whole amount can be cancelled then; after settlement partial
//!   refunds are allowed, several times); `EATN1103` a refused 取引更新 target;
//!   `EATN0352` a `POST /v1/transactions` without `Content-Type: application/json`;
//!   `EATN0399` a body that is not a JSON object; `EATN0396` a lapsed widget session; the
//!   mapping of `EATN0135`–`EATN0151` to customer fields (`check.rs`);
//! * formats: ids `tr_` + 16 letters/digits, tokens `tok_` + 24; times `YYYY/MM/DD
//!   HH:MM`; a replaced transaction names its successor in `related_transaction`;
//! * the checksum is checked on the widget path only, over every key but `checksum`
//!   (`checksum.rs`); `null` contributes nothing;
//! * a webhook after every registration, resent every [`RESEND_MINUTES`] minutes until a
//!   2xx (`webhook.rs`).
//!
//! Not simulated: points (`subtract_point` is always 0), SMS login and member
//! registration (register.js), 認証Webhook and the other webhook types, token revocation
//! (`EATN0104`), `EATN1104`, `EATN0130`, `X-NP-Terminal-Id` (accepted and ignored),
//! `transaction_options` semantics (echoed), 仮登録 / 本登録, operations from the back
//! office, maintenance and temporary errors, and the newer NP pay global API.

mod api;
mod backoffice;
mod check;
pub mod checksum;
pub mod members;
mod pages;
mod store;
mod webhook;
mod widget;
mod wire;

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{any, get, post};
use axum::Router;

use crate::shared::{self, Shared};
use crate::Clock;
use store::{Settings, Store};

pub use crate::outbound::ANSWER_TIMEOUT_SECONDS;
pub use store::{AUTHORISATION_DAYS, RESEND_MINUTES, WIDGET_MINUTES};
pub use webhook::{Report, USER_AGENT};

/// The public key (店舗公開可能鍵) of the sandbox's fixed shop.
pub const PUBLIC_KEY: &str = "sandbox_public_key";
/// The secret key (店舗秘密鍵) of the sandbox's fixed shop.
pub const SECRET_KEY: &str = "sandbox_secret_key";

/// A shop's key pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shop {
    /// 店舗公開可能鍵, the widget's `pub_key`.
    pub public_key: String,
    /// 店舗秘密鍵, the API's Basic credential.
    pub secret_key: String,
}

/// How the application that mounts the atone sandbox sets it up.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// 決済Webhook URL the sandbox starts with (one for every shop); `None` keeps webhooks
    /// waiting until one is set in the back office.
    pub webhook_url: Option<String>,
    /// Deliver due webhooks from a background task about once a second. Without it they
    /// go out only on `POST /testtool/webhooks/deliver`, which is what tests that move
    /// the clock want.
    pub auto_deliver: bool,
    /// Key pairs accepted besides [`PUBLIC_KEY`] ↔ [`SECRET_KEY`].
    pub shops: Vec<Shop>,
}

/// The shared state, as the route handlers receive it.
type Sandbox = Arc<Shared<Store>>;

/// Start the background delivery on first use when `auto_deliver` is set.
fn wake(sandbox: &Sandbox) {
    shared::wake(sandbox, |sandbox| async move {
        webhook::deliver_due(&sandbox).await;
    });
}

/// Every request first makes sure the background delivery runs (when asked for).
async fn waking(State(sandbox): State<Sandbox>, request: Request, next: Next) -> Response {
    wake(&sandbox);
    next.run(request).await
}

/// The atone sandbox routes, to be nested under `/atone`, reading time from `clock`.
pub fn router<S: Clone + Send + Sync + 'static>(clock: Clock, options: Options) -> Router<S> {
    let mut shops = vec![Shop {
        public_key: PUBLIC_KEY.to_owned(),
        secret_key: SECRET_KEY.to_owned(),
    }];
    shops.extend(options.shops);
    let store = Store::new(
        shops,
        Settings {
            webhook_url: options.webhook_url,
        },
    );
    let shared = Arc::new(Shared::new(
        clock,
        store,
        webhook::client(),
        options.auto_deliver,
    ));
    Router::new()
        .route("/v1/transactions", any(api::transactions))
        .route("/v1/transactions/{id}", any(api::transaction))
        .route("/v1/transactions/{id}/settle", any(api::settle))
        .route("/v1/transactions/{id}/refund", any(api::refund))
        .route("/v1/atone.js", get(widget::script))
        .route("/v1/widget", get(widget::page))
        .route("/v1/widget/session", post(widget::session))
        .route("/v1/widget/confirm", post(widget::confirm))
        .route("/v1/{*rest}", any(api::unknown))
        .route("/backoffice", get(backoffice::show))
        .route("/backoffice/settings", post(backoffice::settings))
        .route("/testtool/webhooks/deliver", post(webhook::deliver))
        .layer(middleware::from_fn_with_state(shared.clone(), waking))
        .with_state(shared)
}
