//! The conformance suite every provider service passes, run against kessai with the
//! provider's sandbox (on SQLite, and on PostgreSQL when `KESSAI_TEST_DATABASE_URL` is set):
//! bought through its hand-off it makes exactly one order; a notification delivered twice has
//! one effect and a forged one is rejected and logged; a notification before or after the
//! browser's return confirms the same order; every operation the capability table allows
//! succeeds and every other is refused with the manual's message; a call the provider never
//! answered is settled by the worker. Then the core's guarantees under crashes and
//! concurrency: reports of one payment applied at the same time end in the provider's final
//! status with every history row, a late report is kept in the history without moving the
//! payment, a retried request whose call went through before a crash gets that call's
//! answer, and a sandbox running as its own process serves as the test environment.
//!
//! A provider joins the suite with its entries in [`services`].

mod common;

use std::future::Future;
use std::pin::Pin;

use chrono::Duration;
use common::{location, TestApp};
use kessai::checkout::Started;
use kessai::domain::payment::{Operation, PaymentState};
use kessai::payments::{payment_ref, OperationRequest, PaymentsError};
use kessai::providers::Connector;

type Step = for<'a> fn(&'a TestApp, &'a Started) -> Pin<Box<dyn Future<Output = ()> + 'a>>;

/// One provider service as the suite drives it.
struct Service {
    name: &'static str,
    provider: &'static str,
    kind: &'static str,
    /// Settings changes on top of the demo's.
    settings: &'static [(&'static str, &'static str)],
    /// The buyer pays through the hand-off, up to the provider holding the payment.
    buy: Step,
    /// The browser's return from the provider's page, for services that have one.
    come_back: Option<Step>,
    /// The buyer pays later (at the store, the ATM, the bank), played in the provider's test
    /// tool, for services paid after ordering.
    pay_later: Option<Step>,
    /// The provider's notifications, for services it notifies of.
    notices: Option<Notices>,
    /// Two statuses a payment moves through in order at the provider (a code each).
    moves: (&'static str, &'static str),
}

/// How a provider notifies.
struct Notices {
    /// The exact acknowledgement the provider expects to a notification.
    ack: &'static str,
    /// A stored notification body changed so that its signature no longer fits.
    forge: fn(&str) -> String,
}

