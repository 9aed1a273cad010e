//! The sandbox's ACS (3-D Secure, spec §3.1–3.2): the page `threeDAuthHtml` sends the
//! buyer to, and the post back to the shop's `trader_ec_url`.
//!
//! * `threeDAuthHtml` — a whole HTML page whose form posts `TRAN_ID` (the ACS's id,
//!   `3D_TRAN_ID`) to `POST /3ds/acs` by itself (a button without script);
//! * `POST /3ds/acs` — the challenge page: shop, amount, card (brand and last four
//!   digits) and what the test card will do, with 「認証する」 and 「キャンセル」, posting
//!   `answer=authenticate|cancel` to `POST /3ds/acs/{tran_id}`;
//! * `POST /3ds/acs/{tran_id}` — the answer: the test card decides (`THREE_D_PASS` passes,
//!   `THREE_D_FAIL` fails), 「キャンセル」 always fails, and an answer (or a visit of the
//!   challenge page) [`super::THREE_D_MINUTES`] minutes or more after the A08 times out.
//!   The answer is a page whose form posts the result to `trader_ec_url` by itself.
//!
//! The post back carries the upper-case fields of spec §3.2 and no `ORDER_NO` (the shop
//! knows its order by its own return URL): `COMP_CD` (`0001`), `TOKEN` (the A08's card
//! token), `CARD_EXP` (`MMYY`), `ITEM_PRICE` (`settle_price`), `ITEM_TAX` (`0`),
//! `CUST_CD` (empty), `SHOP_ID` (the trader code), `TERM_CD` (`001`), `CRD_RES_CD`
//! (empty: the approval comes with A09), `RES_VE` (`Y`, enrolled), `RES_PA` (`Y`
//! authenticated, `N` failed, `U` timed out), `RES_CODE` (`0`, `1`, `2` likewise),
//! `3D_INF` (48 opaque characters), `3D_TRAN_ID`, `SEND_DT` (`YYYYMMDDHHMMSS`) and
//! `HASH_VALUE` (SHA-256 hex of the values before it and a sandbox secret). The values
//! are the sandbox's; A09 must forward each of them unchanged. A page visited again after
//! its answer posts the same result again.

use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{DateTime, Utc};
use encoding_rs::UTF_8;
use minijinja::context;

use super::credit::lapsed;
use super::pages;
use super::store::{alphanumerics, sha256_hex, AcsResult, Store};
use super::testcard::ThreeD;
use super::wire::stamp;
use super::Sandbox;
use crate::form::Form;
use crate::pages::{base_url, group_thousands};

/// The ACS's fields A09 forwards: A09 field number, A09 name, posted name.
pub const ECHOED: &[(u8, &str, &str)] = &[
    (4, "comp_cd", "COMP_CD"),
    (5, "token", "TOKEN"),
    (6, "card_exp", "CARD_EXP"),
    (7, "item_price", "ITEM_PRICE"),
    (8, "item_tax", "ITEM_TAX"),
    (9, "cust_cd", "CUST_CD"),
    (10, "shop_id", "SHOP_ID"),
    (11, "term_cd", "TERM_CD"),
    (12, "crd_res_cd", "CRD_RES_CD"),
    (13, "res_ve", "RES_VE"),
    (14, "res_pa", "RES_PA"),
    (15, "res_code", "RES_CODE"),
    (16, "three_d_inf", "3D_INF"),
    (17, "three_d_tran_id", "3D_TRAN_ID"),
    (18, "send_dt", "SEND_DT"),
    (19, "hash_value", "HASH_VALUE"),
];

/// Mixed into `HASH_VALUE`, so that only the sandbox makes one.
const HASH_SECRET: &str = "kuroneko-sandbox-acs";

/// How an authentication ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Passed,
    Failed,
    TimedOut,
}

impl Outcome {
    /// `RES_PA` and `RES_CODE`.
    fn codes(self) -> (&'static str, &'static str) {
        match self {
            Outcome::Passed => ("Y", "0"),
            Outcome::Failed => ("N", "1"),
            Outcome::TimedOut => ("U", "2"),
        }
    }

    fn label(self) -> &'static str {
        match self {
            Outcome::Passed => "3Dセキュア本人認証（成功）",
            Outcome::Failed => "3Dセキュア本人認証（失敗）",
            Outcome::TimedOut => "3Dセキュア本人認証（タイムアウト）",
        }
    }
}

/// `threeDAuthHtml`: the page that sends the buyer to the ACS at `base`.
pub fn auth_html(base: &str, tran_id: &str) -> Result<String, minijinja::Error> {
    pages::render(
        "yamato/acs_forward.html",
        context! { action => format!("{base}/3ds/acs"), tran_id },
    )
}

/// The transaction whose ACS id is `tran_id`.
fn find(store: &Store, tran_id: &str) -> Option<usize> {
    store.transactions.iter().position(|t| {
        t.three_d
            .as_ref()
            .is_some_and(|d| !tran_id.is_empty() && d.tran_id == tran_id)
    })
}

