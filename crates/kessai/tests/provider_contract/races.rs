//! The core's guarantees under concurrency and crashes, for every service where they apply.

use super::*;
use kessai::providers::Report;

/// Paygent's client of the app's settings.
async fn paygent_client(app: &TestApp) -> kessai::providers::paygent::client::Client {
    match connector(app, "paygent").await {
        Connector::Paygent(c) => c.client().unwrap(),
        other => panic!("not Paygent: {other:?}"),
    }
}

/// Stores the sandbox's queued notifications, then processes them on two workers at once.
async fn process_concurrently(app: &TestApp) {
    assert!(app.push_notices().await >= 2);
    let (a, b) = (app.worker.clone(), app.worker.clone());
    let one = tokio::spawn(async move { a.run_until_idle().await.unwrap() });
    let two = tokio::spawn(async move { b.run_until_idle().await.unwrap() });
    one.await.unwrap();
    two.await.unwrap();
    app.worker.run_until_idle().await.unwrap();
}

fn status_labels(rows: &[kessai::store::PaymentOperation]) -> Vec<&str> {
    rows.iter()
        .filter(|r| r.operation == "status")
        .map(|r| r.label.as_str())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn notices_of_one_payment_applied_at_the_same_time_end_in_the_final_status_with_every_row() {
    let app = TestApp::demo().await;
    for round in 0..10 {
        // Authorized then captured at Paygent while kessai knew nothing (a lost order).
        let started = app.start_checkout(None).await;
        let payment_id = app.authorized_at_paygent_only(&started).await;
        paygent_client(&app)
            .await
            .capture(&payment_id)
            .await
            .unwrap();

        process_concurrently(&app).await;

        let p = app.payment(started.payment_id).await;
        assert_eq!(
            p.provider_status_label.as_deref(),
            Some("消込済"),
            "round {round}"
        );
        assert!(
            p.order_id.is_some(),
            "round {round}: the lost order is back"
        );
        let rows = app.state.store.payment_operations(p.id).await.unwrap();
        let labels = status_labels(&rows);
        assert!(
            labels.contains(&"オーソリOK") && labels.contains(&"消込済"),
            "round {round}: {labels:?}"
        );

        // Captured then sales-cancelled at Paygent, of a payment kessai authorized.
        let started = app.start_checkout(None).await;
        let paid = app.pay_with_test_card(&started).await;
        app.deliver_notices().await;
        let id = paid.provider_payment_id.clone().unwrap();
        let client = paygent_client(&app).await;
        client.capture(&id).await.unwrap();
        client.cancel_sale(&id).await.unwrap();

        process_concurrently(&app).await;

        let p = app.payment(started.payment_id).await;
        assert_eq!(
            p.provider_status_label.as_deref(),
            Some("売上取消済"),
            "round {round}"
        );
        let rows = app.state.store.payment_operations(p.id).await.unwrap();
        let labels = status_labels(&rows);
        assert!(
            labels.contains(&"消込済") && labels.contains(&"売上取消済"),
            "round {round}: {labels:?}"
        );
    }
}

/// A report of `code` for `service`'s payment `payment_id` at the provider.
fn report(service: &Service, code: &str) -> Report {
    let info = kessai::providers::describe(service.provider, service.kind, code);
    Report {
        payment_id: "LATE-1".to_owned(),
        code: code.to_owned(),
        label: info.label,
        state: info.state,
        step: info.step,
        amount: None,
    }
}

#[tokio::test]
async fn a_report_that_arrives_after_a_later_one_is_kept_in_the_history_without_moving_the_payment()
{
    for service in services() {
        let app = app_for(&service).await;
        let started = app
            .start_checkout_of(&app.checkout_paid_by(service.kind, None).await)
            .await;
        let (earlier, later) = service.moves;

        let payments = &app.state.payments;
        payments
            .apply(started.payment_id, &report(&service, later))
            .await
            .unwrap();
        let late = payments
            .apply(started.payment_id, &report(&service, earlier))
            .await
            .unwrap();
        let again = payments
            .apply(started.payment_id, &report(&service, earlier))
            .await
            .unwrap();

        let p = app.payment(started.payment_id).await;
        assert_eq!(
            p.provider_status_code.as_deref(),
            Some(later),
            "{}",
            service.name
        );
        assert_eq!(late, kessai::payments::apply::Applied::Recorded);
        assert_eq!(again, kessai::payments::apply::Applied::Unchanged);
        let rows = app.state.store.payment_operations(p.id).await.unwrap();
        let late_row = rows
            .iter()
            .find(|r| r.label == report(&service, earlier).label)
            .unwrap_or_else(|| panic!("{}: no row for the late report", service.name));
        assert_eq!(
            late_row.result_message.as_deref(),
            Some(kessai::payments::apply::LATE_NOTE)
        );
    }
}

#[tokio::test]
async fn a_retried_request_whose_call_went_through_before_a_crash_gets_that_calls_answer() {
    for service in services() {
        let app = app_for(&service).await;
        let started = bought(&app, &service).await;
        let payment = app.payment(started.payment_id).await;
        let capabilities = app.state.payments.capabilities(&payment).await.unwrap();
        // A call left without an answer is settled by a status inquiry.
        if !capabilities.allows(Operation::Capture) || !capabilities.allows(Operation::Refresh) {
            continue;
        }
        let order_id = payment.order_id.unwrap();
        let key = kessai::http::api::keys::create(
            &app.state.store,
            "契約テスト",
            "test",
            app.state.clock.now(),
        )
        .await
        .unwrap()
        .unwrap();
        let path = format!("/api/v1/orders/{order_id}/payment/capture");
        let idempotency_key = "retry-after-crash";
        // The first request: claimed its key, sent the capture, and died.
        let hash =
            kessai::http::api::idempotency::request_hash(&axum::http::Method::POST, &path, b"{}");
        let now = app.state.clock.now();
        let store = &app.state.store;
        assert!(store
            .claim_idempotency_key(key.id, idempotency_key, &hash, now)
            .await
            .unwrap());
        store
            .begin_payment_operation(
                payment.id,
                "capture",
                "売上処理",
                payment.amount,
                Some(&format!("{}:{idempotency_key}", key.id)),
                now,
            )
            .await
            .unwrap()
            .unwrap();
        connector(&app, service.provider)
            .await
            .capture(&payment_ref(&payment), None)
            .await
            .unwrap();

        // The client retries once the claim counts as abandoned.
        app.state.clock.advance(Duration::minutes(11)).unwrap();
        let r = app
            .client
            .post(app.url(&path))
            .bearer_auth(key.key.expose())
            .header("Idempotency-Key", idempotency_key)
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .unwrap();

        let status = r.status().as_u16();
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(status, 200, "{}: {body}", service.name);
        assert_eq!(body["state"], "captured", "{}", service.name);
        let history = body["history"].as_array().unwrap();
        let calls: Vec<_> = history
            .iter()
            .filter(|row| row["label"] == "売上処理")
            .collect();
        assert_eq!(calls.len(), 1, "{}: one capture, {history:?}", service.name);
        assert_eq!(calls[0]["outcome"], "succeeded", "{}", service.name);
        assert!(
            !history.iter().any(|row| row["label"] == "カード決済売上"),
            "{}: no second capture was sent",
            service.name
        );
    }
}

/// A Paygent sandbox serving on a port of its own, as `kessai sandbox` does, pushing its
/// notifications to `notify_url`; answers its base URL.
async fn sandbox_apart(notify_url: String) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let router = axum::Router::new().nest(
        "/sandbox",
        sandbox::router_with(sandbox::Options {
            paygent: sandbox::paygent::Options {
                notify_url: Some(notify_url),
                auto_push: false,
            },
            ..sandbox::Options::default()
        }),
    );
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{address}/sandbox/paygent")
}

