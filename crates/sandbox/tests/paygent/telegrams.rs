//! Module-type card telegrams, stored cards, inquiries and the token API.

use axum::body::{to_bytes, Body};
use axum::http::Request;
use axum::Router;
use chrono::Duration;
use encoding_rs::SHIFT_JIS;
use sha2::{Digest, Sha256};
use tower::ServiceExt;

use crate::support::*;

#[tokio::test]
async fn a_good_test_card_is_authorised_and_the_answer_is_shift_jis_key_value_lines() {
    let paygent = Paygent::new();

    let answer = paygent.authorise(GOOD_CARD, &[]).await;

    assert_eq!(answer.get("result"), "0", "{}", answer.text);
    assert_eq!(answer.get("response_code"), "");
    assert!(!answer.get("payment_id").is_empty());
    assert_eq!(answer.get("trading_id"), "ORDER_1");
    assert_eq!(answer.get("masked_card_number"), "************0000");
    assert_eq!(answer.get("card_valid_term"), "1230");
    assert_eq!(answer.get("acq_id"), "50001");
    assert_eq!(answer.get("acq_name"), "ﾐﾂﾋﾞｼUFJﾆｺｽ");
    assert_eq!(answer.get("fingerprint").len(), 64);
    assert!(answer.text.contains("\r\n"));
    assert!(
        answer.text.ends_with("out_acs_html="),
        "the _html item comes last"
    );
    assert!(answer.content_type.contains("Windows-31J"));
    let status = paygent.status_of(answer.get("payment_id")).await;
    assert_eq!(status, "20");
}

#[tokio::test]
async fn an_ng_test_card_is_declined_with_the_acquirer_detail_and_no_payment_id() {
    let paygent = Paygent::new();

    let answer = paygent.authorise("4900000000008212", &[]).await;

    assert_eq!(answer.get("result"), "1");
    assert_eq!(answer.get("response_code"), "2001");
    assert_eq!(answer.get("response_detail"), "1G12");
    assert_eq!(answer.get("payment_id"), "");
}

#[tokio::test]
async fn an_input_error_keeps_the_payment_in_applied_so_the_buyer_can_retry_it() {
    let paygent = Paygent::new();
    let failed = paygent.authorise("4900000000008283", &[]).await;
    assert_eq!(failed.get("response_code"), "2003");
    let payment_id = failed.get("payment_id").to_owned();
    assert_eq!(paygent.status_of(&payment_id).await, "10");

    let token = paygent.token(GOOD_CARD).await;
    let retried = paygent
        .telegram(
            CARD_PATH,
            "020",
            &[
                ("payment_id", payment_id.as_str()),
                ("payment_amount", "1000"),
                ("3dsecure_ryaku", "1"),
                ("card_token", token.as_str()),
            ],
        )
        .await;

    assert_eq!(retried.get("result"), "0", "{}", retried.text);
    assert_eq!(retried.get("payment_id"), payment_id);
    assert_eq!(paygent.status_of(&payment_id).await, "20");
}

#[tokio::test]
async fn capture_moves_the_payment_to_captured_and_the_inquiry_reports_it() {
    let paygent = Paygent::new();
    let auth = paygent.authorise(GOOD_CARD, &[]).await;
    let payment_id = auth.get("payment_id");

    let captured = paygent.on_payment("022", payment_id, &[]).await;

    assert_eq!(captured.get("result"), "0", "{}", captured.text);
    assert_eq!(captured.get("payment_id"), payment_id);
    let inquiry = paygent.on_payment("094", payment_id, &[]).await;
    assert_eq!(inquiry.get("payment_status"), "40");
    assert_eq!(inquiry.get("payment_amount"), "1000");
    assert_eq!(inquiry.get("payment_type"), "02");
    assert_eq!(inquiry.get("payment_date").len(), 14);
    assert_eq!(inquiry.get("masked_card_number"), "************0000");
}

#[tokio::test]
async fn an_auth_cancel_of_a_captured_payment_is_refused_and_a_sales_cancel_refunds_it() {
    let paygent = Paygent::new();
    let auth = paygent.authorise(GOOD_CARD, &[("sales_mode", "1")]).await;
    let payment_id = auth.get("payment_id");
    assert_eq!(paygent.status_of(payment_id).await, "40");

    let refused = paygent.on_payment("021", payment_id, &[]).await;
    let refunded = paygent.on_payment("023", payment_id, &[]).await;

    assert_eq!(refused.get("result"), "1");
    assert_eq!(refused.get("response_code"), "2004");
    assert_eq!(refunded.get("result"), "0", "{}", refunded.text);
    assert_eq!(paygent.status_of(payment_id).await, "60");
}