fn unknown() -> Response {
    pages::page(
        StatusCode::NOT_FOUND,
        "yamato/message.html",
        context! { title => "本人認証", message => "認証の情報が見つかりません。ショップの画面からやり直してください。" },
    )
}

/// The page posting `result` to `url`.
fn post_back(url: &str, result: &AcsResult) -> Response {
    let fields: Vec<_> = result
        .fields
        .iter()
        .map(|(name, value)| context! { name, value })
        .collect();
    pages::page(
        StatusCode::OK,
        "yamato/post_back.html",
        context! { action => url, fields },
    )
}

/// The result already given for transaction `index`, posted again.
fn answered(store: &Store, index: usize) -> Option<Response> {
    let three_d = store.transactions[index].three_d.as_ref()?;
    let result = three_d.result.as_ref()?;
    Some(post_back(&three_d.return_url, result))
}

/// End the authentication of transaction `index` with `outcome` and post it to the shop.
fn finish(store: &mut Store, index: usize, outcome: Outcome, now: DateTime<Utc>) -> Response {
    let trader_code = store.traders[store.transactions[index].trader]
        .trader_code
        .clone();
    let t = &mut store.transactions[index];
    let Some(three_d) = t.three_d.as_mut() else {
        return unknown();
    };
    let (res_pa, res_code) = outcome.codes();
    let mut fields: Vec<(&'static str, String)> = vec![
        ("COMP_CD", "0001".into()),
        ("TOKEN", three_d.card_token.clone()),
        ("CARD_EXP", t.card.expiry.clone()),
        ("ITEM_PRICE", t.price.to_string()),
        ("ITEM_TAX", "0".into()),
        ("CUST_CD", String::new()),
        ("SHOP_ID", trader_code),
        ("TERM_CD", "001".into()),
        ("CRD_RES_CD", String::new()),
        ("RES_VE", "Y".into()),
        ("RES_PA", res_pa.into()),
        ("RES_CODE", res_code.into()),
        ("3D_INF", alphanumerics(48)),
        ("3D_TRAN_ID", three_d.tran_id.clone()),
        ("SEND_DT", stamp(now)),
    ];
    let joined: String = fields.iter().map(|(_, v)| v.as_str()).collect();
    fields.push(("HASH_VALUE", sha256_hex(&format!("{joined}{HASH_SECRET}"))));
    let result = AcsResult {
        passed: outcome == Outcome::Passed,
        fields,
    };
    let page = post_back(&three_d.return_url, &result);
    three_d.result = Some(result);
    t.three_d_code = res_pa;
    t.log(outcome.label(), now, "");
    tracing::info!(
        order_no = t.order_no,
        ?outcome,
        "yamato sandbox ACS answered"
    );
    page
}

/// `POST /3ds/acs`.
pub async fn challenge(
    State(sandbox): State<Sandbox>,
    headers: HeaderMap,
    OriginalUri(original): OriginalUri,
    body: Bytes,
) -> Response {
    let form = Form::decode(&body, UTF_8);
    let tran_id = form.text("TRAN_ID");
    let action = format!(
        "{}/3ds/acs/{tran_id}",
        base_url(&headers, &original, "/3ds/acs")
    );
    let now = (sandbox.clock)();
    let mut store = sandbox.lock();
    let Some(index) = find(&store, &tran_id) else {
        return unknown();
    };
    if let Some(page) = answered(&store, index) {
        return page;
    }
    let t = &store.transactions[index];
    if t.three_d.as_ref().is_some_and(|d| lapsed(d, now)) {
        return finish(&mut store, index, Outcome::TimedOut, now);
    }
    let passes = matches!(t.card.behaviour.three_d, ThreeD::Challenge { passes: true });
    let context = context! {
        action,
        trader => store.traders[t.trader].trader_code,
        amount => group_thousands(t.price),
        brand => t.card.brand.name,
        masked => t.card.masked(),
        passes,
        minutes => super::THREE_D_MINUTES,
    };
    pages::page(StatusCode::OK, "yamato/acs.html", context)
}

/// `POST /3ds/acs/{tran_id}`.
pub async fn answer(
    State(sandbox): State<Sandbox>,
    Path(tran_id): Path<String>,
    body: Bytes,
) -> Response {
    let form = Form::decode(&body, UTF_8);
    let now = (sandbox.clock)();
    let mut store = sandbox.lock();
    let Some(index) = find(&store, &tran_id) else {
        return unknown();
    };
    if let Some(page) = answered(&store, index) {
        return page;
    }
    let t = &store.transactions[index];
    let passes = matches!(t.card.behaviour.three_d, ThreeD::Challenge { passes: true });
    let outcome = if t.three_d.as_ref().is_some_and(|d| lapsed(d, now)) {
        Outcome::TimedOut
    } else if form.get("answer") == Some("authenticate") && passes {
        Outcome::Passed
    } else {
        Outcome::Failed
    };
    finish(&mut store, index, outcome, now)
}
