//! Form bodies as the Japanese providers send and read them, byte for byte:
//! `application/x-www-form-urlencoded` of Shift_JIS (Windows-31J, CP932) or UTF-8 bytes, and
//! the Shift_JIS length rules of their fields. Paygent's telegrams and notifications and
//! Remise's pages and notifications all travel this way.

use std::collections::BTreeMap;

use encoding_rs::{Encoding, SHIFT_JIS, UTF_8};

/// The character set of a form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Charset {
    /// Shift_JIS as Windows-31J (CP932).
    Cp932,
    /// UTF-8.
    Utf8,
}

impl Charset {
    fn encoding(self) -> &'static Encoding {
        match self {
            Self::Cp932 => SHIFT_JIS,
            Self::Utf8 => UTF_8,
        }
    }

    /// The name a browser form's `accept-charset` takes.
    pub fn html_name(self) -> &'static str {
        match self {
            Self::Cp932 => "Shift_JIS",
            Self::Utf8 => "UTF-8",
        }
    }
}

/// A value that cannot be sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} contains characters that cannot be sent (not in Shift_JIS): {chars}")]
pub struct EncodeError {
    /// The field.
    pub field: String,
    /// The offending characters.
    pub chars: String,
}

/// Bytes that are not text of the expected character set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the text is not valid in its character set")]
pub struct NotInCharset;

/// Encodes `items` as a form body in `charset`, percent-encoding each byte the way the
/// providers' own PHP modules do (`urlencode`: alphanumerics and `-_.` kept, space as `+`).
pub fn encode_form(items: &[(&str, &str)], charset: Charset) -> Result<Vec<u8>, EncodeError> {
    let mut body = Vec::new();
    for (i, (name, value)) in items.iter().enumerate() {
        if i > 0 {
            body.push(b'&');
        }
        percent_encode(&encode_text(name, name, charset)?, &mut body);
        body.push(b'=');
        percent_encode(&encode_text(name, value, charset)?, &mut body);
    }
    Ok(body)
}

/// `text` in `charset`, or which of its characters cannot be.
pub fn encode_text(field: &str, text: &str, charset: Charset) -> Result<Vec<u8>, EncodeError> {
    match charset {
        Charset::Utf8 => Ok(text.as_bytes().to_vec()),
        Charset::Cp932 => {
            let (bytes, _, unmappable) = SHIFT_JIS.encode(text);
            if unmappable {
                return Err(EncodeError {
                    field: field.to_owned(),
                    chars: unmappable_chars(text),
                });
            }
            Ok(bytes.into_owned())
        }
    }
}

/// The characters of `text` that CP932 cannot represent.
pub fn unmappable_chars(text: &str) -> String {
    text.chars()
        .filter(|c| {
            let mut buf = [0u8; 4];
            SHIFT_JIS.encode(c.encode_utf8(&mut buf)).2
        })
        .collect()
}

fn percent_encode(bytes: &[u8], out: &mut Vec<u8>) {
    for &b in bytes {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => out.push(b),
            b' ' => out.push(b'+'),
            _ => out.extend_from_slice(format!("%{b:02X}").as_bytes()),
        }
    }
}

/// Bytes of `charset` as text; nothing when they are not valid in it.
pub fn decode_text(bytes: &[u8], charset: Charset) -> Result<String, NotInCharset> {
    charset
        .encoding()
        .decode_without_bom_handling_and_without_replacement(bytes)
        .map(|text| text.into_owned())
        .ok_or(NotInCharset)
}

/// Decodes a form body (`a=b&c=d`, percent-encoded bytes of `charset`). Later duplicates
/// of a name replace earlier ones.
pub fn decode_form(
    body: &[u8],
    charset: Charset,
) -> Result<BTreeMap<String, String>, NotInCharset> {
    let mut items = BTreeMap::new();
    for pair in body.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
        let (name, value) = match pair.iter().position(|b| *b == b'=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &[][..]),
        };
        items.insert(
            decode_text(&percent_decode(name), charset)?,
            decode_text(&percent_decode(value), charset)?,
        );
    }
    Ok(items)
}

fn percent_decode(bytes: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    out
}

/// `text` cut to `max_bytes` of Shift_JIS (the providers count bytes), at a character
/// boundary.
pub fn cut(text: &str, max_bytes: usize) -> String {
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let bytes = if c.is_ascii() { 1 } else { 2 };
        if used + bytes > max_bytes {
            break;
        }
        used += bytes;
        out.push(c);
    }
    out
}

/// Text for a field a provider wants in full width (a buyer's name): ASCII letters, digits,
/// symbols and spaces become their full-width forms, then the text is cut to `max_bytes`.
pub fn full_width(text: &str, max_bytes: usize) -> String {
    let wide: String = text
        .chars()
        .map(|c| match c {
            ' ' => '\u{3000}',
            '!'..='~' => char::from_u32(u32::from(c) + 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .collect();
    cut(&wide, max_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shift_jis_form_round_trips_through_its_bytes() {
        let body = encode_form(
            &[("NAME1", "山田"), ("MAIL", "a b@example.jp")],
            Charset::Cp932,
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(body.clone()).unwrap(),
            "NAME1=%8ER%93c&MAIL=a+b%40example.jp"
        );
        let read = decode_form(&body, Charset::Cp932).unwrap();
        assert_eq!(read["NAME1"], "山田");
        assert_eq!(read["MAIL"], "a b@example.jp");
    }

    #[test]
    fn characters_outside_shift_jis_name_their_field() {
        let e = encode_form(&[("NAME1", "髙橋🍣")], Charset::Cp932).unwrap_err();
        assert_eq!(e.field, "NAME1");
        assert_eq!(e.chars, "🍣");
    }

    #[test]
    fn bytes_that_are_not_shift_jis_are_refused() {
        assert_eq!(decode_form(b"A=%82", Charset::Cp932), Err(NotInCharset));
    }
}
