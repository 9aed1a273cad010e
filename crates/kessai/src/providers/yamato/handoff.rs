//! The token card checkout (spec §3.1, §3.2, §6): the card dialog turns the card into a
//! token in the browser with Yamato's token JS (the card never reaches kessai), A08
//! authorizes with the token, and with 3Dセキュア on A08 answers the ACS page instead: the
//! buyer authenticates, the ACS posts back to the hand-off's `3ds` step and A09 completes
//! the authorization (kessai sends it once; Yamato refuses a replay).
//!
//! 処理区分 与信売上確定 captures at once (E01 with delivery code `99`, as A08 has no capture
//! flag) — except for orders of a クロネコヤマト配送 delivery method, which stay 与信 until
//! their 送り状番号 is registered.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::client::{Authorize, Authorized as Answer};
use super::map::Status;
use super::wire::token_check_sum;
use super::Config;
use crate::providers::interface::{
    Authorization, Authorized, Challenge, Checkout, Decline, Done, Fields, FormError, Next, Page,
    ProviderError, Resumed,
};

/// `pay_way` values offered when 分割払い is on (1 is 一括).
pub const PAY_WAYS: &[(&str, &str)] = &[
    ("1", "一括払い"),
    ("2", "2回"),
    ("3", "3回"),
    ("5", "5回"),
    ("6", "6回"),
    ("10", "10回"),
    ("12", "12回"),
    ("15", "15回"),
    ("18", "18回"),
    ("20", "20回"),
    ("24", "24回"),
];

/// The hand-off's page templates.
pub const TEMPLATES: &[(&str, &str)] = &[(
    "yamato/checkout_card.html",
    include_str!("templates/checkout_card.html"),
)];

/// The card dialog's script.
pub const ASSETS: &[(&str, &str, &str)] = &[(
    "yamato_card.js",
    "text/javascript; charset=utf-8",
    include_str!("assets/card.js"),
)];

/// What the card dialog submits.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardForm {
    /// The token the token JS minted.
    #[serde(default)]
    pub token: String,
    /// 支払回数 (`1` 一括払い, the default).
    #[serde(default)]
    pub pay_way: String,
    /// The token was minted for the member (`optServDiv` 01): a kept card paid with, or a
    /// new card to keep.
    #[serde(default)]
    pub member: bool,
    /// Keep the new card (with `member`).
    #[serde(default)]
    pub register: bool,
    /// Where the ACS sends the buyer back (a headless shop's page, which then submits what
    /// the ACS posted as the `three_d` step); kessai's hand-off step when absent.
    #[serde(default)]
    pub three_d_return: Option<String>,
}

/// A hand-off step of a Web Collect checkout, from the browser or as the API's
/// `{"yamato": …}`.
#[derive(Debug, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Submission {
    /// The card dialog.
    Card(CardForm),
    /// What the ACS posted back (its upper-case fields, forwarded to A09 as they are).
    ThreeD(BTreeMap<String, String>),
}

/// The authorizing call of a Web Collect hand-off.
#[derive(Debug)]
pub enum Call {
    /// A08.
    Card(CardForm),
    /// A09, with what A08 left and the ACS's fields.
    ThreeD(Pending, BTreeMap<String, String>),
}

/// What A08 leaves for A09 (kept on the payment between the two browser steps).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Pending {
    three_d_token: String,
    member: bool,
    register: bool,
}

