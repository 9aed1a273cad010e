//! The sandbox on a real port with a clock the test moves, a shop that records what the
//! sandbox posts to it, and a browser that reads Remise's pages.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use axum::Router;
use chrono::{DateTime, Duration, Utc};
use encoding_rs::SHIFT_JIS;

use crate::common_wire::{decode_form, encode_in, unescape_html};

pub const SHOPCO: &str = "RMS00001";
pub const HOSTID: &str = "AB12C001";
pub const EXTSET_HOSTID: &str = "XT34D002";
pub const ACK: &str = "<SDBKDATA>STATUS=800</SDBKDATA>";
pub const START: &str = "2026-05-10T01:00:00Z";

/// One post the shop received.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub body: Vec<u8>,
    pub fields: HashMap<String, String>,
    pub user_agent: String,
}

impl Received {
    pub fn get(&self, name: &str) -> &str {
        self.fields
            .get(name)
            .map(String::as_str)
            .unwrap_or_else(|| panic!("no {name} in {:?}", self.fields))
    }

    /// The field names in the order they were sent.
    pub fn names(&self) -> Vec<String> {
        self.body
            .split(|b| *b == b'&')
            .map(|pair| {
                String::from_utf8_lossy(pair.split(|b| *b == b'=').next().unwrap()).into_owned()
            })
            .collect()
    }
}

/// The shop's notification endpoints.
#[derive(Clone, Default)]
pub struct Shop {
    pub received: Arc<Mutex<Vec<Received>>>,
    /// What the shop answers, by path; STATUS=800 when absent.
    pub answers: Arc<Mutex<HashMap<String, String>>>,
}

impl Shop {
    pub fn posts(&self, path: &str) -> Vec<Received> {
        self.received
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }

    pub fn answer(&self, path: &str, body: &str) {
        self.answers
            .lock()
            .unwrap()
            .insert(path.to_owned(), body.to_owned());
    }
}

async fn record(
    State(shop): State<Shop>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> String {
    let path = uri.path().to_owned();
    let user_agent = headers
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    shop.received.lock().unwrap().push(Received {
        path: path.clone(),
        body: body.to_vec(),
        fields: decode_form(&body, SHIFT_JIS),
        user_agent,
    });
    shop.answers
        .lock()
        .unwrap()
        .get(&path)
        .cloned()
        .unwrap_or_else(|| format!("\r\n{ACK}\r\n"))
}

/// A page read back.
#[derive(Debug)]
pub struct Page {
    pub status: u16,
    pub content_type: String,
    pub location: String,
    pub text: String,
}

impl Page {
    /// The `action` of the page's first form.
    pub fn action(&self) -> String {
        let at = self.text.find("<form").expect("a form");
        let rest = &self.text[at..];
        let start = rest.find("action=\"").expect("an action") + 8;
        unescape_html(&rest[start..start + rest[start..].find('"').unwrap()])
    }

    /// The hidden inputs in order, unescaped.
    pub fn hidden(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut rest = self.text.as_str();
        let open = "<input type=\"hidden\" name=\"";
        while let Some(at) = rest.find(open) {
            rest = &rest[at + open.len()..];
            let name_end = rest.find('"').unwrap();
            let name = rest[..name_end].to_owned();
            let value_at = rest.find("value=\"").unwrap() + 7;
            let value_end = value_at + rest[value_at..].find('"').unwrap();
            out.push((name, unescape_html(&rest[value_at..value_end])));
            rest = &rest[value_end..];
        }
        out
    }

    pub fn field(&self, name: &str) -> String {
        self.hidden()
            .into_iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
            .unwrap_or_else(|| panic!("no hidden {name} in {}", self.text))
    }
}

/// The sandbox, its clock, the shop and a browser.
pub struct Remise {
    pub base: String,
    pub shop_url: String,
    pub shop: Shop,
    pub now: Arc<Mutex<DateTime<Utc>>>,
    pub http: reqwest::Client,
}

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{address}")
}

impl Remise {
    /// The sandbox posting RETs to the shop's `/result` and notices to `/receipt`.
    pub async fn start() -> Self {
        let shop = Shop::default();
        let shop_url = serve(
            Router::new()
                .route("/result", post(record))
                .route("/receipt", post(record))
                .with_state(shop.clone()),
        )
        .await;
        let now = Arc::new(Mutex::new(START.parse::<DateTime<Utc>>().unwrap()));
        let clock = now.clone();
        let app = Router::new().nest(
            "/sandbox",
            sandbox::router_with(sandbox::Options {
                clock: Arc::new(move || *clock.lock().unwrap()),
                remise: sandbox::remise::Options {
                    result_url: Some(format!("{shop_url}/result")),
                    receipt_url: Some(format!("{shop_url}/receipt")),
                    auto_resend: false,
                },
                ..sandbox::Options::default()
            }),
        );
        let base = format!("{}/sandbox/remise", serve(app).await);
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self {
            base,
            shop_url,
            shop,
            now,
            http,
        }
    }

