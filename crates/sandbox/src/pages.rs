//! The sandbox's HTML pages: each simulator's templates under `templates/<provider>/`,
//! compiled in and rendered by minijinja in strict mode (a missing variable is an error,
//! not a blank on the page), all laid out by the shared `templates/layout.html`, which a
//! provider's own `layout.html` extends with its name, header and colours. Also what pages
//! need from the request and show alike: the address a browser reached the sandbox at and
//! amounts in yen.

use axum::http::header::{CONTENT_TYPE, HOST};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use encoding_rs::{Encoding, UTF_8};
use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value};

/// `(name, source)` of templates under `crates/sandbox/templates/`, compiled in.
macro_rules! templates {
    ($($name:literal),* $(,)?) => {
        &[$((
            $name,
            include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/templates/", $name)),
        )),*]
    };
}
pub(crate) use templates;

/// The layout every provider's `layout.html` extends.
const LAYOUT: (&str, &str) = ("layout.html", include_str!("../templates/layout.html"));

/// One simulator's compiled templates.
pub struct Pages {
    env: Environment<'static>,
    /// The simulator, for the logs.
    simulator: &'static str,
}

impl Pages {
    /// `templates` of `simulator` and the shared layout, escaped the way minijinja escapes
    /// HTML (which also writes `/` as `&#x2f;`). A template that does not compile is a bug
    /// of the build and panics.
    pub fn new(simulator: &'static str, templates: &[(&'static str, &'static str)]) -> Self {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        for (name, source) in std::iter::once(&LAYOUT).chain(templates) {
            env.add_template(name, source)
                .unwrap_or_else(|e| panic!("template {name} does not compile: {e}"));
        }
        Self { env, simulator }
    }

    /// The same pages escaping only `& < > " '`, so that a URL in a hidden input reads
    /// back exactly as sent.
    pub fn escaping_markup_only(mut self) -> Self {
        self.env
            .set_formatter(|out, state, value| match value.as_str() {
                Some(text) if state.auto_escape() == AutoEscape::Html && !value.is_safe() => {
                    out.write_str(&escape(text))?;
                    Ok(())
                }
                _ => minijinja::escape_formatter(out, state, value),
            });
        self
    }

    /// Render `name` with `context` to a string.
    pub fn render(&self, name: &str, context: Value) -> Result<String, minijinja::Error> {
        self.env.get_template(name)?.render(context)
    }

    /// Render `name` as an HTML response in `encoding`; a template error is logged and
    /// answered with 500.
    pub fn html_in(
        &self,
        status: StatusCode,
        name: &str,
        context: Value,
        encoding: &'static Encoding,
    ) -> Response {
        match self.render(name, context) {
            Ok(text) => {
                let (bytes, _, _) = encoding.encode(&text);
                let content_type = format!("text/html; charset={}", encoding.name());
                (status, [(CONTENT_TYPE, content_type)], bytes.into_owned()).into_response()
            }
            Err(error) => {
                tracing::error!(simulator = self.simulator, template = name, %error, "sandbox page failed to render");
                (StatusCode::INTERNAL_SERVER_ERROR, "page error").into_response()
            }
        }
    }

    /// Render `name` as a UTF-8 HTML response.
    pub fn html(&self, status: StatusCode, name: &str, context: Value) -> Response {
        self.html_in(status, name, context, UTF_8)
    }
}

/// `& < > " '` escaped, nothing else.
fn escape(text: &str) -> String {
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

/// Where a browser reaches a simulator (e.g. `http://host/sandbox/remise`), from the
/// request's `Host` header and the path the routes are mounted at: `own_path` is the
/// handler's path below the mount point. Without a `Host` header only the path is known.
pub fn base_url(headers: &HeaderMap, original: &Uri, own_path: &str) -> String {
    let prefix = original
        .path()
        .strip_suffix(own_path)
        .unwrap_or_default()
        .to_owned();
    let host = headers.get(HOST).and_then(|h| h.to_str().ok());
    let scheme = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .filter(|p| matches!(*p, "http" | "https"))
        .unwrap_or("http");
    match host {
        Some(host) => format!("{scheme}://{host}{prefix}"),
        None => prefix,
    }
}

/// An amount of yen as pages show it: `1234567` → `1,234,567`.
pub fn group_thousands(yen: u64) -> String {
    let digits = yen.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use minijinja::context;

    use super::*;

    #[test]
    fn amounts_group_thousands() {
        assert_eq!(group_thousands(0), "0");
        assert_eq!(group_thousands(999), "999");
        assert_eq!(group_thousands(1000), "1,000");
        assert_eq!(group_thousands(314_010), "314,010");
        assert_eq!(group_thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn the_base_url_is_the_mount_point_on_the_host_the_browser_used() {
        let mut headers = HeaderMap::new();
        let original: Uri = "/sandbox/remise/rpgw2/pc/cvs/pay".parse().unwrap();

        assert_eq!(
            base_url(&headers, &original, "/rpgw2/pc/cvs/pay"),
            "/sandbox/remise"
        );
        headers.insert(HOST, "shop.example:8080".parse().unwrap());
        headers.insert("x-forwarded-proto", "https".parse().unwrap());
        assert_eq!(
            base_url(&headers, &original, "/rpgw2/pc/cvs/pay"),
            "https://shop.example:8080/sandbox/remise"
        );
    }

    #[test]
    fn escaping_markup_only_leaves_slashes_alone() {
        const PAGE: &[(&str, &str)] = &[("page.html", "{{ url }}")];
        let url = "https://h/p?a=1&b='2'";

        let usual = Pages::new("test", PAGE).render("page.html", context! { url });
        let markup_only = Pages::new("test", PAGE)
            .escaping_markup_only()
            .render("page.html", context! { url });

        assert_eq!(
            usual.unwrap(),
            "https:&#x2f;&#x2f;h&#x2f;p?a=1&amp;b=&#x27;2&#x27;"
        );
        assert_eq!(markup_only.unwrap(), "https://h/p?a=1&amp;b=&#39;2&#39;");
    }
}
