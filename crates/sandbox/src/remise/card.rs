//! The card link-type request (spec §2.1): `POST /rpgw2/pc/card/paycard.aspx` checks the
//! shop's fields and answers Remise's card page; the buyer's answer is handled in
//! `payment.rs`.
//!
//! Fields are checked in this order, each with its `8:1/2/3nnn` code (`check.rs`):
//! `SHOPCO` (`RMS` + 5 letters/digits), `HOSTID` (5 letters/digits + 3 digits),
//! `S_TORIHIKI_NO` (1–20 of `A-Za-z0-9-_`), `JOB` (`AUTH`, `CAPTURE`, `CHECK`), `ITEM`
//! (`0000120` or `0000990`), `AMOUNT`, `TAX` (optional, 0 when absent), `TOTAL` (up to 7
//! digits each; AUTH/CAPTURE need `TOTAL = AMOUNT + TAX` within 1–999,999, else
//! `8:3009`; CHECK takes only empty or 0), `MAIL` (required), `METHOD` (`10`, `61`, `80`,
//! or empty for the buyer's choice), `PTIMES` (required with 61: 2, 3, 5, 6, 10, 12, 15,
//! 18, 20 or 24), `RETURL` and `NG_RETURL` (required http(s) URLs), `EXITURL` (optional),
//! `OPT` (up to 100 characters), `DIRECT` (only `OFF`: the direct mode is not
//! simulated), `PAYQUICK` (`1`, `0` or empty), `PAYQUICKID` (20 letters/digits),
//! `REMARKS3`, then with `AUTOCHARGE=1` the `AC_*` fields (`AC_AMOUNT`, `AC_TOTAL`,
//! `AC_NEXT_DATE` `YYYYMMDD`, `AC_INTERVAL` `1`–`999` + `M`/`D` required). Anything else
//! (EMV 3-D Secure fields, `REMARKS5`, `BTIMES`…) is accepted and ignored.
//!
//! A refused request shows Remise's error page with the code; its 「ショップへ戻る」
//! form posts the card fields with that `X-R_CODE` and `REC_TYPE=END` to `NG_RETURL` when
//! that is a URL. A `S_TORIHIKI_NO` already paid by card (AUTH or CAPTURE, also one left
//! 未確認 after 5:1000) is refused the same way with `8:5820`; a 0-yen CHECK never blocks
//! its number, since shops reuse one number per member for card updates.
//!
//! The page offers the stored card when `PAYQUICKID` names one of this `SHOPCO` (not for
//! CHECK, which always takes a new card); an unknown id is ignored.

use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use encoding_rs::SHIFT_JIS;
use minijinja::context;

use super::check::{self, Chars, Refusal};
use super::pages::{self, Returns};
use super::store::{japan, Job, Method, PageRequest, PayQuickCard};
use super::wire::Fields;
use super::Sandbox;
use crate::form::Form;
use crate::pages::group_thousands;

/// `ITEM` codes (商品コード): mail-order goods and others/services.
pub const ITEMS: &[&str] = &["0000120", "0000990"];
/// Instalment counts the sandbox merchant accepts with METHOD 61.
pub const PTIMES: &[u8] = &[2, 3, 5, 6, 10, 12, 15, 18, 20, 24];
/// Largest card total (§1).
pub const CARD_LIMIT: u64 = 999_999;

/// Recurring-billing data sent with `AUTOCHARGE=1`, recorded and echoed only.
#[derive(Debug, Clone)]
pub struct AutoCharge {
    /// `AC_MEMBERID` of an existing member.
    pub member_id: Option<String>,
    /// `AC_S_KAIIN_NO`.
    pub s_kaiin_no: String,
    /// `AC_AMOUNT`.
    pub amount: String,
    /// `AC_TOTAL`.
    pub total: String,
    /// `AC_NEXT_DATE`.
    pub next_date: String,
    /// `AC_INTERVAL`.
    pub interval: String,
}

/// A checked `paycard.aspx` request.
#[derive(Debug, Clone)]
pub struct CardRequest {
    /// `SHOPCO`.
    pub shopco: String,
    /// `HOSTID`.
    pub hostid: String,
    /// `S_TORIHIKI_NO`.
    pub s_torihiki_no: String,
    /// `JOB`.
    pub job: Job,
    /// `AMOUNT`.
    pub amount: u64,
    /// `TAX`.
    pub tax: u64,
    /// `TOTAL`.
    pub total: u64,
    /// `METHOD`; `None` lets the buyer choose.
    pub method: Option<Method>,
    /// `RETURL`, `NG_RETURL`, `EXITURL` and `OPT`.
    pub returns: Returns,
    /// `PAYQUICK=1`.
    pub payquick: bool,
    /// `PAYQUICKID`.
    pub payquick_id: Option<String>,
    /// `AUTOCHARGE=1` data.
    pub autocharge: Option<AutoCharge>,
}

