//! The JSON API and its OpenAPI document agree: what the server answers is documented (every
//! field of an order), and what the document allows the server accepts (integer-valued
//! amounts, any visible-ASCII Idempotency-Key) while what it does not is refused with the
//! field or header named (no body where one is required, a body that is not an object, a key
//! with a space or a Latin-1 byte). `.ci/api-contract` runs schemathesis over the same.

mod common;

use common::api::{customer, json_answer, Api};
use common::TestApp;
use reqwest::header::HeaderValue;
use serde_json::{json, Map, Value};

impl Api<'_> {
    async fn get(&self, path: &str) -> (u16, Value) {
        answer(
            self.request(reqwest::Method::GET, path)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// Posts `body` as it is, with `content_type` and `idempotency_key` when given.
    async fn post(
        &self,
        path: &str,
        idempotency_key: HeaderValue,
        content_type: Option<&str>,
        body: &str,
    ) -> (u16, Value) {
        let mut r = self
            .request(reqwest::Method::POST, path)
            .header("Idempotency-Key", idempotency_key)
            .body(body.to_owned());
        if let Some(content_type) = content_type {
            r = r.header("content-type", content_type);
        }
        answer(r.send().await.unwrap()).await
    }

    async fn post_json(&self, path: &str, body: &str) -> (u16, Value) {
        self.post(path, new_key(), Some("application/json"), body)
            .await
    }
}

async fn answer(r: reqwest::Response) -> (u16, Value) {
    let (status, body, _) = json_answer(r).await;
    (status, body)
}

fn new_key() -> HeaderValue {
    HeaderValue::from_str(&kessai::secrets::random_token(12)).unwrap()
}

/// A checkout of the demo shop paid with its card method: (link key, provider).
async fn card_checkout(api: &Api<'_>) -> (String, String) {
    let store = &api.app.state.store;
    let delivery = store.delivery_methods().await.unwrap()[0].id;
    let method = store
        .payment_methods()
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.settlement_kind.ends_with("_card"))
        .expect("the demo has a card method")
        .id;
    let body = json!({
        "items": [{ "product_code": "DEMO-TEA-01", "quantity": 2 }],
        "customer": customer("buyer@example.jp"),
        "delivery_method_id": delivery,
        "payment_method_id": method
    });
    let (status, started) = api.post_json("/api/v1/checkouts", &body.to_string()).await;
    assert_eq!(status, 201, "{started}");
    (
        started["link_key"].as_str().unwrap().to_owned(),
        started["provider"].as_str().unwrap().to_owned(),
    )
}

/// The card step of `provider`, in its own shape: `{"<provider>": {"step": "card", …}}`.
fn card_step(provider: &str, card: Value) -> String {
    let mut step = Map::new();
    step.insert(
        provider.to_owned(),
        json!({ "step": "card", "card": card, "payment_choice": "10" }),
    );
    Value::Object(step).to_string()
}

/// A checkout paid with a good card; its order id.
async fn paid_order(api: &Api<'_>) -> i64 {
    let (link_key, provider) = card_checkout(api).await;
    let card: Value = serde_json::from_str(&api.app.card_token("4111111111110000").await).unwrap();
    let (status, paid) = api
        .post_json(
            &format!("/api/v1/checkouts/{link_key}/submit"),
            &card_step(&provider, card),
        )
        .await;
    assert_eq!(status, 200, "{paid}");
    paid["order_id"].as_i64().unwrap()
}

async fn document(app: &TestApp) -> Value {
    app.get("/api/openapi.json").await.json().await.unwrap()
}

