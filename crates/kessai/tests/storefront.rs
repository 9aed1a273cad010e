//! The storefront as a guest drives it: 商品一覧, カート, お客様情報, 発送・支払方法, 内容確認,
//! 「上記内容で注文する」, the card hand-off and 購入完了, against the demo shop and the
//! built-in Paygent sandbox.

mod common;

use chrono::Days;
use common::{csrf_of, location, TestApp};

/// The CSRF token of a storefront page (the page must answer 200).
async fn shop_csrf(app: &TestApp, path: &str) -> String {
    let (status, html) = app.page(path).await;
    assert_eq!(status, 200, "{path}: {html}");
    csrf_of(&html)
}

/// A guest's お客様情報 as the form posts it.
fn guest() -> Vec<(&'static str, &'static str)> {
    vec![
        ("email", "buyer@example.jp"),
        ("email_confirm", "buyer@example.jp"),
        ("family_name", "山田"),
        ("given_name", "太郎"),
        ("family_kana", "ヤマダ"),
        ("given_kana", "タロウ"),
        ("postal_code", "1000001"),
        ("prefecture", "東京都"),
        ("address1", "千代田区千代田1-1"),
        ("address2", ""),
        ("phone", "03-1234-5678"),
    ]
}

/// Posts the お客様情報 form.
async fn enter_customer(app: &TestApp, fields: &[(&str, &str)]) -> reqwest::Response {
    app.post_page_form("/cart/customer", "/cart/customer", fields)
        .await
}

/// The demo's first delivery method and the date three days from today (Japan time), which
/// its 配達希望日 (from 2 days after the order, for 7 days) offers.
async fn delivery_and_date(app: &TestApp) -> (i64, String) {
    let method = app.state.store.delivery_methods().await.unwrap()[0].id;
    let today = app
        .state
        .clock
        .now()
        .with_timezone(&kessai::clock::jst())
        .date_naive();
    (method, (today + Days::new(3)).to_string())
}

/// Posts 発送・支払方法 with the demo's Paygent card method.
async fn choose_delivery(app: &TestApp, date: &str, time: &str) -> reqwest::Response {
    let (method, _) = delivery_and_date(app).await;
    let card = app.payment_method("paygent_card").await.to_string();
    let csrf = shop_csrf(app, "/cart/delivery").await;
    let (date_field, time_field) = (
        format!("delivery_date_{method}"),
        format!("delivery_time_{method}"),
    );
    app.post_form(
        "/cart/delivery",
        &[
            ("csrf", &csrf),
            ("delivery_method_id", &method.to_string()),
            (&date_field, date),
            (&time_field, time),
            ("payment_method_id", &card),
            ("note", "不在時は宅配ボックスへ"),
        ],
    )
    .await
}

/// Fills every step up to 内容確認 for one 煎茶.
async fn up_to_confirm(app: &TestApp) {
    app.add_to_cart("DEMO-TEA-01", "1").await;
    let r = enter_customer(app, &guest()).await;
    assert_eq!(location(&r), "/cart/delivery");
    let (_, date) = delivery_and_date(app).await;
    let r = choose_delivery(app, &date, "午前中").await;
    assert_eq!(location(&r), "/cart/confirm");
}

/// 「上記内容で注文する」.
async fn place_order(app: &TestApp) -> reqwest::Response {
    app.post_page_form("/cart/confirm", "/cart/order", &[])
        .await
}

/// Pays a started checkout on the card form with a successful test card; returns the
/// 購入完了 page.
async fn pay_by_card(app: &TestApp, link_key: &str) -> String {
    let card = app.card_token("4900000000000000").await;
    let r = app
        .post_card_form(link_key, &[("card_json", &card), ("payment_choice", "10")])
        .await;
    assert_eq!(location(&r), format!("/checkout/{link_key}/done"));
    let (status, done) = app.follow(r).await;
    assert_eq!(status, 200);
    done
}

fn link_key_of(r: &reqwest::Response) -> String {
    let to = location(r);
    to.strip_prefix("/checkout/")
        .unwrap_or_else(|| panic!("expected the hand-off, got {to}"))
        .to_owned()
}

