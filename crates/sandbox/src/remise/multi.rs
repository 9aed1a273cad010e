//! Multi payment (マルチ決済, spec §3): `POST /rpgw2/pc/cvs/paycvs.aspx` checks the shop's
//! fields and shows the choice of destinations; `POST /rpgw2/pc/cvs/pay` (`KEY`,
//! `PAY_CSV`) issues the slip and sends the browser back with `REC_TYPE=END`.
//!
//! Fields are checked in this order (codes in `check.rs`): `SHOPCO`, `HOSTID`,
//! `S_TORIHIKI_NO`, `NAME1` and `NAME2` (required, up to 20 characters), `KANA1` and
//! `KANA2` (optional — Welcart drops a bad one — but full-width katakana when sent, up to
//! 20), `YUBIN1` (3 digits) and `YUBIN2` (4 digits), `ADD1` (required), `ADD2`, `ADD3` (up
//! to 50 characters each), `TEL` (10–11 digits), `MAIL`, `TOTAL` (1–999,999), `TAX`,
//! `S_PAYDATE` (`YYYYMMDD`, from today to 60 days ahead in Japan; empty = the contract
//! default of [`DEFAULT_PAY_DAYS`] days), `SEIYAKUDATE`, `BIKO` (up to 25),
//! `MNAME_01`…`MNAME_07` (up to 40 characters, no half-width space; `_01` required) with
//! their `MSUM_nn` (the sum must equal `TOTAL`, or `TOTAL - TAX` as EC-CUBE sends it, else
//! `8:3116`), `PAY_CSV` (a known code, preselected on the page), `DIRECT` (`OFF` only),
//! `RETURL`, `NG_RETURL`, `EXITURL`, `OPT`, `REMARKS3`. A refused request, or a
//! `S_TORIHIKI_NO` that already has a slip (`8:5820`, also after it expired), shows
//! Remise's error page with a form back to `NG_RETURL` as for cards. Card and multi
//! payment keep separate 請求番号 spaces.
//!
//! The page lists the destinations of `slip.rs` whose limit takes `TOTAL`. The return
//! carries `X-JOB_ID` (20 digits), `X-R_CODE` `0:0000`, `X-S_TORIHIKI_NO`, `X-TOTAL`,
//! `X-PAYDATE` (`YYYYMMDD`; WebMoney always the next day), `X-PAY_CSV`, `X-PAY_WAY`,
//! `X-PAY_NO1`, `X-PAY_NO2`, `OPT`, `REC_TYPE`. No RET is sent for multi payments (the
//! spec shows none). The slip is 未入金 until paid (back office or the slip page's sandbox
//! button), then the 収納情報通知 goes out. Carriers (M6xx) and PayPay (E201): choosing
//! one on the page stands for the buyer's approval at the carrier, so the payment counts
//! as received at that instant and its 収納情報通知 is sent by a task started right after
//! the END page is answered; it may therefore reach the shop before the browser's END post
//! does (`POST /backoffice/notices/deliver` waits for that attempt).

use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use encoding_rs::SHIFT_JIS;
use minijinja::context;

use super::check::{self, Chars, Refusal};
use super::notify;
use super::pages::{self, Returns};
use super::slip::{self, DESTINATIONS};
use super::store::{today, MultiPayment, MultiState, PageRequest, DEFAULT_PAY_DAYS};
use super::wire::Fields;
use super::Sandbox;
use crate::form::Form;
use crate::pages::{base_url, group_thousands};

/// Largest total of a multi payment (§1).
pub const MULTI_LIMIT: u64 = 999_999;
/// How far ahead `S_PAYDATE` may lie.
pub const MAX_PAY_DAYS: i64 = 60;

/// A checked `paycvs.aspx` request.
#[derive(Debug, Clone)]
pub struct MultiRequest {
    /// `SHOPCO`.
    pub shopco: String,
    /// `HOSTID`.
    pub hostid: String,
    /// `S_TORIHIKI_NO`.
    pub s_torihiki_no: String,
    /// `NAME1 NAME2`.
    pub buyer: String,
    /// `TOTAL`.
    pub total: u64,
    /// `S_PAYDATE`.
    pub paydate: Option<NaiveDate>,
    /// `PAY_CSV`, preselected.
    pub pay_csv: Option<String>,
    /// `RETURL`, `NG_RETURL`, `EXITURL` and `OPT`.
    pub returns: Returns,
}

fn text(form: &Form, name: &str, required: bool, max: usize) -> Result<String, Refusal> {
    Ok(check::field(form, name, required, Chars::Text, 1, max)?
        .unwrap_or_default()
        .to_owned())
}

fn date(form: &Form, name: &str) -> Result<Option<NaiveDate>, Refusal> {
    check::field(form, name, false, Chars::Digits, 8, 8)?
        .map(|raw| NaiveDate::parse_from_str(raw, "%Y%m%d").map_err(|_| Refusal::invalid(name)))
        .transpose()
}