/// Where `value` strays from `schema` (of the document `doc`): a field the schema does not
/// document where it allows no others, or a required one missing. Follows `$ref`, `allOf`,
/// and `oneOf`/`anyOf` (some branch must fit).
fn strays(doc: &Value, schema: &Value, value: &Value, at: &str) -> Vec<String> {
    if let Some(r) = schema["$ref"].as_str() {
        let target = doc.pointer(r.trim_start_matches('#')).expect("resolves");
        return strays(doc, target, value, at);
    }
    let mut out: Vec<String> = schema["allOf"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| strays(doc, s, value, at))
        .collect();
    for any in ["oneOf", "anyOf"] {
        if let Some(branches) = schema[any].as_array() {
            let fits = |s: &Value| match (&s["type"], value) {
                (Value::String(t), Value::Null) if t == "null" => true,
                (Value::String(t), _) if t == "null" => false,
                _ => strays(doc, s, value, at).is_empty(),
            };
            if !branches.iter().any(fits) {
                out.push(format!("{at}: fits no branch of {any}"));
            }
        }
    }
    match value {
        Value::Object(fields) => {
            let properties = schema["properties"].as_object();
            for name in schema["required"].as_array().into_iter().flatten() {
                let name = name.as_str().unwrap();
                if !fields.contains_key(name) {
                    out.push(format!("{at}.{name}: required, missing"));
                }
            }
            for (name, v) in fields {
                match properties.and_then(|p| p.get(name)) {
                    Some(s) => out.extend(strays(doc, s, v, &format!("{at}.{name}"))),
                    None if schema["additionalProperties"] == json!(false) => {
                        out.push(format!("{at}.{name}: not in the document"));
                    }
                    None => {}
                }
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                out.extend(strays(doc, &schema["items"], v, &format!("{at}[{i}]")));
            }
        }
        _ => {}
    }
    out
}

#[tokio::test]
async fn every_field_of_an_order_answer_is_documented_including_the_member() {
    // Arrange
    let app = TestApp::demo().await;
    let api = Api::new(&app, "契約テスト").await;
    let order_id = paid_order(&api).await;
    let doc = document(&app).await;

    // Act
    let (status, order) = api.get(&format!("/api/v1/orders/{order_id}")).await;

    // Assert
    assert_eq!(status, 200, "{order}");
    assert!(order["customer"]
        .as_object()
        .unwrap()
        .contains_key("member_id"));
    let schema = json!({ "$ref": "#/components/schemas/Order" });
    assert_eq!(strays(&doc, &schema, &order, "order"), Vec::<String>::new());
    let customer = &doc["components"]["schemas"]["OrderCustomer"];
    assert_eq!(customer["additionalProperties"], false);
    assert!(customer["required"]
        .as_array()
        .unwrap()
        .contains(&json!("member_id")));
}

#[tokio::test]
async fn an_idempotency_key_outside_visible_ascii_is_refused_naming_the_header_as_documented() {
    // Arrange
    let app = TestApp::demo().await;
    let api = Api::new(&app, "契約テスト").await;
    let doc = document(&app).await;
    let path = "/api/v1/orders/999999/payment/refresh";
    let refused = [
        HeaderValue::from_static("two words"),
        HeaderValue::from_bytes(b"caf\xe9").unwrap(),
        HeaderValue::from_str(&"k".repeat(256)).unwrap(),
    ];
    let accepted = [
        HeaderValue::from_static("!"),
        HeaderValue::from_static("~{a:b}/\"q\"\\"),
        HeaderValue::from_str(&"k".repeat(255)).unwrap(),
    ];

    // Act
    let mut answers = Vec::new();
    for key in refused.iter().chain(&accepted) {
        answers.push(api.post(path, key.clone(), None, "").await);
    }

    // Assert: the schema states the rule the server applies
    let schema = &doc["components"]["parameters"]["IdempotencyKey"]["schema"];
    assert_eq!(schema["pattern"], "^[!-~]+$");
    assert_eq!(schema["minLength"], 1);
    assert_eq!(schema["maxLength"], 255);
    for (key, (status, body)) in refused.iter().zip(&answers) {
        assert_eq!(*status, 400, "{key:?}: {body}");
        assert_eq!(body["code"], "invalid_header", "{key:?}");
        assert_eq!(body["field"], "Idempotency-Key", "{key:?}");
        assert!(body["message"]
            .as_str()
            .unwrap()
            .starts_with("Idempotency-Key"));
    }
    for (key, (status, body)) in accepted.iter().zip(&answers[refused.len()..]) {
        assert_eq!(*status, 404, "{key:?} gets past the header: {body}");
    }
}

