//! Forms as both providers send and take them: `application/x-www-form-urlencoded` whose
//! percent-escapes stand for bytes in a charset the protocol fixes (Shift_JIS/CP932 for
//! most, UTF-8 for some of Paygent's), never one taken from a header. [`Form`] reads a
//! request; [`encode`] writes the forms the sandbox posts to a shop.

use std::collections::HashMap;

use encoding_rs::Encoding;
use percent_encoding::{percent_decode, percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Characters left as they are in the bodies the sandbox sends.
const UNESCAPED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'*')
    .remove(b'-')
    .remove(b'.')
    .remove(b'_');

/// A decoded form: the last value of every name. Unknown names are kept and ignored.
#[derive(Debug, Default, Clone)]
pub struct Form {
    values: HashMap<String, String>,
}

impl Form {
    /// Decode `body`, its escapes standing for bytes in `encoding`.
    pub fn decode(body: &[u8], encoding: &'static Encoding) -> Self {
        Self::from_pairs(pairs(body), encoding)
    }

    /// Decode a query string and a body together, both in `encoding`; the body wins.
    pub fn decode_both(query: &[u8], body: &[u8], encoding: &'static Encoding) -> Self {
        Self::from_pairs(pairs(query).chain(pairs(body)), encoding)
    }

    /// Decode pairs split by [`pairs`] as text in `encoding`.
    pub fn from_pairs(
        pairs: impl IntoIterator<Item = (Vec<u8>, Vec<u8>)>,
        encoding: &'static Encoding,
    ) -> Self {
        let values = pairs
            .into_iter()
            .map(|(name, value)| {
                let (name, _) = encoding.decode_without_bom_handling(&name);
                let (value, _) = encoding.decode_without_bom_handling(&value);
                (name.into_owned(), value.into_owned())
            })
            .collect();
        Self { values }
    }

    /// The value of `name`, if present (possibly empty).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// The value of `name` when present and not empty.
    pub fn filled(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|value| !value.is_empty())
    }

    /// The value of `name`, empty when absent.
    pub fn text(&self, name: &str) -> String {
        self.get(name).unwrap_or_default().to_owned()
    }
}

/// Split `a=b&c=d` into percent-decoded byte pairs (`+` is a space), for a caller that
/// must look at the raw bytes before it knows the charset.
pub fn pairs(raw: &[u8]) -> impl Iterator<Item = (Vec<u8>, Vec<u8>)> + '_ {
    raw.split(|byte| *byte == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let mut parts = pair.splitn(2, |byte| *byte == b'=');
            let name = parts.next().unwrap_or_default();
            let value = parts.next().unwrap_or_default();
            (unescape(name), unescape(value))
        })
}

fn unescape(raw: &[u8]) -> Vec<u8> {
    let spaced: Vec<u8> = raw
        .iter()
        .map(|byte| if *byte == b'+' { b' ' } else { *byte })
        .collect();
    percent_decode(&spaced).collect()
}

/// `name=value&…` in the order given, each value percent-escaped byte by byte in
/// `encoding` (only letters, digits and `*-._` stay as they are); names are the
/// protocols' ASCII field names and go as they are.
pub fn encode<'n, 'v>(
    fields: impl IntoIterator<Item = (&'n str, &'v str)>,
    encoding: &'static Encoding,
) -> Vec<u8> {
    fields
        .into_iter()
        .map(|(name, value)| {
            let (bytes, _, _) = encoding.encode(value);
            format!("{name}={}", percent_encode(&bytes, UNESCAPED))
        })
        .collect::<Vec<_>>()
        .join("&")
        .into_bytes()
}

#[cfg(test)]
mod tests {
    use encoding_rs::{SHIFT_JIS, UTF_8};

    use super::*;

    #[test]
    fn a_shift_jis_form_decodes_to_text() {
        let form = Form::decode(b"NAME1=%8ER%93c&OPT=a+b&EMPTY=&FLAG", SHIFT_JIS);

        assert_eq!(form.get("NAME1"), Some("山田"));
        assert_eq!(form.get("OPT"), Some("a b"));
        assert_eq!(form.get("EMPTY"), Some(""));
        assert_eq!(form.filled("EMPTY"), None);
        assert_eq!(form.get("FLAG"), Some(""));
        assert_eq!(form.text("MISSING"), "");
    }

    #[test]
    fn the_body_wins_over_the_query_string() {
        let form = Form::decode_both(b"a=1&b=2", b"b=3&n=%E3%83%86", UTF_8);

        assert_eq!(form.get("a"), Some("1"));
        assert_eq!(form.get("b"), Some("3"));
        assert_eq!(form.get("n"), Some("テ"));
    }

    #[test]
    fn fields_encode_as_shift_jis_escapes_in_order() {
        let fields = [
            ("X-ERRCODE", "   "),
            ("OPT", "山田,1"),
            ("URL", "a*b-c.d_e/f"),
        ];

        assert_eq!(
            encode(fields, SHIFT_JIS),
            b"X-ERRCODE=%20%20%20&OPT=%8ER%93c%2C1&URL=a*b-c.d_e%2Ff".to_vec()
        );
    }
}
