//! The sandbox under test, a notification receiver, and the encodings merchants use.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use axum::body::{to_bytes, Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Request};
use axum::routing::post;
use axum::Router;
use chrono::{DateTime, Duration, Utc};
use encoding_rs::{Encoding, SHIFT_JIS, UTF_8};
use percent_encoding::{percent_encode, NON_ALPHANUMERIC};
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;
use tower::ServiceExt;

pub use crate::common_wire::{decode_form, encode_in, unescape_html};

pub const CARD_PATH: &str = "/paygent/n/card/request";
pub const INQUIRY_PATH: &str = "/paygent/n/ref/paymentref";
pub const NOTICE_PATH: &str = "/paygent/n/ref/paynotice";
pub const THREEDS_PATH: &str = "/paygent/n/threeds/request";
pub const DELIVER_PATH: &str = "/paygent/testtool/notices/deliver";
pub const GOOD_CARD: &str = "4900000000000000";
pub const MERCHANT_ID: &str = "123456789";

/// Lower-case hex SHA-256, as every Paygent hash is.
pub fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// The sandbox router with a clock the test moves.
pub struct Paygent {
    pub app: Router,
    pub now: Arc<Mutex<DateTime<Utc>>>,
}

/// A decoded `key=value` answer plus the raw text.
pub struct Answer {
    pub items: HashMap<String, String>,
    pub text: String,
    pub content_type: String,
}

impl Answer {
    pub fn get(&self, name: &str) -> &str {
        self.items
            .get(name)
            .map(String::as_str)
            .unwrap_or_else(|| panic!("no item {name} in {:?}", self.text))
    }
}

/// An HTTP answer read back as text.
pub struct Page {
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
}

impl Page {
    /// The text with the HTML escapes of the templates undone, as a browser shows it.
    pub fn visible(&self) -> String {
        unescape_html(&self.text)
    }

    pub fn location(&self) -> &str {
        self.headers
            .get("location")
            .map(|v| v.to_str().unwrap())
            .unwrap_or_else(|| panic!("no location in a {} answer", self.status))
    }
}

/// The items of a URL's query string, decoded as UTF-8.
pub fn query_items(url: &str) -> HashMap<String, String> {
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or_default();
    decode_form(query.as_bytes(), UTF_8)
}

pub fn encode(fields: &[(&str, &str)]) -> Vec<u8> {
    encode_in(fields, SHIFT_JIS)
}

pub fn parse(text: &str) -> HashMap<String, String> {
    let mut items = HashMap::new();
    let mut lines = text.split("\r\n");
    while let Some(line) = lines.next() {
        let Some((name, value)) = line.split_once('=') else {
            continue;
        };
        if name.ends_with("_html") {
            // Spec §2.1: the value is every line after the `name=` line.
            assert_eq!(value, "", "the HTML of {name} starts on the next line");
            let rest: Vec<&str> = lines.by_ref().collect();
            items.insert(name.to_owned(), rest.join("\r\n"));
            break;
        }
        items.insert(name.to_owned(), value.to_owned());
    }
    items
}

/// The common header with the demo credentials.
pub fn header(kind: &str) -> Vec<(&'static str, String)> {
    vec![
        ("merchant_id", MERCHANT_ID.to_owned()),
        ("connect_id", "sandboxconnect".to_owned()),
        ("connect_password", "sandboxpassword".to_owned()),
        ("telegram_kind", kind.to_owned()),
        ("telegram_version", "1.0".to_owned()),
    ]
}

impl Paygent {
    pub fn new() -> Self {
        Self::with(sandbox::paygent::Options::default())
    }

    /// A sandbox whose merchants push to `notify_url`, delivered only on request.
    pub fn pushing_to(notify_url: &str) -> Self {
        Self::with(sandbox::paygent::Options {
            notify_url: Some(notify_url.to_owned()),
            auto_push: false,
        })
    }

    pub fn with(options: sandbox::paygent::Options) -> Self {
        let now = Arc::new(Mutex::new(
            "2026-05-10T01:00:00Z".parse::<DateTime<Utc>>().unwrap(),
        ));
        let clock = now.clone();
        let app = sandbox::router_with(sandbox::Options {
            clock: Arc::new(move || *clock.lock().unwrap()),
            paygent: options,
            remise: sandbox::remise::Options::default(),
            atone: sandbox::atone::Options::default(),
            yamato: sandbox::yamato::Options::default(),
        });
        Self { app, now }
    }

    pub fn advance(&self, by: Duration) {
        *self.now.lock().unwrap() += by;
    }

