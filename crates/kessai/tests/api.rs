//! The JSON API driven like a headless shop would: API keys from the admin, a checkout paid
//! with a card token from the Paygent sandbox, the order and its payment, the payment
//! operations, idempotency keys, errors, and the OpenAPI document.

mod common;

use common::api::{customer, json_answer, Api};
use common::{csrf_of, TestApp};
use serde_json::{json, Value};

/// A response: status, body, and whether it was replayed.
struct Answer {
    status: u16,
    body: Value,
    replayed: bool,
}

impl Api<'_> {
    async fn answer(r: reqwest::Response) -> Answer {
        let (status, body, replayed) = json_answer(r).await;
        Answer {
            status,
            body,
            replayed,
        }
    }

    async fn get(&self, path: &str) -> Answer {
        let r = self
            .request(reqwest::Method::GET, path)
            .send()
            .await
            .unwrap();
        Self::answer(r).await
    }

    async fn post_raw(&self, path: &str, idempotency_key: Option<&str>, body: &str) -> Answer {
        let mut request = self
            .request(reqwest::Method::POST, path)
            .header("content-type", "application/json")
            .body(body.to_owned());
        if let Some(key) = idempotency_key {
            request = request.header("Idempotency-Key", key);
        }
        Self::answer(request.send().await.unwrap()).await
    }

    async fn post(&self, path: &str, idempotency_key: &str, body: &Value) -> Answer {
        self.post_raw(path, Some(idempotency_key), &body.to_string())
            .await
    }
}

fn new_key() -> String {
    kessai::secrets::random_token(12)
}

/// A checkout of the demo shop paid by card.
async fn card_checkout(app: &TestApp) -> Value {
    let store = &app.state.store;
    let delivery = store.delivery_methods().await.unwrap()[0].id;
    let method = store
        .payment_methods()
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.settlement_kind == "paygent_card")
        .expect("the demo has a Paygent card method")
        .id;
    json!({
        "items": [
            { "product_code": "DEMO-TEA-01", "quantity": 2 },
            { "product_code": "DEMO-CUP-01", "quantity": 1 }
        ],
        "customer": customer("buyer@example.jp"),
        "delivery_method_id": delivery,
        "payment_method_id": method
    })
}

/// A card token receipt as PaygentToken.js hands it to the shop's page.
async fn token_receipt(app: &TestApp, card_number: &str) -> Value {
    serde_json::from_str(&app.card_token(card_number).await).unwrap()
}

/// Starts a checkout and pays it with a good card; returns the order id.
async fn paid_order(api: &Api<'_>) -> i64 {
    let started = api
        .post(
            "/api/v1/checkouts",
            &new_key(),
            &card_checkout(api.app).await,
        )
        .await;
    assert_eq!(started.status, 201, "{}", started.body);
    let link_key = started.body["link_key"].as_str().unwrap().to_owned();
    let card = token_receipt(api.app, "4111111111110000").await;
    let paid = api
        .post(
            &format!("/api/v1/checkouts/{link_key}/submit"),
            &new_key(),
            &json!({ "paygent": { "step": "card", "card": card, "payment_choice": "10" } }),
        )
        .await;
    assert_eq!(paid.status, 200, "{}", paid.body);
    assert_eq!(paid.body["status"], "ordered");
    paid.body["order_id"].as_i64().unwrap()
}

