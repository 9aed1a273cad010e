//! The token JS and A08 `creditToken` without 3-D Secure (spec §3.1, §6), the common
//! checks of every call (§1, §2) and H01.

use sandbox::yamato::testcard::{
    APPROVED_AMEX, APPROVED_DINERS, APPROVED_JCB, APPROVED_MASTER, APPROVED_SAMPLE, APPROVED_VISA,
    CARDS, DECLINED_BY_ISSUER, DECLINED_NOT_USABLE, DECLINED_OVER_LIMIT, THREE_D_EXCLUDED,
    THREE_D_FAIL, THREE_D_PASS,
};

use crate::support::{sha256, Yamato, ACCESS_KEY, OTHER_TRADER, TRADER_CODE};

#[tokio::test]
async fn the_token_script_is_served_on_both_paths_and_posts_only_to_the_sandbox() {
    let yamato = Yamato::start().await;

    for path in [
        "/api/token/js/embeddedTokenLib.js",
        "/test_gateway/token/js/embeddedTokenLib.js",
    ] {
        let (status, content_type, script) = yamato.page(path).await;

        assert_eq!(status, 200);
        assert_eq!(content_type, "text/javascript; charset=utf-8");
        assert!(script.contains("WebcollectTokenLib"));
        assert!(script.contains("createToken"));
        assert!(script.contains("errorInfo"));
        assert!(!script.contains("kuronekoyamato.co.jp"));
    }
}

