//! EMV 3-D Secure: telegram 450, the ACS pages, and 020 with `3dsecure_use_type=2`.

use std::collections::HashMap;

use chrono::Duration;

use crate::support::*;

const TERM_URL: &str = "https://shop.example/paygent/3ds?order=42";

/// A 450 for a fresh token of `card`, with `amount` and any extra items.
async fn authenticate(
    paygent: &Paygent,
    card: &str,
    amount: &str,
    extra: &[(&str, &str)],
) -> (Answer, String) {
    let token = paygent.token(card).await;
    let answer = authenticate_token(paygent, &token, amount, extra).await;
    (answer, token)
}

async fn authenticate_token(
    paygent: &Paygent,
    token: &str,
    amount: &str,
    extra: &[(&str, &str)],
) -> Answer {
    let mut fields = vec![
        ("trading_id", "ORDER_3DS"),
        ("term_url", TERM_URL),
        ("merchant_name", "Kessai Demo Shop"),
        ("authentication_type", "01"),
        ("card_set_method", "token"),
        ("card_token", token),
        ("payment_amount", amount),
    ];
    for (name, value) in extra {
        fields.retain(|(n, _)| n != name);
        fields.push((name, value));
    }
    paygent.utf8_telegram(THREEDS_PATH, "450", &fields).await
}

/// The URL the frictionless `out_acs_html` forwards the browser to.
fn forward_target(html: &str) -> String {
    let start = html.find("url=").expect("no meta refresh") + 4;
    let end = start + html[start..].find('"').unwrap();
    unescape_html(&html[start..end])
}

/// The `action` of the challenge form.
fn form_action(html: &str) -> String {
    let start = html.find("action=\"").expect("no form") + 8;
    let end = start + html[start..].find('"').unwrap();
    unescape_html(&html[start..end])
}

/// A 020 presenting a 3-D Secure result.
async fn authorise_with(paygent: &Paygent, token: &str, auth_id: &str, amount: &str) -> Answer {
    paygent
        .telegram(
            CARD_PATH,
            "020",
            &[
                ("trading_id", "ORDER_3DS"),
                ("payment_amount", amount),
                ("card_token", token),
                ("3dsecure_use_type", "2"),
                ("3ds_auth_id", auth_id),
            ],
        )
        .await
}

fn signed(result: &str, auth_id: &str, attempt: &str) -> String {
    sha256_hex(&format!("{result}{auth_id}{attempt}sandbox3dshashkey"))
}

