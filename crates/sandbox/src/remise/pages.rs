//! The sandbox's HTML: templates under `remise/templates/`, compiled in and rendered by
//! minijinja in strict mode. Buyer-facing pages and the extset answer are Shift_JIS, as
//! Remise's are; the back office is UTF-8. HTML escaping covers `& < > " '` only, so a URL
//! in a hidden input reads back as sent.
//!
//! [`post_back`] is the page every browser return goes through: a form
//! `method="post" action=<shop URL> accept-charset="Shift_JIS"` whose hidden inputs carry
//! the fields, submitted by script on load, with a visible 「ショップへ戻る」 button.

use std::sync::OnceLock;

use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use encoding_rs::{Encoding, SHIFT_JIS, UTF_8};
use minijinja::{context, AutoEscape, Environment, UndefinedBehavior, Value};

use super::check::Refusal;
use super::wire::Fields;

macro_rules! templates {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("templates/", $name)))),*]
    };
}

const TEMPLATES: &[(&str, &str)] = templates![
    "layout.html",
    "card.html",
    "multi.html",
    "post_back.html",
    "error.html",
    "guide.html",
    "extset.html",
    "backoffice.html",
];

/// `& < > " '` escaped, nothing else.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn environment() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_formatter(|out, state, value| match value.as_str() {
            Some(text) if state.auto_escape() == AutoEscape::Html && !value.is_safe() => {
                out.write_str(&escape(text))?;
                Ok(())
            }
            _ => minijinja::escape_formatter(out, state, value),
        });
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .unwrap_or_else(|e| panic!("template {name} does not compile: {e}"));
        }
        env
    })
}

/// Render `name` as an HTML response in `encoding`; a template error is logged and
/// answered with 500.
pub fn html_in(
    status: StatusCode,
    name: &str,
    context: Value,
    encoding: &'static Encoding,
) -> Response {
    match environment()
        .get_template(name)
        .and_then(|t| t.render(context))
    {
        Ok(text) => {
            let (bytes, _, _) = encoding.encode(&text);
            let content_type = format!("text/html; charset={}", encoding.name());
            (status, [(CONTENT_TYPE, content_type)], bytes.into_owned()).into_response()
        }
        Err(error) => {
            tracing::error!(template = name, %error, "remise sandbox page failed to render");
            (StatusCode::INTERNAL_SERVER_ERROR, "page error").into_response()
        }
    }
}

/// A buyer page in Shift_JIS.
pub fn buyer(name: &str, context: Value) -> Response {
    html_in(StatusCode::OK, name, context, SHIFT_JIS)
}

/// A UTF-8 page (the back office).
pub fn utf8(status: StatusCode, name: &str, context: Value) -> Response {
    html_in(status, name, context, UTF_8)
}

/// The auto-submitting return of `fields` to the shop's `action` URL.
pub fn post_back(action: &str, fields: &Fields, heading: &str) -> Response {
    buyer(
        "post_back.html",
        context! { action, fields, heading, charset => "Shift_JIS" },
    )
}

/// Remise's error page for a refused request: the message and code, a form that takes
/// `fields` back to `ng_url` when there is one (not submitted by itself, so the buyer
/// reads why), and a link to `exit_url`.
pub fn refused(
    refusal: &Refusal,
    ng_url: Option<&str>,
    fields: &Fields,
    exit_url: Option<&str>,
) -> Response {
    buyer(
        "error.html",
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
        "error.html",
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
        for (name, _) in TEMPLATES {
            environment().get_template(name).unwrap();
        }
    }

    #[test]
    fn the_return_form_escapes_only_html_characters() {
        let mut fields = Fields::default();
        fields.push("X-PAY_NO2", "https://h/p?a=1&b=2");
        fields.push("OPT", "<\"'>");

        let text = environment()
            .get_template("post_back.html")
            .unwrap()
            .render(context! { action => "https://shop/r?x=1", fields, heading => "", charset => "Shift_JIS" })
            .unwrap();

        assert!(text.contains(
            r#"<form method="post" action="https://shop/r?x=1" accept-charset="Shift_JIS">"#
        ));
        assert!(text
            .contains(r#"<input type="hidden" name="X-PAY_NO2" value="https://h/p?a=1&amp;b=2">"#));
        assert!(text.contains(r#"<input type="hidden" name="OPT" value="&lt;&quot;&#39;&gt;">"#));
    }
}
