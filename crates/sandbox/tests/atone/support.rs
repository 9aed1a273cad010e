//! The sandbox on a real port with a clock the test moves, a shop endpoint that records
//! the webhooks it receives, and helpers that sign payments the way a shop does (§6),
//! written here apart from the sandbox's own code.

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

pub use sandbox::atone::{PUBLIC_KEY, SECRET_KEY};

pub const START: &str = "2026-05-10T01:00:00Z";
/// A second shop, given through `Options::shops`.
pub const OTHER_PUBLIC_KEY: &str = "other_public_key";
pub const OTHER_SECRET_KEY: &str = "other_secret_key";

/// One webhook the shop received.
#[derive(Debug, Clone)]
pub struct Received {
    pub content_type: String,
    pub user_agent: String,
    pub body: Value,
}

/// The shop's webhook endpoint.
#[derive(Clone)]
pub struct Shop {
    pub received: Arc<Mutex<Vec<Received>>>,
    /// The status the endpoint answers.
    pub status: Arc<Mutex<u16>>,
}

impl Shop {
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    pub fn answer(&self, status: u16) {
        *self.status.lock().unwrap() = status;
    }
}

async fn record(State(shop): State<Shop>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    shop.received.lock().unwrap().push(Received {
        content_type: header("content-type"),
        user_agent: header("user-agent"),
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    });
    StatusCode::from_u16(*shop.status.lock().unwrap()).unwrap()
}

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{address}")
}

/// The sandbox, its clock and the shop.
pub struct Atone {
    pub base: String,
    pub shop: Shop,
    /// The shop's webhook URL.
    pub webhook_url: String,
    pub now: Arc<Mutex<DateTime<Utc>>>,
    pub http: reqwest::Client,
}

/// An answer: status and JSON body.
pub type Answer = (u16, Value);

impl Atone {
    /// The sandbox posting webhooks to the shop's `/webhook`, delivering only on request.
    pub async fn start() -> Self {
        let shop = Shop {
            received: Arc::default(),
            status: Arc::new(Mutex::new(200)),
        };
        let shop_url = serve(
            Router::new()
                .route("/webhook", post(record))
                .with_state(shop.clone()),
        )
        .await;
        let webhook_url = format!("{shop_url}/webhook");
        let now = Arc::new(Mutex::new(START.parse::<DateTime<Utc>>().unwrap()));
        let clock = now.clone();
        let app = Router::new().nest(
            "/sandbox",
            sandbox::router_with(sandbox::Options {
                clock: Arc::new(move || *clock.lock().unwrap()),
                atone: sandbox::atone::Options {
                    webhook_url: Some(webhook_url.clone()),
                    auto_deliver: false,
                    shops: vec![sandbox::atone::Shop {
                        public_key: OTHER_PUBLIC_KEY.to_owned(),
                        secret_key: OTHER_SECRET_KEY.to_owned(),
                    }],
                },
                ..sandbox::Options::default()
            }),
        );
        let base = format!("{}/sandbox/atone", serve(app).await);
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self {
            base,
            shop,
            webhook_url,
            now,
            http,
        }
    }

    pub fn advance(&self, by: Duration) {
        *self.now.lock().unwrap() += by;
    }

