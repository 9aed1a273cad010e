//! The stand-in for Yamato's 加盟店管理画面 and the sandbox's test tool:
//! * `GET /backoffice` — the transactions (受注番号, 加盟店コード, 金額 and the authorised
//!   amount, 氏名, 支払回数, カード, 与信承認番号, 状態 with its `statusInfo`, 送り状番号 and
//!   配送サービス, 会員ID, and the history: 処理区分 and 処理日時 of every step), the kept
//!   cards by member, the test cards with their outcomes, valid slip numbers, the traders'
//!   codes and access keys, and the time on the sandbox clock;
//! * `POST /backoffice/deliver` — `trader_code`, `order_no`: Yamato confirms the delivery
//!   of a 30 transaction, which becomes 31 精算確定 (`allDeliveryDate`, `finishDate`);
//!   answered 303 back to the page with a message;
//! * `GET /tracking?slip_no=…` — the page E01's `slipUrlPc` points at.
//!
//! There is no authorisation expiry: the spec gives none, so an authorisation stays 4
//! until it is shipped or cancelled.

use axum::extract::{OriginalUri, Query, State};
use axum::http::header::LOCATION;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use minijinja::context;
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use serde::Deserialize;

use super::store::{
    State as TransactionState, Status, MAX_KEPT_CARDS, THREE_D_MINUTES, TOKEN_MINUTES,
};
use super::testcard::{self, CARDS};
use super::wire::shown;
use super::{pages, slip, Sandbox};
use crate::pages::{base_url, group_thousands};

/// `?message=…` of the page.
#[derive(Debug, Deserialize)]
pub struct Shown {
    #[serde(default)]
    message: Option<String>,
}

fn yen(amount: u64) -> String {
    format!("{}円", group_thousands(amount))
}

/// `GET /backoffice`.
pub async fn show(State(sandbox): State<Sandbox>, Query(query): Query<Shown>) -> Response {
    let now = (sandbox.clock)();
    let store = sandbox.lock();
    let transactions: Vec<_> = store
        .transactions
        .iter()
        .rev()
        .map(|t| {
            let status = t.status(now);
            let history: Vec<_> = t
                .history
                .iter()
                .map(|e| context! { label => e.label, at => shown(e.at), amount => yen(e.amount), note => e.note })
                .collect();
            context! {
                order_no => t.order_no,
                buyer => t.buyer,
                trader => store.traders[t.trader].trader_code,
                amount => yen(t.price),
                authorised => (t.authorised_price != t.price).then(|| yen(t.authorised_price)),
                pay_way => if t.pay_way == "1" { "一括".to_owned() } else { format!("{}回", t.pay_way) },
                card => format!("{} {}", t.card.brand.name, t.card.masked()),
                approval => t.approval,
                status => status.label(),
                code => status.code(),
                slip => t.slip.as_ref().map(|s| s.number.clone()),
                service => t.slip.as_ref().map(|s| if s.service == "00" { "クロネコヤマト" } else { "その他" }),
                member => t.member.as_ref().map(|m| m.id.clone()),
                registered => shown(t.registered),
                history,
                deliverable => status == Status::Shipped,
            }
        })
        .collect();
    let members: Vec<_> = store
        .members
        .iter()
        .filter(|m| !m.cards.is_empty())
        .map(|m| {
            let cards: Vec<_> = m
                .cards
                .iter()
                .map(|k| {
                    context! {
                        key => k.key,
                        card => format!("{} {}", k.card.brand.name, k.card.masked()),
                        expiry => k.card.expiry,
                        holder => k.card.holder,
                        last_credit => shown(k.last_credit),
                    }
                })
                .collect();
            context! { trader => store.traders[m.trader].trader_code, id => m.id, cards }
        })
        .collect();
    let cards: Vec<_> = CARDS
        .iter()
        .map(|c| {
            let (without, with) = c.behaviour.outcomes();
            context! { number => c.number, brand => testcard::brand(c.number).name, label => c.label, without, with }
        })
        .collect();
    let traders: Vec<_> = store
        .traders
        .iter()
        .map(|t| context! { code => t.trader_code, access_key => t.access_key })
        .collect();
    let context = context! {
        message => query.message,
        now => shown(now),
        transactions,
        members,
        cards,
        traders,
        slips => slip::examples(),
        token_minutes => TOKEN_MINUTES,
        three_d_minutes => THREE_D_MINUTES,
        max_cards => MAX_KEPT_CARDS,
    };
    pages::page(StatusCode::OK, "yamato/backoffice.html", context)
}

/// The delivery form.
#[derive(Debug, Deserialize)]
pub struct Delivery {
    #[serde(default)]
    trader_code: String,
    #[serde(default)]
    order_no: String,
}

/// `POST /backoffice/deliver`.
pub async fn deliver(
    State(sandbox): State<Sandbox>,
    headers: HeaderMap,
    OriginalUri(original): OriginalUri,
    Form(form): Form<Delivery>,
) -> Response {
    let page = format!(
        "{}/backoffice",
        base_url(&headers, &original, "/backoffice/deliver")
    );
    let back = |message: &str| {
        let to = format!(
            "{page}?message={}",
            utf8_percent_encode(message, NON_ALPHANUMERIC)
        );
        (StatusCode::SEE_OTHER, [(LOCATION, to)]).into_response()
    };
    let now = (sandbox.clock)();
    let mut store = sandbox.lock();
    let found = store
        .trader(&form.trader_code)
        .and_then(|trader| store.find(trader, &form.order_no));
    let Some(index) = found else {
        return back("取引が見つかりません。");
    };
    let t = &mut store.transactions[index];
    if t.status(now) != Status::Shipped {
        return back("精算確定待ちの取引ではありません。");
    }
    t.state = TransactionState::Delivered;
    t.delivered = Some(now);
    t.log("精算確定（配達完了）", now, "");
    tracing::info!(
        order_no = form.order_no,
        "yamato sandbox confirmed a delivery"
    );
    back(&format!(
        "受注番号 {} を精算確定にしました。",
        form.order_no
    ))
}

/// `?slip_no=…` of the tracking page.
#[derive(Debug, Deserialize)]
pub struct Tracking {
    #[serde(default)]
    slip_no: String,
}

/// `GET /tracking`.
pub async fn tracking(State(sandbox): State<Sandbox>, Query(query): Query<Tracking>) -> Response {
    let now = (sandbox.clock)();
    let store = sandbox.lock();
    let parcels: Vec<_> = store
        .transactions
        .iter()
        .filter(|t| t.slip.as_ref().is_some_and(|s| s.number == query.slip_no))
        .map(|t| {
            context! {
                order_no => t.order_no,
                registered => t.slip.as_ref().map(|s| shown(s.at)),
                status => t.status(now).label(),
            }
        })
        .collect();
    pages::page(
        StatusCode::OK,
        "yamato/tracking.html",
        context! { slip_no => query.slip_no, parcels },
    )
}
