//! The REST API: authentication, checks, settle, refund and expiry (§3, §4, §9).

use chrono::Duration;
use sandbox::atone::members::{DECLINED, STANDARD};
use serde_json::json;

use crate::support::{
    basic, code, payment, signed, signed_with, Atone, OTHER_PUBLIC_KEY, OTHER_SECRET_KEY,
    SECRET_KEY,
};

#[tokio::test]
async fn a_request_without_the_secret_key_alone_is_refused_with_eatn0129() {
    let atone = Atone::start().await;
    let (_, id) = atone.paid("auth-1", 1000).await;
    let path = format!("/v1/transactions/{id}");

    let missing = atone.call_as(None, "GET", &path, None).await;
    let wrong = atone.call_as(Some("not_the_key"), "GET", &path, None).await;
    let with_colon = atone
        .call_as(Some(&format!("{SECRET_KEY}:")), "GET", &path, None)
        .await;
    let unknown_path = atone.call_as(None, "GET", "/v1/nowhere", None).await;
    let right = atone.call_as(Some(SECRET_KEY), "GET", &path, None).await;

    for (status, body) in [&missing, &wrong, &with_colon, &unknown_path] {
        assert_eq!(*status, 401);
        assert_eq!(body["name"], "Unauthorized");
        assert_eq!(code(body), "EATN0129");
        assert!(body["message"].is_string());
        assert!(body["errors"][0]["messages"].is_array());
    }
    assert_eq!(right.0, 200);
}

#[tokio::test]
async fn the_transaction_object_answers_every_field_of_the_spec() {
    let atone = Atone::start().await;
    let (token, id) = atone.paid("object-1", 2500).await;

    let (status, t) = atone.get(&id).await;

    assert_eq!(status, 200);
    assert!(id.starts_with("tr_") && id.len() == 19);
    assert!(id[3..].bytes().all(|b| b.is_ascii_alphanumeric()));
    assert_eq!(t["id"], json!(id));
    assert_eq!(t["object"], "transaction");
    assert_eq!(t["livemode"], false);
    assert_eq!(t["authentication_token"], json!(token));
    assert_eq!(t["shop_transaction_no"], "object-1");
    assert_eq!(t["amount"], 2500);
    assert_eq!(t["authorization_result"], 1);
    assert_eq!(t["authorization_result_ng_reason"], json!(null));
    assert_eq!(t["subtract_point"], 0);
    assert_eq!(t["amount_refund_total"], 0);
    assert_eq!(t["registration_datetime"], "2026/05/10 10:00");
    assert_eq!(t["sales_settled_datetime"], json!(null));
    assert_eq!(t["transaction_options"], json!([]));
    assert_eq!(t["updated_transactions"], json!([]));
    assert_eq!(t["related_transaction"], json!(null));
    assert_eq!(t["customer"]["customer_name"], "山田 太郎");
    assert_eq!(t["dest_customers"][0]["customer_name"], "佐藤 花子");
    assert_eq!(t["dest_customers"][0]["zip_code"], "5300001");
    assert_eq!(
        t["items"],
        json!([{ "shop_item_id": "ITEM-1", "item_name": "テスト商品", "item_price": 2500, "item_count": 1 }])
    );
    assert_eq!(t["refunds"], json!([]));
}

#[tokio::test]
async fn a_registration_reports_each_bad_field_with_its_code() {
    let atone = Atone::start().await;
    let (token, _) = atone.paid("check-0", 1000).await;
    let mut bad = payment("check-1", 1000);
    bad["amount"] = json!(0);
    bad["shop_transaction_no"] = json!("x".repeat(101));
    bad["sales_settled"] = json!("yes");
    bad["items"][0]["item_price"] = json!(1_000_000);
    bad["items"][0]["shop_item_id"] = json!("商品");
    bad["customer"]["email"] = json!("no-at-sign");
    bad["dest_customers"] = json!(vec![payment("x", 1)["dest_customers"][0].clone(); 10]);

    let (status, body) = atone.register(bad, &token).await;

    assert_eq!(status, 400);
    assert_eq!(body["name"], "InvalidRequest");
    let codes: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        ["EATN0105", "EATN0106", "EATN0108", "EATN0142", "EATN0144", "EATN0110", "EATN0114"]
    );
    assert_eq!(body["errors"][6]["params"], json!(["items[0].item_price"]));

    let mut no_items = payment("check-2", 1000);
    no_items["items"] = json!([]);
    let (_, body) = atone.register(no_items, &token).await;
    assert_eq!(code(&body), "EATN0111");
}

#[tokio::test]
async fn the_item_lines_must_add_up_to_the_amount() {
    let atone = Atone::start().await;
    let (token, _) = atone.paid("sum-0", 1000).await;
    let mut lines = payment("sum-1", 1000);
    lines["items"] = json!([
        { "shop_item_id": "A", "item_name": "本", "item_price": 600, "item_count": 2 },
        { "shop_item_id": "P", "item_name": "ポイント値引", "item_price": -100, "item_count": 1 },
    ]);

    let (status, body) = atone.register(lines.clone(), &token).await;
    lines["amount"] = json!(1100);
    let (fixed, _) = atone.register(lines, &token).await;

    assert_eq!((status, code(&body)), (400, "EATN1102"));
    assert_eq!(fixed, 200);
}

