//! Local simulators of the payment providers kessai talks to, mounted under `/sandbox`.
//!
//! Each provider's sandbox is written from the protocol specification, not from kessai's
//! connector code, so that a misread field name cannot pass on both sides. Providers are
//! added by their own issues; the index answers with the list of mounted simulators.
//!
//! Mounted so far: `paygent` (module-type card, ATM, konbini, bank net and Paidy
//! telegrams, EMV 3-D Secure, the token API, push notifications, the link type's hosted
//! card and konbini page, the bank choice page, a stand-in for Paidy Checkout, a merchant
//! admin page and the test tool, see [`paygent`]) and `remise` (the link-type card and
//! multi payment pages with their result and 収納情報通知 posts, PayQuick, the 拡張セット
//! API and a back office with the test tool, see [`remise`]) and `atone` (the REST API v1
//! with Basic auth by the secret key, a stand-in for atone.js with its widget page and
//! test members, the checksum, 決済Webhook and a back office, see [`atone`]) and `yamato`
//! (クロネコwebコレクト: the card API with its XML answers — token authorisation, 3-D
//! Secure result, kept cards, cancel, amount change, shipment entry and cancel, status
//! inquiry — a stand-in for the token JS, the ACS page, test cards and a back office, see
//! [`yamato`]).
//!
//! What the simulators share lives at the top: `form` reads and writes the Shift_JIS (or
//! UTF-8) forms both protocols use, `outbound` is the client that posts to the shop and
//! reads its acknowledgement, `pages` renders the pages with the sandbox layout
//! (`templates/layout.html`) and knows the address a browser reached them at, and `shared`
//! holds a simulator's clock, store and background delivery task.

use std::sync::Arc;

use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};

pub mod atone;
mod form;
mod outbound;
mod pages;
pub mod paygent;
pub mod remise;
mod shared;
pub mod tls;
pub mod yamato;

/// Where the simulators read the current time; tests and demos pass a clock they can move
/// forward so that deadlines lapse without waiting.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// Names of the simulators this build serves.
pub const PROVIDERS: &[&str] = &["paygent", "remise", "atone", "yamato"];

/// How the sandboxes are set up by the application that mounts them.
#[derive(Clone)]
pub struct Options {
    /// Where the simulators read the current time.
    pub clock: Clock,
    /// Settings of the Paygent sandbox.
    pub paygent: paygent::Options,
    /// Settings of the Remise sandbox.
    pub remise: remise::Options,
    /// Settings of the atone sandbox.
    pub atone: atone::Options,
    /// Settings of the Kuroneko Web Collect sandbox.
    pub yamato: yamato::Options,
}

impl Default for Options {
    /// The system clock and each sandbox's default options.
    fn default() -> Self {
        Self {
            clock: Arc::new(Utc::now),
            paygent: paygent::Options::default(),
            remise: remise::Options::default(),
            atone: atone::Options::default(),
            yamato: yamato::Options::default(),
        }
    }
}

/// The sandbox routes, to be nested under `/sandbox`, with the system clock and default
/// options.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    router_with(Options::default())
}

/// The sandbox routes, to be nested under `/sandbox`, set up by `options`.
pub fn router_with<S: Clone + Send + Sync + 'static>(options: Options) -> Router<S> {
    Router::new()
        .route(
            "/",
            get(|| async { Json(serde_json::json!({ "providers": PROVIDERS })) }),
        )
        .nest(
            "/paygent",
            paygent::router(options.clock.clone(), options.paygent),
        )
        .nest(
            "/remise",
            remise::router(options.clock.clone(), options.remise),
        )
        .nest(
            "/atone",
            atone::router(options.clock.clone(), options.atone),
        )
        .nest("/yamato", yamato::router(options.clock, options.yamato))
}