/// Check a `paycvs.aspx` form at `now`.
pub fn parse(form: &Form, now: DateTime<Utc>) -> Result<MultiRequest, Refusal> {
    let shopco = check::shopco(form)?;
    let hostid = check::hostid(form)?;
    let s_torihiki_no = check::torihiki_no(form)?;
    let name1 = text(form, "NAME1", true, 20)?;
    let name2 = text(form, "NAME2", true, 20)?;
    check::field(form, "KANA1", false, Chars::Katakana, 1, 20)?;
    check::field(form, "KANA2", false, Chars::Katakana, 1, 20)?;
    check::required(form, "YUBIN1", Chars::Digits, 3, 3)?;
    check::required(form, "YUBIN2", Chars::Digits, 4, 4)?;
    text(form, "ADD1", true, 50)?;
    text(form, "ADD2", false, 50)?;
    text(form, "ADD3", false, 50)?;
    check::required(form, "TEL", Chars::Digits, 10, 11)?;
    check::mail(form)?;
    let total = check::amount(form, "TOTAL", true, 7)?.unwrap_or(0);
    if !(1..=MULTI_LIMIT).contains(&total) {
        return Err(Refusal::invalid("TOTAL"));
    }
    let tax = check::amount(form, "TAX", false, 7)?.unwrap_or(0);
    if tax > total {
        return Err(Refusal::invalid("TAX"));
    }
    let paydate = date(form, "S_PAYDATE")?;
    let first = today(now);
    if paydate.is_some_and(|d| d < first || d > first + Duration::days(MAX_PAY_DAYS)) {
        return Err(Refusal::invalid("S_PAYDATE"));
    }
    date(form, "SEIYAKUDATE")?;
    text(form, "BIKO", false, 25)?;
    items(form, total, tax)?;
    let pay_csv = check::field(form, "PAY_CSV", false, Chars::Alnum, 4, 4)?;
    if pay_csv.is_some_and(|code| slip::find(code).is_none()) {
        return Err(Refusal::invalid("PAY_CSV"));
    }
    check::direct(form)?;
    let returns = Returns::parse(form)?;
    check::remarks3(form)?;
    Ok(MultiRequest {
        shopco,
        hostid,
        s_torihiki_no,
        buyer: format!("{name1} {name2}"),
        total,
        paydate,
        pay_csv: pay_csv.map(str::to_owned),
        returns,
    })
}

/// `MNAME_nn` / `MSUM_nn`: line 01 required, each name with its sum, sums adding up.
fn items(form: &Form, total: u64, tax: u64) -> Result<(), Refusal> {
    let mut sum = 0;
    for n in 1..=7 {
        let name_field = format!("MNAME_{n:02}");
        let sum_field = format!("MSUM_{n:02}");
        let required = n == 1 || form.filled(&sum_field).is_some();
        let Some(name) = check::field(form, &name_field, required, Chars::Text, 1, 40)? else {
            continue;
        };
        if name.contains(' ') {
            return Err(Refusal::invalid(&name_field));
        }
        sum += check::amount(form, &sum_field, true, 7)?.unwrap_or(0);
    }
    if sum != total && sum + tax != total {
        return Err(Refusal::invalid("MSUM_01"));
    }
    Ok(())
}

/// The multi fields of a refused request, echoing what the form held.
fn refusal_fields(form: &Form, refusal: &Refusal) -> Fields {
    let mut fields = Fields::default();
    fields.push("X-JOB_ID", "");
    fields.push("X-R_CODE", &refusal.code);
    fields.push("X-S_TORIHIKI_NO", form.text("S_TORIHIKI_NO"));
    fields.push("X-TOTAL", form.text("TOTAL"));
    for name in [
        "X-PAYDATE",
        "X-PAY_CSV",
        "X-PAY_WAY",
        "X-PAY_NO1",
        "X-PAY_NO2",
    ] {
        fields.push(name, "");
    }
    fields.push("OPT", form.text("OPT"));
    fields.push("REC_TYPE", "END");
    fields
}

fn refuse(form: &Form, refusal: &Refusal) -> Response {
    tracing::info!(code = %refusal.code, "remise sandbox multi payment request refused");
    pages::refused_request(form, refusal, &refusal_fields(form, refusal))
}

/// `POST /rpgw2/pc/cvs/paycvs.aspx`.
pub async fn request(State(sandbox): State<Sandbox>, body: Bytes) -> Response {
    let form = Form::decode(&body, SHIFT_JIS);
    let now = (sandbox.clock)();
    let request = match parse(&form, now) {
        Ok(request) => request,
        Err(refusal) => return refuse(&form, &refusal),
    };
    let key = {
        let mut store = sandbox.lock();
        store.sweep(now);
        if store.multi_issued(&request.shopco, &request.s_torihiki_no) {
            return refuse(&form, &Refusal::code("8:5820"));
        }
        store.open_page(PageRequest::Multi(Box::new(request.clone())), now)
    };
    page(&request, &key, None)
}