#[tokio::test]
async fn a_shop_transaction_no_of_an_ok_transaction_cannot_be_used_again() {
    let atone = Atone::start().await;
    let (token, _) = atone.paid("dup-1", 1000).await;
    let (_, result, _) = atone
        .checkout(&signed(payment("dup-ng", 1000)), DECLINED)
        .await;
    assert_eq!(result, "failed");

    let (status, body) = atone.register(payment("dup-1", 1000), &token).await;
    let (after_ng, _) = atone.register(payment("dup-ng", 1000), &token).await;
    let (widget_status, widget) = atone
        .open(
            sandbox::atone::PUBLIC_KEY,
            "",
            &signed(payment("dup-1", 1000)),
        )
        .await;
    let other_shop = atone
        .open(
            OTHER_PUBLIC_KEY,
            "",
            &signed_with(OTHER_SECRET_KEY, payment("dup-1", 1000)),
        )
        .await;

    assert_eq!((status, code(&body)), (400, "EATN1101"));
    assert_eq!(after_ng, 200);
    assert_eq!((widget_status, code(&widget)), (400, "EATN1101"));
    assert_eq!(other_shop.0, 200);
}

#[tokio::test]
async fn the_server_registration_needs_a_token_the_widget_issued_to_this_shop() {
    let atone = Atone::start().await;
    let (token, _) = atone.paid("token-0", 1000).await;

    let (missing, missing_body) = atone
        .call("POST", "/v1/transactions", Some(payment("token-1", 1000)))
        .await;
    let (_, unknown) = atone
        .register(payment("token-1", 1000), "tok_unknown")
        .await;
    let mut body = payment("token-1", 1000);
    body["authentication_token"] = json!(token);
    let (_, other_shop) = atone
        .call_as(
            Some(OTHER_SECRET_KEY),
            "POST",
            "/v1/transactions",
            Some(body),
        )
        .await;
    let (ok, registered) = atone.register(payment("token-1", 1000), &token).await;

    assert_eq!((missing, code(&missing_body)), (400, "EATN0102"));
    assert_eq!(code(&unknown), "EATN0103");
    assert_eq!(code(&other_shop), "EATN0103");
    assert_eq!(ok, 200);
    assert_eq!(registered["authentication_token"], json!(token));
    assert_eq!(registered["authorization_result"], 1);
}

#[tokio::test]
async fn a_registration_needs_json() {
    let atone = Atone::start().await;

    let response = atone
        .http
        .post(format!("{}/v1/transactions", atone.base))
        .header("authorization", basic(SECRET_KEY))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("amount=1000")
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body: serde_json::Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();

    assert_eq!((status, code(&body)), (400, "EATN0352"));
}

#[tokio::test]
async fn settle_once_then_eatn1201_and_unknown_ids_are_eatn0133() {
    let atone = Atone::start().await;
    let (_, id) = atone.paid("settle-1", 1000).await;
    let (_, _, declined) = atone
        .checkout(&signed(payment("settle-ng", 1000)), DECLINED)
        .await;
    let ng = declined["id"].as_str().unwrap().to_owned();
    atone.advance(Duration::minutes(30));

    let (status, settled) = atone.settle(&id).await;
    let (again, again_body) = atone.settle(&id).await;
    let (_, ng_body) = atone.settle(&ng).await;
    let (unknown, unknown_body) = atone.settle("tr_0000000000000000").await;
    let (other_shop, _) = atone
        .call_as(
            Some(OTHER_SECRET_KEY),
            "PATCH",
            &format!("/v1/transactions/{id}/settle"),
            None,
        )
        .await;

    assert_eq!(status, 200);
    assert_eq!(settled["sales_settled_datetime"], "2026/05/10 10:30");
    assert_eq!(settled["authorization_result"], 1);
    assert_eq!((again, code(&again_body)), (400, "EATN1201"));
    assert_eq!(code(&ng_body), "EATN1202");
    assert_eq!((unknown, code(&unknown_body)), (404, "EATN0133"));
    assert_eq!(unknown_body["name"], "NotFound");
    assert_eq!(other_shop, 404);
}

#[tokio::test]
async fn sales_settled_true_settles_at_registration() {
    let atone = Atone::start().await;
    let mut at_once = payment("at-once-1", 1000);
    at_once["sales_settled"] = json!(true);

    let (_, _, response) = atone.checkout(&signed(at_once), STANDARD).await;
    let (_, t) = atone.get(response["id"].as_str().unwrap()).await;
    let (_, again) = atone.settle(response["id"].as_str().unwrap()).await;

    assert_eq!(t["sales_settled_datetime"], "2026/05/10 10:00");
    assert_eq!(code(&again), "EATN1201");
}

