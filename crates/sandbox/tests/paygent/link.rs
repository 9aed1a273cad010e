//! Link type: the payment request, the hosted card page, 3-D Secure on it, and the
//! payment it leaves for the module telegrams.

use std::collections::HashMap;

use axum::body::Body;
use axum::http::Request;
use chrono::Duration;
use encoding_rs::{SHIFT_JIS, UTF_8};
use serde_json::json;

use crate::support::*;

const RETURN_URL: &str = "https://shop.example/thanks?order=7";
const HASHED: [&str; 11] = [
    "trading_id",
    "payment_type",
    "fix_params",
    "id",
    "seq_merchant_id",
    "payment_term_day",
    "payment_term_min",
    "payment_class",
    "use_card_conf_number",
    "customer_id",
    "threedsecure_ryaku",
];

/// A signed link request for `trading_id` and `amount`; `extra` adds or replaces items
/// before signing.
fn request(trading_id: &str, amount: &str, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = [
        ("seq_merchant_id", MERCHANT_ID),
        ("trading_id", trading_id),
        ("id", amount),
        ("payment_type", "02"),
        ("return_url", RETURN_URL),
        ("merchant_name", "デモショップ"),
    ]
    .iter()
    .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
    .collect();
    for (name, value) in extra {
        fields.retain(|(n, _)| n.as_str() != *name);
        fields.push(((*name).to_owned(), (*value).to_owned()));
    }
    let signed: String = HASHED
        .iter()
        .map(|name| {
            fields
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
                .unwrap_or_default()
        })
        .collect();
    if !fields.iter().any(|(n, _)| n == "hc") {
        fields.push((
            "hc".to_owned(),
            sha256_hex(&format!("{signed}sandboxlinkhashkey")),
        ));
    }
    fields
}

fn pairs(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect()
}

/// Post a request to the UTF-8 path in URL mode and read the key=value answer.
async fn url_mode(paygent: &Paygent, fields: Vec<(String, String)>) -> HashMap<String, String> {
    let mut fields = fields;
    fields.push(("isbtob".to_owned(), "1".to_owned()));
    let request = Request::post("/paygent/v/u/request")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(encode_in(&pairs(&fields), UTF_8)))
        .unwrap();
    let page = paygent.send(request, UTF_8).await;
    assert_eq!(page.status, 200);
    parse(&page.text)
}

/// The page URL of an accepted request.
async fn page_of(paygent: &Paygent, fields: Vec<(String, String)>) -> String {
    let answer = url_mode(paygent, fields).await;
    assert_eq!(answer["result"], "0", "{answer:?}");
    answer["url"].clone()
}

fn tid_of(url: &str) -> String {
    query_items(url)["tid"].clone()
}

/// Post the card form of `url`'s page.
async fn pay(paygent: &Paygent, url: &str, card: &[(&str, &str)]) -> Page {
    let tid = tid_of(url);
    let mut fields = vec![
        ("tid", tid.as_str()),
        ("card_number", GOOD_CARD),
        ("expire_month", "12"),
        ("expire_year", "30"),
        ("card_name", "TARO YAMADA"),
        ("payment_class", "10"),
    ];
    for (name, value) in card {
        fields.retain(|(n, _)| n != name);
        fields.push((*name, *value));
    }
    paygent.post_form("/paygent/linktype/card", &fields).await
}

async fn inquiry_by_trading_id(paygent: &Paygent, trading_id: &str) -> Answer {
    paygent
        .telegram(INQUIRY_PATH, "094", &[("trading_id", trading_id)])
        .await
}

#[tokio::test]
async fn url_mode_answers_key_value_lines_with_the_payment_page_address() {
    let paygent = Paygent::new();

    let answer = url_mode(&paygent, request("LINK_1", "1500", &[])).await;

    assert_eq!(answer["result"], "0", "{answer:?}");
    assert_eq!(answer["response_code"], "");
    assert!(answer["url"].starts_with("/paygent/linktype/top?tid="));
    assert_eq!(answer["trading_id"], "LINK_1");
    assert_eq!(answer["payment_type"], "02");
    assert_eq!(answer["limit_date"], "20260515235959");
    assert_eq!(answer["trade_generation_date"], "20260510100000");
}

