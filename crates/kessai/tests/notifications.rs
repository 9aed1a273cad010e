//! Paygent payment notifications (差分通知): stored before the acknowledgement, hash-checked,
//! deduplicated, processed by the worker; a lost order is rebuilt from the pre-payment log.

mod common;

use common::TestApp;
use kessai::providers::paygent::wire::notice_hash;
use kessai::store::OrderFromLog;

const NOTICE_KEY: &str = "sandboxnoticehashkey";

/// A notification as Paygent posts it, signed with `key`.
fn notice(
    notice_id: &str,
    payment_id: &str,
    trading_id: &str,
    status: &str,
    amount: &str,
    key: &str,
) -> String {
    let hc = notice_hash(notice_id, payment_id, trading_id, "02", amount, key);
    serde_urlencoded::to_string([
        ("payment_notice_id", notice_id),
        ("change_date", "20261123120000"),
        ("payment_id", payment_id),
        ("trading_id", trading_id),
        ("payment_type", "02"),
        ("payment_status", status),
        ("payment_amount", amount),
        ("hc", &hc),
    ])
    .unwrap()
}

async fn post(app: &TestApp, body: String) -> (u16, String) {
    app.post_body("/notify/paygent", body).await
}

/// A checkout Paygent authorized while kessai knew nothing.
async fn paid_at_paygent_only(app: &TestApp) -> (kessai::checkout::Started, String) {
    let started = app.start_checkout(None).await;
    let payment_id = app.authorized_at_paygent_only(&started).await;
    (started, payment_id)
}

#[tokio::test]
async fn a_notification_rebuilds_a_lost_order_once_even_when_sent_twice() {
    let app = TestApp::demo().await;
    let (started, payment_id) = paid_at_paygent_only(&app).await;
    let body = notice(
        "1",
        &payment_id,
        &started.link_key,
        "20",
        "1080",
        NOTICE_KEY,
    );

    assert_eq!(post(&app, body.clone()).await, (200, "result=0".to_owned()));
    assert_eq!(
        post(&app, body).await,
        (200, "result=0".to_owned()),
        "a resent notification is acknowledged"
    );
    app.worker.run_until_idle().await.unwrap();

    let notifications = app.state.store.notifications(10).await.unwrap();
    assert_eq!(notifications.len(), 1, "stored once");
    assert_eq!(notifications[0].status, "processed");
    let payment = app.payment(started.payment_id).await;
    assert_eq!(payment.provider_status_label.as_deref(), Some("オーソリOK"));
    assert_eq!(
        payment.provider_payment_id.as_deref(),
        Some(payment_id.as_str())
    );
    let log = app
        .state
        .store
        .prepayment_log(&started.link_key)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(log.order_id, payment.order_id);
    assert!(
        payment.order_id.is_some(),
        "the lost order is rebuilt from the pre-payment log"
    );
    assert_eq!(
        app.history(payment.id).await,
        vec![("オーソリOK".to_owned(), "succeeded".to_owned())]
    );
}

#[tokio::test]
async fn a_notification_of_a_recorded_authorization_whose_order_a_crash_prevented_creates_it() {
    // Arrange: the card step recorded オーソリOK, then the process died before the order
    // was created (no call is left pending, so only the notification can tell).
    let app = TestApp::demo().await;
    let (started, payment_id) = paid_at_paygent_only(&app).await;
    let info = kessai::providers::describe("paygent", "paygent_card", "20");
    let recorded = kessai::providers::Report {
        payment_id: payment_id.clone(),
        code: "20".to_owned(),
        label: info.label,
        state: info.state,
        step: info.step,
        amount: Some(1080),
    };
    app.state
        .payments
        .apply(started.payment_id, &recorded)
        .await
        .unwrap();
    assert_eq!(app.payment(started.payment_id).await.order_id, None);

    // Act
    let body = notice(
        "1",
        &payment_id,
        &started.link_key,
        "20",
        "1080",
        NOTICE_KEY,
    );
    assert_eq!(post(&app, body).await, (200, "result=0".to_owned()));
    app.worker.run_until_idle().await.unwrap();

    // Assert
    let payment = app.payment(started.payment_id).await;
    assert!(payment.order_id.is_some(), "the order is created");
    let notifications = app.state.store.notifications(10).await.unwrap();
    assert_eq!(notifications[0].status, "processed");
    assert!(
        notifications[0].detail.contains("受注を作成しました"),
        "{}",
        notifications[0].detail
    );
}

