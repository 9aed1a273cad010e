//! The Paygent hand-off: what the buyer's browser is shown for each service, and what each
//! step it brings back leads to. The card is here; convenience store (module type), ATM,
//! net banking and Paidy are in [`super::services`].
//!
//! Module type: the browser turns the card into a token with PaygentToken.js; the token's
//! hash is checked, EMV 3-D Secure runs when contracted (450, the ACS page, the hash-checked
//! result on the term URL), then the core persists and makes the authorization (020). A
//! member may keep the card (025, with a second token) or pay with a kept one.
//!
//! Link type: the browser is sent to Paygent's payment page with a hashed request. Paygent
//! appends nothing to the return address (spec §12), so the return asks Paygent (094) when
//! the shop has the module contract and otherwise waits for the notification.

use serde::{Deserialize, Serialize};

use super::map::{self, Service};
use super::wire::{self, Authorize, StoredCard as CardRef, ThreeDsRequest};
use super::{split_payment_choice, CardType, Config};
use crate::providers::interface::{
    Authorization, Authorized, Checkout, Decline, Fields, FormError, Next, Page, ProviderError,
    Resumed,
};

/// Paygent's page templates: (name, source).
pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "paygent/checkout_card.html",
        include_str!("templates/checkout_card.html"),
    ),
    (
        "paygent/checkout_payment.html",
        include_str!("templates/checkout_payment.html"),
    ),
    (
        "paygent/checkout_paidy.html",
        include_str!("templates/checkout_paidy.html"),
    ),
    (
        "paygent/member_card.html",
        include_str!("templates/member_card.html"),
    ),
];

/// The scripts Paygent's pages load from kessai: (name, content type, body).
pub const ASSETS: &[(&str, &str, &str)] = &[
    (
        "paygent_card.js",
        "text/javascript; charset=utf-8",
        include_str!("assets/card.js"),
    ),
    (
        "paygent_paidy.js",
        "text/javascript; charset=utf-8",
        include_str!("assets/paidy.js"),
    ),
];

/// A card token as PaygentToken.js hands it to the page (`tokenizedCardObject` and `hc`).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenReceipt {
    pub token: String,
    #[serde(default)]
    pub masked_card_number: String,
    #[serde(default)]
    pub valid_until: String,
    #[serde(default)]
    pub fingerprint: String,
    /// Required, as the API's document has it (the card page always sends it, if empty).
    pub hc: String,
}

/// What the buyer is told when a card token cannot be read or is not Paygent's.
pub(super) const CARD_UNREADABLE: &str =
    "カード情報を確認できませんでした。もう一度入力してください。";

/// The token receipt a form posted as JSON under `name`; `None` when the field is empty.
pub(super) fn token_receipt(
    fields: &Fields,
    name: &str,
) -> Result<Option<TokenReceipt>, FormError> {
    let json = fields.get(name).map_or("", String::as_str);
    if json.trim().is_empty() {
        return Ok(None);
    }
    serde_json::from_str(json)
        .map(Some)
        .map_err(|_| FormError::Invalid(CARD_UNREADABLE.to_owned()))
}

/// What the card form submits.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardForm {
    /// The card token (a CVC-only token when paying with a kept card).
    #[serde(default)]
    pub card: Option<TokenReceipt>,
    /// `10`, `23`, `61-3`, `80`…: one of [`Config::payment_choices`].
    #[serde(default)]
    pub payment_choice: String,
    /// Keep the card for next time, with a second token of the same card.
    #[serde(default)]
    pub register: Option<TokenReceipt>,
    /// Pay with this kept card (its id in kessai).
    #[serde(default, deserialize_with = "crate::domain::number::optional_whole")]
    pub stored_card_id: Option<i64>,
    /// The name on the card (3-D Secure wants it).
    #[serde(default)]
    pub cardholder_name: String,
    /// Where Paygent's 3-D Secure page sends the browser back (a headless shop's own page,
    /// which then submits the result as the `three_ds` step); kessai's hand-off step when
    /// absent.
    #[serde(default)]
    pub term_url: Option<String>,
}

