//! Kuroneko Web Collect against its sandbox: the API client (a token minted as the token JS
//! does, A08, E04, E01 with a 送り状番号, A07, A06, a refused card), the token card checkout
//! (与信, 与信売上確定, 3-D Secure passed and failed, kept cards), capture on shipment from
//! 受注データ編集 and 一括操作, and 取消 / 利用額変更.

mod common;

use common::api::{customer, Api};
use common::forms::{edit_form, set};
use common::yamato::{answer_acs, authenticate, mint, pay, post_back, Dialog, Entry};
use common::{as_pairs, location, TestApp};
use kessai::domain::payment::{Operation, PaymentState};
use kessai::payments::{OperationRequest, PaymentsError};
use kessai::providers::yamato::client::{Authorize, Authorized, Client};
use kessai::providers::yamato::wire;
use kessai::providers::ProviderError;
use sandbox::yamato::testcard;

const TRADER: &str = "888888709";
const ACCESS_KEY: &str = "1234567";

/// A token for `card`, as the token JS would get it from the browser.
async fn token(app: &TestApp, card: &str) -> String {
    let answer: serde_json::Value = app
        .client
        .post(app.url("/sandbox/yamato/test_gateway/token/createToken"))
        .form(&[
            ("traderCode", TRADER),
            ("authDiv", "0"),
            ("optServDiv", "00"),
            ("checkSum", &wire::token_check_sum(None, ACCESS_KEY, "0")),
            ("cardNo", card),
            ("cardOwner", "TARO YAMADA"),
            ("cardExp", "1235"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["token"]
        .as_str()
        .unwrap_or_else(|| panic!("a token: {answer}"))
        .to_owned()
}

fn authorize<'a>(order_no: &'a str, token: &'a str) -> Authorize<'a> {
    Authorize {
        order_no,
        amount: 2080,
        token,
        pay_way: "1",
        buyer_name: "山田太郎",
        buyer_tel: "0312345678",
        buyer_email: "buyer@example.jp",
        three_d_return: None,
        member: None,
    }
}

#[tokio::test]
async fn a_token_authorization_is_captured_by_the_shipment_changed_and_cancelled() {
    let app = TestApp::spawn().await;
    let client = Client::new(&app.url("/sandbox/yamato"), true, TRADER);
    let token = token(&app, testcard::APPROVED_VISA).await;

    let authorized = client.authorize(&authorize("K0001", &token)).await.unwrap();
    let after_auth = client.trade_info("K0001").await.unwrap();
    client.ship("K0001", "123456789013", true).await.unwrap();
    let after_ship = client.trade_info("K0001").await.unwrap();
    client.change_price("K0001", 1580).await.unwrap();
    let after_change = client.trade_info("K0001").await.unwrap();
    client.cancel("K0001").await.unwrap();
    let after_cancel = client.trade_info("K0001").await.unwrap();

    assert!(matches!(authorized, Authorized::Done { ref approval } if !approval.is_empty()));
    assert_eq!(after_auth["statusInfo"], "4");
    assert_eq!(after_ship["statusInfo"], "30");
    assert_eq!(after_ship["slipNo"], "123456789013");
    assert_eq!(after_change["settlePrice"], "1580");
    assert_eq!(after_cancel["statusInfo"], "40");
}

#[tokio::test]
async fn a_refused_card_and_a_bad_slip_name_yamatos_codes() {
    let app = TestApp::spawn().await;
    let client = Client::new(&app.url("/sandbox/yamato"), true, TRADER);
    let declined = token(&app, testcard::DECLINED_BY_ISSUER).await;
    let approved = token(&app, testcard::APPROVED_VISA).await;

    let refused = client.authorize(&authorize("K0002", &declined)).await;
    client
        .authorize(&authorize("K0003", &approved))
        .await
        .unwrap();
    let bad_slip = client.ship("K0003", "123456789012", true).await;

    match refused {
        Err(ProviderError::Refused { code, message, .. }) => {
            assert_eq!(code, "A082000010");
            assert!(message.contains("承認されませんでした"), "{message}");
        }
        other => panic!("refused expected: {other:?}"),
    }
    assert!(
        matches!(bad_slip, Err(ProviderError::Refused { .. })),
        "{bad_slip:?}"
    );
    assert_eq!(
        wire::check_slip("123456789012", true),
        Err(wire::SlipError::CheckDigit),
        "kessai refuses it before the call"
    );
}

/// A demo checkout paid by Web Collect, delivered by the demo's delivery method `delivery`
/// (0 宅急便, a クロネコヤマト配送; 1 ゆうパック), for `member`.
async fn checkout(
    app: &TestApp,
    delivery: usize,
    member: Option<i64>,
) -> kessai::checkout::Started {
    let mut req = app.checkout_paid_by("yamato_card", member).await;
    req.delivery_method_id = app.state.store.delivery_methods().await.unwrap()[delivery].id;
    app.start_checkout_of(&req).await
}

/// A checkout paid with `card` (without 3-D Secure): its payment, with its order.
async fn paid(app: &TestApp, delivery: usize, card: &str) -> kessai::store::Payment {
    let started = checkout(app, delivery, None).await;
    let r = pay(app, &started.link_key, &Entry::card(card)).await;
    assert_eq!(r.status().as_u16(), 303, "{}", r.text().await.unwrap());
    assert_eq!(location(&r), format!("/checkout/{}/done", started.link_key));
    app.payment(started.payment_id).await
}

/// What Web Collect says of a 受注番号 (E04).
async fn at_yamato(app: &TestApp, order_no: &str) -> std::collections::BTreeMap<String, String> {
    Client::new(&app.url("/sandbox/yamato"), true, TRADER)
        .trade_info(order_no)
        .await
        .unwrap()
}

/// 受注データ編集 with 配送会社名, 送り状番号 and 対応状況 changed, saved: the flash message.
async fn ship(app: &TestApp, order_id: i64, carrier: &str, slip: &str) -> String {
    let mut fields = edit_form(app, order_id).await;
    set(&mut fields, "carrier", carrier);
    set(&mut fields, "tracking_number", slip);
    set(&mut fields, "order_status", "shipped");
    let r = app
        .post_form(&format!("/admin/orders/{order_id}"), &as_pairs(&fields))
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let (_, page) = app.follow(r).await;
    page
}

/// A new member (`email`) buys with `card` delivered by ゆうパック and keeps the card: the
/// member and the checkout.
async fn bought_keeping_the_card(
    app: &TestApp,
    email: &str,
    card: &str,
) -> (i64, kessai::checkout::Started) {
    let member = app.create_member(email).await;
    let started = checkout(app, 1, Some(member)).await;
    let entry = Entry {
        register: true,
        ..Entry::card(card)
    };
    let r = pay(app, &started.link_key, &entry).await;
    assert_eq!(r.status().as_u16(), 303, "{}", r.text().await.unwrap());
    (member, started)
}

fn asked(operation: Operation) -> OperationRequest<'static> {
    OperationRequest::new(operation, "admin")
}

#[tokio::test]
async fn a_token_purchase_is_authorized_and_captured_once_its_tracking_number_is_registered() {
    let app = TestApp::demo().await;
    let p = paid(&app, 0, testcard::APPROVED_VISA).await;
    let order_id = p.order_id.expect("an order");
    app.login().await;

    let without_slip = app
        .state
        .payments
        .perform(p.id, &asked(Operation::Capture))
        .await;
    let bad_slip_page = ship(&app, order_id, "yamato", "123456789012").await;
    let good_slip_page = ship(&app, order_id, "yamato", "123456789013").await;
    let csrf = app.csrf().await;
    let r = app
        .post_form(
            &format!("/admin/orders/{order_id}/payment"),
            &[("csrf", &csrf), ("operation", "capture")],
        )
        .await;
    let (_, captured_page) = app.follow(r).await;
    let changed_page = ship(&app, order_id, "yamato", "123456789024").await;

    assert_eq!(p.state(), PaymentState::Authorized);
    assert_eq!(p.provider_status_label.as_deref(), Some("与信"));
    assert_eq!(p.provider_payment_id.as_deref(), Some(p.link_key.as_str()));
    let history = app.history(p.id).await;
    assert!(
        history.iter().any(|(label, _)| label == "与信"),
        "{history:?}"
    );
    assert!(
        matches!(without_slip, Err(PaymentsError::Shipment(ref m)) if m.contains("送り状番号")),
        "{without_slip:?}"
    );
    assert!(
        bad_slip_page.contains("id=\"payment-offer-blocked\""),
        "{bad_slip_page}"
    );
    assert!(bad_slip_page.contains("送り状番号"));
    assert!(
        good_slip_page.contains("id=\"payment-offer-button\""),
        "{good_slip_page}"
    );
    assert!(good_slip_page.contains("売上確定されていません"));
    assert!(
        captured_page.contains("売上確定を行いました"),
        "{captured_page}"
    );
    let captured = app.payment(p.id).await;
    assert_eq!(captured.state(), PaymentState::Captured);
    assert_eq!(captured.provider_status_label.as_deref(), Some("売上確定"));
    let trade = at_yamato(&app, &p.link_key).await;
    assert_eq!(trade["statusInfo"], "30");
    assert_eq!(trade["slipNo"], "123456789013");
    assert_eq!(trade["deliveryServiceCode"], "00");
    assert!(
        changed_page.contains("決済会社のデータは変わりません"),
        "{changed_page}"
    );
    assert_eq!(at_yamato(&app, &p.link_key).await["slipNo"], "123456789013");

    // 取消 from 決済情報: the order keeps its 対応状況, and the result says how to change it.
    let csrf = app.csrf().await;
    let r = app
        .post_form(
            &format!("/admin/orders/{order_id}/payment"),
            &[("csrf", &csrf), ("operation", "cancel")],
        )
        .await;
    let (_, cancelled_page) = app.follow(r).await;
    let result = common::between(&cancelled_page, "id=\"payment-result\"", "</div>");
    assert!(result.contains("取消を行いました"), "{result}");
    assert!(
        result.contains("対応状況を「キャンセル」にして"),
        "{result}"
    );
}

#[tokio::test]
async fn with_auth_and_capture_only_an_order_not_delivered_by_yamato_is_captured_at_once() {
    let app = TestApp::demo().await;
    app.set_provider("yamato", &[("capture", "auth_capture")])
        .await;

    let other = paid(&app, 1, testcard::APPROVED_MASTER).await;
    let yamato = paid(&app, 0, testcard::APPROVED_MASTER).await;

    assert_eq!(other.state(), PaymentState::Captured);
    assert_eq!(
        at_yamato(&app, &other.link_key).await["deliveryServiceCode"],
        "99"
    );
    assert_eq!(yamato.state(), PaymentState::Authorized);
    assert_eq!(at_yamato(&app, &yamato.link_key).await["statusInfo"], "4");
}

#[tokio::test]
async fn three_d_secure_passed_authorizes_once_and_failed_makes_no_order() {
    let app = TestApp::demo().await;
    app.set_provider("yamato", &[("three_d_secure", "on")])
        .await;
    let passing = checkout(&app, 1, None).await;
    let failing = checkout(&app, 1, None).await;

    let acs = pay(
        &app,
        &passing.link_key,
        &Entry::card(testcard::THREE_D_PASS),
    )
    .await;
    assert_eq!(acs.status().as_u16(), 200);
    let acs = acs.text().await.unwrap();
    let waiting = app.payment(passing.payment_id).await;
    let (back, acs_post) = authenticate(&app, &acs, "authenticate").await;
    let back_location = location(&back);
    let failed_acs = pay(
        &app,
        &failing.link_key,
        &Entry::card(testcard::THREE_D_FAIL),
    )
    .await;
    let failed_acs = failed_acs.text().await.unwrap();
    let (failed, _) = authenticate(&app, &failed_acs, "authenticate").await;
    let failed_status = failed.status().as_u16();
    let failed_page = failed.text().await.unwrap();

    assert_eq!(waiting.state(), PaymentState::Pending);
    assert_eq!(
        waiting.provider_status_label.as_deref(),
        Some("3Dセキュア認証待ち")
    );
    assert_eq!(
        back_location,
        format!("/checkout/{}/done", passing.link_key)
    );
    let p = app.payment(passing.payment_id).await;
    assert_eq!(p.state(), PaymentState::Authorized);
    assert!(p.order_id.is_some());
    // The ACS's post again (a reload) makes no second A09: the order is shown.
    let again = post_back(&app, &acs_post).await;
    assert_eq!(
        location(&again),
        format!("/checkout/{}/done", passing.link_key)
    );
    assert_eq!(failed_status, 422, "{failed_page}");
    assert!(failed_page.contains("本人認証"), "{failed_page}");
    let f = app.payment(failing.payment_id).await;
    assert!(f.order_id.is_none());
    assert_ne!(f.state(), PaymentState::Authorized);
}

#[tokio::test]
async fn a_member_keeps_a_card_pays_with_it_again_and_only_the_operator_removes_it() {
    let app = TestApp::demo().await;
    let (member, _) =
        bought_keeping_the_card(&app, "neko@example.jp", testcard::APPROVED_JCB).await;
    let kept = app.state.store.member_cards(member).await.unwrap();

    let second = checkout(&app, 1, Some(member)).await;
    let (_, dialog) = app.page(&format!("/checkout/{}", second.link_key)).await;
    let r = pay(
        &app,
        &second.link_key,
        &Entry {
            card: None,
            ..Entry::card("")
        },
    )
    .await;
    let second_status = r.status().as_u16();
    let after_second = app.state.store.member_cards(member).await.unwrap();

    app.login().await;
    let (_, member_page) = app.page(&format!("/admin/members/{member}")).await;
    let mut fields = common::forms::form_fields(common::between(
        &member_page,
        "id=\"member-form\"",
        "</form>",
    ));
    set(&mut fields, "remove_card", &kept[0].id.to_string());
    let r = app
        .post_form(&format!("/admin/members/{member}"), &as_pairs(&fields))
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let third = checkout(&app, 1, Some(member)).await;
    let (_, dialog_after) = app.page(&format!("/checkout/{}", third.link_key)).await;

    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].provider, "yamato");
    assert_eq!(kept[0].customer_id, format!("kessai-{member}"));
    assert_eq!(kept[0].last4, "0000");
    assert_eq!(kept[0].environment, "test");
    assert!(
        dialog.contains("お預かりしているカード(JCB 下4桁 0000"),
        "{dialog}"
    );
    assert_eq!(second_status, 303);
    assert_eq!(
        after_second.len(),
        1,
        "a kept card paid with is not kept twice"
    );
    assert_eq!(
        app.payment(second.payment_id).await.state(),
        PaymentState::Authorized
    );
    assert!(
        member_page.contains("クイック決済を解除する"),
        "{member_page}"
    );
    assert!(app
        .state
        .store
        .member_cards(member)
        .await
        .unwrap()
        .is_empty());
    assert!(
        !dialog_after.contains("お預かりしているカード"),
        "{dialog_after}"
    );
}

