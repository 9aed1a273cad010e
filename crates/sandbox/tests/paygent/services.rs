//! ATM (010), konbini (030), bank net (060 and its bank choice page), Paidy (its checkout
//! stand-in and 340–343) and the test tool that moves the buyer's payments.

use chrono::Duration;
use encoding_rs::UTF_8;

use crate::support::*;

const ATM_PATH: &str = "/paygent/n/atm/request";
const KONBINI_PATH: &str = "/paygent/n/conveni/request";
const BANK_PATH: &str = "/paygent/n/bank/requestasp";
const PAIDY_PATH: &str = "/paygent/n/paidy/request";
const TOOL_PATH: &str = "/paygent/testtool/statusupdate";

async fn atm(paygent: &Paygent, extra: &[(&str, &str)]) -> Answer {
    let mut fields = vec![
        ("trading_id", "ATM_1"),
        ("payment_amount", "2490"),
        ("payment_detail", "ご注文代金"),
        ("payment_detail_kana", "ｺﾞﾁｭｳﾓﾝﾀﾞｲｷﾝ"),
    ];
    fields.extend_from_slice(extra);
    paygent.telegram(ATM_PATH, "010", &fields).await
}

async fn konbini(paygent: &Paygent, extra: &[(&str, &str)]) -> Answer {
    let mut fields = vec![
        ("trading_id", "CVS_1"),
        ("payment_amount", "2480"),
        ("cvs_company_id", "00C002"),
        ("customer_family_name", "山田"),
        ("customer_name", "太郎"),
        ("customer_tel", "0312345678"),
    ];
    for (name, value) in extra {
        fields.retain(|(n, _)| n != name);
        fields.push((name, value));
    }
    paygent.telegram(KONBINI_PATH, "030", &fields).await
}

async fn bank(paygent: &Paygent, trading_id: &str, extra: &[(&str, &str)]) -> Answer {
    let mut fields = vec![
        ("trading_id", trading_id),
        ("amount", "2480"),
        ("claim_kana", "ｺﾞﾁｭｳﾓﾝﾀﾞｲｷﾝ"),
        ("claim_kanji", "ご注文代金"),
        ("return_url", "https://shop.example/done"),
    ];
    fields.extend_from_slice(extra);
    paygent.telegram(BANK_PATH, "060", &fields).await
}

/// The test tool's form, as its operator fills it.
async fn tool(paygent: &Paygent, payment_id: &str, status: &str, extra: &[(&str, &str)]) -> Page {
    let mut fields = vec![
        ("merchant_id", MERCHANT_ID),
        ("connect_id", "sandboxconnect"),
        ("connect_password", "sandboxpassword"),
        ("payment_id", payment_id),
        ("payment_status", status),
        ("paid_at", "20260511153000"),
    ];
    fields.extend_from_slice(extra);
    paygent.post_form(TOOL_PATH, &fields).await
}

/// Every difference record still waiting for an un-keyed 091, in order.
async fn records(paygent: &Paygent) -> Vec<std::collections::HashMap<String, String>> {
    let mut out = Vec::new();
    loop {
        let answer = paygent
            .telegram(NOTICE_PATH, "091", &[("payment_notice_id", "")])
            .await;
        if answer.get("success_code") == "1" {
            return out;
        }
        out.push(answer.items);
    }
}

fn statuses(records: &[std::collections::HashMap<String, String>]) -> Vec<(&str, &str)> {
    records
        .iter()
        .map(|r| (r["payment_type"].as_str(), r["payment_status"].as_str()))
        .collect()
}

#[tokio::test]
async fn an_atm_application_answers_the_three_numbers_and_its_limit_date() {
    let paygent = Paygent::new();

    let answer = atm(&paygent, &[]).await;
    let today = atm(&paygent, &[("payment_limit_date", "0")]).await;
    let too_late = atm(&paygent, &[("payment_limit_date", "61")]).await;
    let wide_kana = atm(&paygent, &[("payment_detail_kana", "ゴチュウモン")]).await;

    assert_eq!(answer.get("result"), "0", "{}", answer.text);
    assert_eq!(answer.get("pay_center_number").len(), 10);
    assert_eq!(answer.get("customer_number").len(), 20);
    assert_eq!(answer.get("conf_number").len(), 6);
    assert_eq!(
        answer.get("payment_limit_date"),
        "20260609",
        "30 days by default"
    );
    assert_eq!(today.get("payment_limit_date"), "20260510");
    assert_eq!(too_late.get("response_code"), "P012");
    assert_eq!(wide_kana.get("response_code"), "P008");
    let reference = paygent
        .on_payment("094", answer.get("payment_id"), &[])
        .await;
    assert_eq!(reference.get("payment_type"), "01");
    assert_eq!(reference.get("payment_status"), "10");
    assert_eq!(
        reference.get("customer_number"),
        answer.get("customer_number")
    );
    assert!(
        records(&paygent).await.is_empty(),
        "ATM's 10 is not notified"
    );
}