#[tokio::test]
async fn an_auth_cancel_of_an_authorisation_cancels_it_and_cannot_be_repeated() {
    let paygent = Paygent::new();
    let auth = paygent.authorise(GOOD_CARD, &[]).await;
    let payment_id = auth.get("payment_id");

    let cancelled = paygent.on_payment("021", payment_id, &[]).await;
    let again = paygent.on_payment("021", payment_id, &[]).await;

    assert_eq!(cancelled.get("result"), "0");
    assert_eq!(paygent.status_of(payment_id).await, "32");
    assert_eq!(again.get("response_code"), "2004");
}

#[tokio::test]
async fn a_re_authorisation_issues_a_new_payment_id_and_cancels_the_old_payment() {
    let paygent = Paygent::new();
    let auth = paygent.authorise(GOOD_CARD, &[]).await;
    let old_id = auth.get("payment_id").to_owned();

    let changed = paygent
        .on_payment(
            "028",
            &old_id,
            &[("payment_amount", "300"), ("reduction_flag", "1")],
        )
        .await;

    assert_eq!(changed.get("result"), "0", "{}", changed.text);
    let new_id = changed.get("payment_id").to_owned();
    assert_ne!(new_id, old_id);
    assert_eq!(changed.get("base_payment_id"), old_id);
    assert_eq!(changed.get("reduced_amount"), "700");
    assert_eq!(paygent.status_of(&old_id).await, "32");
    let new = paygent.on_payment("094", &new_id, &[]).await;
    assert_eq!(new.get("payment_status"), "20");
    assert_eq!(new.get("payment_amount"), "700");
    assert_eq!(new.get("trading_id"), "ORDER_1");
    // Both payments now share the trading id, so it alone no longer names one (§3).
    let by_trading_id = paygent
        .telegram(
            CARD_PATH,
            "022",
            &[("trading_id", "ORDER_1"), ("payment_id", "")],
        )
        .await;
    assert_eq!(by_trading_id.get("response_code"), "2005");
}

#[tokio::test]
async fn a_re_capture_replaces_a_captured_payment_and_refuses_a_higher_amount() {
    let paygent = Paygent::new();
    let auth = paygent.authorise(GOOD_CARD, &[("sales_mode", "1")]).await;
    let old_id = auth.get("payment_id").to_owned();

    let higher = paygent
        .on_payment(
            "029",
            &old_id,
            &[("payment_amount", "1001"), ("reduction_flag", "0")],
        )
        .await;
    let lower = paygent
        .on_payment(
            "029",
            &old_id,
            &[("payment_amount", "800"), ("reduction_flag", "0")],
        )
        .await;

    assert_eq!(higher.get("response_code"), "2013");
    assert_eq!(lower.get("result"), "0", "{}", lower.text);
    assert_eq!(paygent.status_of(&old_id).await, "60");
    assert_eq!(paygent.status_of(lower.get("payment_id")).await, "40");
}

#[tokio::test]
async fn a_card_whose_cancel_fails_gets_2010_on_re_authorisation_with_the_new_payment() {
    let paygent = Paygent::new();
    let auth = paygent.authorise("4900000000002115", &[]).await;
    let old_id = auth.get("payment_id").to_owned();

    let changed = paygent
        .on_payment(
            "028",
            &old_id,
            &[("payment_amount", "500"), ("reduction_flag", "0")],
        )
        .await;
    let cancel = paygent.on_payment("021", &old_id, &[]).await;

    assert_eq!(changed.get("response_code"), "2010");
    let new_id = changed.get("payment_id");
    assert!(!new_id.is_empty());
    assert_eq!(paygent.status_of(new_id).await, "20");
    assert_eq!(paygent.status_of(&old_id).await, "20");
    assert_eq!(cancel.get("response_code"), "2002");
    assert_eq!(cancel.get("response_detail"), "1C15");
}

