//! Checkout with a Paygent card against the built-in sandbox: the hand-off pages, the order
//! created from the pre-payment log, the operator's operations and the payment history.

mod common;

use common::{location, TestApp};
use kessai::domain::payment::Operation;
use kessai::payments::PaymentsError;

fn rows(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(l, o)| ((*l).to_owned(), (*o).to_owned()))
        .collect()
}

#[tokio::test]
async fn a_guest_pays_by_token_card_and_the_operator_captures_changes_and_cancels() {
    let app = TestApp::demo().await;
    let started = app.start_checkout(None).await;
    let (status, form) = app.page(&format!("/checkout/{}", started.link_key)).await;
    assert_eq!(status, 200);
    assert!(form.contains("PaygentToken.js"), "{form}");
    assert!(form.contains("data-merchant-id=\"123456789\""));

    let card = app.card_token("4900000000000000").await;
    let r = app
        .post_card_form(
            &started.link_key,
            &[("card_json", &card), ("payment_choice", "10")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(location(&r), format!("/checkout/{}/done", started.link_key));
    let (status, done) = app.follow(r).await;
    assert_eq!(status, 200);
    assert!(done.contains("購入完了"), "{done}");

    let payments = &app.state.payments;
    let payment = app.payment(started.payment_id).await;
    let order = app
        .state
        .store
        .order(payment.order_id.expect("the order exists"))
        .await
        .unwrap()
        .unwrap();
    assert!(done.contains(&order.order_number));
    assert_eq!(order.total, 1080);
    assert_eq!(payment.provider_status_label.as_deref(), Some("オーソリOK"));
    assert_eq!(payment.state, "authorized");
    assert_eq!(
        app.state
            .payments
            .capabilities(&payment)
            .await
            .unwrap()
            .operations,
        &[
            Operation::Capture,
            Operation::ChangeAmount,
            Operation::Cancel,
            Operation::Refresh
        ]
    );

    let captured = payments
        .perform(
            payment.id,
            &kessai::payments::OperationRequest::new(Operation::Capture, "admin"),
        )
        .await
        .unwrap();
    assert_eq!(captured.provider_status_label.as_deref(), Some("消込済"));
    assert_eq!(captured.state, "captured");

    let changed = payments
        .perform(
            payment.id,
            &kessai::payments::OperationRequest {
                amount: Some(980),
                ..kessai::payments::OperationRequest::new(Operation::ChangeAmount, "admin")
            },
        )
        .await
        .unwrap();
    assert_eq!(changed.amount, 980);
    assert_ne!(
        changed.provider_payment_id, captured.provider_payment_id,
        "029 gives a new payment id"
    );

    let cancelled = payments
        .perform(
            payment.id,
            &kessai::payments::OperationRequest::new(Operation::Cancel, "admin"),
        )
        .await
        .unwrap();
    assert_eq!(
        cancelled.provider_status_label.as_deref(),
        Some("売上取消済")
    );
    assert_eq!(cancelled.state, "cancelled");

    assert_eq!(
        app.history(payment.id).await,
        rows(&[
            ("カード決済オーソリ", "succeeded"),
            ("オーソリOK", "succeeded"),
            ("カード決済売上", "succeeded"),
            ("消込済", "succeeded"),
            ("売上取消済", "succeeded"),
            ("カード決済補正売上", "succeeded"),
            ("消込済", "succeeded"),
            ("カード決済売上キャンセル", "succeeded"),
            ("売上取消済", "succeeded"),
        ])
    );
    let history = app
        .state
        .store
        .payment_operations(payment.id)
        .await
        .unwrap();
    assert_eq!(
        history[4].provider_payment_id, captured.provider_payment_id,
        "the old id ends as 売上取消済"
    );
    assert_eq!(history[5].provider_payment_id, changed.provider_payment_id);
    assert_eq!(history[5].amount, 980);

    let refused = payments
        .perform(
            payment.id,
            &kessai::payments::OperationRequest::new(Operation::Capture, "admin"),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(refused, PaymentsError::NotAllowed { .. }),
        "{refused}"
    );
    assert_eq!(
        refused.to_string(),
        "決済状況が「売上取消済」のため売上処理はできません。"
    );
    // The sandbox agrees with what kessai shows.
    let refreshed = payments
        .perform(
            payment.id,
            &kessai::payments::OperationRequest::new(Operation::Refresh, "admin"),
        )
        .await
        .unwrap();
    assert_eq!(refreshed.provider_status_code.as_deref(), Some("60"));
}

#[tokio::test]
async fn authorize_and_capture_mode_captures_at_checkout() {
    let app = TestApp::demo().await;
    app.set_paygent(&[("sales_mode", "capture")]).await;
    let started = app.start_checkout(None).await;
    let payment = app.pay_with_test_card(&started).await;
    assert_eq!(payment.provider_status_label.as_deref(), Some("消込済"));
    assert_eq!(
        app.state
            .payments
            .capabilities(&payment)
            .await
            .unwrap()
            .operations,
        &[
            Operation::ChangeAmount,
            Operation::Cancel,
            Operation::Refresh
        ]
    );
}

#[tokio::test]
async fn a_declined_card_shows_the_buyer_a_message_logs_the_error_and_creates_no_order() {
    let app = TestApp::demo().await;
    let started = app.start_checkout(None).await;
    let card = app.card_token("4900000000008212").await;
    let r = app
        .post_card_form(&started.link_key, &[("card_json", &card)])
        .await;
    assert_eq!(r.status().as_u16(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("カードの承認が得られませんでした"), "{html}");

    let payment = app.payment(started.payment_id).await;
    assert_eq!(payment.order_id, None);
    assert_eq!(
        app.history(payment.id).await,
        rows(&[("カード決済オーソリ", "failed")])
    );
    let errors = app.state.store.payment_errors(10).await.unwrap();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].link_key, started.link_key);
    assert_eq!(errors[0].status_code, "2001");

    // The buyer tries again with another card on the same checkout.
    let card = app.card_token("4900000000000000").await;
    let r = app
        .post_card_form(&started.link_key, &[("card_json", &card)])
        .await;
    assert_eq!(r.status().as_u16(), 303);
}

#[tokio::test]
async fn a_tampered_token_receipt_is_refused_before_paygent_is_called() {
    let app = TestApp::demo().await;
    let started = app.start_checkout(None).await;
    let card = app.card_token("4900000000000000").await;
    let tampered = card.replace("************0000", "************1111");
    let r = app
        .post_card_form(&started.link_key, &[("card_json", &tampered)])
        .await;
    assert_eq!(r.status().as_u16(), 422);
    assert!(app.history(started.payment_id).await.is_empty());
    assert_eq!(
        app.state.store.payment_errors(10).await.unwrap()[0].status_code,
        "hc"
    );
}

#[tokio::test]
async fn a_member_keeps_the_card_and_pays_with_it_next_time() {
    let app = TestApp::demo().await;
    let member = app.create_member("hanako@example.jp").await;
    let first = app.start_checkout(Some(member)).await;
    let (_, form) = app.page(&format!("/checkout/{}", first.link_key)).await;
    assert!(form.contains("このカードを登録して次回から入力を省略する"));
    let card = app.card_token("4900000000001234").await;
    let again = app.card_token("4900000000001234").await;
    let r = app
        .post_card_form(
            &first.link_key,
            &[("card_json", &card), ("register_json", &again)],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let cards = app
        .state
        .store
        .stored_cards(member, "paygent", "test")
        .await
        .unwrap();
    assert_eq!(cards.len(), 1);
    assert_eq!(
        (cards[0].last4.as_str(), cards[0].expiry.as_str()),
        ("1234", "1230")
    );

    let second = app.start_checkout(Some(member)).await;
    let (_, form) = app.page(&format!("/checkout/{}", second.link_key)).await;
    assert!(form.contains("下4桁 1234"), "{form}");
    let id = cards[0].id.to_string();
    let r = app
        .post_card_form(&second.link_key, &[("stored_card_id", &id)])
        .await;
    assert_eq!(r.status().as_u16(), 303, "{}", r.text().await.unwrap());
    let payment = app.payment(second.payment_id).await;
    assert_eq!(payment.state, "authorized");
    assert!(payment.order_id.is_some());

    // Another member cannot use that card.
    let other = app.create_member("other@example.jp").await;
    let third = app.start_checkout(Some(other)).await;
    let r = app
        .post_card_form(&third.link_key, &[("stored_card_id", &id)])
        .await;
    assert_eq!(r.status().as_u16(), 422);
}

#[tokio::test]
async fn an_invalid_checkout_names_every_wrong_field_and_writes_nothing() {
    let app = TestApp::demo().await;
    let mut req = common::checkout_request(&app, None);
    req.customer.family_kana = "yamada".into();
    req.customer.postal_code = "12-345".into();
    req.items[0].quantity = 0;
    req.payment_method_id = 9999;
    let err = kessai::checkout::start(&app.state.payments, &req)
        .await
        .unwrap_err();
    let kessai::checkout::CheckoutError::Invalid(errors) = err else {
        panic!("expected field errors");
    };
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    for field in [
        "customer.family_kana",
        "customer.postal_code",
        "items[0].quantity",
        "payment_method_id",
    ] {
        assert!(fields.contains(&field), "{field} in {fields:?}");
    }
    assert!(app
        .state
        .store
        .prepayment_logs(10)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn a_second_click_while_the_first_is_in_flight_does_not_authorize_twice() {
    let app = TestApp::demo().await;
    let started = app.start_checkout(None).await;
    let card = app.card_token("4900000000000000").await;
    let second = app.card_token("4900000000000000").await;
    let (first_form, second_form) = (
        [("card_json", card.as_str())],
        [("card_json", second.as_str())],
    );
    let (a, b) = tokio::join!(
        app.post_card_form(&started.link_key, &first_form),
        app.post_card_form(&started.link_key, &second_form),
    );
    let statuses = [a.status().as_u16(), b.status().as_u16()];
    assert!(statuses.contains(&303), "{statuses:?}");
    let succeeded = app
        .history(started.payment_id)
        .await
        .into_iter()
        .filter(|(label, outcome)| label == "カード決済オーソリ" && outcome == "succeeded")
        .count();
    assert_eq!(
        succeeded,
        1,
        "{statuses:?} {:?}",
        app.history(started.payment_id).await
    );
}

#[tokio::test]
async fn the_operator_captures_and_cancels_from_the_payment_block_of_the_order() {
    let app = TestApp::demo().await;
    let started = app.start_checkout(None).await;
    let card = app.card_token("4900000000000000").await;
    app.post_card_form(&started.link_key, &[("card_json", &card)])
        .await;
    let order_id = app.payment(started.payment_id).await.order_id.unwrap();
    app.login().await;

    let (_, list) = app.page("/admin/orders").await;
    assert!(list.contains("オーソリOK"), "{list}");
    let page = format!("/admin/orders/{order_id}");
    let (status, html) = app.page(&page).await;
    assert_eq!(status, 200, "{html}");
    let buttons = common::between(&html, "id=\"payment-form\"", "</form>");
    for label in ["売上処理", "金額変更", "キャンセル処理", "状態更新"] {
        assert!(buttons.contains(label), "{label} in {buttons}");
    }
    assert!(!buttons.contains("返金処理"));

    let csrf = app.csrf().await;
    let action = format!("{page}/payment");
    let r = app
        .post_form(
            &action,
            &[
                ("csrf", &csrf),
                ("operation", "capture"),
                ("amount", "1080"),
            ],
        )
        .await;
    let (_, html) = app.follow(r).await;
    assert!(
        html.contains("売上処理を行いました。決済状況: 消込済"),
        "{html}"
    );
    let history = common::between(&html, "id=\"payment-history\"", "</table>");
    assert!(
        history.contains("カード決済売上") && history.contains("消込済"),
        "{history}"
    );

    let r = app
        .post_form(
            &action,
            &[
                ("csrf", &csrf),
                ("operation", "change_amount"),
                ("amount", "abc"),
            ],
        )
        .await;
    let (_, html) = app.follow(r).await;
    assert!(html.contains("決済金額は半角数字で入力してください。"));

    let r = app
        .post_form(&action, &[("csrf", &csrf), ("operation", "cancel")])
        .await;
    let (_, html) = app.follow(r).await;
    assert!(
        html.contains("キャンセル処理を行いました。決済状況: 売上取消済"),
        "{html}"
    );
    let r = app
        .post_form(&action, &[("csrf", &csrf), ("operation", "capture")])
        .await;
    let (_, html) = app.follow(r).await;
    assert!(html.contains("決済状況が「売上取消済」のため売上処理はできません。"));

    let r = app.post_form(&action, &[("operation", "refresh")]).await;
    assert_eq!(r.status().as_u16(), 403, "no CSRF token, no operation");
}

#[tokio::test]
async fn a_card_network_timeout_leaves_the_payment_pending_until_an_inquiry_settles_it() {
    let app = TestApp::demo().await;
    let started = app.start_checkout(None).await;
    let card = app.card_token("4900000000009000").await;
    let r = app
        .post_card_form(&started.link_key, &[("card_json", &card)])
        .await;
    assert_eq!(r.status().as_u16(), 202);
    assert!(r.text().await.unwrap().contains("決済結果を確認しています"));
    assert_eq!(
        app.history(started.payment_id).await,
        rows(&[("カード決済オーソリ", "pending")])
    );

    // A second attempt cannot start while the first has no answer.
    let again = app.card_token("4900000000000000").await;
    let r = app
        .post_card_form(&started.link_key, &[("card_json", &again)])
        .await;
    assert_eq!(r.status().as_u16(), 422);

    // The scheduled status inquiry finds nothing at Paygent and settles the row.
    app.state
        .clock
        .advance(chrono::Duration::minutes(2))
        .unwrap();
    app.worker.run_until_idle().await.unwrap();
    assert_eq!(
        app.history(started.payment_id).await,
        rows(&[("カード決済オーソリ", "failed")])
    );
    let payment = app.payment(started.payment_id).await;
    assert_eq!(
        (payment.state.as_str(), payment.order_id),
        ("pending", None)
    );

    // Now the buyer can pay.
    let r = app
        .post_card_form(&started.link_key, &[("card_json", &again)])
        .await;
    assert_eq!(r.status().as_u16(), 303);
}

#[tokio::test]
async fn a_payment_error_shows_the_banner_on_admin_pages_until_the_log_is_cleared() {
    let app = TestApp::demo().await;
    let started = app.start_checkout(None).await;
    let card = app.card_token("4900000000008212").await;
    app.post_card_form(&started.link_key, &[("card_json", &card)])
        .await;
    app.login().await;
    let (_, html) = app.page("/admin/payment-methods").await;
    assert!(
        html.contains("決済エラーが発生しました（未確認 1件）。"),
        "{html}"
    );
    let (_, log) = app.page("/admin/payment-errors").await;
    assert!(
        log.contains(&started.link_key) && log.contains("2001"),
        "{log}"
    );

    let csrf = app.csrf().await;
    let r = app
        .post_form(
            "/admin/payment-errors/delete",
            &[("csrf", &csrf), ("scope", "all")],
        )
        .await;
    let (_, html) = app.follow(r).await;
    assert!(html.contains("決済エラーログを1件削除しました。"));
    let (_, html) = app.page("/admin/payment-methods").await;
    assert!(!html.contains("決済エラーが発生しました"));
}

#[tokio::test]
async fn the_notice_of_a_declined_attempt_arriving_before_the_retry_neither_fails_nor_orders() {
    let app = TestApp::demo().await;
    let started = app.start_checkout(None).await;
    let declined = app.card_token("4900000000008212").await;
    let r = app
        .post_card_form(&started.link_key, &[("card_json", &declined)])
        .await;
    assert_eq!(r.status().as_u16(), 422);

    assert!(
        app.deliver_notices().await >= 1,
        "the sandbox pushes オーソリNG"
    );

    let payment = app.payment(started.payment_id).await;
    assert_eq!(
        payment.state(),
        kessai::domain::payment::PaymentState::Pending
    );
    assert_eq!(
        payment.order_id, None,
        "a declined attempt creates no order"
    );
    let payment = app.pay_with_test_card(&started).await;
    assert_eq!(payment.provider_status_label.as_deref(), Some("オーソリOK"));
    assert!(payment.order_id.is_some());
}

#[tokio::test]
async fn the_late_notice_of_a_declined_attempt_leaves_the_authorized_payment_alone() {
    let app = TestApp::demo().await;
    let started = app.start_checkout(None).await;
    let declined = app.card_token("4900000000008212").await;
    app.post_card_form(&started.link_key, &[("card_json", &declined)])
        .await;
    let card = app.card_token("4900000000000000").await;
    let r = app
        .post_card_form(&started.link_key, &[("card_json", &card)])
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let authorized = app.payment(started.payment_id).await;

    assert!(app.deliver_notices().await >= 2);

    let payment = app.payment(started.payment_id).await;
    assert_eq!(payment.provider_payment_id, authorized.provider_payment_id);
    assert_eq!(payment.provider_status_label.as_deref(), Some("オーソリOK"));
    let labels: Vec<String> = app
        .history(payment.id)
        .await
        .into_iter()
        .map(|(l, _)| l)
        .collect();
    assert!(labels.contains(&"オーソリNG".to_owned()), "{labels:?}");
}

#[tokio::test]
async fn a_payment_method_whose_provider_has_no_checkout_is_never_offered_and_is_refused() {
    // Arrange: a method of a kind no provider has (one left from an earlier version).
    let app = TestApp::demo().await;
    let not_built = app.payment_method_of_unknown_kind().await;

    // Act
    let offered = kessai::checkout::offered_methods(&app.state.payments)
        .await
        .unwrap();
    let refused = kessai::checkout::start(
        &app.state.payments,
        &app.checkout_paid_by("retired_kind", None).await,
    )
    .await;
    app.login().await;
    let (_, methods_page) = app.page("/admin/payment-methods").await;

    // Assert
    assert!(
        !offered.iter().any(|m| m.id == not_built),
        "the buyer is not offered it"
    );
    assert!(offered.iter().any(|m| m.settlement_kind == "paygent_card"));
    assert!(offered.iter().any(|m| m.settlement_kind == "yamato_card"));
    match refused {
        Err(kessai::checkout::CheckoutError::Invalid(errors)) => {
            assert_eq!(errors.len(), 1, "{errors:?}");
            assert_eq!(errors[0].field, "payment_method_id");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(methods_page.contains(&format!("id=\"unsupported-{not_built}\"")));
    assert!(methods_page.contains("未対応"));
    assert!(app
        .state
        .store
        .prepayment_logs(10)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn order_numbers_follow_one_another_whatever_checkouts_were_abandoned() {
    let app = TestApp::demo().await;
    for _ in 0..3 {
        app.start_checkout(None).await; // abandoned: never paid
    }

    let first = app.card_payment().await;
    app.start_checkout(None).await;
    let second = app.card_payment().await;

    let number = |p: &kessai::store::Payment| {
        let store = app.state.store.clone();
        let id = p.order_id.unwrap();
        async move { store.order(id).await.unwrap().unwrap().order_number }
    };
    assert_eq!(number(&first).await, "00000001");
    assert_eq!(number(&second).await, "00000002");
}