/// The 3-D Secure result Paygent sends the browser back with (the term URL's query).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ThreeDsResult {
    /// Required through the API, as the document has it (the browser's query is read field
    /// by field in `form_submission`).
    pub result: String,
    #[serde(rename = "3ds_auth_id")]
    pub auth_id: String,
    #[serde(default)]
    pub attempt_kbn: String,
    #[serde(default)]
    pub hc: String,
    #[serde(default)]
    pub response_code: String,
    #[serde(default)]
    pub response_detail: String,
}

/// A hand-off step of a Paygent checkout, from the browser or as the API's `{"paygent": …}`.
#[derive(Debug, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Submission {
    /// The card form (module type).
    Card(CardForm),
    /// The 3-D Secure result the term URL received (every query parameter; the ones not
    /// listed in [`ThreeDsResult`] are ignored).
    ThreeDs(ThreeDsResult),
    /// The buyer confirmed a payment made after ordering.
    Apply(super::services::Application),
    /// Paidy Checkout closed.
    Paidy(super::services::PaidyResult),
    /// The buyer is back from Paygent's page (link type).
    Return,
}

/// The authorizing call of a Paygent hand-off.
#[derive(Debug)]
pub enum Call {
    /// 020 with everything decided.
    Card(CardCall),
    /// 030, 010 or 060.
    Apply(super::services::ApplyCall),
}

/// What a card authorization sends, kept between the card form and the 3-D Secure result.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct CardCall {
    token: String,
    payment_choice: String,
    register_token: String,
    customer_id: String,
    customer_card_id: String,
    three_ds_auth_id: String,
}

impl CardCall {
    fn stored(&self) -> Option<CardRef<'_>> {
        (!self.customer_card_id.is_empty()).then(|| CardRef {
            customer_id: &self.customer_id,
            customer_card_id: &self.customer_card_id,
        })
    }
}

impl Config {
    /// The hand-off page of a checkout: Paygent's page for link type, the card form, the
    /// application form, or Paidy Checkout.
    pub fn handoff(&self, c: &Checkout, error: Option<&str>) -> Page {
        let service = map::service_of(&c.payment.kind);
        match (service, self.card, self.conv) {
            (Service::Card, CardType::Link, _) | (Service::Conv, _, CardType::Link) => {
                self.link_request(c)
            }
            (Service::Card, _, _) => self.card_form(c, error),
            (Service::Paidy, _, _) => self.paidy_page(c, error),
            (Service::Conv | Service::Atm | Service::Netbank, _, _) => {
                self.application_form(c, error)
            }
        }
    }

    /// Reads a browser step: `card`, `3ds`, `apply`, `paidy` or `return`.
    pub fn form_submission(&self, step: &str, fields: &Fields) -> Result<Submission, FormError> {
        let get = |name: &str| fields.get(name).cloned().unwrap_or_default();
        match step {
            "card" => {
                let stored_card_id = match get("stored_card_id").trim() {
                    "" => None,
                    id => Some(id.parse().map_err(|_| {
                        FormError::Invalid("登録済みのカードを選択し直してください。".to_owned())
                    })?),
                };
                Ok(Submission::Card(CardForm {
                    card: token_receipt(fields, "card_json")?,
                    payment_choice: get("payment_choice"),
                    register: token_receipt(fields, "register_json")?,
                    stored_card_id,
                    cardholder_name: get("cardholder_name"),
                    term_url: None,
                }))
            }
            "3ds" => Ok(Submission::ThreeDs(ThreeDsResult {
                result: get("result"),
                auth_id: get("3ds_auth_id"),
                attempt_kbn: get("attempt_kbn"),
                hc: get("hc"),
                response_code: get("response_code"),
                response_detail: get("response_detail"),
            })),
            "apply" => Ok(Submission::Apply(super::services::Application {
                cvs_company_id: get("cvs_company_id"),
            })),
            "paidy" => Ok(Submission::Paidy(super::services::PaidyResult {
                paidy_payment_id: get("paidy_payment_id"),
                status: get("status"),
            })),
            "return" => Ok(Submission::Return),
            _ => Err(FormError::UnknownStep),
        }
    }

    /// Takes a hand-off step.
    pub async fn resume(&self, c: &Checkout, submission: Submission) -> Resumed {
        match submission {
            Submission::Card(form) => self.submit_card(c, &form).await,
            Submission::ThreeDs(result) => Resumed::to(self.three_ds_result(c, &result)),
            Submission::Apply(application) => Resumed::to(self.apply(c, &application)),
            Submission::Paidy(result) => Resumed::to(self.paidy_result(c, &result).await),
            Submission::Return if self.module_contract() => Resumed::to(Next::Inquire),
            // Without the module contract nothing can be asked: the notification decides.
            Submission::Return => Resumed::to(Next::Await),
        }
    }

