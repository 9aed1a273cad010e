//! The admin console driven like a browser: login, CSRF, rate limit, 基本設定, クレジット決済設定
//! for every provider (good and bad input), 支払方法, 配送設定 and the job screen.

mod common;

use common::{between, csrf_of, location, TestApp, ADMIN_PASSWORD};

const PAGES: &[&str] = &[
    "/admin",
    "/admin/shop",
    "/admin/settlement",
    "/admin/settlement/paygent",
    "/admin/payment-methods",
    "/admin/delivery",
    "/admin/jobs",
    "/admin/audit",
];

#[tokio::test]
async fn admin_pages_are_unreachable_without_login() {
    let app = TestApp::spawn().await;
    for page in PAGES {
        let r = app.get(page).await;
        assert_eq!(r.status().as_u16(), 303, "{page}");
        assert!(location(&r).starts_with("/admin/login?next="), "{page}");
    }
    let r = app.post_form("/admin/shop", &[("shop_name", "x")]).await;
    assert_eq!(
        r.status().as_u16(),
        303,
        "POST without a session goes to login"
    );
}

#[tokio::test]
async fn the_operator_logs_in_sees_every_screen_and_logs_out() {
    let app = TestApp::demo().await;
    app.login().await;
    for page in PAGES {
        let (status, html) = app.page(page).await;
        assert_eq!(status, 200, "{page}");
        assert!(html.contains("ログアウト"), "{page}");
    }
    let csrf = app.csrf().await;
    let r = app.post_form("/admin/logout", &[("csrf", &csrf)]).await;
    assert_eq!(location(&r), "/admin/login");
    assert_eq!(
        app.get("/admin").await.status().as_u16(),
        303,
        "session ended"
    );
}

#[tokio::test]
async fn a_wrong_password_is_refused_and_repeated_failures_lock_the_login() {
    let app = TestApp::spawn().await;
    for _ in 0..5 {
        let (_, html) = app.page("/admin/login").await;
        let r = app
            .post_form(
                "/admin/login",
                &[
                    ("login", "admin"),
                    ("password", "wrong"),
                    ("csrf", &csrf_of(&html)),
                ],
            )
            .await;
        assert_eq!(r.status().as_u16(), 401);
        assert!(r
            .text()
            .await
            .unwrap()
            .contains("ログインIDまたはパスワードが正しくありません"));
    }
    let (_, html) = app.page("/admin/login").await;
    let r = app
        .post_form(
            "/admin/login",
            &[
                ("login", "admin"),
                ("password", ADMIN_PASSWORD),
                ("csrf", &csrf_of(&html)),
            ],
        )
        .await;
    assert_eq!(
        r.status().as_u16(),
        429,
        "even the right password waits out the lockout"
    );
}

