//! atone end to end against its sandbox: the widget checkout (仮売上 / 即時売上, NG 金額超過,
//! a result that is not the checkout's), and the operator's 売上計上, 取消 and 取引修正.

mod common;

use common::atone::{confirm_in_widget, pay_with_atone, post_result};
use common::{location, TestApp};
use kessai::domain::payment::{Operation, PaymentState};
use kessai::payments::{OperationRequest, PaymentsError};
use sandbox::atone::members;

async fn operate(
    app: &TestApp,
    payment_id: i64,
    request: OperationRequest<'_>,
) -> Result<(), PaymentsError> {
    app.state
        .payments
        .perform(payment_id, &request)
        .await
        .map(drop)
}

fn asked(operation: Operation) -> OperationRequest<'static> {
    OperationRequest::new(operation, "admin")
}

#[tokio::test]
async fn a_provisional_purchase_through_the_widget_becomes_an_order_and_is_settled_from_the_admin()
{
    let app = TestApp::demo().await;
    app.set_provider("atone", &[("sale_mode", "auth")]).await;
    let started = app.start_checkout_paid_by("atone").await;

    let r = pay_with_atone(&app, &started.link_key, members::STANDARD).await;

    assert_eq!(r.status().as_u16(), 303, "{}", r.text().await.unwrap());
    assert_eq!(location(&r), format!("/checkout/{}/done", started.link_key));
    let p = app.payment(started.payment_id).await;
    assert_eq!(p.state(), PaymentState::Authorized);
    assert_eq!(p.provider_status_label.as_deref(), Some("仮売上"));
    assert!(p.provider_payment_id.as_deref().unwrap().starts_with("tr_"));
    assert!(p.order_id.is_some());

    operate(&app, p.id, asked(Operation::Capture))
        .await
        .unwrap();
    let settled = app.payment(p.id).await;
    assert_eq!(settled.state(), PaymentState::Captured);
    assert_eq!(settled.provider_status_label.as_deref(), Some("売上計上"));
}

#[tokio::test]
async fn an_immediate_sale_is_settled_at_once_and_can_be_cancelled() {
    let app = TestApp::demo().await;
    app.set_provider("atone", &[("sale_mode", "capture")]).await;
    let started = app.start_checkout_paid_by("atone").await;

    let r = pay_with_atone(&app, &started.link_key, members::STANDARD).await;
    assert_eq!(r.status().as_u16(), 303);
    let p = app.payment(started.payment_id).await;
    operate(&app, p.id, asked(Operation::Cancel)).await.unwrap();

    assert_eq!(p.provider_status_label.as_deref(), Some("売上計上"));
    let cancelled = app.payment(p.id).await;
    assert_eq!(cancelled.state(), PaymentState::Cancelled);
    assert_eq!(cancelled.provider_status_label.as_deref(), Some("取消済み"));
    let refused = operate(&app, p.id, asked(Operation::ChangeAmount)).await;
    assert!(
        matches!(refused, Err(PaymentsError::NotAllowed { .. })),
        "{refused:?}"
    );
}

#[tokio::test]
async fn an_amount_over_the_limit_is_refused_with_the_manuals_word_in_the_error_log() {
    let app = TestApp::demo().await;
    let mut req = app.checkout_paid_by("atone", None).await;
    req.items[0].quantity = 60; // 60 × 1,080円 = 64,800円, over the test member's 50,000円
    let started = app.start_checkout_of(&req).await;

    let r = pay_with_atone(&app, &started.link_key, members::STANDARD).await;
    let status = r.status().as_u16();
    let page = r.text().await.unwrap();

    assert_eq!(status, 422, "{page}");
    assert!(page.contains("ご利用可能金額を超えている"), "{page}");
    let p = app.payment(started.payment_id).await;
    assert_eq!(p.state(), PaymentState::Pending);
    assert!(p.order_id.is_none());
    let errors = app.state.store.payment_errors(10).await.unwrap();
    assert_eq!(errors[0].status_code, "金額超過");
    assert_eq!(errors[0].provider, "atone");
}

