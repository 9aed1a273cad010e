//! Every admin form takes the checkout's rules: text a provider carries (names, addresses,
//! product names, the shop's name and address) refuses 機種依存文字 and emoji; every text
//! field refuses control characters and what invalid UTF-8 decodes to. A refused form names
//! the field and saves nothing.

mod common;

use common::forms::{form_fields, set};
use common::{as_pairs, TestApp};

/// One hostile input: the page, the form's action, the field and the value.
struct Case {
    page: String,
    action: String,
    field: &'static str,
    value: &'static str,
}

fn case(page: &str, action: &str, field: &'static str, value: &'static str) -> Case {
    Case {
        page: page.to_owned(),
        action: action.to_owned(),
        field,
        value,
    }
}

#[tokio::test]
async fn every_admin_form_refuses_what_checkout_refuses_and_saves_nothing() {
    let app = TestApp::demo().await;
    let order_id = app.card_payment().await.order_id.unwrap();
    let member = app.create_member("hostile@example.jp").await;
    app.login().await;
    let delivery = app.state.store.delivery_methods().await.unwrap()[0].id;
    let method = app.payment_method("paygent_card").await;
    let order = format!("/admin/orders/{order_id}");
    let member_page = format!("/admin/members/{member}");
    let delivery_page = format!("/admin/delivery/{delivery}");
    let method_page = format!("/admin/payment-methods/{method}");
    let cases = [
        case("/admin/shop", "/admin/shop", "shop_name", "㈱ケッサイ"),
        case("/admin/shop", "/admin/shop", "address1", "東京都千代田区①"),
        case(&order, &order, "family_name", "髙橋"),
        case(&order, &order, "address1", "千代田区😀"),
        case(&order, &order, "note", "取り置き希望\u{0}"),
        case(&order, &order, "given_name", "太\u{FFFD}郎"),
        case(&member_page, &member_page, "family_name", "﨑山"),
        case(&member_page, &member_page, "address1", "①丁目"),
        case("/admin/api-keys", "/admin/api-keys", "name", "キー\u{FFFD}"),
        case(&delivery_page, &delivery_page, "name", "特急便\u{7}"),
        case(&method_page, &method_page, "name", "カード\u{FFFD}"),
    ];

    for c in cases {
        let (status, html) = app.page(&c.page).await;
        assert_eq!(status, 200, "{}", c.page);
        let marker = format!("action=\"{}\"", c.action);
        let html = common::unescape(&html);
        let form = common::between(&html, &marker, "</form>");
        let mut fields = form_fields(form);
        set(&mut fields, c.field, c.value);

        let r = app.post_form(&c.action, &as_pairs(&fields)).await;

        let status = r.status().as_u16();
        let answer = r.text().await.unwrap();
        assert_eq!(status, 422, "{} {}: {answer}", c.page, c.field);
        assert!(
            answer.contains("使用できない文字"),
            "{} {}: the message says why",
            c.page,
            c.field
        );
        let (_, after) = app.page(&c.page).await;
        let shown = c.value.replace(['\u{0}', '\u{7}'], "");
        assert!(
            !after.contains(&shown),
            "{} {}: nothing saved",
            c.page,
            c.field
        );
    }
}
