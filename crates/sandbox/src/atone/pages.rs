//! atone's pages, rendered from the templates under `templates/atone/` (see
//! [`crate::pages`]): the widget page inside the overlay and the back office, both UTF-8.

use std::sync::OnceLock;

use axum::http::StatusCode;
use axum::response::Response;
use minijinja::Value;

use crate::pages::{templates, Pages};

const TEMPLATES: &[(&str, &str)] = templates![
    "atone/layout.html",
    "atone/widget.html",
    "atone/backoffice.html",
];

fn pages() -> &'static Pages {
    static PAGES: OnceLock<Pages> = OnceLock::new();
    PAGES.get_or_init(|| Pages::new("atone", TEMPLATES).escaping_markup_only())
}

/// Render `name` as a UTF-8 page.
pub fn page(status: StatusCode, name: &str, context: Value) -> Response {
    pages().html(status, name, context)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_compiles() {
        pages();
    }
}
