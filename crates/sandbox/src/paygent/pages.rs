//! Paygent's HTML pages (merchant admin, 3-D Secure, link-type payment pages, bank net ASP
//! pages, the test tool), rendered from the templates under `templates/paygent/` (see
//! [`crate::pages`]).

use std::sync::OnceLock;

use axum::http::StatusCode;
use axum::response::Response;
use encoding_rs::Encoding;
use minijinja::Value;

use crate::pages::{templates, Pages};

const TEMPLATES: &[(&str, &str)] = templates![
    "paygent/layout.html",
    "paygent/merchant.html",
    "paygent/message.html",
    "paygent/acs_forward.html",
    "paygent/challenge.html",
    "paygent/link_summary.html",
    "paygent/link_top.html",
    "paygent/link_done.html",
    "paygent/link_expired.html",
    "paygent/link_error.html",
    "paygent/testtool.html",
    "paygent/bank_summary.html",
    "paygent/bank_asp.html",
    "paygent/bank_paying.html",
];

fn pages() -> &'static Pages {
    static PAGES: OnceLock<Pages> = OnceLock::new();
    PAGES.get_or_init(|| Pages::new("paygent", TEMPLATES))
}

/// Render `name` with `context` to a string.
pub fn render(name: &str, context: Value) -> Result<String, minijinja::Error> {
    pages().render(name, context)
}

/// Render `name` as an HTML response in `encoding` (the link type answers Shift_JIS to a
/// Shift_JIS request).
pub fn html_in(
    status: StatusCode,
    name: &str,
    context: Value,
    encoding: &'static Encoding,
) -> Response {
    pages().html_in(status, name, context, encoding)
}

/// Render `name` as a UTF-8 HTML response.
pub fn html(status: StatusCode, name: &str, context: Value) -> Response {
    pages().html(status, name, context)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_template_compiles() {
        super::pages();
    }
}