fn page(request: &MultiRequest, key: &str, message: Option<&str>) -> Response {
    let preselected = request.pay_csv.as_deref().unwrap_or_default();
    let choices: Vec<_> = DESTINATIONS
        .iter()
        .filter(|d| request.total <= d.max)
        .map(|d| context! { code => d.code, name => d.name, checked => d.code == preselected })
        .collect();
    pages::buyer(
        "remise/multi.html",
        context! {
            charset => "Shift_JIS",
            s_torihiki_no => request.s_torihiki_no,
            buyer => request.buyer,
            total => group_thousands(request.total),
            choices,
            key,
            message,
            exit_url => request.returns.exit_url,
        },
    )
}

/// `POST /rpgw2/pc/cvs/pay`.
pub async fn choose(
    State(sandbox): State<Sandbox>,
    headers: HeaderMap,
    OriginalUri(original): OriginalUri,
    body: Bytes,
) -> Response {
    let form = Form::decode(&body, SHIFT_JIS);
    let now = (sandbox.clock)();
    let key = form.text("KEY");
    let base = base_url(&headers, &original, "/rpgw2/pc/cvs/pay");
    let (fields, request, paid_at_once) = {
        let mut store = sandbox.lock();
        store.sweep(now);
        let page_request = store.open(&key, now).map(|page| page.request.clone());
        let Some(PageRequest::Multi(request)) = page_request else {
            return pages::gone(None);
        };
        let chosen = slip::find(&form.text("PAY_CSV")).filter(|d| request.total <= d.max);
        let Some(destination) = chosen else {
            return page(&request, &key, Some("お支払先を選択してください。"));
        };
        if let Some(page) = store.open(&key, now) {
            page.used = true;
        }
        if store.multi_issued(&request.shopco, &request.s_torihiki_no) {
            let refusal = Refusal::code("8:5820");
            let mut fields = refusal_fields(&form, &refusal);
            fields.set("X-S_TORIHIKI_NO", &request.s_torihiki_no);
            fields.set("X-TOTAL", request.total.to_string());
            return request.returns.refused(&refusal, fields);
        }
        let job_id = store.new_job_id(now);
        let (pay_no1, pay_no2) = slip::numbers(destination, &job_id, &base);
        let paydate = match destination.code {
            "D451" => today(now) + Duration::days(1),
            _ => request
                .paydate
                .unwrap_or(today(now) + Duration::days(DEFAULT_PAY_DAYS)),
        };
        let multi = MultiPayment {
            job_id,
            shopco: request.shopco.clone(),
            hostid: request.hostid.clone(),
            s_torihiki_no: request.s_torihiki_no.clone(),
            total: request.total,
            pay_csv: destination.code,
            pay_name: destination.name,
            pay_no1,
            pay_no2,
            paydate,
            issued: now,
            state: MultiState::Unpaid,
            buyer: request.buyer.clone(),
        };
        let fields = end_fields(&multi, destination.pay_way, &request.returns.opt);
        store.multis.push(multi);
        let paid_at_once = destination.numbering.paid_at_once();
        if paid_at_once {
            let index = store.multis.len() - 1;
            let _ = store.receive(index, now);
        }
        (fields, request, paid_at_once)
    };
    tracing::info!(
        s_torihiki_no = %request.s_torihiki_no,
        pay_csv = fields.get("X-PAY_CSV").unwrap_or_default(),
        "remise sandbox multi payment slip issued"
    );
    let answer = pages::post_back(&request.returns.url, &fields, "お申し込みを受け付けました");
    if paid_at_once {
        let sandbox = sandbox.clone();
        tokio::spawn(async move {
            notify::deliver_due(&sandbox).await;
        });
    }
    answer
}

fn end_fields(multi: &MultiPayment, pay_way: &str, opt: &str) -> Fields {
    let mut fields = Fields::default();
    fields.push("X-JOB_ID", &multi.job_id);
    fields.push("X-R_CODE", "0:0000");
    fields.push("X-S_TORIHIKI_NO", &multi.s_torihiki_no);
    fields.push("X-TOTAL", multi.total.to_string());
    fields.push("X-PAYDATE", multi.paydate.format("%Y%m%d").to_string());
    fields.push("X-PAY_CSV", multi.pay_csv);
    fields.push("X-PAY_WAY", pay_way);
    fields.push("X-PAY_NO1", &multi.pay_no1);
    fields.push("X-PAY_NO2", &multi.pay_no2);
    fields.push("OPT", opt);
    fields.push("REC_TYPE", "END");
    fields
}
