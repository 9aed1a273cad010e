//! The security headers of every kind of route, driven like a browser against the demo:
//! the admin console logged in and out, the storefront as a guest and as a member, the
//! hand-off page of each provider, 3-D Secure, 購入完了 (with and without the operator's
//! conversion tag), the API, notifications, scripts, the sandboxes, HSTS behind an https
//! public URL, and Retry-After on a locked login.

mod common;

use std::collections::BTreeMap;

use common::{csrf_of, forms, location, TestApp, ADMIN_PASSWORD};
use reqwest::header::HeaderMap;

/// One response as the tests read it.
struct Fetched {
    path: String,
    /// The origin the request went to: the test server's, which is its public URL too.
    site: String,
    status: u16,
    headers: HeaderMap,
    body: String,
}

impl Fetched {
    async fn of(path: &str, r: reqwest::Response) -> Fetched {
        Fetched {
            path: path.to_owned(),
            site: r.url().origin().ascii_serialization(),
            status: r.status().as_u16(),
            headers: r.headers().clone(),
            body: r.text().await.unwrap(),
        }
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    /// The Content-Security-Policy's directives, by name.
    fn csp(&self) -> BTreeMap<String, Vec<String>> {
        let csp = self
            .header("content-security-policy")
            .unwrap_or_else(|| panic!("{}: no Content-Security-Policy", self.path));
        csp.split(';')
            .filter_map(|d| {
                let mut words = d.split_whitespace().map(str::to_owned);
                Some((words.next()?, words.collect()))
            })
            .collect()
    }

    /// The sources of one directive (empty when it is absent).
    fn sources(&self, directive: &str) -> Vec<String> {
        self.csp().remove(directive).unwrap_or_default()
    }

    /// The nonce of the strict policy.
    fn nonce(&self) -> String {
        let scripts = self.sources("script-src");
        scripts[0]
            .strip_prefix("'nonce-")
            .and_then(|n| n.strip_suffix('\''))
            .unwrap_or_else(|| panic!("{}: script-src {scripts:?}", self.path))
            .to_owned()
    }
}

async fn get(app: &TestApp, path: &str) -> Fetched {
    Fetched::of(path, app.get(path).await).await
}

/// What every response outside the sandboxes carries.
fn assert_protected(f: &Fetched, referrer: &str) {
    let path = &f.path;
    assert_eq!(
        f.header("x-content-type-options"),
        Some("nosniff"),
        "{path}"
    );
    assert_eq!(f.header("x-frame-options"), Some("DENY"), "{path}");
    assert_eq!(f.header("referrer-policy"), Some(referrer), "{path}");
    assert_eq!(f.header("cache-control"), Some("no-store"), "{path}");
    assert_eq!(f.sources("frame-ancestors"), ["'none'"], "{path}");
    assert_eq!(
        f.header("strict-transport-security"),
        None,
        "{path}: the public URL is http"
    );
}

/// A page of kessai's own under the strict policy: only scripts with the response's nonce
/// run, nothing of a provider is allowed, forms post to kessai only, no inline script or
/// event handler is left to be blocked.
fn assert_strict(f: &Fetched, referrer: &str) {
    assert_protected(f, referrer);
    let path = &f.path;
    let nonce = f.nonce();
    assert_eq!(f.sources("script-src").len(), 1, "{path}: nonce only");
    assert_eq!(f.sources("default-src"), ["'none'"], "{path}");
    assert_eq!(f.sources("connect-src"), ["'self'"], "{path}");
    assert_eq!(
        f.sources("form-action"),
        ["'self'", f.site.as_str()],
        "{path}: kessai's own forms post to its public URL"
    );
    assert_eq!(f.sources("frame-src"), Vec::<String>::new(), "{path}");
    assert_eq!(f.sources("base-uri"), ["'none'"], "{path}");
    assert_scripts_carry(f, &nonce);
}

/// Every `<script>` of the page loads a file and carries the nonce; no element has an
/// inline event handler.
fn assert_scripts_carry(f: &Fetched, nonce: &str) {
    let path = &f.path;
    for tag in f.body.split("<script").skip(1) {
        let tag = &tag[..tag.find('>').unwrap()];
        assert!(tag.contains(" src=\""), "{path}: an inline script: {tag}");
        assert!(
            tag.contains(&format!(" nonce=\"{nonce}\"")),
            "{path}: a script without the nonce: {tag}"
        );
    }
    for tag in f.body.split('<').skip(1) {
        let tag = &tag[..tag.find('>').unwrap_or(tag.len())];
        let handler = tag.split_whitespace().skip(1).find(|a| {
            a.strip_prefix("on")
                .and_then(|rest| rest.split_once('='))
                .is_some_and(|(name, _)| name.chars().all(|c| c.is_ascii_lowercase()))
        });
        assert_eq!(handler, None, "{path}: an inline event handler in <{tag}>");
    }
}

/// A page of a provider whose scripts and pages are at `origin`: the strict policy widened
/// by that origin.
fn assert_provider_page(f: &Fetched, origin: &str) {
    assert_protected(f, "strict-origin-when-cross-origin");
    let nonce = f.nonce();
    let path = &f.path;
    assert_eq!(
        f.sources("script-src"),
        [format!("'nonce-{nonce}'"), origin.to_owned()],
        "{path}"
    );
    assert!(
        f.sources("connect-src").contains(&origin.to_owned()),
        "{path}"
    );
    assert_eq!(f.sources("frame-src"), [origin], "{path}");
    assert_scripts_carry(f, &nonce);
}

/// HTML kessai shows as it is: its inline scripts run (no nonce), it may post anywhere over
/// https, and still nobody frames it.
fn assert_foreign(f: &Fetched) {
    assert_protected(f, "strict-origin-when-cross-origin");
    let path = &f.path;
    let scripts = f.sources("script-src");
    assert!(scripts.contains(&"'unsafe-inline'".to_owned()), "{path}");
    assert!(
        !scripts.iter().any(|s| s.starts_with("'nonce-")),
        "{path}: a nonce would switch 'unsafe-inline' off"
    );
    assert!(
        f.sources("form-action").contains(&"https:".to_owned()),
        "{path}"
    );
    assert_eq!(f.sources("object-src"), ["'none'"], "{path}");
}

/// JSON, CSV, scripts and other answers that are no page: nothing may run or frame them.
fn assert_not_a_page(f: &Fetched, referrer: &str) {
    assert_protected(f, referrer);
    assert_eq!(f.sources("default-src"), ["'none'"], "{}", f.path);
}

const ADMIN: &str = "same-origin";
const SHOP: &str = "strict-origin-when-cross-origin";

#[tokio::test]
async fn every_admin_page_runs_only_its_own_nonced_scripts_and_is_never_stored() {
    // Arrange: an order, a member, a started checkout (決済直前ログ) to show.
    let app = TestApp::demo().await;
    let payment = app.card_payment().await;
    let order_id = payment.order_id.unwrap();
    let member_id = app.create_member("hanako@example.jp").await;
    let started = app.start_checkout(None).await;
    let method_id = app.payment_method("paygent_card").await;
    let delivery_id = app.state.store.delivery_methods().await.unwrap()[0].id;
    let login = get(&app, "/admin/login").await;
    let locked_out = get(&app, "/admin/orders").await;
    app.login().await;
    let csrf = app.csrf().await;
    let r = app
        .post_form(
            "/admin/system",
            &[("csrf", &csrf), ("prepayment_log_recovery", "on")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303, "決済直前ログ on");

    // Act
    let mut pages = Vec::new();
    for path in [
        "/admin".to_owned(),
        "/admin/orders".to_owned(),
        format!("/admin/orders/{order_id}"),
        "/admin/members".to_owned(),
        format!("/admin/members/{member_id}"),
        "/admin/payment-errors".to_owned(),
        "/admin/prepayment-logs".to_owned(),
        format!("/admin/prepayment-logs/{}", started.link_key),
        "/admin/mails".to_owned(),
        "/admin/shop".to_owned(),
        "/admin/system".to_owned(),
        "/admin/settlement".to_owned(),
        "/admin/settlement/paygent".to_owned(),
        "/admin/settlement/remise".to_owned(),
        "/admin/settlement/atone".to_owned(),
        "/admin/settlement/yamato".to_owned(),
        "/admin/payment-methods".to_owned(),
        format!("/admin/payment-methods/{method_id}"),
        "/admin/delivery".to_owned(),
        format!("/admin/delivery/{delivery_id}"),
        "/admin/jobs".to_owned(),
        "/admin/audit".to_owned(),
        "/admin/api-keys".to_owned(),
    ] {
        pages.push(get(&app, &path).await);
    }
    let csv = get(&app, "/admin/orders/export").await;
    let missing = get(&app, "/admin/orders/999999").await;
    let posted = Fetched::of(
        "/admin/shop (POST)",
        app.post_form("/admin/shop", &[("csrf", "wrong")]).await,
    )
    .await;

    // Assert
    for page in &pages {
        assert_eq!(page.status, 200, "{}", page.path);
        assert!(page.body.contains("/assets/pages.js"), "{}", page.path);
        assert_strict(page, ADMIN);
    }
    assert_strict(&login, ADMIN);
    assert_eq!(locked_out.status, 303);
    assert_protected(&locked_out, ADMIN);
    assert_not_a_page(&csv, ADMIN);
    assert_eq!(missing.status, 404);
    assert_strict(&missing, ADMIN);
    assert_eq!(posted.status, 403);
    assert_strict(&posted, ADMIN);
}

#[tokio::test]
async fn every_response_has_a_nonce_of_its_own() {
    let app = TestApp::demo().await;
    app.login().await;

    let first = get(&app, "/admin/orders").await;
    let second = get(&app, "/admin/orders").await;

    assert_ne!(first.nonce(), second.nonce());
    assert!(first.nonce().len() >= 22, "at least 128 bits");
}

/// A member registered through the form and logged in.
async fn registered_member(app: &TestApp) {
    let password = "hanako-secret-1";
    let r = app
        .post_page_form(
            "/member/register",
            "/member/register",
            &[
                ("email", "hanako@example.jp"),
                ("email_confirm", "hanako@example.jp"),
                ("family_name", "佐藤"),
                ("given_name", "花子"),
                ("family_kana", "サトウ"),
                ("given_kana", "ハナコ"),
                ("postal_code", "530-0001"),
                ("prefecture", "大阪府"),
                ("address1", "大阪市北区梅田1-1"),
                ("address2", ""),
                ("phone", "06-1234-5678"),
                ("password", password),
                ("password_confirm", password),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    if app.get("/member").await.status().as_u16() != 200 {
        let r = app
            .post_page_form(
                "/member/login",
                "/member/login",
                &[("email", "hanako@example.jp"), ("password", password)],
            )
            .await;
        assert_eq!(r.status().as_u16(), 303);
    }
}

#[tokio::test]
async fn storefront_and_member_pages_are_strict_and_the_card_page_allows_only_its_provider() {
    // Arrange: a guest with a cart up to 内容確認.
    let app = TestApp::demo().await;
    let origin = app.address.clone();
    app.add_to_cart("DEMO-TEA-01", "1").await;
    let mut guest = Vec::new();
    for path in ["/", "/item/DEMO-TEA-01", "/cart", "/cart/customer"] {
        guest.push(get(&app, path).await);
    }
    let r = app
        .post_page_form(
            "/cart/customer",
            "/cart/customer",
            &[
                ("email", "buyer@example.jp"),
                ("email_confirm", "buyer@example.jp"),
                ("family_name", "山田"),
                ("given_name", "太郎"),
                ("family_kana", "ヤマダ"),
                ("given_kana", "タロウ"),
                ("postal_code", "1000001"),
                ("prefecture", "東京都"),
                ("address1", "千代田区千代田1-1"),
                ("address2", ""),
                ("phone", "03-1234-5678"),
            ],
        )
        .await;
    assert_eq!(location(&r), "/cart/delivery");
    guest.push(get(&app, "/cart/delivery").await);
    let delivery = app.state.store.delivery_methods().await.unwrap()[0]
        .id
        .to_string();
    let card = app.payment_method("paygent_card").await.to_string();
    let r = app
        .post_page_form(
            "/cart/delivery",
            "/cart/delivery",
            &[
                ("delivery_method_id", &delivery),
                ("payment_method_id", &card),
                ("note", ""),
            ],
        )
        .await;
    assert_eq!(location(&r), "/cart/confirm");
    guest.push(get(&app, "/cart/confirm").await);
    for path in ["/member/login", "/member/register", "/item/NO-SUCH-ITEM"] {
        guest.push(get(&app, path).await);
    }
    registered_member(&app).await;

    // Act
    let mut member = Vec::new();
    for path in ["/member", "/member/edit", "/member/withdraw"] {
        member.push(get(&app, path).await);
    }
    let card_page = get(&app, "/member/card").await;

    // Assert
    for page in guest.iter().chain(&member) {
        assert!(
            [200, 404].contains(&page.status),
            "{}: {}",
            page.path,
            page.status
        );
        assert_strict(page, SHOP);
    }
    assert!(member[2].body.contains("data-confirm=\"退会しますか？\""));
    assert_eq!(card_page.status, 200);
    assert_provider_page(&card_page, &origin);
    assert_eq!(card_page.sources("form-action")[0], "'self'");
}

#[tokio::test]
async fn each_providers_hand_off_page_allows_that_provider_and_nothing_else() {
    // Arrange: the demo's providers are its built-in sandboxes, on kessai's own origin.
    let app = TestApp::demo().await;
    let origin = app.address.clone();

    // Act
    let mut pages = BTreeMap::new();
    for kind in ["paygent_card", "remise_card", "atone", "yamato_card"] {
        let started = app.start_checkout_paid_by(kind).await;
        pages.insert(
            kind,
            get(&app, &format!("/checkout/{}", started.link_key)).await,
        );
    }

    // Assert: scripts (token scripts, atone's widget) from the provider's origin, with what
    // they call and frame; Remise's link-type form posts to Remise.
    for kind in ["paygent_card", "atone", "yamato_card"] {
        let page = &pages[kind];
        assert_eq!(page.status, 200, "{kind}");
        assert_provider_page(page, &origin);
        assert!(page.body.contains("/checkout/assets/"), "{kind}");
    }
    let remise = &pages["remise_card"];
    assert_protected(remise, SHOP);
    assert_eq!(remise.sources("script-src").len(), 1, "nonce only");
    assert_eq!(remise.sources("form-action"), ["'self'", origin.as_str()]);
    assert!(remise.body.contains("data-auto-submit"));
    assert_scripts_carry(remise, &remise.nonce());
}

#[tokio::test]
async fn a_providers_production_hosts_are_allowed_on_its_pages_only() {
    // Arrange: atone and Remise in their production environments.
    let app = TestApp::demo().await;
    app.set_provider("atone", &[("env", "production")]).await;
    let remise_page = "https://www.remise.jp/rpgw2/pc/card/paycard.aspx";
    app.set_provider(
        "remise",
        &[
            ("env", "production"),
            ("card_send_url", remise_page),
            ("multi", "off"),
            ("extset_url", "https://www.remise.jp/rpgw2/pc/extset.aspx"),
        ],
    )
    .await;
    let widget = app.start_checkout_paid_by("atone").await;
    let card = app.start_checkout_paid_by("remise_card").await;

    // Act
    let widget = get(&app, &format!("/checkout/{}", widget.link_key)).await;
    let card = get(&app, &format!("/checkout/{}", card.link_key)).await;
    let products = get(&app, "/").await;

    // Assert
    assert_provider_page(&widget, "https://auth.atone.be");
    assert_eq!(widget.sources("form-action"), ["'self'", &app.address]);
    assert!(
        card.body
            .contains("action=\"https:&#x2f;&#x2f;www.remise.jp"),
        "{}",
        card.body
    );
    assert_eq!(
        card.sources("form-action"),
        ["'self'", &app.address, "https://www.remise.jp"]
    );
    assert!(!card.sources("script-src").contains(&app.address));
    assert_strict(&products, SHOP);
}

#[tokio::test]
async fn a_3d_secure_page_runs_as_the_provider_wrote_it_and_purchase_complete_is_strict() {
    // Arrange: Paygent asks for 3-D Secure.
    let app = TestApp::demo().await;
    app.set_paygent(&[
        ("three_d_secure", "on"),
        ("three_d_hash_key", "sandbox3dshashkey"),
    ])
    .await;
    let started = app.start_checkout(None).await;
    let card = app.card_token("4900000000000000").await;

    // Act
    let r = app
        .post_card_form(
            &started.link_key,
            &[("card_json", &card), ("cardholder_name", "TARO YAMADA")],
        )
        .await;
    let acs = Fetched::of("3-D Secure", r).await;
    let term = common::attr(&acs.body, "http-equiv=\"refresh\"", "content");
    let term = term.split_once("url=").unwrap().1.replace(&app.address, "");
    let back = app.get(&term).await;
    let done = get(&app, &location(&back)).await;

    // Assert
    assert_eq!(acs.status, 200);
    assert_foreign(&acs);
    assert_eq!(done.status, 200);
    assert!(done.body.contains("購入完了"));
    assert_strict(&done, SHOP);
}

#[tokio::test]
async fn the_page_with_the_operators_conversion_tag_runs_it_once_and_then_is_strict_again() {
    // Arrange: a conversion tag with a script, set in 基本設定.
    let app = TestApp::demo().await;
    app.login().await;
    let (_, html) = app.page("/admin/shop").await;
    let mut fields = forms::form_fields(common::between(&html, "<main>", "</main>"));
    fields.retain(|(name, _)| name != "csrf");
    fields.push(("csrf".into(), csrf_of(&html)));
    forms::set(
        &mut fields,
        "conversion_tag",
        "<script>window.cv = '{order_number}';</script>",
    );
    let r = app
        .post_form("/admin/shop", &common::as_pairs(&fields))
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let started = app.start_checkout(None).await;
    app.pay_with_test_card(&started).await;
    let done = format!("/checkout/{}/done", started.link_key);

    // Act
    let first = get(&app, &done).await;
    let again = get(&app, &done).await;

    // Assert
    assert!(first.body.contains("window.cv"));
    assert_foreign(&first);
    assert!(!again.body.contains("window.cv"));
    assert_strict(&again, SHOP);
}

#[tokio::test]
async fn the_api_notifications_scripts_and_health_are_not_sniffed_framed_or_stored() {
    let app = TestApp::demo().await;

    let openapi = get(&app, "/api/openapi.json").await;
    let unauthorized = get(&app, "/api/v1/orders/1").await;
    let notify = Fetched::of(
        "/notify/paygent",
        app.client
            .post(app.url("/notify/paygent"))
            .body("")
            .send()
            .await
            .unwrap(),
    )
    .await;
    let script = get(&app, "/assets/pages.js").await;
    let provider_script = get(&app, "/checkout/assets/paygent_card.js").await;
    let no_script = get(&app, "/assets/nothing.js").await;
    let health = get(&app, "/healthz").await;
    let missing = get(&app, "/no/such/page").await;

    assert_eq!(openapi.status, 200);
    assert_eq!(unauthorized.status, 401);
    for f in [
        &openapi,
        &unauthorized,
        &notify,
        &script,
        &provider_script,
        &health,
    ] {
        assert_not_a_page(f, SHOP);
    }
    assert_eq!(script.status, 200);
    assert_eq!(
        script.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert!(script.body.contains("data-confirm"));
    assert_eq!(no_script.status, 404);
    assert_eq!(missing.status, 404);
    assert_strict(&missing, SHOP);
}

#[tokio::test]
async fn the_sandboxes_stand_in_for_third_parties_with_their_own_policy_but_are_not_sniffed() {
    let app = TestApp::demo().await;

    let widget = get(&app, "/sandbox/atone/v1/widget").await;
    let script = get(&app, "/sandbox/paygent/js/PaygentToken.js").await;

    for f in [&widget, &script] {
        assert_eq!(f.status, 200, "{}", f.path);
        assert_eq!(f.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(f.header("content-security-policy"), None, "{}", f.path);
        assert_eq!(
            f.header("x-frame-options"),
            None,
            "framed by the shop's page"
        );
    }
}

#[tokio::test]
async fn behind_an_https_public_url_every_response_asks_for_https() {
    // Arrange
    let db = common::TestDatabase::new(common::default_backend()).await;
    let mut config = kessai::Config::for_tests(db.dir.clone(), db.url.clone());
    config.public_url = "https://shop.example.jp".into();
    let app = kessai::App::build(config).await.unwrap();
    let address = app.address();
    tokio::spawn(app.run(std::future::pending()));

    // Act
    let mut answers = Vec::new();
    for path in [
        "/",
        "/admin/login",
        "/healthz",
        "/sandbox/paygent/js/PaygentToken.js",
    ] {
        answers.push(
            reqwest::get(format!("http://{address}{path}"))
                .await
                .unwrap(),
        );
    }

    // Assert
    for r in answers {
        assert_eq!(
            r.headers()
                .get("strict-transport-security")
                .map(|v| v.to_str().unwrap()),
            Some("max-age=31536000"),
            "{}",
            r.url()
        );
    }
}

async fn admin_login(app: &TestApp, password: &str) -> reqwest::Response {
    let (_, html) = app.page("/admin/login").await;
    app.post_form(
        "/admin/login",
        &[
            ("login", "admin"),
            ("password", password),
            ("csrf", &csrf_of(&html)),
        ],
    )
    .await
}

async fn member_login(app: &TestApp, password: &str) -> reqwest::Response {
    app.post_page_form(
        "/member/login",
        "/member/login",
        &[("email", "nobody@example.jp"), ("password", password)],
    )
    .await
}

#[tokio::test]
async fn a_locked_login_says_when_to_try_again() {
    // Arrange: five wrong passwords for the admin and for a member.
    let app = TestApp::demo().await;
    for _ in 0..5 {
        assert_eq!(admin_login(&app, "wrong").await.status().as_u16(), 401);
        assert_eq!(member_login(&app, "wrong").await.status().as_u16(), 401);
    }

    // Act
    let admin = Fetched::of("/admin/login", admin_login(&app, ADMIN_PASSWORD).await).await;
    let member = Fetched::of("/member/login", member_login(&app, "wrong").await).await;

    // Assert: the whole lockout window at most.
    assert_eq!(admin.status, 429);
    assert_eq!(admin.header("retry-after"), Some("900"));
    assert_strict(&admin, ADMIN);
    assert_eq!(member.status, 429);
    assert_eq!(member.header("retry-after"), Some("900"));
    assert_strict(&member, SHOP);
}

#[tokio::test]
async fn the_favicon_is_served() {
    let app = TestApp::demo().await;

    let ico = app.get("/favicon.ico").await;
    let svg = app.get("/assets/favicon.svg").await;

    assert_eq!(ico.status().as_u16(), 308);
    assert_eq!(common::location(&ico), "/assets/favicon.svg");
    assert_eq!(svg.status().as_u16(), 200);
    assert_eq!(svg.headers()["content-type"], "image/svg+xml");
}
