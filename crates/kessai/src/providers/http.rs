//! What the connectors that call a provider over plain HTTPS share: one client setup (a
//! timeout, no redirects followed) and the form post whose transport failures mean the
//! outcome is unknown. (Paygent's module type builds its own client: it needs a client
//! certificate.)

use std::time::Duration;

use super::interface::ProviderError;

/// A client that gives up after `timeout` and never follows a redirect (a provider that
/// redirects an API call is answering something else).
pub fn client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("the HTTP client builds")
}

/// Posts a form body to `url` and answers the body of a 2xx answer. No answer, another
/// status or an unreadable body is [`ProviderError::Unknown`] (`provider` names who
/// answered, for the message).
pub async fn post_form(
    http: &reqwest::Client,
    url: &str,
    content_type: &str,
    body: Vec<u8>,
    provider: &str,
) -> Result<Vec<u8>, ProviderError> {
    let response = http
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, content_type)
        .body(body)
        .send()
        .await
        .map_err(|e| ProviderError::Unknown(e.to_string()))?;
    if !response.status().is_success() {
        return Err(ProviderError::Unknown(format!(
            "{provider}がHTTP {}を返しました",
            response.status()
        )));
    }
    response
        .bytes()
        .await
        .map(|b| b.to_vec())
        .map_err(|e| ProviderError::Unknown(e.to_string()))
}

/// Lower-case hex SHA-256 of the concatenated parts (Paygent's hashes, Web Collect's
/// check sums, the fingerprint of a malformed notification).
pub fn sha256_hex(parts: &[&str]) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
    }
    hex::encode(hasher.finalize())
}
