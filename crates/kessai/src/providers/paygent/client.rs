//! The Paygent module-type client: sends telegrams (spec §3, §6) over HTTPS and reads the
//! answers. Stateless — it never touches the database; callers persist before and after.
//!
//! Which URL a telegram goes to follows spec §2.5; the base URL is the built-in sandbox in
//! the test environment by default, Paygent's sandbox host or production host otherwise.

use std::time::Duration;

use super::tls::{CertificateError, Tls};
use super::wire::{self, Charset, Response};
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
            "06" => "/n/bank/requestasp",
            "09" => "/n/ref/request",
            "34" => "/n/paidy/request",
            _ => "/n/card/request",
        },
    }
}

/// A card authorization (020) with a token.
#[derive(Clone, Debug)]
pub struct Authorize<'a> {
    pub trading_id: &'a str,
    pub amount: i64,
    pub card_token: &'a str,
    /// `10` one-time, `23` bonus, `61` instalments (with `split_count`), `80` revolving.
    pub payment_class: &'a str,
    pub split_count: Option<u8>,
    /// Authorize and capture in one step (同時売上モード 売上).
    pub capture: bool,
    /// 3-D Secure not contracted: skip it.
    pub skip_3ds: bool,
    /// The security code is mandatory.
    pub security_code_use: bool,
    /// Store the card for the member (stored-card mode with a customer id).
    pub stored_card: Option<StoredCard<'a>>,
}

/// A stored card reference (customer id + Paygent's card id).
#[derive(Clone, Debug)]
pub struct StoredCard<'a> {
    pub customer_id: &'a str,
    pub customer_card_id: &'a str,
}

/// What Paygent said about one payment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentResult {
    pub payment_id: String,
    /// Masked card number on authorization (`************1111`), never the full number.
    pub masked_card_number: String,
    pub card_valid_term: String,
}

/// A payment inquiry (094) result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inquiry {
    pub payment_id: String,
    pub status_code: String,
    pub amount: Option<i64>,
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

    /// Sends one telegram: the common header (spec §3) plus `items`.
    pub async fn send(&self, kind: &str, items: &[(&str, &str)]) -> Result<Response, PaygentError> {
        let charset = if kind == "450" {
            Charset::Utf8
        } else {
            Charset::Cp932
        };
        let c = &self.credentials;
        let mut all: Vec<(&str, &str)> = vec![
            ("merchant_id", &c.merchant_id),
            ("connect_id", &c.connect_id),
            ("connect_password", c.connect_password.expose()),
            ("telegram_kind", kind),
            ("telegram_version", "1.0"),
        ];
        all.extend_from_slice(items);
        let body = wire::encode_form(&all, charset)?;
        let url = format!("{}{}", self.base_url, path_of(kind));
        let span = tracing::info_span!("paygent", telegram = kind);
        let _enter = span.enter();
        let response = self
            .http
            .post(&url)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(body)
            .send()
            .await
            .map_err(|e| PaygentError::Transport(e.to_string()))?;
        if !response.status().is_success() {
            return Err(PaygentError::Transport(format!(
                "HTTP {}",
                response.status()
            )));
        }
        let bytes = response
            .bytes()
            .await
            .map_err(|e| PaygentError::Transport(e.to_string()))?;
        let decoded = wire::decode_response(&bytes, charset)
            .map_err(|e| PaygentError::Protocol(e.to_string()))?;
        match decoded.get("result") {
            "0" => Ok(decoded),
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
                "security_code_use",
                if a.security_code_use { "1" } else { "" },
            ),
        ];
        if let Some(card) = &a.stored_card {
            items.push(("stock_card_mode", "1"));
            items.push(("customer_id", card.customer_id));
            items.push(("customer_card_id", card.customer_card_id));
            items.push(("security_code_token", "1"));
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

    /// 094: asks Paygent for a payment's current status.
    pub async fn inquiry(&self, payment_id: &str) -> Result<Inquiry, PaygentError> {
        let r = self.on_payment("094", payment_id, &[]).await?;
        let amount = r.get("payment_amount").parse().ok();
        Ok(Inquiry {
            payment_id: r.get("payment_id").to_owned(),
            status_code: r.get("payment_status").to_owned(),
            amount,
        })
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
        assert_eq!(path_of("450"), "/n/threeds/request");
    }
}