fn looks_like_uuid(id: &str) -> bool {
    let parts: Vec<&str> = id.split('-').collect();
    id.len() == 36
        && parts.iter().map(|p| p.len()).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
        && parts
            .iter()
            .all(|p| p.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[tokio::test]
async fn a_frictionless_450_answers_utf8_with_an_auth_id_and_a_page_forwarding_the_signed_result() {
    let paygent = Paygent::new();

    let (answer, _) = authenticate(&paygent, GOOD_CARD, "314010", &[]).await;

    assert_eq!(answer.get("result"), "0", "{}", answer.text);
    assert!(answer.content_type.contains("UTF-8"));
    let auth_id = answer.get("3ds_auth_id");
    assert!(looks_like_uuid(auth_id), "{auth_id}");
    assert_eq!(answer.get("card_brand"), "VISA");
    assert_eq!(answer.get("masked_card_number"), "************0000");
    assert_eq!(answer.get("acq_name"), "ﾐﾂﾋﾞｼUFJﾆｺｽ");
    assert!(
        answer.text.trim_end().ends_with("</html>"),
        "out_acs_html is last"
    );
    let target = forward_target(answer.get("out_acs_html"));
    assert!(target.starts_with("https://shop.example/paygent/3ds?order=42&result=0&"));
    let result = query_items(&target);
    assert_eq!(result["3ds_auth_id"], auth_id);
    assert_eq!(result["card_brand"], "VISA");
    assert_eq!(result["masked_card_number"], "************0000");
    assert!(!result.contains_key("attempt_kbn"));
    assert!(!result.contains_key("response_code"));
    assert_eq!(result["hc"], signed("0", auth_id, ""));
}

#[tokio::test]
async fn an_attempt_amount_reports_attempt_kbn_and_signs_it() {
    let paygent = Paygent::new();

    let (answer, _) = authenticate(&paygent, GOOD_CARD, "314050", &[]).await;

    let result = query_items(&forward_target(answer.get("out_acs_html")));
    assert_eq!(result["result"], "0");
    assert_eq!(result["attempt_kbn"], "1");
    assert_eq!(result["hc"], signed("0", answer.get("3ds_auth_id"), "1"));
}

#[tokio::test]
async fn failing_amounts_and_cardholder_names_are_refused_by_450_with_31007() {
    let paygent = Paygent::new();

    let (by_amount, _) = authenticate(&paygent, GOOD_CARD, "314040", &[]).await;
    let (by_name, _) =
        authenticate(&paygent, GOOD_CARD, "5000", &[("cardholder_name", "BAVRA")]).await;
    let (other_brand, _) = authenticate(&paygent, "3580000000000000", "314040", &[]).await;

    assert_eq!(by_amount.get("result"), "1");
    assert_eq!(by_amount.get("response_code"), "31007");
    assert_eq!(by_name.get("response_code"), "31007");
    assert_eq!(other_brand.get("result"), "0", "JCB ignores VISA's codes");
}

#[tokio::test]
async fn a_brand_without_3_d_secure_is_refused_by_450_with_31012() {
    let paygent = Paygent::new();

    let (answer, _) = authenticate(&paygent, "6440000000000000", "1000", &[]).await;

    assert_eq!(answer.get("result"), "1");
    assert_eq!(answer.get("response_code"), "31012");
}

#[tokio::test]
async fn the_450_items_are_checked_like_every_telegram() {
    let paygent = Paygent::new();
    let token = paygent.token(GOOD_CARD).await;
    let check = |extra: Vec<(&'static str, &'static str)>| {
        let paygent = &paygent;
        let token = token.clone();
        async move {
            authenticate_token(paygent, &token, "1000", &extra)
                .await
                .items
        }
    };
    let code = |items: &HashMap<String, String>| items["response_code"].clone();

    let empty_name = check(vec![("merchant_name", "")]).await;
    let bad_type = check(vec![("authentication_type", "02")]).await;
    let bad_method = check(vec![("card_set_method", "paper")]).await;
    let direct = check(vec![("card_set_method", "direct")]).await;
    let bad_url = check(vec![("term_url", "shop.example/3ds")]).await;
    let bad_amount = check(vec![("payment_amount", "1000.50")]).await;
    let japanese_name = check(vec![("merchant_name", "デモショップ")]).await;
    let missing_url = paygent
        .utf8_telegram(
            THREEDS_PATH,
            "450",
            &[
                ("merchant_name", "Shop"),
                ("authentication_type", "01"),
                ("card_set_method", "token"),
                ("card_token", &token),
                ("payment_amount", "1000"),
            ],
        )
        .await;

    assert_eq!(code(&empty_name), "P006");
    assert_eq!(
        empty_name["response_detail"],
        "\"merchant_name\" パラメータの値が設定されていません"
    );
    assert_eq!(code(&bad_type), "P010");
    assert_eq!(code(&bad_method), "P010");
    assert_eq!(code(&direct), "2023");
    assert_eq!(code(&bad_url), "P008");
    assert_eq!(code(&bad_amount), "P008");
    assert_eq!(code(&japanese_name), "P008");
    assert_eq!(missing_url.get("response_code"), "P005");
}

#[tokio::test]
async fn the_450_token_stays_usable_and_the_020_records_3_d_secure() {
    let paygent = Paygent::new();
    let (answer, token) = authenticate(&paygent, GOOD_CARD, "314020", &[]).await;
    let auth_id = answer.get("3ds_auth_id");

    let auth = authorise_with(&paygent, &token, auth_id, "314020").await;

    assert_eq!(auth.get("result"), "0", "{}", auth.text);
    assert_eq!(auth.get("attempt_kbn"), "0");
    let inquiry = paygent.on_payment("094", auth.get("payment_id"), &[]).await;
    assert_eq!(inquiry.get("3dsecure_ryaku"), "0");
    assert_eq!(inquiry.get("attempt_kbn"), "0");
    assert_eq!(inquiry.get("3dsecure_message_version"), "2.2.0");
}

#[tokio::test]
async fn a_challenge_amount_shows_the_password_page_and_the_right_password_authenticates() {
    let paygent = Paygent::new();
    let (answer, token) = authenticate(&paygent, GOOD_CARD, "200000", &[]).await;
    let auth_id = answer.get("3ds_auth_id").to_owned();
    let html = answer.get("out_acs_html");
    let action = form_action(html);

    let page = paygent.get_page(&action).await;
    let answered = paygent.post_form(&action, &[("password", "14012")]).await;
    let again = paygent.post_form(&action, &[("password", "14012")]).await;
    let auth = authorise_with(&paygent, &token, &auth_id, "200000").await;

    assert_eq!(action, format!("/paygent/threeds/challenge/{auth_id}"));
    assert!(html.contains("14012") && html.contains("14042"));
    assert_eq!(page.status, 200);
    assert!(page.visible().contains("************0000"));
    assert_eq!(answered.status, 303);
    let result = query_items(answered.location());
    assert!(answered.location().starts_with(TERM_URL));
    assert_eq!(result["result"], "0");
    assert_eq!(result["3ds_auth_id"], auth_id);
    assert_eq!(result["hc"], signed("0", &auth_id, ""));
    assert_eq!(again.status, 409);
    assert_eq!(auth.get("result"), "0", "{}", auth.text);
}

#[tokio::test]
async fn a_wrong_challenge_password_fails_with_31007_and_the_id_cannot_pay() {
    let paygent = Paygent::new();
    let (answer, token) = authenticate(&paygent, GOOD_CARD, "0", &[]).await;
    let auth_id = answer.get("3ds_auth_id").to_owned();

    let answered = paygent
        .post_form(
            &format!("/paygent/threeds/challenge/{auth_id}"),
            &[("password", "secret")],
        )
        .await;
    let auth = authorise_with(&paygent, &token, &auth_id, "1000").await;

    let result = query_items(answered.location());
    assert_eq!(result["result"], "1");
    assert_eq!(result["response_code"], "31007");
    assert_eq!(result["hc"], signed("1", &auth_id, ""));
    assert_eq!(auth.get("response_code"), "31011");
}

#[tokio::test]
async fn a_challenge_answered_after_thirty_minutes_times_out_with_31013() {
    let paygent = Paygent::new();
    let (answer, _) = authenticate(&paygent, GOOD_CARD, "400000", &[]).await;
    let auth_id = answer.get("3ds_auth_id").to_owned();
    paygent.advance(Duration::minutes(31));

    let answered = paygent
        .post_form(
            &format!("/paygent/threeds/challenge/{auth_id}"),
            &[("password", "14012")],
        )
        .await;

    let result = query_items(answered.location());
    assert_eq!(result["result"], "1");
    assert_eq!(result["response_code"], "31013");
    assert_eq!(result["masked_card_number"], "XXXX");
}

#[tokio::test]
async fn the_challenge_page_address_uses_the_host_the_shop_called() {
    let paygent = Paygent::new();
    let token = paygent.token(GOOD_CARD).await;

    let answer = paygent
        .utf8_telegram_to(
            Some("sandbox.test:8080"),
            THREEDS_PATH,
            "450",
            &[
                ("term_url", TERM_URL),
                ("merchant_name", "Shop"),
                ("authentication_type", "01"),
                ("card_set_method", "token"),
                ("card_token", &token),
                ("payment_amount", "1"),
            ],
        )
        .await;

    assert_eq!(
        form_action(answer.get("out_acs_html")),
        format!(
            "http://sandbox.test:8080/paygent/threeds/challenge/{}",
            answer.get("3ds_auth_id")
        )
    );
}

#[tokio::test]
async fn a_020_uses_an_auth_id_once_for_the_same_amount_card_and_merchant() {
    let paygent = Paygent::new();
    let (answer, token) = authenticate(&paygent, GOOD_CARD, "5000", &[]).await;
    let auth_id = answer.get("3ds_auth_id").to_owned();
    let other_token = paygent.token(GOOD_CARD).await;

    let other_amount = authorise_with(&paygent, &token, &auth_id, "5001").await;
    let other_card = authorise_with(&paygent, &other_token, &auth_id, "5000").await;
    let unknown = authorise_with(
        &paygent,
        &token,
        "00000000-0000-0000-0000-000000000000",
        "5000",
    )
    .await;
    let other_merchant = paygent
        .raw(
            CARD_PATH,
            &[
                ("merchant_id", "987654321"),
                ("connect_id", "sandboxconnect"),
                ("connect_password", "sandboxpassword"),
                ("telegram_kind", "020"),
                ("telegram_version", "1.0"),
                ("payment_amount", "5000"),
                ("card_token", &token),
                ("3dsecure_use_type", "2"),
                ("3ds_auth_id", &auth_id),
            ],
        )
        .await;
    let first = authorise_with(&paygent, &token, &auth_id, "5000").await;
    let second = authorise_with(&paygent, &token, &auth_id, "5000").await;

    assert_eq!(other_amount.get("response_code"), "31011");
    assert_eq!(other_card.get("response_code"), "31011");
    assert_eq!(unknown.get("response_code"), "31011");
    assert_eq!(other_merchant.get("response_code"), "31011");
    assert_eq!(first.get("result"), "0", "{}", first.text);
    assert_eq!(second.get("response_code"), "31010");
}

#[tokio::test]
async fn a_020_with_an_auth_id_needs_use_type_2_and_type_2_needs_an_auth_id() {
    let paygent = Paygent::new();
    let token = paygent.token(GOOD_CARD).await;
    let base = [("payment_amount", "1000"), ("card_token", token.as_str())];
    let send = |extra: Vec<(&'static str, &'static str)>| {
        let mut fields = base.to_vec();
        fields.extend(extra);
        let paygent = &paygent;
        async move { paygent.telegram(CARD_PATH, "020", &fields).await }
    };

    let id_without_type = send(vec![(
        "3ds_auth_id",
        "11111111-1111-1111-1111-111111111111",
    )])
    .await;
    let type_without_id = send(vec![("3dsecure_use_type", "2")]).await;
    let neither = send(vec![]).await;
    let skipped = send(vec![("3dsecure_ryaku", "1")]).await;

    assert_eq!(id_without_type.get("response_code"), "31008");
    assert_eq!(type_without_id.get("response_code"), "31009");
    assert_eq!(neither.get("response_code"), "P010");
    assert_eq!(skipped.get("result"), "0", "merchant's own risk");
}

#[tokio::test]
async fn a_stored_card_can_be_authenticated_and_paid_with_its_result() {
    let paygent = Paygent::new();
    let token = paygent.token("3580000000000000").await;
    let stored = paygent
        .telegram(
            CARD_PATH,
            "025",
            &[("customer_id", "CUST_3DS"), ("card_token", token.as_str())],
        )
        .await;
    let card_id = stored.get("customer_card_id").to_owned();

    let answer = paygent
        .utf8_telegram(
            THREEDS_PATH,
            "450",
            &[
                ("term_url", TERM_URL),
                ("merchant_name", "Shop"),
                ("authentication_type", "01"),
                ("card_set_method", "customer"),
                ("customer_id", "CUST_3DS"),
                ("customer_card_id", &card_id),
                ("payment_amount", "3000.00"),
            ],
        )
        .await;
    let auth = paygent
        .telegram(
            CARD_PATH,
            "020",
            &[
                ("payment_amount", "3000"),
                ("stock_card_mode", "1"),
                ("customer_id", "CUST_3DS"),
                ("customer_card_id", &card_id),
                ("3dsecure_use_type", "2"),
                ("3ds_auth_id", answer.get("3ds_auth_id")),
            ],
        )
        .await;

    assert_eq!(answer.get("card_brand"), "JCB", "{}", answer.text);
    assert_eq!(auth.get("result"), "0", "{}", auth.text);
}

#[tokio::test]
async fn an_amount_change_of_a_3_d_secure_payment_is_refused_with_2014() {
    let paygent = Paygent::new();
    let (answer, token) = authenticate(&paygent, GOOD_CARD, "5000", &[]).await;
    let auth = authorise_with(&paygent, &token, answer.get("3ds_auth_id"), "5000").await;

    let changed = paygent
        .on_payment(
            "028",
            auth.get("payment_id"),
            &[("payment_amount", "4000"), ("reduction_flag", "0")],
        )
        .await;

    assert_eq!(changed.get("response_code"), "2014");
}
