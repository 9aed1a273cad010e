//! The Paygent hand-off of the services besides the card: convenience store (module type;
//! link type goes through the card's link request), Pay-easy ATM, net banking and Paidy.
//!
//! Convenience store, ATM and net banking are paid after ordering. When the buyer confirms
//! on the hand-off page (choosing the store for a convenience store), kessai persists the
//! call, sends the application telegram (030, 010, 060), keeps what the buyer needs to pay
//! (payment number, ATM numbers, the bank choice page) and the deadline on the payment, and
//! creates the order, which stays 未入金 until Paygent reports the payment (40 消込済).
//! Net banking then sends the buyer to Paygent's bank choice page; its payment stays 申込中
//! until the buyer chooses a bank, as the manual describes.
//!
//! Paidy is authorized in the buyer's browser by Paidy Checkout. The page posts Paidy's
//! payment id back; kessai asks Paygent (343) whether Paidy holds it for this checkout's
//! amount, records the authorization (20 オーソリOK) and creates the order.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde::Serialize;

use super::paygent::CardError;
use super::{confirm, OrderOrigin, Pending};
use crate::domain::payment::Operation;
use crate::payments::provider::{Done, ProviderError, Report};
use crate::payments::Payments;
use crate::providers::paygent::client::{AtmApplication, BankApplication, ConvApplication};
use crate::providers::paygent::{map, CardType, Config};
use crate::store::{OrderFromLog, StoreError};

/// What the ATM and the bank show as the reason for the payment (full width, at most 12
/// characters; half-width kana, Zengin characters only).
const PAYMENT_DETAIL: (&str, &str) = ("ご注文代金", "ｺﾞﾁｭｳﾓﾝﾀﾞｲｷﾝ");

/// What the buyer submits on the hand-off page of a payment made after ordering.
#[derive(Clone, Debug, Default)]
pub struct Application {
    /// The store chosen for a convenience store payment (`00C001` …).
    pub cvs_company_id: String,
}

/// The addresses net banking's bank choice page links back to.
#[derive(Clone, Debug)]
pub struct ReturnUrls {
    /// 「購入したサイトへ戻る」: the 購入完了 page (or the headless shop's page).
    pub done: String,
    /// Giving up on the bank page: back to the hand-off page.
    pub stop: String,
}

/// The next step after the buyer confirmed.
#[derive(Debug)]
pub enum Step {
    /// The order exists; show the 購入完了 page.
    Ordered(OrderFromLog),
    /// Send the buyer to the provider's page (net banking's bank choice).
    Redirect(String),
}

/// One row of what the buyer needs to pay, as the 購入完了 page and the thank-you mail
/// show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct DetailRow(pub String, pub String);

/// What a successful application telegram left to keep.
struct Applied {
    payment_id: String,
    /// The status the payment is in now (10 申込済, or 申込中 for net banking).
    code: &'static str,
    details: Vec<DetailRow>,
    deadline: Option<DateTime<Utc>>,
    redirect: Option<String>,
}