#[tokio::test]
async fn the_token_endpoint_answers_json_that_a_page_of_another_origin_can_read() {
    let yamato = Yamato::start().await;
    let sum = sha256(&format!("{ACCESS_KEY}0"));

    let response = yamato
        .http
        .post(format!("{}/test_gateway/token/createToken", yamato.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("traderCode={TRADER_CODE}&authDiv=0&optServDiv=00&checkSum={sum}&cardNo={APPROVED_VISA}&cardOwner=TARO+YAMADA&cardExp=1230"))
        .send()
        .await
        .unwrap();

    assert_eq!(response.headers()["access-control-allow-origin"], "*");
    let body: serde_json::Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    assert_eq!(body["returnCode"], "0");
    assert_eq!(body["token"].as_str().unwrap().len(), 40);
}

#[tokio::test]
async fn token_errors_list_every_field_with_its_code_and_item() {
    let yamato = Yamato::start().await;

    let answer = yamato
        .create_token(&[
            ("traderCode", TRADER_CODE),
            ("authDiv", "2"),
            ("optServDiv", "00"),
            ("checkSum", &sha256(&format!("{ACCESS_KEY}2"))),
            ("cardNo", "4111-1111"),
            ("cardOwner", "山田太郎"),
            ("cardExp", "0426"),
        ])
        .await;

    assert_eq!(answer["returnCode"], "1");
    let codes: Vec<_> = answer["errorInfo"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["errorCode"].as_str().unwrap(),
                e["errorItem"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        codes,
        vec![
            ("Y021010904", "cardNo"),
            ("Y021011004", "cardOwner"),
            ("Y021011102", "cardExp"),
            ("Y021011301", "securityCode"),
        ]
    );
    assert!(answer["errorInfo"][0]["errorMsg"]
        .as_str()
        .unwrap()
        .contains("カード番号"));
}

#[tokio::test]
async fn a_token_needs_the_check_sum_of_the_traders_access_key() {
    let yamato = Yamato::start().await;

    let answer = yamato
        .create_token(&[
            ("traderCode", OTHER_TRADER),
            ("authDiv", "0"),
            ("optServDiv", "00"),
            ("checkSum", &sha256(&format!("{ACCESS_KEY}0"))),
            ("cardNo", APPROVED_VISA),
            ("cardOwner", "TARO YAMADA"),
            ("cardExp", "1230"),
        ])
        .await;

    assert_eq!(answer["errorInfo"][0]["errorCode"], "Y021010604");
}

#[tokio::test]
async fn every_test_card_mints_a_token_and_authorises_as_documented() {
    let yamato = Yamato::start().await;

    for (i, card) in CARDS.iter().enumerate() {
        let order_no = format!("CARD-{i}");
        let token = yamato.token(card.number).await;
        let answer = yamato.authorise(&order_no, "1000", &token, &[]).await;

        match card.number {
            DECLINED_BY_ISSUER => {
                assert_eq!(answer.error(), "A082000010");
                assert_eq!(answer.text("creditErrorCode"), "G12");
            }
            DECLINED_OVER_LIMIT => assert_eq!(answer.error(), "A081010502"),
            DECLINED_NOT_USABLE => assert_eq!(answer.error(), "A082040001"),
            APPROVED_VISA | APPROVED_SAMPLE | APPROVED_MASTER | APPROVED_JCB | APPROVED_AMEX
            | APPROVED_DINERS | THREE_D_PASS | THREE_D_FAIL | THREE_D_EXCLUDED => {
                let answer = answer.ok();
                let approval = answer.text("crdCResCd");
                assert_eq!(approval.len(), 7);
                assert!(approval.bytes().all(|b| b.is_ascii_digit()));
                assert_eq!(answer.text("returnDate"), "20260510100000");
                assert_eq!(yamato.status(&order_no).await, "4");
            }
            other => panic!("a test card without an expectation: {other}"),
        }
    }
}

#[tokio::test]
async fn an_unknown_card_number_is_refused_by_the_network_with_g65() {
    let yamato = Yamato::start().await;
    let token = yamato.token("4242424242424242").await;

    let answer = yamato.authorise("UNKNOWN-1", "1000", &token, &[]).await;

    assert_eq!(answer.code(), "1");
    assert_eq!(answer.error(), "A082000010");
    assert_eq!(answer.text("creditErrorCode"), "G65");
}

#[tokio::test]
async fn the_status_inquiry_shows_an_authorisation_with_the_card_brand() {
    let yamato = Yamato::start().await;
    let approval = yamato
        .paid("INQ-1", "3980", APPROVED_JCB)
        .await
        .text("crdCResCd");

    let answer = yamato.inquire("INQ-1").await.ok();

    assert_eq!(answer.text("resultCount"), "1");
    let data = &answer.all("resultData")[0];
    assert_eq!(data.text("orderNo"), "INQ-1");
    assert_eq!(data.text("statusInfo"), "4");
    assert_eq!(data.text("settlePrice"), "3980");
    assert_eq!(data.text("settleMethod"), "3");
    assert_eq!(data.text("crdCResCd"), approval);
    assert_eq!(data.text("crdCResDate"), "20260510100000");
    assert_eq!(data.text("payWay"), "1");
    assert_eq!(data.text("deviceDiv"), "2");
    assert_eq!(data.text("slipNo"), "");
    assert_eq!(data.text("threeDCode"), "");
    for child in [
        "orderDataSeq",
        "settleMethodDiv",
        "warningInfo",
        "cancelDate",
        "renewalDate",
    ] {
        assert!(data.get(child).is_some(), "{child}");
    }
}

#[tokio::test]
async fn a_declined_authorisation_leaves_nothing_and_its_order_no_free() {
    let yamato = Yamato::start().await;
    let token = yamato.token(DECLINED_BY_ISSUER).await;
    yamato.authorise("RETRY-1", "1000", &token, &[]).await;

    let inquiry = yamato.inquire("RETRY-1").await;
    let retried = yamato.paid("RETRY-1", "1000", APPROVED_VISA).await;

    assert_eq!(inquiry.error(), "E042000001");
    assert_eq!(retried.code(), "0");
}

#[tokio::test]
async fn a_token_is_good_for_one_authorisation_of_its_trader_within_30_minutes() {
    let yamato = Yamato::start().await;
    let token = yamato.token(APPROVED_VISA).await;
    let late = yamato.token(APPROVED_VISA).await;
    yamato.authorise("ONCE-1", "1000", &token, &[]).await.ok();

    let reused = yamato.authorise("ONCE-2", "1000", &token, &[]).await;
    let unknown = yamato.authorise("ONCE-3", "1000", "nosuchtoken", &[]).await;
    yamato.advance(chrono::Duration::minutes(30));
    let expired = yamato.authorise("ONCE-4", "1000", &late, &[]).await;

    assert_eq!(reused.error(), "A082000004");
    assert_eq!(unknown.error(), "A082000002");
    assert_eq!(expired.error(), "A082000003");
}

#[tokio::test]
async fn an_order_no_is_taken_once_per_trader() {
    let yamato = Yamato::start().await;
    yamato.paid("DUP-1", "1000", APPROVED_VISA).await;
    let token = yamato.token(APPROVED_VISA).await;

    let again = yamato.authorise("DUP-1", "1000", &token, &[]).await;
    let other = yamato.authorise("DUP-2", "1000", &token, &[]).await;

    assert_eq!(again.error(), "A082000001");
    assert_eq!(
        other.code(),
        "0",
        "the refused call did not use the token up"
    );
}

#[tokio::test]
async fn the_a08_fields_are_checked_in_order_with_their_numbers() {
    let yamato = Yamato::start().await;
    let token = yamato.token(APPROVED_VISA).await;
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("device_div", "3")], "A081010304"),
        (&[("order_no", "")], "A081010401"),
        (&[("order_no", "受注1")], "A081010404"),
        (&[("order_no", "A23456789012345678901")], "A081010402"),
        (&[("settle_price", "0")], "A081010504"),
        (&[("settle_price", "10000000")], "A081010502"),
        (&[("buyer_email", "taro")], "A081010804"),
        (&[("pay_way", "4")], "A081010904"),
        (&[("card_code_api", "14")], "A081011104"),
        (&[("member_id", "wc-1")], "A081011401"),
        (&[("trader_ec_url", "shop.example/back")], "A081011504"),
        (&[("option_service_div", "01")], "A081011301"),
    ];

    for (fields, code) in cases {
        let mut all = vec![
            ("device_div", "2"),
            ("order_no", "FIELDS-1"),
            ("settle_price", "1000"),
            ("buyer_name_kanji", "山田 太郎"),
            ("buyer_tel", "0312345678"),
            ("buyer_email", "taro@example.com"),
            ("pay_way", "1"),
            ("token", token.as_str()),
        ];
        for (name, value) in fields.iter() {
            match all.iter_mut().find(|(n, _)| n == name) {
                Some(field) => field.1 = value,
                None => all.push((name, value)),
            }
        }
        let answer = yamato.call("creditToken", "A08", &all).await;
        assert_eq!(answer.error(), *code, "{fields:?}");
    }
    let installments = yamato
        .authorise(
            "FIELDS-2",
            "120000",
            &token,
            &[("pay_way", "10"), ("card_code_api", "9")],
        )
        .await
        .ok();
    assert_eq!(installments.code(), "0");
}

