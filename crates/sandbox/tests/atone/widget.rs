//! The atone.js stand-in, its widget page and the widget's JSON calls (§6, §7).

use sandbox::atone::members::{DECLINED, HIGH_LIMIT, STANDARD};
use sandbox::atone::PUBLIC_KEY;
use serde_json::json;

use crate::support::{code, payment, signed, signed_with, Atone};

#[tokio::test]
async fn the_script_is_served_as_javascript_with_the_atone_entry_points() {
    let atone = Atone::start().await;

    let (status, content_type, script) = atone.page("/v1/atone.js").await;

    assert_eq!(status, 200);
    assert_eq!(content_type, "text/javascript; charset=utf-8");
    for entry in [
        "global.Atone",
        "config:",
        "start:",
        "sync:",
        "postMessage",
        "authenticated",
        "succeeded",
        "cancelled",
    ] {
        assert!(script.contains(entry), "{entry}");
    }
}

#[tokio::test]
async fn the_widget_page_lists_the_test_members_and_the_confirm_button() {
    let atone = Atone::start().await;

    let (status, content_type, page) = atone.page("/v1/widget").await;

    assert_eq!(status, 200);
    assert!(content_type.starts_with("text/html"));
    assert!(page.contains("お支払いを確定する"));
    assert!(page.contains("閉じる"));
    for member in [STANDARD, HIGH_LIMIT, DECLINED] {
        assert!(page.contains(&format!("value=\"{member}\"")), "{member}");
    }
    assert!(page.contains("50,000円"));
}

#[tokio::test]
async fn the_standard_member_is_ok_up_to_50000_yen_and_ng_1_above() {
    let atone = Atone::start().await;

    let (token, ok, ok_response) = atone
        .checkout(&signed(payment("limit-1", 50_000)), STANDARD)
        .await;
    let (_, ng, ng_response) = atone
        .checkout(&signed(payment("limit-2", 50_001)), STANDARD)
        .await;
    let (_, high, _) = atone
        .checkout(&signed(payment("limit-3", 50_001)), HIGH_LIMIT)
        .await;
    let (_, declined, declined_response) = atone
        .checkout(&signed(payment("limit-4", 100)), DECLINED)
        .await;

    assert!(token.starts_with("tok_"));
    assert_eq!(ok, "succeeded");
    let ok_id = ok_response["id"].as_str().unwrap();
    assert_eq!(
        ok_response,
        json!({ "id": ok_id, "authorization_result": 1, "subtract_point": 0 })
    );
    assert_eq!(ng, "failed");
    let ng_id = ng_response["id"].as_str().unwrap();
    assert_eq!(
        ng_response,
        json!({ "id": ng_id, "authorization_result": 2, "authorization_result_ng_reason": 1 })
    );
    assert_eq!(high, "succeeded");
    assert_eq!(declined, "failed");
    assert_eq!(declined_response["authorization_result_ng_reason"], 9);
    let (_, stored) = atone.get(ng_id).await;
    assert_eq!(stored["authorization_result"], 2);
    assert_eq!(stored["authorization_result_ng_reason"], 1);
}

#[tokio::test]
async fn a_wrong_checksum_is_eatn0351_and_an_unknown_public_key_eatn0304() {
    let atone = Atone::start().await;
    let mut tampered = signed(payment("sum-1", 1000));
    tampered["items"][0]["item_name"] = json!("別の商品");
    let mut cheaper = signed(payment("sum-6", 1000));
    cheaper["amount"] = json!(999);
    let unsigned = payment("sum-2", 1000);
    let other_key = signed_with("another_secret", payment("sum-3", 1000));

    let (status, body) = atone.open(PUBLIC_KEY, "", &tampered).await;
    let (_, cheaper) = atone.open(PUBLIC_KEY, "", &cheaper).await;
    let (_, missing) = atone.open(PUBLIC_KEY, "", &unsigned).await;
    let (_, wrong_key) = atone.open(PUBLIC_KEY, "", &other_key).await;
    let (unknown, unknown_body) = atone
        .open("nobody", "", &signed(payment("sum-4", 1000)))
        .await;
    let (_, bad_amount) = atone
        .open(PUBLIC_KEY, "", &signed(payment("sum-5", 0)))
        .await;

    assert_eq!((status, code(&body)), (400, "EATN0351"));
    assert_eq!(body["name"], "InvalidRequest");
    assert_eq!(code(&cheaper), "EATN0351");
    assert_eq!(code(&missing), "EATN0351");
    assert_eq!(code(&wrong_key), "EATN0351");
    assert_eq!((unknown, code(&unknown_body)), (401, "EATN0304"));
    assert_eq!(code(&bad_amount), "EATN0105");
}

#[tokio::test]
async fn a_pre_token_recognises_the_member_and_is_kept() {
    let atone = Atone::start().await;
    let (token, _) = atone.paid("pre-1", 1000).await;

    let (_, known) = atone
        .open(PUBLIC_KEY, &token, &signed(payment("pre-2", 1000)))
        .await;
    let (_, same) = atone
        .confirm(known["session"].as_str().unwrap(), STANDARD)
        .await;
    let (_, stranger) = atone
        .open(PUBLIC_KEY, "tok_unknown", &signed(payment("pre-3", 1000)))
        .await;
    let (_, switched) = atone
        .open(PUBLIC_KEY, &token, &signed(payment("pre-3", 1000)))
        .await;
    let (_, other) = atone
        .confirm(switched["session"].as_str().unwrap(), HIGH_LIMIT)
        .await;

    assert_eq!(known["member"], STANDARD);
    assert_eq!(known["amount"], 1000);
    assert_eq!(known["items"][0]["item_name"], "テスト商品");
    assert_eq!(same["authentication_token"], json!(token));
    assert_eq!(stranger["member"], json!(null));
    assert_ne!(other["authentication_token"], json!(token));
}

#[tokio::test]
async fn a_widget_session_takes_one_confirmation() {
    let atone = Atone::start().await;
    let (_, opened) = atone
        .open(PUBLIC_KEY, "", &signed(payment("once-1", 1000)))
        .await;
    let session = opened["session"].as_str().unwrap();

    let (_, unknown_member) = atone.confirm(session, "nobody").await;
    let (first, _) = atone.confirm(session, STANDARD).await;
    let (second, body) = atone.confirm(session, STANDARD).await;

    assert_eq!(code(&unknown_member), "EATN0396");
    assert_eq!(first, 200);
    assert_eq!((second, code(&body)), (400, "EATN0396"));
}