#[tokio::test]
async fn a_notification_after_the_browser_return_changes_nothing_more() {
    let app = TestApp::demo().await;
    let started = app.start_checkout(None).await;
    let payment = app.pay_with_test_card(&started).await;
    let history = app.history(payment.id).await;

    let body = notice(
        "7",
        payment.provider_payment_id.as_deref().unwrap(),
        &started.link_key,
        "20",
        "1080",
        NOTICE_KEY,
    );
    post(&app, body).await;
    app.worker.run_until_idle().await.unwrap();

    assert_eq!(
        app.history(payment.id).await,
        history,
        "the status was already known"
    );
    let orders = app.state.store.prepayment_logs(10).await.unwrap();
    assert_eq!(orders.iter().filter(|l| l.order_id.is_some()).count(), 1);
}

#[tokio::test]
async fn a_notification_and_a_return_arriving_together_create_one_order() {
    let app = TestApp::demo().await;
    let (started, payment_id) = paid_at_paygent_only(&app).await;
    post(
        &app,
        notice(
            "3",
            &payment_id,
            &started.link_key,
            "20",
            "1080",
            NOTICE_KEY,
        ),
    )
    .await;
    let payments = &app.state.payments;
    let (worker, a, b) = tokio::join!(
        app.worker.run_until_idle(),
        kessai::payments::orders::confirm(
            payments,
            &started.link_key,
            kessai::payments::orders::OrderOrigin::Buyer
        ),
        kessai::payments::orders::confirm(
            payments,
            &started.link_key,
            kessai::payments::orders::OrderOrigin::Buyer
        ),
    );
    worker.unwrap();
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.order_id(), b.order_id());
    let created = [a, b]
        .iter()
        .filter(|o| matches!(o, OrderFromLog::Created(_)))
        .count();
    assert!(created <= 1);
    let log = app
        .state
        .store
        .prepayment_log(&started.link_key)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(log.order_id, Some(a.order_id()));
}

#[tokio::test]
async fn forged_and_tampered_notifications_are_rejected_logged_and_change_nothing() {
    let app = TestApp::demo().await;
    let (started, payment_id) = paid_at_paygent_only(&app).await;
    let forged = notice(
        "4",
        &payment_id,
        &started.link_key,
        "20",
        "1080",
        "not-the-key",
    );
    let genuine = notice(
        "5",
        &payment_id,
        &started.link_key,
        "20",
        "1080",
        NOTICE_KEY,
    );
    let tampered = genuine.replace("payment_amount=1080", "payment_amount=1");

    assert_eq!(post(&app, forged).await.0, 200);
    assert_eq!(post(&app, tampered).await.0, 200);
    app.worker.run_until_idle().await.unwrap();

    let notifications = app.state.store.notifications(10).await.unwrap();
    assert_eq!(notifications.len(), 2);
    assert!(
        notifications.iter().all(|n| n.status == "rejected"),
        "{notifications:?}"
    );
    let payment = app.payment(started.payment_id).await;
    assert_eq!(payment.order_id, None);
    assert_eq!(payment.provider_status_code, None);
    assert_eq!(app.state.store.payment_errors(10).await.unwrap().len(), 2);

    // The genuine one still counts after the forgery with a neighbouring id.
    post(&app, genuine).await;
    app.worker.run_until_idle().await.unwrap();
    let payment = app.payment(started.payment_id).await;
    assert!(payment.order_id.is_some());
}

#[tokio::test]
async fn a_notification_for_an_unknown_trading_id_is_kept_and_flagged() {
    let app = TestApp::demo().await;
    post(
        &app,
        notice("9", "123", "NOSUCHTRADE", "40", "500", NOTICE_KEY),
    )
    .await;
    app.worker.run_until_idle().await.unwrap();
    let n = &app.state.store.notifications(10).await.unwrap()[0];
    assert_eq!(n.status, "unmatched");
    assert!(n.raw_body.contains("NOSUCHTRADE"));
    let errors = app.state.store.payment_errors(10).await.unwrap();
    assert_eq!(errors[0].link_key, "NOSUCHTRADE");
}

#[tokio::test]
async fn the_difference_inquiry_fetches_what_the_pushes_missed() {
    let app = TestApp::demo().await;
    let (started, _) = paid_at_paygent_only(&app).await;
    kessai::payments::jobs::schedule_periodic(&app.state.store, &app.state.clock)
        .await
        .unwrap();
    app.worker.run_until_idle().await.unwrap();

    let payment = app.payment(started.payment_id).await;
    assert!(
        payment.order_id.is_some(),
        "the 091 record rebuilt the order"
    );
    let n = app.state.store.notifications(10).await.unwrap();
    assert!(
        n.iter()
            .any(|n| n.link_key == started.link_key && n.status == "processed"),
        "{n:?}"
    );
}