#[tokio::test]
async fn an_authorisation_lapses_after_sixty_days_and_can_no_longer_be_captured() {
    let paygent = Paygent::new();
    let auth = paygent.authorise(GOOD_CARD, &[]).await;
    let payment_id = auth.get("payment_id");

    paygent.advance(Duration::days(60) + Duration::minutes(1));
    let capture = paygent.on_payment("022", payment_id, &[]).await;

    assert_eq!(capture.get("response_code"), "2007");
    assert_eq!(paygent.status_of(payment_id).await, "33");
}

#[tokio::test]
async fn a_missing_amount_is_p005_and_an_empty_one_is_p006_naming_the_field() {
    let paygent = Paygent::new();
    let token = paygent.token(GOOD_CARD).await;

    let absent = paygent
        .telegram(
            CARD_PATH,
            "020",
            &[("3dsecure_ryaku", "1"), ("card_token", token.as_str())],
        )
        .await;
    let empty = paygent
        .telegram(
            CARD_PATH,
            "020",
            &[
                ("payment_amount", ""),
                ("3dsecure_ryaku", "1"),
                ("card_token", token.as_str()),
            ],
        )
        .await;

    assert_eq!(absent.get("result"), "1");
    assert_eq!(absent.get("response_code"), "P005");
    assert_eq!(empty.get("response_code"), "P006");
    assert_eq!(
        empty.get("response_detail"),
        "\"payment_amount\" パラメータの値が設定されていません"
    );
}

#[tokio::test]
async fn a_wrong_connect_password_is_p002_and_missing_credentials_are_p001() {
    let paygent = Paygent::new();
    let base = [
        ("merchant_id", "123456789"),
        ("connect_id", "sandboxconnect"),
        ("telegram_kind", "094"),
        ("telegram_version", "1.0"),
        ("payment_id", "1"),
    ];
    let mut wrong = base.to_vec();
    wrong.push(("connect_password", "nope"));

    let wrong = paygent.raw(INQUIRY_PATH, &wrong).await;
    let missing = paygent.raw(INQUIRY_PATH, &base).await;

    assert_eq!(wrong.get("result"), "1");
    assert_eq!(wrong.get("response_code"), "P002");
    assert_eq!(missing.get("response_code"), "P001");
}

#[tokio::test]
async fn a_wrong_version_is_p003_and_a_kind_posted_to_another_url_is_p004() {
    let paygent = Paygent::new();

    let version = paygent
        .raw(
            INQUIRY_PATH,
            &[
                ("merchant_id", "123456789"),
                ("connect_id", "sandboxconnect"),
                ("connect_password", "sandboxpassword"),
                ("telegram_kind", "094"),
                ("telegram_version", "2.0"),
            ],
        )
        .await;
    let url = paygent
        .telegram(INQUIRY_PATH, "022", &[("payment_id", "1")])
        .await;
    let other_method = paygent
        .telegram("/paygent/n/virtualaccount/request", "070", &[])
        .await;

    assert_eq!(version.get("response_code"), "P003");
    assert_eq!(url.get("response_code"), "P004");
    assert_eq!(other_method.get("response_code"), "P018");
}

#[tokio::test]
async fn a_token_works_once_belongs_to_its_merchant_and_expires() {
    let paygent = Paygent::new();
    let token = paygent.token(GOOD_CARD).await;
    let fields = [
        ("payment_amount", "1000"),
        ("3dsecure_ryaku", "1"),
        ("card_token", token.as_str()),
    ];

    let first = paygent.telegram(CARD_PATH, "020", &fields).await;
    let second = paygent.telegram(CARD_PATH, "020", &fields).await;
    let unknown = paygent
        .telegram(
            CARD_PATH,
            "020",
            &[
                ("payment_amount", "1000"),
                ("3dsecure_ryaku", "1"),
                ("card_token", "tok_unknown"),
            ],
        )
        .await;
    let late = paygent.token(GOOD_CARD).await;
    paygent.advance(Duration::minutes(31));
    let expired = paygent
        .telegram(
            CARD_PATH,
            "020",
            &[
                ("payment_amount", "1000"),
                ("3dsecure_ryaku", "1"),
                ("card_token", late.as_str()),
            ],
        )
        .await;

    assert_eq!(first.get("result"), "0");
    assert_eq!(second.get("response_code"), "2022");
    assert_eq!(unknown.get("response_code"), "2021");
    assert_eq!(expired.get("response_code"), "2020");
}

