//! Paygent's module-type transport, byte for byte (spec §2.1, §6.5): requests are
//! `application/x-www-form-urlencoded` bodies of Shift_JIS (CP932) bytes; responses are CRLF
//! separated `name=value` lines in CP932, where a `…_html` item takes every remaining line,
//! except the stored-card inquiry (027), which answers in quoted CSV. The EMV 3-D Secure
//! telegram (450) travels in UTF-8 instead.

use std::collections::BTreeMap;

use encoding_rs::{SHIFT_JIS, UTF_8};

/// The character set of one telegram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Charset {
    /// Shift_JIS as Windows-31J (CP932): every telegram but 450.
    Cp932,
    /// UTF-8: the 3-D Secure telegram 450.
    Utf8,
}

/// A value that cannot be sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} contains characters that cannot be sent to Paygent (not in Shift_JIS): {chars}")]
pub struct EncodeError {
    /// The telegram item.
    pub field: String,
    /// The offending characters.
    pub chars: String,
}

/// A response that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("the response is not valid Shift_JIS")]
    Charset,
    #[error("response line {0} has no '='")]
    Line(usize),
    #[error("the CSV response is malformed at record {0}")]
    Csv(usize),
}

/// Encodes the items of a telegram as a form body in `charset`, percent-encoding each byte
/// the way Paygent's own module does (`urlencode`: alphanumerics and `-_.` kept, space as `+`).
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

fn encode_text(field: &str, text: &str, charset: Charset) -> Result<Vec<u8>, EncodeError> {
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

/// A decoded `name=value` response.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Response {
    /// Every item by name (values verbatim; order is not significant).
    pub items: BTreeMap<String, String>,
}

impl Response {
    /// The value of an item, empty when absent.
    pub fn get(&self, name: &str) -> &str {
        self.items.get(name).map(String::as_str).unwrap_or("")
    }
}

fn decode_text(bytes: &[u8], charset: Charset) -> Result<String, DecodeError> {
    let encoding = match charset {
        Charset::Cp932 => SHIFT_JIS,
        Charset::Utf8 => UTF_8,
    };
    encoding
        .decode_without_bom_handling_and_without_replacement(bytes)
        .map(|text| text.into_owned())
        .ok_or(DecodeError::Charset)
}

/// Decodes a `name=value` response. Blank lines are skipped; a name ending in `_html` takes
/// the rest of the body, line breaks included.
pub fn decode_response(bytes: &[u8], charset: Charset) -> Result<Response, DecodeError> {
    let text = decode_text(bytes, charset)?;
    let mut items = BTreeMap::new();
    let mut offset = 0;
    for (n, raw) in text.split_inclusive('\n').enumerate() {
        let start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            continue;
        }
        let (name, value) = line.split_once('=').ok_or(DecodeError::Line(n + 1))?;
        if name.ends_with("_html") {
            let html = &text[start + name.len() + 1..];
            items.insert(
                name.to_owned(),
                html.trim_end_matches(['\r', '\n']).to_owned(),
            );
            break;
        }
        items.insert(name.to_owned(), value.to_owned());
    }
    Ok(Response { items })
}