    /// Any request; the answer's body decoded as `encoding`.
    pub async fn send(&self, request: Request<Body>, encoding: &'static Encoding) -> Page {
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = to_bytes(response.into_body(), 1 << 20).await.unwrap();
        let (text, _, malformed) = encoding.decode(&body);
        assert!(!malformed, "answer is not {}", encoding.name());
        Page {
            status,
            headers,
            text: text.into_owned(),
        }
    }

    /// `GET path`, read as UTF-8.
    pub async fn get_page(&self, path: &str) -> Page {
        let request = Request::get(path).body(Body::empty()).unwrap();
        self.send(request, UTF_8).await
    }

    /// `POST path` with UTF-8 form fields, as a browser posts a UTF-8 page's form.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let request = Request::post(path)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(encode_in(fields, UTF_8)))
            .unwrap();
        self.send(request, UTF_8).await
    }

    pub async fn post(&self, path: &str, content_type: &str, body: Vec<u8>) -> (String, Vec<u8>) {
        let request = Request::post(path)
            .header("content-type", content_type)
            .body(Body::from(body))
            .unwrap();
        let response = self.app.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status().as_u16(), 200);
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let body = to_bytes(response.into_body(), 1 << 20).await.unwrap();
        (content_type, body.to_vec())
    }

    /// Post raw fields (no header added) and decode the CP932 answer.
    pub async fn raw(&self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let (content_type, body) = self
            .post(path, "application/x-www-form-urlencoded", encode(fields))
            .await;
        let (text, _, malformed) = SHIFT_JIS.decode(&body);
        assert!(!malformed, "answer is not CP932");
        Answer {
            items: parse(&text),
            text: text.into_owned(),
            content_type,
        }
    }

    /// Post a telegram with the demo credentials and the given kind.
    pub async fn telegram(&self, path: &str, kind: &str, fields: &[(&str, &str)]) -> Answer {
        let head = header(kind);
        let mut all: Vec<(&str, &str)> = head.iter().map(|(n, v)| (*n, v.as_str())).collect();
        all.extend_from_slice(fields);
        self.raw(path, &all).await
    }

    /// Post a UTF-8 telegram (450) with the demo credentials and read the UTF-8 answer.
    pub async fn utf8_telegram(&self, path: &str, kind: &str, fields: &[(&str, &str)]) -> Answer {
        self.utf8_telegram_to(None, path, kind, fields).await
    }

    /// The same, sent to `host` (the `Host` header a real client sends).
    pub async fn utf8_telegram_to(
        &self,
        host: Option<&str>,
        path: &str,
        kind: &str,
        fields: &[(&str, &str)],
    ) -> Answer {
        let head = header(kind);
        let mut all: Vec<(&str, &str)> = head.iter().map(|(n, v)| (*n, v.as_str())).collect();
        all.extend_from_slice(fields);
        let mut request =
            Request::post(path).header("content-type", "application/x-www-form-urlencoded");
        if let Some(host) = host {
            request = request.header("host", host);
        }
        let request = request.body(Body::from(encode_in(&all, UTF_8))).unwrap();
        let response = self.app.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status().as_u16(), 200);
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let body = to_bytes(response.into_body(), 1 << 20).await.unwrap();
        let text = String::from_utf8(body.to_vec()).expect("answer is UTF-8");
        Answer {
            items: parse(&text),
            text,
            content_type,
        }
    }

    pub async fn token_response(&self, fields: &[(&str, &str)]) -> serde_json::Value {
        let body: Vec<u8> = fields
            .iter()
            .map(|(n, v)| format!("{n}={}", percent_encode(v.as_bytes(), NON_ALPHANUMERIC)))
            .collect::<Vec<_>>()
            .join("&")
            .into_bytes();
        let (content_type, body) = self
            .post(
                "/paygent/n/token/request",
                "application/x-www-form-urlencoded",
                body,
            )
            .await;
        assert!(content_type.starts_with("application/json"));
        serde_json::from_slice(&body).unwrap()
    }

    pub async fn token(&self, card_number: &str) -> String {
        self.token_named(card_number, "TARO YAMADA").await
    }

    pub async fn token_named(&self, card_number: &str, name: &str) -> String {
        let response = self
            .token_response(&[
                ("merchant_id", MERCHANT_ID),
                ("token_generate_key", "sandboxtokenkey"),
                ("card_number", card_number),
                ("card_expire_year", "30"),
                ("card_expire_month", "12"),
                ("card_cvc", "123"),
                ("card_name", name),
            ])
            .await;
        assert_eq!(response["result"], "0000", "{response}");
        response["tokenizedCardObject"]["token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// A 020 with a fresh token for `card_number`.
    pub async fn authorise(&self, card_number: &str, extra: &[(&str, &str)]) -> Answer {
        let token = self.token(card_number).await;
        let mut fields = vec![
            ("trading_id", "ORDER_1"),
            ("payment_id", ""),
            ("payment_amount", "1000"),
            ("payment_class", "10"),
            ("3dsecure_ryaku", "1"),
            ("card_token", token.as_str()),
        ];
        fields.extend_from_slice(extra);
        self.telegram(CARD_PATH, "020", &fields).await
    }

    pub async fn on_payment(&self, kind: &str, payment_id: &str, extra: &[(&str, &str)]) -> Answer {
        let path = if kind == "094" {
            INQUIRY_PATH
        } else {
            CARD_PATH
        };
        let mut fields = vec![("trading_id", ""), ("payment_id", payment_id)];
        fields.extend_from_slice(extra);
        self.telegram(path, kind, &fields).await
    }

    pub async fn status_of(&self, payment_id: &str) -> String {
        let answer = self.on_payment("094", payment_id, &[]).await;
        assert_eq!(answer.get("result"), "0", "{}", answer.text);
        answer.get("payment_status").to_owned()
    }

    /// One delivery round of the pushes that are due.
    pub async fn deliver(&self) -> serde_json::Value {
        let request = Request::post(DELIVER_PATH).body(Body::empty()).unwrap();
        let page = self.send(request, UTF_8).await;
        assert_eq!(page.status, 200, "{}", page.text);
        serde_json::from_str(&page.text).unwrap()
    }
}

/// A merchant's notification endpoint on a real local port: records every push and
/// answers with the text the test chose (`result=0` unless told otherwise).
pub struct Receiver {
    pub url: String,
    pushes: Arc<Mutex<Vec<Received>>>,
    answers: Arc<Mutex<VecDeque<String>>>,
    arrivals: tokio::sync::Mutex<mpsc::UnboundedReceiver<()>>,
}

/// One push as the receiver saw it.
#[derive(Debug, Clone)]
pub struct Received {
    pub content_type: String,
    pub body: Vec<u8>,
}

impl Received {
    /// The items, decoded as Shift_JIS form data.
    pub fn items(&self) -> HashMap<String, String> {
        decode_form(&self.body, SHIFT_JIS)
    }
}

#[derive(Clone)]
struct ReceiverState {
    pushes: Arc<Mutex<Vec<Received>>>,
    answers: Arc<Mutex<VecDeque<String>>>,
    arrived: mpsc::UnboundedSender<()>,
}

async fn receive(State(state): State<ReceiverState>, headers: HeaderMap, body: Bytes) -> String {
    state.pushes.lock().unwrap().push(Received {
        content_type: headers
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default(),
        body: body.to_vec(),
    });
    let _ = state.arrived.send(());
    let mut answers = state.answers.lock().unwrap();
    if answers.len() > 1 {
        answers.pop_front().unwrap()
    } else {
        answers
            .front()
            .cloned()
            .unwrap_or_else(|| "result=0".to_owned())
    }
}

impl Receiver {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/notify/paygent", listener.local_addr().unwrap());
        let pushes = Arc::new(Mutex::new(Vec::new()));
        let answers = Arc::new(Mutex::new(VecDeque::from(["result=0\r\n".to_owned()])));
        let (arrived, arrivals) = mpsc::unbounded_channel();
        let app = Router::new()
            .route("/notify/paygent", post(receive))
            .with_state(ReceiverState {
                pushes: pushes.clone(),
                answers: answers.clone(),
                arrived,
            });
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self {
            url,
            pushes,
            answers,
            arrivals: tokio::sync::Mutex::new(arrivals),
        }
    }

    /// Answer every following push with `text`.
    pub fn answer_with(&self, text: &str) {
        *self.answers.lock().unwrap() = VecDeque::from([text.to_owned()]);
    }

    pub fn received(&self) -> Vec<Received> {
        self.pushes.lock().unwrap().clone()
    }

    /// The `payment_notice_id` of every push received so far, in arrival order.
    pub fn notice_ids(&self) -> Vec<String> {
        self.received()
            .iter()
            .map(|r| r.items()["payment_notice_id"].clone())
            .collect()
    }

    /// Wait (for at most ten seconds) until a push arrives.
    pub async fn next_arrival(&self) {
        let mut arrivals = self.arrivals.lock().await;
        tokio::time::timeout(std::time::Duration::from_secs(10), arrivals.recv())
            .await
            .expect("no push arrived within ten seconds");
    }
}

/// A URL on which nothing listens.
pub async fn dead_url() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{address}/notify/paygent")
}
