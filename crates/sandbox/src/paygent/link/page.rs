//! The hosted page of a link-type request (`/linktype/top`) and the buyer's card and konbini
//! forms behind it, with the 3-D Secure challenge's return (see `mod.rs` for the rules).

use axum::body::Bytes;
use axum::extract::{OriginalUri, Query, State};
use axum::http::header::LOCATION;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Datelike, Utc};
use encoding_rs::{SHIFT_JIS, UTF_8};
use minijinja::context;
use serde::{Deserialize, Serialize};

use crate::form::Form;
use crate::pages::{base_url, group_thousands};
use crate::paygent::status::Status;
use crate::paygent::store::{self, japan, Card, Method, Payment, Store};
use crate::paygent::testcard::{self, Verdict};
use crate::paygent::threeds::{self, Authentication, CardRef, Decision, Outcome, Return, State3ds};
use crate::paygent::{konbini, pages, wake, Sandbox};

use super::{page_url, IssuedNumber, LinkTrade, PendingCard};

/// Instalment counts offered on the card form.
const SPLIT_COUNTS: &[&str] = &["3", "5", "6", "10", "12", "15", "18", "20", "24"];

/// `payment_class` choices of the card form for the request's `payment_class`.
fn class_choices(class: &str) -> Vec<(&'static str, &'static str)> {
    let all = [
        ("10", "一括払い"),
        ("23", "ボーナス一括払い"),
        ("61", "分割払い"),
        ("80", "リボルビング払い"),
    ];
    all.into_iter()
        .filter(|(code, _)| match class {
            "1" => true,
            "2" => *code != "23",
            _ => *code == "10",
        })
        .collect()
}

fn method_name(code: &str) -> &'static str {
    match code {
        "01" => "ATM決済（ペイジー）",
        "02" => "クレジットカード決済",
        "03" => "コンビニ決済（番号方式）",
        "04" => "コンビニ決済（払込票方式）",
        "05" => "銀行ネット決済",
        "06" => "携帯キャリア決済",
        "07" => "仮想口座決済",
        "11" => "電子マネー決済",
        "15" => "後払い決済",
        "16" => "口座振替",
        "17" => "楽天ペイ",
        "19" => "銀聯ネット決済",
        "20" => "Alipay国際決済",
        "21" => "Apple Pay",
        "22" => "Paidy",
        "23" => "Google Pay",
        "26" => "PayPay",
        _ => "その他の決済",
    }
}

#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
}

/// Render the page of `trade` as it stands: payment form, completion, or expiry.
pub(super) fn render(
    trade: &LinkTrade,
    base: &str,
    now: DateTime<Utc>,
    charset: &str,
) -> (&'static str, minijinja::Value) {
    let summary = context! {
        charset => charset,
        merchant_name => trade.merchant_name.clone(),
        payment_detail => trade.payment_detail.clone(),
        trading_id => trade.trading_id.clone(),
        amount => group_thousands(trade.amount),
        free_memo => trade.free_memo.clone(),
        copy_right => trade.copy_right.clone(),
        return_url => trade.return_url.clone(),
        stop_return_url => trade.stop_return_url.clone(),
        limit => trade.limit.with_timezone(&japan()).format("%Y年%m月%d日 %H:%M").to_string(),
    };
    if let Some(payment_id) = trade.payment_id {
        let konbini = trade.konbini.as_ref().map(|k| {
            context! { store => k.store.clone(), receipt_number => k.receipt_number.clone(), limit_date => k.limit_date.clone() }
        });
        return (
            "paygent/link_done.html",
            context! { payment_id => payment_id.to_string(), konbini, ..summary },
        );
    }
    if now > trade.limit {
        return ("paygent/link_expired.html", summary);
    }
    let this_year = now.with_timezone(&japan()).year();
    let years: Vec<Choice> = (this_year..=this_year + 20)
        .map(|year| Choice {
            value: format!("{:02}", year % 100),
            label: year.to_string(),
        })
        .collect();
    let months: Vec<String> = (1..=12).map(|m| format!("{m:02}")).collect();
    let classes: Vec<Choice> = class_choices(&trade.payment_class)
        .into_iter()
        .map(|(value, label)| Choice {
            value: value.to_owned(),
            label: label.to_owned(),
        })
        .collect();
    let stores: Vec<Choice> = konbini::choices()
        .into_iter()
        .map(|(value, label)| Choice {
            value: value.to_owned(),
            label: label.to_owned(),
        })
        .collect();
    let others: Vec<&str> = trade
        .payment_types
        .iter()
        .filter(|code| !matches!(code.as_str(), "02" | "03"))
        .map(|code| method_name(code))
        .collect();
    (
        "paygent/link_top.html",
        context! {
            action => format!("{base}/linktype/card"),
            tid => trade.tid.clone(),
            card => trade.offers("02"),
            konbini => trade.offers("03"),
            konbini_action => format!("{base}/linktype/konbini"),
            stores,
            family_name => trade.customer_name.0.clone(),
            given_name => trade.customer_name.1.clone(),
            asks_cvc => trade.asks_cvc,
            three_ds => !trade.skips_3ds,
            message => trade.message.clone().unwrap_or_default(),
            years => years,
            months => months,
            classes => classes,
            split_counts => SPLIT_COUNTS,
            others => others,
            ..summary
        },
    )
}