#[tokio::test]
async fn bulk_shipped_captures_other_deliveries_and_leaves_yamato_ones_with_why() {
    let app = TestApp::demo().await;
    let other = paid(&app, 1, testcard::APPROVED_VISA).await;
    let yamato = paid(&app, 0, testcard::APPROVED_VISA).await;
    app.login().await;
    let csrf = app.csrf().await;
    let (other_id, yamato_id) = (
        other.order_id.unwrap().to_string(),
        yamato.order_id.unwrap().to_string(),
    );

    let r = app
        .post_form(
            "/admin/orders/bulk",
            &[
                ("csrf", &csrf),
                ("bulk_status", "shipped"),
                ("id", &other_id),
                ("id", &yamato_id),
            ],
        )
        .await;
    let status = r.status().as_u16();
    let page = r.text().await.unwrap();

    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("2件の受注の対応状況を「発送済み」に更新しました"),
        "{page}"
    );
    assert!(page.contains("class=\"bulk-ok\""), "{page}");
    assert!(page.contains("class=\"bulk-skipped\""), "{page}");
    assert!(page.contains("クロネコヤマト配送の受注は"), "{page}");
    assert_eq!(app.payment(other.id).await.state(), PaymentState::Captured);
    assert_eq!(
        app.payment(yamato.id).await.state(),
        PaymentState::Authorized
    );
}

