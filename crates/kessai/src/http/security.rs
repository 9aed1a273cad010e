//! The security headers of every response. [`layer`] runs around the whole router: before a
//! request it makes the request's script nonce ([`CspNonce`]), after it it sets
//!
//! * `X-Content-Type-Options: nosniff` on everything, the sandboxes included, and
//!   `Strict-Transport-Security` when the public URL is https;
//! * outside the sandboxes: the `Content-Security-Policy` ([`Csp`]: strict unless the
//!   handler attached a wider one to its response), `X-Frame-Options: DENY`, a
//!   `Referrer-Policy`, and `Cache-Control: no-store` unless the handler chose its own.
//!
//! The strict policy runs only scripts carrying the nonce, loads everything else from
//! kessai itself, posts forms only to kessai and lets no site frame a page. A provider's
//! pages widen it by that provider's origins only ([`Csp::provider`]); HTML kessai shows as
//! it is (a provider's 3-D Secure page, the operator's conversion tag) gets
//! [`Csp::foreign`]. The sandboxes under `/sandbox/` stand in for third parties whose pages
//! the shop frames and which run inline scripts, so they keep their own ways.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, REFERRER_POLICY, STRICT_TRANSPORT_SECURITY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

use super::SharedState;
use crate::providers::BrowserOrigins;
use crate::secrets::random_token;

/// How long browsers keep to https once told (a year).
const HSTS: &str = "max-age=31536000";

/// The random value of one response that marks kessai's own `<script>` tags as allowed
/// (`nonce="…"` in the page, `'nonce-…'` in its policy).
#[derive(Clone, Debug, Default)]
pub struct CspNonce(String);

impl CspNonce {
    fn new() -> CspNonce {
        CspNonce(random_token(18))
    }

    /// The nonce of the request with these extensions (every request gets one in [`layer`]).
    pub fn of(extensions: &Extensions) -> CspNonce {
        extensions.get::<CspNonce>().cloned().unwrap_or_default()
    }

    /// The value for the `nonce` attribute.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<S: Send + Sync> FromRequestParts<S> for CspNonce {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(CspNonce::of(&parts.extensions))
    }
}

/// A page's Content-Security-Policy, attached to its response by the handler ([`Csp::on`]);
/// a response without one gets [`Csp::default`], the strict policy.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Csp {
    /// Origins the page's scripts come from, with what those call, frame, style and show.
    scripts: Vec<String>,
    /// Origins its forms may post to (or be redirected to from a post) besides kessai.
    forms: Vec<String>,
    /// HTML kessai did not write: inline scripts run and anything over https may load.
    foreign: bool,
}

impl Csp {
    /// A provider's page: the strict policy plus the provider's origins.
    pub fn provider(origins: &BrowserOrigins) -> Csp {
        Csp {
            scripts: origins.scripts.clone(),
            forms: origins.pages.clone(),
            foreign: false,
        }
    }

    /// HTML shown as it is, written by someone else (a provider's 3-D Secure page, which
    /// posts to the card issuer's ACS, unknown in advance; the operator's conversion tag):
    /// its inline scripts run and it may load from and post to any https origin and the
    /// provider's. It still cannot be framed.
    pub fn foreign(origins: &BrowserOrigins) -> Csp {
        Csp {
            foreign: true,
            ..Csp::provider(origins)
        }
    }

    /// Also lets forms post to the origin of `url` (a form that hands the buyer over).
    pub fn posting_to(mut self, url: &str) -> Csp {
        if let Some(origin) = BrowserOrigins::origin(url) {
            if !self.forms.contains(&origin) {
                self.forms.push(origin);
            }
        }
        self
    }

    /// Attaches the policy to a page's response.
    pub fn on(self, mut response: Response) -> Response {
        response.extensions_mut().insert(self);
        response
    }

    /// The header value, with the response's nonce. `site` is the origin of kessai's public
    /// URL, where its own forms post: a browser may have reached the page at another
    /// address of the same server, which `'self'` would not cover.
    pub fn header(&self, nonce: &CspNonce, site: Option<&str>) -> String {
        // `base` followed by the origins of `lists`, each once.
        let sources = |base: &str, lists: &[&[String]]| {
            let mut out = vec![base];
            for origin in lists.iter().flat_map(|l| l.iter()) {
                if !out.contains(&origin.as_str()) {
                    out.push(origin);
                }
            }
            out.join(" ")
        };
        let site: Vec<String> = site.map(str::to_owned).into_iter().collect();
        let scripts = &self.scripts[..];
        if self.foreign {
            return [
                format!("default-src {}", sources("'self' https: data:", &[scripts])),
                format!(
                    "script-src {}",
                    sources("'self' 'unsafe-inline' https:", &[scripts])
                ),
                format!(
                    "style-src {}",
                    sources("'self' 'unsafe-inline' https:", &[scripts])
                ),
                "object-src 'none'".to_owned(),
                // A provider's sandbox over plain http serves its ACS next to its script.
                format!(
                    "form-action {}",
                    sources("'self' https:", &[&site, scripts, &self.forms])
                ),
                "frame-ancestors 'none'".to_owned(),
                "base-uri 'self'".to_owned(),
            ]
            .join("; ");
        }
        let mut directives = vec![
            "default-src 'none'".to_owned(),
            format!(
                "script-src {}",
                sources(&format!("'nonce-{}'", nonce.as_str()), &[scripts])
            ),
            // Styles are the layouts' own <style> and a few style attributes; providers'
            // widgets style what they show too.
            format!(
                "style-src {}",
                sources("'self' 'unsafe-inline'", &[scripts])
            ),
            format!("img-src {}", sources("'self' data:", &[scripts])),
            format!("font-src {}", sources("'self'", &[scripts])),
            format!("connect-src {}", sources("'self'", &[scripts])),
        ];
        if !scripts.is_empty() {
            directives.push(format!("frame-src {}", scripts.join(" ")));
        }
        directives.extend([
            format!("form-action {}", sources("'self'", &[&site, &self.forms])),
            "frame-ancestors 'none'".to_owned(),
            "base-uri 'none'".to_owned(),
        ]);
        directives.join("; ")
    }
}