    /// Makes the authorizing call.
    pub async fn authorize(&self, c: &Checkout, call: &Call) -> Result<Authorized, ProviderError> {
        match call {
            Call::Card(card) => self.authorize_card(c, card).await,
            Call::Apply(apply) => self.apply_now(c, apply).await,
        }
    }

    fn card_form(&self, c: &Checkout, error: Option<&str>) -> Page {
        let (months, years) = expiry_choices(chrono::Datelike::year(&c.today));
        let can_register = c.member_id.is_some() && self.stored_cards;
        let cards = if self.stored_cards {
            c.cards.clone()
        } else {
            Vec::new()
        };
        Page::Template {
            template: "paygent/checkout_card.html",
            title: "クレジットカード決済".to_owned(),
            context: serde_json::json!({
                "action": c.urls.step("card"),
                "amount": c.payment.amount,
                "payment_method_name": c.method_name,
                "merchant_id": self.merchant_id,
                "token_key": self.token_key,
                "token_script": format!("{}/js/PaygentToken.js", self.token_url),
                "security_code": self.security_code,
                "choices": self.payment_choices(),
                "can_register": can_register,
                "stored_cards": cards,
                "months": months,
                "years": years,
                "error": error,
            }),
        }
    }

    async fn submit_card(&self, c: &Checkout, form: &CardForm) -> Resumed {
        match self.card_call(c, form) {
            Ok(call) if self.three_d_secure => self.start_3ds(c, form, call).await,
            Ok(call) => Resumed::to(authorize_card(call)),
            Err(decline) => Resumed::to(Next::Declined(decline)),
        }
    }

    /// Checks the card form (payment choice, tokens, the kept card) into the call to make.
    fn card_call(&self, c: &Checkout, form: &CardForm) -> Result<CardCall, Decline> {
        if self.card != CardType::Module {
            return Err(Decline::retry("カード決済は現在ご利用いただけません。"));
        }
        if let Some(url) = &form.term_url {
            if !(url.starts_with("https://") || url.starts_with("http://")) || url.len() > 256 {
                return Err(Decline::retry(
                    "term_urlは http:// または https:// で始まる256文字以内のURLにしてください。",
                ));
            }
        }
        let payment_choice = if self
            .payment_choices()
            .iter()
            .any(|(code, _)| *code == form.payment_choice)
        {
            form.payment_choice.clone()
        } else if form.payment_choice.is_empty() {
            "10".to_owned()
        } else {
            return Err(Decline::retry("お支払い回数を選択してください。"));
        };
        let mut call = CardCall {
            payment_choice,
            ..CardCall::default()
        };
        if let Some(card) = &form.card {
            self.check_token(card)?;
            call.token = card.token.clone();
        }
        match (form.stored_card_id, c.member_id) {
            (Some(id), Some(_)) if self.stored_cards => {
                let card = c
                    .cards
                    .iter()
                    .find(|card| card.id == id)
                    .ok_or_else(|| Decline::retry("登録済みのカードが見つかりません。"))?;
                call.customer_id = card.customer_id.clone();
                call.customer_card_id = card.card_ref.clone();
            }
            (Some(_), _) => {
                return Err(Decline::retry(
                    "登録済みのカードは会員ログイン後にご利用いただけます。",
                ))
            }
            (None, _) if call.token.is_empty() => {
                return Err(Decline::retry("カード情報を入力してください。"))
            }
            (None, _) => {}
        }
        if let (Some(register), Some(_)) = (&form.register, c.member_id) {
            if self.stored_cards && call.customer_card_id.is_empty() {
                self.check_token(register)?;
                call.register_token = register.token.clone();
            }
        }
        Ok(call)
    }

    /// Whether a token receipt is the one Paygent issued (its `hc` matches the token receipt
    /// hash key), so the token was not swapped in the browser.
    pub fn token_is_genuine(&self, t: &TokenReceipt) -> bool {
        let expected = wire::token_hash(
            &t.token,
            &t.masked_card_number,
            &t.valid_until,
            &t.fingerprint,
            self.token_hash_key.expose(),
        );
        !t.token.is_empty() && wire::hash_matches(&t.hc, &expected)
    }

