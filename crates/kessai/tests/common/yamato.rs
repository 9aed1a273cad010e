//! Driving Kuroneko Web Collect's card dialog as a browser does: the token JS sends the card
//! to the sandbox's token endpoint with what kessai wrote into the dialog (trader, authDiv,
//! check sums, the member), the token is posted to kessai, and the 3-D Secure pages (the
//! ACS's auto-posting forms) are followed back to kessai's `3ds` step.

use super::{attr, hidden_fields, TestApp};

/// How the buyer fills in the dialog.
#[derive(Clone, Copy, Debug, Default)]
pub struct Entry<'a> {
    /// The card number; `None` pays with the member's first kept card.
    pub card: Option<&'a str>,
    /// Tick 「このカードを登録…」 (or 常に登録する keeps it anyway).
    pub register: bool,
    pub pay_way: &'a str,
    pub security_code: &'a str,
}

impl<'a> Entry<'a> {
    /// A new card, 一括払い, security code 123.
    pub fn card(number: &'a str) -> Entry<'a> {
        Entry {
            card: Some(number),
            register: false,
            pay_way: "1",
            security_code: "123",
        }
    }
}

/// The token the token JS gets for `entry` from the dialog `page`.
pub async fn mint(
    app: &TestApp,
    page: &str,
    entry: &Entry<'_>,
) -> Result<(String, bool, bool), String> {
    let data = |name: &str| attr(page, "id=\"card-form\"", name);
    let kept = entry.card.is_none();
    let register = !kept
        && (data("data-register") == "always"
            || (data("data-register") == "ask" && entry.register));
    let member = kept || register;
    let mut info: Vec<(String, String)> = vec![
        ("traderCode".into(), data("data-trader-code")),
        ("authDiv".into(), data("data-auth-div")),
        ("optServDiv".into(), if member { "01" } else { "00" }.into()),
        (
            "checkSum".into(),
            if member {
                data("data-member-check-sum")
            } else {
                data("data-check-sum")
            },
        ),
    ];
    if member {
        info.push(("memberId".into(), data("data-member-id")));
        info.push(("authKey".into(), data("data-auth-key")));
    }
    match entry.card {
        Some(number) => {
            info.push(("cardNo".into(), number.into()));
            info.push(("cardOwner".into(), "TARO YAMADA".into()));
            info.push(("cardExp".into(), "1235".into()));
        }
        None => {
            info.push(("cardKey".into(), attr(page, "name=\"kept_card\"", "value")));
            info.push((
                "lastCreditDate".into(),
                attr(page, "name=\"kept_card\"", "data-last-credit-date"),
            ));
        }
    }
    if page.contains("id=\"security_code\"") {
        info.push(("securityCode".into(), entry.security_code.into()));
    }
    let script = attr(page, "<script src=\"http", "src");
    let endpoint = script.replace("js/embeddedTokenLib.js", "createToken");
    let answer: serde_json::Value = app
        .client
        .post(endpoint)
        .form(&info)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    match answer["token"].as_str() {
        Some(token) => Ok((token.to_owned(), member, register)),
        None => Err(answer.to_string()),
    }
}

/// The buyer opens the dialog, enters `entry` and presses 「上記内容で注文する」.
pub async fn pay(app: &TestApp, link_key: &str, entry: &Entry<'_>) -> reqwest::Response {
    let (status, page) = app.page(&format!("/checkout/{link_key}")).await;
    assert_eq!(status, 200, "{page}");
    let (token, member, register) = mint(app, &page, entry).await.expect("a token");
    let flag = |b: bool| if b { "1" } else { "0" };
    app.post_form(
        &format!("/checkout/{link_key}/card"),
        &[
            ("token", &token),
            ("pay_way", entry.pay_way),
            ("member", flag(member)),
            ("register", flag(register)),
        ],
    )
    .await
}

/// The browser follows the ACS page `html` (A08's `threeDAuthHtml`), answers the challenge
/// (`authenticate` or `cancel`) and lets the answer post back to kessai: kessai's answer,
/// and the ACS's page that posted back (to post it again, as a reload does).
pub async fn authenticate(app: &TestApp, html: &str, answer: &str) -> (reqwest::Response, String) {
    let post = |action: String, fields: Vec<(String, String)>| {
        let client = app.client.clone();
        async move { client.post(action).form(&fields).send().await.unwrap() }
    };
    let to_acs = post(attr(html, "<form", "action"), hidden_fields(html)).await;
    let challenge = to_acs.text().await.unwrap();
    assert!(challenge.contains("<form"), "the ACS page: {challenge}");
    let action = attr(&challenge, "<form", "action");
    let answered = post(action, vec![("answer".to_owned(), answer.to_owned())]).await;
    let answered_status = answered.status();
    let back = answered.text().await.unwrap();
    assert!(
        back.contains("<form"),
        "the ACS answer ({answered_status}): {back} to {challenge}"
    );
    (post_back(app, &back).await, back)
}

/// The ACS's page `back` posts its result to kessai.
pub async fn post_back(app: &TestApp, back: &str) -> reqwest::Response {
    app.client
        .post(attr(back, "<form", "action"))
        .form(&hidden_fields(back))
        .send()
        .await
        .unwrap()
}