/// Every provider service the suite runs; a new provider adds its entries here.
fn services() -> Vec<Service> {
    fn forge(raw: &str) -> String {
        raw.replace("hc=", "hc=0")
    }
    vec![
        Service {
            name: "paygent card (module type)",
            provider: "paygent",
            kind: "paygent_card",
            settings: &[],
            buy: |app, s| Box::pin(paygent::card(app, s)),
            come_back: None,
            pay_later: None,
            notices: Some(Notices {
                ack: "result=0",
                forge,
            }),
            moves: ("20", "40"),
        },
        Service {
            name: "paygent card (link type)",
            provider: "paygent",
            kind: "paygent_card",
            settings: &[("card", "link")],
            buy: |app, s| Box::pin(paygent::card_on_link_page(app, s)),
            come_back: Some(|app, s| Box::pin(paygent::come_back(app, s))),
            pay_later: None,
            notices: Some(Notices {
                ack: "result=0",
                forge,
            }),
            moves: ("20", "40"),
        },
        Service {
            name: "paygent convenience store",
            provider: "paygent",
            kind: "paygent_conv",
            settings: &[],
            buy: |app, s| Box::pin(paygent::apply(app, s)),
            come_back: None,
            pay_later: Some(|app, s| Box::pin(paygent::paid_in_test_tool(app, s))),
            notices: Some(Notices {
                ack: "result=0",
                forge,
            }),
            moves: ("10", "43"),
        },
        Service {
            name: "paygent ATM",
            provider: "paygent",
            kind: "paygent_atm",
            settings: &[],
            buy: |app, s| Box::pin(paygent::apply(app, s)),
            come_back: None,
            pay_later: Some(|app, s| Box::pin(paygent::paid_in_test_tool(app, s))),
            notices: Some(Notices {
                ack: "result=0",
                forge,
            }),
            moves: ("10", "40"),
        },
        Service {
            name: "paygent net banking",
            provider: "paygent",
            kind: "paygent_netbank",
            settings: &[],
            buy: |app, s| Box::pin(paygent::bank_chosen(app, s)),
            come_back: None,
            pay_later: Some(|app, s| Box::pin(paygent::paid_in_test_tool(app, s))),
            notices: Some(Notices {
                ack: "result=0",
                forge,
            }),
            moves: ("10", "40"),
        },
        Service {
            name: "paygent Paidy",
            provider: "paygent",
            kind: "paygent_paidy",
            settings: &[],
            buy: |app, s| Box::pin(paygent::paidy(app, s)),
            come_back: None,
            pay_later: None,
            notices: Some(Notices {
                ack: "result=0",
                forge,
            }),
            moves: ("20", "40"),
        },
        Service {
            name: "remise card (仮売上, 拡張セット)",
            provider: "remise",
            kind: "remise_card",
            settings: &[],
            buy: |app, s| Box::pin(remise::card(app, s)),
            come_back: Some(|app, s| Box::pin(remise::come_back(app, s))),
            pay_later: None,
            notices: Some(Notices {
                ack: REMISE_ACK,
                forge: remise::forge,
            }),
            moves: ("AUTH", "SALES"),
        },
        Service {
            name: "remise card (売上処理, no 拡張セット)",
            provider: "remise",
            kind: "remise_card",
            settings: &[("card_job", "capture"), ("extset", "off")],
            buy: |app, s| Box::pin(remise::card(app, s)),
            come_back: Some(|app, s| Box::pin(remise::come_back(app, s))),
            pay_later: None,
            notices: Some(Notices {
                ack: REMISE_ACK,
                forge: remise::forge,
            }),
            moves: ("SALES", "RETURN"),
        },
        Service {
            name: "atone (仮売上)",
            provider: "atone",
            kind: "atone",
            settings: &[("sale_mode", "auth")],
            buy: |app, s| Box::pin(atone::widget(app, s)),
            come_back: Some(|app, s| Box::pin(atone::come_back(app, s))),
            pay_later: None,
            notices: Some(Notices {
                ack: "{}",
                forge: atone::forge,
            }),
            moves: ("auth", "settled"),
        },
        Service {
            name: "remise multi payment",
            provider: "remise",
            kind: "remise_multi",
            settings: &[],
            buy: |app, s| Box::pin(remise::store_chosen(app, s)),
            come_back: None,
            pay_later: Some(|app, s| Box::pin(remise::paid_in_back_office(app, s))),
            notices: Some(Notices {
                ack: REMISE_ACK,
                forge: remise::forge,
            }),
            moves: ("ISSUED", "RECEIVED"),
        },
        Service {
            name: "yamato card (与信, token)",
            provider: "yamato",
            kind: "yamato_card",
            // Delivered by another carrier, so that 売上確定 needs no 送り状番号.
            settings: &[("yamato_delivery", "")],
            buy: |app, s| Box::pin(yamato::card(app, s)),
            come_back: None,
            pay_later: None,
            notices: None,
            moves: ("4", "30"),
        },
        Service {
            name: "yamato card (与信売上確定, token)",
            provider: "yamato",
            kind: "yamato_card",
            settings: &[("yamato_delivery", ""), ("capture", "auth_capture")],
            buy: |app, s| Box::pin(yamato::card(app, s)),
            come_back: None,
            pay_later: None,
            notices: None,
            moves: ("30", "40"),
        },
    ]
}

const REMISE_ACK: &str = "<SDBKDATA>STATUS=800</SDBKDATA>";

#[path = "provider_contract/atone.rs"]
mod atone;

#[path = "provider_contract/remise.rs"]
mod remise;

#[path = "provider_contract/paygent.rs"]
mod paygent;

#[path = "provider_contract/yamato.rs"]
mod yamato;

/// A demo app set up for `service`.
async fn app_for(service: &Service) -> TestApp {
    let app = TestApp::demo().await;
    if !service.settings.is_empty() {
        app.set_provider(service.provider, service.settings).await;
    }
    app
}

/// A checkout of `service` bought through its hand-off (and its return, if it has one),
/// with the provider's notifications delivered and processed.
async fn bought(app: &TestApp, service: &Service) -> Started {
    let started = app
        .start_checkout_of(&app.checkout_paid_by(service.kind, None).await)
        .await;
    (service.buy)(app, &started).await;
    if let Some(come_back) = service.come_back {
        come_back(app, &started).await;
    }
    app.deliver_notices().await;
    started
}

async fn orders(app: &TestApp) -> usize {
    app.state
        .store
        .prepayment_logs(100)
        .await
        .unwrap()
        .iter()
        .filter(|l| l.order_id.is_some())
        .count()
}

