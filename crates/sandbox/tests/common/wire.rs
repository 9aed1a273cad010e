//! The encodings the tests write and read, shared by the Paygent and Remise suites (each
//! includes this file with `#[path]`): forms whose percent-escapes stand for bytes in a
//! charset, as a shop's page or server sends them and as the sandbox posts them, and the
//! HTML escapes of the sandbox's pages.

use std::collections::HashMap;

use encoding_rs::Encoding;
use percent_encoding::{percent_decode, percent_encode, NON_ALPHANUMERIC};

/// Form-encode `fields` with percent-escapes of their bytes in `encoding`.
pub fn encode_in(fields: &[(&str, &str)], encoding: &'static Encoding) -> Vec<u8> {
    fields
        .iter()
        .map(|(name, value)| {
            let (bytes, _, unmappable) = encoding.encode(value);
            assert!(!unmappable, "{value} is not representable");
            format!("{name}={}", percent_encode(&bytes, NON_ALPHANUMERIC))
        })
        .collect::<Vec<_>>()
        .join("&")
        .into_bytes()
}

/// Decode `a=b&c=d` whose escapes stand for bytes in `encoding`.
pub fn decode_form(raw: &[u8], encoding: &'static Encoding) -> HashMap<String, String> {
    raw.split(|b| *b == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let text: Vec<u8> = pair
                .iter()
                .map(|b| if *b == b'+' { b' ' } else { *b })
                .collect();
            let mut parts = text.splitn(2, |b| *b == b'=');
            let name: Vec<u8> = percent_decode(parts.next().unwrap_or_default()).collect();
            let value: Vec<u8> = percent_decode(parts.next().unwrap_or_default()).collect();
            (
                encoding.decode(&name).0.into_owned(),
                encoding.decode(&value).0.into_owned(),
            )
        })
        .collect()
}

/// Undo the escapes the templates put in HTML text and attributes, as a browser reads them
/// (minijinja's, which Paygent's pages use, and the markup-only ones of Remise's).
pub fn unescape_html(text: &str) -> String {
    text.replace("&#x2f;", "/")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}