impl Config {
    /// `authDiv` of the token JS: 3-D Secure and/or the security code.
    fn auth_div(&self) -> &'static str {
        match (self.three_d_secure, self.security_code) {
            (false, false) => "0",
            (true, false) => "1",
            (false, true) => "2",
            (true, true) => "3",
        }
    }

    /// The card dialog; a member's kept cards are Yamato's list (A03), as paying with one
    /// needs its current `lastCreditDate`.
    pub async fn handoff(&self, c: &Checkout, error: Option<&str>) -> Page {
        let member = c
            .member_id
            .filter(|_| self.stored_card)
            .map(|id| self.member(id));
        let kept = match &member {
            // Without the list the buyer can still pay with a new card.
            Some(m) => self.kept_cards(m).await.unwrap_or_default(),
            None => Vec::new(),
        };
        let auth_div = self.auth_div();
        let access_key = self.access_key.expose();
        let year = chrono::Datelike::year(&c.today) % 100;
        let pay_ways = if self.installments {
            PAY_WAYS
        } else {
            &PAY_WAYS[..1]
        };
        Page::Template {
            template: "yamato/checkout_card.html",
            title: "クレジットカード決済".to_owned(),
            context: serde_json::json!({
                "action": c.urls.step("card"),
                "amount": c.payment.amount,
                "payment_method_name": c.method_name,
                "token_script": self.token_script(),
                "trader_code": self.trader_code,
                "auth_div": auth_div,
                "check_sum": token_check_sum(None, access_key, auth_div),
                "member_id": member.as_ref().map(|m| m.id.clone()),
                "auth_key": member.as_ref().map(|m| m.key.clone()),
                "member_check_sum": member
                    .as_ref()
                    .map(|m| token_check_sum(Some((&m.id, &m.key)), access_key, auth_div)),
                "register": match (&member, self.register_always) {
                    (None, _) => "none",
                    (Some(_), true) => "always",
                    (Some(_), false) => "ask",
                },
                "kept_cards": kept,
                "security_code": self.security_code,
                "pay_ways": pay_ways,
                "installments": self.installments,
                "months": (1..=12).map(|m| format!("{m:02}")).collect::<Vec<_>>(),
                "years": (year..year + 11).map(|y| format!("{y:02}")).collect::<Vec<_>>(),
                "error": error,
            }),
        }
    }

    /// Reads a browser step: `card` or `3ds` (the ACS's post).
    pub fn form_submission(&self, step: &str, fields: &Fields) -> Result<Submission, FormError> {
        let get = |name: &str| fields.get(name).cloned().unwrap_or_default();
        match step {
            "card" => Ok(Submission::Card(CardForm {
                token: get("token"),
                pay_way: get("pay_way"),
                member: get("member") == "1",
                register: get("register") == "1",
                three_d_return: None,
            })),
            "3ds" => Ok(Submission::ThreeD(fields.clone())),
            _ => Err(FormError::UnknownStep),
        }
    }

    /// Takes a hand-off step.
    pub fn resume(&self, c: &Checkout, submission: Submission) -> Resumed {
        let next =
            match submission {
                Submission::Card(form) => match self.check_card(c, form) {
                    Ok(form) => Next::Authorize(Authorization {
                        label: "クレジット決済登録",
                        call: crate::providers::Call::Yamato(Call::Card(form)),
                    }),
                    Err(decline) => Next::Declined(decline),
                },
                Submission::ThreeD(acs) => {
                    match serde_json::from_str::<Pending>(&c.payment.scratch) {
                    Ok(pending) if !pending.three_d_token.is_empty() => {
                        Next::Authorize(Authorization {
                            label: "3Dセキュア認証結果",
                            call: crate::providers::Call::Yamato(Call::ThreeD(pending, acs)),
                        })
                    }
                    _ => Next::Declined(Decline::retry(
                        "本人認証(3Dセキュア)の結果を確認できませんでした。もう一度カード情報を入力してください。",
                    )),
                }
                }
            };
        Resumed::to(next)
    }

    /// Checks the card dialog's input (the buyer's message when it cannot be used).
    fn check_card(&self, c: &Checkout, mut form: CardForm) -> Result<CardForm, Decline> {
        if form.token.trim().is_empty() || form.token.len() > 200 {
            return Err(Decline::retry("カード情報を入力してください。"));
        }
        if form.pay_way.is_empty() {
            form.pay_way = "1".to_owned();
        }
        let offered = if self.installments {
            PAY_WAYS
        } else {
            &PAY_WAYS[..1]
        };
        if !offered.iter().any(|(code, _)| *code == form.pay_way) {
            return Err(Decline::retry("お支払い回数を選択してください。"));
        }
        if form.member && (c.member_id.is_none() || !self.stored_card) {
            return Err(Decline::retry(
                "カードのお預かりは会員のお客様のみご利用いただけます。",
            ));
        }
        // The dialog asks for a new card to be kept when the member ticked it, or always
        // under 常に登録する; a kept card paid with is not kept again.
        form.register &= form.member;
        if let Some(url) = &form.three_d_return {
            if !(url.starts_with("https://") || url.starts_with("http://")) || url.len() > 256 {
                return Err(Decline::retry(
                    "three_d_returnは http:// または https:// で始まる256文字以内のURLにしてください。",
                ));
            }
        }
        Ok(form)
    }

    /// Makes the authorizing call: A08, or A09 after 3-D Secure.
    pub async fn authorize(&self, c: &Checkout, call: &Call) -> Result<Authorized, ProviderError> {
        let order_no = &c.payment.trading_id;
        match call {
            Call::Card(form) => {
                let member = self.member_of(c, form.member);
                let return_url = form
                    .three_d_return
                    .clone()
                    .unwrap_or_else(|| c.urls.step("3ds"));
                let answer = self
                    .client()
                    .authorize(&Authorize {
                        order_no,
                        amount: c.payment.amount,
                        token: &form.token,
                        pay_way: &form.pay_way,
                        buyer_name: &buyer_name(c),
                        buyer_tel: &c.buyer.phone_digits(),
                        buyer_email: &c.buyer.email,
                        three_d_return: self.three_d_secure.then_some(return_url.as_str()),
                        member: member.as_ref().map(|m| (m.id.as_str(), m.key.as_str())),
                    })
                    .await?;
                match answer {
                    Answer::Done { approval } => {
                        self.authorized(c, "クレジット決済登録", &approval, form.register)
                            .await
                    }
                    Answer::ThreeDSecure { html, token } => {
                        let pending = Pending {
                            three_d_token: token,
                            member: form.member,
                            register: form.register,
                        };
                        Ok(Authorized {
                            challenge: Some(Challenge {
                                page: Page::Html(html),
                                keep: serde_json::to_string(&pending).expect("serializes"),
                            }),
                            ..Authorized::done(Done {
                                label: "クレジット決済登録(3Dセキュア認証へ)",
                                payment_id: order_no.clone(),
                                status: Status::ThreeDsWaiting.info("50").report(
                                    order_no,
                                    "50",
                                    Some(c.payment.amount),
                                ),
                                replaced: None,
                                note: None,
                            })
                        })
                    }
                }
            }
            Call::ThreeD(pending, acs) => {
                match self
                    .client()
                    .authorize_3d(order_no, &pending.three_d_token, acs)
                    .await
                {
                    Ok(approval) => {
                        self.authorized(c, "3Dセキュア認証結果", &approval, pending.register)
                            .await
                    }
                    // Already completed (our own earlier A09 whose answer was lost): the
                    // transaction's status says how.
                    Err(ProviderError::Refused { code, .. }) if code == "A092000001" => {
                        let report = self.inquire(order_no).await?;
                        match report.state {
                            crate::domain::payment::PaymentState::Authorized
                            | crate::domain::payment::PaymentState::Captured => {
                                Ok(Authorized::done(Done {
                                    label: "3Dセキュア認証結果",
                                    payment_id: order_no.clone(),
                                    status: report,
                                    replaced: None,
                                    note: None,
                                }))
                            }
                            _ => Err(ProviderError::Refused {
                                code,
                                message: "本人認証(3Dセキュア)ができませんでした。お手数ですが、カートに戻ってもう一度ご注文ください。".to_owned(),
                                detail: format!("A092000001 statusInfo={}", report.code),
                            }),
                        }
                    }
                    Err(e) => Err(e),
                }
            }
        }
    }

    /// The member a call names: with a token minted for the member only.
    fn member_of(&self, c: &Checkout, member: bool) -> Option<super::cards::Member> {
        c.member_id.filter(|_| member).map(|id| self.member(id))
    }

    /// A08 or A09 (the call `label` names) authorized: captures at once where 与信売上確定
    /// applies, and names the new card kept for the member.
    async fn authorized(
        &self,
        c: &Checkout,
        label: &'static str,
        approval: &str,
        register: bool,
    ) -> Result<Authorized, ProviderError> {
        let order_no = &c.payment.trading_id;
        let amount = Some(c.payment.amount);
        let mut done = Done {
            label,
            payment_id: order_no.clone(),
            status: Status::Authorized.info("4").report(order_no, "4", amount),
            replaced: None,
            note: Some(format!("与信承認番号 {approval}")),
        };
        if self.capture_at_once && !self.delivered_by_yamato(c.delivery_method_id) {
            // The authorization stands whatever E01 answers: a capture that failed is
            // offered again on the order's page once it is 発送済み.
            match self.client().ship(order_no, "0", false).await {
                Ok(()) => {
                    done.label = "クレジット決済登録・出荷情報登録";
                    done.status = Status::ShipmentRegistered
                        .info("30")
                        .report(order_no, "30", amount);
                }
                Err(e) => {
                    done.note = Some(format!(
                        "与信承認番号 {approval} / 売上確定できませんでした: {e}"
                    ));
                }
            }
        }
        let keep_card = match self.member_of(c, register) {
            Some(member) => self
                .kept_cards(&member)
                .await
                .ok()
                .and_then(|cards| cards.first().map(|k| k.new_card(&member)))
                .map(crate::providers::CardSubmission::Kept),
            None => None,
        };
        Ok(Authorized {
            keep_card,
            ..Authorized::done(done)
        })
    }
}

/// `buyer_name_kanji`: the buyer's name, at most 30 characters.
fn buyer_name(c: &Checkout) -> String {
    let name = format!("{}{}", c.buyer.family_name, c.buyer.given_name);
    name.chars().take(30).collect()
}

#[cfg(test)]
mod tests {
    use super::super::config;

    #[test]
    fn auth_div_follows_3d_secure_and_the_security_code() {
        assert_eq!(
            config(&[("three_d_secure", "off"), ("security_code", "off")]).auth_div(),
            "0"
        );
        assert_eq!(
            config(&[("three_d_secure", "on"), ("security_code", "off")]).auth_div(),
            "1"
        );
        assert_eq!(config(&[("three_d_secure", "off")]).auth_div(), "2");
        assert_eq!(config(&[("three_d_secure", "on")]).auth_div(), "3");
    }
}