#[tokio::test]
async fn an_oversized_notification_is_refused_unread_and_a_rejected_one_is_logged_once() {
    let app = TestApp::demo().await;
    let huge = format!(
        "trading_id=x&junk={}",
        "a".repeat(kessai::http::notify::MAX_NOTICE_BYTES)
    );
    let long = format!("trading_id=x&junk={}", "b".repeat(2_000));

    let (refused, _) = app.post_body("/notify/paygent", huge).await;
    let (taken, _) = app.post_body("/notify/paygent", long).await;
    app.worker.run_until_idle().await.unwrap();

    assert_eq!(refused, 413);
    assert_eq!(taken, 200);
    let stored = app.state.store.notifications(10).await.unwrap();
    assert_eq!(stored.len(), 1, "only the one within the limit");
    assert_eq!(stored[0].status, "rejected");
    let errors = app.state.store.payment_errors(10).await.unwrap();
    assert!(
        errors[0].detail.chars().count() < 600,
        "{}",
        errors[0].detail
    );
    assert!(errors[0].detail.contains("以下省略"));
}

#[tokio::test]
async fn a_signed_notification_with_a_negative_amount_or_an_unknown_status_changes_nothing() {
    let app = TestApp::demo().await;
    let (started, payment_id) = paid_at_paygent_only(&app).await;
    let authorized = notice(
        "6",
        &payment_id,
        &started.link_key,
        "20",
        "1080",
        NOTICE_KEY,
    );
    post(&app, authorized).await;
    app.worker.run_until_idle().await.unwrap();
    let negative = notice(
        "7",
        &payment_id,
        &started.link_key,
        "40",
        "-1080",
        NOTICE_KEY,
    );
    let unknown = notice(
        "8",
        &payment_id,
        &started.link_key,
        "99",
        "1080",
        NOTICE_KEY,
    );

    post(&app, negative).await;
    post(&app, unknown).await;
    app.worker.run_until_idle().await.unwrap();

    let p = app.payment(started.payment_id).await;
    assert_eq!(p.provider_status_code.as_deref(), Some("20"));
    let n = app.state.store.notifications(10).await.unwrap();
    let by_id = |id: &str| {
        n.iter()
            .find(|n| n.raw_body.contains(&format!("payment_notice_id={id}&")))
            .unwrap()
    };
    assert_eq!(by_id("7").status, "rejected", "{:?}", by_id("7"));
    assert!(
        by_id("7").detail.contains("-1080円"),
        "{}",
        by_id("7").detail
    );
    assert_eq!(by_id("8").status, "processed");
    assert!(
        by_id("8").detail.contains("変わりません"),
        "{}",
        by_id("8").detail
    );
    let errors = app.state.store.payment_errors(10).await.unwrap();
    assert!(
        errors.iter().any(|e| e.message.contains("-1080円")),
        "{errors:?}"
    );
}

#[tokio::test]
async fn a_payment_key_with_a_control_character_is_rejected_and_not_kept() {
    let app = TestApp::demo().await;
    let body = notice("9", "123", "KEY\u{0}1", "20", "1080", NOTICE_KEY);

    let (status, _) = post(&app, body).await;
    app.worker.run_until_idle().await.unwrap();

    assert_eq!(status, 200);
    let n = &app.state.store.notifications(10).await.unwrap()[0];
    assert_eq!(n.status, "rejected");
    assert!(!n.link_key.contains('\u{0}'), "{:?}", n.link_key);
}

#[tokio::test]
async fn a_notification_that_cannot_be_applied_ends_failed_in_the_error_log_not_in_a_dead_job() {
    let app = TestApp::demo().await;
    // A notification of a provider kessai no longer has: every attempt fails.
    let now = app.state.clock.now();
    let id = app
        .state
        .store
        .insert_notification(
            &kessai::store::NewNotification {
                provider: "retired",
                dedup_key: "retired:1",
                raw_body: "trading_id=KEY1",
                link_key: "KEY1",
                status: "received",
                detail: "",
            },
            now,
        )
        .await
        .unwrap()
        .unwrap();
    kessai::jobs::enqueue(
        &app.state.store,
        &app.state.clock,
        &kessai::payments::notifications::ProcessNotification {
            notification_id: id,
        },
        None,
        None,
    )
    .await
    .unwrap();

    for _ in 0..10 {
        app.worker.run_until_idle().await.unwrap();
        app.state.clock.advance(chrono::Duration::hours(2)).unwrap();
    }

    let n = &app.state.store.notifications(10).await.unwrap()[0];
    assert_eq!(n.status, "failed", "{n:?}");
    assert!(n.detail.contains("再試行を終了しました"), "{}", n.detail);
    let errors = app.state.store.payment_errors(10).await.unwrap();
    assert!(
        errors
            .iter()
            .any(|e| e.link_key == "KEY1" && e.message.contains("反映できませんでした")),
        "{errors:?}"
    );
}
