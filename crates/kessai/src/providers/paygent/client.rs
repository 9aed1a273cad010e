//! The Paygent module-type client: sends telegrams (spec §3, §6) over HTTPS and reads the
//! answers. Stateless — it never touches the database; callers persist before and after.
//!
//! Which URL a telegram goes to follows spec §2.5; the base URL is the built-in sandbox in
//! the test environment by default, Paygent's sandbox host or production host otherwise.

use std::collections::BTreeMap;
use std::time::Duration;

use tracing::Instrument;

use super::tls::{CertificateError, Tls};
use super::wire::{
    self, AtmApplication, AtmNumbers, Authorize, BankApplication, BankPage, Charset,
    ConvApplication, ConvNumber, Inquiry, PaidyCheck, PaymentResult, Response, StoredCardInfo,
    ThreeDsRequest, ThreeDsStart,
};
use crate::secrets::Secret;

/// Paygent's production module host.
pub const PRODUCTION_URL: &str = "https://module.paygent.co.jp";
/// Paygent's own test (sandbox) module host.
pub const TEST_URL: &str = "https://sandbox.paygent.co.jp";
/// Default timeout (Paygent's module uses 35 s).
pub const TIMEOUT: Duration = Duration::from_secs(35);

/// The merchant's connection credentials (header items 1–3).
#[derive(Clone, Debug)]
pub struct Credentials {
    pub merchant_id: String,
    pub connect_id: String,
    pub connect_password: Secret,
}

/// Why a telegram did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum PaygentError {
    /// No answer (timeout, connection refused, TLS failure): the outcome is unknown and must
    /// be settled by an inquiry.
    #[error("ペイジェントへの接続に失敗しました: {0}")]
    Transport(String),
    /// Paygent answered `result=1` (spec §5, §11).
    #[error("ペイジェントがエラーを返しました ({code}): {detail}")]
    Rejected {
        code: String,
        detail: String,
        payment_id: String,
    },
    /// The answer could not be read.
    #[error("ペイジェントの応答を読み取れません: {0}")]
    Protocol(String),
    /// A value cannot be sent (not representable in Shift_JIS).
    #[error(transparent)]
    Encode(#[from] wire::EncodeError),
    /// The client certificate or CA file cannot be used; nothing was sent.
    #[error(transparent)]
    Certificate(#[from] CertificateError),
}

impl PaygentError {
    /// Whether the outcome at Paygent is unknown (so a status inquiry must settle it).
    pub fn outcome_unknown(&self) -> bool {
        matches!(self, Self::Transport(_) | Self::Protocol(_))
    }
}

/// The character set of a telegram kind: UTF-8 for 3-D Secure, Shift_JIS otherwise.
fn charset_of(kind: &str) -> Charset {
    if kind == "450" {
        Charset::Utf8
    } else {
        Charset::Cp932
    }
}

/// The path of a telegram kind (spec §2.5: full kind first, then its first two digits).
pub fn path_of(kind: &str) -> &'static str {
    match kind {
        "091" => "/n/ref/paynotice",
        "094" => "/n/ref/paymentref",
        "450" => "/n/threeds/request",
        _ => match kind.get(..2).unwrap_or("") {
            "01" => "/n/atm/request",
            "02" => "/n/card/request",
            "03" => "/n/conveni/request",
            "05" => "/n/bank/request",
            "06" => "/n/bank/requestasp",
            "09" => "/n/ref/request",
            "34" => "/n/paidy/request",
            _ => "/n/card/request",
        },
    }
}

/// A Paygent module client for one merchant.
#[derive(Clone, Debug)]
pub struct Client {
    http: reqwest::Client,
    base_url: String,
    credentials: Credentials,
}

impl Client {
    /// A client sending to `base_url` (no trailing slash), with the client certificate and
    /// CA file of `tls` when given (otherwise no client certificate and the built-in roots).
    pub fn new(
        base_url: &str,
        credentials: Credentials,
        timeout: Duration,
        tls: Option<&Tls>,
    ) -> Result<Client, PaygentError> {
        let builder = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .user_agent(concat!("kessai/", env!("CARGO_PKG_VERSION")));
        let builder = match tls {
            Some(tls) => tls.configure(builder),
            None => builder,
        };
        let http = builder
            .build()
            .map_err(|e| PaygentError::Transport(e.to_string()))?;
        Ok(Client {
            http,
            base_url: base_url.trim_end_matches('/').to_owned(),
            credentials,
        })
    }