/// Decodes a CSV response (027): CRLF records, every field in double quotes, `""` for a quote.
pub fn decode_csv(bytes: &[u8]) -> Result<Vec<Vec<String>>, DecodeError> {
    let text = decode_text(bytes, Charset::Cp932)?;
    let mut records = Vec::new();
    let mut chars = text.chars().peekable();
    let mut record: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut in_quotes = false;
    let mut touched = false;
    while let Some(c) = chars.next() {
        match (c, in_quotes) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            ('"', true) => in_quotes = false,
            ('"', false) if field.is_empty() => {
                in_quotes = true;
                touched = true;
            }
            (',', false) => {
                record.push(std::mem::take(&mut field));
                touched = true;
            }
            ('\r', false) => {}
            ('\n', false) => {
                if touched || !field.is_empty() {
                    record.push(std::mem::take(&mut field));
                    records.push(std::mem::take(&mut record));
                }
                touched = false;
            }
            (c, _) => {
                if !in_quotes && c == '"' {
                    return Err(DecodeError::Csv(records.len() + 1));
                }
                field.push(c);
                touched = true;
            }
        }
    }
    if in_quotes {
        return Err(DecodeError::Csv(records.len() + 1));
    }
    if touched || !field.is_empty() {
        record.push(field);
        records.push(record);
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn cp932(text: &str) -> Vec<u8> {
        SHIFT_JIS.encode(text).0.into_owned()
    }

    #[test]
    fn a_form_body_is_cp932_percent_encoded() {
        let body = encode_form(
            &[
                ("merchant_id", "123456789"),
                ("customer_family_name", "山田 太郎"),
            ],
            Charset::Cp932,
        )
        .unwrap();
        // 山 = 0x8E 0x52, 田 = 0x93 0x63, 太 = 0x91 0xBE, 郎 = 0x98 0x59 in CP932.
        assert_eq!(
            String::from_utf8(body).unwrap(),
            "merchant_id=123456789&customer_family_name=%8ER%93c+%91%BE%98Y"
        );
    }

    #[test]
    fn characters_outside_cp932_are_refused_with_the_field_named() {
        let err = encode_form(&[("customer_name", "髙橋😀")], Charset::Cp932).unwrap_err();
        assert_eq!(err.field, "customer_name");
        assert_eq!(
            err.chars, "😀",
            "髙 is an NEC/IBM extension that CP932 carries"
        );
    }

    #[test]
    fn utf8_telegrams_keep_utf8_bytes() {
        let body = encode_form(
            &[("cardholder_name", "TARO YAMADA"), ("x", "é")],
            Charset::Utf8,
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(body).unwrap(),
            "cardholder_name=TARO+YAMADA&x=%C3%A9"
        );
    }

    #[test]
    fn a_response_is_read_line_by_line_in_cp932() {
        let body = cp932("\r\nresult=1\r\nresponse_code=P006\r\nresponse_detail=必須項目エラー\r\npayment_id=\r\n");
        let r = decode_response(&body, Charset::Cp932).unwrap();
        assert_eq!(r.get("result"), "1");
        assert_eq!(r.get("response_detail"), "必須項目エラー");
        assert_eq!(r.get("payment_id"), "");
        assert_eq!(r.get("absent"), "");
    }

    #[test]
    fn an_html_item_takes_the_rest_of_the_body() {
        let body =
            cp932("result=7\r\npayment_id=1\r\nout_acs_html=<html>\r\n<body a=b>\r\n</html>\r\n");
        let r = decode_response(&body, Charset::Cp932).unwrap();
        assert_eq!(r.get("out_acs_html"), "<html>\r\n<body a=b>\r\n</html>");
        assert_eq!(r.get("payment_id"), "1");
    }

    #[test]
    fn a_line_without_equals_is_an_error() {
        assert_eq!(
            decode_response(b"result=0\r\ngarbage\r\n", Charset::Cp932),
            Err(DecodeError::Line(2))
        );
        assert_eq!(
            decode_response(&[0x82, 0xFF], Charset::Cp932),
            Err(DecodeError::Charset)
        );
    }

    #[test]
    fn the_stored_card_csv_is_split_into_records() {
        let body = cp932("\"1\",\"0\",\"\",\"\"\r\n\"2\",\"customer_id\",\"card_number\"\r\n\"3\",\"C_1\",\"************1111\"\r\n\"3\",\"C_1\",\"say \"\"hi\"\"\"\r\n\"4\",\"2\"\r\n");
        let records = decode_csv(&body).unwrap();
        assert_eq!(records.len(), 5);
        assert_eq!(records[0], ["1", "0", "", ""]);
        assert_eq!(records[3][2], "say \"hi\"");
        assert_eq!(records[4], ["4", "2"]);
        assert!(decode_csv(&cp932("\"1\",\"unterminated\r\n")).is_err());
    }

    proptest! {
        #[test]
        fn encoded_values_decode_back_through_the_form_parser(value in "[a-zA-Z0-9 ぁ-んァ-ヶ山田太郎花子東京都千代田区丸内髙﨑ー、。]{0,30}") {
            let body = encode_form(&[("v", &value)], Charset::Cp932).unwrap();
            // Percent-decoding the body and reading it as CP932 gives the value back.
            let pairs: Vec<(String, String)> = {
                let raw = String::from_utf8(body).unwrap();
                let v = raw.strip_prefix("v=").unwrap().replace('+', " ");
                let mut bytes = Vec::new();
                let mut it = v.bytes();
                while let Some(b) = it.next() {
                    if b == b'%' {
                        let hex = [it.next().unwrap(), it.next().unwrap()];
                        bytes.push(u8::from_str_radix(std::str::from_utf8(&hex).unwrap(), 16).unwrap());
                    } else {
                        bytes.push(b);
                    }
                }
                vec![("v".into(), SHIFT_JIS.decode(&bytes).0.into_owned())]
            };
            prop_assert_eq!(&pairs[0].1, &value);
        }

        #[test]
        fn decoding_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = decode_response(&bytes, Charset::Cp932);
            let _ = decode_csv(&bytes);
        }
    }
}