async fn connector(app: &TestApp, provider: &str) -> Connector {
    app.state
        .payments
        .connector_of(provider)
        .await
        .unwrap()
        .expect("a connected provider")
}

#[tokio::test]
async fn every_service_bought_through_its_hand_off_makes_exactly_one_order() {
    for service in services() {
        let app = app_for(&service).await;

        let started = bought(&app, &service).await;

        let payment = app.payment(started.payment_id).await;
        assert_eq!(orders(&app).await, 1, "{}", service.name);
        assert!(payment.order_id.is_some(), "{}", service.name);
        let code = payment.provider_status_code.clone().unwrap_or_default();
        assert!(
            kessai::providers::confirms_order(service.provider, service.kind, &code),
            "{}: {code}",
            service.name
        );
        assert_eq!(payment.environment, "test");
    }
}

#[tokio::test]
async fn a_notification_delivered_twice_has_one_effect_and_a_forged_one_is_rejected_and_logged() {
    for service in services() {
        let app = app_for(&service).await;
        let started = bought(&app, &service).await;
        let Some(notices) = &service.notices else {
            // A provider that never notifies: whatever is posted to its address is kept,
            // rejected and logged, and moves nothing.
            let history_before = app.history(started.payment_id).await;
            let path = format!("/notify/{}", service.provider);
            let posted = app
                .post_body(&path, "order_no=x&settle_result=1".into())
                .await;
            app.worker.run_until_idle().await.unwrap();
            assert_eq!(posted.0, 200, "{}", service.name);
            let after = app.state.store.notifications(100).await.unwrap();
            assert_eq!(after[0].status, "rejected", "{}", service.name);
            assert_eq!(app.history(started.payment_id).await, history_before);
            continue;
        };
        if let Some(pay_later) = service.pay_later {
            pay_later(&app, &started).await;
            app.deliver_notices().await;
        }
        let stored = app.state.store.notifications(100).await.unwrap();
        let first = stored
            .last()
            .unwrap_or_else(|| panic!("{}: the provider notified", service.name))
            .clone();
        let path = format!("/notify/{}", service.provider);
        let post = |body: String| app.post_body(&path, body);
        let history_before = app.history(started.payment_id).await;

        let again = post(first.raw_body.clone()).await;
        let forged = post((notices.forge)(&first.raw_body)).await;
        app.worker.run_until_idle().await.unwrap();

        assert_eq!(again, (200, notices.ack.to_owned()), "{}", service.name);
        assert_eq!(forged.0, 200, "{}: stored, so acknowledged", service.name);
        let after = app.state.store.notifications(100).await.unwrap();
        assert_eq!(after.len(), stored.len() + 1, "{}", service.name);
        assert_eq!(after[0].status, "rejected", "{}", service.name);
        let errors = app.state.store.payment_errors(10).await.unwrap();
        assert_eq!(errors[0].status_code, "notification", "{}", service.name);
        assert_eq!(
            app.history(started.payment_id).await,
            history_before,
            "{}: no second effect",
            service.name
        );
        assert_eq!(orders(&app).await, 1, "{}", service.name);
    }
}

#[tokio::test]
async fn a_notification_before_or_after_the_browsers_return_confirms_the_same_one_order() {
    for service in services() {
        let Some(come_back) = service.come_back else {
            continue;
        };
        for notification_first in [true, false] {
            let app = app_for(&service).await;
            let started = app
                .start_checkout_of(&app.checkout_paid_by(service.kind, None).await)
                .await;
            (service.buy)(&app, &started).await;

            if notification_first {
                app.deliver_notices().await;
                assert_eq!(orders(&app).await, 1, "{}: recovered", service.name);
                come_back(&app, &started).await;
            } else {
                come_back(&app, &started).await;
                app.deliver_notices().await;
            }

            assert_eq!(orders(&app).await, 1, "{}", service.name);
            let payment = app.payment(started.payment_id).await;
            assert!(payment.order_id.is_some(), "{}", service.name);
        }
    }
}

/// What an allowed operation is asked with.
fn request(operation: Operation, amount: i64) -> OperationRequest<'static> {
    OperationRequest {
        amount: match operation {
            Operation::ChangeAmount => Some(amount - 100),
            _ => None,
        },
        ..OperationRequest::new(operation, "contract")
    }
}