#[tokio::test]
async fn an_unpaid_atm_payment_expires_to_12_in_the_batch_after_its_limit_date() {
    let paygent = Paygent::new();
    let answer = atm(&paygent, &[("payment_limit_date", "0")]).await;
    let id = answer.get("payment_id").to_owned();

    // 2026-05-11 00:59 in Japan: the limit day is over, the batch has not run.
    paygent.advance(Duration::minutes(14 * 60 + 59));
    let before = paygent.status_of(&id).await;
    paygent.advance(Duration::minutes(1));
    let after = paygent.status_of(&id).await;

    assert_eq!(before, "10");
    assert_eq!(after, "12");
    assert_eq!(statuses(&records(&paygent).await), [("01", "12")]);
}

#[tokio::test]
async fn a_konbini_number_follows_the_store_group_and_the_wellnet_failure_trigger() {
    let paygent = Paygent::new();

    let lawson = konbini(&paygent, &[]).await;
    let seven_without_sales_type = konbini(&paygent, &[("cvs_company_id", "00C001")]).await;
    let seven = konbini(
        &paygent,
        &[("cvs_company_id", "00C001"), ("sales_type", "1")],
    )
    .await;
    let by_type = konbini(
        &paygent,
        &[("cvs_type", "04"), ("cvs_company_id", "00C001")],
    )
    .await;
    let failing = konbini(&paygent, &[("customer_tel", "99999999999")]).await;
    let failing_elsewhere = konbini(
        &paygent,
        &[("cvs_type", "01"), ("customer_tel", "99999999999")],
    )
    .await;
    let no_type_d = konbini(&paygent, &[("cvs_type", "05")]).await;

    assert_eq!(lawson.get("result"), "0", "{}", lawson.text);
    assert_eq!(lawson.get("usable_cvs_company_id"), "00C002-00C004-00C014");
    assert_eq!(lawson.get("receipt_number").len(), 11);
    assert_eq!(lawson.get("payment_limit_date"), "20260609");
    assert!(lawson.get("receipt_print_url").contains("/conveni/receipt"));
    assert_eq!(seven_without_sales_type.get("response_code"), "P005");
    assert_eq!(seven.get("receipt_number").len(), 13);
    assert_eq!(
        by_type.get("usable_cvs_company_id"),
        "00C005",
        "cvs_type wins"
    );
    assert_eq!(failing.get("response_code"), "3002");
    assert_eq!(failing_elsewhere.get("result"), "0");
    assert_eq!(no_type_d.get("response_code"), "P010");
    assert_eq!(
        statuses(&records(&paygent).await),
        [("03", "10"), ("03", "10"), ("03", "10"), ("03", "10")],
        "a konbini's 10 is notified"
    );
}

#[tokio::test]
async fn the_test_tool_moves_a_konbini_payment_10_43_40_and_refuses_any_other_move() {
    let paygent = Paygent::new();
    let id = konbini(&paygent, &[]).await.get("payment_id").to_owned();

    let preliminary = tool(&paygent, &id, "43", &[("cvs_company_id", "00C004")]).await;
    let expired = tool(&paygent, &id, "12", &[]).await;
    let paid = tool(&paygent, &id, "40", &[]).await;
    let again = tool(&paygent, &id, "61", &[]).await;

    assert_eq!(preliminary.status, 303);
    assert!(preliminary.location().ends_with(&format!(
        "/paygent/testtool?merchant_id={MERCHANT_ID}&payment_id={id}&updated=43"
    )));
    assert_eq!(expired.status, 422);
    assert!(expired
        .visible()
        .contains("「速報検知済」から「支払期限切」に更新することはできません"));
    assert_eq!(paid.status, 303);
    assert_eq!(again.status, 422);
    let reference = paygent.on_payment("094", &id, &[]).await;
    assert_eq!(reference.get("payment_status"), "40");
    assert_eq!(reference.get("cvs_company_id"), "00C004");
    assert_eq!(reference.get("user_payment_date"), "20260511153000");
    let moves = records(&paygent).await;
    assert_eq!(statuses(&moves), [("03", "10"), ("03", "43"), ("03", "40")]);
    assert_eq!(moves[1]["early_notice_date"], "20260510100000");
}

