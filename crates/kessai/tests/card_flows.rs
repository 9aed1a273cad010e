//! Paygent card flows that leave kessai's pages: EMV 3-D Secure (module type) and the link
//! type's hosted payment page, with the notification the sandbox pushes afterwards.

mod common;

use common::{attr, hidden_fields, location, TestApp};

/// The path and query of an absolute URL on the test server.
fn local(app: &TestApp, url: &str) -> String {
    url.strip_prefix(&app.address).unwrap_or(url).to_owned()
}

/// Where the sandbox's frictionless 3-D Secure page forwards the browser (meta refresh).
fn forwarded_term_url(app: &TestApp, acs: &str) -> String {
    let content = attr(acs, "http-equiv=\"refresh\"", "content");
    local(app, content.split_once("url=").unwrap().1)
}

async fn three_ds_on(app: &TestApp) {
    app.set_paygent(&[
        ("three_d_secure", "on"),
        ("three_d_hash_key", "sandbox3dshashkey"),
        ("chargeback", "on"),
    ])
    .await;
}

/// Adds a product at a price the sandbox's 3-D Secure rules react to.
async fn product_at(app: &TestApp, code: &str, price: i64) {
    app.state
        .store
        .upsert_product(code, "テスト商品", "", price, app.state.clock.now())
        .await
        .unwrap();
}

async fn checkout_of(app: &TestApp, code: &str) -> kessai::checkout::Started {
    let mut req = app.checkout_paid_by("paygent_card", None).await;
    req.items[0].product_code = code.into();
    app.start_checkout_of(&req).await
}

async fn submit(app: &TestApp, link_key: &str, holder: &str) -> reqwest::Response {
    let card = app.card_token("4900000000000000").await;
    app.post_card_form(
        link_key,
        &[("card_json", &card), ("cardholder_name", holder)],
    )
    .await
}

#[tokio::test]
async fn a_frictionless_3d_secure_authentication_leads_to_the_order() {
    let app = TestApp::demo().await;
    three_ds_on(&app).await;
    let started = app.start_checkout(None).await;

    let r = submit(&app, &started.link_key, "TARO YAMADA").await;
    assert_eq!(r.status().as_u16(), 200);
    let acs = r.text().await.unwrap();
    let term = forwarded_term_url(&app, &acs);
    assert!(
        term.starts_with(&format!("/checkout/{}/3ds?", started.link_key)),
        "{term}"
    );

    let r = app.get(&term).await;
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(location(&r), format!("/checkout/{}/done", started.link_key));
    let payment = app.payment(started.payment_id).await;
    assert_eq!(payment.provider_status_label.as_deref(), Some("オーソリOK"));
    assert!(payment.order_id.is_some());
}

#[tokio::test]
async fn a_3d_secure_challenge_passed_authorizes_and_one_failed_asks_for_another_card() {
    let app = TestApp::demo().await;
    three_ds_on(&app).await;
    product_at(&app, "TEST-200K", 200_000).await;

    for (password, ordered) in [("14012", true), ("14042", false)] {
        let started = checkout_of(&app, "TEST-200K").await;
        let r = submit(&app, &started.link_key, "TARO YAMADA").await;
        let challenge = r.text().await.unwrap();
        assert!(challenge.contains("本人認証"), "{challenge}");
        let action = local(&app, &attr(&challenge, "<form", "action"));
        let r = app.post_form(&action, &[("password", password)]).await;
        assert_eq!(r.status().as_u16(), 303);
        let term = local(&app, &location(&r));

        let r = app.get(&term).await;
        let payment = app.payment(started.payment_id).await;
        if ordered {
            assert_eq!(r.status().as_u16(), 303);
            assert_eq!(payment.state, "authorized");
            assert!(payment.order_id.is_some());
        } else {
            assert_eq!(r.status().as_u16(), 422);
            assert!(r
                .text()
                .await
                .unwrap()
                .contains("3Dセキュア認証に失敗しました"));
            assert_eq!(payment.order_id, None);
            assert!(
                app.history(payment.id).await.is_empty(),
                "020 was never sent"
            );
        }
    }
}