/// Query of the payment page.
#[derive(Debug, Deserialize)]
pub struct TopQuery {
    #[serde(default)]
    tid: String,
}

fn unknown_trade() -> Response {
    pages::html(
        StatusCode::NOT_FOUND,
        "paygent/message.html",
        context! { title => "お支払い", message => "お支払い情報が見つかりません。ショップからやり直してください。" },
    )
}

/// `GET /linktype/top?tid=…`: the payment page.
pub async fn top(
    State(sandbox): State<Sandbox>,
    OriginalUri(original): OriginalUri,
    headers: HeaderMap,
    Query(query): Query<TopQuery>,
) -> Response {
    wake(&sandbox);
    let base = base_url(&headers, &original, "/linktype/top");
    let now = (sandbox.clock)();
    let mut store = sandbox.lock();
    let Some(trade) = store.links.get_mut(&query.tid) else {
        return unknown_trade();
    };
    let (name, context) = render(trade, &base, now, "UTF-8");
    trade.message = None;
    pages::html(StatusCode::OK, name, context)
}

fn see_other(location: String) -> Response {
    (StatusCode::SEE_OTHER, [(LOCATION, location)]).into_response()
}

/// What the buyer typed, checked; a message for the page otherwise.
fn typed_card(
    form: &Form,
    trade: &LinkTrade,
    now: DateTime<Utc>,
) -> Result<PendingCard, &'static str> {
    let number: String = form
        .get("card_number")
        .unwrap_or_default()
        .chars()
        .filter(|c| !matches!(c, ' ' | '-'))
        .collect();
    if !(14..=16).contains(&number.len()) || !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err("カード番号は14〜16桁の数字で入力してください。");
    }
    let term = format!(
        "{}{}",
        form.get("expire_month").unwrap_or_default(),
        form.get("expire_year").unwrap_or_default()
    );
    let Some((month, year)) = store::parse_valid_term(&term) else {
        return Err("有効期限を選択してください。");
    };
    let today = now.with_timezone(&japan()).date_naive();
    let ahead = (year - today.year()) * 12 + i32::try_from(month).unwrap_or(0)
        - i32::try_from(today.month()).unwrap_or(0);
    if !(0..240).contains(&ahead) {
        return Err("有効期限が正しくありません。");
    }
    let cvc = form.filled("security_code").map(str::to_owned);
    if trade.asks_cvc {
        match &cvc {
            Some(code)
                if (3..=4).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_digit()) => {}
            _ => return Err("セキュリティコードは3〜4桁の数字で入力してください。"),
        }
    }
    let holder = form.get("card_name").unwrap_or_default().trim().to_owned();
    let holder_ok = (2..=45).contains(&holder.len())
        && holder
            .chars()
            .all(|c| c.is_ascii_alphabetic() || " .-'".contains(c));
    if !holder_ok {
        return Err("カード名義は半角英字で入力してください（例: TARO YAMADA）。");
    }
    let class = form.get("payment_class").unwrap_or("10");
    if !class_choices(&trade.payment_class)
        .iter()
        .any(|(code, _)| *code == class)
    {
        return Err("お支払い方法を選択してください。");
    }
    let split_count = if class == "61" {
        match form.get("split_count") {
            Some(count) if SPLIT_COUNTS.contains(&count) => count.to_owned(),
            _ => return Err("分割回数を選択してください。"),
        }
    } else {
        String::new()
    };
    Ok(PendingCard {
        card: Card {
            number,
            valid_term: term,
            cvc,
            holder: holder.to_ascii_uppercase(),
        },
        payment_class: class.to_owned(),
        split_count,
    })
}