    /// Sends one telegram: the common header (spec §3) plus `items`; reads the `key=value`
    /// answer and turns `result=1` into [`PaygentError::Rejected`].
    pub async fn send(&self, kind: &str, items: &[(&str, &str)]) -> Result<Response, PaygentError> {
        self.send_accepting(kind, items, &[]).await
    }

    /// Like [`Client::send`], but a refusal whose code is in `accepted` is an answer too
    /// (060's 5010 repeats the page of an earlier application).
    async fn send_accepting(
        &self,
        kind: &str,
        items: &[(&str, &str)],
        accepted: &[&str],
    ) -> Result<Response, PaygentError> {
        let bytes = self.send_raw(kind, items).await?;
        let decoded = wire::decode_response(&bytes, charset_of(kind))
            .map_err(|e| PaygentError::Protocol(e.to_string()))?;
        match decoded.get("result") {
            "0" => Ok(decoded),
            "1" if accepted.contains(&decoded.get("response_code")) => Ok(decoded),
            "1" => Err(PaygentError::Rejected {
                code: decoded.get("response_code").to_owned(),
                detail: decoded.get("response_detail").to_owned(),
                payment_id: decoded.get("payment_id").to_owned(),
            }),
            other => Err(PaygentError::Protocol(format!(
                "unexpected result {other:?}"
            ))),
        }
    }

    /// Sends one telegram and returns the raw answer body.
    async fn send_raw(&self, kind: &str, items: &[(&str, &str)]) -> Result<Vec<u8>, PaygentError> {
        let c = &self.credentials;
        let mut all: Vec<(&str, &str)> = vec![
            ("merchant_id", &c.merchant_id),
            ("connect_id", &c.connect_id),
            ("connect_password", c.connect_password.expose()),
            ("telegram_kind", kind),
            ("telegram_version", "1.0"),
        ];
        all.extend_from_slice(items);
        let body = wire::encode_form(&all, charset_of(kind))?;
        let url = format!("{}{}", self.base_url, path_of(kind));
        let started = std::time::Instant::now();
        let answer = async {
            let response = self
                .http
                .post(&url)
                .header(
                    reqwest::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded",
                )
                .body(body)
                .send()
                .await?;
            let status = response.status();
            Ok::<_, reqwest::Error>((status, response.bytes().await?))
        }
        .instrument(tracing::info_span!("paygent", telegram = kind))
        .await;
        crate::providers::timing::record(started.elapsed());
        let (status, bytes) = answer.map_err(|e| PaygentError::Transport(e.to_string()))?;
        if !status.is_success() {
            return Err(PaygentError::Transport(format!("HTTP {status}")));
        }
        Ok(bytes.to_vec())
    }

    /// 020: authorizes (and optionally captures) a card token.
    pub async fn authorize(&self, a: &Authorize<'_>) -> Result<PaymentResult, PaygentError> {
        let amount = a.amount.to_string();
        let split = a.split_count.map(|n| n.to_string()).unwrap_or_default();
        let mut items = vec![
            ("trading_id", a.trading_id),
            ("payment_id", ""),
            ("payment_amount", amount.as_str()),
            ("payment_class", a.payment_class),
            ("split_count", split.as_str()),
            ("card_token", a.card_token),
            ("sales_mode", if a.capture { "1" } else { "0" }),
            ("3dsecure_ryaku", if a.skip_3ds { "1" } else { "" }),
            (
                "3dsecure_use_type",
                if a.three_ds_auth_id.is_some() {
                    "2"
                } else {
                    ""
                },
            ),
            ("3ds_auth_id", a.three_ds_auth_id.unwrap_or("")),
            (
                "security_code_use",
                if a.security_code_use { "1" } else { "" },
            ),
        ];
        if let Some(card) = &a.stored_card {
            items.push(("stock_card_mode", "1"));
            items.push(("customer_id", card.customer_id));
            items.push(("customer_card_id", card.customer_card_id));
            // With a stored card the token, when there is one, carries only the CVC.
            if !a.card_token.is_empty() {
                items.push(("security_code_token", "1"));
            }
        }
        let r = self.send("020", &items).await?;
        Ok(PaymentResult {
            payment_id: r.get("payment_id").to_owned(),
            masked_card_number: r.get("masked_card_number").to_owned(),
            card_valid_term: r.get("card_valid_term").to_owned(),
        })
    }