/// Sends the application of a convenience store (module type), ATM or net banking payment
/// the buyer confirmed, keeps its details and creates the order.
pub async fn apply(
    payments: &Payments,
    pending: &Pending,
    form: &Application,
    urls: &ReturnUrls,
) -> Result<Step, CardError> {
    let payment = &pending.payment;
    let service = map::Service::from_kind(&payment.settlement_kind)
        .filter(|s| {
            matches!(
                s,
                map::Service::Conv | map::Service::Atm | map::Service::Netbank
            )
        })
        .ok_or_else(|| CardError::Retry("この支払方法はご利用いただけません。".to_owned()))?;
    if let Some(order_id) = pending.log.order_id {
        return Ok(Step::Ordered(OrderFromLog::Existing(order_id)));
    }
    let config = payments.paygent().await?;
    let offered = match service {
        map::Service::Conv => config.conv == CardType::Module,
        _ => config.offers(&payment.settlement_kind),
    };
    if !offered {
        return Err(CardError::Retry(format!(
            "{}は現在ご利用いただけません。",
            service.label()
        )));
    }
    let store_choice = match service {
        map::Service::Conv => Some(
            config
                .conv_store_choices()
                .into_iter()
                .find(|(company, _)| *company == form.cvs_company_id)
                .ok_or_else(|| {
                    CardError::Retry("お支払いになるコンビニを選択してください。".to_owned())
                })?,
        ),
        _ => None,
    };
    let kind = match service {
        map::Service::Conv => "030",
        map::Service::Atm => "010",
        _ => "060",
    };
    let store = payments.store();
    let row = store
        .begin_payment_operation(
            payment.id,
            Operation::Authorize.as_str(),
            map::telegram_label(kind),
            payment.amount,
            payments.clock().now(),
        )
        .await?
        .ok_or_else(|| {
            CardError::Retry("お支払いを処理しています。しばらくお待ちください。".to_owned())
        })?;
    // A second click that passed the first checks while the first was in flight finds the
    // application made once it holds the row: it must not apply again.
    let current = store
        .payment(payment.id)
        .await?
        .ok_or(StoreError::NotFound("payment"))?;
    if current.provider_status_code.is_some() {
        store.abandon_payment_operation(row).await?;
        return Ok(Step::Ordered(
            confirm(payments, &payment.link_key, OrderOrigin::Buyer).await?,
        ));
    }
    let applied = match service {
        map::Service::Conv => {
            let (company, name) = store_choice.unwrap_or_default();
            apply_conv(pending, &config, company, name).await
        }
        map::Service::Atm => apply_atm(pending, &config).await,
        _ => apply_bank(payments, pending, &config, urls).await,
    };
    let applied = match applied {
        Ok(applied) => applied,
        Err(e) => {
            payments.fail(row, payment, &e).await?;
            return Err(match e {
                ProviderError::Unknown(_) => CardError::Unknown,
                other => CardError::Retry(other.to_string()),
            });
        }
    };
    let details = serde_json::to_string(&applied.details).expect("rows serialize");
    store
        .set_payment_details(
            payment.id,
            &details,
            applied.deadline,
            payments.clock().now(),
        )
        .await?;
    let status = map::Status::parse(applied.code);
    let done = Done {
        label: map::telegram_label(kind),
        payment_id: applied.payment_id.clone(),
        status: Report {
            payment_id: applied.payment_id,
            code: status.code().to_owned(),
            label: status.label(service),
            state: status.state(service),
            amount: Some(payment.amount),
        },
        replaced: None,
    };
    payments.complete(row, payment, &done).await?;
    let ordered = confirm(payments, &payment.link_key, OrderOrigin::Buyer).await?;
    Ok(match applied.redirect {
        Some(url) => Step::Redirect(url),
        None => Step::Ordered(ordered),
    })
}

/// The buyer's name cut to `max_bytes` of Shift_JIS (Paygent counts bytes), at a
/// character boundary.
fn cut(name: &str, max_bytes: usize) -> String {
    let mut out = String::new();
    let mut used = 0;
    for c in name.chars() {
        let bytes = if c.is_ascii() { 1 } else { 2 };
        if used + bytes > max_bytes {
            break;
        }
        used += bytes;
        out.push(c);
    }
    out
}

