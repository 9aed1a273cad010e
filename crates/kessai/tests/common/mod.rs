//! Test harness: starts the real application on a random port against a fresh database
//! (SQLite in a temporary folder, or a freshly created PostgreSQL database when
//! `KESSAI_TEST_DATABASE_URL` is set), and drives it like a browser would.

#![allow(dead_code)]

pub mod api;
pub mod atone;
pub mod catalog;
pub mod forms;
pub mod remise;
pub mod yamato;

use std::path::PathBuf;

use kessai::clock::Clock;
use kessai::http::SharedState;
use kessai::jobs::Worker;
use kessai::{App, Config};

pub const ADMIN_PASSWORD: &str = "correct horse battery staple";

/// A database the test owns: a SQLite file, or a PostgreSQL database dropped afterwards.
pub struct TestDatabase {
    pub url: String,
    pub dir: PathBuf,
    postgres: Option<(String, String)>,
}

/// Which backends the storage suite runs on: SQLite always, PostgreSQL when configured.
pub fn backends() -> Vec<&'static str> {
    let mut b = vec!["sqlite"];
    if std::env::var("KESSAI_TEST_DATABASE_URL").is_ok() {
        b.push("postgres");
    }
    b
}

/// The backend integration tests run on: PostgreSQL when configured, else SQLite.
pub fn default_backend() -> &'static str {
    if std::env::var("KESSAI_TEST_DATABASE_URL").is_ok() {
        "postgres"
    } else {
        "sqlite"
    }
}

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}_{}_{}",
        std::process::id(),
        kessai::secrets::random_token(6)
            .to_lowercase()
            .replace(['-', '_'], "x")
    )
}

impl TestDatabase {
    /// A fresh, empty database on `backend`.
    pub async fn new(backend: &str) -> TestDatabase {
        let dir = std::env::temp_dir().join(unique("kessai_test"));
        std::fs::create_dir_all(&dir).unwrap();
        match backend {
            "sqlite" => TestDatabase {
                url: format!("sqlite://{}?mode=rwc", dir.join("kessai.db").display()),
                dir,
                postgres: None,
            },
            "postgres" => {
                let admin_url =
                    std::env::var("KESSAI_TEST_DATABASE_URL").expect("KESSAI_TEST_DATABASE_URL");
                let name = unique("kessai_test");
                let admin = kessai::store::Store::connect(&admin_url)
                    .await
                    .expect("connect to PostgreSQL");
                admin
                    .execute_raw(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create test database");
                admin.close().await;
                let url = match admin_url.rsplit_once('/') {
                    Some((base, _)) => format!("{base}/{name}"),
                    None => panic!("KESSAI_TEST_DATABASE_URL must end with /<database>"),
                };
                TestDatabase {
                    url,
                    dir,
                    postgres: Some((admin_url, name)),
                }
            }
            other => panic!("unknown backend {other}"),
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        if let Some((admin_url, name)) = self.postgres.take() {
            // Dropping needs async I/O; do it on a runtime of its own so it also runs after
            // a failed assertion.
            std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async {
                    if let Ok(admin) = kessai::store::Store::connect(&admin_url).await {
                        let _ = admin
                            .execute_raw(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                            .await;
                        admin.close().await;
                    }
                });
            })
            .join()
            .unwrap();
        }
    }
}

/// A running application and a browser-like client logged out.
pub struct TestApp {
    pub address: String,
    pub state: SharedState,
    pub worker: Worker,
    pub client: reqwest::Client,
    pub db: TestDatabase,
    server: tokio::task::JoinHandle<()>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

/// Options for [`TestApp::spawn_with`].
#[derive(Default)]
pub struct Options {
    pub demo: bool,
    pub backend: Option<&'static str>,
    /// Send mail to this SMTP server instead of writing `.eml` files.
    pub smtp_url: Option<String>,
}

impl TestApp {
    /// The app on the default backend, without demo data.
    pub async fn spawn() -> TestApp {
        Self::spawn_with(Options::default()).await
    }