    async fn read(response: reqwest::Response) -> Answer {
        let status = response.status().as_u16();
        let body = response.bytes().await.unwrap();
        let value = serde_json::from_slice(&body)
            .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&body)));
        (status, value)
    }

    /// An API call with `Authorization: Basic <Base64(secret)>` (or none).
    pub async fn call_as(
        &self,
        secret: Option<&str>,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Answer {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(secret) = secret {
            request = request.header("authorization", basic(secret));
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        Self::read(request.send().await.unwrap()).await
    }

    /// An API call as the sandbox's fixed shop.
    pub async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Answer {
        self.call_as(Some(SECRET_KEY), method, path, body).await
    }

    pub async fn get(&self, id: &str) -> Answer {
        self.call("GET", &format!("/v1/transactions/{id}"), None)
            .await
    }

    pub async fn settle(&self, id: &str) -> Answer {
        self.call("PATCH", &format!("/v1/transactions/{id}/settle"), None)
            .await
    }

    pub async fn refund(&self, id: &str, body: Value) -> Answer {
        self.call(
            "PATCH",
            &format!("/v1/transactions/{id}/refund"),
            Some(body),
        )
        .await
    }

    /// `POST /v1/transactions` with `payment` and `token`.
    pub async fn register(&self, payment: Value, token: &str) -> Answer {
        let mut body = payment;
        body["authentication_token"] = json!(token);
        self.call("POST", "/v1/transactions", Some(body)).await
    }

    /// A widget JSON call, as the widget page makes it.
    pub async fn widget_call(&self, path: &str, body: Value) -> Answer {
        let response = self
            .http
            .post(format!("{}/v1/widget/{path}", self.base))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        Self::read(response).await
    }

    /// Open the widget for `payment` of `pub_key` with `pre_token`.
    pub async fn open(&self, pub_key: &str, pre_token: &str, payment: &Value) -> Answer {
        self.widget_call(
            "session",
            json!({ "pub_key": pub_key, "pre_token": pre_token, "payment": payment }),
        )
        .await
    }

    /// The buyer confirms `session` as `member`.
    pub async fn confirm(&self, session: &str, member: &str) -> Answer {
        self.widget_call("confirm", json!({ "session": session, "member": member }))
            .await
    }

    /// A whole widget checkout of the fixed shop: `(authentication_token, result,
    /// response)`; panics on a refusal.
    pub async fn checkout(&self, payment: &Value, member: &str) -> (String, String, Value) {
        let (status, opened) = self.open(PUBLIC_KEY, "", payment).await;
        assert_eq!(status, 200, "{opened}");
        let (status, done) = self
            .confirm(opened["session"].as_str().unwrap(), member)
            .await;
        assert_eq!(status, 200, "{done}");
        (
            done["authentication_token"].as_str().unwrap().to_owned(),
            done["result"].as_str().unwrap().to_owned(),
            done["response"].clone(),
        )
    }

    /// An OK widget checkout by the standard member: `(token, transaction id)`.
    pub async fn paid(&self, number: &str, amount: i64) -> (String, String) {
        let (token, result, response) = self
            .checkout(
                &signed(payment(number, amount)),
                sandbox::atone::members::STANDARD,
            )
            .await;
        assert_eq!(result, "succeeded");
        (token, response["id"].as_str().unwrap().to_owned())
    }

    /// `POST /testtool/webhooks/deliver`.
    pub async fn deliver(&self) -> Value {
        let response = self
            .http
            .post(format!("{}/testtool/webhooks/deliver", self.base))
            .send()
            .await
            .unwrap();
        Self::read(response).await.1
    }

    /// A page as text, with its content type.
    pub async fn page(&self, path: &str) -> (u16, String, String) {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        (status, content_type, response.text().await.unwrap())
    }
}

/// A payment of `amount` yen in one line, unsigned.
pub fn payment(number: &str, amount: i64) -> Value {
    json!({
        "amount": amount,
        "shop_transaction_no": number,
        "sales_settled": false,
        "description_trans": "",
        "customer": {
            "customer_name": "山田 太郎",
            "customer_name_kana": "やまだ たろう",
            "zip_code": "150-0001",
            "address": "東京都渋谷区神宮前1-2-3",
            "tel": "03-1234-5678",
            "email": "taro@example.com",
        },
        "dest_customers": [{
            "dest_customer_name": "佐藤 花子",
            "dest_zip_code": "5300001",
            "dest_address": "大阪府大阪市北区梅田1-1",
        }],
        "items": [
            { "shop_item_id": "ITEM-1", "item_name": "テスト商品", "item_price": amount, "item_count": 1 },
        ],
    })
}

/// `payment` with its checksum for the fixed shop.
pub fn signed(payment: Value) -> Value {
    signed_with(SECRET_KEY, payment)
}

/// `payment` with its checksum for the shop with `secret`: SHA-256 of the secret, a comma
/// and the values in key order at every level, in standard Base64.
pub fn signed_with(secret: &str, mut payment: Value) -> Value {
    fn values(value: &Value, out: &mut String) {
        match value {
            Value::Object(map) => {
                let mut keys: Vec<_> = map.keys().filter(|k| *k != "checksum").collect();
                keys.sort();
                keys.into_iter().for_each(|k| values(&map[k], out));
            }
            Value::Array(list) => list.iter().for_each(|v| values(v, out)),
            Value::String(text) => out.push_str(text),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Number(n) => out.push_str(&n.to_string()),
            Value::Null => {}
        }
    }
    let mut text = format!("{secret},");
    values(&payment, &mut text);
    payment["checksum"] = json!(base64(&Sha256::digest(text.as_bytes())));
    payment
}

/// Standard Base64 with padding.
pub fn base64(bytes: &[u8]) -> String {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = String::new();
    for b in bytes {
        bits.push_str(&format!("{b:08b}"));
    }
    while bits.len() % 6 != 0 {
        bits.push('0');
    }
    let mut out: String = bits
        .as_bytes()
        .chunks(6)
        .map(|c| {
            alphabet[usize::from_str_radix(std::str::from_utf8(c).unwrap(), 2).unwrap()] as char
        })
        .collect();
    while out.len() % 4 != 0 {
        out.push('=');
    }
    out
}

/// `Basic` + Base64 of the secret key alone.
pub fn basic(secret: &str) -> String {
    format!("Basic {}", base64(secret.as_bytes()))
}

/// The first error code of an error body.
pub fn code(body: &Value) -> &str {
    body["errors"][0]["code"].as_str().unwrap_or_default()
}