#[tokio::test]
async fn a_step_posted_without_a_body_or_with_an_empty_object_is_refused_with_422_naming_the_body()
{
    // Arrange
    let app = TestApp::demo().await;
    let api = Api::new(&app, "契約テスト").await;
    let (link_key, _) = card_checkout(&api).await;
    let path = format!("/api/v1/checkouts/{link_key}/submit");

    // Act
    let bare = api.post(&path, new_key(), None, "").await;
    let typed_but_empty = api
        .post(&path, new_key(), Some("application/json"), "")
        .await;
    let empty_object = api.post_json(&path, "{}").await;
    let checkout = api.post("/api/v1/checkouts", new_key(), None, "").await;
    let (_, after) = api.get(&format!("/api/v1/checkouts/{link_key}")).await;

    // Assert
    for (status, body) in [&bare, &typed_but_empty, &empty_object] {
        assert_eq!(*status, 422, "{body}");
        assert_eq!(body["code"], "invalid");
        assert_eq!(body["field"], "body");
    }
    assert_eq!(
        checkout.0, 422,
        "a checkout needs its body too: {}",
        checkout.1
    );
    assert_eq!(checkout.1["field"], "body");
    assert_eq!(after["payment_state"], "pending", "nothing was tried");
}

#[tokio::test]
async fn an_operation_without_parameters_takes_an_object_or_nothing_and_refuses_other_json() {
    // Arrange
    let app = TestApp::demo().await;
    let api = Api::new(&app, "契約テスト").await;
    let order_id = paid_order(&api).await;
    let refresh = format!("/api/v1/orders/{order_id}/payment/refresh");
    let change = format!("/api/v1/orders/{order_id}/payment/change_amount");

    // Act
    let mut refused = Vec::new();
    for body in ["[]", "null", "\"{}\"", "1", "[272]"] {
        refused.push((body, api.post_json(&refresh, body).await));
    }
    refused.push(("[272]", api.post_json(&change, "[272]").await));
    let object = api.post_json(&refresh, "{}").await;
    let nothing = api.post(&refresh, new_key(), None, "").await;

    // Assert
    for (sent, (status, body)) in &refused {
        assert_eq!(*status, 422, "{sent}: {body}");
        assert_eq!(body["code"], "invalid", "{sent}");
        assert_eq!(body["field"], "body", "{sent}");
    }
    assert_eq!(object.0, 200, "{}", object.1);
    assert_eq!(nothing.0, 200, "{}", nothing.1);
}