/// The 処理区分 of a payment's history, in order.
fn labels(payment: &Value) -> Vec<String> {
    payment["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["label"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn an_api_key_created_in_the_admin_is_shown_once_and_works_until_revoked() {
    // Arrange
    let app = TestApp::demo().await;
    app.login().await;
    let csrf = app.csrf().await;

    // Act: create
    let r = app
        .post_form(
            "/admin/api-keys",
            &[("csrf", &csrf), ("name", "本店ECサイト")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let html = r.text().await.unwrap();

    // Assert: the key is on this page and never again
    let marker = "value=\"ks_live_";
    let start = html.find(marker).expect("the new key is shown") + "value=\"".len();
    let key = html[start..start + html[start..].find('"').unwrap()].to_owned();
    assert_eq!(key.len(), "ks_live_".len() + 32, "{key}");
    let (status, list) = app.page("/admin/api-keys").await;
    assert_eq!(status, 200);
    assert!(list.contains("本店ECサイト"));
    assert!(list.contains(&format!("{}…", &key[..12])), "prefix shown");
    assert!(!list.contains(&key), "the full key is never shown again");
    assert!(list.contains("未使用"));
    assert!(
        list.contains("aria-current=\"page\">APIキー</a>"),
        "nav entry"
    );

    // The key works, and its use is recorded.
    let api = Api { app: &app, key };
    assert_eq!(api.get("/api/v1/checkouts/unknown").await.status, 404);
    let (_, list) = app.page("/admin/api-keys").await;
    assert!(!list.contains("未使用"), "last use recorded");

    // Act: revoke
    let id = app.state.store.api_keys().await.unwrap()[0].id;
    let r = app
        .post_form(
            &format!("/admin/api-keys/{id}/revoke"),
            &[("csrf", &csrf_of(&list))],
        )
        .await;
    let (_, list) = app.follow(r).await;

    // Assert
    assert!(list.contains("APIキー「本店ECサイト」を無効化しました。"));
    assert!(list.contains("無効（"));
    let refused = api.get("/api/v1/checkouts/unknown").await;
    assert_eq!(refused.status, 401);
    assert_eq!(refused.body["code"], "unauthorized");
    let audit: Vec<String> = app
        .state
        .store
        .audit_entries(10)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert!(audit.contains(&"APIキーを作成".to_owned()), "{audit:?}");
    assert!(audit.contains(&"APIキーを無効化".to_owned()), "{audit:?}");
}

#[tokio::test]
async fn an_api_key_needs_a_name_and_a_csrf_token() {
    // Arrange
    let app = TestApp::demo().await;
    app.login().await;
    let csrf = app.csrf().await;

    // Act
    let blank = app
        .post_form("/admin/api-keys", &[("csrf", &csrf), ("name", "  ")])
        .await;
    let forged = app
        .post_form("/admin/api-keys", &[("csrf", "forged"), ("name", "x")])
        .await;

    // Assert
    assert_eq!(blank.status().as_u16(), 422);
    let html = blank.text().await.unwrap();
    assert!(
        html.contains("class=\"field-error\""),
        "the name field is marked"
    );
    assert!(html.contains("名前を入力してください"));
    assert_eq!(forged.status().as_u16(), 403);
    assert!(app.state.store.api_keys().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_checkout_paid_with_a_card_token_becomes_an_authorized_order() {
    // Arrange
    let app = TestApp::demo().await;
    let api = Api::new(&app, "テスト用ショップ").await;

    // Act
    let started = api
        .post("/api/v1/checkouts", &new_key(), &card_checkout(&app).await)
        .await;
    let link_key = started.body["link_key"].as_str().unwrap().to_owned();
    let before = api.get(&format!("/api/v1/checkouts/{link_key}")).await;
    let card = token_receipt(&app, "4111111111110000").await;
    let paid = api
        .post(
            &format!("/api/v1/checkouts/{link_key}/submit"),
            &new_key(),
            &json!({ "paygent": { "step": "card", "card": card } }),
        )
        .await;
    let after = api.get(&format!("/api/v1/checkouts/{link_key}")).await;

    // Assert
    assert_eq!(started.status, 201, "{}", started.body);
    assert_eq!(started.body["amount"], 1080 * 2 + 3300);
    assert_eq!(started.body["settlement_kind"], "paygent_card");
    assert_eq!(
        started.body["payment_url"],
        app.url(&format!("/checkout/{link_key}")),
        "kessai's hand-off page"
    );
    let handoff = &started.body["handoff"];
    assert_eq!(handoff["type"], "in_site", "{handoff}");
    assert_eq!(handoff["provider"], "paygent");
    assert_eq!(handoff["page"], "checkout_card");
    assert!(!handoff["parameters"]["token_key"]
        .as_str()
        .unwrap()
        .is_empty());
    assert_eq!(before.body["payment_state"], "pending");
    assert_eq!(before.body["order_id"], Value::Null);
    assert_eq!(paid.status, 200, "{}", paid.body);
    assert_eq!(paid.body["status"], "ordered");
    let order_id = paid.body["order_id"].as_i64().unwrap();
    assert!(!paid.body["order_number"].as_str().unwrap().is_empty());
    assert_eq!(after.body["order_id"], order_id);
    assert_eq!(after.body["payment_state"], "authorized");
    assert_eq!(after.body["provider_status_code"], "20");
    assert_eq!(after.body["provider_status_label"], "オーソリOK");
}

#[tokio::test]
async fn the_order_shows_its_customer_items_statuses_and_payment_with_history() {
    // Arrange
    let app = TestApp::demo().await;
    let api = Api::new(&app, "テスト用ショップ").await;
    let order_id = paid_order(&api).await;

    // Act
    let order = api.get(&format!("/api/v1/orders/{order_id}")).await;

    // Assert
    assert_eq!(order.status, 200, "{}", order.body);
    let o = &order.body;
    assert_eq!(o["id"], order_id);
    assert_eq!(o["customer"]["family_name"], "山田");
    assert_eq!(o["customer"]["email"], "buyer@example.jp");
    assert_eq!(o["items"][0]["product_code"], "DEMO-TEA-01");
    assert_eq!(o["items"][0]["amount"], 2160);
    assert_eq!(o["totals"]["total"], 5460);
    assert_eq!(
        o["order_status"],
        json!({ "code": "new", "label": "新規受付" })
    );
    assert_eq!(
        o["receipt_status"],
        json!({ "code": "none", "label": null })
    );
    assert_eq!(o["payment_method"]["settlement_kind"], "paygent_card");
    let p = &o["payment"];
    assert_eq!(p["provider"], "paygent");
    assert_eq!(p["settlement_kind"], "paygent_card");
    assert_eq!(p["state"], "authorized");
    assert_eq!(p["provider_status_code"], "20");
    assert_eq!(p["provider_status_label"], "オーソリOK");
    assert_eq!(p["amount"], 5460);
    assert!(!p["provider_payment_id"].as_str().unwrap().is_empty());
    assert_eq!(
        p["allowed_operations"],
        json!(["capture", "change_amount", "cancel", "refresh"])
    );
    assert_eq!(labels(p), ["カード決済オーソリ", "オーソリOK"]);
    let first = &p["history"][0];
    assert_eq!(first["payment_id"], p["provider_payment_id"]);
    assert_eq!(first["amount"], 5460);
    assert_eq!(first["outcome"], "succeeded");
    assert!(first["at"].as_str().unwrap().ends_with('Z'));
}

#[tokio::test]
async fn capture_then_cancel_records_the_exact_history_labels() {
    // Arrange
    let app = TestApp::demo().await;
    let api = Api::new(&app, "テスト用ショップ").await;
    let order_id = paid_order(&api).await;
    let base = format!("/api/v1/orders/{order_id}/payment");

    // Act
    let captured = api
        .post(&format!("{base}/capture"), &new_key(), &json!({}))
        .await;
    let cancelled = api
        .post(&format!("{base}/cancel"), &new_key(), &json!({}))
        .await;

    // Assert
    assert_eq!(captured.status, 200, "{}", captured.body);
    assert_eq!(captured.body["state"], "captured");
    assert_eq!(captured.body["provider_status_label"], "消込済");
    assert_eq!(cancelled.status, 200, "{}", cancelled.body);
    assert_eq!(cancelled.body["state"], "cancelled");
    assert_eq!(
        labels(&cancelled.body),
        [
            "カード決済オーソリ",
            "オーソリOK",
            "カード決済売上",
            "消込済",
            "カード決済売上キャンセル",
            "売上取消済"
        ]
    );
    assert_eq!(cancelled.body["allowed_operations"], json!(["refresh"]));
    let audit = app.state.store.audit_entries(5).await.unwrap();
    assert!(audit
        .iter()
        .any(|e| e.actor == "api:テスト用ショップ" && e.action == "売上処理"));
}

#[tokio::test]
async fn an_operation_the_payment_status_does_not_allow_is_refused_with_409() {
    // Arrange
    let app = TestApp::demo().await;
    let api = Api::new(&app, "テスト用ショップ").await;
    let order_id = paid_order(&api).await;

    // Act: オーソリOK cannot be refunded
    let refused = api
        .post(
            &format!("/api/v1/orders/{order_id}/payment/refund"),
            &new_key(),
            &json!({ "amount": 100 }),
        )
        .await;

    // Assert
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert_eq!(refused.body["code"], "operation_not_allowed");
    assert_eq!(
        refused.body["message"],
        "決済状況が「オーソリOK」のため返金処理はできません。"
    );
    assert_eq!(refused.body["field"], Value::Null);
}

#[tokio::test]
async fn a_replayed_capture_returns_the_same_answer_and_captures_once() {
    // Arrange
    let app = TestApp::demo().await;
    let api = Api::new(&app, "テスト用ショップ").await;
    let order_id = paid_order(&api).await;
    let path = format!("/api/v1/orders/{order_id}/payment/capture");
    let key = new_key();

    // Act
    let first = api.post(&path, &key, &json!({})).await;
    let replay = api.post(&path, &key, &json!({})).await;

    // Assert
    assert_eq!(first.status, 200, "{}", first.body);
    assert!(!first.replayed);
    assert_eq!(replay.status, 200);
    assert!(replay.replayed, "Idempotent-Replayed: true");
    assert_eq!(replay.body, first.body, "the very same body");
    let order = api.get(&format!("/api/v1/orders/{order_id}")).await;
    let captures = labels(&order.body["payment"])
        .iter()
        .filter(|l| *l == "カード決済売上")
        .count();
    assert_eq!(captures, 1, "captured once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_simultaneous_captures_with_one_key_capture_once() {
    // Arrange
    let app = TestApp::demo().await;
    let api = Api::new(&app, "テスト用ショップ").await;
    let order_id = paid_order(&api).await;
    let path = format!("/api/v1/orders/{order_id}/payment/capture");
    let key = new_key();

    // Act
    let empty = json!({});
    let (a, b) = tokio::join!(api.post(&path, &key, &empty), api.post(&path, &key, &empty));

    // Assert: one did it; the other was told to wait or got its answer
    let mut statuses = [a.status, b.status];
    statuses.sort_unstable();
    assert!(
        statuses == [200, 200] || statuses == [200, 409],
        "{statuses:?}: {} / {}",
        a.body,
        b.body
    );
    for answer in [&a, &b] {
        if answer.status == 409 {
            assert_eq!(answer.body["code"], "idempotency_key_in_progress");
        }
    }
    let order = api.get(&format!("/api/v1/orders/{order_id}")).await;
    let captures = labels(&order.body["payment"])
        .iter()
        .filter(|l| *l == "カード決済売上")
        .count();
    assert_eq!(captures, 1);
}

#[tokio::test]
async fn a_checkout_replayed_with_its_key_is_started_only_once() {
    // Arrange
    let app = TestApp::demo().await;
    let api = Api::new(&app, "テスト用ショップ").await;
    let body = card_checkout(&app).await;
    let key = new_key();

    // Act
    let first = api.post("/api/v1/checkouts", &key, &body).await;
    let replay = api.post("/api/v1/checkouts", &key, &body).await;

    // Assert
    assert_eq!((first.status, replay.status), (201, 201));
    assert!(replay.replayed);
    assert_eq!(first.body["link_key"], replay.body["link_key"]);
    assert_eq!(app.state.store.prepayment_logs(10).await.unwrap().len(), 1);
}

#[tokio::test]
async fn the_same_idempotency_key_with_another_body_is_refused_with_422() {
    // Arrange
    let app = TestApp::demo().await;
    let api = Api::new(&app, "テスト用ショップ").await;
    let mut body = card_checkout(&app).await;
    let key = new_key();
    let first = api.post("/api/v1/checkouts", &key, &body).await;
    body["note"] = json!("再送時に変えた備考");

    // Act
    let reused = api.post("/api/v1/checkouts", &key, &body).await;

    // Assert
    assert_eq!(first.status, 201);
    assert_eq!(reused.status, 422, "{}", reused.body);
    assert_eq!(reused.body["code"], "idempotency_key_reused");
    assert!(!reused.replayed);
}

#[tokio::test]
async fn a_key_still_in_flight_answers_409_until_its_claim_goes_stale() {
    // Arrange: a request claimed the key and died before answering.
    let app = TestApp::demo().await;
    let api = Api::new(&app, "テスト用ショップ").await;
    let body = card_checkout(&app).await.to_string();
    let key_id = app.state.store.api_keys().await.unwrap()[0].id;
    let hash = kessai::http::api::idempotency::request_hash(
        &axum::http::Method::POST,
        "/api/v1/checkouts",
        body.as_bytes(),
    );
    let claimed = app
        .state
        .store
        .claim_idempotency_key(key_id, "in-flight", &hash, app.state.clock.now())
        .await
        .unwrap();
    assert!(claimed);

    // Act
    let busy = api
        .post_raw("/api/v1/checkouts", Some("in-flight"), &body)
        .await;
    app.state
        .clock
        .advance(chrono::Duration::minutes(11))
        .unwrap();
    let later = api
        .post_raw("/api/v1/checkouts", Some("in-flight"), &body)
        .await;

    // Assert
    assert_eq!(busy.status, 409, "{}", busy.body);
    assert_eq!(busy.body["code"], "idempotency_key_in_progress");
    assert_eq!(later.status, 201, "a dead request's claim is taken over");
}

#[tokio::test]
async fn a_post_without_an_idempotency_key_is_refused_with_400_naming_the_header() {
    // Arrange
    let app = TestApp::demo().await;
    let api = Api::new(&app, "テスト用ショップ").await;
    let body = card_checkout(&app).await.to_string();

    // Act
    let missing = api.post_raw("/api/v1/checkouts", None, &body).await;

    // Assert
    assert_eq!(missing.status, 400, "{}", missing.body);
    assert_eq!(missing.body["code"], "missing_header");
    assert_eq!(missing.body["field"], "Idempotency-Key");
    assert!(app
        .state
        .store
        .prepayment_logs(10)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn a_missing_unknown_or_malformed_bearer_key_is_refused_with_401() {
    // Arrange
    let app = TestApp::demo().await;
    let api = Api::new(&app, "テスト用ショップ").await;
    let wrong = Api {
        app: &app,
        key: format!("{}x", api.key),
    };

    // Act
    let none = Api::answer(
        app.client
            .get(app.url("/api/v1/orders/1"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let basic = Api::answer(
        app.client
            .get(app.url("/api/v1/orders/1"))
            .header("authorization", format!("Basic {}", api.key))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let unknown = wrong
        .post("/api/v1/checkouts", &new_key(), &json!({}))
        .await;

    // Assert
    for answer in [&none, &basic, &unknown] {
        assert_eq!(answer.status, 401, "{}", answer.body);
        assert_eq!(answer.body["code"], "unauthorized");
        assert!(answer.body["message"].as_str().unwrap().contains("APIキー"));
    }
}

#[tokio::test]
async fn malformed_json_and_wrong_types_are_answered_in_the_error_format_naming_the_field() {
    // Arrange
    let app = TestApp::demo().await;
    let api = Api::new(&app, "テスト用ショップ").await;
    let mut wrong_type = card_checkout(&app).await;
    wrong_type["items"][0]["quantity"] = json!("two");

    // Act
    let broken = api
        .post_raw("/api/v1/checkouts", Some(&new_key()), "{\"items\": [")
        .await;
    let typed = api.post("/api/v1/checkouts", &new_key(), &wrong_type).await;
    let unknown = api
        .post(
            "/api/v1/orders/1/payment/capture",
            &new_key(),
            &json!({ "amount": 5 }),
        )
        .await;

    // Assert
    assert_eq!(broken.status, 400, "{}", broken.body);
    assert_eq!(broken.body["code"], "malformed_json");
    assert_eq!(typed.status, 422, "{}", typed.body);
    assert_eq!(typed.body["code"], "invalid");
    assert_eq!(typed.body["field"], "items[0].quantity");
    assert_eq!(typed.body["errors"][0]["field"], "items[0].quantity");
    assert_eq!(unknown.status, 422, "{}", unknown.body);
    assert_eq!(unknown.body["field"], "amount");
}

#[tokio::test]
async fn every_invalid_checkout_field_is_listed() {
    // Arrange
    let app = TestApp::demo().await;
    let api = Api::new(&app, "テスト用ショップ").await;
    let mut body = card_checkout(&app).await;
    body["customer"]["email"] = json!("not-an-email");
    body["customer"]["family_kana"] = json!("やまだ");
    body["items"][1]["quantity"] = json!(0);

    // Act
    let invalid = api.post("/api/v1/checkouts", &new_key(), &body).await;

    // Assert
    assert_eq!(invalid.status, 422, "{}", invalid.body);
    assert_eq!(invalid.body["code"], "invalid");
    let fields: Vec<&str> = invalid.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "customer.email",
            "customer.family_kana",
            "items[1].quantity"
        ]
    );
    assert_eq!(
        invalid.body["errors"][0]["message"],
        "メールアドレスを正しく入力してください"
    );
}

#[tokio::test]
async fn a_declined_card_answers_402_with_the_japanese_message_and_the_checkout_can_retry() {
    // Arrange
    let app = TestApp::demo().await;
    let api = Api::new(&app, "テスト用ショップ").await;
    let started = api
        .post("/api/v1/checkouts", &new_key(), &card_checkout(&app).await)
        .await;
    let link_key = started.body["link_key"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/checkouts/{link_key}/submit");

    // Act
    let declined_card = token_receipt(&app, "4111111111118100").await;
    let declined = api
        .post(
            &path,
            &new_key(),
            &json!({ "paygent": { "step": "card", "card": declined_card } }),
        )
        .await;
    let good_card = token_receipt(&app, "4111111111110000").await;
    let retried = api
        .post(
            &path,
            &new_key(),
            &json!({ "paygent": { "step": "card", "card": good_card } }),
        )
        .await;

    // Assert
    assert_eq!(declined.status, 402, "{}", declined.body);
    assert_eq!(declined.body["code"], "payment_declined");
    assert!(!declined.body["message"].as_str().unwrap().is_ascii());
    assert_eq!(retried.status, 200, "{}", retried.body);
    assert_eq!(retried.body["status"], "ordered");
}

#[tokio::test]
async fn a_card_payment_without_an_answer_is_202_pending_and_replays_as_such() {
    // Arrange: the sandbox times out on cards whose last four digits start with 9.
    let app = TestApp::demo().await;
    let api = Api::new(&app, "テスト用ショップ").await;
    let started = api
        .post("/api/v1/checkouts", &new_key(), &card_checkout(&app).await)
        .await;
    let link_key = started.body["link_key"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/checkouts/{link_key}/submit");
    let body = json!({ "paygent": { "step": "card", "card": token_receipt(&app, "4111111111119000").await } });
    let key = new_key();

    // Act
    let pending = api.post(&path, &key, &body).await;
    let replay = api.post(&path, &key, &body).await;
    let checkout = api.get(&format!("/api/v1/checkouts/{link_key}")).await;

    // Assert
    assert_eq!(pending.status, 202, "{}", pending.body);
    assert_eq!(pending.body["status"], "pending");
    assert!(pending.body["message"]
        .as_str()
        .unwrap()
        .contains("二重に決済しないよう"));
    assert_eq!((replay.status, replay.replayed), (202, true));
    assert_eq!(replay.body, pending.body);
    assert_eq!(checkout.body["payment_state"], "pending");
    assert_eq!(checkout.body["order_id"], Value::Null);
}

#[tokio::test]
async fn a_3d_secure_challenge_returning_to_the_shops_term_url_is_completed_through_the_api() {
    // Arrange: 3-D Secure contracted; the shop takes the buyer back on its own page.
    let app = TestApp::demo().await;
    app.set_paygent(&[
        ("three_d_secure", "on"),
        ("three_d_hash_key", "sandbox3dshashkey"),
        ("chargeback", "on"),
    ])
    .await;
    let api = Api::new(&app, "テスト用ショップ").await;
    let started = api
        .post("/api/v1/checkouts", &new_key(), &card_checkout(&app).await)
        .await;
    let link_key = started.body["link_key"].as_str().unwrap().to_owned();
    let card: Value = serde_json::from_str(&app.card_token("4900000000000000").await).unwrap();

    // Act: the card answers a challenge page; the sandbox's (frictionless) page forwards
    // the browser to the shop's term URL, whose query the shop hands to the API.
    let challenge = api
        .post(
            &format!("/api/v1/checkouts/{link_key}/submit"),
            &new_key(),
            &json!({ "paygent": {
                "step": "card",
                "card": card,
                "cardholder_name": "TARO YAMADA",
                "term_url": "https://shop.example/3ds-return"
            } }),
        )
        .await;
    let acs = challenge.body["handoff"]["html"]
        .as_str()
        .unwrap_or_default();
    let refresh = &acs[acs.find("url=").expect("a forwarding page") + 4..];
    let forward = refresh[..refresh.find('"').unwrap()]
        .replace("&#x2f;", "/")
        .replace("&amp;", "&");
    let query = forward
        .split_once('?')
        .unwrap_or_else(|| panic!("{forward}"))
        .1;
    let mut result: serde_json::Map<String, Value> =
        serde_urlencoded::from_str::<std::collections::BTreeMap<String, String>>(query)
            .unwrap()
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect();
    result.insert("step".to_owned(), json!("three_ds"));
    let ordered = api
        .post(
            &format!("/api/v1/checkouts/{link_key}/submit"),
            &new_key(),
            &json!({ "paygent": result }),
        )
        .await;

    // Assert
    assert_eq!(challenge.status, 200, "{}", challenge.body);
    assert_eq!(challenge.body["status"], "handoff");
    assert_eq!(challenge.body["handoff"]["type"], "html");
    assert!(
        forward.starts_with("https://shop.example/3ds-return?"),
        "{forward}"
    );
    assert_eq!(ordered.status, 200, "{}", ordered.body);
    assert_eq!(ordered.body["status"], "ordered");
    let checkout = api.get(&format!("/api/v1/checkouts/{link_key}")).await;
    assert_eq!(checkout.body["provider_status_label"], "オーソリOK");
    assert_eq!(checkout.body["order_id"], ordered.body["order_id"]);
}

#[tokio::test]
async fn a_three_d_secure_result_that_is_not_the_checkouts_own_is_refused() {
    // Arrange: a checkout that never started 3-D Secure
    let app = TestApp::demo().await;
    let api = Api::new(&app, "テスト用ショップ").await;
    let started = api
        .post("/api/v1/checkouts", &new_key(), &card_checkout(&app).await)
        .await;
    let link_key = started.body["link_key"].as_str().unwrap().to_owned();

    // Act
    let refused = api
        .post(
            &format!("/api/v1/checkouts/{link_key}/submit"),
            &new_key(),
            &json!({ "paygent": { "step": "three_ds", "result": "0", "3ds_auth_id": "forged", "hc": "x" } }),
        )
        .await;

    // Assert
    assert_eq!(refused.status, 402, "{}", refused.body);
    assert_eq!(refused.body["code"], "payment_declined");
    assert!(refused.body["message"]
        .as_str()
        .unwrap()
        .contains("このご注文のものではありません"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_requests_racing_for_one_idempotency_key_exactly_one_claims_it() {
    // Arrange
    let app = TestApp::demo().await;
    let _api = Api::new(&app, "テスト用ショップ").await;
    let key_id = app.state.store.api_keys().await.unwrap()[0].id;
    let now = app.state.clock.now();

    // Act
    let claims: Vec<_> = (0..8)
        .map(|_| {
            let store = app.state.store.clone();
            tokio::spawn(async move {
                store
                    .claim_idempotency_key(key_id, "raced", "same-request", now)
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut won = 0;
    for claim in claims {
        won += usize::from(claim.await.unwrap());
    }

    // Assert
    assert_eq!(won, 1);
}

#[tokio::test]
async fn a_wrong_method_answers_json_405() {
    // Arrange
    let app = TestApp::demo().await;
    let api = Api::new(&app, "テスト用ショップ").await;

    // Act
    let wrong = api.get("/api/v1/checkouts").await;

    // Assert
    assert_eq!(wrong.status, 405, "{}", wrong.body);
    assert_eq!(wrong.body["code"], "method_not_allowed");
}

#[tokio::test]
async fn unknown_routes_and_records_answer_json_404() {
    // Arrange
    let app = TestApp::demo().await;
    let api = Api::new(&app, "テスト用ショップ").await;

    // Act
    let route = api.get("/api/v1/nothing-here").await;
    let order = api.get("/api/v1/orders/999999").await;
    let checkout = api.get("/api/v1/checkouts/nope").await;

    // Assert
    assert_eq!(
        (route.status, route.body["code"].as_str()),
        (404, Some("route_not_found"))
    );
    assert_eq!(
        (order.status, order.body["code"].as_str()),
        (404, Some("not_found"))
    );
    assert_eq!(order.body["message"], "受注が見つかりません。");
    assert_eq!(checkout.status, 404);
}

#[tokio::test]
async fn the_openapi_document_parses_and_describes_every_route() {
    // Arrange
    let app = TestApp::spawn().await;

    // Act
    let r = app.get("/api/openapi.json").await;

    // Assert
    assert_eq!(r.status().as_u16(), 200, "served without a key");
    let doc: Value = r.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let table = kessai::http::api::route_table();
    for (method, path) in &table {
        let operation = &doc["paths"][path.as_str()][method.as_str().to_lowercase()];
        assert!(
            operation.is_object(),
            "{method} {path} is not in the document"
        );
        // Every route but the document itself needs the key; every POST the header.
        if path.as_str() != kessai::http::api::OPENAPI_PATH {
            assert!(
                operation["security"].is_null() && doc["security"].is_array()
                    || operation["security"].is_array(),
                "{method} {path} has no security"
            );
            if *method == axum::http::Method::POST {
                let params = operation["parameters"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                assert!(
                    params
                        .iter()
                        .any(|p| p["$ref"] == "#/components/parameters/IdempotencyKey"),
                    "{method} {path} does not name the Idempotency-Key header"
                );
            }
        }
    }
    let documented: usize = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|item| {
            item.as_object()
                .unwrap()
                .keys()
                .filter(|k| ["get", "post", "put", "patch", "delete"].contains(&k.as_str()))
                .count()
        })
        .sum();
    assert_eq!(
        documented,
        table.len(),
        "the document lists no route that is not served"
    );
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    for r in refs {
        let pointer = r.strip_prefix('#').expect("local reference");
        assert!(doc.pointer(pointer).is_some(), "{r} does not resolve");
    }
}

fn collect_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push(r.clone()),
                    _ => collect_refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn housekeeping_forgets_idempotency_keys_after_a_day() {
    // Arrange
    let app = TestApp::demo().await;
    let api = Api::new(&app, "テスト用ショップ").await;
    let body = card_checkout(&app).await;
    let key = new_key();
    api.post("/api/v1/checkouts", &key, &body).await;
    app.state
        .clock
        .advance(chrono::Duration::hours(25))
        .unwrap();

    // Act
    kessai::jobs::enqueue(
        &app.state.store,
        &app.state.clock,
        &kessai::jobs::Housekeeping,
        None,
        None,
    )
    .await
    .unwrap();
    app.worker.run_until_idle().await.unwrap();
    let again = api.post("/api/v1/checkouts", &key, &body).await;

    // Assert
    assert_eq!(again.status, 201);
    assert!(!again.replayed, "the old record is gone: a new checkout");
}