/// Check a `paycard.aspx` form.
pub fn parse(form: &Form) -> Result<CardRequest, Refusal> {
    let shopco = check::shopco(form)?;
    let hostid = check::hostid(form)?;
    let s_torihiki_no = check::torihiki_no(form)?;
    let job = match check::required(form, "JOB", Chars::Alnum, 1, 10)? {
        "AUTH" => Job::Auth,
        "CAPTURE" => Job::Capture,
        "CHECK" => Job::Check,
        _ => return Err(Refusal::invalid("JOB")),
    };
    let item = check::required(form, "ITEM", Chars::Digits, 7, 7)?;
    if !ITEMS.contains(&item) {
        return Err(Refusal::invalid("ITEM"));
    }
    let paying = job != Job::Check;
    let amount = check::amount(form, "AMOUNT", paying, 7)?.unwrap_or(0);
    let tax = check::amount(form, "TAX", false, 7)?.unwrap_or(0);
    let total = check::amount(form, "TOTAL", paying, 7)?.unwrap_or(0);
    if paying && amount == 0 {
        return Err(Refusal::invalid("AMOUNT"));
    }
    if !paying && amount != 0 {
        return Err(Refusal::invalid("AMOUNT"));
    }
    if !paying && tax != 0 {
        return Err(Refusal::invalid("TAX"));
    }
    if total != amount + tax || total > CARD_LIMIT {
        return Err(Refusal::invalid("TOTAL"));
    }
    check::mail(form)?;
    let method = method(form)?;
    let returns = Returns::parse(form)?;
    check::direct(form)?;
    let payquick = match form.filled("PAYQUICK") {
        None | Some("0") => false,
        Some("1") => true,
        Some(_) => return Err(Refusal::invalid("PAYQUICK")),
    };
    let payquick_id =
        check::field(form, "PAYQUICKID", false, Chars::Alnum, 20, 20)?.map(str::to_owned);
    check::remarks3(form)?;
    let autocharge = autocharge(form)?;
    Ok(CardRequest {
        shopco,
        hostid,
        s_torihiki_no,
        job,
        amount,
        tax,
        total,
        method: if paying { method } else { Some(Method::Lump) },
        returns,
        payquick,
        payquick_id,
        autocharge,
    })
}

fn method(form: &Form) -> Result<Option<Method>, Refusal> {
    Ok(match form.filled("METHOD") {
        None => None,
        Some("10") => Some(Method::Lump),
        Some("80") => Some(Method::Revolving),
        Some("61") => {
            let times = check::required(form, "PTIMES", Chars::Digits, 1, 2)?;
            let times: u8 = times.parse().map_err(|_| Refusal::invalid("PTIMES"))?;
            if !PTIMES.contains(&times) {
                return Err(Refusal::invalid("PTIMES"));
            }
            Some(Method::Installments(times))
        }
        Some(_) => return Err(Refusal::invalid("METHOD")),
    })
}

fn autocharge(form: &Form) -> Result<Option<AutoCharge>, Refusal> {
    match form.filled("AUTOCHARGE") {
        None | Some("0") => return Ok(None),
        Some("1") => {}
        Some(_) => return Err(Refusal::invalid("AUTOCHARGE")),
    }
    let member_id =
        check::field(form, "AC_MEMBERID", false, Chars::Alnum, 14, 14)?.map(str::to_owned);
    let s_kaiin_no = check::field(form, "AC_S_KAIIN_NO", false, Chars::Ascii, 1, 17)?;
    check::field(form, "AC_NAME", false, Chars::Text, 1, 60)?;
    check::field(form, "AC_KANA", false, Chars::Text, 1, 60)?;
    check::field(form, "AC_TEL", false, Chars::Digits, 1, 11)?;
    let amount = check::required(form, "AC_AMOUNT", Chars::Digits, 1, 7)?;
    check::field(form, "AC_TAX", false, Chars::Digits, 1, 7)?;
    let total = check::required(form, "AC_TOTAL", Chars::Digits, 1, 7)?;
    let next_date = check::required(form, "AC_NEXT_DATE", Chars::Digits, 8, 8)?;
    if NaiveDate::parse_from_str(next_date, "%Y%m%d").is_err() {
        return Err(Refusal::invalid("AC_NEXT_DATE"));
    }
    let interval = check::required(form, "AC_INTERVAL", Chars::Alnum, 2, 4)?;
    let (count, unit) = interval.split_at(interval.len() - 1);
    let count_ok = count.parse::<u16>().is_ok_and(|n| (1..=999).contains(&n));
    if !count_ok || !matches!(unit, "M" | "D") {
        return Err(Refusal::invalid("AC_INTERVAL"));
    }
    check::field(form, "AC_COUNT", false, Chars::Digits, 1, 3)?;
    Ok(Some(AutoCharge {
        member_id,
        s_kaiin_no: s_kaiin_no.unwrap_or_default().to_owned(),
        amount: amount.to_owned(),
        total: total.to_owned(),
        next_date: next_date.to_owned(),
        interval: interval.to_owned(),
    }))
}