#[tokio::test]
async fn the_test_tool_page_shows_the_moves_a_payment_allows_and_needs_the_connect_password() {
    let paygent = Paygent::new();
    let atm_id = atm(&paygent, &[]).await.get("payment_id").to_owned();
    let card_id = paygent
        .authorise(GOOD_CARD, &[])
        .await
        .get("payment_id")
        .to_owned();

    let page = paygent
        .get_page(&format!(
            "/paygent/testtool?merchant_id={MERCHANT_ID}&payment_id={atm_id}"
        ))
        .await
        .visible();
    let card_page = paygent
        .get_page(&format!(
            "/paygent/testtool?merchant_id={MERCHANT_ID}&payment_id={card_id}"
        ))
        .await
        .visible();
    let no_password = paygent
        .post_form(
            TOOL_PATH,
            &[
                ("merchant_id", MERCHANT_ID),
                ("connect_id", "sandboxconnect"),
                ("payment_id", &atm_id),
                ("payment_status", "40"),
                ("bank_code", "9900"),
            ],
        )
        .await;
    let no_bank = tool(&paygent, &atm_id, "40", &[]).await;
    let card = tool(&paygent, &card_id, "40", &[]).await;

    assert!(
        page.contains("<option value=\"40\">消込済</option>"),
        "{page}"
    );
    assert!(page.contains("<option value=\"12\">支払期限切</option>"));
    assert!(page.contains("ゆうちょ銀行 (9900)"));
    assert!(card_page.contains("電文で操作します"));
    assert_eq!(no_password.status, 422);
    assert!(no_password.visible().contains("接続パスワード"));
    assert_eq!(no_bank.status, 422);
    assert!(no_bank.visible().contains("金融機関コード"));
    assert_eq!(card.status, 422);
    assert_eq!(paygent.status_of(&atm_id).await, "10");
}

#[tokio::test]
async fn a_bank_net_application_answers_its_page_and_each_bank_choice_makes_a_payment() {
    let paygent = Paygent::new();

    let first = bank(&paygent, "BANK_1", &[]).await;
    let again = bank(&paygent, "BANK_1", &[]).await;
    let url = first.get("asp_url").to_owned();
    let page = paygent.get_page(&url).await;
    let forged = paygent.get_page(&url.replace("hv=", "hv=0")).await;
    let hv = query_items(&url)["hv"].clone();
    let choose = |code: &'static str| {
        let hv = hv.clone();
        let paygent = &paygent;
        async move {
            paygent
                .post_form(
                    "/paygent/banking/asp",
                    &[
                        ("tid", "BANK_1"),
                        ("mid", MERCHANT_ID),
                        ("hv", &hv),
                        ("bank_code", code),
                    ],
                )
                .await
        }
    };
    let chosen = choose("0005").await;
    let rechosen = choose("0010").await;
    let inquiry = paygent
        .telegram(
            INQUIRY_PATH,
            "094",
            &[
                ("trading_id", "BANK_1"),
                ("payment_id", ""),
                ("payment_type", "05"),
            ],
        )
        .await;

    assert_eq!(first.get("result"), "0", "{}", first.text);
    assert!(url.starts_with("/paygent/banking/asp?type=05&tid=BANK_1&mid=123456789&hv="));
    assert_eq!(first.get("asp_limit_date"), "20260515100000", "five days");
    assert_eq!(first.get("asp_payment_limit_date"), "20260517100000");
    assert_eq!(again.get("response_code"), "5010");
    assert_eq!(again.get("asp_url"), url, "the same page again");
    assert!(page.visible().contains("埼玉りそな銀行"));
    assert_eq!(forged.status, 404);
    assert_eq!(chosen.status, 200);
    assert!(rechosen.visible().contains("りそな銀行でのお支払い"));
    assert_eq!(inquiry.get("payment_status"), "10");
    assert_eq!(inquiry.get("bank_code"), "0010", "the latest choice");
    assert!(
        records(&paygent).await.is_empty(),
        "bank net's 10 is not notified"
    );

    let paid = tool(&paygent, inquiry.get("payment_id"), "40", &[]).await;
    let after_payment = bank(&paygent, "BANK_1", &[]).await;

    assert_eq!(paid.status, 303);
    assert_eq!(after_payment.get("response_code"), "5008");
    assert_eq!(statuses(&records(&paygent).await), [("05", "40")]);
}