#[tokio::test]
async fn an_integer_valued_amount_such_as_272_0_is_the_integer_and_a_fraction_is_refused() {
    // Arrange
    let app = TestApp::demo().await;
    let api = Api::new(&app, "契約テスト").await;
    let order_id = paid_order(&api).await;
    let change = format!("/api/v1/orders/{order_id}/payment/change_amount");

    // Act
    let fraction = api.post_json(&change, r#"{"amount": 272.5}"#).await;
    let whole = api.post_json(&change, r#"{"amount": 272.0}"#).await;

    // Assert
    assert_eq!(fraction.0, 422, "{}", fraction.1);
    assert_eq!(fraction.1["field"], "amount");
    assert_eq!(whole.0, 200, "{}", whole.1);
    assert_eq!(whole.1["amount"], 272);
}

#[tokio::test]
async fn a_card_token_with_a_field_the_document_does_not_list_is_refused_as_documented() {
    // Arrange
    let app = TestApp::demo().await;
    let api = Api::new(&app, "契約テスト").await;
    let (link_key, provider) = card_checkout(&api).await;
    let doc = document(&app).await;
    let mut card: Value = serde_json::from_str(&app.card_token("4111111111110000").await).unwrap();
    card["brand"] = json!("VISA");

    // Act
    let (status, body) = api
        .post_json(
            &format!("/api/v1/checkouts/{link_key}/submit"),
            &card_step(&provider, card),
        )
        .await;

    // Assert
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["code"], "invalid");
    assert!(body["field"].as_str().unwrap().ends_with("brand"), "{body}");
    let receipt = &doc["components"]["schemas"]["TokenReceipt"];
    assert_eq!(receipt["additionalProperties"], false);
}

#[tokio::test]
async fn a_card_token_without_its_hash_is_refused_naming_it_as_the_document_requires_it() {
    // Arrange
    let app = TestApp::demo().await;
    let api = Api::new(&app, "契約テスト").await;
    let (link_key, provider) = card_checkout(&api).await;
    let mut card: Value = serde_json::from_str(&app.card_token("4111111111110000").await).unwrap();
    card.as_object_mut().unwrap().remove("hc");

    // Act
    let (status, body) = api
        .post_json(
            &format!("/api/v1/checkouts/{link_key}/submit"),
            &card_step(&provider, card),
        )
        .await;

    // Assert
    assert_eq!(status, 422, "{body}");
    assert!(body["field"].as_str().unwrap().ends_with("hc"), "{body}");
    let doc = document(&app).await;
    let required = &doc["components"]["schemas"]["TokenReceipt"]["required"];
    assert!(required.as_array().unwrap().contains(&json!("hc")));
}

#[tokio::test]
async fn a_three_d_secure_or_paidy_result_without_its_required_fields_is_refused_naming_them() {
    // Arrange
    let app = TestApp::demo().await;
    let api = Api::new(&app, "契約テスト").await;
    let (link_key, provider) = card_checkout(&api).await;
    let path = format!("/api/v1/checkouts/{link_key}/submit");
    let step = |fields: Value| {
        let mut body = Map::new();
        body.insert(provider.clone(), fields);
        Value::Object(body).to_string()
    };

    // Act
    let no_result = api
        .post_json(
            &path,
            &step(json!({ "step": "three_ds", "3ds_auth_id": "x" })),
        )
        .await;
    let no_auth_id = api
        .post_json(&path, &step(json!({ "step": "three_ds", "result": "0" })))
        .await;

    let no_status = api
        .post_json(
            &path,
            &step(json!({ "step": "paidy", "paidy_payment_id": "pay_x" })),
        )
        .await;
    let no_id = api
        .post_json(
            &path,
            &step(json!({ "step": "paidy", "status": "authorized" })),
        )
        .await;

    // Assert
    for ((status, body), field) in [
        (no_result, "result"),
        (no_auth_id, "3ds_auth_id"),
        (no_status, "status"),
        (no_id, "paidy_payment_id"),
    ] {
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["code"], "invalid");
        assert!(body["field"].as_str().unwrap().ends_with(field), "{body}");
    }
}

#[tokio::test]
async fn the_documented_customer_rules_are_the_servers() {
    // Arrange
    let app = TestApp::spawn().await;

    // Act
    let doc = document(&app).await;

    // Assert
    let customer = &doc["components"]["schemas"]["Customer"]["properties"];
    assert_eq!(
        customer["prefecture"]["enum"],
        json!(kessai::domain::input::PREFECTURES.as_slice())
    );
    for (field, good, bad) in [
        ("postal_code", "100-0001", "100_0001"),
        ("family_kana", "ヤマダ", "やまだ"),
        ("phone", "03-1234-5678", "+81312345678"),
    ] {
        let buyer = |value: &str| {
            let mut b = kessai::domain::buyer::Buyer {
                email: "buyer@example.jp".into(),
                family_name: "山田".into(),
                given_name: "太郎".into(),
                family_kana: "ヤマダ".into(),
                given_kana: "タロウ".into(),
                postal_code: "100-0001".into(),
                prefecture: "東京都".into(),
                address1: "千代田区千代田1-1".into(),
                address2: String::new(),
                phone: "03-1234-5678".into(),
            };
            match field {
                "postal_code" => b.postal_code = value.into(),
                "family_kana" => b.family_kana = value.into(),
                _ => b.phone = value.into(),
            }
            b.parse("").is_ok()
        };
        assert!(customer[field]["pattern"].is_string(), "{field}");
        assert!(buyer(good), "{field}: {good}");
        assert!(!buyer(bad), "{field}: {bad}");
    }
}
