//! Driving Remise's sandbox pages as a browser would: Shift_JIS forms to Remise's card and
//! multi-payment pages, Remise's auto-posting page back to the shop, and its back office.

use super::{as_pairs, attr, hidden_fields, TestApp};
use kessai::providers::form::{self, Charset};

/// A Shift_JIS form posted to an absolute URL (Remise's pages and the return to kessai).
pub async fn post_sjis(app: &TestApp, url: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let url = if url.starts_with("http") {
        url.to_owned()
    } else {
        app.url(url)
    };
    app.client
        .post(url)
        .header(
            "content-type",
            "application/x-www-form-urlencoded; charset=Shift_JIS",
        )
        .body(form::encode_form(fields, Charset::Cp932).unwrap())
        .send()
        .await
        .unwrap()
}

/// A page of Remise's as text (its pages are Shift_JIS).
pub async fn sjis_page(r: reqwest::Response) -> (u16, String) {
    let status = r.status().as_u16();
    let bytes = r.bytes().await.unwrap();
    let text = form::decode_text(&bytes, Charset::Cp932)
        .unwrap_or_else(|_| String::from_utf8_lossy(&bytes).into_owned());
    (status, text)
}

/// The action (resolved against `base`) and hidden fields of the first form of a page.
pub fn form_of(html: &str, base: &str) -> (String, Vec<(String, String)>) {
    let action = attr(html, "<form", "action");
    let action = if action.starts_with("http") || action.starts_with('/') {
        action
    } else {
        format!("{}/{action}", base.rsplit_once('/').unwrap().0)
    };
    (action, hidden_fields(html))
}

pub fn pairs(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    as_pairs(fields)
}

/// The buyer's browser from kessai's hand-off page to Remise's page: the page and its URL.
pub async fn open_remise_page(app: &TestApp, link_key: &str) -> (String, String) {
    let (status, handoff) = app.page(&format!("/checkout/{link_key}")).await;
    assert_eq!(status, 200, "{handoff}");
    let (action, fields) = form_of(&handoff, "");
    let (status, page) = sjis_page(post_sjis(app, &action, &pairs(&fields)).await).await;
    assert_eq!(status, 200, "{page}");
    (action, page)
}

/// Pays on Remise's card page with `card` (or the stored PayQuick card when `None`), and
/// follows the browser back to kessai: kessai's answer to the return.
pub async fn pay_card(app: &TestApp, link_key: &str, card: Option<&str>) -> reqwest::Response {
    let back = pay_card_at_remise(app, link_key, card).await;
    return_to_shop(app, &back).await
}

/// Pays on Remise's card page; Remise has sent its 結果通知 and answers the auto-posting
/// page that sends the browser back to the shop.
pub async fn pay_card_at_remise(app: &TestApp, link_key: &str, card: Option<&str>) -> String {
    let (url, page) = open_remise_page(app, link_key).await;
    let (action, hidden) = form_of(&page, &url);
    let mut fields: Vec<(&str, &str)> = pairs(&hidden)
        .into_iter()
        .filter(|(k, _)| *k != "CARD_SEL")
        .collect();
    match card {
        Some(number) => fields.extend([
            ("CARD_SEL", "new"),
            ("CARD_NO", number),
            ("EXPIRE_MM", "12"),
            ("EXPIRE_YY", "35"),
            ("NAME", "TARO YAMADA"),
            ("METHOD", "10"),
        ]),
        None => fields.extend([("CARD_SEL", "stored"), ("METHOD", "10")]),
    }
    let (status, back) = sjis_page(post_sjis(app, &action, &fields).await).await;
    assert_eq!(status, 200, "{back}");
    back
}

/// The browser posts Remise's auto-posting page back to the shop.
pub async fn return_to_shop(app: &TestApp, back: &str) -> reqwest::Response {
    let (action, fields) = form_of(back, "");
    assert!(action.starts_with(&app.address), "{action}");
    post_sjis(app, &action, &pairs(&fields)).await
}

/// Chooses `pay_csv` on Remise's multi-payment page and follows the browser back.
pub async fn choose_destination(app: &TestApp, link_key: &str, pay_csv: &str) -> reqwest::Response {
    let (url, page) = open_remise_page(app, link_key).await;
    let (action, hidden) = form_of(&page, &url);
    let mut fields = pairs(&hidden);
    fields.push(("PAY_CSV", pay_csv));
    let (status, back) = sjis_page(post_sjis(app, &action, &fields).await).await;
    assert_eq!(status, 200, "{back}");
    return_to_shop(app, &back).await
}

/// Marks a multi payment paid in the sandbox's back office (its 収納情報通知 goes out).
pub async fn receive_in_back_office(app: &TestApp, link_key: &str) -> serde_json::Value {
    let r = app
        .client
        .post(app.url("/sandbox/remise/backoffice/receipt"))
        .header("accept", "application/json")
        .form(&[("S_TORIHIKI_NO", link_key)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    r.json().await.unwrap()
}

/// Has the sandbox attempt every notification it still owes now.
pub async fn deliver_sandbox_notices(app: &TestApp) {
    let r = app
        .client
        .post(app.url("/sandbox/remise/backoffice/notices/deliver"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
}
