//! The Paygent hand-off of the services besides the card: convenience store (module type;
//! link type goes through the card's link request), Pay-easy ATM, net banking and Paidy.
//!
//! Convenience store, ATM and net banking are paid after ordering. When the buyer confirms
//! on the hand-off page (choosing the store for a convenience store), the core persists the
//! call and this module sends the application telegram (030, 010, 060) and answers what the
//! buyer needs to pay (payment number, ATM numbers, the bank choice page) and the deadline.
//! Net banking then sends the buyer to Paygent's bank choice page; its payment stays 申込中
//! until the buyer chooses a bank, as the manual describes.
//!
//! Paidy is authorized in the buyer's browser by Paidy Checkout. The page posts Paidy's
//! payment id back; Paygent is asked (343) whether Paidy holds it for this checkout's amount,
//! which confirms the authorization (20 オーソリOK).

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde::Deserialize;

use super::map::{self, Service};
use super::wire::{cut, full_width, AtmApplication, BankApplication, ConvApplication};
use super::{CardType, Config, ATM_DEFAULT_DAYS};
use crate::providers::interface::{
    Authorization, Authorized, Checkout, Confirmation, Decline, Detail, Next, Page, ProviderError,
};

/// What the ATM and the bank show as the reason for the payment (full width, at most 12
/// characters; half-width kana, Zengin characters only).
const PAYMENT_DETAIL: (&str, &str) = ("ご注文代金", "ｺﾞﾁｭｳﾓﾝﾀﾞｲｷﾝ");

/// What the buyer submits on the hand-off page of a payment made after ordering.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Application {
    /// The store chosen for a convenience store payment (`00C001` …).
    #[serde(default)]
    pub cvs_company_id: String,
}

/// What the Paidy page posts: the `closed` callback's data.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaidyResult {
    /// Required through the API, as its document has it (the browser's form is read field
    /// by field).
    pub paidy_payment_id: String,
    /// `authorized`, `rejected` or `closed`.
    pub status: String,
}

/// An application telegram to send.
#[derive(Clone, Debug)]
pub struct ApplyCall {
    service: Service,
    /// The store chosen for a convenience store payment: `cvs_company_id` and name.
    store: Option<(&'static str, &'static str)>,
}

impl Config {
    /// The confirmation page of a payment made after ordering: the store choice of a
    /// convenience store, or a plain confirmation for ATM and net banking.
    pub(super) fn application_form(&self, c: &Checkout, error: Option<&str>) -> Page {
        let service = map::service_of(&c.payment.kind);
        let stores = match service {
            Service::Conv => self.conv_store_choices(),
            _ => Vec::new(),
        };
        Page::Template {
            template: "paygent/checkout_payment.html",
            title: c.method_name.clone(),
            context: serde_json::json!({
                "action": c.urls.step("apply"),
                "amount": c.payment.amount,
                "payment_method_name": c.method_name,
                "netbank": service == Service::Netbank,
                "deadline_notice": self.deadline_notice(&c.payment.kind),
                "stores": stores,
                "error": error,
            }),
        }
    }

    /// Checks the buyer's confirmation into the application to send.
    pub(super) fn apply(&self, c: &Checkout, form: &Application) -> Next {
        let service = map::service_of(&c.payment.kind);
        if !matches!(service, Service::Conv | Service::Atm | Service::Netbank) {
            return Next::Declined(Decline::retry("この支払方法はご利用いただけません。"));
        }
        let offered = match service {
            Service::Conv => self.conv == CardType::Module,
            _ => self.offers(&c.payment.kind),
        };
        if !offered {
            return Next::Declined(Decline::retry(format!(
                "{}は現在ご利用いただけません。",
                service.label()
            )));
        }
        let store = match service {
            Service::Conv => match self
                .conv_store_choices()
                .into_iter()
                .find(|(company, _)| *company == form.cvs_company_id)
            {
                Some(store) => Some(store),
                None => {
                    return Next::Declined(Decline::retry(
                        "お支払いになるコンビニを選択してください。",
                    ))
                }
            },
            _ => None,
        };
        Next::Authorize(Authorization {
            label: map::telegram_label(telegram_of(service)),
            call: crate::providers::Call::Paygent(super::Call::Apply(ApplyCall { service, store })),
        })
    }

