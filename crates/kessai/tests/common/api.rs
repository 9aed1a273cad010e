//! A client of the JSON API with one key, as a headless shop uses it. Each test file adds
//! the calls it needs on top of [`Api::request`].

use serde_json::Value;

use super::TestApp;

/// A client of the API with one key.
pub struct Api<'a> {
    pub app: &'a TestApp,
    pub key: String,
}

impl<'a> Api<'a> {
    /// A key named `name`, created directly through the key functions (the admin test
    /// creates one through the screen).
    pub async fn new(app: &'a TestApp, name: &str) -> Api<'a> {
        let created =
            kessai::http::api::keys::create(&app.state.store, name, "test", app.state.clock.now())
                .await
                .unwrap()
                .unwrap();
        Api {
            app,
            key: created.key.expose().to_owned(),
        }
    }

    /// A request to `path` carrying the key.
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.app
            .client
            .request(method, self.app.url(path))
            .bearer_auth(&self.key)
    }
}

/// A response read as JSON: status, body, and whether it was an idempotent replay.
pub async fn json_answer(r: reqwest::Response) -> (u16, Value, bool) {
    let status = r.status().as_u16();
    let replayed = r
        .headers()
        .get("idempotent-replayed")
        .is_some_and(|v| v == "true");
    let text = r.text().await.unwrap();
    let body = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("not JSON ({e}), status {status}: {text}"));
    (status, body, replayed)
}

/// The demo buyer as a checkout's `customer`, with `email`.
pub fn customer(email: &str) -> Value {
    serde_json::json!({
        "email": email,
        "family_name": "山田",
        "given_name": "太郎",
        "family_kana": "ヤマダ",
        "given_kana": "タロウ",
        "postal_code": "100-0001",
        "prefecture": "東京都",
        "address1": "千代田区千代田1-1",
        "phone": "03-1234-5678"
    })
}

impl Api<'_> {
    /// Posts `body` as JSON with a fresh Idempotency-Key: status and body.
    pub async fn send_json(&self, path: &str, body: &Value) -> (u16, Value) {
        let r = self
            .request(reqwest::Method::POST, path)
            .header("Idempotency-Key", kessai::secrets::random_token(12))
            .json(body)
            .send()
            .await
            .unwrap();
        let (status, body, _) = json_answer(r).await;
        (status, body)
    }

    /// Gets `path`: status and body.
    pub async fn fetch(&self, path: &str) -> (u16, Value) {
        let r = self
            .request(reqwest::Method::GET, path)
            .send()
            .await
            .unwrap();
        let (status, body, _) = json_answer(r).await;
        (status, body)
    }
}