    async fn on_payment(
        &self,
        kind: &str,
        payment_id: &str,
        extra: &[(&str, &str)],
    ) -> Result<Response, PaygentError> {
        let mut items = vec![("trading_id", ""), ("payment_id", payment_id)];
        items.extend_from_slice(extra);
        self.send(kind, &items).await
    }

    /// 022: captures an authorization (売上).
    pub async fn capture(&self, payment_id: &str) -> Result<(), PaygentError> {
        self.on_payment("022", payment_id, &[]).await.map(drop)
    }

    /// 021: cancels an authorization (オーソリキャンセル).
    pub async fn cancel_authorization(&self, payment_id: &str) -> Result<(), PaygentError> {
        self.on_payment("021", payment_id, &[]).await.map(drop)
    }

    /// 023: cancels a captured sale (売上キャンセル).
    pub async fn cancel_sale(&self, payment_id: &str) -> Result<(), PaygentError> {
        self.on_payment("023", payment_id, &[]).await.map(drop)
    }

    /// 028 (authorized) or 029 (captured): replaces the payment by a new one for `amount`;
    /// returns the new payment id (spec §6.3).
    pub async fn change_amount(
        &self,
        payment_id: &str,
        captured: bool,
        amount: i64,
    ) -> Result<String, PaygentError> {
        let kind = if captured { "029" } else { "028" };
        let amount = amount.to_string();
        let r = self
            .on_payment(
                kind,
                payment_id,
                &[("payment_amount", &amount), ("reduction_flag", "0")],
            )
            .await?;
        Ok(r.get("payment_id").to_owned())
    }

    /// 341: captures a Paidy authorization (Paidy売上).
    pub async fn paidy_capture(&self, payment_id: &str) -> Result<(), PaygentError> {
        self.on_payment("341", payment_id, &[]).await.map(drop)
    }

    /// 340: cancels a Paidy authorization (Paidyオーソリキャンセル).
    pub async fn paidy_cancel(&self, payment_id: &str) -> Result<(), PaygentError> {
        self.on_payment("340", payment_id, &[]).await.map(drop)
    }

    /// 342: refunds a captured Paidy payment, all of it (`None`) or `amount`; returns the
    /// payment id that holds the rest after a partial refund (the same id after a full one).
    pub async fn paidy_refund(
        &self,
        payment_id: &str,
        amount: Option<i64>,
    ) -> Result<String, PaygentError> {
        let amount = amount.map(|a| a.to_string()).unwrap_or_default();
        let r = self
            .on_payment("342", payment_id, &[("amount", &amount)])
            .await?;
        Ok(match r.get("payment_id") {
            "" => payment_id.to_owned(),
            new => new.to_owned(),
        })
    }

    /// 343: what Paidy holds for a Paidy payment id (Paidy Retrieve through Paygent).
    pub async fn verify_paidy(&self, paidy_payment_id: &str) -> Result<PaidyCheck, PaygentError> {
        let r = self
            .send(
                "343",
                &[
                    ("trading_id", ""),
                    ("payment_id", ""),
                    ("paidy_payment_id", paidy_payment_id),
                ],
            )
            .await?;
        Ok(PaidyCheck {
            exists: r.get("retrieve_result") == "0",
            payment_id: r.get("payment_id").to_owned(),
            trading_id: r.get("trading_id").to_owned(),
            amount: r.get("amount").parse().ok(),
        })
    }

    /// 010: applies for an ATM (Pay-easy) payment; Paygent answers the numbers the buyer
    /// keys into the ATM.
    pub async fn apply_atm(&self, a: &AtmApplication<'_>) -> Result<AtmNumbers, PaygentError> {
        let amount = a.amount.to_string();
        let days = a.limit_days.to_string();
        let r = self
            .send(
                "010",
                &[
                    ("trading_id", a.trading_id),
                    ("payment_id", ""),
                    ("payment_amount", &amount),
                    ("payment_detail", a.payment_detail),
                    ("payment_detail_kana", a.payment_detail_kana),
                    ("payment_limit_date", &days),
                ],
            )
            .await?;
        Ok(AtmNumbers {
            payment_id: r.get("payment_id").to_owned(),
            pay_center_number: r.get("pay_center_number").to_owned(),
            customer_number: r.get("customer_number").to_owned(),
            conf_number: r.get("conf_number").to_owned(),
            limit_date: r.get("payment_limit_date").to_owned(),
        })
    }