#[tokio::test]
async fn a_guest_buys_through_every_step_with_a_token_card_and_reaches_the_completion_page() {
    // Arrange
    let app = TestApp::demo().await;
    let (status, list) = app.page("/").await;
    assert_eq!(status, 200);
    assert!(list.contains("静岡産 深蒸し煎茶 100g"), "{list}");
    assert!(list.contains("href=\"/item/DEMO-TEA-01\""), "{list}");

    // Act: カート with two, changed to one on the cart page, then 次へ.
    app.add_to_cart("DEMO-TEA-01", "2").await;
    let (_, cart) = app.page("/cart").await;
    assert!(cart.contains("「静岡産 深蒸し煎茶 100g」をカートに入れました。"));
    assert!(cart.contains("2,160円"), "{cart}");
    let r = app
        .post_form(
            "/cart",
            &[
                ("csrf", &csrf_of(&cart)),
                ("quantity[DEMO-TEA-01]", "1"),
                ("next", "1"),
            ],
        )
        .await;
    assert_eq!(location(&r), "/cart/customer");
    let r = enter_customer(&app, &guest()).await;
    assert_eq!(location(&r), "/cart/delivery");
    let (_, delivery_page) = app.page("/cart/delivery").await;
    assert!(delivery_page.contains("配達希望日") && delivery_page.contains("午前中"));
    let not_built = app.payment_method_of_unknown_kind().await;
    assert!(
        !delivery_page.contains(&format!("value=\"{not_built}\"")),
        "a method whose provider has no checkout is not offered"
    );
    assert!(
        delivery_page.contains("でお支払いいただけます"),
        "the method's HTML description"
    );
    let (_, date) = delivery_and_date(&app).await;
    let r = choose_delivery(&app, &date, "午前中").await;
    assert_eq!(location(&r), "/cart/confirm");
    let (status, confirm) = app.page("/cart/confirm").await;
    assert_eq!(status, 200);
    assert!(confirm.contains("上記内容で注文する"));
    assert!(confirm.contains("山田 太郎 様") && confirm.contains("100-0001"));
    assert!(common::between(&confirm, "id=\"order-total\">", "<").contains("1,080円"));
    assert!(common::between(&confirm, "id=\"delivery-time\">", "<").contains("午前中"));
    let r = place_order(&app).await;
    let link_key = link_key_of(&r);
    let (status, card_form) = app.page(&format!("/checkout/{link_key}")).await;
    assert_eq!(status, 200);
    assert!(card_form.contains("PaygentToken.js"));
    let done = pay_by_card(&app, &link_key).await;

    // Assert
    assert!(done.contains("購入完了") && done.contains("ご注文ありがとうございました。"));
    let payment = app
        .state
        .store
        .payment_by_link_key(&link_key)
        .await
        .unwrap()
        .unwrap();
    let order = app
        .state
        .store
        .order(payment.order_id.expect("the order exists"))
        .await
        .unwrap()
        .unwrap();
    assert!(done.contains(&order.order_number));
    assert_eq!(order.total, 1080);
    assert_eq!(order.member_id, None);
    assert_eq!(order.buyer.postal_code, "100-0001");
    assert_eq!(
        order.delivery_date.map(|d| d.to_string()),
        Some(date.clone())
    );
    assert_eq!(order.delivery_time, "午前中");
    assert_eq!(order.note, "不在時は宅配ボックスへ");
    let items = app.state.store.order_items(order.id).await.unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].quantity, 1);
    let (_, cart_after) = app.page("/cart").await;
    assert!(
        cart_after.contains("カートに商品はありません。"),
        "the cart is emptied once the order exists: {cart_after}"
    );
}

#[tokio::test]
async fn the_cart_is_emptied_when_an_earlier_checkout_of_it_is_paid() {
    // Arrange: 「上記内容で注文する」, back (the browser's back button), another product added,
    // and 「上記内容で注文する」 again: two checkouts of the same cart.
    let app = TestApp::demo().await;
    up_to_confirm(&app).await;
    let first = link_key_of(&place_order(&app).await);
    up_to_confirm(&app).await;
    let second = link_key_of(&place_order(&app).await);
    assert_ne!(first, second);

    // Act: the buyer pays on the first card form.
    let done = pay_by_card(&app, &first).await;

    // Assert
    assert!(done.contains("購入完了"), "{done}");
    let (_, cart) = app.page("/cart").await;
    assert!(
        cart.contains("カートに商品はありません。"),
        "the cart is emptied once any checkout started from it is an order: {cart}"
    );
}

