//! The buyer's answer on the card page, `POST /rpgw2/pc/card/pay` (`KEY`, `CARD_SEL`
//! `stored`/`new`, `CARD_NO`, `EXPIRE_MM`, `EXPIRE_YY`, `NAME`, `SECURITY_CODE`,
//! `METHOD` `10`/`61-2`/`80` when the shop left it to the buyer), and what Remise sends
//! back (spec §2.2).
//!
//! A malformed card entry shows the page again with a message. Otherwise the test card
//! decides (`testcard.rs`), the payment is recorded (with a 28-digit `X-TRANID`, also for a
//! decline), and **first** the result goes to the 結果通知URL as a Shift_JIS form with
//! `REC_TYPE=RET`, the sandbox waiting up to ten seconds for the shop's answer; only then
//! is the browser answered with the auto-submitting form of the same fields and
//! `REC_TYPE=END`:
//! * approved and acknowledged with `<SDBKDATA>STATUS=800</SDBKDATA>` (or no 結果通知URL
//!   set: no RET is sent) → `RETURL`;
//! * approved but not acknowledged → `NG_RETURL` with `X-R_CODE=5:1000`, every other field
//!   as sent in the RET; the authorisation stands, shown as 未確認 in the back office, and
//!   its 請求番号 stays taken (the spec does not know whether Remise reverses it; a shop
//!   can release it with the extset VOID/RETURN and the `X-TRANID` it received);
//! * declined → `NG_RETURL` with the decline (`X-R_CODE=0:0000`, `X-ERRLEVEL=1`,
//!   `X-ERRCODE`, `X-ERRINFO`), whatever the shop answered to its RET.
//!
//! Fields, in this order: `X-TRANID`, `X-S_TORIHIKI_NO`, `X-AMOUNT`, `X-TAX`, `X-TOTAL`,
//! `X-R_CODE`, `X-ERRCODE` (three spaces on success), `X-ERRINFO` (`000000000`),
//! `X-ERRLEVEL` (`0`/`1`), `X-REFAPPROVED` (7 digits), `X-REFFORWARDED` (the acquirer,
//! `UFJ` for VISA/MASTER, else the brand), `X-REFGATEWAYNO` (8 digits), `X-PAYQUICKID`
//! (empty unless PayQuick was used or registered), `X-PARTOFCARD`, `X-EXPIRE` (`MMYY`),
//! `X-NAME`, `X-CARDBRAND`, with `AUTOCHARGE=1` `X-AC_MEMBERID` (14 digits, or the
//! `AC_MEMBERID` sent), `X-AC_S_KAIIN_NO`, `X-AC_AMOUNT`, `X-AC_TOTAL`, `X-AC_NEXT_DATE`,
//! `X-AC_INTERVAL`, then `OPT` and `REC_TYPE`. The approval fields are empty on a decline.
//!
//! PayQuick: with `PAYQUICK=1` an approved new card is stored under the `PAYQUICKID`
//! sent when that id exists (updated in place), else under a new 20-digit id; paying with
//! the stored card returns its id unchanged. CHECK (0 yen) registers or updates the same
//! way and answers like a success with amounts `0`.

use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use chrono::{DateTime, Utc};
use encoding_rs::SHIFT_JIS;

use super::card::{self, CardRequest};
use super::check::Refusal;
use super::notify::{self, Delivery};
use super::pages;
use super::store::{
    digits, CardPayment, CardState, CardSummary, Job, Method, PageRequest, PayQuickCard, Store,
};
use super::testcard::{self, Behaviour, Verdict};
use super::wire::Fields;
use super::Sandbox;
use crate::form::Form;

/// The card the buyer chose on the page. The number itself is gone once this is built.
enum Chosen {
    /// The PayQuick card offered.
    Stored(PayQuickCard),
    /// A card typed in.
    New(CardSummary, Behaviour),
}

/// What was decided for one payment.
struct Decided {
    fields: Fields,
    approved: bool,
    tranid: String,
}