    pub fn advance(&self, by: Duration) {
        *self.now.lock().unwrap() += by;
    }

    async fn read(response: reqwest::Response) -> Page {
        let status = response.status().as_u16();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        let content_type = header("content-type");
        let location = header("location");
        let bytes = response.bytes().await.unwrap();
        let text = if content_type.contains("Shift_JIS") {
            let (text, _, malformed) = SHIFT_JIS.decode(&bytes);
            assert!(!malformed, "the page is not Shift_JIS");
            text.into_owned()
        } else {
            String::from_utf8(bytes.to_vec()).unwrap()
        };
        Page {
            status,
            content_type,
            location,
            text,
        }
    }

    /// A Shift_JIS form post, as a browser on a Remise page or a shop server sends it.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(encode_in(fields, SHIFT_JIS))
            .send()
            .await
            .unwrap();
        Self::read(response).await
    }

    /// A back office form asking for JSON.
    pub async fn back_office(
        &self,
        path: &str,
        fields: &[(&str, &str)],
    ) -> (u16, serde_json::Value) {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header("accept", "application/json")
            .form(fields)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let body = response.bytes().await.unwrap();
        (status, serde_json::from_slice(&body).unwrap())
    }

    pub async fn get(&self, path: &str) -> Page {
        Self::read(
            self.http
                .get(format!("{}{path}", self.base))
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// `POST /backoffice/notices/deliver`.
    pub async fn deliver(&self) -> serde_json::Value {
        self.back_office("/backoffice/notices/deliver", &[]).await.1
    }
}

/// A card request with `overrides` applied (an empty value removes the field).
pub fn card_request<'a>(
    s_torihiki_no: &'a str,
    overrides: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let fields = [
        ("JOB", "AUTH"),
        ("ITEM", "0000120"),
        ("AMOUNT", "1000"),
        ("TAX", "0"),
        ("TOTAL", "1000"),
        ("MAIL", "buyer@example.com"),
        ("METHOD", "10"),
        ("PTIMES", ""),
        ("RETURL", "http://shop.example/return?acting_return=1"),
        ("NG_RETURL", "http://shop.example/return?acting_return=0"),
        ("EXITURL", "http://shop.example/cart"),
        ("OPT", "テスト,1"),
        ("REMARKS3", "A0000155"),
        ("chAccAgeInd", "01"),
    ];
    request(s_torihiki_no, &fields, overrides)
}

/// A multi payment request with `overrides` applied.
pub fn multi_request<'a>(
    s_torihiki_no: &'a str,
    overrides: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let fields = [
        ("NAME1", "山田"),
        ("NAME2", "太郎"),
        ("KANA1", "ヤマダ"),
        ("KANA2", "タロウ"),
        ("YUBIN1", "150"),
        ("YUBIN2", "0001"),
        ("ADD1", "東京都"),
        ("ADD2", "渋谷区神宮前1-2-3"),
        ("ADD3", ""),
        ("TEL", "0312345678"),
        ("MAIL", "buyer@example.com"),
        ("TOTAL", "3000"),
        ("TAX", "0"),
        ("S_PAYDATE", "20260520"),
        ("MNAME_01", "商品代金"),
        ("MSUM_01", "3000"),
        ("RETURL", "http://shop.example/cvs?acting_return=1"),
        ("NG_RETURL", "http://shop.example/cvs?acting_return=0"),
        ("EXITURL", "http://shop.example/cart"),
        ("OPT", "1"),
        ("REMARKS3", "A0000155"),
    ];
    request(s_torihiki_no, &fields, overrides)
}

/// The sandbox merchant's `SHOPCO`, `HOSTID` and `s_torihiki_no`, then `fields`, with
/// `overrides` applied: a value replaces the field's or is appended, an empty one removes
/// the field.
fn request<'a>(
    s_torihiki_no: &'a str,
    fields: &[(&'a str, &'a str)],
    overrides: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut all = vec![
        ("SHOPCO", SHOPCO),
        ("HOSTID", HOSTID),
        ("S_TORIHIKI_NO", s_torihiki_no),
    ];
    all.extend_from_slice(fields);
    for (name, value) in overrides {
        match all.iter_mut().find(|(n, _)| n == name) {
            Some(field) => field.1 = value,
            None => all.push((name, value)),
        }
    }
    all.retain(|(_, value)| !value.is_empty());
    all
}

/// The buyer's answer on the card page `page` with a new card.
pub fn new_card<'a>(
    key: &'a str,
    number: &'a str,
    mm: &'a str,
    yy: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("KEY", key),
        ("CARD_SEL", "new"),
        ("CARD_NO", number),
        ("EXPIRE_MM", mm),
        ("EXPIRE_YY", yy),
        ("NAME", "taro yamada"),
        ("SECURITY_CODE", "123"),
    ]
}
