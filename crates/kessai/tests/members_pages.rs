//! The member pages as a buyer drives them: 新規会員登録, ログイン / ログアウト, a purchase
//! as a member, マイページ with 購入履歴, クレジットカード登録 / 変更 / 削除, 会員情報編集
//! and 退会, against the demo shop and the built-in Paygent sandbox.

mod common;

use common::{csrf_of, location, TestApp};

const PASSWORD: &str = "hanako-secret-1";

/// 新規会員登録 as the form posts it.
fn registration() -> Vec<(&'static str, &'static str)> {
    vec![
        ("email", "Hanako@Example.jp"),
        ("email_confirm", "Hanako@Example.jp"),
        ("family_name", "佐藤"),
        ("given_name", "花子"),
        ("family_kana", "サトウ"),
        ("given_kana", "ハナコ"),
        ("postal_code", "530-0001"),
        ("prefecture", "大阪府"),
        ("address1", "大阪市北区梅田1-1"),
        ("address2", "梅田ビル5F"),
        ("phone", "06-1234-5678"),
        ("password", PASSWORD),
        ("password_confirm", PASSWORD),
    ]
}

async fn register(app: &TestApp, fields: &[(&str, &str)]) -> reqwest::Response {
    app.post_page_form("/member/register", "/member/register", fields)
        .await
}

async fn log_in(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    app.post_page_form(
        "/member/login",
        "/member/login",
        &[
            ("email", email),
            ("password", password),
            ("next", "/member"),
        ],
    )
    .await
}

/// The shop session cookie a response sets.
fn session_cookie(r: &reqwest::Response) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("kessai_shop="))
        .map(|c| c.split(';').next().unwrap().to_owned())
}

async fn member_id(app: &TestApp) -> i64 {
    app.state
        .store
        .member_by_email("hanako@example.jp")
        .await
        .unwrap()
        .expect("registered")
        .id
}

/// Buys one 煎茶 through the storefront as the logged-in member (お客様情報 prefilled from
/// the member) and returns the link key of the started checkout.
async fn buy_as_member(app: &TestApp) -> String {
    app.add_to_cart("DEMO-TEA-01", "1").await;
    let (_, customer) = app.page("/cart/customer").await;
    assert!(
        customer.contains("value=\"hanako@example.jp\""),
        "prefilled from the member"
    );
    assert!(customer.contains("value=\"大阪市北区梅田1-1\""));
    let mut fields: Vec<(&str, &str)> = registration()
        .into_iter()
        .filter(|(k, _)| !k.starts_with("password"))
        .collect();
    fields.retain(|(k, _)| !k.starts_with("email"));
    fields.push(("email", "hanako@example.jp"));
    fields.push(("email_confirm", "hanako@example.jp"));
    let r = app
        .post_page_form("/cart/customer", "/cart/customer", &fields)
        .await;
    assert_eq!(location(&r), "/cart/delivery");
    let method = app.state.store.delivery_methods().await.unwrap()[0].id;
    let card = app.payment_method("paygent_card").await.to_string();
    let r = app
        .post_page_form(
            "/cart/delivery",
            "/cart/delivery",
            &[
                ("delivery_method_id", &method.to_string()),
                ("payment_method_id", &card),
                ("note", ""),
            ],
        )
        .await;
    assert_eq!(location(&r), "/cart/confirm");
    let r = app
        .post_page_form("/cart/confirm", "/cart/order", &[])
        .await;
    location(&r)
        .strip_prefix("/checkout/")
        .expect("the hand-off")
        .to_owned()
}

