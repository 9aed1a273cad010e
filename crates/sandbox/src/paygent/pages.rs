//! The sandbox's HTML pages (merchant admin, 3-D Secure, link-type payment pages, bank
//! net ASP pages, the test tool): the
//! templates under `templates/paygent/` are compiled in and rendered by minijinja in strict
//! mode, so a missing variable is an error rather than a blank on the page.

use std::sync::OnceLock;

use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use encoding_rs::{Encoding, UTF_8};
use minijinja::{Environment, UndefinedBehavior, Value};

macro_rules! templates {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../templates/", $name)))),*]
    };
}

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

fn environment() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .unwrap_or_else(|e| panic!("template {name} does not compile: {e}"));
        }
        env
    })
}

/// Render `name` with `context` to a string.
pub fn render(name: &str, context: Value) -> Result<String, minijinja::Error> {
    environment().get_template(name)?.render(context)
}

/// Render `name` as an HTML response in `encoding` (the link type answers Shift_JIS to a
/// Shift_JIS request); a template error is logged and answered with 500.
pub fn html_in(
    status: StatusCode,
    name: &str,
    context: Value,
    encoding: &'static Encoding,
) -> Response {
    match render(name, context) {
        Ok(text) => {
            let (bytes, _, _) = encoding.encode(&text);
            let content_type = format!("text/html; charset={}", encoding.name());
            (status, [(CONTENT_TYPE, content_type)], bytes.into_owned()).into_response()
        }
        Err(error) => {
            tracing::error!(template = name, %error, "paygent sandbox page failed to render");
            (StatusCode::INTERNAL_SERVER_ERROR, "page error").into_response()
        }
    }
}

/// Render `name` as a UTF-8 HTML response.
pub fn html(status: StatusCode, name: &str, context: Value) -> Response {
    html_in(status, name, context, UTF_8)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_template_compiles() {
        for (name, _) in super::TEMPLATES {
            super::environment().get_template(name).unwrap();
        }
    }
}
