//! Payment destinations of the multi payment (spec §3.4) and the pages their numbers lead
//! to: which codes the sandbox offers, their `PAY_WAY` groups and amount limits, the
//! `X-PAY_NO1` / `X-PAY_NO2` each issues, and `GET /rpgw2/pc/cvs/slip|guide|cp.exec?JOB_ID=…`,
//! the 払込票 / 支払方法案内 / 支払手続 pages behind the URLs.
//!
//! Numbers: D001 a 13-digit 払込票番号 + the slip URL; D002 and D005 an 8-digit 受付番号
//! followed by a 4-digit 確認番号 + the guide URL; D015 a 6-digit 受付番号 (paid with the
//! buyer's phone number) + guide URL; D030 the 企業コード `10035` + a 12-digit 注文番号
//! (no URL); D010/D011 an 11-digit オンライン決済番号 + guide URL; D405
//! `お客様番号(12)-確認番号(6)` + guide URL (収納機関番号 58091); e-money, carriers and
//! PayPay a 10-digit 受付番号 + the 支払手続 URL (`cp.exec`, as Remise's e-money URLs are).
//! Limits not in the spec are the sandbox's: M601 and M621 up to 100,000 yen, E201 up to
//! 999,999; E201's `PAY_WAY` is `200` (unknown in the spec).
//!
//! Every page shows the slip and, while it is unpaid and within its deadline, a
//! 「支払う（サンドボックス）」 button standing in for the store, the bank or the e-money
//! site: `POST /rpgw2/pc/cvs/receive` (`JOB_ID`) marks it paid and sends the
//! 収納情報通知 at once, as the back office's 入金 does.

use axum::extract::{Query, State};
use axum::http::header::LOCATION;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Form as UrlForm;
use minijinja::context;
use serde::Deserialize;

use super::notify;
use super::pages;
use super::store::{shown, MultiState, Store};
use super::Sandbox;
use crate::pages::group_thousands;

/// How a destination's numbers look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Numbering {
    /// セブン-イレブン.
    SevenEleven,
    /// ローソン, ミニストップ.
    Lawson,
    /// セイコーマート.
    Seicomart,
    /// ファミリーマート.
    FamilyMart,
    /// デイリーヤマザキ, ヤマザキデイリーストア.
    Yamazaki,
    /// ペイジー.
    PayEasy,
    /// 楽天Edy, WebMoney, BitCash.
    EMoney,
    /// ドコモ, au, ソフトバンク.
    Carrier,
    /// PayPay.
    PayPay,
}

impl Numbering {
    /// Paid the moment the buyer approves on the sandbox page (carriers and PayPay).
    pub fn paid_at_once(self) -> bool {
        matches!(self, Numbering::Carrier | Numbering::PayPay)
    }
}

/// One `PAY_CSV` code.
#[derive(Debug, Clone, Copy)]
pub struct Destination {
    /// `PAY_CSV`.
    pub code: &'static str,
    /// As Remise's page and `REC_CVSNAME` name it.
    pub name: &'static str,
    /// `PAY_WAY`.
    pub pay_way: &'static str,
    /// Largest total it takes.
    pub max: u64,
    /// How its numbers look.
    pub numbering: Numbering,
}

const fn destination(
    code: &'static str,
    name: &'static str,
    pay_way: &'static str,
    max: u64,
    numbering: Numbering,
) -> Destination {
    Destination {
        code,
        name,
        pay_way,
        max,
        numbering,
    }
}

/// The destinations the sandbox merchant has, in the page's order.
pub const DESTINATIONS: &[Destination] = &[
    destination(
        "D001",
        "セブン-イレブン",
        "002",
        299_999,
        Numbering::SevenEleven,
    ),
    destination("D002", "ローソン", "003", 299_999, Numbering::Lawson),
    destination(
        "D030",
        "ファミリーマート",
        "006",
        299_999,
        Numbering::FamilyMart,
    ),
    destination(
        "D010",
        "デイリーヤマザキ",
        "004",
        299_999,
        Numbering::Yamazaki,
    ),
    destination(
        "D011",
        "ヤマザキデイリーストア",
        "004",
        299_999,
        Numbering::Yamazaki,
    ),
    destination("D005", "ミニストップ", "004", 299_999, Numbering::Lawson),
    destination(
        "D015",
        "セイコーマート",
        "004",
        299_999,
        Numbering::Seicomart,
    ),
    destination("D405", "ペイジー", "400", 299_999, Numbering::PayEasy),
    destination("D401", "楽天Ｅｄｙ", "400", 50_000, Numbering::EMoney),
    destination("D451", "ウェブマネー", "400", 500_000, Numbering::EMoney),
    destination(
        "D452",
        "ビットキャッシュ",
        "400",
        200_000,
        Numbering::EMoney,
    ),
    destination(
        "M601",
        "ドコモ払い（d払い）",
        "600",
        100_000,
        Numbering::Carrier,
    ),
    destination("M611", "auかんたん決済", "600", 50_000, Numbering::Carrier),
    destination(
        "M621",
        "ソフトバンクまとめて支払い",
        "600",
        100_000,
        Numbering::Carrier,
    ),
    destination(
        "E201",
        "PayPayオンライン決済",
        "200",
        999_999,
        Numbering::PayPay,
    ),
];