    /// The app with the demo shop loaded.
    pub async fn demo() -> TestApp {
        Self::spawn_with(Options {
            demo: true,
            ..Options::default()
        })
        .await
    }

    /// The app with options.
    pub async fn spawn_with(options: Options) -> TestApp {
        let db = TestDatabase::new(options.backend.unwrap_or_else(default_backend)).await;
        Self::start(db, options).await
    }

    /// The app on an existing database (to test restarts).
    pub async fn spawn_on(db: TestDatabase, demo: bool) -> TestApp {
        Self::start(
            db,
            Options {
                demo,
                ..Options::default()
            },
        )
        .await
    }

    async fn start(db: TestDatabase, options: Options) -> TestApp {
        let mut config = Config::for_tests(db.dir.clone(), db.url.clone());
        config.demo = options.demo;
        config.mail.smtp_url = options.smtp_url.map(kessai::secrets::Secret::new);
        config.admin_password = Some(kessai::secrets::Secret::new(ADMIN_PASSWORD));
        let app = App::build_with_clock(config, Clock::test())
            .await
            .expect("app builds");
        let address = format!("http://{}", app.address());
        let state = app.state();
        let worker = app.worker();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            app.run(async {
                let _ = rx.await;
            })
            .await
            .expect("app runs");
        });
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        TestApp {
            address,
            state,
            worker,
            client,
            db,
            server,
            stop: Some(tx),
        }
    }

    /// Stops the server gracefully and returns the database for a restart.
    pub async fn stop(mut self) -> TestDatabase {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        (&mut self.server).await.unwrap();
        // Every connection closed before the database is handed back (a dropped pool closes
        // its connections in the background, so the file could still look in use).
        self.state.store.close().await;
        std::mem::replace(
            &mut self.db,
            TestDatabase {
                url: String::new(),
                dir: PathBuf::new(),
                postgres: None,
            },
        )
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    /// GET a page and return its status and body.
    pub async fn page(&self, path: &str) -> (u16, String) {
        let r = self.get(path).await;
        (r.status().as_u16(), r.text().await.unwrap())
    }

    /// Pays on Paygent's link-type payment page (`page`, as the sandbox served it) with the
    /// sandbox's approved test card; the sandbox's answer.
    pub async fn pay_on_link_page(&self, page: &str) -> reqwest::Response {
        let action = attr(page, "<form", "action").replace(&self.address, "");
        let tid = attr(page, "name=\"tid\"", "value");
        self.post_form(
            &action,
            &[
                ("tid", tid.as_str()),
                ("card_number", "4900000000000000"),
                ("expire_month", "12"),
                ("expire_year", "30"),
                ("card_name", "TARO YAMADA"),
                ("payment_class", "10"),
            ],
        )
        .await
    }

    /// POST an urlencoded form as a browser would.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let body = serde_urlencoded::to_string(fields).unwrap();
        self.client
            .post(self.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap()
    }

    /// POST a multipart form (text fields and files) as a browser would.
    pub async fn post_multipart(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &[u8])],
    ) -> reqwest::Response {
        let boundary = "----kessaitestboundary7MA4YWxkTrZu0gW";
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes());
        }
        for (name, file_name, bytes) in files {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        self.client
            .post(self.url(path))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body)
            .send()
            .await
            .unwrap()
    }

    /// Logs in as the admin (through the login form, with its CSRF cookie).
    pub async fn login(&self) {
        let (_, html) = self.page("/admin/login").await;
        let csrf = csrf_of(&html);
        let r = self
            .post_form(
                "/admin/login",
                &[
                    ("login", "admin"),
                    ("password", ADMIN_PASSWORD),
                    ("csrf", &csrf),
                    ("next", "/admin"),
                ],
            )
            .await;
        assert_eq!(r.status().as_u16(), 303, "login should redirect");
        assert_eq!(location(&r), "/admin");
    }

    /// The CSRF token of a logged-in page.
    pub async fn csrf(&self) -> String {
        let (status, html) = self.page("/admin").await;
        assert_eq!(status, 200, "logged in");
        csrf_of(&html)
    }

    /// Opens `page` (which must answer 200) and posts `fields` to `action` with the page's
    /// CSRF token, as its form would.
    pub async fn post_page_form(
        &self,
        page: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let (status, html) = self.page(page).await;
        assert_eq!(status, 200, "{page}: {html}");
        let csrf = csrf_of(&html);
        let mut form = vec![("csrf", csrf.as_str())];
        form.extend_from_slice(fields);
        self.post_form(action, &form).await
    }

    /// カートに入れる on a storefront product page.
    pub async fn add_to_cart(&self, code: &str, quantity: &str) {
        let r = self
            .post_page_form(
                &format!("/item/{code}"),
                "/cart/add",
                &[("code", code), ("quantity", quantity)],
            )
            .await;
        assert_eq!(r.status().as_u16(), 303);
        assert_eq!(location(&r), "/cart");
    }

    /// Follows a redirect and returns the resulting page.
    pub async fn follow(&self, r: reqwest::Response) -> (u16, String) {
        assert_eq!(
            r.status().as_u16(),
            303,
            "expected a redirect, got {}",
            r.status()
        );
        self.page(&location(&r)).await
    }
}