/// The card fields of a refused request, echoing what the form held.
pub fn refusal_fields(form: &Form, refusal: &Refusal) -> Fields {
    let mut fields = Fields::default();
    fields.push("X-TRANID", "");
    fields.push("X-S_TORIHIKI_NO", form.text("S_TORIHIKI_NO"));
    fields.push("X-AMOUNT", form.text("AMOUNT"));
    fields.push("X-TAX", form.text("TAX"));
    fields.push("X-TOTAL", form.text("TOTAL"));
    fields.push("X-R_CODE", &refusal.code);
    fields.push("X-ERRCODE", "   ");
    fields.push("X-ERRINFO", "000000000");
    fields.push("X-ERRLEVEL", "1");
    fields.push("OPT", form.text("OPT"));
    fields.push("REC_TYPE", "END");
    fields
}

/// Remise's error page for a refused card request.
pub fn refuse(form: &Form, refusal: &Refusal) -> Response {
    pages::refused_request(form, refusal, &refusal_fields(form, refusal))
}

/// `POST /rpgw2/pc/card/paycard.aspx`.
pub async fn request(State(sandbox): State<Sandbox>, body: Bytes) -> Response {
    let form = Form::decode(&body, SHIFT_JIS);
    let now = (sandbox.clock)();
    let request = match parse(&form) {
        Ok(request) => request,
        Err(refusal) => {
            tracing::info!(code = %refusal.code, "remise sandbox card request refused");
            return refuse(&form, &refusal);
        }
    };
    let (key, stored) = {
        let mut store = sandbox.lock();
        store.sweep(now);
        if request.job != Job::Check && store.card_paid(&request.shopco, &request.s_torihiki_no) {
            tracing::info!(s_torihiki_no = %request.s_torihiki_no, "remise sandbox card request is a duplicate");
            return refuse(&form, &Refusal::code("8:5820"));
        }
        let stored = stored_card(&request, |shopco, id| {
            store.payquick_card(shopco, id).cloned()
        });
        let key = store.open_page(PageRequest::Card(Box::new(request.clone())), now);
        (key, stored)
    };
    tracing::info!(s_torihiki_no = %request.s_torihiki_no, "remise sandbox card page opened");
    page(&request, &key, stored.as_ref(), None, now)
}

/// The PayQuick card the page offers for `request`, if any.
pub fn stored_card(
    request: &CardRequest,
    find: impl FnOnce(&str, &str) -> Option<PayQuickCard>,
) -> Option<PayQuickCard> {
    if request.job == Job::Check {
        return None;
    }
    request
        .payquick_id
        .as_deref()
        .and_then(|id| find(&request.shopco, id))
}

/// Remise's card page for `request` under `key`, with `message` from a previous try.
pub fn page(
    request: &CardRequest,
    key: &str,
    stored: Option<&PayQuickCard>,
    message: Option<&str>,
    now: DateTime<Utc>,
) -> Response {
    let this_year = now.with_timezone(&japan()).year();
    let years: Vec<_> = (this_year..=this_year + 10)
        .map(|year| context! { value => format!("{:02}", year % 100), label => year.to_string() })
        .collect();
    let months: Vec<String> = (1..=12).map(|m| format!("{m:02}")).collect();
    let methods = [
        ("10", Method::Lump),
        ("61-2", Method::Installments(2)),
        ("80", Method::Revolving),
    ]
    .map(|(value, method)| context! { value, label => method.label() });
    let stored = stored.map(|p| {
        let expire = &p.card.expire;
        context! {
            brand => p.card.brand,
            last4 => p.card.last4,
            expire => format!("{}/{}", &expire[..2], &expire[2..]),
        }
    });
    pages::buyer(
        "remise/card.html",
        context! {
            charset => "Shift_JIS",
            shopco => request.shopco,
            s_torihiki_no => request.s_torihiki_no,
            is_check => request.job == Job::Check,
            amount => group_thousands(request.amount),
            tax => group_thousands(request.tax),
            total => group_thousands(request.total),
            method_label => request.method.map(Method::label),
            methods => methods.to_vec(),
            stored,
            register => request.payquick,
            key,
            message,
            months,
            years,
            exit_url => request.returns.exit_url,
        },
    )
}