    /// Sends the application (030, 010 or 060).
    pub(super) async fn apply_now(
        &self,
        c: &Checkout,
        call: &ApplyCall,
    ) -> Result<Authorized, ProviderError> {
        let applied = match (call.service, call.store) {
            (Service::Conv, Some((company, name))) => self.apply_conv(c, company, name).await?,
            (Service::Atm, _) => self.apply_atm(c).await?,
            _ => self.apply_bank(c).await?,
        };
        Ok(Authorized {
            done: map::done(
                telegram_of(call.service),
                &applied.payment_id,
                &c.payment.kind,
                applied.code,
                Some(c.payment.amount),
            ),
            details: applied.details,
            deadline: applied.deadline,
            redirect: applied.redirect,
            challenge: None,
            keep_card: None,
        })
    }

    async fn apply_conv(
        &self,
        c: &Checkout,
        company: &str,
        store_name: &str,
    ) -> Result<Applied, ProviderError> {
        let number = self
            .client()?
            .apply_conv(&ConvApplication {
                trading_id: &c.payment.trading_id,
                amount: c.payment.amount,
                cvs_company_id: company,
                family_name: &full_width(&c.buyer.family_name, 20),
                given_name: &full_width(&c.buyer.given_name, 20),
                tel: &c.buyer.phone_digits(),
                limit_days: self.conv_limit_days(),
                postpay: self.conv_postpay,
            })
            .await?;
        let number_label = match company {
            "00C001" => "払込票番号",
            "00C005" => "収納番号",
            "00C002" => "お客様番号",
            _ => "払込番号",
        };
        let mut details = vec![
            Detail("お支払い先".to_owned(), store_name.to_owned()),
            Detail(number_label.to_owned(), number.receipt_number),
        ];
        if !number.receipt_print_url.is_empty() {
            details.push(Detail(
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

    async fn apply_atm(&self, c: &Checkout) -> Result<Applied, ProviderError> {
        let numbers = self
            .client()?
            .apply_atm(&AtmApplication {
                trading_id: &c.payment.trading_id,
                amount: c.payment.amount,
                payment_detail: PAYMENT_DETAIL.0,
                payment_detail_kana: PAYMENT_DETAIL.1,
                limit_days: self.atm_days.unwrap_or(ATM_DEFAULT_DAYS),
            })
            .await?;
        Ok(Applied {
            payment_id: numbers.payment_id,
            code: "10",
            details: vec![
                Detail("収納機関番号".to_owned(), numbers.pay_center_number),
                Detail("お客様番号".to_owned(), numbers.customer_number),
                Detail("確認番号".to_owned(), numbers.conf_number),
            ],
            deadline: end_of_day(&numbers.limit_date),
            redirect: None,
        })
    }

    async fn apply_bank(&self, c: &Checkout) -> Result<Applied, ProviderError> {
        let page = self
            .client()?
            .apply_bank(&BankApplication {
                trading_id: &c.payment.trading_id,
                amount: c.payment.amount,
                claim_kana: PAYMENT_DETAIL.1,
                claim_kanji: PAYMENT_DETAIL.0,
                // Paygent receives 基本設定's 会社名 with every payment (the manual).
                merchant_name: &cut(&c.shop.company_name, 64),
                return_url: &c.urls.done,
                stop_return_url: &c.urls.page,
                asp_payment_term: self.asp_payment_term(),
            })
            .await?;
        Ok(Applied {
            payment_id: String::new(),
            code: "",
            details: vec![Detail(
                "お支払い画面(銀行の選択)".to_owned(),
                page.asp_url.clone(),
            )],
            deadline: stamp(&page.limit_date),
            redirect: Some(page.asp_url),
        })
    }

    /// The Paidy Checkout page: amount, buyer, items, shipping address and the link key as
    /// `order_ref`, which Paygent keeps as the trading id (spec §6.11).
    pub(super) fn paidy_page(&self, c: &Checkout, error: Option<&str>) -> Page {
        let payload = serde_json::json!({
            "amount": c.payment.amount,
            "currency": "JPY",
            "store_name": c.shop.name,
            "buyer": {
                "email": c.buyer.email,
                "name1": c.buyer.full_name(),
                "name2": format!("{} {}", c.buyer.family_kana, c.buyer.given_kana),
                "phone": c.buyer.phone_digits(),
            },
            "order": {
                "order_ref": c.payment.trading_id,
                "items": c.items.iter().map(|i| serde_json::json!({
                    "id": i.code,
                    "title": i.name,
                    "quantity": i.quantity,
                    "unit_price": i.unit_price,
                })).collect::<Vec<_>>(),
                "shipping": c.shipping_fee,
            },
            "shipping_address": {
                "line1": c.buyer.address2,
                "line2": c.buyer.address1,
                "state": c.buyer.prefecture,
                "zip": c.buyer.postal_code,
            },
        });
        Page::Template {
            template: "paygent/checkout_paidy.html",
            title: "Paidy".to_owned(),
            context: serde_json::json!({
                "action": c.urls.step("paidy"),
                "amount": c.payment.amount,
                "payment_method_name": c.method_name,
                "widget": {
                    "script_url": self.paidy_script_url,
                    "public_key": self.paidy_public_key,
                    "payload_json": payload.to_string(),
                },
                "error": error,
            }),
        }
    }

    /// Paidy Checkout closed: with an authorization, Paygent (343) is asked whether Paidy
    /// holds it for this checkout and amount.
    pub(super) async fn paidy_result(&self, c: &Checkout, r: &PaidyResult) -> Next {
        if r.status != "authorized" {
            let message = match r.status.as_str() {
                "rejected" => {
                    "Paidyでのお支払いがご利用いただけませんでした。別の支払方法をご利用ください。"
                }
                _ => "Paidyでのお支払いが完了していません。もう一度お試しください。",
            };
            return Next::Declined(Decline::retry(message));
        }
        if !self.paidy {
            return Next::Declined(Decline::retry("Paidyは現在ご利用いただけません。"));
        }
        let id = r.paidy_payment_id.as_str();
        let well_formed = id.len() <= 64
            && !id.is_empty()
            && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !well_formed {
            return Next::Declined(Decline::retry(
                "Paidyでのお支払いを確認できませんでした。もう一度お試しください。",
            ));
        }
        let check = match async { self.client()?.verify_paidy(id).await }.await {
            Ok(check) => check,
            Err(e) => {
                return match ProviderError::from(e) {
                    ProviderError::Unknown(_) => Next::Unknown,
                    e => Next::Declined(Decline::logged(e.to_string(), e.code(), "343")),
                };
            }
        };
        let ours = check.exists
            && check.amount == Some(c.payment.amount)
            && (check.trading_id.is_empty() || check.trading_id == c.payment.trading_id);
        if !ours {
            return Next::Declined(Decline::logged(
                "Paidyでのお支払いを確認できませんでした(金額またはご注文が一致しません)。",
                "343",
                &format!(
                    "paidy_payment_id={id} retrieve={} amount={:?} trading_id={}",
                    check.exists, check.amount, check.trading_id
                ),
            ));
        }
        Next::Confirmed(Confirmation::of(map::report(
            &check.payment_id,
            &c.payment.kind,
            map::Status::Authorized.code(),
            check.amount,
        )))
    }
}

/// What a successful application telegram left to keep.
struct Applied {
    payment_id: String,
    /// The status the payment is in now (10 申込済, or 申込中 for net banking).
    code: &'static str,
    details: Vec<Detail>,
    deadline: Option<DateTime<Utc>>,
    redirect: Option<String>,
}

/// The application telegram of a service paid after ordering.
fn telegram_of(service: Service) -> &'static str {
    match service {
        Service::Conv => "030",
        Service::Atm => "010",
        _ => "060",
    }
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

#[cfg(test)]
mod tests {
    use super::*;

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