/// The value of the first `name="csrf"` hidden field.
pub fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("page has a CSRF field") + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

/// Decodes the HTML escapes minijinja writes in attribute values.
pub fn unescape(s: &str) -> String {
    s.replace("&#x2f;", "/")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The value of `attr="…"` after `from` in `html`, unescaped.
pub fn attr(html: &str, from: &str, attr: &str) -> String {
    let start = html
        .find(from)
        .unwrap_or_else(|| panic!("{from} in {html}"));
    let rest = &html[start..];
    let key = format!("{attr}=\"");
    let i = rest.find(&key).unwrap() + key.len();
    unescape(&rest[i..i + rest[i..].find('"').unwrap()])
}

/// Every hidden input of the first form in `html`, as (name, value).
pub fn hidden_fields(html: &str) -> Vec<(String, String)> {
    html.split("<input type=\"hidden\"")
        .skip(1)
        .map(|tag| (attr(tag, "name=", "name"), attr(tag, "value=", "value")))
        .collect()
}

/// Borrows owned form fields as the pairs `post_form` takes.
pub fn as_pairs(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

/// The Location header of a redirect.
pub fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// The text between `start` and the following `end`, for asserting on one block of a page.
pub fn between<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let s = html
        .find(start)
        .unwrap_or_else(|| panic!("{start} not found"))
        + start.len();
    &html[s..s + html[s..].find(end).unwrap_or(html.len() - s)]
}

/// A two-item order for `number`, as checkout would create it.
pub fn sample_order(number: &str) -> kessai::store::NewOrder {
    kessai::store::NewOrder {
        order_number: number.into(),
        member_id: None,
        buyer: kessai::domain::buyer::Buyer {
            email: "buyer@example.jp".into(),
            family_name: "山田".into(),
            given_name: "太郎".into(),
            family_kana: "ヤマダ".into(),
            given_kana: "タロウ".into(),
            postal_code: "100-0001".into(),
            prefecture: "東京都".into(),
            address1: "千代田区千代田1-1".into(),
            address2: "".into(),
            phone: "03-1234-5678".into(),
        },
        delivery_method_id: None,
        delivery_name: "宅急便".into(),
        carrier: "yamato".into(),
        delivery_date: None,
        delivery_time: String::new(),
        shipping_fee: 800,
        fee: 0,
        discount: 100,
        order_status: "new".into(),
        receipt_status: "none".into(),
        payment_method_id: None,
        payment_method_name: "カード決済".into(),
        settlement_kind: "paygent_card".into(),
        note: "".into(),
        items: vec![
            kessai::store::NewOrderItem {
                product_code: "A".into(),
                product_name: "煎茶".into(),
                unit_price: 1080,
                quantity: 2,
            },
            kessai::store::NewOrderItem {
                product_code: "B".into(),
                product_name: "湯呑み".into(),
                unit_price: 3300,
                quantity: 1,
            },
        ],
    }
}

/// A member 山田 花子 with `email` (and no usable password).
pub fn sample_member(email: &str) -> kessai::store::NewMember {
    kessai::store::NewMember {
        buyer: kessai::domain::buyer::Buyer {
            email: email.into(),
            family_name: "山田".into(),
            given_name: "花子".into(),
            family_kana: "ヤマダ".into(),
            given_kana: "ハナコ".into(),
            postal_code: "100-0001".into(),
            prefecture: "東京都".into(),
            address1: "千代田区千代田1-1".into(),
            address2: String::new(),
            phone: "03-1234-5678".into(),
        },
        password_hash: "x".into(),
    }
}

/// A demo checkout for one 静岡産 深蒸し煎茶 (1,080円) paid with the demo's Paygent card
/// method, for a guest or a member.
pub fn checkout_request(
    app: &TestApp,
    member_id: Option<i64>,
) -> kessai::checkout::CheckoutRequest {
    let _ = app;
    kessai::checkout::CheckoutRequest {
        items: vec![kessai::checkout::CartLine {
            product_code: "DEMO-TEA-01".into(),
            quantity: 1,
        }],
        customer: kessai::domain::buyer::Buyer {
            email: "buyer@example.jp".into(),
            family_name: "山田".into(),
            given_name: "太郎".into(),
            family_kana: "ヤマダ".into(),
            given_kana: "タロウ".into(),
            postal_code: "1000001".into(),
            prefecture: "東京都".into(),
            address1: "千代田区千代田1-1".into(),
            address2: String::new(),
            phone: "03-1234-5678".into(),
        },
        member_id,
        delivery_method_id: 1,
        payment_method_id: 0,
        delivery_date: String::new(),
        delivery_time: String::new(),
        note: String::new(),
        return_url: None,
    }
}

impl TestApp {
    /// The id of the demo's payment method of a settlement kind.
    pub async fn payment_method(&self, kind: &str) -> i64 {
        self.state
            .store
            .payment_methods()
            .await
            .unwrap()
            .into_iter()
            .find(|m| m.settlement_kind == kind)
            .unwrap_or_else(|| panic!("the demo has a {kind} method"))
            .id
    }

    /// The demo checkout of `checkout_request`, paid with the demo's method of settlement
    /// kind `kind` and sent with its first delivery method.
    pub async fn checkout_paid_by(
        &self,
        kind: &str,
        member_id: Option<i64>,
    ) -> kessai::checkout::CheckoutRequest {
        let mut req = checkout_request(self, member_id);
        req.payment_method_id = self.payment_method(kind).await;
        req.delivery_method_id = self.state.store.delivery_methods().await.unwrap()[0].id;
        req
    }

    /// Starts a checkout that must be valid.
    pub async fn start_checkout_of(
        &self,
        req: &kessai::checkout::CheckoutRequest,
    ) -> kessai::checkout::Started {
        kessai::checkout::start(&self.state.payments, req)
            .await
            .expect("the checkout starts")
    }

    /// Starts a demo checkout paid by Paygent card.
    pub async fn start_checkout(&self, member_id: Option<i64>) -> kessai::checkout::Started {
        self.start_checkout_of(&self.checkout_paid_by("paygent_card", member_id).await)
            .await
    }

    /// Starts a guest's demo checkout paid with the demo's method of settlement kind `kind`.
    pub async fn start_checkout_paid_by(&self, kind: &str) -> kessai::checkout::Started {
        self.start_checkout_of(&self.checkout_paid_by(kind, None).await)
            .await
    }

    /// Posts the card form of a checkout's hand-off page.
    pub async fn post_card_form(
        &self,
        link_key: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        self.post_form(&format!("/checkout/{link_key}/card"), fields)
            .await
    }

    /// Pays a started checkout on its card form with the sandbox's approved test card and
    /// returns the payment, authorized and with its order.
    pub async fn pay_with_test_card(
        &self,
        started: &kessai::checkout::Started,
    ) -> kessai::store::Payment {
        let card = self.card_token("4900000000000000").await;
        let r = self
            .post_card_form(&started.link_key, &[("card_json", &card)])
            .await;
        assert_eq!(r.status().as_u16(), 303);
        self.payment(started.payment_id).await
    }

    /// A guest's demo checkout paid by card (authorization only): its payment.
    pub async fn card_payment(&self) -> kessai::store::Payment {
        let started = self.start_checkout(None).await;
        self.pay_with_test_card(&started).await
    }

    /// A payment as stored now.
    pub async fn payment(&self, payment_id: i64) -> kessai::store::Payment {
        self.state
            .store
            .payment(payment_id)
            .await
            .unwrap()
            .expect("the payment exists")
    }

    /// The sandbox pushes the notifications it has queued for the shop, as Paygent would;
    /// returns how many it delivered. kessai only stores them: see `deliver_notices`.
    pub async fn push_notices(&self) -> u64 {
        let pushed: serde_json::Value = self
            .client
            .post(self.url("/sandbox/paygent/testtool/notices/deliver"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        pushed["delivered"]
            .as_u64()
            .unwrap_or_else(|| panic!("{pushed}"))
    }

    /// Has every sandbox send the notifications it has queued (Paygent's pushes, Remise's
    /// 収納情報通知, atone's webhooks), then lets the worker process them; returns how many
    /// of Paygent's were delivered.
    pub async fn deliver_notices(&self) -> u64 {
        let delivered = self.push_notices().await;
        for deliver in [
            "/sandbox/remise/backoffice/notices/deliver",
            "/sandbox/atone/testtool/webhooks/deliver",
        ] {
            let r = self.client.post(self.url(deliver)).send().await.unwrap();
            assert!(r.status().is_success(), "{deliver}");
        }
        self.worker.run_until_idle().await.unwrap();
        delivered
    }

    /// A token receipt for a test card, as PaygentToken.js hands it to the card form (JSON).
    pub async fn card_token(&self, card_number: &str) -> String {
        self.card_token_at(&self.url("/sandbox/paygent"), card_number)
            .await
    }

    /// [`TestApp::card_token`] from the Paygent sandbox at `base`.
    pub async fn card_token_at(&self, base: &str, card_number: &str) -> String {
        let r = self
            .client
            .post(format!("{base}/n/token/request"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(
                serde_urlencoded::to_string([
                    ("merchant_id", "123456789"),
                    ("token_generate_key", "sandboxtokenkey"),
                    ("card_number", card_number),
                    ("card_expire_year", "30"),
                    ("card_expire_month", "12"),
                    ("card_cvc", "123"),
                    ("card_name", "TARO YAMADA"),
                ])
                .unwrap(),
            )
            .send()
            .await
            .unwrap();
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["result"], "0000", "{body}");
        let t = &body["tokenizedCardObject"];
        serde_json::json!({
            "token": t["token"], "masked_card_number": t["masked_card_number"],
            "valid_until": t["valid_until"], "fingerprint": t["fingerprint"], "hc": body["hc"],
        })
        .to_string()
    }

    /// Posts a form-encoded body to `path` as a provider would (a notification): its status
    /// and answer.
    pub async fn post_body(&self, path: &str, body: String) -> (u16, String) {
        let r = self
            .client
            .post(self.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    /// Authorizes a checkout at the Paygent sandbox directly, as if kessai had died right
    /// after the buyer's authorization went through: Paygent has the payment (its id is
    /// answered), kessai knows nothing.
    pub async fn authorized_at_paygent_only(&self, started: &kessai::checkout::Started) -> String {
        let receipt: serde_json::Value =
            serde_json::from_str(&self.card_token("4900000000000000").await).unwrap();
        let client = match self
            .state
            .payments
            .connector_of("paygent")
            .await
            .unwrap()
            .expect("Paygent is connected")
        {
            kessai::providers::Connector::Paygent(c) => c.client().unwrap(),
            other => panic!("not Paygent: {other:?}"),
        };
        client
            .authorize(&kessai::providers::paygent::wire::Authorize {
                trading_id: &started.link_key,
                amount: started.amount,
                card_token: receipt["token"].as_str().unwrap(),
                payment_class: "10",
                split_count: None,
                capture: false,
                skip_3ds: true,
                three_ds_auth_id: None,
                security_code_use: false,
                stored_card: None,
            })
            .await
            .unwrap()
            .payment_id
    }

    /// Changes some of Paygent's settings (the rest stay as they are); an empty value of a
    /// secret erases it.
    pub async fn set_paygent(&self, changes: &[(&str, &str)]) {
        self.set_provider("paygent", changes).await;
    }

    /// Changes some of a provider's settings (the rest stay as they are); an empty value of
    /// a secret erases it.
    pub async fn set_provider(&self, provider: &str, changes: &[(&str, &str)]) {
        let spec = kessai::providers::provider(provider).expect("a provider");
        let mut values = self.state.settings.provider(spec).await.unwrap();
        let mut clear = std::collections::BTreeSet::new();
        for (k, v) in changes {
            values.insert((*k).into(), (*v).into());
            if v.is_empty() {
                clear.insert((*k).to_owned());
            }
        }
        let result = self
            .state
            .settings
            .save_provider(
                spec,
                kessai::settings::ProviderSubmission {
                    values,
                    clear,
                    uploads: Default::default(),
                },
                "test",
            )
            .await
            .unwrap();
        assert!(
            matches!(result, kessai::settings::SaveResult::Saved),
            "{result:?}"
        );
    }

    /// A member to buy as.
    pub async fn create_member(&self, email: &str) -> i64 {
        self.state
            .store
            .create_member(&sample_member(email), self.state.clock.now())
            .await
            .unwrap()
            .expect("a new e-mail address")
    }

    /// A payment's history as (処理区分, outcome) pairs.
    pub async fn history(&self, payment_id: i64) -> Vec<(String, String)> {
        self.state
            .store
            .payment_operations(payment_id)
            .await
            .unwrap()
            .into_iter()
            .map(|row| (row.label, row.outcome))
            .collect()
    }

    /// The buyer pays in Paidy Checkout (the sandbox's stand-in, called as its script would)
    /// and the page posts Paidy's answer to kessai.
    pub async fn pay_with_paidy(&self, link_key: &str, email: &str) -> reqwest::Response {
        let app = self;
        let (_, page) = app.page(&format!("/checkout/{link_key}")).await;
        assert!(
            page.contains("src=\"http:&#x2f;&#x2f;")
                && page.contains("&#x2f;sandbox&#x2f;paygent&#x2f;paidy&#x2f;paidy.js"),
            "{page}"
        );
        let attr = |name: &str| attr(&page, &format!("{name}="), name);
        let payload: serde_json::Value = serde_json::from_str(&attr("data-payload")).unwrap();
        assert_eq!(payload["order"]["order_ref"], link_key);
        let closed: serde_json::Value = app
            .client
            .post(app.url("/sandbox/paygent/paidy/checkout"))
            .json(&serde_json::json!({
                "api_key": attr("data-public-key"), "payload": payload, "email": email,
                "phone": "09012345678",
            }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        app.post_form(
            &format!("/checkout/{link_key}/paidy"),
            &[
                ("paidy_payment_id", closed["id"].as_str().unwrap()),
                ("status", closed["status"].as_str().unwrap()),
            ],
        )
        .await
    }
}
