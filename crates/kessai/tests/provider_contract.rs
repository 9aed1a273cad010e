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
    /// The exact acknowledgement the provider expects to a notification.
    ack: &'static str,
    /// A stored notification body changed so that its signature no longer fits.
    forge: fn(&str) -> String,
    /// Two statuses a payment moves through in order at the provider (a code each).
    moves: (&'static str, &'static str),
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
            ack: "result=0",
            forge,
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
            ack: "result=0",
            forge,
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
            ack: "result=0",
            forge,
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
            ack: "result=0",
            forge,
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
            ack: "result=0",
            forge,
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
            ack: "result=0",
            forge,
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
            ack: REMISE_ACK,
            forge: remise::forge,
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
            ack: REMISE_ACK,
            forge: remise::forge,
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
            ack: "{}",
            forge: atone::forge,
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
            ack: REMISE_ACK,
            forge: remise::forge,
            moves: ("ISSUED", "RECEIVED"),
        },
    ]
}

const REMISE_ACK: &str = "<SDBKDATA>STATUS=800</SDBKDATA>";

/// atone's steps, played against its sandbox's widget.
mod atone {
    use std::collections::HashMap;
    use std::sync::Mutex;

    use super::*;
    use common::atone::{confirm_in_widget, post_result, WidgetAnswer};

    /// The widget's answers, by link key, between the buyer's confirmation and the page's
    /// post back to the shop.
    static ANSWERS: Mutex<Option<HashMap<String, WidgetAnswer>>> = Mutex::new(None);

    /// The buyer confirms in atone's widget; atone holds the transaction.
    pub async fn widget(app: &TestApp, s: &Started) {
        let answer = confirm_in_widget(app, &s.link_key, sandbox::atone::members::STANDARD).await;
        assert_eq!(answer.result, "succeeded");
        ANSWERS
            .lock()
            .unwrap()
            .get_or_insert_with(HashMap::new)
            .insert(s.link_key.clone(), answer);
    }

    /// The widget page posts the callbacks' result back to the shop.
    pub async fn come_back(app: &TestApp, s: &Started) {
        let answer = ANSWERS
            .lock()
            .unwrap()
            .get_or_insert_with(HashMap::new)
            .remove(&s.link_key)
            .expect("confirmed first");
        let r = post_result(app, &s.link_key, &answer).await;
        assert_eq!(r.status().as_u16(), 303, "{}", r.text().await.unwrap());
        assert_eq!(location(&r), format!("/checkout/{}/done", s.link_key));
    }

    /// atone's webhook is not signed: a forgery names another transaction, which atone's
    /// 取引参照 does not confirm.
    pub fn forge(raw: &str) -> String {
        raw.replacen("\"id\":\"tr_", "\"id\":\"tr_x", 1)
    }
}

/// Remise's steps, played against its sandbox.
mod remise {
    use std::collections::HashMap;
    use std::sync::Mutex;

    use super::*;
    use common::remise::{
        choose_destination, pay_card_at_remise, receive_in_back_office, return_to_shop,
    };

    /// Remise's auto-posting pages back to the shop, by link key, between the payment and
    /// the browser's return.
    static BACK: Mutex<Option<HashMap<String, String>>> = Mutex::new(None);

    /// The buyer pays on Remise's card page; Remise's 結果通知 is stored, the browser is
    /// about to come back.
    pub async fn card(app: &TestApp, s: &Started) {
        let back = pay_card_at_remise(
            app,
            &s.link_key,
            Some(sandbox::remise::testcard::APPROVED_VISA),
        )
        .await;
        BACK.lock()
            .unwrap()
            .get_or_insert_with(HashMap::new)
            .insert(s.link_key.clone(), back);
    }

    /// The browser posts Remise's page back to the shop.
    pub async fn come_back(app: &TestApp, s: &Started) {
        let back = BACK
            .lock()
            .unwrap()
            .get_or_insert_with(HashMap::new)
            .remove(&s.link_key)
            .expect("paid first");
        let r = return_to_shop(app, &back).await;
        assert_eq!(r.status().as_u16(), 303, "{}", r.text().await.unwrap());
        assert_eq!(location(&r), format!("/checkout/{}/done", s.link_key));
    }

    /// The buyer picks セブン-イレブン on Remise's page and is back with the number.
    pub async fn store_chosen(app: &TestApp, s: &Started) {
        let r = choose_destination(app, &s.link_key, "D001").await;
        assert_eq!(r.status().as_u16(), 303, "{}", r.text().await.unwrap());
    }

    /// The buyer pays at the store, as the sandbox's back office plays it.
    pub async fn paid_in_back_office(app: &TestApp, s: &Started) {
        receive_in_back_office(app, &s.link_key).await;
    }