#[tokio::test]
async fn a_raw_card_number_is_refused_in_favour_of_tokens() {
    let paygent = Paygent::new();

    let answer = paygent
        .telegram(
            CARD_PATH,
            "020",
            &[
                ("payment_amount", "1000"),
                ("3dsecure_ryaku", "1"),
                ("card_number", GOOD_CARD),
                ("card_valid_term", "1230"),
            ],
        )
        .await;

    assert_eq!(answer.get("response_code"), "2023");
}

#[tokio::test]
async fn the_token_api_answers_json_with_a_hash_the_shop_can_verify() {
    let paygent = Paygent::new();

    let response = paygent
        .token_response(&[
            ("merchant_id", "123456789"),
            ("token_generate_key", "sandboxtokenkey"),
            ("card_number", "4242424242424242"),
            ("card_expire_year", "29"),
            ("card_expire_month", "01"),
            ("card_name", "HANAKO SATO"),
        ])
        .await;
    let wrong_key = paygent
        .token_response(&[
            ("merchant_id", "123456789"),
            ("token_generate_key", "other"),
        ])
        .await;

    assert_eq!(response["result"], "0000");
    let card = &response["tokenizedCardObject"];
    assert_eq!(card["masked_card_number"], "************4242");
    assert_eq!(card["valid_until"], "20260510103000");
    let signed = format!(
        "{}{}{}{}sandboxtokenhashkey",
        card["token"].as_str().unwrap(),
        card["masked_card_number"].as_str().unwrap(),
        card["valid_until"].as_str().unwrap(),
        card["fingerprint"].as_str().unwrap(),
    );
    let expected: String = Sha256::digest(signed.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(response["hc"], expected);
    assert_eq!(wrong_key["result"], "1201");
    assert!(wrong_key.get("tokenizedCardObject").is_none());
}

#[tokio::test]
async fn the_token_script_is_served_for_the_browser() {
    let paygent = Paygent::new();
    let request = Request::get("/paygent/js/PaygentToken.js")
        .body(Body::empty())
        .unwrap();

    let response = paygent.app.clone().oneshot(request).await.unwrap();

    assert_eq!(response.status().as_u16(), 200);
    let body = to_bytes(response.into_body(), 1 << 20).await.unwrap();
    let script = String::from_utf8(body.to_vec()).unwrap();
    assert!(script.contains("createToken"));
    assert!(script.contains("createCvcToken"));
    assert!(script.contains("/n/token/request"));
}

#[tokio::test]
async fn stored_cards_are_registered_listed_in_csv_used_and_deleted() {
    let paygent = Paygent::new();
    let token = paygent.token(GOOD_CARD).await;

    let registered = paygent
        .telegram(
            CARD_PATH,
            "025",
            &[
                ("customer_id", "CUST_1"),
                ("card_token", token.as_str()),
                ("add_info1", "お得意様　山田"),
            ],
        )
        .await;
    assert_eq!(registered.get("result"), "0", "{}", registered.text);
    assert_eq!(registered.get("num_of_cards"), "1");
    let card_id = registered.get("customer_card_id").to_owned();

    let listed = paygent
        .telegram(
            CARD_PATH,
            "027",
            &[("customer_id", "CUST_1"), ("customer_card_id", "")],
        )
        .await;
    let records: Vec<&str> = listed.text.split("\r\n").collect();
    assert_eq!(records[0], r#""1","0","","""#);
    assert!(records[1].starts_with(r#""2","customer_id","customer_card_id","card_number""#));
    assert!(records[2].starts_with(&format!(
        r#""3","CUST_1","{card_id}","************0000","1230","#
    )));
    assert!(
        records[2].contains(r#""VISA","TARO YAMADA","お得意様　山田","#),
        "{}",
        records[2]
    );
    assert_eq!(records[3], r#""4","1""#);

    let paid = paygent
        .telegram(
            CARD_PATH,
            "020",
            &[
                ("payment_amount", "2500"),
                ("3dsecure_ryaku", "1"),
                ("stock_card_mode", "1"),
                ("customer_id", "CUST_1"),
                ("customer_card_id", card_id.as_str()),
            ],
        )
        .await;
    assert_eq!(paid.get("result"), "0", "{}", paid.text);
    let inquiry = paygent.on_payment("094", paid.get("payment_id"), &[]).await;
    assert_eq!(inquiry.get("customer_card_id"), card_id);

    let deleted = paygent
        .telegram(
            CARD_PATH,
            "026",
            &[
                ("customer_id", "CUST_1"),
                ("customer_card_id", card_id.as_str()),
            ],
        )
        .await;
    assert_eq!(deleted.get("result"), "0");
    assert_eq!(deleted.get("num_of_cards"), "0");
    let empty = paygent
        .telegram(CARD_PATH, "027", &[("customer_id", "CUST_1")])
        .await;
    let records: Vec<&str> = empty.text.split("\r\n").collect();
    assert!(records[0].starts_with(r#""1","1","P026","#));
    assert_eq!(records[1], r#""4","0""#);
}

#[tokio::test]
async fn an_eleventh_stored_card_is_refused_with_p023() {
    let paygent = Paygent::new();
    for _ in 0..10 {
        let token = paygent.token(GOOD_CARD).await;
        let answer = paygent
            .telegram(
                CARD_PATH,
                "025",
                &[("customer_id", "CUST_2"), ("card_token", token.as_str())],
            )
            .await;
        assert_eq!(answer.get("result"), "0");
    }
    let token = paygent.token(GOOD_CARD).await;

    let eleventh = paygent
        .telegram(
            CARD_PATH,
            "025",
            &[("customer_id", "CUST_2"), ("card_token", token.as_str())],
        )
        .await;

    assert_eq!(eleventh.get("response_code"), "P023");
}

#[tokio::test]
async fn the_difference_inquiry_returns_each_status_change_once_and_refetches_by_id() {
    let paygent = Paygent::new();
    let auth = paygent.authorise(GOOD_CARD, &[]).await;
    let payment_id = auth.get("payment_id").to_owned();
    paygent.on_payment("022", &payment_id, &[]).await;
    let paygent = &paygent;
    let poll = |id: &'static str| async move {
        paygent
            .telegram(NOTICE_PATH, "091", &[("payment_notice_id", id)])
            .await
    };

    let first = poll("").await;
    let second = poll("").await;
    let none = poll("").await;
    let again = poll("1").await;

    assert_eq!(first.get("success_code"), "0", "{}", first.text);
    assert_eq!(first.get("payment_notice_id"), "1");
    assert_eq!(first.get("payment_id"), payment_id);
    assert_eq!(first.get("payment_status"), "20");
    assert_eq!(first.get("payment_type"), "02");
    assert_eq!(second.get("payment_notice_id"), "2");
    assert_eq!(second.get("payment_status"), "40");
    assert_eq!(none.get("success_code"), "1");
    assert_eq!(again.get("payment_notice_id"), "1");
    assert_eq!(again.get("payment_status"), "20");
}

#[tokio::test]
async fn difference_records_are_purged_after_seven_days_and_the_gap_is_reported() {
    let paygent = Paygent::new();
    let first = paygent.authorise(GOOD_CARD, &[]).await;
    paygent.advance(Duration::days(8));
    let second = paygent.authorise(GOOD_CARD, &[]).await;

    let record = paygent
        .telegram(NOTICE_PATH, "091", &[("payment_notice_id", "")])
        .await;
    let purged = paygent
        .telegram(NOTICE_PATH, "091", &[("payment_notice_id", "1")])
        .await;

    assert_ne!(first.get("payment_id"), second.get("payment_id"));
    assert_eq!(record.get("success_code"), "2");
    assert_eq!(record.get("payment_notice_id"), "2");
    assert_eq!(purged.get("success_code"), "1");
}

#[tokio::test]
async fn query_string_parameters_are_read_like_body_items() {
    let paygent = Paygent::new();
    let auth = paygent.authorise(GOOD_CARD, &[]).await;
    let query = format!(
        "/paygent/n/ref/paymentref?merchant_id=123456789&connect_id=sandboxconnect\
         &connect_password=sandboxpassword&telegram_kind=094&telegram_version=1.0&payment_id={}",
        auth.get("payment_id")
    );

    let (_, body) = paygent
        .post(&query, "application/x-www-form-urlencoded", Vec::new())
        .await;

    let (text, _, _) = SHIFT_JIS.decode(&body);
    assert_eq!(parse(&text)["payment_status"], "20");
}

#[tokio::test]
async fn the_sandbox_index_lists_paygent() {
    let app: Router = sandbox::router();
    let request = Request::get("/").body(Body::empty()).unwrap();

    let response = app.oneshot(request).await.unwrap();

    let body = to_bytes(response.into_body(), 1 << 16).await.unwrap();
    let index: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        index["providers"],
        serde_json::json!(["paygent", "remise", "atone", "yamato"])
    );
}

#[tokio::test]
async fn a_stored_card_needs_a_cvc_token_when_the_security_code_is_required() {
    let paygent = Paygent::new();
    let token = paygent.token(GOOD_CARD).await;
    let registered = paygent
        .telegram(
            CARD_PATH,
            "025",
            &[("customer_id", "CUST_3"), ("card_token", token.as_str())],
        )
        .await;
    let card_id = registered.get("customer_card_id").to_owned();
    let stored = [
        ("payment_amount", "1200"),
        ("3dsecure_ryaku", "1"),
        ("stock_card_mode", "1"),
        ("customer_id", "CUST_3"),
        ("customer_card_id", card_id.as_str()),
        ("security_code_use", "1"),
    ];
    let cvc = paygent
        .token_response(&[
            ("merchant_id", "123456789"),
            ("token_generate_key", "sandboxtokenkey"),
            ("card_cvc", "456"),
            ("cvc_only_flg", "1"),
        ])
        .await;
    let cvc_token = cvc["tokenizedCardObject"]["token"].as_str().unwrap();

    let without = paygent.telegram(CARD_PATH, "020", &stored).await;
    let mut with_cvc = stored.to_vec();
    with_cvc.extend([("card_token", cvc_token), ("security_code_token", "1")]);
    let with = paygent.telegram(CARD_PATH, "020", &with_cvc).await;
    let mut as_card_token = stored.to_vec();
    as_card_token.push(("card_token", cvc_token));
    let mixed = paygent.telegram(CARD_PATH, "020", &as_card_token).await;

    assert_eq!(without.get("response_code"), "2003");
    assert_eq!(without.get("response_detail"), "1G44");
    assert_eq!(with.get("result"), "0", "{}", with.text);
    assert_eq!(mixed.get("response_code"), "2024");
}

#[tokio::test]
async fn instalments_need_a_split_count_and_the_inquiry_reports_both() {
    let paygent = Paygent::new();

    let without = paygent
        .authorise(GOOD_CARD, &[("payment_class", "61")])
        .await;
    let with = paygent
        .authorise(GOOD_CARD, &[("payment_class", "61"), ("split_count", "3")])
        .await;
    let unknown_class = paygent
        .authorise(GOOD_CARD, &[("payment_class", "99")])
        .await;

    assert_eq!(without.get("response_code"), "P005");
    assert_eq!(
        without.get("response_detail"),
        "\"split_count\" パラメータが存在しません"
    );
    assert_eq!(with.get("result"), "0", "{}", with.text);
    let inquiry = paygent.on_payment("094", with.get("payment_id"), &[]).await;
    assert_eq!(inquiry.get("payment_class"), "61");
    assert_eq!(inquiry.get("split_count"), "3");
    assert_eq!(unknown_class.get("response_code"), "P010");
}

#[tokio::test]
async fn a_payment_in_applied_allows_three_retries_and_is_then_declined() {
    let paygent = Paygent::new();
    let failed = paygent.authorise("4900000000008244", &[]).await;
    let payment_id = failed.get("payment_id").to_owned();

    let mut codes = Vec::new();
    for _ in 0..4 {
        let token = paygent.token("4900000000008244").await;
        let retry = paygent
            .telegram(
                CARD_PATH,
                "020",
                &[
                    ("payment_id", payment_id.as_str()),
                    ("payment_amount", "1000"),
                    ("3dsecure_ryaku", "1"),
                    ("card_token", token.as_str()),
                ],
            )
            .await;
        codes.push(retry.get("response_code").to_owned());
    }

    assert_eq!(codes, ["2003", "2003", "2003", "2001"]);
    assert_eq!(paygent.status_of(&payment_id).await, "11");
}

#[tokio::test]
async fn a_cancel_that_times_out_parks_the_payment_in_cancel_pending() {
    let paygent = Paygent::new();
    let auth = paygent.authorise("4900000000003000", &[]).await;
    let payment_id = auth.get("payment_id");

    let cancel = paygent.on_payment("021", payment_id, &[]).await;
    let capture = paygent.on_payment("022", payment_id, &[]).await;

    assert_eq!(cancel.get("response_code"), "2008");
    assert_eq!(paygent.status_of(payment_id).await, "31");
    assert_eq!(capture.get("response_code"), "2004");
}