#[tokio::test]
async fn an_asp_payment_term_sets_the_page_limit_and_an_unpaid_choice_is_aborted_after_it() {
    let paygent = Paygent::new();
    let minutes = bank(&paygent, "BANK_2", &[("asp_payment_term", "0000030")]).await;
    let end_of_day = bank(&paygent, "BANK_3", &[("asp_payment_term", "1010000")]).await;
    let bad = bank(&paygent, "BANK_4", &[("asp_payment_term", "2000000")]).await;
    assert_eq!(minutes.get("asp_limit_date"), "20260510103000");
    assert_eq!(end_of_day.get("asp_limit_date"), "20260511235900");
    assert_eq!(bad.get("response_code"), "P010");

    let hv = query_items(minutes.get("asp_url"))["hv"].clone();
    paygent
        .post_form(
            "/paygent/banking/asp",
            &[
                ("tid", "BANK_2"),
                ("mid", MERCHANT_ID),
                ("hv", &hv),
                ("bank_code", "9900"),
            ],
        )
        .await;
    paygent.advance(Duration::days(2) + Duration::minutes(31));
    let expired_page = paygent.get_page(minutes.get("asp_url")).await.visible();
    let again = bank(&paygent, "BANK_2", &[]).await;

    assert!(expired_page.contains("有効期限を過ぎています"));
    assert_eq!(again.get("response_code"), "5009");
    assert_eq!(statuses(&records(&paygent).await), [("05", "15")]);
}

/// Paidy Checkout (the sandbox's stand-in) for `order_ref`, as its script posts it.
async fn paidy_checkout(paygent: &Paygent, order_ref: &str, email: &str) -> serde_json::Value {
    let body = serde_json::json!({
        "api_key": format!("pk_test_{MERCHANT_ID}"),
        "payload": {
            "amount": 1000, "currency": "JPY", "store_name": "デモショップ",
            "buyer": { "email": email, "name1": "山田 太郎", "phone": "09012345678" },
            "order": { "order_ref": order_ref, "items": [] },
        },
    });
    let (content_type, bytes) = paygent
        .post(
            "/paygent/paidy/checkout",
            "application/json",
            body.to_string().into_bytes(),
        )
        .await;
    assert!(content_type.starts_with("application/json"));
    serde_json::from_slice(&bytes).unwrap()
}

async fn paidy(paygent: &Paygent, kind: &str, payment_id: &str, extra: &[(&str, &str)]) -> Answer {
    let mut fields = vec![("trading_id", ""), ("payment_id", payment_id)];
    fields.extend_from_slice(extra);
    paygent.telegram(PAIDY_PATH, kind, &fields).await
}