/// A name for an item Paygent wants in full width (030's buyer name): ASCII letters,
/// digits, symbols and spaces become their full-width forms, then the name is cut to
/// `max_bytes`.
fn full_width(name: &str, max_bytes: usize) -> String {
    let wide: String = name
        .chars()
        .map(|c| match c {
            ' ' => '\u{3000}',
            '!'..='~' => char::from_u32(u32::from(c) + 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .collect();
    cut(&wide, max_bytes)
}

async fn apply_conv(
    pending: &Pending,
    config: &Config,
    company: &str,
    store_name: &str,
) -> Result<Applied, ProviderError> {
    let order = &pending.checkout.order;
    let tel: String = order.phone.chars().filter(char::is_ascii_digit).collect();
    let number = config
        .client()?
        .apply_conv(&ConvApplication {
            trading_id: &pending.payment.link_key,
            amount: pending.payment.amount,
            cvs_company_id: company,
            family_name: &full_width(&order.family_name, 20),
            given_name: &full_width(&order.given_name, 20),
            tel: &tel,
            limit_days: config.conv_limit_days(),
            postpay: config.conv_postpay,
        })
        .await?;
    let number_label = match company {
        "00C001" => "払込票番号",
        "00C005" => "収納番号",
        "00C002" => "お客様番号",
        _ => "払込番号",
    };
    let mut details = vec![
        DetailRow("お支払い先".to_owned(), store_name.to_owned()),
        DetailRow(number_label.to_owned(), number.receipt_number),
    ];
    if !number.receipt_print_url.is_empty() {
        details.push(DetailRow(
            "払込票・お支払い方法".to_owned(),
            number.receipt_print_url,
        ));
    }
    Ok(Applied {
        payment_id: number.payment_id,
        code: "10",
        details,
        deadline: end_of_day(&number.limit_date),
        redirect: None,
    })
}

async fn apply_atm(pending: &Pending, config: &Config) -> Result<Applied, ProviderError> {
    let numbers = config
        .client()?
        .apply_atm(&AtmApplication {
            trading_id: &pending.payment.link_key,
            amount: pending.payment.amount,
            payment_detail: PAYMENT_DETAIL.0,
            payment_detail_kana: PAYMENT_DETAIL.1,
            limit_days: config
                .atm_days
                .unwrap_or(crate::providers::paygent::ATM_DEFAULT_DAYS),
        })
        .await?;
    Ok(Applied {
        payment_id: numbers.payment_id,
        code: "10",
        details: vec![
            DetailRow("収納機関番号".to_owned(), numbers.pay_center_number),
            DetailRow("お客様番号".to_owned(), numbers.customer_number),
            DetailRow("確認番号".to_owned(), numbers.conf_number),
        ],
        deadline: end_of_day(&numbers.limit_date),
        redirect: None,
    })
}

async fn apply_bank(
    payments: &Payments,
    pending: &Pending,
    config: &Config,
    urls: &ReturnUrls,
) -> Result<Applied, ProviderError> {
    let shop_name =
        payments.settings().shop().await.map_err(|e| {
            ProviderError::NotConfigured(format!("基本設定を読めませんでした: {e}"))
        })?;
    let page = config
        .client()?
        .apply_bank(&BankApplication {
            trading_id: &pending.payment.link_key,
            amount: pending.payment.amount,
            claim_kana: PAYMENT_DETAIL.1,
            claim_kanji: PAYMENT_DETAIL.0,
            merchant_name: &cut(&shop_name.shop_name, 64),
            return_url: &urls.done,
            stop_return_url: &urls.stop,
            asp_payment_term: config.asp_payment_term(),
        })
        .await?;
    Ok(Applied {
        payment_id: String::new(),
        code: "",
        details: vec![DetailRow(
            "お支払い画面(銀行の選択)".to_owned(),
            page.asp_url.clone(),
        )],
        deadline: stamp(&page.limit_date),
        redirect: Some(page.asp_url),
    })
}

/// Paygent's `YYYYMMDD` limit date as the end of that day in Japan.
fn end_of_day(date: &str) -> Option<DateTime<Utc>> {
    let day = NaiveDate::parse_from_str(date, "%Y%m%d").ok()?;
    japan(day.and_hms_opt(23, 59, 59)?)
}

/// Paygent's `YYYYMMDDhhmmss` (Japan time).
fn stamp(at: &str) -> Option<DateTime<Utc>> {
    japan(NaiveDateTime::parse_from_str(at, "%Y%m%d%H%M%S").ok()?)
}

fn japan(local: NaiveDateTime) -> Option<DateTime<Utc>> {
    crate::clock::jst()
        .from_local_datetime(&local)
        .single()
        .map(|at| at.with_timezone(&Utc))
}

/// What Paidy Checkout's page needs: the script, the public key and the payload.
#[derive(Clone, Debug, Serialize)]
pub struct PaidyWidget {
    pub script_url: String,
    pub public_key: String,
    /// Paidy Checkout's payload as JSON.
    pub payload_json: String,
}

/// The Paidy Checkout of a pending checkout: amount, buyer, items, shipping address and the
/// link key as `order_ref`, which Paygent keeps as the trading id (spec §6.11).
pub async fn paidy_widget(
    payments: &Payments,
    pending: &Pending,
) -> Result<PaidyWidget, StoreError> {
    let config = payments.paygent().await?;
    let shop = payments.settings().shop().await?;
    let order = &pending.checkout.order;
    let payload = serde_json::json!({
        "amount": pending.payment.amount,
        "currency": "JPY",
        "store_name": shop.shop_name,
        "buyer": {
            "email": order.email,
            "name1": format!("{} {}", order.family_name, order.given_name),
            "name2": format!("{} {}", order.family_kana, order.given_kana),
            "phone": order.phone.chars().filter(char::is_ascii_digit).collect::<String>(),
        },
        "order": {
            "order_ref": pending.payment.link_key,
            "items": order.items.iter().map(|i| serde_json::json!({
                "id": i.product_code,
                "title": i.product_name,
                "quantity": i.quantity,
                "unit_price": i.unit_price,
            })).collect::<Vec<_>>(),
            "shipping": order.shipping_fee,
        },
        "shipping_address": {
            "line1": order.address2,
            "line2": order.address1,
            "state": order.prefecture,
            "zip": order.postal_code,
        },
    });
    Ok(PaidyWidget {
        script_url: config.paidy_script_url.clone(),
        public_key: config.paidy_public_key.clone(),
        payload_json: payload.to_string(),
    })
}

/// Paidy Checkout closed with an authorization: checks with Paygent (343) that Paidy holds
/// it for this checkout and amount, records 20 オーソリOK and creates the order.
pub async fn paidy_authorized(
    payments: &Payments,
    pending: &Pending,
    paidy_payment_id: &str,
) -> Result<OrderFromLog, CardError> {
    if let Some(order_id) = pending.log.order_id {
        return Ok(OrderFromLog::Existing(order_id));
    }
    let payment = &pending.payment;
    let config = payments.paygent().await?;
    if !config.paidy {
        return Err(CardError::Retry(
            "Paidyは現在ご利用いただけません。".to_owned(),
        ));
    }
    let well_formed = paidy_payment_id.len() <= 64
        && !paidy_payment_id.is_empty()
        && paidy_payment_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if !well_formed {
        return Err(CardError::Retry(
            "Paidyでのお支払いを確認できませんでした。もう一度お試しください。".to_owned(),
        ));
    }
    let checked = async { config.client()?.verify_paidy(paidy_payment_id).await }.await;
    let check = match checked {
        Ok(check) => check,
        Err(e) => {
            let e = ProviderError::from(e);
            payments
                .log_error(payment, e.code(), &e.to_string(), "343")
                .await?;
            return Err(match e {
                ProviderError::Unknown(_) => CardError::Unknown,
                other => CardError::Retry(other.to_string()),
            });
        }
    };
    let ours = check.exists
        && check.amount == Some(payment.amount)
        && (check.trading_id.is_empty() || check.trading_id == payment.link_key);
    if !ours {
        let message = "Paidyでのお支払いを確認できませんでした(金額またはご注文が一致しません)。";
        payments
            .log_error(
                payment,
                "343",
                message,
                &format!(
                    "paidy_payment_id={paidy_payment_id} retrieve={} amount={:?} trading_id={}",
                    check.exists, check.amount, check.trading_id
                ),
            )
            .await?;
        return Err(CardError::Retry(message.to_owned()));
    }
    let service = map::Service::Paidy;
    let status = map::Status::Authorized;
    let report = Report {
        payment_id: check.payment_id,
        code: status.code().to_owned(),
        label: status.label(service),
        state: status.state(service),
        amount: check.amount,
    };
    payments.apply(payment, &report).await?;
    Ok(confirm(payments, &payment.link_key, OrderOrigin::Buyer).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_for_full_width_items_widen_ascii_and_keep_within_the_byte_limit() {
        assert_eq!(full_width("Smith 2", 20), "Ｓｍｉｔｈ\u{3000}２");
        assert_eq!(full_width("山田", 20), "山田");
        assert_eq!(full_width("abcdefghijk", 20), "ａｂｃｄｅｆｇｈｉｊ");
    }

    #[test]
    fn names_are_cut_at_a_character_within_the_byte_limit() {
        assert_eq!(cut("山田", 20), "山田");
        assert_eq!(cut("あいうえおかきくけこさ", 20), "あいうえおかきくけこ");
        assert_eq!(cut("abc", 2), "ab");
    }

    #[test]
    fn paygent_dates_are_read_in_japan_time() {
        assert_eq!(
            end_of_day("20260517").unwrap().to_rfc3339(),
            "2026-05-17T14:59:59+00:00"
        );
        assert_eq!(
            stamp("20260512093000").unwrap().to_rfc3339(),
            "2026-05-12T00:30:00+00:00"
        );
        assert_eq!(end_of_day("2026"), None);
    }
}
