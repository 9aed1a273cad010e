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

/// What the card dialog gives the token JS: `data-*` of the dialog's form as kessai wrote
/// it (the same names as the API's hand-off parameters, without `data-` and with `_`).
pub struct Dialog {
    pub get: Box<dyn Fn(&str) -> String>,
    /// The first kept card: `cardKey`, `lastCreditDate`.
    pub kept: Option<(String, String)>,
    pub security_code: bool,
    pub token_script: String,
}

impl Dialog {
    /// The dialog of a hand-off page.
    pub fn of_page(page: &str) -> Dialog {
        let owned = page.to_owned();
        let kept = page.contains("name=\"kept_card\"").then(|| {
            (
                attr(page, "name=\"kept_card\"", "value"),
                attr(page, "name=\"kept_card\"", "data-last-credit-date"),
            )
        });
        Dialog {
            get: Box::new(move |name| {
                attr(
                    &owned,
                    "id=\"card-form\"",
                    &format!("data-{}", name.replace('_', "-")),
                )
            }),
            kept,
            security_code: page.contains("id=\"security_code\""),
            token_script: attr(page, "<script src=\"http", "src"),
        }
    }

    /// The dialog of the API's hand-off parameters.
    pub fn of_parameters(p: &serde_json::Value) -> Dialog {
        let owned = p.clone();
        let kept = p["kept_cards"].get(0).map(|c| {
            (
                c["card_key"].as_str().unwrap().to_owned(),
                c["last_credit_date"].as_str().unwrap().to_owned(),
            )
        });
        Dialog {
            get: Box::new(move |name| owned[name].as_str().unwrap_or_default().to_owned()),
            kept,
            security_code: p["security_code"] == true,
            token_script: p["token_script"].as_str().unwrap().to_owned(),
        }
    }
}

/// The token the token JS gets for `entry` from `dialog`: the token, and whether it was
/// minted for the member and to keep the card.
pub async fn mint(
    app: &TestApp,
    dialog: &Dialog,
    entry: &Entry<'_>,
) -> Result<(String, bool, bool), String> {
    let data = |name: &str| (dialog.get)(name);
    let kept = entry.card.is_none();
    let register =
        !kept && (data("register") == "always" || (data("register") == "ask" && entry.register));
    let member = kept || register;
    let mut info: Vec<(String, String)> = vec![
        ("traderCode".into(), data("trader_code")),
        ("authDiv".into(), data("auth_div")),
        ("optServDiv".into(), if member { "01" } else { "00" }.into()),
        (
            "checkSum".into(),
            if member {
                data("member_check_sum")
            } else {
                data("check_sum")
            },
        ),
    ];
    if member {
        info.push(("memberId".into(), data("member_id")));
        info.push(("authKey".into(), data("auth_key")));
    }
    match (entry.card, &dialog.kept) {
        (Some(number), _) => {
            info.push(("cardNo".into(), number.into()));
            info.push(("cardOwner".into(), "TARO YAMADA".into()));
            info.push(("cardExp".into(), "1235".into()));
        }
        (None, Some((key, date))) => {
            info.push(("cardKey".into(), key.clone()));
            info.push(("lastCreditDate".into(), date.clone()));
        }
        (None, None) => return Err("no kept card in the dialog".into()),
    }
    if dialog.security_code {
        info.push(("securityCode".into(), entry.security_code.into()));
    }
    let endpoint = dialog
        .token_script
        .replace("js/embeddedTokenLib.js", "createToken");
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
    let (token, member, register) = mint(app, &Dialog::of_page(&page), entry)
        .await
        .expect("a token");
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
    let back = answer_acs(app, html, answer).await;
    (post_back(app, &back).await, back)
}

/// The browser follows the ACS page `html` and answers the challenge: the ACS's page that
/// posts the result to the shop's return address.
pub async fn answer_acs(app: &TestApp, html: &str, answer: &str) -> String {
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
    back
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
