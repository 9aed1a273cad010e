//! What the sandbox posts to a shop, server to server (Paygent's pushes, Remise's RET and
//! 収納情報通知): a form-urlencoded body, redirects not followed, an answer awaited for at
//! most [`ANSWER_TIMEOUT_SECONDS`]. Only the answer's body says whether the shop
//! acknowledged the post, each protocol by its own rule; the HTTP status is only logged.

use std::time::Duration;

/// How long the sandbox waits for the shop's answer.
pub const ANSWER_TIMEOUT_SECONDS: u64 = 10;
/// How many characters of an answer are kept for the logs and pages.
const SHOWN_CHARACTERS: usize = 100;

/// The HTTP client posts go out with, sending `user_agent` when given (else none).
pub fn client(user_agent: Option<&str>) -> reqwest::Client {
    let builder = reqwest::Client::builder()
        .timeout(Duration::from_secs(ANSWER_TIMEOUT_SECONDS))
        .redirect(reqwest::redirect::Policy::none());
    let builder = match user_agent {
        Some(user_agent) => builder.user_agent(user_agent),
        None => builder,
    };
    builder.build().unwrap_or_else(|_| reqwest::Client::new())
}

/// What one post came to.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The shop acknowledged the post.
    pub acknowledged: bool,
    /// What it answered (the status and the body read as Shift_JIS, shortened), or why
    /// there was no answer.
    pub text: String,
}

/// Post the form `body` to `url`; `acknowledges` judges the body of the answer.
pub async fn post(
    client: &reqwest::Client,
    url: &str,
    body: Vec<u8>,
    acknowledges: fn(&[u8]) -> bool,
) -> Answer {
    let sent = client
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await;
    let response = match sent {
        Ok(response) => response,
        Err(error) => {
            return Answer {
                acknowledged: false,
                text: format!("応答なし: {error}"),
            }
        }
    };
    let status = response.status().as_u16();
    match response.bytes().await {
        Ok(body) => {
            let (shown, _, _) = encoding_rs::SHIFT_JIS.decode(&body);
            let shown: String = shown.trim().chars().take(SHOWN_CHARACTERS).collect();
            Answer {
                acknowledged: acknowledges(&body),
                text: format!("HTTP {status}: {shown}"),
            }
        }
        Err(error) => Answer {
            acknowledged: false,
            text: format!("HTTP {status}: 本文を読めません: {error}"),
        },
    }
}