#[tokio::test]
async fn the_same_trading_id_gets_the_same_page_and_another_amount_is_p010() {
    let paygent = Paygent::new();

    let first = page_of(&paygent, request("LINK_2", "1500", &[])).await;
    let again = page_of(&paygent, request("LINK_2", "1500", &[])).await;
    let other_amount = url_mode(&paygent, request("LINK_2", "1600", &[])).await;

    assert_eq!(first, again);
    assert_eq!(other_amount["result"], "1");
    assert_eq!(other_amount["response_code"], "P010");
    assert_eq!(
        other_amount["response_detail"],
        "\"id\" パラメータの値が不正です"
    );
}

#[tokio::test]
async fn only_the_first_64_characters_of_hc_count_and_a_wrong_hash_is_p010() {
    let paygent = Paygent::new();
    let mut with_tail = request("LINK_3", "1500", &[]);
    with_tail.last_mut().unwrap().1.push_str("a1B2c3D4e5");
    let tampered = request("LINK_4", "1500", &[("hc", &"0".repeat(64))]);
    let mut no_merchant = request("LINK_5", "1500", &[]);
    no_merchant.retain(|(n, _)| n != "seq_merchant_id");

    let tail = url_mode(&paygent, with_tail).await;
    let wrong = url_mode(&paygent, tampered).await;
    let missing = url_mode(&paygent, no_merchant).await;

    assert_eq!(tail["result"], "0", "{tail:?}");
    assert_eq!(wrong["response_code"], "P010");
    assert_eq!(wrong["response_detail"], "\"hc\" パラメータの値が不正です");
    assert_eq!(missing["response_code"], "P005");
}

#[tokio::test]
async fn payment_term_day_and_min_follow_their_ranges_and_exclude_each_other_even_for_a_konbini() {
    let paygent = Paygent::new();

    let day = url_mode(
        &paygent,
        request("T_1", "100", &[("payment_term_day", "61")]),
    )
    .await;
    let min = url_mode(
        &paygent,
        request("T_2", "100", &[("payment_term_min", "4")]),
    )
    .await;
    let both = url_mode(
        &paygent,
        request(
            "T_3",
            "100",
            &[("payment_term_day", "3"), ("payment_term_min", "30")],
        ),
    )
    .await;
    let konbini = url_mode(
        &paygent,
        request(
            "T_4",
            "100",
            &[("payment_type", "02,03"), ("payment_term_min", "30")],
        ),
    )
    .await;
    let minutes = url_mode(
        &paygent,
        request("T_5", "100", &[("payment_term_min", "30")]),
    )
    .await;

    assert_eq!(day["response_code"], "P010");
    assert_eq!(min["response_code"], "P010");
    assert_eq!(both["response_code"], "P010");
    assert_eq!(
        konbini["result"], "0",
        "minutes also limit a konbini payment"
    );
    assert_eq!(konbini["limit_date"], "20260510103000");
    assert_eq!(minutes["limit_date"], "20260510103000");
}

#[tokio::test]
async fn form_mode_answers_the_payment_page_itself_in_shift_jis() {
    let paygent = Paygent::new();
    let fields = request("LINK_6", "2500", &[]);
    let request = Request::post("/paygent/v/request")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(encode_in(&pairs(&fields), SHIFT_JIS)))
        .unwrap();

    let page = paygent.send(request, SHIFT_JIS).await;

    assert_eq!(page.status, 200);
    assert_eq!(
        page.headers["content-type"].to_str().unwrap(),
        "text/html; charset=Shift_JIS"
    );
    let shown = page.visible();
    assert!(shown.contains("<meta charset=\"Shift_JIS\">"));
    assert!(shown.contains("デモショップ"));
    assert!(shown.contains("2,500 円"));
    assert!(shown.contains("action=\"/paygent/linktype/card\""));
    assert!(!shown.contains("<script"));
}

#[tokio::test]
async fn a_get_request_is_accepted_like_a_post() {
    let paygent = Paygent::new();
    let fields = request("LINK_7", "800", &[("isbtob", "1")]);
    let query = String::from_utf8(encode_in(&pairs(&fields), UTF_8)).unwrap();

    let page = paygent
        .get_page(&format!("/paygent/v/u/request?{query}"))
        .await;

    assert_eq!(parse(&page.text)["result"], "0", "{}", page.text);
}