#[tokio::test]
async fn ordering_the_same_cart_again_continues_the_unpaid_checkout() {
    // Arrange: 「上記内容で注文する」, then back and the same button again, unchanged.
    let app = TestApp::demo().await;
    up_to_confirm(&app).await;
    let first = link_key_of(&place_order(&app).await);

    // Act
    let again = link_key_of(&place_order(&app).await);

    // Assert: one checkout, one payment to pay.
    assert_eq!(first, again);
    let logs = app.state.store.prepayment_logs(10).await.unwrap();
    assert_eq!(logs.len(), 1);
    pay_by_card(&app, &first).await;
    let (_, cart) = app.page("/cart").await;
    assert!(cart.contains("カートに商品はありません。"), "{cart}");
}

#[tokio::test]
async fn customer_errors_name_each_field_and_keep_what_was_typed() {
    // Arrange
    let app = TestApp::demo().await;
    app.add_to_cart("DEMO-TEA-01", "1").await;
    let fields = [
        ("email", "buyer@example.jp"),
        ("email_confirm", "other@example.jp"),
        ("family_name", ""),
        ("given_name", "太郎"),
        ("family_kana", "やまだ"),
        ("given_kana", "タロウ"),
        ("postal_code", "12345"),
        ("prefecture", ""),
        ("address1", "千代田区千代田1-1"),
        ("address2", ""),
        ("phone", "abc"),
    ];

    // Act
    let r = enter_customer(&app, &fields).await;

    // Assert
    assert_eq!(r.status().as_u16(), 422);
    let html = r.text().await.unwrap();
    for (field, message) in [
        (
            "email_confirm",
            "メールアドレス（確認用）がメールアドレスと一致しません",
        ),
        ("family_name", "姓を入力してください"),
        ("family_kana", "セイは全角カタカナで入力してください"),
        ("postal_code", "郵便番号は7桁の半角数字で入力してください"),
        ("prefecture", "都道府県を選択してください"),
        (
            "phone",
            "電話番号は半角数字10桁または11桁で入力してください",
        ),
    ] {
        let shown = common::between(&html, &format!("id=\"error-{field}\">"), "<");
        assert!(shown.contains(message), "{field}: {shown}");
    }
    assert!(html.contains("value=\"やまだ\""), "the kana stays as typed");
    assert!(html.contains("value=\"other@example.jp\""));
    assert!(html.contains("value=\"12345\""));
    let (_, delivery) = app.page("/cart/delivery").await;
    assert!(
        !delivery.contains("発送・支払方法</h1>"),
        "the next step stays closed"
    );
}