#[tokio::test]
async fn before_settlement_only_the_whole_amount_is_cancelled() {
    let atone = Atone::start().await;
    let (_, id) = atone.paid("cancel-1", 1000).await;

    let (partial, partial_body) = atone.refund(&id, json!({ "amount_refund": 400 })).await;
    let (status, cancelled) = atone
        .refund(
            &id,
            json!({ "refund_reason": 1, "description_refund": "注文取消" }),
        )
        .await;
    let (_, twice) = atone.refund(&id, json!({})).await;
    let (_, settle) = atone.settle(&id).await;

    assert_eq!((partial, code(&partial_body)), (400, "EATN1303"));
    assert_eq!(status, 200);
    assert_eq!(cancelled["amount_refund_total"], 1000);
    assert_eq!(
        cancelled["refunds"],
        json!([{
            "object": "refund",
            "amount_refund": 1000,
            "refund_datetime": "2026/05/10 10:00",
            "refund_reason": 1,
            "description_refund": "注文取消",
        }])
    );
    assert_eq!(code(&twice), "EATN1302");
    assert_eq!(code(&settle), "EATN1202");
}

#[tokio::test]
async fn after_settlement_refunds_may_be_partial_up_to_what_remains() {
    let atone = Atone::start().await;
    let (_, id) = atone.paid("refund-1", 1000).await;
    atone.settle(&id).await;

    let (first, _) = atone.refund(&id, json!({ "amount_refund": "300" })).await;
    let (_, too_much) = atone.refund(&id, json!({ "amount_refund": 701 })).await;
    let (_, zero) = atone.refund(&id, json!({ "amount_refund": 0 })).await;
    let (_, rest) = atone.refund(&id, json!({ "amount_refund": "" })).await;
    let (_, more) = atone.refund(&id, json!({ "amount_refund": 1 })).await;

    assert_eq!(first, 200);
    assert_eq!(code(&too_much), "EATN1301");
    assert_eq!(code(&zero), "EATN1301");
    assert_eq!(rest["amount_refund_total"], 1000);
    assert_eq!(rest["refunds"][0]["amount_refund"], 300);
    assert_eq!(rest["refunds"][1]["amount_refund"], 700);
    assert_eq!(code(&more), "EATN1302");
}

#[tokio::test]
async fn an_authorisation_left_unsettled_for_90_days_expires() {
    let atone = Atone::start().await;
    let (_, kept) = atone.paid("expiry-1", 1000).await;
    let (_, lapsed) = atone.paid("expiry-2", 1000).await;
    atone.advance(Duration::days(90) - Duration::seconds(1));
    let (in_time, _) = atone.settle(&kept).await;
    atone.advance(Duration::seconds(1));

    let (status, body) = atone.settle(&lapsed).await;
    let (_, refund) = atone.refund(&lapsed, json!({})).await;

    assert_eq!(in_time, 200);
    assert_eq!((status, code(&body)), (400, "EATN1203"));
    assert_eq!(code(&refund), "EATN1203");
    let page = atone.page("/backoffice").await.2;
    assert!(page.contains("仮売上期限切れ"), "{page}");
    assert!(page.contains("決済完了"));
}

#[tokio::test]
async fn a_post_with_x_http_method_override_counts_as_the_verb_it_names() {
    let atone = Atone::start().await;
    let (_, id) = atone.paid("override-1", 1000).await;
    let post = |path: String, verb: &'static str, body: Option<&'static str>| {
        let request = atone
            .http
            .post(format!("{}{path}", atone.base))
            .header("authorization", basic(SECRET_KEY))
            .header("x-http-method-override", verb)
            .header("content-type", "application/json");
        async move {
            let response = request.body(body.unwrap_or("")).send().await.unwrap();
            let status = response.status().as_u16();
            let body = response.bytes().await.unwrap();
            (
                status,
                serde_json::from_slice::<serde_json::Value>(&body).unwrap(),
            )
        }
    };

    let (got, t) = post(
        format!("/v1/transactions/{id}"),
        "GET",
        Some(r#"{"id":"x"}"#),
    )
    .await;
    let (settled, s) = post(format!("/v1/transactions/{id}/settle"), "PATCH", None).await;
    let (refunded, r) = post(
        format!("/v1/transactions/{id}/refund"),
        "PATCH",
        Some(r#"{"amount_refund":"100"}"#),
    )
    .await;
    let (wrong, w) = post(format!("/v1/transactions/{id}/settle"), "GET", None).await;

    assert_eq!((got, t["id"].as_str().unwrap()), (200, id.as_str()));
    assert_eq!(settled, 200);
    assert!(s["sales_settled_datetime"].is_string());
    assert_eq!(
        (refunded, r["amount_refund_total"].as_i64()),
        (200, Some(100))
    );
    assert_eq!((wrong, code(&w)), (404, "EATN0126"));
}