#[tokio::test]
async fn a_paidy_checkout_makes_a_payment_in_20_that_the_paidy_telegrams_capture_and_refund() {
    let paygent = Paygent::new();
    let closed = paidy_checkout(&paygent, "PAIDY_1", "buyer@example.jp").await;
    assert_eq!(closed["status"], "authorized");
    let paidy_id = closed["id"].as_str().unwrap().to_owned();
    assert!(paidy_id.starts_with("pay_"));

    let verified = paygent
        .telegram(
            PAIDY_PATH,
            "343",
            &[
                ("trading_id", ""),
                ("payment_id", ""),
                ("paidy_payment_id", &paidy_id),
            ],
        )
        .await;
    let id = verified.get("payment_id").to_owned();
    let captured = paidy(&paygent, "341", &id, &[]).await;
    let cancel_after_capture = paidy(&paygent, "340", &id, &[]).await;
    let too_much = paidy(&paygent, "342", &id, &[("amount", "1001")]).await;
    let partly = paidy(&paygent, "342", &id, &[("amount", "300")]).await;
    let rest_id = partly.get("payment_id").to_owned();
    let fully = paidy(&paygent, "342", &rest_id, &[("amount", "")]).await;
    let again = paidy(&paygent, "342", &rest_id, &[]).await;
    let card_telegram = paygent.on_payment("022", &id, &[]).await;

    assert_eq!(verified.get("retrieve_result"), "0");
    assert_eq!(verified.get("trading_id"), "PAIDY_1");
    assert_eq!(verified.get("amount"), "1000");
    assert_eq!(captured.get("result"), "0");
    assert_eq!(cancel_after_capture.get("response_code"), "24003");
    assert_eq!(too_much.get("response_code"), "24007");
    assert_ne!(rest_id, id, "a partial refund makes a new payment id");
    assert_eq!(fully.get("payment_id"), rest_id);
    assert_eq!(again.get("response_code"), "24003");
    assert_eq!(card_telegram.get("response_code"), "2006");
    assert_eq!(paygent.status_of(&id).await, "60");
    let rest = paygent.on_payment("094", &rest_id, &[]).await;
    assert_eq!(rest.get("payment_status"), "60");
    assert_eq!(rest.get("payment_amount"), "700");
    assert_eq!(rest.get("paidy_payment_id"), paidy_id);
    let moves = records(&paygent).await;
    let events: Vec<(&str, &str, &str)> = moves
        .iter()
        .map(|r| {
            (
                r["payment_status"].as_str(),
                r["event"].as_str(),
                r["payment_amount"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        events,
        [
            ("20", "authorize", "1000"),
            ("40", "capture", "1000"),
            ("60", "refund", "1000"),
            ("40", "capture", "700"),
            ("60", "refund", "700"),
        ]
    );
    assert!(moves.iter().all(|r| r["payment_type"] == "22"));
}

#[tokio::test]
async fn a_rejected_paidy_checkout_makes_no_payment_and_an_unknown_paidy_id_is_not_retrieved() {
    let paygent = Paygent::new();

    let rejected = paidy_checkout(&paygent, "PAIDY_2", "rejected@example.jp").await;
    let unknown = paygent
        .telegram(
            PAIDY_PATH,
            "343",
            &[
                ("trading_id", ""),
                ("payment_id", ""),
                ("paidy_payment_id", "pay_nothing"),
            ],
        )
        .await;
    let by_trading_id = paygent
        .telegram(
            PAIDY_PATH,
            "341",
            &[("trading_id", "PAIDY_2"), ("payment_id", "")],
        )
        .await;

    assert_eq!(rejected["status"], "rejected");
    assert_eq!(unknown.get("retrieve_result"), "1");
    assert_eq!(by_trading_id.get("response_code"), "24001");
    assert!(records(&paygent).await.is_empty());
}

#[tokio::test]
async fn a_paidy_authorization_lapses_after_90_days_and_is_then_refused() {
    let paygent = Paygent::new();
    paidy_checkout(&paygent, "PAIDY_3", "buyer@example.jp").await;
    paygent.advance(Duration::days(90));

    let capture = paygent
        .telegram(
            PAIDY_PATH,
            "341",
            &[("trading_id", "PAIDY_3"), ("payment_id", "")],
        )
        .await;

    assert_eq!(capture.get("response_code"), "24006");
    let kept = records(&paygent).await;
    assert_eq!(
        statuses(&kept),
        [("22", "33")],
        "20 was purged after 7 days"
    );
    assert_eq!(kept[0]["event"], "expire");
}

#[tokio::test]
async fn the_paidy_checkout_script_is_served_and_a_foreign_key_is_refused() {
    let paygent = Paygent::new();
    let script = paygent.get_page("/paygent/paidy/paidy.js").await;
    let request = axum::http::Request::post("/paygent/paidy/checkout")
        .header("content-type", "application/json")
        .body(axum::body::Body::from(
            r#"{"api_key":"pk_live_x","payload":{"amount":1,"currency":"JPY","order":{"order_ref":"A"}}}"#,
        ))
        .unwrap();
    let refused = paygent.send(request, UTF_8).await;

    assert_eq!(script.status, 200);
    assert!(script.text.contains("global.Paidy"));
    assert_eq!(refused.status, 400);
}