/// ファミリーマート's 企業コード in the sandbox.
pub const FAMILYMART_COMPANY_CODE: &str = "10035";
/// ペイジー's 収納機関番号 (§3.4).
pub const PAYEASY_INSTITUTION: &str = "58091";

/// The destination `code`.
pub fn find(code: &str) -> Option<&'static Destination> {
    DESTINATIONS.iter().find(|d| d.code == code)
}

/// `X-PAY_NO1` and `X-PAY_NO2` for a slip of `destination`; `base` is where a browser
/// reaches the sandbox.
pub fn numbers(destination: &Destination, job_id: &str, base: &str) -> (String, String) {
    use super::store::digits;
    let page = |path: &str| format!("{base}/rpgw2/pc/cvs/{path}?JOB_ID={job_id}");
    match destination.numbering {
        Numbering::SevenEleven => (digits(13), page("slip")),
        Numbering::Lawson => (digits(12), page("guide")),
        Numbering::Seicomart => (digits(6), page("guide")),
        Numbering::FamilyMart => (FAMILYMART_COMPANY_CODE.to_owned(), digits(12)),
        Numbering::Yamazaki => (digits(11), page("guide")),
        Numbering::PayEasy => (format!("{}-{}", digits(12), digits(6)), page("guide")),
        Numbering::EMoney | Numbering::Carrier | Numbering::PayPay => (digits(10), page("cp.exec")),
    }
}

/// The numbers as the pages label them.
fn labelled(numbering: Numbering, no1: &str, no2: &str) -> Vec<(&'static str, String)> {
    match numbering {
        Numbering::SevenEleven => vec![("払込票番号", no1.to_owned())],
        Numbering::Lawson => vec![
            ("受付番号", no1.get(..8).unwrap_or(no1).to_owned()),
            ("確認番号", no1.get(8..).unwrap_or_default().to_owned()),
        ],
        Numbering::Seicomart => vec![("受付番号", no1.to_owned())],
        Numbering::FamilyMart => vec![("企業コード", no1.to_owned()), ("注文番号", no2.to_owned())],
        Numbering::Yamazaki => vec![("オンライン決済番号", no1.to_owned())],
        Numbering::PayEasy => {
            let (customer, confirm) = no1.split_once('-').unwrap_or((no1, ""));
            vec![
                ("収納機関番号", PAYEASY_INSTITUTION.to_owned()),
                ("お客様番号", customer.to_owned()),
                ("確認番号", confirm.to_owned()),
            ]
        }
        Numbering::EMoney | Numbering::Carrier | Numbering::PayPay => {
            vec![("受付番号", no1.to_owned())]
        }
    }
}

/// `?JOB_ID=…` of the slip pages.
#[derive(Debug, Deserialize)]
pub struct JobQuery {
    #[serde(rename = "JOB_ID", default)]
    job_id: String,
}

/// `GET /rpgw2/pc/cvs/slip`, `/guide` and `/cp.exec`.
pub async fn show(State(sandbox): State<Sandbox>, Query(query): Query<JobQuery>) -> Response {
    let now = (sandbox.clock)();
    let mut store = sandbox.lock();
    store.sweep(now);
    page(&store, &query.job_id)
}

fn page(store: &Store, job_id: &str) -> Response {
    let Some(multi) = store.multis.iter().find(|m| m.job_id == job_id) else {
        return pages::gone(None);
    };
    let numbering = find(multi.pay_csv).map_or(Numbering::EMoney, |d| d.numbering);
    let numbers: Vec<_> = labelled(numbering, &multi.pay_no1, &multi.pay_no2)
        .into_iter()
        .map(|(label, value)| context! { label, value })
        .collect();
    let paid_at = match multi.state {
        MultiState::Paid(at) => Some(shown(at)),
        _ => None,
    };
    pages::buyer(
        "remise/guide.html",
        context! {
            charset => "Shift_JIS",
            name => multi.pay_name,
            code => multi.pay_csv,
            job_id => multi.job_id,
            s_torihiki_no => multi.s_torihiki_no,
            total => group_thousands(multi.total),
            paydate => multi.paydate.format("%Y年%m月%d日").to_string(),
            numbers,
            state => multi.state.label(),
            payable => multi.state == MultiState::Unpaid,
            paid_at,
            tel_note => numbering == Numbering::Seicomart,
        },
    )
}

/// The form of `POST /rpgw2/pc/cvs/receive`.
#[derive(Debug, Deserialize)]
pub struct Receive {
    #[serde(rename = "JOB_ID", default)]
    job_id: String,
}

/// `POST /rpgw2/pc/cvs/receive`: the buyer pays (sandbox button); back to the page.
pub async fn receive(State(sandbox): State<Sandbox>, UrlForm(form): UrlForm<Receive>) -> Response {
    let now = (sandbox.clock)();
    let (job_id, received) = {
        let mut store = sandbox.lock();
        store.sweep(now);
        let Some(index) = store.multis.iter().position(|m| m.job_id == form.job_id) else {
            return pages::gone(None);
        };
        (
            store.multis[index].job_id.clone(),
            store.receive(index, now),
        )
    };
    if received.is_ok() {
        tracing::info!(job_id = %job_id, "remise sandbox multi payment paid on its page");
        notify::deliver_due(&sandbox).await;
    }
    let back = format!("cp.exec?JOB_ID={job_id}");
    (StatusCode::SEE_OTHER, [(LOCATION, back)]).into_response()
}