/// Authorise `pending` for the trade `tid` and return where the buyer goes next.
fn pay(
    store: &mut Store,
    tid: &str,
    pending: PendingCard,
    attempt_kbn: Option<&'static str>,
    base: &str,
    now: DateTime<Utc>,
) -> String {
    let Some(trade) = store.links.get(tid).cloned() else {
        return page_url(base, tid);
    };
    let message = match testcard::authorise(&pending.card.number) {
        Verdict::Approved => None,
        Verdict::Refused(refusal) => Some(format!(
            "カード会社で承認されませんでした（{} {}）。別のカードでお試しください。",
            refusal.code, refusal.detail
        )),
        Verdict::Timeout => Some(
            "カード会社との通信がタイムアウトしました（2008）。もう一度お試しください。".to_owned(),
        ),
    };
    if let Some(message) = message {
        if let Some(trade) = store.links.get_mut(tid) {
            trade.message = Some(message);
        }
        return page_url(base, tid);
    }
    let id = store.next_payment_id();
    let mut payment = Payment::new(
        id,
        &trade.trading_id,
        &trade.site_id,
        trade.amount,
        Method::Card(pending.card),
        now,
    );
    payment.payment_class = pending.payment_class;
    payment.split_count = pending.split_count;
    payment.attempts = 1;
    payment.three_d_secure_skipped = if attempt_kbn.is_some() { "0" } else { "1" }.to_owned();
    payment.attempt_kbn = attempt_kbn.unwrap_or_default().to_owned();
    let to = if trade.captures {
        Status::Captured
    } else {
        Status::Authorized
    };
    let merchant = store.merchant(&trade.merchant_id);
    payment.move_to(to, now, &mut merchant.notices);
    merchant.payments.insert(id, payment);
    tracing::info!(trading_id = %trade.trading_id, payment_id = id, "paygent sandbox link payment made");
    if let Some(trade) = store.links.get_mut(tid) {
        trade.payment_id = Some(id);
        trade.message = None;
    }
    if trade.finish_disable && !trade.return_url.is_empty() {
        trade.return_url
    } else {
        page_url(base, tid)
    }
}

/// `POST /linktype/card`: the buyer's card, then 3-D Secure and the authorisation.
pub async fn card(
    State(sandbox): State<Sandbox>,
    OriginalUri(original): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    wake(&sandbox);
    let base = base_url(&headers, &original, "/linktype/card");
    let form = Form::decode(&body, UTF_8);
    let tid = form.get("tid").unwrap_or_default().to_owned();
    let now = (sandbox.clock)();
    let mut store = sandbox.lock();
    store.sweep(now);
    let Some(trade) = store.links.get_mut(&tid) else {
        return unknown_trade();
    };
    if !trade.takes("02", now) {
        return see_other(page_url(&base, &tid));
    }
    let pending = match typed_card(&form, trade, now) {
        Ok(pending) => pending,
        Err(message) => {
            trade.message = Some(message.to_owned());
            return see_other(page_url(&base, &tid));
        }
    };
    if trade.skips_3ds {
        return see_other(pay(&mut store, &tid, pending, None, &base, now));
    }
    let brand = testcard::brand(&pending.card.number);
    match threeds::decide(brand, trade.amount, &pending.card.holder) {
        Decision::Unsupported => {
            trade.message = Some(
                "このカードは3Dセキュアに対応していないため、ご利用いただけません（31012）。"
                    .to_owned(),
            );
            see_other(page_url(&base, &tid))
        }
        Decision::Frictionless(outcome) => match outcome {
            Outcome::Authenticated | Outcome::Attempt(_) => {
                let kbn = outcome.attempt_kbn();
                see_other(pay(&mut store, &tid, pending, Some(kbn), &base, now))
            }
            Outcome::Failed | Outcome::TimedOut => {
                trade.message = Some(failed_3ds(outcome));
                see_other(page_url(&base, &tid))
            }
        },
        Decision::Challenge => {
            let auth = Authentication {
                id: String::new(),
                merchant_id: trade.merchant_id.clone(),
                site_id: trade.site_id.clone(),
                merchant_name: trade.merchant_name.clone(),
                amount: trade.amount,
                card: pending.card.clone(),
                card_ref: CardRef::Link,
                goes_to: Return::Link(tid.clone()),
                state: State3ds::Challenge,
                created: now,
            };
            trade.pending = Some(pending);
            let id = threeds::begin(&mut store, auth);
            see_other(threeds::challenge_url(&base, &id))
        }
    }
}

