//! What Paygent's operation manual asks that the first build missed: the site address as the
//! notification URL (「ペイジェントに申告する URL」) shown on the settings screen, a
//! link-type-only contract (no telegrams: no admin operations, no inquiry), the card keeping
//! of link type, 「もう一度、取消処理を実行」 for a cancellation Paygent has not finished, the
//! 取引ID on 受注データ and in the search, 会社名 as what Paygent receives, and kept cards
//! tied to the environment they were kept in.

mod common;

use common::TestApp;
use kessai::domain::payment::Operation;
use kessai::payments::OperationRequest;
use kessai::providers::paygent::wire::notice_hash;

/// A signed (or, with an empty key, unsigned) card notification as Paygent posts it.
fn notice(notice_id: &str, trading_id: &str, status: &str, amount: &str, key: &str) -> String {
    let mut items = vec![
        ("payment_notice_id", notice_id.to_owned()),
        ("payment_id", "90000001".to_owned()),
        ("trading_id", trading_id.to_owned()),
        ("payment_type", "02".to_owned()),
        ("payment_status", status.to_owned()),
        ("payment_amount", amount.to_owned()),
    ];
    if !key.is_empty() {
        let hc = notice_hash(notice_id, "90000001", trading_id, "02", amount, key);
        items.push(("hc", hc));
    }
    serde_urlencoded::to_string(items).unwrap()
}

/// Link type alone: no 接続ID, so no telegram at all.
const LINK_ONLY: &[(&str, &str)] = &[
    ("card", "link"),
    ("conv", "off"),
    ("atm", "off"),
    ("netbank", "off"),
    ("paidy", "off"),
    ("connect_id", ""),
    ("connect_password", ""),
    ("notice_hash_key", ""),
];

#[tokio::test]
async fn a_post_to_the_site_address_is_a_notification_and_a_get_is_still_the_storefront() {
    let app = TestApp::demo().await;
    let started = app.start_checkout(None).await;

    let (status, ack) = app
        .post_body(
            "/",
            notice("7", &started.link_key, "11", "1080", "sandboxnoticehashkey"),
        )
        .await;
    let (shop_status, shop) = app.page("/").await;

    assert_eq!((status, ack.as_str()), (200, "result=0"));
    let stored = app.state.store.notifications(10).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].provider, "paygent");
    assert_eq!(stored[0].link_key, started.link_key);
    assert_eq!(shop_status, 200);
    assert!(shop.contains("静岡産 深蒸し煎茶"), "{shop}");
}

#[tokio::test]
async fn the_settings_screen_shows_the_urls_to_register_and_what_each_contract_allows() {
    let app = TestApp::demo().await;
    app.login().await;

    let (_, paygent) = app.page("/admin/settlement/paygent").await;

    let paygent = common::unescape(&paygent);
    let urls = common::between(&paygent, "id=\"registered-urls\"", "</table>");
    assert!(
        urls.contains(&format!("<code>{}/</code>", app.address)),
        "{urls}"
    );
    assert!(urls.contains(&format!("<code>{}/notify/paygent</code>", app.address)));
    assert!(paygent.contains("リンクタイプのみの契約"));
}

#[tokio::test]
async fn with_link_type_alone_the_return_waits_for_the_notification_which_is_checked_not_inquired()
{
    // Arrange
    let app = TestApp::demo().await;
    app.set_paygent(LINK_ONLY).await;
    let started = app.start_checkout(None).await;

    // Act: the buyer is back before Paygent's notification, which carries no hash.
    let back = app
        .get(&format!("/checkout/{}/return", started.link_key))
        .await;
    let back_status = back.status().as_u16();
    let back_page = back.text().await.unwrap();
    let (status, ack) = app
        .post_body(
            "/notify/paygent",
            notice("1", &started.link_key, "20", "1080", ""),
        )
        .await;
    app.worker.run_until_idle().await.unwrap();
    // A second unverifiable notification may not move the payment any more.
    app.post_body(
        "/notify/paygent",
        notice("2", &started.link_key, "32", "1080", ""),
    )
    .await;
    app.worker.run_until_idle().await.unwrap();
    let again = app
        .get(&format!("/checkout/{}/return", started.link_key))
        .await;

    // Assert
    assert_eq!(back_status, 202, "{back_page}");
    assert!(back_page.contains("決済結果を確認しています"));
    assert_eq!((status, ack.as_str()), (200, "result=0"));
    let payment = app.payment(started.payment_id).await;
    let notices = app.state.store.notifications(10).await.unwrap();
    assert_eq!(
        payment.provider_status_label.as_deref(),
        Some("オーソリOK"),
        "{notices:?}"
    );
    assert!(
        payment.order_id.is_some(),
        "the checked notification made the order"
    );
    assert_eq!(notices[0].status, "rejected", "{}", notices[0].detail);
    assert_eq!(notices[1].status, "processed");
    assert_eq!(again.status().as_u16(), 303);
    let caps = app.state.payments.capabilities(&payment).await.unwrap();
    assert!(
        caps.operations.is_empty(),
        "no admin operation without telegrams"
    );
    let refused = app
        .state
        .payments
        .perform(
            payment.id,
            &OperationRequest::new(Operation::Capture, "admin"),
        )
        .await;
    assert!(refused.is_err());
}

