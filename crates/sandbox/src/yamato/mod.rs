//! クロネコwebコレクト (Yamato Kuroneko Web Collect) sandbox: imitates the card API a
//! shop's server calls, the token JS a shop's page loads, the 3-D Secure ACS and a
//! stand-in for the 加盟店管理画面, written from `specs/yamato.md` and the Welcart
//! operation manual only.
//!
//! Paths under `/yamato` (so `/sandbox/yamato/…` in kessai), mirroring Yamato's: the
//! production API base `https://api.kuronekoyamato.co.jp/api/` is `<mount>/api/` and the
//! test base `https://ptwebcollect.jp/test_gateway/` is `<mount>/test_gateway/`:
//! * `POST /api/{name}` and `POST /test_gateway/{name}.api` — the API (`api.rs`): A08
//!   `creditToken`, A09 `creditToken3D` (`credit.rs`), A03 `creditInfoGet`, A04
//!   `creditInfoUpdate`, A05 `creditInfoDelete` (`members.rs`), A06 `creditCancel`, A07
//!   `creditChangePrice`, E01 `shipmentEntry`, E02 `shipmentCancel`, E04 `tradeInfo`
//!   (`operations.rs`) and H01 `traderIp`; UTF-8 forms in, XML `<return>` out (`wire.rs`);
//! * `GET /api/token/js/embeddedTokenLib.js`, `GET /test_gateway/token/js/embeddedTokenLib.js`,
//!   `POST /api/token/createToken`, `POST /test_gateway/token/createToken` — the token JS
//!   and its endpoint (`token.rs`);
//! * `POST /3ds/acs`, `POST /3ds/acs/{tran_id}` — the ACS page and the buyer's answer,
//!   posted back to the shop's `trader_ec_url` (`threeds.rs`);
//! * `GET /b2`, `POST /b2` — a stand-in for B2, Yamato's slip software: the CSV a shop
//!   wrote for B2 in, the same file out with a 伝票番号 and 出荷予定日 on every row
//!   (`b2.rs`);
//! * `GET /backoffice`, `POST /backoffice/deliver`, `GET /tracking` — the back office
//!   with its test hook (delivery confirmed: 精算確定) and the tracking page
//!   (`backoffice.rs`); `GET /backoffice/requests` — the API calls as received
//!   (`received.rs`).
//!
//! Traders are fixed pairs of 加盟店コード and アクセスキー: [`TRADER_CODE`] with
//! [`ACCESS_KEY`], plus any in [`Options::traders`]; every trader has the card-keeping
//! option (オプションサービス). Buyers pay with the test cards of [`testcard`]. Amounts are
//! integer yen; times are the sandbox clock's, written in Japan time. No card number or
//! security code is logged or kept.
//!
//! What the spec leaves open and the sandbox chose (details in each module):
//! * error codes beyond the spec's: the field and check digits of input errors (`wire.rs`),
//!   `Z010000001`–`Z010000003`, the `2000001`…-style details of each function's refusals,
//!   `A082040001`, `A082070001`, `A092000003`/`A092000004`, `A092050001`, and the
//!   `creditErrorCode` values `G12` / `G65`;
//! * formats and limits: `order_no` up to 20 characters, amounts up to 9,999,999 yen, token
//!   lifetime [`TOKEN_MINUTES`] minutes, 3-D Secure completed within [`THREE_D_MINUTES`]
//!   minutes (else 20 決済中断), up to [`MAX_KEPT_CARDS`] kept cards per member, 7-digit
//!   `crdCResCd`, 12-digit `orderDataSeq`, `settleMethodDiv` `1`;
//! * 3-D Secure runs when `trader_ec_url` is sent (a token minted with `authDiv` 1 or 3
//!   needs it); approved test cards pass without a challenge, the 3-D Secure test cards
//!   ask for one on the ACS page; the ACS's fields and values are the sandbox's;
//!   `http://` return URLs are taken too (for local shops);
//! * A08 has no capture flag: 与信売上確定 is E01 right after A08 (with `99` when not
//!   shipped by Yamato), as the clients do; E01 makes the sale 30 精算確定待ち for both
//!   delivery codes and 31 精算確定 only comes from the back office's delivery button;
//! * A06 cancels 4 and 30 but not 31 (spec §9); A07 never goes above the authorised amount;
//! * a declined A08 is not recorded and leaves its `order_no` free; an unknown `order_no`
//!   in E04 is refused (`E042000001`) rather than answered with `resultCount` 0;
//! * the A04 fields (`card_exp`, `card_owner`); the check digit of 12-digit Yamato slip
//!   numbers (`slip.rs`).
//!
//! Not simulated: A01 `credit` and A02 (the pre-token API with raw card fields or a stored
//! card; kept cards are paid with by a token minted with `cardKey`), A11 re-authorisation,
//! konbini, e-money, net bank, PayPay and recurring billing (all refused with
//! `Z010000003`), E03 `changeDate`, the result notification of §10 (for those methods
//! only), the `xp` split-shipment API, the older `tokenlib.js`, the legacy link type,
//! IP-address registration, authorisation expiry (the spec gives none), installment
//! counts by card, B2's printing of labels and its other columns (the stand-in only issues
//! numbers), and operations from the back office other than the delivery confirmation.