#[tokio::test]
async fn a_login_without_its_csrf_cookie_is_refused() {
    let app = TestApp::spawn().await;
    let r = app
        .post_form(
            "/admin/login",
            &[
                ("login", "admin"),
                ("password", ADMIN_PASSWORD),
                ("csrf", "forged"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 403);
}

#[tokio::test]
async fn a_form_without_the_session_csrf_token_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    app.login().await;
    let fields = [
        ("shop_name", "乗っ取り"),
        ("order_email", "a@example.jp"),
        ("sender_email", "a@example.jp"),
    ];
    let r = app.post_form("/admin/shop", &fields).await;
    assert_eq!(r.status().as_u16(), 403);
    let mut forged = fields.to_vec();
    forged.push(("csrf", "not-the-token"));
    assert_eq!(
        app.post_form("/admin/shop", &forged)
            .await
            .status()
            .as_u16(),
        403
    );
    let r = app
        .post_multipart("/admin/settlement/paygent", &[("csrf", "nope")], &[])
        .await;
    assert_eq!(r.status().as_u16(), 403, "multipart forms are checked too");
    assert!(app
        .state
        .settings
        .shop()
        .await
        .unwrap()
        .shop_name
        .is_empty());
}

#[tokio::test]
async fn shop_settings_name_each_wrong_field_and_keep_the_input() {
    let app = TestApp::spawn().await;
    app.login().await;
    let csrf = app.csrf().await;
    let r = app
        .post_form(
            "/admin/shop",
            &[
                ("csrf", &csrf),
                ("shop_name", "テスト商店"),
                ("postal_code", "12-345"),
                ("phone", "abc"),
                ("order_email", "bad"),
                ("sender_email", "ok@example.jp"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("郵便番号は7桁の半角数字で入力してください"));
    assert!(html.contains("電話番号は半角数字10桁または11桁で入力してください"));
    assert!(html.contains("メールアドレスを正しく入力してください"));
    assert!(html.contains("value=\"テスト商店\""), "input kept");
    assert!(
        app.state
            .settings
            .shop()
            .await
            .unwrap()
            .shop_name
            .is_empty(),
        "nothing saved"
    );

    let r = app
        .post_form(
            "/admin/shop",
            &[
                ("csrf", &csrf),
                ("shop_name", "テスト商店"),
                ("company_name", "株式会社テスト"),
                ("postal_code", "1000001"),
                ("phone", "03-1234-5678"),
                ("order_email", "shop@example.jp"),
                ("sender_email", "noreply@example.jp"),
            ],
        )
        .await;
    let (_, html) = app.follow(r).await;
    assert!(html.contains("基本設定を更新しました。"));
    let shop = app.state.settings.shop().await.unwrap();
    assert_eq!(
        (shop.company_name.as_str(), shop.postal_code.as_str()),
        ("株式会社テスト", "100-0001")
    );
}

async fn choose_providers(app: &TestApp, keys: &[&str]) {
    let csrf = app.csrf().await;
    let mut fields = vec![("csrf", csrf.as_str())];
    fields.extend(keys.iter().map(|k| ("provider", *k)));
    let r = app.post_form("/admin/settlement", &fields).await;
    assert_eq!(r.status().as_u16(), 303);
}

#[tokio::test]
async fn an_empty_company_name_warns_before_paygent_fails_with_p006() {
    let app = TestApp::spawn().await;
    app.login().await;
    choose_providers(&app, &["paygent"]).await;
    let (_, html) = app.page("/admin/shop").await;
    assert!(html.contains("会社名が未設定です"), "warning on 基本設定");
    let (_, html) = app.page("/admin/settlement/paygent").await;
    assert!(html.contains("P006"), "warning on the Paygent tab");
}

/// Posts a provider tab with the page's own CSRF token.
async fn save_provider(
    app: &TestApp,
    key: &str,
    fields: &[(&str, &str)],
    files: &[(&str, &str, &[u8])],
) -> reqwest::Response {
    let csrf = app.csrf().await;
    let mut all = vec![("csrf", csrf.as_str())];
    all.extend_from_slice(fields);
    app.post_multipart(&format!("/admin/settlement/{key}"), &all, files)
        .await
}

const PAYGENT_GOOD: &[(&str, &str)] = &[
    ("merchant_id", "123456789"),
    ("connect_id", "connect01"),
    ("connect_password", "topsecretpassword"),
    ("link_hash_key", "linkhash"),
    ("env", "test"),
    ("test_target", "sandbox"),
    ("card", "module"),
    ("token_key", "tokenkey"),
    ("token_hash_key", "tokenhash"),
    ("payment_class", "once"),
    ("card_conf", "off"),
    ("stock_card", "off"),
    ("sales_mode", "auth"),
    ("three_d_secure", "off"),
    ("conv", "off"),
    ("atm", "off"),
    ("netbank", "off"),
    ("paidy", "off"),
];

#[tokio::test]
async fn paygent_settings_are_saved_encrypted_and_shown_masked() {
    let app = TestApp::spawn().await;
    app.login().await;
    choose_providers(&app, &["paygent"]).await;
    let r = save_provider(&app, "paygent", PAYGENT_GOOD, &[]).await;
    let (_, html) = app.follow(r).await;
    assert!(
        html.contains("オプションを更新しました。利用する支払方法を「使用」に更新してください。")
    );
    assert!(
        !html.contains("topsecretpassword"),
        "secrets never reach the page"
    );
    assert!(html.contains("********rd"), "masked secret shown");

    let stored = app
        .state
        .store
        .provider_settings("paygent")
        .await
        .unwrap()
        .unwrap();
    assert!(
        !stored.secrets_json.contains("topsecretpassword"),
        "encrypted at rest"
    );
    assert!(!stored.values_json.contains("topsecretpassword"));

    // Saving again with the secret left blank keeps it.
    let r = save_provider(
        &app,
        "paygent",
        &with(PAYGENT_GOOD, &[("connect_password", "")]),
        &[],
    )
    .await;
    assert_eq!(r.status().as_u16(), 303);
    let values = app
        .state
        .settings
        .provider(&kessai::providers::paygent::settings::SETTINGS)
        .await
        .unwrap();
    assert_eq!(values["connect_password"], "topsecretpassword");
    let (_, html) = app.page("/admin/payment-methods").await;
    assert!(html.contains("<option value=\"paygent_card\">カード決済(ペイジェント)</option>"));
    assert!(
        !html.contains("paygent_conv"),
        "only enabled services are offered"
    );
}

#[tokio::test]
async fn invalid_paygent_settings_name_each_field_stop_its_methods_and_change_nothing() {
    let app = TestApp::demo().await;
    app.login().await;
    let before = app
        .state
        .store
        .provider_settings("paygent")
        .await
        .unwrap()
        .unwrap();
    let bad = with(
        PAYGENT_GOOD,
        &[
            ("merchant_id", "12ab"),
            ("connect_id", ""),
            ("conv", "link"),
            ("conv_days", "70"),
            ("conv_minutes", "30"),
        ],
    );
    let r = save_provider(&app, "paygent", &bad, &[]).await;
    assert_eq!(r.status().as_u16(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("マーチャントIDは半角数字で入力してください"),
        "{}",
        between(&html, "<ul class=\"errors\"", "</ul>")
    );
    assert!(html.contains("接続IDを入力してください"));
    assert!(html.contains("支払期間(日指定)は2から60までの半角数字で入力してください"));
    assert!(html.contains("支払期間(日指定)と支払期間(分指定)の両方を指定することはできません。"));
    assert!(
        html.contains("データに不備があります。支払方法のカード決済(ペイジェント),"),
        "stopped methods named"
    );
    assert!(html.contains("value=\"12ab\""), "operator's input kept");
    let after = app
        .state
        .store
        .provider_settings("paygent")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(before.values_json, after.values_json, "settings unchanged");
    let methods = app.state.store.payment_methods().await.unwrap();
    assert!(methods
        .iter()
        .filter(|m| m.settlement_kind.starts_with("paygent_"))
        .all(|m| !m.active));
    assert!(
        methods
            .iter()
            .filter(|m| m.settlement_kind == "atone")
            .all(|m| m.active),
        "other providers untouched"
    );
}

const PEM: &[u8] =
    b"-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUYWJj\n-----END CERTIFICATE-----\n";

#[tokio::test]
async fn paygent_certificates_are_checked_and_stored_privately_in_a_random_folder() {
    let app = TestApp::spawn().await;
    app.login().await;
    choose_providers(&app, &["paygent"]).await;
    let production = with(PAYGENT_GOOD, &[("env", "production")]);
    let r = save_provider(&app, "paygent", &production, &[]).await;
    let html = r.text().await.unwrap();
    assert!(
        html.contains("クライアント証明書ファイルをアップロードしてください"),
        "required for module type at Paygent"
    );

    let r = save_provider(
        &app,
        "paygent",
        &production,
        &[
            ("client_cert", "client.pem", b"not a certificate"),
            ("ca_file", "ca.crt", PEM),
        ],
    )
    .await;
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("クライアント証明書ファイルはPEM形式の証明書ファイルではありません"));

    let r = save_provider(
        &app,
        "paygent",
        &production,
        &[
            ("client_cert", "client.pem", PEM),
            ("ca_file", "ca.crt", PEM),
        ],
    )
    .await;
    assert_eq!(r.status().as_u16(), 303);
    let values = app
        .state
        .settings
        .provider(&kessai::providers::paygent::settings::SETTINGS)
        .await
        .unwrap();
    let folder = &values["cert_dir"];
    assert!(
        folder.starts_with("certs/") && folder.len() > 10,
        "random folder {folder}"
    );
    let path = app.db.dir.join(folder).join(&values["client_cert"]);
    assert_eq!(std::fs::read(&path).unwrap(), PEM);
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

#[tokio::test]
async fn each_provider_accepts_good_settings_and_refuses_bad_ones() {
    let app = TestApp::spawn().await;
    app.login().await;
    choose_providers(&app, &["paygent", "remise", "atone", "yamato"]).await;
    let csrf = app.csrf().await;
    app.post_form(
        "/admin/delivery",
        &[("csrf", &csrf), ("name", "宅急便"), ("carrier", "yamato")],
    )
    .await;
    let delivery = app.state.store.delivery_methods().await.unwrap()[0]
        .id
        .to_string();

    // (provider, good input, what makes it bad, the error message naming the field)
    type Case<'a> = (
        &'a str,
        Vec<(&'a str, &'a str)>,
        Vec<(&'a str, &'a str)>,
        &'a str,
    );
    let cases: Vec<Case> = vec![
        (
            "remise",
            vec![
                ("shop_code", "SB000001"),
                ("host_id", "12345678"),
                ("card", "on"),
                ("card_job", "auth"),
                ("payquick", "off"),
                ("card_method", "lump"),
                ("env", "test"),
                ("test_target", "sandbox"),
                ("multi", "on"),
                ("multi_pay_days", "7"),
                ("multi_env", "test"),
                ("multi_test_target", "sandbox"),
                ("multi_show_destination", "off"),
            ],
            vec![("multi_pay_days", "31")],
            "支払期限は2から30までの半角数字で入力してください",
        ),
        (
            "atone",
            vec![
                ("public_key", "pk_test_abc"),
                ("secret_key", "sk_test_def"),
                ("env", "test"),
                ("test_target", "sandbox"),
                ("sale_mode", "capture"),
                ("recurring_sale_mode", "capture"),
                ("recurring_mail", "on"),
            ],
            vec![("public_key", "")],
            "公開鍵を入力してください",
        ),
        (
            "yamato",
            vec![
                ("trader_code", "888888801"),
                ("access_key", "1111111"),
                ("env", "test"),
                ("test_target", "sandbox"),
                ("three_d_secure", "off"),
                ("security_code", "on"),
                ("stored_card", "off"),
                ("capture", "auth"),
                ("installments", "lump"),
                ("yamato_delivery", &delivery),
            ],
            vec![("trader_code", "88888880A")],
            "加盟店コードは半角数字で入力してください",
        ),
    ];
    for (key, good, bad, message) in cases {
        let spec = kessai::providers::provider(key).unwrap();
        // Radio values in the table come from the specs; fill any the case leaves out with defaults.
        let defaults = kessai::providers::validate::defaults(spec);
        let mut fields: Vec<(String, String)> = defaults.into_iter().collect();
        for (k, v) in &good {
            fields.retain(|(fk, _)| fk != k);
            fields.push((k.to_string(), v.to_string()));
        }
        let as_refs = |fs: &[(String, String)]| {
            fs.iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect::<Vec<_>>()
        };
        let mut bad_fields = as_refs(&fields);
        for (k, v) in &bad {
            bad_fields.retain(|(fk, _)| fk != k);
            bad_fields.push((k.to_string(), v.to_string()));
        }
        let r = save_provider(&app, key, &common::as_pairs(&bad_fields), &[]).await;
        assert_eq!(r.status().as_u16(), 422, "{key}: bad input refused");
        assert!(
            r.text().await.unwrap().contains(message),
            "{key}: {message}"
        );
        assert!(
            !app.state.settings.provider_saved(spec).await.unwrap(),
            "{key}: nothing saved"
        );
        let r = save_provider(&app, key, &common::as_pairs(&fields), &[]).await;
        let status = r.status().as_u16();
        assert_eq!(
            status,
            303,
            "{key}: good input saved: {}",
            if status != 303 {
                r.text().await.unwrap()
            } else {
                String::new()
            }
        );
        assert!(
            app.state.settings.provider_saved(spec).await.unwrap(),
            "{key}"
        );
    }
    let kinds: Vec<&str> = app
        .state
        .settings
        .enabled_kinds()
        .await
        .unwrap()
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert!(
        kinds.contains(&"remise_card")
            && kinds.contains(&"remise_multi")
            && kinds.contains(&"atone")
            && kinds.contains(&"yamato_card"),
        "{kinds:?}"
    );
}

#[tokio::test]
async fn payment_methods_are_added_sanitized_reordered_and_protected_from_deletion() {
    let app = TestApp::demo().await;
    app.login().await;
    let csrf = app.csrf().await;
    let methods = app.state.store.payment_methods().await.unwrap();

    // Bad input names the fields and keeps the input.
    let r = app
        .post_form(
            "/admin/payment-methods",
            &[
                ("csrf", &csrf),
                ("name", ""),
                ("description", "<b>説明</b>"),
                ("settlement_kind", "unknown"),
                ("active", "on"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("支払方法名を入力してください"));
    assert!(html.contains("この決済種別は選択できません"));
    assert!(
        html.contains("&lt;b&gt;説明&lt;"),
        "description kept in the textarea"
    );

    // Kuroneko Web Collect allows a single method.
    let r = app
        .post_form(
            "/admin/payment-methods",
            &[
                ("csrf", &csrf),
                ("name", "2つ目"),
                ("settlement_kind", "yamato_card"),
                ("active", "on"),
            ],
        )
        .await;
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("複数の支払方法を登録することは出来ません"));

    // Scripts are stripped from descriptions.
    let r = app
        .post_form(
            "/admin/payment-methods",
            &[
                ("csrf", &csrf),
                ("name", "カード(新)"),
                (
                    "description",
                    "<p onclick=\"x()\">VISA<script>alert(1)</script></p>",
                ),
                ("settlement_kind", "paygent_card"),
                ("active", "off"),
            ],
        )
        .await;
    let (_, html) = app.follow(r).await;
    assert!(html.contains("支払方法「カード(新)」を追加しました。"));
    let added = app
        .state
        .store
        .payment_methods()
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.name == "カード(新)")
        .unwrap();
    assert_eq!(added.description_html, "<p>VISA</p>");
    assert!(!added.active);

    // Drag-and-drop order, then one step up without JavaScript.
    let mut ids: Vec<String> = methods.iter().map(|m| m.id.to_string()).collect();
    ids.push(added.id.to_string());
    ids.reverse();
    let mut fields = vec![("csrf", csrf.as_str())];
    fields.extend(ids.iter().map(|id| ("id", id.as_str())));
    assert_eq!(
        app.post_form("/admin/payment-methods/order", &fields)
            .await
            .status()
            .as_u16(),
        303
    );
    assert_eq!(
        app.state.store.payment_methods().await.unwrap()[0].id,
        added.id
    );
    let second = app.state.store.payment_methods().await.unwrap()[1].id;
    app.post_form(
        &format!("/admin/payment-methods/{second}/move"),
        &[("csrf", &csrf), ("dir", "up")],
    )
    .await;
    assert_eq!(
        app.state.store.payment_methods().await.unwrap()[0].id,
        second
    );

    // A method an order references cannot be deleted.
    let mut order = common::sample_order("T-1");
    order.payment_method_id = Some(added.id);
    app.state
        .store
        .create_order(&order, chrono::Utc::now())
        .await
        .unwrap();
    let r = app
        .post_form(
            &format!("/admin/payment-methods/{}/delete", added.id),
            &[("csrf", &csrf)],
        )
        .await;
    let (_, html) = app.follow(r).await;
    assert!(html.contains("削除せずに「停止」にしてください"));
    assert!(app
        .state
        .store
        .payment_method(added.id)
        .await
        .unwrap()
        .is_some());

    // An unreferenced one can.
    let victim = methods[0].id;
    let r = app
        .post_form(
            &format!("/admin/payment-methods/{victim}/delete"),
            &[("csrf", &csrf)],
        )
        .await;
    let (_, html) = app.follow(r).await;
    assert!(html.contains("を削除しました。"));
    assert!(app
        .state
        .store
        .payment_method(victim)
        .await
        .unwrap()
        .is_none());
}

/// `base` with the keys of `overrides` replaced.
fn with<'a>(
    base: &[(&'a str, &'a str)],
    overrides: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut out: Vec<(&str, &str)> = base
        .iter()
        .filter(|(k, _)| !overrides.iter().any(|(o, _)| o == k))
        .copied()
        .collect();
    out.extend_from_slice(overrides);
    out
}

#[tokio::test]
async fn taking_a_provider_out_of_use_stops_its_payment_methods() {
    let app = TestApp::demo().await;
    app.login().await;
    choose_providers(&app, &["paygent", "atone", "yamato"]).await;
    let methods = app.state.store.payment_methods().await.unwrap();
    assert!(methods
        .iter()
        .filter(|m| m.settlement_kind.starts_with("remise_"))
        .all(|m| !m.active));
    assert!(methods
        .iter()
        .filter(|m| m.settlement_kind.starts_with("paygent_"))
        .all(|m| m.active));
    let (_, html) = app.page("/admin/settlement").await;
    assert!(
        !html.contains("href=\"/admin/settlement/remise\""),
        "no tab for a provider out of use"
    );
}

#[tokio::test]
async fn delivery_methods_are_added_edited_and_validated() {
    let app = TestApp::spawn().await;
    app.login().await;
    let csrf = app.csrf().await;
    let r = app
        .post_form(
            "/admin/delivery",
            &[("csrf", &csrf), ("name", ""), ("carrier", "pigeon")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("配送方法名を入力してください")
            && html.contains("配送業者を選択してください")
    );
    let r = app
        .post_form(
            "/admin/delivery",
            &[("csrf", &csrf), ("name", "宅急便"), ("carrier", "yamato")],
        )
        .await;
    let (_, html) = app.follow(r).await;
    assert!(html.contains("<td>宅急便</td><td>クロネコヤマト</td>"));
    let id = app.state.store.delivery_methods().await.unwrap()[0].id;
    let r = app
        .post_form(
            &format!("/admin/delivery/{id}"),
            &[
                ("csrf", &csrf),
                ("name", "宅急便コンパクト"),
                ("carrier", "yamato"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(
        app.state
            .store
            .delivery_method(id)
            .await
            .unwrap()
            .unwrap()
            .name,
        "宅急便コンパクト"
    );
}

#[tokio::test]
async fn the_demo_shop_offers_a_payment_method_for_every_enabled_service() {
    let app = TestApp::demo().await;
    let kinds: Vec<String> = app
        .state
        .store
        .payment_methods()
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.settlement_kind)
        .collect();
    for expected in [
        "paygent_card",
        "paygent_conv",
        "paygent_atm",
        "paygent_netbank",
        "paygent_paidy",
        "remise_card",
        "remise_multi",
        "atone",
        "yamato_card",
    ] {
        assert!(
            kinds.contains(&expected.to_owned()),
            "{expected} missing from {kinds:?}"
        );
    }
    let delivery = app.state.store.delivery_methods().await.unwrap();
    assert!(
        delivery.iter().any(|d| d.carrier == "yamato")
            && delivery.iter().any(|d| d.carrier != "yamato")
    );
    assert!(app.state.store.products().await.unwrap().len() >= 3);
}

#[tokio::test]
async fn a_dead_job_is_shown_to_the_admin_and_can_be_retried() {
    let app = TestApp::spawn().await;
    app.login().await;
    let now = app.state.clock.now();
    let job = kessai::store::NewJob {
        kind: "no_such_kind".into(),
        payload: "{}".into(),
        dedup_key: None,
        run_at: now,
        max_attempts: 1,
    };
    let id = app
        .state
        .store
        .enqueue_job(&job, now)
        .await
        .unwrap()
        .unwrap();
    app.worker.run_until_idle().await.unwrap();
    let (_, html) = app.page("/admin/jobs").await;
    assert!(html.contains("no handler for job kind no_such_kind"));
    let (_, dashboard) = app.page("/admin").await;
    assert!(
        dashboard.contains("<strong>1件</strong>"),
        "dead jobs flagged on the dashboard"
    );
    let csrf = app.csrf().await;
    let r = app
        .post_form(&format!("/admin/jobs/{id}/retry"), &[("csrf", &csrf)])
        .await;
    let (_, html) = app.follow(r).await;
    assert!(html.contains(&format!("ジョブ {id} を再実行待ちにしました。")));
    assert_eq!(
        app.state.store.job(id).await.unwrap().unwrap().state,
        "queued"
    );
}

#[tokio::test]
async fn health_reports_the_database() {
    let app = TestApp::spawn().await;
    assert_eq!(app.get("/healthz").await.status().as_u16(), 200);
    app.state.store.close().await;
    assert_eq!(app.get("/healthz").await.status().as_u16(), 503);
}

#[tokio::test]
async fn admin_cookies_are_http_only_and_secure_behind_https() {
    let db = common::TestDatabase::new(common::default_backend()).await;
    let mut config = kessai::Config::for_tests(db.dir.clone(), db.url.clone());
    config.public_url = "https://shop.example.jp".into();
    let app = kessai::App::build(config).await.unwrap();
    let address = app.address();
    tokio::spawn(app.run(std::future::pending()));
    let r = reqwest::get(format!("http://{address}/admin/login"))
        .await
        .unwrap();
    let cookie = r
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Lax")
            && cookie.ends_with("; Secure"),
        "{cookie}"
    );
}
