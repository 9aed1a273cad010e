//! Remise's transport on the wire (spec §1): every form in either direction is
//! `application/x-www-form-urlencoded` whose percent-escapes stand for Shift_JIS (CP932)
//! bytes, never a charset taken from a header (read with [`crate::form::Form`]). Unknown
//! fields are kept and ignored. Posts
//! the sandbox sends are a list of `name=value` pairs in a fixed order, and a shop
//! acknowledges one only with `<SDBKDATA>STATUS=800</SDBKDATA>`.

use encoding_rs::SHIFT_JIS;
use serde::Serialize;

use crate::form;

/// The only answer that acknowledges a notification (spec §2.2, §3.3).
pub const ACKNOWLEDGEMENT: &str = "<SDBKDATA>STATUS=800</SDBKDATA>";

/// Fields of a post or a returned form, in the order they are sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Fields(Vec<Field>);

/// One `name=value` of [`Fields`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Field {
    /// The field name.
    pub name: String,
    /// Its value, as text.
    pub value: String,
}

impl Fields {
    /// Append `name=value`.
    pub fn push(&mut self, name: &str, value: impl Into<String>) {
        self.0.push(Field {
            name: name.to_owned(),
            value: value.into(),
        });
    }

    /// Replace the value of `name`, or append it.
    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        let value = value.into();
        match self.0.iter_mut().find(|field| field.name == name) {
            Some(field) => field.value = value,
            None => self.push(name, value),
        }
    }

    /// The value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|field| field.name == name)
            .map(|field| field.value.as_str())
    }

    /// The fields followed by `REC_TYPE=<rec_type>`.
    pub fn with_rec_type(&self, rec_type: &str) -> Self {
        let mut fields = self.clone();
        fields.set("REC_TYPE", rec_type);
        fields
    }

    /// `name=value&…` with percent-escapes of the Shift_JIS bytes, as posted to a shop.
    pub fn encode(&self) -> Vec<u8> {
        let pairs = self
            .0
            .iter()
            .map(|field| (field.name.as_str(), field.value.as_str()));
        form::encode(pairs, SHIFT_JIS)
    }
}

/// Whether a shop's answer body acknowledges a notification: exactly the STATUS=800
/// string, with surrounding whitespace allowed.
pub fn acknowledges(body: &[u8]) -> bool {
    body.trim_ascii() == ACKNOWLEDGEMENT.as_bytes()
}

/// Whether `url` is an absolute http(s) URL a browser or the sandbox can post to.
pub fn is_web_url(url: &str) -> bool {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    rest.is_some_and(|rest| {
        !rest.is_empty() && !rest.starts_with('/') && url.chars().all(|c| c.is_ascii_graphic())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_encode_as_shift_jis_escapes_in_order() {
        let mut fields = Fields::default();
        fields.push("X-ERRCODE", "   ");
        fields.push("OPT", "山田,1");

        assert_eq!(
            fields.encode(),
            b"X-ERRCODE=%20%20%20&OPT=%8ER%93c%2C1".to_vec()
        );
    }

    #[test]
    fn only_the_status_800_string_acknowledges() {
        assert!(acknowledges(b"<SDBKDATA>STATUS=800</SDBKDATA>"));
        assert!(acknowledges(b"\r\n <SDBKDATA>STATUS=800</SDBKDATA>\n"));
        assert!(!acknowledges(b"<SDBKDATA>STATUS=900</SDBKDATA>"));
        assert!(!acknowledges(b"OK <SDBKDATA>STATUS=800</SDBKDATA>"));
        assert!(!acknowledges(b""));
    }

    #[test]
    fn only_absolute_web_urls_are_urls() {
        assert!(is_web_url("https://shop.example/return?acting=1"));
        assert!(is_web_url("http://127.0.0.1:8080/r"));
        assert!(!is_web_url("javascript:alert(1)"));
        assert!(!is_web_url("https://"));
        assert!(!is_web_url("https://a b"));
        assert!(!is_web_url("/relative"));
    }
}
