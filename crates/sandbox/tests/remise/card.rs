//! Card link type (§2): the page, the RET before the END return, declines, the 5:1000
//! path, duplicates, PayQuick and instalments.

use sandbox::remise::testcard;

use crate::support::{card_request, new_card, Page, Remise, ACK};

const CARD_PAGE: &str = "/rpgw2/pc/card/paycard.aspx";
const PAY: &str = "/rpgw2/pc/card/pay";

/// Open the card page for `fields` and pay with `number`, expiring 12/30.
async fn pay(remise: &Remise, fields: &[(&str, &str)], number: &str) -> Page {
    let page = remise.post(CARD_PAGE, fields).await;
    let key = page.field("KEY");
    remise.post(PAY, &new_card(&key, number, "12", "30")).await
}

#[tokio::test]
async fn an_approved_auth_is_notified_with_ret_before_the_browser_returns_with_end() {
    let remise = Remise::start().await;

    let page = remise
        .post(CARD_PAGE, &card_request("1000000001", &[]))
        .await;
    assert_eq!(page.status, 200);
    assert_eq!(page.content_type, "text/html; charset=Shift_JIS");
    assert!(page.text.contains("1,000円"));
    assert!(page.text.contains("一括"));
    assert!(page
        .text
        .contains(r#"<a href="http://shop.example/cart">戻る</a>"#));
    let key = page.field("KEY");
    assert!(!key.is_empty());

    let back = remise
        .post(PAY, &new_card(&key, testcard::APPROVED_VISA, "12", "30"))
        .await;

    let rets = remise.shop.posts("/result");
    assert_eq!(
        rets.len(),
        1,
        "the RET went out before the browser was answered"
    );
    let ret = &rets[0];
    assert_eq!(
        ret.names(),
        [
            "X-TRANID",
            "X-S_TORIHIKI_NO",
            "X-AMOUNT",
            "X-TAX",
            "X-TOTAL",
            "X-R_CODE",
            "X-ERRCODE",
            "X-ERRINFO",
            "X-ERRLEVEL",
            "X-REFAPPROVED",
            "X-REFFORWARDED",
            "X-REFGATEWAYNO",
            "X-PAYQUICKID",
            "X-PARTOFCARD",
            "X-EXPIRE",
            "X-NAME",
            "X-CARDBRAND",
            "OPT",
            "REC_TYPE",
        ]
    );
    let tranid = ret.get("X-TRANID");
    assert_eq!(tranid.len(), 28);
    assert!(tranid.chars().all(|c| c.is_ascii_digit()));
    assert_eq!(ret.get("REC_TYPE"), "RET");
    assert_eq!(ret.get("X-S_TORIHIKI_NO"), "1000000001");
    assert_eq!(ret.get("X-AMOUNT"), "1000");
    assert_eq!(ret.get("X-TAX"), "0");
    assert_eq!(ret.get("X-TOTAL"), "1000");
    assert_eq!(ret.get("X-R_CODE"), "0:0000");
    assert_eq!(ret.get("X-ERRCODE"), "   ");
    assert_eq!(ret.get("X-ERRINFO"), "000000000");
    assert_eq!(ret.get("X-ERRLEVEL"), "0");
    assert_eq!(ret.get("X-REFAPPROVED").len(), 7);
    assert_eq!(ret.get("X-REFFORWARDED"), "UFJ");
    assert_eq!(ret.get("X-PAYQUICKID"), "");
    assert_eq!(ret.get("X-PARTOFCARD"), "1111");
    assert_eq!(ret.get("X-EXPIRE"), "1230");
    assert_eq!(ret.get("X-NAME"), "TARO YAMADA");
    assert_eq!(ret.get("X-CARDBRAND"), "VISA");
    assert_eq!(ret.get("OPT"), "テスト,1");
    let body = String::from_utf8(ret.body.clone()).unwrap();
    assert!(body.contains("X-ERRCODE=%20%20%20&"), "{body}");
    assert!(
        body.contains("OPT=%83e%83X%83g%2C1&"),
        "Shift_JIS bytes: {body}"
    );
    assert!(!body.contains(testcard::APPROVED_VISA));
    assert!(ret.user_agent.starts_with("remise payment gateway"));

    assert_eq!(back.content_type, "text/html; charset=Shift_JIS");
    assert!(back.text.contains(
        r#"<form method="post" action="http://shop.example/return?acting_return=1" accept-charset="Shift_JIS">"#
    ));
    assert!(back.text.contains("ショップへ戻る"));
    let end = back.hidden();
    let ret_names: Vec<_> = ret.names();
    assert_eq!(
        end.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>(),
        ret_names
    );
    for (name, value) in &end {
        let expected = if name == "REC_TYPE" {
            "END"
        } else {
            ret.get(name)
        };
        assert_eq!(value, expected, "{name}");
    }
}

#[tokio::test]
async fn a_declined_card_is_notified_then_sent_to_ng_returl() {
    let remise = Remise::start().await;

    let back = pay(
        &remise,
        &card_request("1000000002", &[]),
        testcard::DECLINED_G12,
    )
    .await;

    let ret = &remise.shop.posts("/result")[0];
    assert_eq!(ret.get("X-R_CODE"), "0:0000");
    assert_eq!(ret.get("X-ERRCODE"), "G12");
    assert_eq!(ret.get("X-ERRINFO"), "100120000");
    assert_eq!(ret.get("X-ERRLEVEL"), "1");
    assert_eq!(ret.get("X-REFAPPROVED"), "");
    assert_eq!(back.action(), "http://shop.example/return?acting_return=0");
    assert_eq!(back.field("X-ERRCODE"), "G12");
    assert_eq!(back.field("REC_TYPE"), "END");

    let again = pay(
        &remise,
        &card_request("1000000002", &[]),
        testcard::APPROVED_VISA,
    )
    .await;
    assert_eq!(
        again.action(),
        "http://shop.example/return?acting_return=1",
        "a decline does not take the number"
    );
}

#[tokio::test]
async fn each_decline_card_and_a_past_expiry_give_their_codes() {
    let remise = Remise::start().await;
    let cases = [
        ("2000000001", testcard::DECLINED_G03, "30", "G03"),
        ("2000000002", testcard::DECLINED_G83, "30", "G83"),
        ("2000000003", testcard::DECLINED_G65, "30", "G65"),
        ("2000000004", "4242424242424242", "30", "G65"),
        ("2000000005", testcard::APPROVED_VISA, "25", "G83"),
    ];

    for (number, card, yy, errcode) in cases {
        let page = remise.post(CARD_PAGE, &card_request(number, &[])).await;
        let back = remise
            .post(PAY, &new_card(&page.field("KEY"), card, "12", yy))
            .await;
        assert_eq!(back.field("X-ERRCODE"), errcode, "{card} {yy}");
    }
}

#[tokio::test]
async fn a_shop_that_does_not_acknowledge_gets_5_1000_and_the_authorisation_stays_unconfirmed() {
    let remise = Remise::start().await;
    remise
        .shop
        .answer("/result", "<SDBKDATA>STATUS=900</SDBKDATA>");

    let back = pay(
        &remise,
        &card_request("1000000003", &[]),
        testcard::APPROVED_VISA,
    )
    .await;

    assert_eq!(back.action(), "http://shop.example/return?acting_return=0");
    assert_eq!(back.field("X-R_CODE"), "5:1000");
    assert_eq!(back.field("X-ERRLEVEL"), "0");
    assert_eq!(back.field("X-TRANID").len(), 28);
    let office = remise.get("/backoffice").await;
    assert!(office.text.contains("未確認"));
    let again = remise
        .post(CARD_PAGE, &card_request("1000000003", &[]))
        .await;
    assert!(again.text.contains(r#"<span id="r-code">8:5820</span>"#));
}

#[tokio::test]
async fn a_paid_number_sent_again_is_refused_with_8_5820() {
    let remise = Remise::start().await;
    pay(
        &remise,
        &card_request("1000000004", &[]),
        testcard::APPROVED_VISA,
    )
    .await;

    let page = remise
        .post(CARD_PAGE, &card_request("1000000004", &[]))
        .await;

    assert!(page.text.contains("既に決済が済んでいます"));
    assert_eq!(page.action(), "http://shop.example/return?acting_return=0");
    assert_eq!(page.field("X-R_CODE"), "8:5820");
    assert_eq!(page.field("X-S_TORIHIKI_NO"), "1000000004");
    assert_eq!(page.field("REC_TYPE"), "END");
    assert!(!page.text.contains("document.forms[0].submit()"));
}

#[tokio::test]
async fn malformed_requests_get_the_field_codes() {
    let remise = Remise::start().await;
    let cases: [(&[(&str, &str)], &str); 7] = [
        (&[("MAIL", "")], "8:1008"),
        (&[("MAIL", "not-an-address")], "8:3008"),
        (&[("JOB", "SALES")], "8:3004"),
        (&[("TOTAL", "1200")], "8:3009"),
        (&[("SHOPCO", "RMS0001")], "8:2001"),
        (&[("METHOD", "61")], "8:1011"),
        (&[("RETURL", "")], "8:1012"),
    ];

    for (overrides, code) in cases {
        let page = remise
            .post(CARD_PAGE, &card_request("3000000001", overrides))
            .await;
        assert!(
            page.text
                .contains(&format!(r#"<span id="r-code">{code}</span>"#)),
            "{overrides:?}: {}",
            page.text
        );
    }
}

#[tokio::test]
async fn a_bad_card_entry_shows_the_page_again_and_it_still_pays() {
    let remise = Remise::start().await;
    let page = remise
        .post(CARD_PAGE, &card_request("1000000005", &[]))
        .await;
    let key = page.field("KEY");

    let again = remise.post(PAY, &new_card(&key, "4111", "12", "30")).await;
    assert!(again.text.contains("カード番号を正しく入力してください"));
    assert!(remise.shop.posts("/result").is_empty());

    let back = remise
        .post(PAY, &new_card(&key, testcard::APPROVED_JCB, "12", "30"))
        .await;
    assert_eq!(back.field("X-CARDBRAND"), "JCB");
    let used = remise
        .post(PAY, &new_card(&key, testcard::APPROVED_JCB, "12", "30"))
        .await;
    assert!(used.text.contains("既に処理が済んでいます"));
}

#[tokio::test]
async fn payquick_registers_a_card_reuses_it_and_a_check_updates_it() {
    let remise = Remise::start().await;

    let first = pay(
        &remise,
        &card_request("1000000006", &[("PAYQUICK", "1")]),
        testcard::APPROVED_VISA,
    )
    .await;
    let id = first.field("X-PAYQUICKID");
    assert_eq!(id.len(), 20);

    let page = remise
        .post(
            CARD_PAGE,
            &card_request("1000000007", &[("PAYQUICK", "1"), ("PAYQUICKID", &id)]),
        )
        .await;
    assert!(page.text.contains("登録済みのカードを使う"));
    assert!(page.text.contains("下4桁 1111、有効期限 12/30"));
    let reused = remise
        .post(
            PAY,
            &[("KEY", page.field("KEY").as_str()), ("CARD_SEL", "stored")],
        )
        .await;
    assert_eq!(reused.field("X-PAYQUICKID"), id);
    assert_eq!(reused.field("X-PARTOFCARD"), "1111");
    assert_eq!(reused.field("X-EXPIRE"), "1230");
    assert_eq!(reused.field("X-R_CODE"), "0:0000");

    let check = [
        ("SHOPCO", crate::support::SHOPCO),
        ("HOSTID", crate::support::HOSTID),
        ("S_TORIHIKI_NO", "0000000123"),
        ("JOB", "CHECK"),
        ("ITEM", "0000990"),
        ("MAIL", "buyer@example.com"),
        ("PAYQUICK", "1"),
        ("PAYQUICKID", &id),
        ("OPT", "welcart_card_update"),
        ("RETURL", "http://shop.example/member"),
        ("NG_RETURL", "http://shop.example/member"),
        ("EXITURL", "http://shop.example/member"),
    ];
    let page = remise.post(CARD_PAGE, &check).await;
    assert!(page.text.contains("カードの登録"));
    assert!(!page.text.contains("登録済みのカードを使う"));
    let updated = remise
        .post(
            PAY,
            &new_card(&page.field("KEY"), testcard::APPROVED_MASTER, "01", "31"),
        )
        .await;
    assert_eq!(updated.action(), "http://shop.example/member");
    assert_eq!(updated.field("X-AMOUNT"), "0");
    assert_eq!(updated.field("X-TOTAL"), "0");
    assert_eq!(updated.field("X-PAYQUICKID"), id);
    assert_eq!(updated.field("X-PARTOFCARD"), "4444");
    assert_eq!(updated.field("X-EXPIRE"), "0131");
    let ret = remise.shop.posts("/result").pop().unwrap();
    assert_eq!(ret.get("X-PAYQUICKID"), id);

    let page = remise
        .post(
            CARD_PAGE,
            &card_request("1000000008", &[("PAYQUICKID", &id)]),
        )
        .await;
    assert!(page.text.contains("下4桁 4444、有効期限 01/31"));
    let again = remise.post(CARD_PAGE, &check).await;
    assert!(
        again.text.contains("カードの登録"),
        "a CHECK never takes its number"
    );
}

#[tokio::test]
async fn instalments_are_fixed_by_the_shop_or_chosen_by_the_buyer() {
    let remise = Remise::start().await;

    let page = remise
        .post(
            CARD_PAGE,
            &card_request("1000000009", &[("METHOD", "61"), ("PTIMES", "2")]),
        )
        .await;
    assert!(page.text.contains("分割2回"));
    assert!(!page.text.contains(r#"name="METHOD""#));
    remise
        .post(
            PAY,
            &new_card(&page.field("KEY"), testcard::APPROVED_VISA, "12", "30"),
        )
        .await;

    let page = remise
        .post(CARD_PAGE, &card_request("1000000010", &[("METHOD", "")]))
        .await;
    assert!(page.text.contains(r#"value="61-2""#));
    let key = page.field("KEY");
    let mut answer = new_card(&key, testcard::APPROVED_VISA, "12", "30");
    answer.push(("METHOD", "80"));
    let back = remise.post(PAY, &answer).await;
    assert_eq!(back.field("X-R_CODE"), "0:0000");

    let office = remise.get("/backoffice").await;
    assert!(office.text.contains("<td>分割2回</td>"));
    assert!(office.text.contains("<td>リボ</td>"));
}

#[tokio::test]
async fn autocharge_data_is_echoed_and_recorded_only() {
    let remise = Remise::start().await;
    let fields = card_request(
        "1000000011",
        &[
            ("JOB", "CAPTURE"),
            ("AUTOCHARGE", "1"),
            ("AC_S_KAIIN_NO", "M0001"),
            ("AC_AMOUNT", "1000"),
            ("AC_TOTAL", "1000"),
            ("AC_NEXT_DATE", "20260610"),
            ("AC_INTERVAL", "1M"),
        ],
    );

    let back = pay(&remise, &fields, testcard::APPROVED_VISA).await;

    assert_eq!(back.field("X-AC_MEMBERID").len(), 14);
    assert_eq!(back.field("X-AC_S_KAIIN_NO"), "M0001");
    assert_eq!(back.field("X-AC_NEXT_DATE"), "20260610");
    assert_eq!(back.field("X-AC_INTERVAL"), "1M");
    let office = remise.get("/backoffice").await;
    assert!(office.text.contains("記録のみ"));
}

#[tokio::test]
async fn the_shop_answer_may_be_wrapped_in_whitespace_only() {
    let remise = Remise::start().await;
    remise.shop.answer("/result", &format!("  {ACK}\n"));
    let ok = pay(
        &remise,
        &card_request("1000000012", &[]),
        testcard::APPROVED_VISA,
    )
    .await;
    assert_eq!(ok.field("X-R_CODE"), "0:0000");

    remise.shop.answer("/result", &format!("OK{ACK}"));
    let ng = pay(
        &remise,
        &card_request("1000000013", &[]),
        testcard::APPROVED_VISA,
    )
    .await;
    assert_eq!(ng.field("X-R_CODE"), "5:1000");
}

#[tokio::test]
async fn a_second_page_for_a_number_paid_meanwhile_is_refused_at_payment() {
    let remise = Remise::start().await;
    let first = remise
        .post(CARD_PAGE, &card_request("1000000014", &[]))
        .await;
    let second = remise
        .post(CARD_PAGE, &card_request("1000000014", &[]))
        .await;
    remise
        .post(
            PAY,
            &new_card(&first.field("KEY"), testcard::APPROVED_VISA, "12", "30"),
        )
        .await;

    let refused = remise
        .post(
            PAY,
            &new_card(&second.field("KEY"), testcard::APPROVED_VISA, "12", "30"),
        )
        .await;

    assert!(refused.text.contains(r#"<span id="r-code">8:5820</span>"#));
    assert_eq!(refused.field("X-TOTAL"), "1000");
    assert_eq!(refused.field("OPT"), "テスト,1");
    assert_eq!(remise.shop.posts("/result").len(), 1);
}