#[tokio::test]
async fn a_result_that_is_not_the_checkouts_own_is_refused() {
    let app = TestApp::demo().await;
    let other = app.start_checkout_paid_by("atone").await;
    let started = app.start_checkout_paid_by("atone").await;
    let others = confirm_in_widget(&app, &other.link_key, members::STANDARD).await;

    let r = post_result(&app, &started.link_key, &others).await;
    let page = r.text().await.unwrap();

    assert!(
        page.contains("お支払いの内容を確認できませんでした"),
        "{page}"
    );
    assert!(app.payment(started.payment_id).await.order_id.is_none());
    let errors = app.state.store.payment_errors(10).await.unwrap();
    assert!(
        errors[0].detail.contains("加盟店取引番号が一致しません"),
        "{errors:?}"
    );
}

#[tokio::test]
async fn a_changed_order_total_replaces_the_transaction_with_a_new_one() {
    let app = TestApp::demo().await;
    app.set_provider("atone", &[("sale_mode", "auth")]).await;
    let started = app.start_checkout_paid_by("atone").await;
    pay_with_atone(&app, &started.link_key, members::STANDARD).await;
    let before = app.payment(started.payment_id).await;

    operate(
        &app,
        before.id,
        OperationRequest {
            amount: Some(before.amount + 500),
            ..asked(Operation::ChangeAmount)
        },
    )
    .await
    .unwrap();

    let after = app.payment(before.id).await;
    assert_eq!(after.amount, before.amount + 500);
    assert_eq!(after.state(), PaymentState::Authorized);
    assert_ne!(after.provider_payment_id, before.provider_payment_id);
    let labels: Vec<String> = app
        .history(before.id)
        .await
        .into_iter()
        .map(|(l, _)| l)
        .collect();
    assert!(labels.iter().any(|l| l == "取引修正"), "{labels:?}");
    assert!(labels.iter().any(|l| l == "取引修正済み"), "{labels:?}");
    // The new transaction can be settled.
    operate(&app, before.id, asked(Operation::Capture))
        .await
        .unwrap();
    assert_eq!(app.payment(before.id).await.state(), PaymentState::Captured);
}

#[tokio::test]
async fn the_webhook_alone_recovers_the_order_of_a_buyer_who_closed_the_browser() {
    let app = TestApp::demo().await;
    let started = app.start_checkout_paid_by("atone").await;

    confirm_in_widget(&app, &started.link_key, members::STANDARD).await;
    app.deliver_notices().await;

    let p = app.payment(started.payment_id).await;
    assert!(p.order_id.is_some(), "recovered from the pre-payment log");
    assert_eq!(p.state(), PaymentState::Captured);
}

#[tokio::test]
async fn an_amount_change_of_a_cancelled_order_is_not_sent_to_atone() {
    let app = TestApp::demo().await;
    app.set_provider("atone", &[("sale_mode", "auth")]).await;
    let started = app.start_checkout_paid_by("atone").await;
    pay_with_atone(&app, &started.link_key, members::STANDARD).await;
    let p = app.payment(started.payment_id).await;
    let now = app.state.clock.now();
    app.state
        .store
        .set_order_status(p.order_id.unwrap(), "cancelled", now)
        .await
        .unwrap();

    let refused = operate(
        &app,
        p.id,
        OperationRequest {
            amount: Some(p.amount + 100),
            ..asked(Operation::ChangeAmount)
        },
    )
    .await;

    assert!(
        matches!(refused, Err(PaymentsError::Amount(ref m)) if m.contains("キャンセル")),
        "{refused:?}"
    );
    assert_eq!(
        app.payment(p.id).await.provider_payment_id,
        p.provider_payment_id
    );
}

#[tokio::test]
async fn the_payment_object_kessai_gives_atones_widget_is_as_recorded() {
    let app = TestApp::demo().await;
    app.set_provider("atone", &[("sale_mode", "auth")]).await;
    let started = app.start_checkout_paid_by("atone").await;

    let (_, page) = app.page(&format!("/checkout/{}", started.link_key)).await;
    let mut payment: serde_json::Value =
        serde_json::from_str(&common::attr(&page, "id=\"atone-form\"", "data-payment")).unwrap();
    let checksum = payment["checksum"].take();
    let expected = kessai::providers::atone::wire::checksum(&payment, sandbox::atone::SECRET_KEY);

    assert_eq!(checksum, expected.as_str(), "signed with the secret key");
    let text = serde_json::to_string_pretty(&payment)
        .unwrap()
        .replace(&started.link_key, "<LINK_KEY>");
    insta::assert_snapshot!("atone_payment_object", text);
}