#[tokio::test]
async fn a_card_paid_on_the_page_becomes_an_authorisation_the_shop_can_capture_and_is_pushed() {
    let receiver = Receiver::start().await;
    let paygent = Paygent::pushing_to(&receiver.url);
    let url = page_of(
        &paygent,
        request("LINK_8", "3000", &[("threedsecure_ryaku", "1")]),
    )
    .await;

    let paid = pay(&paygent, &url, &[]).await;
    let done = paygent.get_page(paid.location()).await;
    let inquiry = inquiry_by_trading_id(&paygent, "LINK_8").await;
    let capture = paygent
        .on_payment("022", inquiry.get("payment_id"), &[])
        .await;
    let report = paygent.deliver().await;

    assert_eq!(paid.status, 303);
    assert_eq!(paid.location(), url);
    let shown = done.visible();
    assert!(shown.contains("お支払いが完了しました"), "{shown}");
    assert!(shown.contains(&format!("<a href=\"{RETURN_URL}\">ショップに戻る</a>")));
    assert!(!shown.contains(GOOD_CARD));
    assert_eq!(inquiry.get("payment_status"), "20", "{}", inquiry.text);
    assert_eq!(inquiry.get("payment_amount"), "3000");
    assert_eq!(inquiry.get("3dsecure_ryaku"), "1");
    assert_eq!(capture.get("result"), "0");
    assert_eq!(
        report,
        json!({"delivered": 2, "failed": 0, "paused": false})
    );
    let first = receiver.received()[0].items();
    assert_eq!(first["trading_id"], "LINK_8");
    assert_eq!(first["payment_status"], "20");
}

#[tokio::test]
async fn sales_flg_captures_with_the_authorisation() {
    let paygent = Paygent::new();
    let url = page_of(
        &paygent,
        request(
            "LINK_9",
            "3000",
            &[("threedsecure_ryaku", "1"), ("sales_flg", "1")],
        ),
    )
    .await;

    pay(&paygent, &url, &[]).await;

    let inquiry = inquiry_by_trading_id(&paygent, "LINK_9").await;
    assert_eq!(inquiry.get("payment_status"), "40");
}

#[tokio::test]
async fn a_declined_card_shows_the_reason_and_the_buyer_can_pay_with_another() {
    let paygent = Paygent::new();
    let url = page_of(
        &paygent,
        request("LINK_10", "3000", &[("threedsecure_ryaku", "1")]),
    )
    .await;

    let declined = pay(&paygent, &url, &[("card_number", "4900000000008212")]).await;
    let message = paygent.get_page(declined.location()).await;
    let shown_once = paygent.get_page(&url).await;
    let none_yet = inquiry_by_trading_id(&paygent, "LINK_10").await;
    pay(&paygent, &url, &[]).await;
    let inquiry = inquiry_by_trading_id(&paygent, "LINK_10").await;

    assert!(
        message.visible().contains("（2001 1G12）"),
        "{}",
        message.visible()
    );
    assert!(!message.visible().contains("4900000000008212"));
    assert!(!shown_once.visible().contains("1G12"));
    assert_eq!(none_yet.get("response_code"), "13001");
    assert_eq!(inquiry.get("payment_status"), "20", "{}", inquiry.text);
}

#[tokio::test]
async fn input_mistakes_are_shown_on_the_page_without_echoing_the_card() {
    let paygent = Paygent::new();
    let url = page_of(
        &paygent,
        request(
            "LINK_11",
            "3000",
            &[("threedsecure_ryaku", "1"), ("use_card_conf_number", "1")],
        ),
    )
    .await;

    let short = pay(&paygent, &url, &[("card_number", "49000000")]).await;
    let short_page = paygent.get_page(short.location()).await;
    let no_cvc = pay(&paygent, &url, &[("card_number", "4980000000001234")]).await;
    let no_cvc_page = paygent.get_page(no_cvc.location()).await;
    let past = pay(
        &paygent,
        &url,
        &[("security_code", "123"), ("expire_year", "25")],
    )
    .await;
    let past_page = paygent.get_page(past.location()).await;

    assert!(short_page.visible().contains("カード番号は14〜16桁"));
    assert!(no_cvc_page.visible().contains("セキュリティコード"));
    assert!(past_page.visible().contains("有効期限が正しくありません"));
    assert!(!no_cvc_page.visible().contains("4980000000001234"));
}

