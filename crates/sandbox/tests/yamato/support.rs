//! The sandbox on a real port with a clock the test moves, a shop server that calls the
//! API with UTF-8 forms and reads the XML answers, and a browser that mints tokens the way
//! the token JS does, follows `threeDAuthHtml` through the ACS and reads the post back —
//! written here apart from the sandbox's own code, from specs/yamato.md.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use chrono::{DateTime, Duration, Utc};
use encoding_rs::UTF_8;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::common_wire::{encode_in, unescape_html};

pub use sandbox::yamato::{ACCESS_KEY, TRADER_CODE};

pub const START: &str = "2026-05-10T01:00:00Z";
/// A second trader, given through `Options::traders`.
pub const OTHER_TRADER: &str = "123456789";
pub const OTHER_ACCESS_KEY: &str = "7654321";
/// Where the shop wants the 3-D Secure result.
pub const RETURN_URL: &str = "https://shop.example/yamato/3ds?key=abc&x=1";

/// Lower-case hex SHA-256.
pub fn sha256(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The check sum of a call naming a member (§5).
pub fn member_sum(member: &str, key: &str) -> String {
    sha256(&format!("{member}{key}{ACCESS_KEY}"))
}

/// An XML `<return>` answer.
#[derive(Debug, Clone)]
pub struct Xml(pub String);

impl Xml {
    /// The text of the first element `name`, unescaped.
    pub fn get(&self, name: &str) -> Option<String> {
        let open = format!("<{name}>");
        let close = format!("</{name}>");
        let start = self.0.find(&open)? + open.len();
        let end = self.0[start..].find(&close)? + start;
        Some(
            self.0[start..end]
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&apos;", "'")
                .replace("&amp;", "&"),
        )
    }

    /// The text of `name`, which must be there.
    pub fn text(&self, name: &str) -> String {
        self.get(name)
            .unwrap_or_else(|| panic!("no <{name}> in {}", self.0))
    }

    /// Every element `name`, each as its own document.
    pub fn all(&self, name: &str) -> Vec<Xml> {
        let open = format!("<{name}>");
        let close = format!("</{name}>");
        let mut out = Vec::new();
        let mut rest = self.0.as_str();
        while let Some(start) = rest.find(&open) {
            let Some(end) = rest[start..].find(&close) else {
                break;
            };
            out.push(Xml(rest[start..start + end + close.len()].to_owned()));
            rest = &rest[start + end + close.len()..];
        }
        out
    }

    /// `returnCode`.
    pub fn code(&self) -> String {
        self.text("returnCode")
    }

    /// `errorCode`, or empty.
    pub fn error(&self) -> String {
        self.get("errorCode").unwrap_or_default()
    }

    /// Panics unless `returnCode` is 0.
    pub fn ok(self) -> Self {
        assert_eq!(self.code(), "0", "{}", self.0);
        self
    }
}

/// Hidden inputs and the form action of an HTML page, as a browser reads them.
pub fn form_of(page: &str) -> (String, Vec<(String, String)>) {
    let attribute = |tag: &str, name: &str| -> String {
        let key = format!("{name}=\"");
        tag.find(&key)
            .map(|at| {
                let rest = &tag[at + key.len()..];
                unescape_html(&rest[..rest.find('"').unwrap()])
            })
            .unwrap_or_default()
    };
    let form_at = page.find("<form").expect("a form");
    let form_tag = &page[form_at..form_at + page[form_at..].find('>').unwrap()];
    let action = attribute(form_tag, "action");
    let fields = page
        .split("<input")
        .skip(1)
        .map(|tag| &tag[..tag.find('>').unwrap()])
        .filter(|tag| tag.contains("type=\"hidden\""))
        .map(|tag| (attribute(tag, "name"), attribute(tag, "value")))
        .collect();
    (action, fields)
}

/// The sandbox and its clock.
pub struct Yamato {
    /// `http://127.0.0.1:port/sandbox/yamato`.
    pub base: String,
    pub now: Arc<Mutex<DateTime<Utc>>>,
    pub http: reqwest::Client,
}

impl Yamato {
    pub async fn start() -> Self {
        let now = Arc::new(Mutex::new(START.parse::<DateTime<Utc>>().unwrap()));
        let clock = now.clone();
        let app: Router = Router::new().nest(
            "/sandbox",
            sandbox::router_with(sandbox::Options {
                clock: Arc::new(move || *clock.lock().unwrap()),
                yamato: sandbox::yamato::Options {
                    traders: vec![sandbox::yamato::Trader {
                        trader_code: OTHER_TRADER.to_owned(),
                        access_key: OTHER_ACCESS_KEY.to_owned(),
                    }],
                },
                ..sandbox::Options::default()
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self {
            base: format!("http://{address}/sandbox/yamato"),
            now,
            http,
        }
    }

    pub fn advance(&self, by: Duration) {
        *self.now.lock().unwrap() += by;
    }

    /// A POST of `fields` as a UTF-8 form to `path`; the status and body.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> (u16, String, String) {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(encode_in(fields, UTF_8))
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

    /// `POST /api/{name}` with `function_div`, the fixed trader and `fields`.
    pub async fn call(&self, name: &str, div: &str, fields: &[(&str, &str)]) -> Xml {
        let mut all = vec![("function_div", div), ("trader_code", TRADER_CODE)];
        all.extend_from_slice(fields);
        self.raw_call(&format!("/api/{name}"), &all).await
    }

    /// A call of `path` with exactly `fields`.
    pub async fn raw_call(&self, path: &str, fields: &[(&str, &str)]) -> Xml {
        let (status, content_type, body) = self.post(path, fields).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(content_type, "text/xml; charset=UTF-8");
        assert!(body.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<return>"));
        Xml(body)
    }

    /// The token endpoint's JSON answer for `info`.
    pub async fn create_token(&self, info: &[(&str, &str)]) -> Value {
        let (status, _, body) = self.post("/api/token/createToken", info).await;
        assert_eq!(status, 200, "{body}");
        serde_json::from_str(&body).unwrap()
    }

    /// A one-off token for `card` with `authDiv` 2 and a security code.
    pub async fn token(&self, card: &str) -> String {
        self.token_with(card, "2").await
    }

    /// A one-off token for `card` with `auth_div`.
    pub async fn token_with(&self, card: &str, auth_div: &str) -> String {
        let sum = sha256(&format!("{ACCESS_KEY}{auth_div}"));
        let answer = self
            .create_token(&[
                ("traderCode", TRADER_CODE),
                ("authDiv", auth_div),
                ("optServDiv", "00"),
                ("checkSum", &sum),
                ("cardNo", card),
                ("cardOwner", "TARO YAMADA"),
                ("cardExp", "1230"),
                ("securityCode", "123"),
            ])
            .await;
        assert_eq!(answer["returnCode"], "0", "{answer}");
        answer["token"].as_str().unwrap().to_owned()
    }

    /// A token that keeps (or uses) a card of `member`.
    pub async fn member_token(&self, member: &str, key: &str, card: &[(&str, &str)]) -> Value {
        let sum = sha256(&format!("{member}{key}{ACCESS_KEY}2"));
        let mut info = vec![
            ("traderCode", TRADER_CODE),
            ("authDiv", "2"),
            ("optServDiv", "01"),
            ("memberId", member),
            ("authKey", key),
            ("checkSum", sum.as_str()),
            ("securityCode", "123"),
        ];
        info.extend_from_slice(card);
        self.create_token(&info).await
    }

    /// A08 of `amount` yen with `token`, plus `extra` fields.
    pub async fn authorise(
        &self,
        order_no: &str,
        amount: &str,
        token: &str,
        extra: &[(&str, &str)],
    ) -> Xml {
        let mut fields = vec![
            ("device_div", "2"),
            ("order_no", order_no),
            ("settle_price", amount),
            ("buyer_name_kanji", "山田 太郎"),
            ("buyer_tel", "03-1234-5678"),
            ("buyer_email", "taro@example.com"),
            ("pay_way", "1"),
            ("token", token),
        ];
        fields.extend_from_slice(extra);
        self.call("creditToken", "A08", &fields).await
    }

    /// An authorised order paid with `card`.
    pub async fn paid(&self, order_no: &str, amount: &str, card: &str) -> Xml {
        let token = self.token(card).await;
        self.authorise(order_no, amount, &token, &[]).await.ok()
    }

    /// E04 of `order_no`.
    pub async fn inquire(&self, order_no: &str) -> Xml {
        self.call("tradeInfo", "E04", &[("order_no", order_no)])
            .await
    }

    /// `statusInfo` of `order_no`.
    pub async fn status(&self, order_no: &str) -> String {
        self.inquire(order_no).await.ok().text("statusInfo")
    }

    /// E01 of `order_no`.
    pub async fn ship(&self, order_no: &str, slip: &str, service: &str) -> Xml {
        self.call(
            "shipmentEntry",
            "E01",
            &[
                ("order_no", order_no),
                ("slip_no", slip),
                ("delivery_service_code", service),
            ],
        )
        .await
    }

    /// A page by GET: status and body.
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

    /// A browser posting the hidden fields of `page`'s form, plus `extra`, to its action.
    pub async fn submit(&self, page: &str, extra: &[(&str, &str)]) -> String {
        let (action, fields) = form_of(page);
        let mut all: Vec<(&str, &str)> = fields
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        all.extend_from_slice(extra);
        let response = self
            .http
            .post(&action)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(encode_in(&all, UTF_8))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200, "{action}");
        response.text().await.unwrap()
    }

    /// A08 sending the buyer to 3-D Secure: `(threeDToken, threeDAuthHtml)`.
    pub async fn start_3ds(&self, order_no: &str, card: &str) -> (String, String) {
        let token = self.token_with(card, "3").await;
        let answer = self
            .authorise(order_no, "5000", &token, &[("trader_ec_url", RETURN_URL)])
            .await
            .ok();
        assert_eq!(answer.get("crdCResCd"), None, "{}", answer.0);
        (answer.text("threeDToken"), answer.text("threeDAuthHtml"))
    }

    /// The buyer goes through the ACS and presses `answer`: the post back's action and
    /// fields.
    pub async fn through_acs(&self, html: &str, answer: &str) -> (String, HashMap<String, String>) {
        let challenge = self.submit(html, &[]).await;
        assert!(challenge.contains("本人認証"), "{challenge}");
        let back = self.submit(&challenge, &[("answer", answer)]).await;
        let (action, fields) = form_of(&back);
        (action, fields.into_iter().collect())
    }

    /// A09 as a shop sends it: the ACS's fields lower-cased, plus `three_d_token`.
    pub async fn complete(
        &self,
        order_no: &str,
        three_d_token: &str,
        posted: &HashMap<String, String>,
    ) -> Xml {
        let names = [
            ("comp_cd", "COMP_CD"),
            ("token", "TOKEN"),
            ("card_exp", "CARD_EXP"),
            ("item_price", "ITEM_PRICE"),
            ("item_tax", "ITEM_TAX"),
            ("cust_cd", "CUST_CD"),
            ("shop_id", "SHOP_ID"),
            ("term_cd", "TERM_CD"),
            ("crd_res_cd", "CRD_RES_CD"),
            ("res_ve", "RES_VE"),
            ("res_pa", "RES_PA"),
            ("res_code", "RES_CODE"),
            ("three_d_inf", "3D_INF"),
            ("three_d_tran_id", "3D_TRAN_ID"),
            ("send_dt", "SEND_DT"),
            ("hash_value", "HASH_VALUE"),
        ];
        let mut fields = vec![("order_no", order_no)];
        for (lower, upper) in names {
            fields.push((lower, posted.get(upper).map_or("", String::as_str)));
        }
        fields.push(("three_d_token", three_d_token));
        self.call("creditToken3D", "A09", &fields).await
    }
}