    /// 030: applies for a convenience store payment number.
    pub async fn apply_conv(&self, a: &ConvApplication<'_>) -> Result<ConvNumber, PaygentError> {
        let amount = a.amount.to_string();
        let days = a.limit_days.to_string();
        let r = self
            .send(
                "030",
                &[
                    ("trading_id", a.trading_id),
                    ("payment_id", ""),
                    ("payment_amount", &amount),
                    ("cvs_company_id", a.cvs_company_id),
                    ("customer_family_name", a.family_name),
                    ("customer_name", a.given_name),
                    ("customer_tel", a.tel),
                    ("payment_limit_date", &days),
                    ("sales_type", if a.postpay { "3" } else { "1" }),
                ],
            )
            .await?;
        Ok(ConvNumber {
            payment_id: r.get("payment_id").to_owned(),
            receipt_number: r.get("receipt_number").to_owned(),
            receipt_print_url: r.get("receipt_print_url").to_owned(),
            usable_cvs_company_id: r.get("usable_cvs_company_id").to_owned(),
            limit_date: r.get("payment_limit_date").to_owned(),
        })
    }

    /// 060: applies for net banking; Paygent answers its bank choice page. Asked again for
    /// the same trading id while that page is valid (5010), Paygent answers the same page.
    pub async fn apply_bank(&self, a: &BankApplication<'_>) -> Result<BankPage, PaygentError> {
        let amount = a.amount.to_string();
        let items = [
            ("trading_id", a.trading_id),
            ("payment_id", ""),
            ("amount", amount.as_str()),
            ("claim_kana", a.claim_kana),
            ("claim_kanji", a.claim_kanji),
            ("merchant_name", a.merchant_name),
            ("return_url", a.return_url),
            ("stop_return_url", a.stop_return_url),
            ("asp_payment_term", a.asp_payment_term),
        ];
        let r = self.send_accepting("060", &items, &["5010"]).await?;
        if r.get("asp_url").is_empty() {
            return Err(PaygentError::Protocol("060 answered no asp_url".to_owned()));
        }
        Ok(BankPage {
            asp_url: r.get("asp_url").to_owned(),
            limit_date: r.get("asp_limit_date").to_owned(),
        })
    }

    /// 094: asks Paygent for a payment's current status, by payment id or, before Paygent
    /// has given one (link type), by trading id and payment type.
    pub async fn inquiry(
        &self,
        payment_id: &str,
        trading_id: &str,
        payment_type: &str,
    ) -> Result<Inquiry, PaygentError> {
        let payment_type = if payment_id.is_empty() {
            payment_type
        } else {
            ""
        };
        let trading_id = if payment_id.is_empty() {
            trading_id
        } else {
            ""
        };
        let r = self
            .send(
                "094",
                &[
                    ("trading_id", trading_id),
                    ("payment_id", payment_id),
                    ("payment_type", payment_type),
                ],
            )
            .await?;
        let amount = r.get("payment_amount").parse().ok();
        Ok(Inquiry {
            payment_id: r.get("payment_id").to_owned(),
            status_code: r.get("payment_status").to_owned(),
            amount,
        })
    }

    /// 450: starts EMV 3-D Secure; the buyer's browser is then shown the ACS page.
    pub async fn start_3ds(&self, r: &ThreeDsRequest<'_>) -> Result<ThreeDsStart, PaygentError> {
        let amount = r.amount.to_string();
        let mut items = vec![
            ("trading_id", r.trading_id),
            ("term_url", r.term_url),
            ("merchant_name", r.merchant_name),
            ("authentication_type", "01"),
            ("payment_amount", amount.as_str()),
            ("cardholder_name", r.cardholder_name),
        ];
        match &r.stored_card {
            Some(card) => {
                items.push(("card_set_method", "customer"));
                items.push(("customer_id", card.customer_id));
                items.push(("customer_card_id", card.customer_card_id));
            }
            None => {
                items.push(("card_set_method", "token"));
                items.push(("card_token", r.card_token));
            }
        }
        let response = self.send("450", &items).await?;
        Ok(ThreeDsStart {
            auth_id: response.get("3ds_auth_id").to_owned(),
            acs_html: response.get("out_acs_html").to_owned(),
        })
    }