    fn check_token(&self, t: &TokenReceipt) -> Result<(), Decline> {
        if self.token_is_genuine(t) {
            Ok(())
        } else {
            Err(Decline::logged(
                CARD_UNREADABLE,
                "hc",
                "トークン受取ハッシュ不一致",
            ))
        }
    }

    /// 450: starts EMV 3-D Secure; the buyer is shown Paygent's page and comes back to the
    /// term URL, the call kept on the payment until then.
    async fn start_3ds(&self, c: &Checkout, form: &CardForm, mut call: CardCall) -> Resumed {
        let holder = match form.cardholder_name.trim() {
            "" => "CARD HOLDER",
            name => name,
        };
        // Paygent receives 基本設定's 会社名 with every payment (the manual); 450 wants it
        // in at most 40 ASCII characters (P006 when empty), so a Japanese name is replaced.
        let name = c.shop.company_name.trim();
        let merchant_name = if !name.is_empty() && name.len() <= 40 && name.is_ascii() {
            name
        } else {
            "Online Shop"
        };
        let term_url = form.term_url.clone().unwrap_or_else(|| c.urls.step("3ds"));
        let request = ThreeDsRequest {
            trading_id: &c.payment.trading_id,
            amount: c.payment.amount,
            term_url: &term_url,
            merchant_name,
            cardholder_name: holder,
            card_token: &call.token,
            stored_card: call.stored(),
        };
        match async { self.client()?.start_3ds(&request).await }.await {
            Ok(start) => {
                call.three_ds_auth_id = start.auth_id;
                Resumed {
                    next: Next::Show(Page::Html(start.acs_html)),
                    keep: Some(serde_json::to_string(&call).expect("a card call serializes")),
                }
            }
            Err(e) => {
                let e = ProviderError::from(e);
                let message = match &e {
                    ProviderError::Unknown(_) => "3Dセキュア認証を開始できませんでした。しばらくしてからもう一度お試しください。".to_owned(),
                    other => other.to_string(),
                };
                Resumed::to(Next::Declined(Decline::logged(message, e.code(), "450")))
            }
        }
    }

    /// Takes the 3-D Secure result: checks it belongs to this checkout, its hash and the
    /// chargeback-risk setting, then authorizes with the authentication.
    fn three_ds_result(&self, c: &Checkout, r: &ThreeDsResult) -> Next {
        let call: CardCall = serde_json::from_str(&c.payment.scratch).unwrap_or_default();
        let fail = |code: &str, message: &str| {
            Next::Declined(Decline::logged(message, code, "3Dセキュア認証結果"))
        };
        if call.three_ds_auth_id.is_empty() || call.three_ds_auth_id != r.auth_id {
            return fail("", "3Dセキュア認証の結果がこのご注文のものではありません。もう一度カード情報を入力してください。");
        }
        let expected = wire::three_ds_hash(
            &r.result,
            &r.auth_id,
            &r.attempt_kbn,
            self.three_d_hash_key.expose(),
        );
        if !self.three_d_hash_key.is_empty() && !wire::hash_matches(&r.hc, &expected) {
            return fail("hc", "3Dセキュア認証の結果を確認できませんでした(ハッシュ値不一致)。もう一度カード情報を入力してください。");
        }
        if r.result != "0" {
            let code = if r.response_code.is_empty() {
                "31007"
            } else {
                &r.response_code
            };
            return fail(code, &map::error_message(code, &r.response_detail));
        }
        if r.attempt_kbn == "1" && self.avoid_chargeback_risk {
            return fail(
                "attempt_kbn",
                "3Dセキュア認証が完了しませんでした(チャージバックリスク回避)。別のカードをご利用ください。",
            );
        }
        authorize_card(call)
    }

