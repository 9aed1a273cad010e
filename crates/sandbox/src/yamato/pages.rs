//! Kuroneko Web Collect's pages, rendered from the templates under `templates/yamato/`
//! (see [`crate::pages`]), all UTF-8: `threeDAuthHtml`, the ACS page and its post back, the
//! tracking page, the back office and the B2 stand-in.

use std::sync::OnceLock;

use axum::http::StatusCode;
use axum::response::Response;
use minijinja::Value;

use crate::pages::{templates, Pages};

const TEMPLATES: &[(&str, &str)] = templates![
    "yamato/layout.html",
    "yamato/acs_forward.html",
    "yamato/acs.html",
    "yamato/post_back.html",
    "yamato/message.html",
    "yamato/tracking.html",
    "yamato/backoffice.html",
    "yamato/b2.html",
];

fn pages() -> &'static Pages {
    static PAGES: OnceLock<Pages> = OnceLock::new();
    PAGES.get_or_init(|| Pages::new("yamato", TEMPLATES).escaping_markup_only())
}

/// Render `name` as a UTF-8 page.
pub fn page(status: StatusCode, name: &str, context: Value) -> Response {
    pages().html(status, name, context)
}

/// Render `name` to a string.
pub fn render(name: &str, context: Value) -> Result<String, minijinja::Error> {
    pages().render(name, context)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_compiles() {
        pages();
    }
}