/// `POST /linktype/konbini`: the buyer's store, name and phone; the number is issued.
pub async fn konbini(
    State(sandbox): State<Sandbox>,
    OriginalUri(original): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    wake(&sandbox);
    let base = base_url(&headers, &original, "/linktype/konbini");
    let form = Form::decode(&body, UTF_8);
    let tid = form.get("tid").unwrap_or_default().to_owned();
    let now = (sandbox.clock)();
    let mut store = sandbox.lock();
    store.sweep(now);
    let Some(trade) = store.links.get_mut(&tid) else {
        return unknown_trade();
    };
    if !trade.takes("03", now) {
        return see_other(page_url(&base, &tid));
    }
    let typed = (|| {
        let group = form
            .get("cvs_company_id")
            .and_then(konbini::group_of_choice)
            .ok_or("お支払いになるコンビニを選択してください。")?;
        let name = |field: &str| -> Result<String, &'static str> {
            let value = form.get(field).unwrap_or_default().trim();
            let bytes = SHIFT_JIS.encode(value).0.len();
            let full_width = value.chars().all(|c| {
                let mut buf = [0u8; 4];
                SHIFT_JIS.encode(c.encode_utf8(&mut buf)).0.len() == 2
            });
            if value.is_empty() || bytes > 20 || !full_width {
                return Err("お名前（姓・名）を全角10文字以内で入力してください。");
            }
            Ok(value.to_owned())
        };
        let tel: String = form
            .get("customer_tel")
            .unwrap_or_default()
            .chars()
            .filter(|c| *c != '-')
            .collect();
        if !(10..=11).contains(&tel.len()) || !tel.bytes().all(|b| b.is_ascii_digit()) {
            return Err("電話番号を10〜11桁の数字で入力してください。");
        }
        Ok((
            group,
            (name("customer_family_name")?, name("customer_name")?),
            tel,
        ))
    })();
    let (group, customer_name, tel) = match typed {
        Ok(typed) => typed,
        Err(message) => {
            trade.message = Some(message.to_owned());
            return see_other(page_url(&base, &tid));
        }
    };
    let trade = trade.clone();
    let today = now.with_timezone(&japan()).date_naive();
    let limit_day = trade.limit.with_timezone(&japan()).date_naive();
    let days = u32::try_from((limit_day - today).num_days()).unwrap_or(0);
    let application = konbini::Application {
        group,
        name: customer_name,
        tel,
        days,
    };
    let owner = konbini::Trade {
        merchant_id: &trade.merchant_id,
        trading_id: &trade.trading_id,
        site_id: &trade.site_id,
        amount: trade.amount,
    };
    let issued = konbini::issue(&mut store, owner, application, &base, now);
    let Some(trade) = store.links.get_mut(&tid) else {
        return unknown_trade();
    };
    match issued {
        Ok(payment) => {
            if let Method::Konbini(k) = &payment.method {
                trade.konbini = Some(IssuedNumber {
                    store: konbini::group_name(group).to_owned(),
                    receipt_number: k.receipt_number.clone(),
                    limit_date: k.limit_date.format("%Y年%m月%d日").to_string(),
                });
            }
            trade.payment_id = Some(payment.id);
            trade.message = None;
            tracing::info!(trading_id = %trade.trading_id, payment_id = payment.id, "paygent sandbox link konbini number issued");
        }
        Err(refusal) => {
            trade.message = Some(format!(
                "お支払い番号を発行できませんでした（{} {}）。",
                refusal.code, refusal.detail
            ));
        }
    }
    see_other(page_url(&base, &tid))
}

fn failed_3ds(outcome: Outcome) -> String {
    match outcome {
        Outcome::TimedOut => "本人認証がタイムアウトしました（31013）。もう一度お試しください。",
        Outcome::Authenticated | Outcome::Attempt(_) | Outcome::Failed => {
            "カード会社での本人認証に失敗しました（31007）。別のカードでお試しください。"
        }
    }
    .to_owned()
}

/// After the challenge of a link-type payment: pay on success, and return where the
/// buyer goes next (`base` is the sandbox's address).
pub fn after_challenge(
    store: &mut Store,
    auth: &Authentication,
    tid: &str,
    outcome: Outcome,
    base: &str,
    now: DateTime<Utc>,
) -> String {
    let Some(trade) = store.links.get_mut(tid) else {
        return page_url(base, tid);
    };
    let Some(pending) = trade.pending.take() else {
        return page_url(base, tid);
    };
    if trade.payment_id.is_some() {
        return page_url(base, tid);
    }
    match outcome {
        Outcome::Authenticated | Outcome::Attempt(_) => {
            if let Some(done) = store.threeds.get_mut(&auth.id) {
                done.state = State3ds::Used;
            }
            pay(store, tid, pending, Some(outcome.attempt_kbn()), base, now)
        }
        Outcome::Failed | Outcome::TimedOut => {
            trade.message = Some(failed_3ds(outcome));
            page_url(base, tid)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payment_class_limits_the_choices_on_the_card_form() {
        let codes = |class| -> Vec<&str> { class_choices(class).iter().map(|c| c.0).collect() };
        assert_eq!(codes("0"), ["10"]);
        assert_eq!(codes("1"), ["10", "23", "61", "80"]);
        assert_eq!(codes("2"), ["10", "61", "80"]);
    }
}