#[tokio::test]
async fn an_amount_change_and_a_cancel_after_the_shipment_reach_yamato() {
    let app = TestApp::demo().await;
    let p = paid(&app, 1, testcard::APPROVED_VISA).await;
    let change = OperationRequest {
        amount: Some(1000),
        ..asked(Operation::ChangeAmount)
    };

    app.state.payments.perform(p.id, &change).await.unwrap();
    let changed = at_yamato(&app, &p.link_key).await["settlePrice"].clone();
    app.state
        .payments
        .perform(p.id, &asked(Operation::Capture))
        .await
        .unwrap();
    let shipped = at_yamato(&app, &p.link_key).await;
    app.state
        .payments
        .perform(p.id, &asked(Operation::Cancel))
        .await
        .unwrap();
    let cancelled = app.payment(p.id).await;

    assert_eq!(changed, "1000");
    assert_eq!(app.payment(p.id).await.amount, 1000);
    assert_eq!(shipped["statusInfo"], "30");
    assert_eq!(cancelled.state(), PaymentState::Cancelled);
    assert_eq!(cancelled.provider_status_label.as_deref(), Some("取消"));
    assert_eq!(at_yamato(&app, &p.link_key).await["statusInfo"], "40");
}

#[tokio::test]
async fn the_calls_kessai_makes_are_as_recorded_by_the_sandbox() {
    let app = TestApp::demo().await;
    let (member, started) =
        bought_keeping_the_card(&app, "wire@example.jp", testcard::APPROVED_VISA).await;
    let p = app.payment(started.payment_id).await;
    let change = OperationRequest {
        amount: Some(500),
        ..asked(Operation::ChangeAmount)
    };
    for request in [asked(Operation::Capture), change, asked(Operation::Cancel)] {
        app.state.payments.perform(p.id, &request).await.unwrap();
    }

    let (_, received) = app
        .page(&format!(
            "/sandbox/yamato/backoffice/requests?order_no={}",
            p.link_key
        ))
        .await;
    let token = received
        .lines()
        .find_map(|l| l.strip_prefix("token="))
        .expect("A08 carries the token")
        .to_owned();
    let auth_key = received
        .lines()
        .find_map(|l| l.strip_prefix("authentication_key="))
        .expect("A08 names the member")
        .to_owned();
    insta::assert_snapshot!(
        "yamato_requests",
        received
            .replace(&p.link_key, "<ORDER_NO>")
            .replace(&token, "<TOKEN>")
            .replace(&auth_key, "<AUTHENTICATION_KEY>")
            .replace(&format!("kessai-{member}"), "kessai-<MEMBER>")
    );
}