/// Read the buyer's card entry; the message says what to correct.
fn chosen(form: &Form, stored: Option<&PayQuickCard>) -> Result<Chosen, &'static str> {
    if form.get("CARD_SEL") == Some("stored") {
        return stored
            .cloned()
            .map(Chosen::Stored)
            .ok_or("カード番号を入力してください。");
    }
    let number: String = form
        .text("CARD_NO")
        .chars()
        .filter(|c| *c != ' ' && *c != '-')
        .collect();
    if !(14..=16).contains(&number.len()) || !number.chars().all(|c| c.is_ascii_digit()) {
        return Err("カード番号を正しく入力してください（半角数字14〜16桁）。");
    }
    let month = form.text("EXPIRE_MM");
    let year = form.text("EXPIRE_YY");
    let month_ok = month.parse::<u8>().is_ok_and(|m| (1..=12).contains(&m)) && month.len() == 2;
    if !month_ok || year.len() != 2 || !year.chars().all(|c| c.is_ascii_digit()) {
        return Err("有効期限を選択してください。");
    }
    let name = form.text("NAME").trim().to_ascii_uppercase();
    let name_ok = name
        .chars()
        .all(|c| c.is_ascii_alphabetic() || c == ' ' || c == '.' || c == '-');
    if name.is_empty() || name.len() > 45 || !name_ok {
        return Err("カード名義人を半角ローマ字で入力してください。");
    }
    let code = form.text("SECURITY_CODE");
    if !code.is_empty()
        && (!(3..=4).contains(&code.len()) || !code.chars().all(|c| c.is_ascii_digit()))
    {
        return Err("セキュリティコードを正しく入力してください。");
    }
    let summary = CardSummary {
        last4: number[number.len() - 4..].to_owned(),
        expire: format!("{month}{year}"),
        name,
        brand: testcard::brand(&number),
    };
    Ok(Chosen::New(summary, testcard::behaviour(&number)))
}

fn method(form: &Form, request: &CardRequest) -> Result<Method, &'static str> {
    if let Some(method) = request.method {
        return Ok(method);
    }
    match form.get("METHOD") {
        Some("10") => Ok(Method::Lump),
        Some("61-2") => Ok(Method::Installments(2)),
        Some("80") => Ok(Method::Revolving),
        _ => Err("支払方法を選択してください。"),
    }
}

/// `POST /rpgw2/pc/card/pay`.
pub async fn pay(State(sandbox): State<Sandbox>, body: Bytes) -> Response {
    let form = Form::decode(&body, SHIFT_JIS);
    let now = (sandbox.clock)();
    let key = form.text("KEY");
    let (request, stored) = {
        let mut store = sandbox.lock();
        store.sweep(now);
        let request = match store.open(&key, now).map(|page| page.request.clone()) {
            Some(PageRequest::Card(request)) => request,
            _ => return pages::gone(None),
        };
        let stored = card::stored_card(&request, |shopco, id| {
            store.payquick_card(shopco, id).cloned()
        });
        (request, stored)
    };
    let choice = chosen(&form, stored.as_ref())
        .and_then(|chosen| method(&form, &request).map(|method| (chosen, method)));
    let (chosen, method) = match choice {
        Ok(choice) => choice,
        Err(message) => return card::page(&request, &key, stored.as_ref(), Some(message), now),
    };
    let decided = {
        let mut store = sandbox.lock();
        match store.open(&key, now) {
            Some(page) => page.used = true,
            None => return pages::gone(request.returns.exit_url.as_deref()),
        }
        if request.job != Job::Check && store.card_paid(&request.shopco, &request.s_torihiki_no) {
            let refusal = Refusal::code("8:5820");
            let mut fields = card::refusal_fields(&Form::default(), &refusal);
            fields.set("X-S_TORIHIKI_NO", &request.s_torihiki_no);
            fields.set("X-AMOUNT", request.amount.to_string());
            fields.set("X-TAX", request.tax.to_string());
            fields.set("X-TOTAL", request.total.to_string());
            return request.returns.refused(&refusal, fields);
        }
        decide(&mut store, &request, chosen, method, now)
    };
    tracing::info!(
        s_torihiki_no = %request.s_torihiki_no,
        tranid = %decided.tranid,
        approved = decided.approved,
        "remise sandbox card payment decided"
    );
    let kind = format!("カード {}", job_name(request.job));
    let delivery =
        notify::send_result(&sandbox, &decided.fields, &kind, &request.s_torihiki_no).await;
    let mut fields = decided.fields.with_rec_type("END");
    if !decided.approved {
        return pages::post_back(&request.returns.ng_url, &fields, "決済できませんでした");
    }
    if delivery == Delivery::Refused {
        {
            let mut store = sandbox.lock();
            if let Some(payment) = store.cards.iter_mut().find(|c| c.tranid == decided.tranid) {
                payment.unconfirmed = true;
                payment
                    .history
                    .push("結果通知の応答なし（5:1000・未確認）".to_owned());
            }
        }
        fields.set("X-R_CODE", "5:1000");
        return pages::post_back(&request.returns.ng_url, &fields, "結果通知エラー");
    }
    pages::post_back(&request.returns.url, &fields, "決済が完了しました")
}