#[tokio::test]
async fn a_frictionless_3_d_secure_on_the_page_pays_and_a_failing_name_is_refused() {
    let paygent = Paygent::new();
    let url = page_of(&paygent, request("LINK_12", "3000", &[])).await;

    let failed = pay(&paygent, &url, &[("card_name", "BAVNA")]).await;
    let message = paygent.get_page(failed.location()).await;
    let attempt = pay(&paygent, &url, &[("card_name", "BAVAA")]).await;
    let inquiry = inquiry_by_trading_id(&paygent, "LINK_12").await;

    assert!(message.visible().contains("31007"));
    assert_eq!(attempt.location(), url);
    assert_eq!(inquiry.get("payment_status"), "20", "{}", inquiry.text);
    assert_eq!(inquiry.get("3dsecure_ryaku"), "0");
    assert_eq!(inquiry.get("attempt_kbn"), "0");
}

#[tokio::test]
async fn a_challenge_on_the_page_goes_through_the_password_page_and_back() {
    let paygent = Paygent::new();
    let url = page_of(&paygent, request("LINK_13", "200000", &[])).await;

    let challenged = pay(&paygent, &url, &[]).await;
    let challenge = paygent.get_page(challenged.location()).await;
    let wrong = paygent
        .post_form(challenged.location(), &[("password", "14042")])
        .await;
    let wrong_page = paygent.get_page(wrong.location()).await;
    let again = pay(&paygent, &url, &[]).await;
    let right = paygent
        .post_form(again.location(), &[("password", "14012")])
        .await;
    let done = paygent.get_page(right.location()).await;
    let inquiry = inquiry_by_trading_id(&paygent, "LINK_13").await;

    assert!(challenged
        .location()
        .starts_with("/paygent/threeds/challenge/"));
    assert!(challenge.visible().contains("14012"));
    assert!(challenge.visible().contains("200,000 円"));
    assert_eq!(wrong.location(), url);
    assert!(wrong_page.visible().contains("31007"));
    assert_eq!(right.location(), url);
    assert!(done.visible().contains("お支払いが完了しました"));
    assert_eq!(inquiry.get("3dsecure_ryaku"), "0", "{}", inquiry.text);
}

#[tokio::test]
async fn methods_other_than_card_and_konbini_are_listed_as_not_available_and_the_cancel_link_is_shown(
) {
    let paygent = Paygent::new();
    let url = page_of(
        &paygent,
        request(
            "LINK_14",
            "3000",
            &[
                ("payment_type", "01,02,03"),
                ("stop_return_url", "https://shop.example/cart"),
            ],
        ),
    )
    .await;
    let konbini_only = page_of(
        &paygent,
        request("LINK_15", "3000", &[("payment_type", "03")]),
    )
    .await;

    let page = paygent.get_page(&url).await.visible();
    let konbini = paygent.get_page(&konbini_only).await.visible();

    assert!(page.contains("クレジットカード決済"));
    assert!(page.contains("ATM決済（ペイジー） — この決済方法はサンドボックスでは未対応です"));
    assert!(page.contains("お支払い番号を発行する"), "the konbini form");
    assert!(
        page.contains("<a href=\"https://shop.example/cart\">お支払いをやめてショップに戻る</a>")
    );
    assert!(!konbini.contains("name=\"card_number\""));
    assert!(!konbini.contains("この決済方法はサンドボックスでは未対応です"));
    assert!(konbini.contains("name=\"cvs_company_id\""));
}