#[tokio::test]
async fn a_headless_shop_pays_with_a_token_and_3d_secure_through_the_api() {
    let app = TestApp::demo().await;
    app.set_provider("yamato", &[("three_d_secure", "on")])
        .await;
    let api = Api::new(&app, "ヘッドレス").await;
    let store = &app.state.store;
    let body = serde_json::json!({
        "items": [{ "product_code": "DEMO-TEA-01", "quantity": 1 }],
        "customer": customer("headless@example.jp"),
        "delivery_method_id": store.delivery_methods().await.unwrap()[1].id,
        "payment_method_id": app.payment_method("yamato_card").await,
    });

    let (status, started) = api.send_json("/api/v1/checkouts", &body).await;
    assert_eq!(status, 201, "{started}");
    let link_key = started["link_key"].as_str().unwrap().to_owned();
    let handoff = &started["handoff"];
    assert_eq!(handoff["type"], "in_site", "{handoff}");
    assert_eq!(handoff["provider"], "yamato");
    let dialog = Dialog::of_parameters(&handoff["parameters"]);
    let (token, _, _) = mint(&app, &dialog, &Entry::card(testcard::THREE_D_PASS))
        .await
        .unwrap();
    let submit = format!("/api/v1/checkouts/{link_key}/submit");
    let card = serde_json::json!({ "yamato": {
        "step": "card", "token": token, "three_d_return": "https://shop.example/3ds"
    }});
    let (status, challenge) = api.send_json(&submit, &card).await;
    assert_eq!(status, 200, "{challenge}");
    assert_eq!(challenge["handoff"]["type"], "html", "{challenge}");
    // The buyer's browser shows the ACS page; the ACS posts back to the shop's page.
    let html = challenge["handoff"]["html"].as_str().unwrap();
    let back = answer_acs(&app, html, "authenticate").await;
    assert_eq!(
        common::attr(&back, "<form", "action"),
        "https://shop.example/3ds"
    );
    let mut step = serde_json::Map::new();
    step.insert("step".into(), "three_d".into());
    for (name, value) in common::hidden_fields(&back) {
        step.insert(name, value.into());
    }
    let three_d = serde_json::json!({ "yamato": step });
    let (status, ordered) = api.send_json(&submit, &three_d).await;

    assert_eq!(status, 200, "{ordered}");
    assert_eq!(ordered["status"], "ordered", "{ordered}");
    let (_, shown) = api.fetch(&format!("/api/v1/checkouts/{link_key}")).await;
    assert_eq!(shown["provider_status_label"], "与信");
}