    /// 020: authorizes (and captures, in 同時売上モード 売上); a card the buyer asked to keep
    /// is kept once this succeeded.
    async fn authorize_card(
        &self,
        c: &Checkout,
        call: &CardCall,
    ) -> Result<Authorized, ProviderError> {
        let (payment_class, split_count) = split_payment_choice(&call.payment_choice);
        let stored = call.stored();
        let three_ds_auth_id =
            (!call.three_ds_auth_id.is_empty()).then_some(call.three_ds_auth_id.as_str());
        let request = Authorize {
            trading_id: &c.payment.trading_id,
            amount: c.payment.amount,
            card_token: &call.token,
            payment_class,
            split_count,
            capture: self.capture_on_authorize,
            skip_3ds: three_ds_auth_id.is_none(),
            three_ds_auth_id,
            security_code_use: self.security_code && stored.is_none(),
            stored_card: stored,
        };
        let authorized = self.client()?.authorize(&request).await?;
        let keep_card = (!call.register_token.is_empty()).then(|| {
            crate::providers::CardSubmission::Paygent(super::cards::CardSubmission {
                token: call.register_token.clone(),
            })
        });
        Ok(Authorized {
            keep_card,
            ..Authorized::done(self.authorized(
                &authorized.payment_id,
                &c.payment.kind,
                c.payment.amount,
            ))
        })
    }

    /// The hashed link-type request (spec §12) the browser posts to Paygent's page: a card
    /// request carries the card options (and, for a member while cards are kept, the
    /// customer id Paygent keeps them under), a convenience store request the 支払期間 in days
    /// or minutes (5 days when neither is set, as the manual says).
    fn link_request(&self, c: &Checkout) -> Page {
        let service = map::service_of(&c.payment.kind);
        let mut fields: Vec<(&'static str, String)> = vec![
            ("trading_id", c.payment.trading_id.clone()),
            ("payment_type", service.payment_type().to_owned()),
            ("id", c.payment.amount.to_string()),
            ("seq_merchant_id", self.merchant_id.clone()),
        ];
        match service {
            Service::Conv => match self.conv_minutes {
                Some(minutes) => fields.push(("payment_term_min", minutes.to_string())),
                None => fields.push(("payment_term_day", self.conv_limit_days().to_string())),
            },
            _ => {
                let payment_class = match self.payment_class.as_str() {
                    "all" => "1",
                    "no_bonus" => "2",
                    _ => "0",
                };
                fields.extend([
                    ("payment_class", payment_class.to_owned()),
                    (
                        "use_card_conf_number",
                        if self.security_code { "1" } else { "0" }.to_owned(),
                    ),
                    (
                        "threedsecure_ryaku",
                        if self.three_d_secure { "" } else { "1" }.to_owned(),
                    ),
                    (
                        "sales_flg",
                        if self.capture_on_authorize { "1" } else { "" }.to_owned(),
                    ),
                ]);
                if let (true, Some(member_id)) = (self.stored_cards, c.member_id) {
                    fields.push(("stock_card_mode", "1".to_owned()));
                    fields.push(("customer_id", super::cards::customer_id(member_id)));
                }
            }
        }
        fields.extend([
            ("customer_family_name", c.buyer.family_name.clone()),
            ("customer_name", c.buyer.given_name.clone()),
            ("customer_family_name_kana", c.buyer.family_kana.clone()),
            ("customer_name_kana", c.buyer.given_kana.clone()),
            // Paygent receives 基本設定's 会社名 with every payment (the manual).
            ("merchant_name", wire::cut(&c.shop.company_name, 64)),
            ("return_url", c.urls.step("return")),
            ("stop_return_url", c.urls.page.clone()),
        ]);
        fields.retain(|(_, v)| !v.is_empty());
        let hc = wire::link_hash(&fields, self.link_hash_key.expose());
        fields.push(("hc", hc));
        Page::RedirectForm {
            action: format!("{}/v/u/request", self.link_url),
            fields: fields
                .into_iter()
                .map(|(name, value)| (name.to_owned(), value))
                .collect(),
            charset: "UTF-8",
        }
    }
}

/// The 有効期限 choices of a card form in `year`: months `01`–`12` and the next 20 years as
/// `YY`, as PaygentToken.js takes them.
pub(super) fn expiry_choices(year: i32) -> (Vec<String>, Vec<String>) {
    let year = year % 100;
    let years = (year..year + 20).map(|y| format!("{y:02}")).collect();
    let months = (1..=12).map(|m| format!("{m:02}")).collect();
    (months, years)
}

/// The next step of a checked card call: authorize it.
fn authorize_card(call: CardCall) -> Next {
    Next::Authorize(Authorization {
        label: map::telegram_label("020"),
        call: crate::providers::Call::Paygent(Call::Card(call)),
    })
}