#[tokio::test]
async fn finish_disable_sends_the_buyer_straight_back_and_needs_a_return_url() {
    let paygent = Paygent::new();
    let url = page_of(
        &paygent,
        request(
            "LINK_16",
            "3000",
            &[("threedsecure_ryaku", "1"), ("finish_disable", "1")],
        ),
    )
    .await;
    let mut without = request("LINK_17", "3000", &[("finish_disable", "1")]);
    without.retain(|(n, _)| n != "return_url");

    let paid = pay(&paygent, &url, &[]).await;
    let refused = url_mode(&paygent, without).await;

    assert_eq!(paid.location(), RETURN_URL);
    assert_eq!(refused["response_code"], "P005");
}

#[tokio::test]
async fn a_page_past_its_limit_no_longer_takes_payments() {
    let paygent = Paygent::new();
    let url = page_of(
        &paygent,
        request(
            "LINK_18",
            "3000",
            &[("threedsecure_ryaku", "1"), ("payment_term_min", "5")],
        ),
    )
    .await;
    paygent.advance(Duration::minutes(6));

    let page = paygent.get_page(&url).await;
    pay(&paygent, &url, &[]).await;
    let inquiry = inquiry_by_trading_id(&paygent, "LINK_18").await;

    assert!(page.visible().contains("お支払い期限を過ぎています"));
    assert_eq!(inquiry.get("response_code"), "13001");
}

#[tokio::test]
async fn payment_class_1_offers_instalments_and_the_inquiry_reports_them() {
    let paygent = Paygent::new();
    let url = page_of(
        &paygent,
        request(
            "LINK_19",
            "30000",
            &[("threedsecure_ryaku", "1"), ("payment_class", "1")],
        ),
    )
    .await;

    let page = paygent.get_page(&url).await.visible();
    pay(
        &paygent,
        &url,
        &[("payment_class", "61"), ("split_count", "3")],
    )
    .await;
    let inquiry = inquiry_by_trading_id(&paygent, "LINK_19").await;

    assert!(page.contains("ボーナス一括払い"));
    assert!(page.contains("分割払い"));
    assert_eq!(inquiry.get("payment_class"), "61", "{}", inquiry.text);
    assert_eq!(inquiry.get("split_count"), "3");
}

#[tokio::test]
async fn an_unknown_page_id_is_not_found() {
    let paygent = Paygent::new();

    let page = paygent.get_page("/paygent/linktype/top?tid=nothing").await;

    assert_eq!(page.status, 404);
}

#[tokio::test]
async fn the_konbini_form_issues_a_number_limited_to_the_day_the_page_ends_and_notifies_it() {
    let paygent = Paygent::new();
    let url = page_of(
        &paygent,
        request(
            "LINK_CVS",
            "2480",
            &[
                ("payment_type", "03"),
                ("payment_term_day", "7"),
                ("customer_family_name", "山田"),
                ("customer_name", "太郎"),
            ],
        ),
    )
    .await;
    let tid = tid_of(&url);
    let form = paygent.get_page(&url).await.visible();
    let failing = paygent
        .post_form(
            "/paygent/linktype/konbini",
            &[
                ("tid", &tid),
                ("cvs_company_id", "00C002"),
                ("customer_family_name", "山田"),
                ("customer_name", "太郎"),
                ("customer_tel", "99999999999"),
            ],
        )
        .await;
    let refused = paygent.get_page(failing.location()).await.visible();

    let issued = paygent
        .post_form(
            "/paygent/linktype/konbini",
            &[
                ("tid", &tid),
                ("cvs_company_id", "00C001"),
                ("customer_family_name", "山田"),
                ("customer_name", "太郎"),
                ("customer_tel", "090-1234-5678"),
            ],
        )
        .await;
    let done = paygent.get_page(issued.location()).await.visible();

    assert!(
        form.contains("value=\"山田\""),
        "the request's name is filled in"
    );
    assert!(refused.contains("3002"), "{refused}");
    assert!(done.contains("id=\"receipt-number\""), "{done}");
    assert!(done.contains("2026年05月17日"), "{done}");
    let record = paygent
        .telegram(NOTICE_PATH, "091", &[("payment_notice_id", "")])
        .await;
    assert_eq!(record.get("trading_id"), "LINK_CVS");
    assert_eq!(record.get("payment_type"), "03");
    assert_eq!(record.get("payment_status"), "10");
    assert_eq!(record.get("payment_limit_date"), "20260517");
}