    /// Nothing of Remise's is signed: a forgery changes the amount, which the checks catch.
    pub fn forge(raw: &str) -> String {
        raw.replace("TOTAL=", "TOTAL=9")
    }
}

/// Paygent's steps, played against its sandbox.
mod paygent {
    use super::*;

    /// The card form with the sandbox's approved test card.
    pub async fn card(app: &TestApp, s: &Started) {
        app.pay_with_test_card(s).await;
    }

    /// Paygent's payment page: kessai's hand-off posts the hashed request, the buyer pays.
    pub async fn card_on_link_page(app: &TestApp, s: &Started) {
        let (_, handoff) = app.page(&format!("/checkout/{}", s.link_key)).await;
        let action = common::attr(&handoff, "<form", "action").replace(&app.address, "");
        let fields = common::hidden_fields(&handoff);
        let page = app
            .post_form(&action, &common::as_pairs(&fields))
            .await
            .text()
            .await
            .unwrap();
        let r = app.pay_on_link_page(&page).await;
        assert_eq!(r.status().as_u16(), 303, "{}", r.text().await.unwrap());
    }

    /// The buyer is back from Paygent's page.
    pub async fn come_back(app: &TestApp, s: &Started) {
        let r = app.get(&format!("/checkout/{}/return", s.link_key)).await;
        assert_eq!(r.status().as_u16(), 303, "{}", r.text().await.unwrap());
        assert_eq!(location(&r), format!("/checkout/{}/done", s.link_key));
    }

    /// The buyer confirms a payment made after ordering (the first store offered).
    pub async fn apply(app: &TestApp, s: &Started) {
        let (_, page) = app.page(&format!("/checkout/{}", s.link_key)).await;
        let store = if page.contains("name=\"cvs_company_id\"") {
            common::attr(&page, "name=\"cvs_company_id\"", "value")
        } else {
            String::new()
        };
        let r = app
            .post_form(
                &format!("/checkout/{}/apply", s.link_key),
                &[("cvs_company_id", store.as_str())],
            )
            .await;
        assert_eq!(r.status().as_u16(), 303, "{}", r.text().await.unwrap());
    }

    /// Net banking: the application, then the bank chosen on Paygent's page.
    pub async fn bank_chosen(app: &TestApp, s: &Started) {
        let r = app
            .post_form(
                &format!("/checkout/{}/apply", s.link_key),
                &[("cvs_company_id", "")],
            )
            .await;
        assert_eq!(r.status().as_u16(), 303);
        let asp = location(&r).replace(&app.address, "");
        let (_, page) = app.page(&asp).await;
        let hv = common::attr(&page, "name=\"hv\"", "value");
        let r = app
            .post_form(
                "/sandbox/paygent/banking/asp",
                &[
                    ("tid", s.link_key.as_str()),
                    ("mid", "123456789"),
                    ("hv", hv.as_str()),
                    ("bank_code", "0010"),
                ],
            )
            .await;
        assert_eq!(r.status().as_u16(), 200);
    }

    /// The buyer pays, as the operator of Paygent's test tool plays it (消込済).
    pub async fn paid_in_test_tool(app: &TestApp, s: &Started) {
        let payment = app.payment(s.payment_id).await;
        let payment = match payment.provider_payment_id {
            Some(_) => payment,
            None => {
                app.state.payments.refresh(&payment).await.unwrap();
                app.payment(s.payment_id).await
            }
        };
        // Where the buyer paid: an ATM's bank (a store is the one the number is for).
        let bank = match payment.settlement_kind.as_str() {
            "paygent_atm" => "9900",
            _ => "",
        };
        let r = app
            .post_form(
                "/sandbox/paygent/testtool/statusupdate",
                &[
                    ("merchant_id", "123456789"),
                    ("connect_id", "sandboxconnect"),
                    ("connect_password", "sandboxpassword"),
                    (
                        "payment_id",
                        payment.provider_payment_id.as_deref().unwrap(),
                    ),
                    ("payment_status", "40"),
                    ("paid_at", "20260510120000"),
                    ("bank_code", bank),
                ],
            )
            .await;
        assert_eq!(r.status().as_u16(), 303, "{}", r.text().await.unwrap());
    }

    /// Paidy Checkout authorizes, and the page posts Paidy's answer.
    pub async fn paidy(app: &TestApp, s: &Started) {
        let r = app.pay_with_paidy(&s.link_key, "buyer@example.jp").await;
        assert_eq!(r.status().as_u16(), 303, "{}", r.text().await.unwrap());
    }
}

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
        let forged = post((service.forge)(&first.raw_body)).await;
        app.worker.run_until_idle().await.unwrap();

        assert_eq!(again, (200, service.ack.to_owned()), "{}", service.name);
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

#[path = "provider_contract/races.rs"]
mod races;
