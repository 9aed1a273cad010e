//! How a composed mail leaves kessai: over SMTP when `[mail] smtp_url` is set, otherwise as
//! an RFC 5322 file `<data dir>/mail/<id>.eml` for the operator (or a local MTA) to pick up.
//!
//! Both paths deliver the same bytes: a UTF-8 `text/plain` message with a base64 body (7-bit
//! safe for any relay) and RFC 2047 encoded Japanese headers, with a Message-ID derived from
//! the mail's id so a receiving server can recognise a mail delivered twice after a crash.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Mailbox, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::secrets::Secret;
use crate::store::Mail;

/// How long one SMTP delivery may take; well inside the job lease, so a slow server cannot
/// make a second worker take the job over and send the mail again.
const SMTP_TIMEOUT: Duration = Duration::from_secs(20);

/// Where mails go.
#[derive(Clone)]
pub enum Transport {
    /// An SMTP server (`smtp_url`); the URL is kept for messages, its password masked.
    Smtp {
        mailer: AsyncSmtpTransport<Tokio1Executor>,
        shown_as: String,
    },
    /// `.eml` files in this folder.
    Files(PathBuf),
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Smtp { shown_as, .. } => write!(f, "Smtp({shown_as})"),
            Self::Files(dir) => write!(f, "Files({})", dir.display()),
        }
    }
}

/// What a successful delivery did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivered {
    /// Accepted by the SMTP server.
    Sent,
    /// Written as a file.
    Written,
}

/// A mail that could not be delivered (kept as the mail's and the job's last error).
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("メールアドレスが正しくありません({0})")]
    Address(String),
    #[error("メールを組み立てられません: {0}")]
    Build(String),
    #[error("SMTPサーバーへの送信に失敗しました: {0}")]
    Smtp(String),
    #[error("メールファイルを書き出せません: {0}")]
    File(String),
}

/// A `smtp_url` that cannot be used, naming the setting and never showing the password.
#[derive(Debug, thiserror::Error)]
#[error("mail smtp_url (KESSAI_SMTP_URL) {url}: {reason}")]
pub struct SmtpUrlError {
    url: String,
    reason: String,
}

impl Transport {
    /// SMTP when `smtp_url` is set, else files under `<data_dir>/mail`.
    ///
    /// The URL follows lettre's convention: `smtps://user:pass@host[:465]` (TLS from the
    /// start), `smtp://user:pass@host[:587]?tls=required` (STARTTLS), or `smtp://host[:port]`
    /// (unencrypted, for a relay on the same machine). A password is refused on a URL that
    /// would send it unencrypted or to a server that might not be the one named.
    pub fn from_config(smtp_url: Option<&Secret>, data_dir: &Path) -> Result<Self, SmtpUrlError> {
        let Some(url) = smtp_url else {
            return Ok(Self::Files(data_dir.join("mail")));
        };
        let url = url.expose();
        let shown_as = crate::store::redact_url(url);
        let refuse = |reason: String| SmtpUrlError {
            url: shown_as.clone(),
            reason,
        };
        let parsed = url::Url::parse(url).map_err(|e| refuse(e.to_string()))?;
        let tls = parsed
            .query_pairs()
            .find(|(k, _)| k == "tls")
            .map(|(_, v)| v.into_owned());
        let encrypted = match parsed.scheme() {
            "smtps" => true,
            "smtp" => tls.as_deref() == Some("required"),
            other => {
                return Err(refuse(format!(
                    "the scheme must be smtps or smtp, not {other}"
                )))
            }
        };
        if parsed.password().is_some() && !encrypted {
            return Err(refuse(
                "a password would travel unencrypted: use smtps:// or add ?tls=required".to_owned(),
            ));
        }
        let mailer = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| refuse(e.to_string()))?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        Ok(Self::Smtp { mailer, shown_as })
    }

    /// Delivers one mail; `now` is its Date. Delivering the same mail again sends it again
    /// (SMTP) or rewrites the same file.
    pub async fn deliver(
        &self,
        mail: &Mail,
        now: DateTime<Utc>,
    ) -> Result<Delivered, TransportError> {
        let message = message(mail, now)?;
        match self {
            Self::Smtp { mailer, .. } => {
                mailer
                    .send(message)
                    .await
                    .map_err(|e| TransportError::Smtp(e.to_string()))?;
                Ok(Delivered::Sent)
            }
            Self::Files(dir) => {
                write_file(dir, mail.id, &message.formatted())
                    .await
                    .map_err(|e| TransportError::File(e.to_string()))?;
                Ok(Delivered::Written)
            }
        }
    }
}

/// Parses a stored mailbox (`ショップ名 <shop@example.jp>` or a bare address).
pub fn mailbox(text: &str) -> Result<Mailbox, TransportError> {
    text.parse()
        .map_err(|_| TransportError::Address(text.to_owned()))
}

/// The RFC 5322 message of a stored mail.
fn message(mail: &Mail, now: DateTime<Utc>) -> Result<Message, TransportError> {
    let from = mailbox(&mail.sender)?;
    let to = mailbox(&mail.recipient)?;
    let message_id = format!("<kessai-mail-{}@{}>", mail.id, from.email.domain());
    Message::builder()
        .from(from)
        .to(to)
        .subject(mail.subject.clone())
        .date(SystemTime::from(now))
        .message_id(Some(message_id))
        .singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_PLAIN)
                .header(ContentTransferEncoding::Base64)
                .body(mail.body.clone()),
        )
        .map_err(|e| TransportError::Build(e.to_string()))
}

/// Writes `<dir>/<id>.eml` whole or not at all (a temporary file renamed into place).
async fn write_file(dir: &Path, id: i64, bytes: &[u8]) -> std::io::Result<()> {
    tokio::fs::create_dir_all(dir).await?;
    let path = dir.join(format!("{id}.eml"));
    let partial = dir.join(format!(".{id}.eml.partial"));
    tokio::fs::write(&partial, bytes).await?;
    tokio::fs::rename(&partial, &path).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(url: &str) -> String {
        Transport::from_config(Some(&Secret::new(url)), Path::new("data"))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn without_an_smtp_url_mails_are_written_to_the_data_dir() {
        let t = Transport::from_config(None, Path::new("data")).unwrap();
        assert!(matches!(t, Transport::Files(dir) if dir == Path::new("data/mail")));
    }

    #[test]
    fn tls_and_starttls_urls_may_carry_a_password_which_is_never_shown() {
        for url in [
            "smtps://shop:s3cret@mail.example.jp",
            "smtp://shop:s3cret@mail.example.jp:587?tls=required",
        ] {
            let t = Transport::from_config(Some(&Secret::new(url)), Path::new("data")).unwrap();
            let shown = format!("{t:?}");
            assert!(shown.contains("shop:****@mail.example.jp"), "{shown}");
            assert!(!shown.contains("s3cret"), "{shown}");
        }
    }

    #[test]
    fn a_password_over_an_unencrypted_connection_is_refused_without_showing_it() {
        for url in [
            "smtp://shop:s3cret@mail.example.jp",
            "smtp://shop:s3cret@mail.example.jp?tls=opportunistic",
        ] {
            let message = refused(url);
            assert!(message.contains("smtp_url"), "{message}");
            assert!(message.contains("unencrypted"), "{message}");
            assert!(!message.contains("s3cret"), "{message}");
        }
        assert!(refused("http://mail.example.jp").contains("scheme"));
    }
}