#[tokio::test]
async fn a_members_link_type_card_payment_asks_paygent_to_keep_the_card_and_sends_the_company_name()
{
    let app = TestApp::demo().await;
    app.set_paygent(&[("card", "link")]).await;
    let mut shop = app.state.settings.shop().await.unwrap();
    shop.company_name = "株式会社テスト商店".into();
    app.state.settings.save_shop(&shop, "test").await.unwrap();
    let member = app.create_member("keeper@example.jp").await;
    let started = app
        .start_checkout_of(&app.checkout_paid_by("paygent_card", Some(member)).await)
        .await;

    let (_, handoff) = app.page(&format!("/checkout/{}", started.link_key)).await;
    let fields = common::hidden_fields(&handoff);
    let field = |name: &str| {
        fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };

    assert_eq!(field("stock_card_mode"), "1");
    assert_eq!(field("customer_id"), format!("kessai{member}"));
    assert_eq!(field("merchant_name"), "株式会社テスト商店");
    // Paygent accepts the request: its hash covers the customer id.
    let r = app
        .post_form("/sandbox/paygent/v/u/request", &common::as_pairs(&fields))
        .await;
    let page = r.text().await.unwrap();
    assert!(page.contains("1,080"), "{page}");
}

#[tokio::test]
async fn a_cancellation_paygent_has_not_finished_can_be_sent_again() {
    // Arrange: captured, then Paygent reports 売上取消中 and stays there.
    let app = TestApp::demo().await;
    let payment = app.card_payment().await;
    let payments = &app.state.payments;
    payments
        .perform(
            payment.id,
            &OperationRequest::new(Operation::Capture, "admin"),
        )
        .await
        .unwrap();
    let id = app.payment(payment.id).await.provider_payment_id.unwrap();
    payments
        .apply(
            payment.id,
            &kessai::providers::paygent::map::report(&id, "paygent_card", "42", Some(1080)),
        )
        .await
        .unwrap();
    app.login().await;
    let order_id = app.payment(payment.id).await.order_id.unwrap();

    // Act
    let (_, page) = app.page(&format!("/admin/orders/{order_id}")).await;
    let again = payments
        .perform(
            payment.id,
            &OperationRequest::new(Operation::Cancel, "admin"),
        )
        .await
        .unwrap();

    // Assert
    assert!(page.contains("もう一度、取消処理を実行"), "{page}");
    assert_eq!(again.provider_status_label.as_deref(), Some("売上取消済"));
}

#[tokio::test]
async fn the_trading_id_is_on_the_order_page_and_finds_the_order_in_the_list() {
    let app = TestApp::demo().await;
    let payment = app.card_payment().await;
    let order_id = payment.order_id.unwrap();
    app.login().await;

    let (_, page) = app.page(&format!("/admin/orders/{order_id}")).await;
    let (_, found) = app
        .page(&format!("/admin/orders?keyword={}", payment.link_key))
        .await;
    let (_, other) = app.page("/admin/orders?keyword=NOSUCHTRADINGID").await;

    assert!(common::between(&page, "id=\"payment-trading-id\">", "<").contains(&payment.link_key));
    assert!(common::between(&page, "id=\"payment-environment\">", "<").contains("テスト環境"));
    assert!(
        found.contains(&format!("/admin/orders/{order_id}\"")),
        "{found}"
    );
    assert!(!other.contains(&format!("/admin/orders/{order_id}\"")));
}

#[tokio::test]
async fn a_card_kept_in_another_environment_is_not_offered_and_is_only_forgotten_at_withdrawal() {
    // Arrange: a member's card kept in the test environment, and one recorded as kept in
    // production (the settings point at the test environment).
    let app = TestApp::demo().await;
    let member = app.create_member("two-envs@example.jp").await;
    let store = &app.state.store;
    let now = app.state.clock.now();
    for (card_ref, environment) in [("1001", "test"), ("2002", "production")] {
        store
            .add_stored_card(
                &kessai::store::NewStoredCard {
                    member_id: member,
                    provider: "paygent",
                    customer_id: &format!("kessai{member}"),
                    card_ref,
                    last4: card_ref,
                    expiry: "1230",
                    brand: "",
                    environment,
                },
                now,
            )
            .await
            .unwrap();
    }
    let started = app
        .start_checkout_of(&app.checkout_paid_by("paygent_card", Some(member)).await)
        .await;

    // Act
    let (_, form) = app.page(&format!("/checkout/{}", started.link_key)).await;
    let production = store
        .member_cards(member)
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.environment == "production")
        .unwrap();
    app.state
        .payments
        .remove_stored_card(production.id, "admin")
        .await
        .unwrap();

    // Assert
    assert!(form.contains("下4桁 1001"), "{form}");
    assert!(!form.contains("下4桁 2002"), "{form}");
    let left = store.member_cards(member).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].environment, "test");
    let audit = store.audit_entries(5).await.unwrap();
    assert!(
        audit[0].detail.contains("別の稼働環境"),
        "{}",
        audit[0].detail
    );
}
