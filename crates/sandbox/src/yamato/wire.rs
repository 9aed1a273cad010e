//! Kuroneko Web Collect's answers on the wire (spec §4) and its error codes (§7).
//!
//! Every API call is answered `200` with `Content-Type: text/xml; charset=UTF-8` and an
//! XML document whose root `<return>` holds flat elements: `returnCode` (`0` success,
//! `1` refused), then `errorCode` and, for a refusal of the card network,
//! `creditErrorCode`, or the function's result fields (some of them groups such as
//! `cardData` or `resultData` with flat children), and last `returnDate`
//! (`YYYYMMDDHHMMSS`, Japan time). Text is escaped (`& < > " '`), so an HTML page such as
//! `threeDAuthHtml` arrives as the element's text.
//!
//! Error codes are 10 characters: the function (`A08`, `E01`, … or `Z01` for the
//! system), a 3-digit group and a 4-digit detail (§7). Input errors are group `101` with
//! the detail made of the field's number in the function's field list and a check:
//! [`Check::Missing`] `01` (absent, or naming nothing the sandbox knows),
//! [`Check::Range`] `02` (too long, too large or out of range) and [`Check::Invalid`] `04`
//! (wrong characters or a value not allowed). This is the sandbox's reading of the known
//! codes (`A011010502` amount exceeded = field 05 `settle_price`, `A071010301` transaction
//! not found = field 03 `order_no`, `Y021010904` = token field 09 `cardNo`); the field
//! numbers of each function are listed in its module.

use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, FixedOffset, Utc};

/// Japan Standard Time.
pub fn japan() -> FixedOffset {
    FixedOffset::east_opt(9 * 3600).unwrap_or_else(|| FixedOffset::east_opt(0).expect("UTC"))
}

/// `YYYYMMDDHHMMSS` in Japan time, as the API writes times.
pub fn stamp(at: DateTime<Utc>) -> String {
    at.with_timezone(&japan())
        .format("%Y%m%d%H%M%S")
        .to_string()
}

/// `YYYYMMDD` in Japan time, as the API writes days.
pub fn day(at: DateTime<Utc>) -> String {
    at.with_timezone(&japan()).format("%Y%m%d").to_string()
}

/// `YYYY/MM/DD HH:MM:SS` in Japan time, as the pages show times.
pub fn shown(at: DateTime<Utc>) -> String {
    at.with_timezone(&japan())
        .format("%Y/%m/%d %H:%M:%S")
        .to_string()
}

/// What went wrong with a field, the last two digits of an input error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// `01`: absent or empty, or naming nothing known.
    Missing,
    /// `02`: too long, too large or out of range.
    Range,
    /// `04`: wrong characters or a value not allowed.
    Invalid,
}

impl Check {
    fn digits(self) -> u8 {
        match self {
            Check::Missing => 1,
            Check::Range => 2,
            Check::Invalid => 4,
        }
    }
}

/// A refusal: `returnCode` 1 with its `errorCode` (and `creditErrorCode`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// `errorCode`.
    pub code: String,
    /// `creditErrorCode`, for refusals of the card network.
    pub credit: Option<&'static str>,
}

impl Refusal {
    /// A refusal with `code`.
    pub fn new(code: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            credit: None,
        }
    }

    /// The input error of `function`'s field number `field`.
    pub fn field(function: &str, field: u8, check: Check) -> Self {
        Self::new(format!("{function}101{field:02}{:02}", check.digits()))
    }

    /// `Z010000001`: the trader code is missing or names no sandbox trader.
    pub fn unknown_trader() -> Self {
        Self::new("Z010000001")
    }

    /// `Z010000002`: `function_div` is missing or is not the path's function.
    pub fn wrong_function() -> Self {
        Self::new("Z010000002")
    }

    /// `Z010000003`: a Kuroneko Web Collect function the sandbox does not offer (as an
    /// uncontracted function would be refused).
    pub fn not_offered() -> Self {
        Self::new("Z010000003")
    }
}

/// One element of `<return>`.
#[derive(Debug, Clone)]
enum Element {
    Text(&'static str, String),
    Group(&'static str, Vec<(&'static str, String)>),
}

/// An answer being built: `returnCode`, then the elements in the order pushed, then
/// `returnDate`.
#[derive(Debug, Clone)]
pub struct Reply {
    elements: Vec<Element>,
}

impl Reply {
    /// `returnCode` 0.
    pub fn ok() -> Self {
        Self {
            elements: vec![Element::Text("returnCode", "0".into())],
        }
    }

    /// `returnCode` 1 with the refusal's codes.
    pub fn refused(refusal: &Refusal) -> Self {
        let mut elements = vec![
            Element::Text("returnCode", "1".into()),
            Element::Text("errorCode", refusal.code.clone()),
        ];
        if let Some(credit) = refusal.credit {
            elements.push(Element::Text("creditErrorCode", credit.into()));
        }
        Self { elements }
    }

    /// One more element with text.
    pub fn text(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.elements.push(Element::Text(name, value.into()));
        self
    }

    /// One more element holding `children`.
    pub fn group(mut self, name: &'static str, children: Vec<(&'static str, String)>) -> Self {
        self.elements.push(Element::Group(name, children));
        self
    }

    /// The XML document, dated `now`.
    pub fn xml(&self, now: DateTime<Utc>) -> String {
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<return>");
        let text = |out: &mut String, name: &str, value: &str| {
            out.push_str(&format!("<{name}>{}</{name}>", escape(value)));
        };
        for element in &self.elements {
            match element {
                Element::Text(name, value) => text(&mut out, name, value),
                Element::Group(name, children) => {
                    out.push_str(&format!("<{name}>"));
                    for (child, value) in children {
                        text(&mut out, child, value);
                    }
                    out.push_str(&format!("</{name}>"));
                }
            }
        }
        text(&mut out, "returnDate", &stamp(now));
        out.push_str("</return>\n");
        out
    }

    /// The HTTP answer, dated `now`.
    pub fn respond(&self, now: DateTime<Utc>) -> Response {
        ([(CONTENT_TYPE, "text/xml; charset=UTF-8")], self.xml(now)).into_response()
    }
}

/// XML text with `& < > " '` escaped.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-05-10T01:02:03Z".parse().unwrap()
    }

    #[test]
    fn a_refusal_carries_its_codes_and_the_date_in_japan_time() {
        let refusal = Refusal {
            code: "A082000010".into(),
            credit: Some("G12"),
        };

        assert_eq!(
            Reply::refused(&refusal).xml(now()),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<return><returnCode>1</returnCode>\
             <errorCode>A082000010</errorCode><creditErrorCode>G12</creditErrorCode>\
             <returnDate>20260510100203</returnDate></return>\n"
        );
    }

    #[test]
    fn groups_nest_and_text_is_escaped() {
        let reply = Reply::ok()
            .text("threeDAuthHtml", "<form action=\"a?b=1&c=2\">")
            .group("cardData", vec![("cardKey", "1".into())]);

        let xml = reply.xml(now());

        assert!(xml.contains(
            "<threeDAuthHtml>&lt;form action=&quot;a?b=1&amp;c=2&quot;&gt;</threeDAuthHtml>"
        ));
        assert!(xml.contains("<cardData><cardKey>1</cardKey></cardData>"));
    }

    #[test]
    fn input_errors_name_the_field_and_the_check() {
        assert_eq!(Refusal::field("A07", 3, Check::Missing).code, "A071010301");
        assert_eq!(Refusal::field("A08", 5, Check::Range).code, "A081010502");
        assert_eq!(Refusal::field("Y02", 9, Check::Invalid).code, "Y021010904");
    }
}