#[tokio::test]
async fn chargeback_risk_avoidance_refuses_an_attempt_with_the_shops_liability() {
    let app = TestApp::demo().await;
    three_ds_on(&app).await;
    let started = app.start_checkout(None).await;
    let r = submit(&app, &started.link_key, "BAVUA").await;
    let acs = r.text().await.unwrap();
    let term = forwarded_term_url(&app, &acs);
    assert!(term.contains("attempt_kbn=1"), "{term}");
    let r = app.get(&term).await;
    assert_eq!(r.status().as_u16(), 422);
    assert!(r.text().await.unwrap().contains("チャージバックリスク回避"));
}

#[tokio::test]
async fn a_forged_3d_secure_result_is_refused() {
    let app = TestApp::demo().await;
    three_ds_on(&app).await;
    let started = app.start_checkout(None).await;
    let acs = submit(&app, &started.link_key, "TARO YAMADA")
        .await
        .text()
        .await
        .unwrap();
    let term = forwarded_term_url(&app, &acs);
    let forged = term.replace("hc=", "hc=0");
    let r = app.get(&forged).await;
    assert_eq!(r.status().as_u16(), 422);
    let payment = app.payment(started.payment_id).await;
    assert_eq!(payment.order_id, None);
    assert_eq!(
        app.state.store.payment_errors(10).await.unwrap()[0].status_code,
        "hc"
    );
}

#[tokio::test]
async fn a_link_type_payment_on_paygents_page_becomes_one_order_with_the_pushed_notification() {
    let app = TestApp::demo().await;
    app.set_paygent(&[("card", "link")]).await;
    let started = app.start_checkout(None).await;

    // kessai's hand-off page posts a hashed request to Paygent's link endpoint.
    let (_, handoff) = app.page(&format!("/checkout/{}", started.link_key)).await;
    let action = local(&app, &attr(&handoff, "<form", "action"));
    assert_eq!(action, "/sandbox/paygent/v/u/request");
    let fields = hidden_fields(&handoff);
    let r = app.post_form(&action, &common::as_pairs(&fields)).await;
    let page = r.text().await.unwrap();
    assert!(page.contains("1,080"), "{page}");

    // The buyer pays on Paygent's page.
    let r = app.pay_on_link_page(&page).await;
    assert_eq!(r.status().as_u16(), 303);
    let (_, done) = app.page(&local(&app, &location(&r))).await;
    assert!(done.contains("ショップに戻る"), "{done}");

    // Paygent pushes the notification; the buyer comes back; both confirm the same order.
    assert_eq!(app.push_notices().await, 1);
    let r = app
        .get(&format!("/checkout/{}/return", started.link_key))
        .await;
    assert_eq!(r.status().as_u16(), 303);
    app.worker.run_until_idle().await.unwrap();

    let payment = app.payment(started.payment_id).await;
    assert_eq!(payment.provider_status_label.as_deref(), Some("オーソリOK"));
    let logs = app.state.store.prepayment_logs(10).await.unwrap();
    assert_eq!(logs.iter().filter(|l| l.order_id.is_some()).count(), 1);
    assert_eq!(payment.order_id, logs[0].order_id);
    let n = app.state.store.notifications(10).await.unwrap();
    assert_eq!(n.len(), 1);
    assert_eq!(n[0].status, "processed");

    // The operator captures it by module telegram like any card payment.
    let captured = app
        .state
        .payments
        .perform(
            payment.id,
            &kessai::payments::OperationRequest::new(
                kessai::domain::payment::Operation::Capture,
                "admin",
            ),
        )
        .await
        .unwrap();
    assert_eq!(captured.provider_status_label.as_deref(), Some("消込済"));
}

#[tokio::test]
async fn a_buyer_back_from_the_link_page_without_paying_is_told_so() {
    let app = TestApp::demo().await;
    app.set_paygent(&[("card", "link")]).await;
    let started = app.start_checkout(None).await;
    let (status, html) = app
        .page(&format!("/checkout/{}/return", started.link_key))
        .await;
    assert_eq!(status, 200);
    assert!(html.contains("お支払いを確認できませんでした"), "{html}");
}