/// Sets the security headers of every response (see the module documentation).
pub async fn layer(State(state): State<SharedState>, mut request: Request, next: Next) -> Response {
    let nonce = CspNonce::new();
    request.extensions_mut().insert(nonce.clone());
    let path = request.uri().path();
    let sandbox = path == "/sandbox" || path.starts_with("/sandbox/");
    let admin = path == "/admin" || path.starts_with("/admin/");
    let mut response = next.run(request).await;
    let csp = response
        .extensions()
        .get::<Csp>()
        .cloned()
        .unwrap_or_default();
    let site = BrowserOrigins::origin(&state.config.public_url);
    let headers = response.headers_mut();
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if state.config.public_url.starts_with("https://") {
        headers.insert(STRICT_TRANSPORT_SECURITY, HeaderValue::from_static(HSTS));
    }
    if sandbox {
        return response;
    }
    match HeaderValue::from_str(&csp.header(&nonce, site.as_deref())) {
        Ok(value) => {
            headers.insert(CONTENT_SECURITY_POLICY, value);
        }
        Err(_) => {
            // An origin comes from a URL parsed by `url`, so this cannot happen; the
            // strict policy stands in rather than none.
            tracing::error!(?csp, "a page's security policy is not a header value");
            let strict = Csp::default().header(&nonce, None);
            headers.insert(
                CONTENT_SECURITY_POLICY,
                HeaderValue::from_str(&strict).expect("the strict policy is ASCII"),
            );
        }
    }
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // The admin's addresses say nothing to other sites; elsewhere a provider may check
    // that the buyer comes from the shop, so it sees the origin (never a link key).
    let referrer = if admin {
        "same-origin"
    } else {
        "strict-origin-when-cross-origin"
    };
    headers.insert(REFERRER_POLICY, HeaderValue::from_static(referrer));
    if !headers.contains_key(CACHE_CONTROL) {
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nonce() -> CspNonce {
        CspNonce("abc".to_owned())
    }

    #[test]
    fn the_strict_policy_runs_only_nonced_scripts_and_lets_nothing_frame_the_page() {
        assert_eq!(
            Csp::default().header(&nonce(), None),
            "default-src 'none'; script-src 'nonce-abc'; style-src 'self' 'unsafe-inline'; \
             img-src 'self' data:; font-src 'self'; connect-src 'self'; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'"
        );
    }

    #[test]
    fn a_providers_page_allows_its_origins_only() {
        let origins = BrowserOrigins {
            scripts: vec!["https://token.example.jp".into()],
            pages: vec!["https://link.example.jp".into()],
        };

        let header = Csp::provider(&origins)
            .posting_to("https://pay.example.jp/start?x=1")
            .header(&nonce(), Some("https://shop.example.jp"));

        assert!(header.contains("script-src 'nonce-abc' https://token.example.jp;"));
        assert!(header.contains("connect-src 'self' https://token.example.jp;"));
        assert!(header.contains("frame-src https://token.example.jp;"));
        assert!(
            header.contains("form-action 'self' https://shop.example.jp https://link.example.jp https://pay.example.jp;")
        );
        assert!(header.contains("frame-ancestors 'none'"));
    }

    #[test]
    fn foreign_html_runs_its_inline_scripts_without_a_nonce_but_cannot_be_framed() {
        let header = Csp::foreign(&BrowserOrigins::default()).header(&nonce(), None);

        assert!(header.contains("script-src 'self' 'unsafe-inline' https:;"));
        assert!(header.contains("form-action 'self' https:;"));
        assert!(header.contains("frame-ancestors 'none'"));
        assert!(
            !header.contains("nonce"),
            "a nonce would disable 'unsafe-inline'"
        );
    }

    #[test]
    fn a_form_target_that_is_not_a_url_adds_nothing() {
        assert_eq!(
            Csp::default().posting_to("javascript:alert(1)"),
            Csp::default()
        );
    }
}
