//! Remise's pages, rendered from the templates under `templates/remise/` (see
//! [`crate::pages`]). Buyer-facing pages and the extset answer are Shift_JIS, as Remise's
//! are; the back office is UTF-8. HTML escaping covers `& < > " '` only, so a URL in a
//! hidden input reads back as sent.
//!
//! [`post_back`] is the page every browser return goes through: a form
//! `method="post" action=<shop URL> accept-charset="Shift_JIS"` whose hidden inputs carry
//! the fields, submitted by script on load, with a visible 「ショップへ戻る」 button. A
//! refused request shows the error page, whose form takes the fields back to the
//! request's [`Returns::ng_url`].

use std::sync::OnceLock;

use axum::http::StatusCode;
use axum::response::Response;
use encoding_rs::SHIFT_JIS;
use minijinja::{context, Value};

use super::check::{self, Refusal};
use super::wire::Fields;
use crate::form::Form;
use crate::pages::{templates, Pages};

const TEMPLATES: &[(&str, &str)] = templates![
    "remise/layout.html",
    "remise/card.html",
    "remise/multi.html",
    "remise/post_back.html",
    "remise/error.html",
    "remise/guide.html",
    "remise/extset.html",
    "remise/backoffice.html",
];

fn pages() -> &'static Pages {
    static PAGES: OnceLock<Pages> = OnceLock::new();
    PAGES.get_or_init(|| Pages::new("remise", TEMPLATES).escaping_markup_only())
}

/// A buyer page in Shift_JIS.
pub fn buyer(name: &str, context: Value) -> Response {
    pages().html_in(StatusCode::OK, name, context, SHIFT_JIS)
}

/// A UTF-8 page (the back office).
pub fn utf8(status: StatusCode, name: &str, context: Value) -> Response {
    pages().html(status, name, context)
}

/// The auto-submitting return of `fields` to the shop's `action` URL.
pub fn post_back(action: &str, fields: &Fields, heading: &str) -> Response {
    buyer(
        "remise/post_back.html",
        context! { action, fields, heading, charset => "Shift_JIS" },
    )
}

/// Where a request sends the buyer back to the shop (`RETURL`, `NG_RETURL`, `EXITURL`),
/// and the `OPT` that goes back with every return.
#[derive(Debug, Clone)]
pub struct Returns {
    /// `RETURL`.
    pub url: String,
    /// `NG_RETURL`.
    pub ng_url: String,
    /// `EXITURL`.
    pub exit_url: Option<String>,
    /// `OPT`, echoed.
    pub opt: String,
}

impl Returns {
    /// Check `RETURL`, `NG_RETURL`, `EXITURL` and `OPT` of `form`, in this order.
    pub fn parse(form: &Form) -> Result<Self, Refusal> {
        Ok(Self {
            url: check::url(form, "RETURL", true)?.unwrap_or_default(),
            ng_url: check::url(form, "NG_RETURL", true)?.unwrap_or_default(),
            exit_url: check::url(form, "EXITURL", false)?,
            opt: check::opt(form)?,
        })
    }

    /// The error page for a request refused after its page was shown: `fields`, with the
    /// request's `OPT`, go back to its `NG_RETURL`.
    pub fn refused(&self, refusal: &Refusal, mut fields: Fields) -> Response {
        fields.set("OPT", &self.opt);
        refused(
            refusal,
            Some(&self.ng_url),
            &fields,
            self.exit_url.as_deref(),
        )
    }
}

/// Remise's error page for a refused request `form`: `fields` go back to its `NG_RETURL`
/// and the link to its `EXITURL`, each when it is a URL.
pub fn refused_request(form: &Form, refusal: &Refusal, fields: &Fields) -> Response {
    let ng_url = check::url(form, "NG_RETURL", true).ok().flatten();
    let exit_url = check::url(form, "EXITURL", false).ok().flatten();
    refused(refusal, ng_url.as_deref(), fields, exit_url.as_deref())
}

/// Remise's error page for a refused request: the message and code, a form that takes
/// `fields` back to `ng_url` when there is one (not submitted by itself, so the buyer
/// reads why), and a link to `exit_url`.
fn refused(
    refusal: &Refusal,
    ng_url: Option<&str>,
    fields: &Fields,
    exit_url: Option<&str>,
) -> Response {
    buyer(
        "remise/error.html",
        context! {
            code => refusal.code,
            message => refusal.message(),
            ng_url,
            fields,
            exit_url,
            charset => "Shift_JIS",
        },
    )
}

/// A page that no longer takes an answer (used, expired or unknown key).
pub fn gone(exit_url: Option<&str>) -> Response {
    let refusal = Refusal::code("9:0000");
    buyer(
        "remise/error.html",
        context! {
            code => refusal.code,
            message => "このページの有効期限が切れたか、既に処理が済んでいます。ショップからやり直してください。",
            ng_url => Value::from(()),
            fields => Fields::default(),
            exit_url,
            charset => "Shift_JIS",
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_compiles() {
        pages();
    }

    #[test]
    fn the_return_form_escapes_only_html_characters() {
        let mut fields = Fields::default();
        fields.push("X-PAY_NO2", "https://h/p?a=1&b=2");
        fields.push("OPT", "<\"'>");

        let text = pages()
            .render(
                "remise/post_back.html",
                context! { action => "https://shop/r?x=1", fields, heading => "", charset => "Shift_JIS" },
            )
            .unwrap();

        assert!(text.contains(
            r#"<form method="post" action="https://shop/r?x=1" accept-charset="Shift_JIS">"#
        ));
        assert!(text
            .contains(r#"<input type="hidden" name="X-PAY_NO2" value="https://h/p?a=1&amp;b=2">"#));
        assert!(text.contains(r#"<input type="hidden" name="OPT" value="&lt;&quot;&#39;&gt;">"#));
    }
}