#[tokio::test]
async fn the_test_gateway_path_answers_like_the_production_one() {
    let yamato = Yamato::start().await;
    let token = yamato.token(APPROVED_VISA).await;

    let answer = yamato
        .raw_call(
            "/test_gateway/creditToken.api",
            &[
                ("function_div", "A08"),
                ("trader_code", TRADER_CODE),
                ("device_div", "1"),
                ("order_no", "GW-1"),
                ("settle_price", "500"),
                ("buyer_name_kanji", "山田 太郎"),
                ("buyer_tel", "09012345678"),
                ("buyer_email", "taro@example.com"),
                ("pay_way", "1"),
                ("token", &token),
            ],
        )
        .await;

    assert_eq!(answer.code(), "0");
    assert_eq!(yamato.status("GW-1").await, "4");
}

#[tokio::test]
async fn the_trader_and_the_function_are_checked_before_the_fields() {
    let yamato = Yamato::start().await;

    let unknown = yamato
        .raw_call(
            "/api/tradeInfo",
            &[("function_div", "E04"), ("trader_code", "999999999")],
        )
        .await;
    let wrong = yamato
        .raw_call(
            "/api/tradeInfo",
            &[("function_div", "E01"), ("trader_code", TRADER_CODE)],
        )
        .await;
    let konbini = yamato
        .raw_call(
            "/api/cvs1",
            &[("function_div", "B01"), ("trader_code", TRADER_CODE)],
        )
        .await;
    let (status, _, _) = yamato.post("/api/noSuchFunction", &[]).await;

    assert_eq!(unknown.error(), "Z010000001");
    assert_eq!(wrong.error(), "Z010000002");
    assert_eq!(konbini.error(), "Z010000003");
    assert_eq!(status, 404);
}

#[tokio::test]
async fn another_traders_order_and_token_are_unknown() {
    let yamato = Yamato::start().await;
    yamato.paid("MINE-1", "1000", APPROVED_VISA).await;
    let token = yamato.token(APPROVED_VISA).await;
    let as_other = |div: &'static str| vec![("function_div", div), ("trader_code", OTHER_TRADER)];

    let mut inquiry = as_other("E04");
    inquiry.push(("order_no", "MINE-1"));
    let mut authorisation = as_other("A08");
    authorisation.extend_from_slice(&[
        ("device_div", "2"),
        ("order_no", "THEIRS-1"),
        ("settle_price", "1000"),
        ("buyer_name_kanji", "山田 太郎"),
        ("buyer_tel", "0312345678"),
        ("buyer_email", "taro@example.com"),
        ("pay_way", "1"),
        ("token", &token),
    ]);

    assert_eq!(
        yamato.raw_call("/api/tradeInfo", &inquiry).await.error(),
        "E042000001"
    );
    assert_eq!(
        yamato
            .raw_call("/api/creditToken", &authorisation)
            .await
            .error(),
        "A082000002"
    );
}

#[tokio::test]
async fn the_ip_address_inquiry_answers_the_callers_address() {
    let yamato = Yamato::start().await;

    let answer = yamato.call("traderIp", "H01", &[]).await.ok();

    assert_eq!(answer.text("ipAddress"), "127.0.0.1");
}