    /// 025: stores a card (given as a token) for a customer; returns Paygent's card id.
    pub async fn store_card(
        &self,
        customer_id: &str,
        card_token: &str,
    ) -> Result<StoredCardInfo, PaygentError> {
        let r = self
            .send(
                "025",
                &[
                    ("trading_id", ""),
                    ("customer_id", customer_id),
                    ("card_token", card_token),
                ],
            )
            .await?;
        Ok(StoredCardInfo {
            customer_card_id: r.get("customer_card_id").to_owned(),
            masked_card_number: r.get("masked_card_number").to_owned(),
            card_valid_term: r.get("card_valid_term").to_owned(),
            card_brand: String::new(),
        })
    }

    /// 026: deletes one stored card.
    pub async fn delete_card(
        &self,
        customer_id: &str,
        customer_card_id: &str,
    ) -> Result<(), PaygentError> {
        self.send(
            "026",
            &[
                ("trading_id", ""),
                ("customer_id", customer_id),
                ("customer_card_id", customer_card_id),
            ],
        )
        .await
        .map(drop)
    }

    /// 027: the customer's stored cards (masked), newest use first; none when Paygent has
    /// none for the customer.
    pub async fn stored_cards(
        &self,
        customer_id: &str,
    ) -> Result<Vec<StoredCardInfo>, PaygentError> {
        let body = self
            .send_raw("027", &[("trading_id", ""), ("customer_id", customer_id)])
            .await?;
        let records = wire::decode_csv(&body).map_err(|e| PaygentError::Protocol(e.to_string()))?;
        let mut columns: Vec<String> = Vec::new();
        let mut cards = Vec::new();
        for record in records {
            match record.first().map(String::as_str) {
                // P026: the customer has no card (any more).
                Some("1")
                    if record.get(1).map(String::as_str) == Some("1")
                        && record.get(2).map(String::as_str) == Some("P026") =>
                {
                    return Ok(Vec::new());
                }
                Some("1") if record.get(1).map(String::as_str) == Some("1") => {
                    return Err(PaygentError::Rejected {
                        code: record.get(2).cloned().unwrap_or_default(),
                        detail: record.get(3).cloned().unwrap_or_default(),
                        payment_id: String::new(),
                    });
                }
                Some("2") => columns = record[1..].to_vec(),
                Some("3") => {
                    let get = |name: &str| {
                        columns
                            .iter()
                            .position(|c| c == name)
                            .and_then(|i| record.get(i + 1))
                            .cloned()
                            .unwrap_or_default()
                    };
                    cards.push(StoredCardInfo {
                        customer_card_id: get("customer_card_id"),
                        masked_card_number: get("card_number"),
                        card_valid_term: get("card_valid_term"),
                        card_brand: get("card_brand"),
                    });
                }
                _ => {}
            }
        }
        Ok(cards)
    }

    /// 091: the next difference record not fetched yet, or `None` when there is none left.
    pub async fn next_notice(&self) -> Result<Option<BTreeMap<String, String>>, PaygentError> {
        let r = self
            .send(
                "091",
                &[
                    ("trading_id", ""),
                    ("payment_id", ""),
                    ("payment_notice_id", ""),
                ],
            )
            .await?;
        match r.get("success_code") {
            "1" => Ok(None),
            "0" | "2" => Ok(Some(r.items)),
            other => Err(PaygentError::Protocol(format!(
                "unexpected success_code {other:?}"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::path_of;

    #[test]
    fn telegrams_go_to_the_paths_of_the_spec() {
        assert_eq!(path_of("020"), "/n/card/request");
        assert_eq!(path_of("029"), "/n/card/request");
        assert_eq!(path_of("094"), "/n/ref/paymentref");
        assert_eq!(path_of("091"), "/n/ref/paynotice");
        assert_eq!(path_of("030"), "/n/conveni/request");
        assert_eq!(path_of("341"), "/n/paidy/request");
        assert_eq!(path_of("010"), "/n/atm/request");
        assert_eq!(path_of("060"), "/n/bank/requestasp");
        assert_eq!(path_of("450"), "/n/threeds/request");
    }
}