/// `JOB` as sent.
pub fn job_name(job: Job) -> &'static str {
    match job {
        Job::Auth => "AUTH",
        Job::Capture => "CAPTURE",
        Job::Check => "CHECK",
    }
}

/// Judge the card, record the payment and PayQuick card, build the result fields.
fn decide(
    store: &mut Store,
    request: &CardRequest,
    chosen: Chosen,
    method: Method,
    now: DateTime<Utc>,
) -> Decided {
    let (summary, behaviour, stored_id) = match chosen {
        Chosen::Stored(stored) => (stored.card, stored.behaviour, Some(stored.id)),
        Chosen::New(summary, behaviour) => (summary, behaviour, None),
    };
    let verdict = testcard::judge(behaviour, &summary.expire, now);
    let tranid = store.new_tranid(now);
    let approved = verdict == Verdict::Approved;
    let payquick_id = match (&stored_id, approved && request.payquick) {
        (Some(id), _) if approved => Some(id.clone()),
        (None, true) => Some(store.save_payquick(
            &request.shopco,
            request.payquick_id.as_deref(),
            summary.clone(),
            behaviour,
            now,
        )),
        _ => None,
    };
    let member = request
        .autocharge
        .as_ref()
        .filter(|_| approved)
        .map(|ac| ac.member_id.clone().unwrap_or_else(|| digits(14)));
    let state = match (verdict, request.job) {
        (Verdict::Declined(decline), _) => CardState::Declined(decline),
        (Verdict::Approved, Job::Auth) => CardState::Authorised,
        (Verdict::Approved, Job::Capture) => CardState::Sold,
        (Verdict::Approved, Job::Check) => CardState::Checked,
    };
    let mut fields = Fields::default();
    fields.push("X-TRANID", &tranid);
    fields.push("X-S_TORIHIKI_NO", &request.s_torihiki_no);
    fields.push("X-AMOUNT", request.amount.to_string());
    fields.push("X-TAX", request.tax.to_string());
    fields.push("X-TOTAL", request.total.to_string());
    fields.push("X-R_CODE", "0:0000");
    match verdict {
        Verdict::Approved => {
            fields.push("X-ERRCODE", "   ");
            fields.push("X-ERRINFO", "000000000");
            fields.push("X-ERRLEVEL", "0");
            fields.push("X-REFAPPROVED", digits(7));
            fields.push("X-REFFORWARDED", acquirer(summary.brand));
            fields.push("X-REFGATEWAYNO", digits(8));
        }
        Verdict::Declined(decline) => {
            fields.push("X-ERRCODE", decline.errcode);
            fields.push("X-ERRINFO", decline.errinfo);
            fields.push("X-ERRLEVEL", "1");
            fields.push("X-REFAPPROVED", "");
            fields.push("X-REFFORWARDED", "");
            fields.push("X-REFGATEWAYNO", "");
        }
    }
    fields.push("X-PAYQUICKID", payquick_id.clone().unwrap_or_default());
    fields.push("X-PARTOFCARD", &summary.last4);
    fields.push("X-EXPIRE", &summary.expire);
    fields.push("X-NAME", &summary.name);
    fields.push("X-CARDBRAND", summary.brand);
    if let Some(ac) = &request.autocharge {
        fields.push("X-AC_MEMBERID", member.clone().unwrap_or_default());
        fields.push("X-AC_S_KAIIN_NO", &ac.s_kaiin_no);
        fields.push("X-AC_AMOUNT", &ac.amount);
        fields.push("X-AC_TOTAL", &ac.total);
        fields.push("X-AC_NEXT_DATE", &ac.next_date);
        fields.push("X-AC_INTERVAL", &ac.interval);
    }
    fields.push("OPT", &request.returns.opt);
    store.cards.push(CardPayment {
        tranid: tranid.clone(),
        shopco: request.shopco.clone(),
        hostid: request.hostid.clone(),
        s_torihiki_no: request.s_torihiki_no.clone(),
        job: request.job,
        amount: request.amount,
        tax: request.tax,
        total: request.total,
        authorised_total: request.total,
        method,
        card: summary,
        state,
        unconfirmed: false,
        created: now,
        sold_at: (state == CardState::Sold).then_some(now),
        payquick_id,
        autocharge_member: member,
        history: Vec::new(),
    });
    Decided {
        fields,
        approved,
        tranid,
    }
}

/// `X-REFFORWARDED` (仕向先) of a brand; the back office of the manual shows `UFJ` for a
/// VISA card, the other values are the sandbox's.
fn acquirer(brand: &str) -> &'static str {
    match brand {
        "JCB" => "JCB",
        "AMEX" => "AMEX",
        "DINERS" => "DINERS",
        _ => "UFJ",
    }
}
