//! Driving atone's sandbox widget as atone.js does in a browser: the payment object kessai
//! signed into its hand-off page goes to the sandbox's widget session, the buyer confirms as
//! a test member, and the callbacks' result is posted back to kessai.

use super::{attr, TestApp};

/// What the widget answered: its `result` (`succeeded` / `failed`) and `response`.
pub struct WidgetAnswer {
    pub result: String,
    pub token: String,
    pub response: serde_json::Value,
}

/// The buyer opens the hand-off page and confirms in atone's widget as `member`.
pub async fn confirm_in_widget(app: &TestApp, link_key: &str, member: &str) -> WidgetAnswer {
    let (status, page) = app.page(&format!("/checkout/{link_key}")).await;
    assert_eq!(status, 200, "{page}");
    let payment: serde_json::Value =
        serde_json::from_str(&attr(&page, "id=\"atone-form\"", "data-payment")).unwrap();
    let pub_key = attr(&page, "id=\"atone-form\"", "data-public-key");
    let session: serde_json::Value = app
        .client
        .post(app.url("/sandbox/atone/v1/widget/session"))
        .json(&serde_json::json!({ "pub_key": pub_key, "pre_token": "", "payment": payment }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let session = session["session"]
        .as_str()
        .unwrap_or_else(|| panic!("a widget session: {session}"))
        .to_owned();
    let answer: serde_json::Value = app
        .client
        .post(app.url("/sandbox/atone/v1/widget/confirm"))
        .json(&serde_json::json!({ "session": session, "member": member }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    WidgetAnswer {
        result: answer["result"].as_str().unwrap_or_default().to_owned(),
        token: answer["authentication_token"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        response: answer["response"].clone(),
    }
}

/// The widget page posts what the callbacks answered back to kessai.
pub async fn post_result(
    app: &TestApp,
    link_key: &str,
    answer: &WidgetAnswer,
) -> reqwest::Response {
    let r = &answer.response;
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    app.post_form(
        &format!("/checkout/{link_key}/result"),
        &[
            ("outcome", answer.result.as_str()),
            ("transaction_id", &text(&r["id"])),
            ("authentication_token", &answer.token),
            ("ng_reason", &text(&r["authorization_result_ng_reason"])),
        ],
    )
    .await
}

/// The whole widget payment as `member`: kessai's answer to the widget's result.
pub async fn pay_with_atone(app: &TestApp, link_key: &str, member: &str) -> reqwest::Response {
    let answer = confirm_in_widget(app, link_key, member).await;
    post_result(app, link_key, &answer).await
}