const OPERATIONS: [Operation; 5] = [
    Operation::Capture,
    Operation::ChangeAmount,
    Operation::Cancel,
    Operation::Refund,
    Operation::Refresh,
];

/// Checks the capability table of a payment in its current status: every allowed operation
/// succeeds (each on a payment of its own, made by `fresh`), every other is refused with
/// the manual's message and changes nothing.
async fn check_operations<F, Fut>(app: &TestApp, service: &Service, payment_id: i64, fresh: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = i64>,
{
    let payment = app.payment(payment_id).await;
    let allowed = app.state.payments.capabilities(&payment).await.unwrap();
    let status = payment.provider_status_label.clone().unwrap_or_default();
    for operation in OPERATIONS {
        if allowed.allows(operation) {
            let id = fresh().await;
            let amount = app.payment(id).await.amount;
            let done = app
                .state
                .payments
                .perform(id, &request(operation, amount))
                .await;
            assert!(
                done.is_ok(),
                "{} in {status}: {operation:?} is allowed but {done:?}",
                service.name
            );
        } else {
            let history = app.history(payment_id).await;
            let refused = app
                .state
                .payments
                .perform(payment_id, &request(operation, payment.amount))
                .await;
            let message = match refused {
                Err(e @ PaymentsError::NotAllowed { .. }) => e.to_string(),
                other => panic!(
                    "{} in {status}: {operation:?} is not allowed but {other:?}",
                    service.name
                ),
            };
            assert!(
                message.starts_with(&format!("決済状況が「{status}」のため")),
                "{message}"
            );
            assert_eq!(app.history(payment_id).await, history, "{}", service.name);
        }
    }
}

#[tokio::test]
async fn every_operation_the_capability_table_allows_succeeds_and_every_other_is_refused() {
    for service in services() {
        let app = app_for(&service).await;
        let bought_one = || async { bought(&app, &service).await.payment_id };
        let first = bought_one().await;

        check_operations(&app, &service, first, bought_one).await;

        // And once captured, where the service captures.
        let payment = app.payment(first).await;
        let capabilities = app.state.payments.capabilities(&payment).await.unwrap();
        if capabilities.allows(Operation::Capture) {
            let captured_one = || async {
                let id = bought_one().await;
                app.state
                    .payments
                    .perform(id, &request(Operation::Capture, 0))
                    .await
                    .unwrap();
                id
            };
            let captured = captured_one().await;
            assert_eq!(app.payment(captured).await.state(), PaymentState::Captured);
            check_operations(&app, &service, captured, captured_one).await;
        }
    }
}

#[tokio::test]
async fn a_call_whose_answer_a_crash_lost_is_settled_by_the_worker_and_frees_the_payment() {
    for service in services() {
        let app = app_for(&service).await;
        let started = bought(&app, &service).await;
        let payment = app.payment(started.payment_id).await;
        let capabilities = app.state.payments.capabilities(&payment).await.unwrap();
        if !capabilities.allows(Operation::Capture) || !capabilities.allows(Operation::Refresh) {
            continue;
        }
        // The capture reached the provider; kessai died before recording its answer.
        app.state
            .store
            .begin_payment_operation(
                payment.id,
                "capture",
                "売上処理",
                payment.amount,
                None,
                app.state.clock.now(),
            )
            .await
            .unwrap()
            .unwrap();
        connector(&app, service.provider)
            .await
            .capture(&payment_ref(&payment), None)
            .await
            .unwrap();
        let busy = app
            .state
            .payments
            .perform(payment.id, &request(Operation::Cancel, 0))
            .await;
        assert!(
            matches!(busy, Err(PaymentsError::Busy)),
            "{}: {busy:?}",
            service.name
        );

        app.state.clock.advance(Duration::minutes(6)).unwrap();
        kessai::payments::jobs::schedule_periodic(&app.state.store, &app.state.clock)
            .await
            .unwrap();
        app.worker.run_until_idle().await.unwrap();

        let settled = app.payment(payment.id).await;
        assert_eq!(settled.state(), PaymentState::Captured, "{}", service.name);
        let rows = app
            .state
            .store
            .payment_operations(payment.id)
            .await
            .unwrap();
        let capture = rows.iter().find(|r| r.operation == "capture").unwrap();
        assert_eq!(capture.outcome, "succeeded", "{}", service.name);
        assert!(capture
            .result_message
            .as_deref()
            .unwrap_or_default()
            .starts_with("状態照会で確認しました"));
        assert!(
            !matches!(
                app.state
                    .payments
                    .perform(payment.id, &request(Operation::Refresh, 0))
                    .await,
                Err(PaymentsError::Busy)
            ),
            "{}: the payment is free again",
            service.name
        );
    }
}

#[tokio::test]
async fn without_an_inquiry_a_call_left_without_an_answer_is_marked_for_the_operator() {
    // A link-type-only contract: no telegram, so no inquiry either.
    let app = TestApp::demo().await;
    app.set_paygent(&[
        ("card", "link"),
        ("conv", "off"),
        ("atm", "off"),
        ("netbank", "off"),
        ("paidy", "off"),
        ("connect_id", ""),
        ("connect_password", ""),
    ])
    .await;
    let started = app.start_checkout(None).await;
    let row = app
        .state
        .store
        .begin_payment_operation(
            started.payment_id,
            "capture",
            "売上処理",
            started.amount,
            None,
            app.state.clock.now(),
        )
        .await
        .unwrap()
        .unwrap();

    app.state.clock.advance(Duration::minutes(6)).unwrap();
    kessai::payments::jobs::schedule_periodic(&app.state.store, &app.state.clock)
        .await
        .unwrap();
    app.worker.run_until_idle().await.unwrap();

    let rows = app
        .state
        .store
        .payment_operations(started.payment_id)
        .await
        .unwrap();
    let settled = rows.iter().find(|r| r.id == row).unwrap();
    assert_eq!(settled.outcome, "unconfirmed");
    let errors = app.state.store.payment_errors(10).await.unwrap();
    assert_eq!(errors[0].status_code, "unconfirmed");
    let payment = app.payment(started.payment_id).await;
    assert!(app
        .state
        .payments
        .capabilities(&payment)
        .await
        .unwrap()
        .operations
        .is_empty());
}

/// Records Paygent's オーソリOK on a checkout's payment, as the card step does just before
/// it creates the order.
async fn record_authorization(app: &TestApp, started: &Started, payment_id: &str) {
    let info = kessai::providers::describe("paygent", "paygent_card", "20");
    let report = kessai::providers::Report {
        payment_id: payment_id.to_owned(),
        code: "20".to_owned(),
        label: info.label,
        state: info.state,
        step: info.step,
        amount: Some(started.amount),
    };
    app.state
        .payments
        .apply(started.payment_id, &report)
        .await
        .unwrap();
}

/// Runs the stale-call sweep alone (not the notification poll, which would find the
/// authorization too) six minutes later.
async fn sweep_after_six_minutes(app: &TestApp) {
    app.state.clock.advance(Duration::minutes(6)).unwrap();
    kessai::jobs::enqueue(
        &app.state.store,
        &app.state.clock,
        &kessai::payments::jobs::SettleStaleOperations,
        None,
        None,
    )
    .await
    .unwrap();
    app.worker.run_until_idle().await.unwrap();
}

#[tokio::test]
async fn a_checkout_a_crash_left_authorized_without_its_order_gets_it_from_the_sweep() {
    // Arrange: authorized at Paygent and recorded, then the process died before the order
    // was created; no call is pending, and no notification is delivered or polled.
    let app = TestApp::demo().await;
    let started = app.start_checkout(None).await;
    let payment_id = app.authorized_at_paygent_only(&started).await;
    record_authorization(&app, &started, &payment_id).await;

    // Act
    sweep_after_six_minutes(&app).await;

    // Assert
    let payment = app.payment(started.payment_id).await;
    assert!(payment.order_id.is_some(), "the lost order is created");
    assert_eq!(payment.provider_status_label.as_deref(), Some("オーソリOK"));
}

#[tokio::test]
async fn without_an_inquiry_a_checkout_recorded_as_authorized_without_its_order_gets_it_too() {
    // A link-type-only contract: no telegram, so no inquiry; the recorded status counts.
    let app = TestApp::demo().await;
    app.set_paygent(&[
        ("card", "link"),
        ("conv", "off"),
        ("atm", "off"),
        ("netbank", "off"),
        ("paidy", "off"),
        ("connect_id", ""),
        ("connect_password", ""),
    ])
    .await;
    let started = app.start_checkout(None).await;
    record_authorization(&app, &started, "100000001").await;

    sweep_after_six_minutes(&app).await;

    let payment = app.payment(started.payment_id).await;
    assert!(payment.order_id.is_some(), "the lost order is created");
}

#[path = "provider_contract/races.rs"]
mod races;