#[tokio::test]
async fn a_sandbox_running_as_its_own_process_serves_as_the_test_environment() {
    let app = TestApp::demo().await;
    let base = sandbox_apart(app.url("/notify/paygent")).await;
    app.set_paygent(&[("test_target", "url"), ("test_url", &base)])
        .await;
    let started = app.start_checkout(None).await;

    // The card form loads the token script of that sandbox, which issues the token.
    let (_, form) = app.page(&format!("/checkout/{}", started.link_key)).await;
    assert!(
        form.contains(&format!(
            "{}&#x2f;js&#x2f;PaygentToken.js",
            base.replace('/', "&#x2f;")
        )),
        "{form}"
    );
    let receipt = app.card_token_at(&base, "4900000000000000").await;
    let r = app
        .post_card_form(&started.link_key, &[("card_json", &receipt)])
        .await;
    assert_eq!(r.status().as_u16(), 303, "{}", r.text().await.unwrap());

    // Its notification reaches kessai, and the operator captures through it (the built-in
    // sandbox, which never saw the payment, would refuse the capture).
    let pushed: serde_json::Value = app
        .client
        .post(format!("{base}/testtool/notices/deliver"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(pushed["delivered"], 1, "{pushed}");
    app.worker.run_until_idle().await.unwrap();
    let captured = app
        .state
        .payments
        .perform(
            started.payment_id,
            &OperationRequest::new(Operation::Capture, "admin"),
        )
        .await
        .unwrap();

    assert_eq!(captured.provider_status_label.as_deref(), Some("消込済"));
    let notices = app.state.store.notifications(10).await.unwrap();
    assert_eq!(notices[0].status, "processed");
}

#[tokio::test]
async fn a_charge_kessai_starts_on_a_kept_card_is_made_once_per_trading_id() {
    // Arrange: a member's card kept at Paygent, and the member's order.
    let app = TestApp::demo().await;
    let member = app.create_member("charged@example.jp").await;
    let receipt: serde_json::Value =
        serde_json::from_str(&app.card_token("4900000000000000").await).unwrap();
    let keeper = connector(&app, "paygent").await;
    let card = app
        .state
        .payments
        .keep_card(
            member,
            &keeper,
            &kessai::providers::CardSubmission::Paygent(
                kessai::providers::paygent::cards::CardSubmission {
                    token: receipt["token"].as_str().unwrap().to_owned(),
                },
            ),
        )
        .await
        .unwrap();
    let started = app
        .start_checkout_of(&app.checkout_paid_by("paygent_card", Some(member)).await)
        .await;
    let order_id = app.pay_with_test_card(&started).await.order_id.unwrap();
    let request = kessai::payments::cards::ChargeRequest {
        order_id: Some(order_id),
        card_id: card.id,
        kind: "paygent_card",
        amount: 1980,
        trading_id: "charge202612",
    };

    // Act
    let first = app.state.payments.charge(&request).await.unwrap();
    let again = app.state.payments.charge(&request).await.unwrap();
    let other = app
        .state
        .payments
        .charge(&kessai::payments::cards::ChargeRequest {
            amount: 999,
            ..request.clone()
        })
        .await;

    // Assert
    assert_eq!(first.id, again.id, "the same trading id is the same charge");
    assert_eq!(first.origin, "charge");
    assert_eq!(first.state(), PaymentState::Authorized);
    assert_eq!(first.provider_status_label.as_deref(), Some("オーソリOK"));
    assert!(
        other.is_err(),
        "another amount under the same trading id is refused"
    );
    let calls: Vec<_> = app
        .state
        .store
        .payment_operations(first.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.operation == "authorize")
        .collect();
    assert_eq!(calls.len(), 1, "charged once");
    let payments = app.state.store.order_payments(order_id).await.unwrap();
    assert_eq!(payments.len(), 2, "the checkout's and the charge");
    let checkout = app
        .state
        .store
        .checkout_payment(order_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(checkout.id, started.payment_id);
}