#[tokio::test]
async fn an_authorization_whose_answer_a_crash_lost_becomes_the_order_through_the_worker() {
    let app = TestApp::demo().await;
    let started = checkout(&app, 1, None).await;
    let (_, page) = app.page(&format!("/checkout/{}", started.link_key)).await;
    let entry = Entry::card(testcard::APPROVED_VISA);
    let (token, _, _) = mint(&app, &Dialog::of_page(&page), &entry).await.unwrap();
    // kessai persisted the A08 and sent it; Yamato authorized; kessai died before the answer.
    app.state
        .store
        .begin_payment_operation(
            started.payment_id,
            "authorize",
            "与信",
            started.amount,
            None,
            app.state.clock.now(),
        )
        .await
        .unwrap()
        .unwrap();
    Client::new(&app.url("/sandbox/yamato"), true, TRADER)
        .authorize(&Authorize {
            amount: started.amount,
            ..authorize(&started.link_key, &token)
        })
        .await
        .unwrap();

    app.state
        .clock
        .advance(chrono::Duration::minutes(6))
        .unwrap();
    kessai::payments::jobs::schedule_periodic(&app.state.store, &app.state.clock)
        .await
        .unwrap();
    app.worker.run_until_idle().await.unwrap();

    let p = app.payment(started.payment_id).await;
    assert_eq!(p.state(), PaymentState::Authorized);
    assert!(p.order_id.is_some(), "the lost order is made");
    let r = app.get(&format!("/checkout/{}", started.link_key)).await;
    assert_eq!(
        location(&r),
        format!("/checkout/{}/done", started.link_key),
        "the buyer coming back sees the order, nothing is charged twice"
    );
    assert_eq!(at_yamato(&app, &p.link_key).await["statusInfo"], "4");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_double_click_on_the_card_dialog_authorizes_once() {
    let app = TestApp::demo().await;
    let started = checkout(&app, 1, None).await;
    let entry = Entry::card(testcard::APPROVED_VISA);

    let (a, b) = tokio::join!(
        pay(&app, &started.link_key, &entry),
        pay(&app, &started.link_key, &entry)
    );

    let statuses = [a.status().as_u16(), b.status().as_u16()];
    assert!(statuses.contains(&303), "{statuses:?}");
    let (_, received) = app
        .page(&format!(
            "/sandbox/yamato/backoffice/requests?order_no={}",
            started.link_key
        ))
        .await;
    assert_eq!(
        received.matches("function_div=A08").count(),
        1,
        "{received}"
    );
    assert_eq!(
        app.payment(started.payment_id).await.state(),
        PaymentState::Authorized
    );
}