#[tokio::test]
async fn a_member_registers_buys_and_sees_the_order_in_the_member_page() {
    // Arrange
    let app = TestApp::demo().await;

    // Act: register (logged in at once).
    let r = register(&app, &registration()).await;

    // Assert
    assert_eq!(location(&r), "/member");
    let (status, home) = app.page("/member").await;
    assert_eq!(status, 200);
    assert!(home.contains("会員登録が完了しました。"));
    assert!(home.contains("佐藤 花子 様") && home.contains("hanako@example.jp"));
    assert!(home.contains("購入履歴はありません。"));
    assert!(
        home.contains("クレジットカード登録はこちら"),
        "the demo keeps cards"
    );

    // Act: buy, keeping the card for next time.
    let link_key = buy_as_member(&app).await;
    let (_, card_form) = app.page(&format!("/checkout/{link_key}")).await;
    assert!(card_form.contains("このカードを登録して次回から入力を省略する"));
    let card = app.card_token("4900000000000000").await;
    let register_token = app.card_token("4900000000000000").await;
    let r = app
        .post_card_form(
            &link_key,
            &[
                ("card_json", &card),
                ("register_json", &register_token),
                ("payment_choice", "10"),
            ],
        )
        .await;
    let (_, done) = app.follow(r).await;

    // Assert
    let order_number = common::between(&done, "id=\"order-number\">", "<").to_owned();
    let member = member_id(&app).await;
    let payment = app
        .state
        .store
        .payment_by_link_key(&link_key)
        .await
        .unwrap()
        .unwrap();
    let order = app
        .state
        .store
        .order(payment.order_id.unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(order.member_id, Some(member));
    assert_eq!(order.buyer.prefecture, "大阪府");
    let (_, home) = app.page("/member").await;
    let history = common::between(&home, "id=\"order-history\">", "</table>");
    assert!(history.contains(&order_number), "{history}");
    assert!(history.contains("1,080円") && history.contains("新規受付"));
    assert!(home.contains("クレジットカード変更はこちら"));
    assert!(common::between(&home, "id=\"stored-cards\">", "</table>").contains("下4桁 0000"));
}

#[tokio::test]
async fn registration_errors_name_fields_and_an_address_is_registered_once() {
    // Arrange
    let app = TestApp::demo().await;
    let mut bad = registration();
    bad.retain(|(k, _)| !matches!(*k, "password_confirm" | "given_kana" | "address1"));
    bad.push(("password_confirm", "something-else"));
    bad.push(("given_kana", "はなこ"));
    bad.push(("address1", "大阪市北区梅田Ⅲ"));

    // Act
    let r = register(&app, &bad).await;

    // Assert
    assert_eq!(r.status().as_u16(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("パスワード（確認用）がパスワードと一致しません"));
    assert!(html.contains("メイは全角カタカナで入力してください"));
    assert!(html.contains("住所に使用できない文字（機種依存文字など）が含まれています: 「Ⅲ」"));
    assert!(html.contains("value=\"はなこ\""), "the input is kept");
    assert!(
        !html.contains(PASSWORD),
        "a password is never written back into the page"
    );

    // Act: register properly, log out, then the same address again (in other letter case).
    let r = register(&app, &registration()).await;
    assert_eq!(location(&r), "/member");
    let r = app.post_page_form("/member", "/member/logout", &[]).await;
    assert_eq!(location(&r), "/");
    let mut again = registration();
    again.retain(|(k, _)| !k.starts_with("email"));
    again.push(("email", "hanako@example.jp"));
    again.push(("email_confirm", "hanako@example.jp"));
    let r = register(&app, &again).await;

    // Assert
    assert_eq!(r.status().as_u16(), 422);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("このメールアドレスは既に登録されています"));
}

#[tokio::test]
async fn login_rotates_the_session_and_logout_ends_it() {
    // Arrange
    let app = TestApp::demo().await;
    register(&app, &registration()).await;
    let r = app.post_page_form("/member", "/member/logout", &[]).await;
    assert_eq!(location(&r), "/");
    let guest_cookie = session_cookie(&r).expect("logout starts a new session");
    let (_, top) = app.page("/").await;
    assert!(top.contains("ログアウトしました。"));
    let r = app.get("/member").await;
    assert_eq!(
        location(&r),
        "/member/login?next=/member",
        "マイページ needs a login"
    );

    // Act
    let wrong = log_in(&app, "hanako@example.jp", "not-the-password").await;
    let right = log_in(&app, "HANAKO@example.jp", PASSWORD).await;

    // Assert
    assert_eq!(wrong.status().as_u16(), 401);
    assert!(wrong
        .text()
        .await
        .unwrap()
        .contains("メールアドレスまたはパスワードが正しくありません。"));
    assert_eq!(location(&right), "/member");
    let member_cookie = session_cookie(&right).expect("a new session cookie");
    assert_ne!(member_cookie, guest_cookie);
    let (status, home) = app.page("/member").await;
    assert_eq!(status, 200);
    assert!(home.contains("ログインしました。"));
    // The token from before the login is worth nothing now.
    let stranger = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = stranger
        .get(app.url("/cart"))
        .header("cookie", guest_cookie)
        .send()
        .await
        .unwrap();
    assert!(
        session_cookie(&r).is_some(),
        "the old token names no session: a new one is started"
    );
    let r = stranger
        .get(app.url("/member"))
        .header("cookie", member_cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "the new token is the member's");
}

#[tokio::test]
async fn too_many_failed_logins_lock_the_member_login_for_a_while() {
    // Arrange
    let app = TestApp::demo().await;
    for _ in 0..5 {
        let r = log_in(&app, "nobody@example.jp", "wrong-password").await;
        assert_eq!(r.status().as_u16(), 401);
    }

    // Act
    let locked = log_in(&app, "nobody@example.jp", "wrong-password").await;
    app.state
        .clock
        .advance(chrono::Duration::minutes(16))
        .unwrap();
    let later = log_in(&app, "nobody@example.jp", "wrong-password").await;

    // Assert
    assert_eq!(locked.status().as_u16(), 429);
    assert!(locked
        .text()
        .await
        .unwrap()
        .contains("ログインの試行回数が多すぎます。"));
    assert_eq!(later.status().as_u16(), 401);
}

#[tokio::test]
async fn a_member_registers_changes_and_deletes_a_card_on_the_member_page() {
    // Arrange
    let app = TestApp::demo().await;
    register(&app, &registration()).await;
    let member = member_id(&app).await;
    let (status, page) = app.page("/member/card").await;
    assert_eq!(status, 200);
    assert!(page.contains("PaygentToken.js") && page.contains("クレジットカード登録"));

    // Act: register.
    let token = app.card_token("4900000000000000").await;
    let r = app
        .post_page_form("/member/card", "/member/card", &[("card_json", &token)])
        .await;

    // Assert
    assert_eq!(location(&r), "/member");
    let (_, home) = app.page("/member").await;
    assert!(home.contains("クレジットカードを登録しました。"));
    let first = app
        .state
        .store
        .stored_cards(member, "paygent", "test")
        .await
        .unwrap();
    assert_eq!(first.len(), 1);

    // Act: change (a new card replaces the kept one).
    let (_, page) = app.page("/member/card").await;
    assert!(page.contains("クレジットカード変更"));
    let token = app.card_token("4111111111111111").await;
    let r = app
        .post_form(
            "/member/card",
            &[
                ("csrf", &csrf_of(&page)),
                ("card_json", &token),
                ("replace_card_id", &first[0].id.to_string()),
            ],
        )
        .await;

    // Assert
    assert_eq!(location(&r), "/member");
    let (_, home) = app.page("/member").await;
    assert!(home.contains("クレジットカードを変更しました。"), "{home}");
    let changed = app
        .state
        .store
        .stored_cards(member, "paygent", "test")
        .await
        .unwrap();
    assert_eq!(changed.len(), 1);
    assert_ne!(changed[0].card_ref, first[0].card_ref);
    assert_eq!(changed[0].last4, "1111");

    // Act: delete.
    let r = app
        .post_page_form(
            "/member",
            "/member/card/delete",
            &[("card_id", &changed[0].id.to_string())],
        )
        .await;

    // Assert
    assert_eq!(location(&r), "/member");
    let (_, home) = app.page("/member").await;
    assert!(home.contains("クレジットカードを削除しました。"));
    assert!(home.contains("クレジットカード登録はこちら"));
    assert!(app
        .state
        .store
        .stored_cards(member, "paygent", "test")
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn a_forged_card_token_is_refused_on_the_member_page() {
    // Arrange
    let app = TestApp::demo().await;
    register(&app, &registration()).await;
    let token = app.card_token("4900000000000000").await;
    let forged = token.replace("\"hc\":\"", "\"hc\":\"0");

    // Act
    let r = app
        .post_page_form("/member/card", "/member/card", &[("card_json", &forged)])
        .await;

    // Assert
    assert_eq!(r.status().as_u16(), 422);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("カード情報を確認できませんでした。もう一度入力してください。"));
    assert!(app
        .state
        .store
        .stored_cards(member_id(&app).await, "paygent", "test")
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn a_member_edits_their_details_with_the_same_validation() {
    // Arrange
    let app = TestApp::demo().await;
    register(&app, &registration()).await;
    let mut changed: Vec<(&str, &str)> = registration()
        .into_iter()
        .filter(|(k, _)| !k.starts_with("password") && !k.starts_with("email"))
        .filter(|(k, _)| *k != "address1")
        .collect();
    changed.push(("email", "hanako@example.jp"));
    changed.push(("address1", "大阪市中央区難波2-2"));
    let mut mismatched = changed.clone();
    mismatched.push(("email_confirm", "typo@example.jp"));
    changed.push(("email_confirm", "hanako@example.jp"));
    changed.push(("password", ""));
    changed.push(("password_confirm", ""));

    // Act
    let bad = app
        .post_page_form("/member/edit", "/member/edit", &mismatched)
        .await;
    let good = app
        .post_page_form("/member/edit", "/member/edit", &changed)
        .await;

    // Assert
    assert_eq!(bad.status().as_u16(), 422);
    assert!(bad
        .text()
        .await
        .unwrap()
        .contains("メールアドレス（確認用）がメールアドレスと一致しません"));
    assert_eq!(location(&good), "/member");
    let member = app
        .state
        .store
        .member(member_id(&app).await)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(member.buyer.address1, "大阪市中央区難波2-2");
    let (_, home) = app.page("/member").await;
    assert!(home.contains("会員情報を更新しました。"));
    app.post_page_form("/member", "/member/logout", &[]).await;
    let r = log_in(&app, "hanako@example.jp", PASSWORD).await;
    assert_eq!(
        location(&r),
        "/member",
        "an empty password field keeps the password"
    );
}

#[tokio::test]
async fn a_member_withdraws_and_can_no_longer_log_in() {
    // Arrange: a member with a kept card.
    let app = TestApp::demo().await;
    register(&app, &registration()).await;
    let member = member_id(&app).await;
    let token = app.card_token("4900000000000000").await;
    app.post_page_form("/member/card", "/member/card", &[("card_json", &token)])
        .await;
    let (status, page) = app.page("/member/withdraw").await;
    assert_eq!(status, 200);
    assert!(page.contains("退会する"));

    // Act
    let r = app
        .post_page_form("/member/withdraw", "/member/withdraw", &[])
        .await;

    // Assert
    assert_eq!(location(&r), "/");
    let (_, top) = app.page("/").await;
    assert!(top.contains("退会手続きが完了しました。"));
    let withdrawn = app.state.store.member(member).await.unwrap().unwrap();
    assert!(withdrawn.withdrawn_at.is_some());
    assert!(
        app.state
            .store
            .stored_cards(member, "paygent", "test")
            .await
            .unwrap()
            .is_empty(),
        "the kept card is deleted at Paygent and here"
    );
    let r = app.get("/member").await;
    assert_eq!(location(&r), "/member/login?next=/member");
    let r = log_in(&app, "hanako@example.jp", PASSWORD).await;
    assert_eq!(r.status().as_u16(), 401);
}