#[tokio::test]
async fn model_dependent_characters_are_refused_before_the_hand_off() {
    // Arrange
    let app = TestApp::demo().await;
    app.add_to_cart("DEMO-TEA-01", "1").await;
    let mut fields = guest();
    fields.retain(|(k, _)| !matches!(*k, "family_name" | "address1"));
    fields.push(("family_name", "髙橋"));
    fields.push(("address1", "千代田区千代田①"));

    // Act: the customer step refuses the name and the address.
    let r = enter_customer(&app, &fields).await;

    // Assert
    assert_eq!(r.status().as_u16(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("姓に使用できない文字（機種依存文字など）が含まれています: 「髙」"));
    assert!(html.contains("住所に使用できない文字（機種依存文字など）が含まれています: 「①」"));
    assert!(html.contains("value=\"髙橋\""), "the input is kept");

    // Arrange: a product whose name has a model-dependent character.
    app.state
        .store
        .execute_raw("UPDATE products SET name = 'デモ煎茶㈱限定' WHERE code = 'DEMO-TEA-01'")
        .await
        .unwrap();
    let r = enter_customer(&app, &guest()).await;
    assert_eq!(location(&r), "/cart/delivery");
    let (_, date) = delivery_and_date(&app).await;
    choose_delivery(&app, &date, "").await;

    // Act: the confirmation page flags it and offers no order button; posting anyway fails.
    let (_, confirm) = app.page("/cart/confirm").await;
    let r = app
        .post_form("/cart/order", &[("csrf", &csrf_of(&confirm))])
        .await;

    // Assert
    assert!(confirm.contains("商品「DEMO-TEA-01」の商品名に使用できない文字（機種依存文字など）が含まれています: 「㈱」"), "{confirm}");
    assert!(!confirm.contains("id=\"place-order\""));
    assert_eq!(r.status().as_u16(), 422);
    assert!(
        app.state
            .store
            .prepayment_logs(10)
            .await
            .unwrap()
            .is_empty(),
        "nothing was handed to the provider"
    );
}

#[tokio::test]
async fn a_price_changed_between_cart_and_order_is_reported_and_never_charged_silently() {
    // Arrange
    let app = TestApp::demo().await;
    up_to_confirm(&app).await;
    let (_, confirm) = app.page("/cart/confirm").await;
    assert!(common::between(&confirm, "id=\"order-total\">", "<").contains("1,080円"));
    app.state
        .store
        .execute_raw("UPDATE products SET price = 1200 WHERE code = 'DEMO-TEA-01'")
        .await
        .unwrap();

    // Act: the button on the page the buyer saw at the old price.
    let r = app
        .post_form("/cart/order", &[("csrf", &csrf_of(&confirm))])
        .await;

    // Assert: back to 内容確認 with the change, nothing started.
    assert_eq!(location(&r), "/cart/confirm");
    assert!(app
        .state
        .store
        .prepayment_logs(10)
        .await
        .unwrap()
        .is_empty());
    let (_, confirm) = app.page("/cart/confirm").await;
    assert!(
        confirm.contains("「静岡産 深蒸し煎茶 100g」の価格が1,080円から1,200円に変更されました。"),
        "{confirm}"
    );
    assert!(confirm.contains("ご注文内容に変更がありました。"));
    assert!(common::between(&confirm, "id=\"order-total\">", "<").contains("1,200円"));

    // Act: the buyer has now seen the new price and orders.
    let r = app
        .post_form("/cart/order", &[("csrf", &csrf_of(&confirm))])
        .await;

    // Assert
    let link_key = link_key_of(&r);
    let payment = app
        .state
        .store
        .payment_by_link_key(&link_key)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(payment.amount, 1200);
}

#[tokio::test]
async fn a_product_taken_off_sale_leaves_the_cart_with_a_message() {
    // Arrange
    let app = TestApp::demo().await;
    app.add_to_cart("DEMO-CUP-01", "1").await;
    app.state
        .store
        .execute_raw("UPDATE products SET active = false WHERE code = 'DEMO-CUP-01'")
        .await
        .unwrap();

    // Act
    let (_, cart) = app.page("/cart").await;

    // Assert
    assert!(cart
        .contains("「有田焼 湯呑み」は現在お買い求めいただけないため、カートから削除しました。"));
    assert!(cart.contains("カートに商品はありません。"));
    let (status, _) = app.page("/item/DEMO-CUP-01").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn cart_quantities_out_of_range_are_named_and_kept() {
    // Arrange
    let app = TestApp::demo().await;
    app.add_to_cart("DEMO-TEA-01", "1").await;
    let csrf = shop_csrf(&app, "/cart").await;

    // Act
    let r = app
        .post_form(
            "/cart",
            &[
                ("csrf", &csrf),
                ("quantity[DEMO-TEA-01]", "1000"),
                ("update", "1"),
            ],
        )
        .await;

    // Assert
    assert_eq!(r.status().as_u16(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("「静岡産 深蒸し煎茶 100g」の数量は1から999までの半角数字で入力してください")
    );
    assert!(html.contains("value=\"1000\""));
}

#[tokio::test]
async fn a_delivery_date_the_method_does_not_offer_is_refused() {
    // Arrange
    let app = TestApp::demo().await;
    app.add_to_cart("DEMO-TEA-01", "1").await;
    enter_customer(&app, &guest()).await;
    let today = app
        .state
        .clock
        .now()
        .with_timezone(&kessai::clock::jst())
        .date_naive();

    // Act: tomorrow is earlier than the method's first date (two days after the order).
    let r = choose_delivery(&app, &(today + Days::new(1)).to_string(), "深夜").await;

    // Assert
    assert_eq!(r.status().as_u16(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("配達希望日は選択肢の中から選択し直してください"));
    assert!(html.contains("配達時間帯は選択肢の中から選択し直してください"));
}

#[tokio::test]
async fn the_conversion_tag_appears_once_per_order() {
    // Arrange: the operator sets the tag in 基本設定.
    let app = TestApp::demo().await;
    app.login().await;
    let csrf = app.csrf().await;
    let shop = app.state.settings.shop().await.unwrap();
    let tag =
        "<img alt=\"\" src=\"https://ads.example.jp/cv?order={order_number}&amp;total={total}\">";
    let r = app
        .post_form(
            "/admin/shop",
            &[
                ("csrf", &csrf),
                ("shop_name", &shop.shop_name),
                ("company_name", &shop.company_name),
                ("postal_code", &shop.postal_code),
                ("address1", &shop.address1),
                ("address2", &shop.address2),
                ("phone", &shop.phone),
                ("order_email", &shop.order_email),
                ("sender_email", &shop.sender_email),
                ("conversion_tag", tag),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    up_to_confirm(&app).await;
    let link_key = link_key_of(&place_order(&app).await);

    // Act
    let first = pay_by_card(&app, &link_key).await;
    let (_, reload) = app.page(&format!("/checkout/{link_key}/done")).await;

    // Assert
    let order_number = common::between(&first, "id=\"order-number\">", "<").to_owned();
    let expected = format!(
        "<img alt=\"\" src=\"https://ads.example.jp/cv?order={order_number}&amp;total=1080\">"
    );
    assert!(first.contains(&expected), "{first}");
    assert!(reload.contains("購入完了") && reload.contains(&order_number));
    assert!(
        !reload.contains("ads.example.jp"),
        "a reload does not count again"
    );
}

#[tokio::test]
async fn delivery_methods_take_date_and_time_options_with_validation() {
    // Arrange
    let app = TestApp::demo().await;
    app.login().await;
    let csrf = app.csrf().await;

    // Act: an invalid range and a duplicate slot, then a valid method.
    let bad = app
        .post_form(
            "/admin/delivery",
            &[
                ("csrf", &csrf),
                ("name", "佐川急便"),
                ("carrier", "sagawa"),
                ("date_earliest_days", "1"),
                ("date_range_days", "61"),
                ("time_slots", "午前中\n午前中"),
            ],
        )
        .await;
    let good = app
        .post_form(
            "/admin/delivery",
            &[
                ("csrf", &csrf),
                ("name", "佐川急便"),
                ("carrier", "sagawa"),
                ("date_earliest_days", "1"),
                ("date_range_days", "5"),
                ("time_slots", "午前中\r\n18時～21時\r\n"),
            ],
        )
        .await;

    // Assert
    assert_eq!(bad.status().as_u16(), 422);
    let html = bad.text().await.unwrap();
    assert!(html.contains("配達希望日の選択日数は0から60までの半角数字で入力してください"));
    assert!(html.contains("配達時間帯「午前中」が重複しています"));
    assert!(html.contains("value=\"61\""), "the input is kept");
    assert_eq!(good.status().as_u16(), 303);
    let method = app
        .state
        .store
        .delivery_methods()
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.name == "佐川急便")
        .unwrap();
    assert_eq!(
        (
            method.date_earliest_days,
            method.date_range_days,
            method.time_slot_list()
        ),
        (1, 5, vec!["午前中", "18時～21時"])
    );
    app.add_to_cart("DEMO-TEA-01", "1").await;
    enter_customer(&app, &guest()).await;
    let (_, delivery_page) = app.page("/cart/delivery").await;
    let select = common::between(
        &delivery_page,
        &format!("id=\"delivery_date_{}\"", method.id),
        "</select>",
    );
    assert_eq!(
        select.matches("<option").count(),
        6,
        "指定しない and five dates: {select}"
    );
}

#[tokio::test]
async fn a_storefront_post_without_the_session_token_is_refused() {
    // Arrange
    let app = TestApp::demo().await;
    shop_csrf(&app, "/item/DEMO-TEA-01").await;

    // Act
    let r = app
        .post_form(
            "/cart/add",
            &[
                ("csrf", "forged"),
                ("code", "DEMO-TEA-01"),
                ("quantity", "1"),
            ],
        )
        .await;

    // Assert
    assert_eq!(r.status().as_u16(), 403);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("トップページへ戻る"),
        "shown in the storefront's layout"
    );
    let (_, cart) = app.page("/cart").await;
    assert!(cart.contains("カートに商品はありません。"));
}