mod api;
mod b2;
mod backoffice;
mod credit;
mod fields;
mod members;
mod operations;
mod pages;
mod received;
mod slip;
mod store;
pub mod testcard;
mod threeds;
mod token;
mod wire;

use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;

use crate::shared::Shared;
use crate::Clock;
use store::Store;

pub use store::{MAX_KEPT_CARDS, THREE_D_MINUTES, TOKEN_MINUTES};

/// 加盟店コード of the sandbox's fixed trader (the spec's sample code).
pub const TRADER_CODE: &str = "888888709";
/// アクセスキー of the sandbox's fixed trader.
pub const ACCESS_KEY: &str = "1234567";

/// A trader: its 加盟店コード and アクセスキー.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trader {
    /// 加盟店コード (`trader_code`).
    pub trader_code: String,
    /// アクセスキー, mixed into the check sums.
    pub access_key: String,
}

/// How the application that mounts the Kuroneko Web Collect sandbox sets it up.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Traders accepted besides [`TRADER_CODE`] with [`ACCESS_KEY`].
    pub traders: Vec<Trader>,
}

/// The shared state, as the route handlers receive it.
type Sandbox = Arc<Shared<Store>>;

/// The Kuroneko Web Collect sandbox routes, to be nested under `/yamato`, reading time
/// from `clock`.
pub fn router<S: Clone + Send + Sync + 'static>(clock: Clock, options: Options) -> Router<S> {
    let mut traders = vec![Trader {
        trader_code: TRADER_CODE.to_owned(),
        access_key: ACCESS_KEY.to_owned(),
    }];
    traders.extend(options.traders);
    let b2 = b2::router(clock.clone());
    // Nothing is posted to the shop server to server, so no background task is needed.
    let shared = Arc::new(Shared::new(
        clock,
        Store::new(traders),
        crate::outbound::client(None),
        false,
    ));
    Router::new()
        .route("/api/{name}", post(api::production))
        .route("/test_gateway/{file}", post(api::test_gateway))
        .route("/api/token/js/embeddedTokenLib.js", get(token::script))
        .route(
            "/test_gateway/token/js/embeddedTokenLib.js",
            get(token::script),
        )
        .route("/api/token/createToken", post(token::create))
        .route("/test_gateway/token/createToken", post(token::create))
        .route("/3ds/acs", post(threeds::challenge))
        .route("/3ds/acs/{tran_id}", post(threeds::answer))
        .route("/backoffice", get(backoffice::show))
        .route("/backoffice/deliver", post(backoffice::deliver))
        .route("/backoffice/requests", get(received::show))
        .route("/tracking", get(backoffice::tracking))
        .with_state(shared)
        .merge(b2)
}
