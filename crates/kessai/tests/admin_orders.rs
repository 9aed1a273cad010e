//! The admin's order, payment and log screens: 受注リスト (search, filters, paging, 一括操作,
//! CSV), 受注データ編集 with the offered provider operations, 決済エラーログ, 決済直前ログ
//! with 受注データ登録, システム設定, and 会員データ編集 with the stored-card removal.

mod common;

use common::forms::{edit_form, form_fields, set};

use chrono::{DateTime, Duration, Utc};
use common::{location, TestApp};
use encoding_rs::SHIFT_JIS;
use kessai::store::{NewOrder, NewPaymentError, OrderFilter, PaymentStatusUpdate};

/// An order as checkout would create it, with a number, name and e-mail of its own.
fn order(number: &str, family: &str, given: &str, email: &str) -> NewOrder {
    let mut order = common::sample_order(number);
    order.buyer.family_name = family.into();
    order.buyer.given_name = given.into();
    order.buyer.email = email.into();
    order
}

/// A time as an admin page shows it (Asia/Tokyo; the page escapes `/`).
fn shown(t: DateTime<Utc>) -> String {
    kessai::clock::format_jst(t).replace('/', "&#x2f;")
}

async fn create(app: &TestApp, o: &NewOrder, at: DateTime<Utc>) -> i64 {
    app.state.store.create_order(o, at).await.unwrap()
}

/// Gives an order a payment with a provider payment id (as a card authorization leaves it).
async fn attach_payment(app: &TestApp, order_id: i64, payment_id: &str, amount: i64) {
    let store = &app.state.store;
    let now = app.state.clock.now();
    let id = store
        .create_payment(
            &kessai::store::NewPayment {
                order_id: Some(order_id),
                provider: "paygent",
                settlement_kind: "paygent_card",
                link_key: &format!("LK{payment_id}"),
                state: "authorized",
                amount,
                environment: "test",
                origin: "checkout",
            },
            now,
        )
        .await
        .unwrap();
    store
        .apply_payment_status(
            id,
            0,
            Some(&PaymentStatusUpdate {
                provider_payment_id: Some(payment_id),
                status_code: "20",
                status_label: "オーソリOK",
                state: "authorized",
                amount,
            }),
            None,
            now,
        )
        .await
        .unwrap();
}

/// The order numbers a list page shows, in order.
fn listed(html: &str) -> Vec<String> {
    let table = common::between(html, "id=\"orders\"", "</table>");
    table
        .split("<td><a href=\"/admin/orders/")
        .skip(1)
        .map(|s| {
            let start = s.find('>').unwrap() + 1;
            s[start..start + s[start..].find('<').unwrap()].to_owned()
        })
        .collect()
}

#[tokio::test]
async fn the_order_list_searches_and_filters_through_the_query_string_and_pages() {
    // Arrange: four orders on two days, one paid by convenience store and shipped, one with
    // a payment id.
    let app = TestApp::demo().await;
    let day1 = DateTime::parse_from_rfc3339("2025-03-01T10:00:00+09:00")
        .unwrap()
        .with_timezone(&Utc);
    let day2 = day1 + Duration::days(1);
    let a = create(
        &app,
        &order("A-001", "山田", "太郎", "Taro@Example.jp"),
        day1,
    )
    .await;
    let b = create(
        &app,
        &order("A-002", "佐藤", "花子", "hanako@example.jp"),
        day1,
    )
    .await;
    let c = create(
        &app,
        &order("A-003", "山田", "次郎", "jiro@example.jp"),
        day2,
    )
    .await;
    let conv = app.payment_method("paygent_conv").await;
    let mut d_order = order("A-004", "鈴木", "一郎", "ichiro@example.jp");
    d_order.payment_method_id = Some(conv);
    d_order.payment_method_name = "コンビニ決済".into();
    d_order.receipt_status = "unpaid".into();
    d_order.order_status = "shipped".into();
    let d = create(&app, &d_order, day2).await;
    attach_payment(&app, b, "29945860", 6360).await;
    app.login().await;

    // Act / Assert: each search and filter.
    let cases: Vec<(String, Vec<&str>)> = vec![
        ("keyword=A-002".into(), vec!["A-002"]),
        ("keyword=山田+次郎".into(), vec!["A-003"]),
        (
            "keyword=ヤマダ".into(),
            vec!["A-004", "A-003", "A-002", "A-001"],
        ),
        ("keyword=taro%40example".into(), vec!["A-001"]),
        ("keyword=2994586".into(), vec!["A-002"]),
        ("from=2025-03-02".into(), vec!["A-004", "A-003"]),
        ("to=2025-03-01".into(), vec!["A-002", "A-001"]),
        (
            "from=2025-03-01&to=2025-03-01&keyword=山田".into(),
            vec!["A-001"],
        ),
        ("order_status=shipped".into(), vec!["A-004"]),
        ("receipt_status=unpaid".into(), vec!["A-004"]),
        (format!("payment_method={conv}"), vec!["A-004"]),
        ("keyword=%25".into(), vec![]),
    ];
    for (query, expected) in cases {
        let (status, html) = app.page(&format!("/admin/orders?{query}")).await;
        assert_eq!(status, 200, "{query}");
        assert_eq!(listed(&html), expected, "{query}");
    }
    let _ = (a, c, d);

    // The form keeps what was searched; the list shows the provider status beside the id.
    let (_, html) = app
        .page("/admin/orders?keyword=2994586&order_status=new")
        .await;
    assert!(html.contains("value=\"2994586\""), "{html}");
    assert!(html.contains("<option value=\"new\" selected>新規受付</option>"));
    let row = common::between(&html, &format!("id=\"order-{b}\""), "</tr>");
    assert!(
        row.contains("29945860") && row.contains("オーソリOK") && row.contains("新規受付"),
        "{row}"
    );
    assert!(
        row.contains("決済金額 6,360"),
        "the total and the payment amount disagree: {row}"
    );

    // A wrong date is named and does not filter.
    let (_, html) = app.page("/admin/orders?from=2025-13-01").await;
    assert!(
        html.contains("期間の開始日は「2025-01-31」の形式で入力してください"),
        "{html}"
    );
    assert_eq!(listed(&html).len(), 4);

    // Paging keeps the filters.
    for i in 0..50 {
        create(
            &app,
            &order(&format!("P-{i:03}"), "山田", "三郎", "p@example.jp"),
            day2,
        )
        .await;
    }
    let (_, html) = app.page("/admin/orders?keyword=ヤマダ").await;
    assert!(html.contains("54 件"), "{html}");
    assert_eq!(listed(&html).len(), 50);
    assert!(
        html.contains("?keyword=%E3%83%A4%E3%83%9E%E3%83%80&amp;page=2"),
        "the next page keeps the keyword: {html}"
    );
    let (_, html) = app
        .page("/admin/orders?keyword=%E3%83%A4%E3%83%9E%E3%83%80&page=2")
        .await;
    assert_eq!(listed(&html), vec!["A-004", "A-003", "A-002", "A-001"]);
}

#[tokio::test]
async fn the_bulk_status_change_updates_only_the_ticked_orders_in_one_audited_step() {
    let app = TestApp::demo().await;
    let now = app.state.clock.now();
    let a = create(&app, &order("B-001", "山田", "太郎", "a@example.jp"), now).await;
    let b = create(&app, &order("B-002", "山田", "花子", "b@example.jp"), now).await;
    let c = create(&app, &order("B-003", "山田", "次郎", "c@example.jp"), now).await;
    app.login().await;
    let csrf = app.csrf().await;

    let (a_id, b_id) = (a.to_string(), b.to_string());
    let r = app
        .post_form(
            "/admin/orders/bulk",
            &[
                ("csrf", &csrf),
                ("query", "keyword=山田"),
                ("id", &a_id),
                ("id", &b_id),
                ("bulk_status", "shipped"),
            ],
        )
        .await;
    assert_eq!(
        location(&r),
        "/admin/orders?keyword=%E5%B1%B1%E7%94%B0",
        "back to the same filtered list"
    );
    let (_, html) = app.follow(r).await;
    assert!(
        html.contains("2件の受注の対応状況を「発送済み」に更新しました。"),
        "{html}"
    );
    let status = |id| {
        let store = app.state.store.clone();
        async move { store.order(id).await.unwrap().unwrap().order_status }
    };
    assert_eq!(status(a).await, "shipped");
    assert_eq!(status(b).await, "shipped");
    assert_eq!(status(c).await, "new");
    let audit = &app.state.store.audit_entries(1).await.unwrap()[0];
    assert_eq!(audit.action, "対応状況を一括変更（発送済み）");
    assert_eq!(audit.detail, "B-001, B-002");

    // Nothing ticked, or no status: nothing changes.
    let r = app
        .post_form(
            "/admin/orders/bulk",
            &[("csrf", &csrf), ("bulk_status", "cancelled")],
        )
        .await;
    let (_, html) = app.follow(r).await;
    assert!(html.contains("一括操作する受注にチェックを入れてください。"));
    let c_id = c.to_string();
    let r = app
        .post_form("/admin/orders/bulk", &[("csrf", &csrf), ("id", &c_id)])
        .await;
    let (_, html) = app.follow(r).await;
    assert!(html.contains("一括操作の対応状況を選択してください。"));
    assert_eq!(status(c).await, "new");

    // Without the CSRF token the request is refused.
    let r = app
        .post_form(
            "/admin/orders/bulk",
            &[("id", &c_id), ("bulk_status", "shipped")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 403);
    assert_eq!(status(c).await, "new");

    // Cancelling in bulk leaves the payments alone and says which are still open.
    attach_payment(&app, c, "11112222", 6160).await;
    let r = app
        .post_form(
            "/admin/orders/bulk",
            &[
                ("csrf", &csrf),
                ("id", &a_id),
                ("id", &c_id),
                ("bulk_status", "cancelled"),
            ],
        )
        .await;
    let (_, html) = app.follow(r).await;
    assert!(
        html.contains("2件の受注の対応状況を「キャンセル」に更新しました。 決済は取り消されていません（注文番号 B-003）。"),
        "{html}"
    );
    assert_eq!(status(c).await, "cancelled");
}

/// A downloaded CSV decoded from CP932 into rows of fields (quoted fields may hold commas,
/// doubled quotes and line breaks).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    rows
}

async fn download(app: &TestApp, path: &str) -> (String, String, Vec<Vec<String>>) {
    let r = app.get(path).await;
    assert_eq!(r.status().as_u16(), 200, "{path}");
    let header = |name: &str| {
        r.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let (content_type, disposition) = (header("content-type"), header("content-disposition"));
    let bytes = r.bytes().await.unwrap();
    let (text, _, malformed) = SHIFT_JIS.decode(&bytes);
    assert!(!malformed, "the file is CP932");
    assert!(text.ends_with("\r\n"), "CRLF line ends");
    (content_type, disposition, parse_csv(&text))
}

#[tokio::test]
async fn the_csv_exports_are_cp932_follow_the_filter_and_quote_what_needs_quoting() {
    let app = TestApp::demo().await;
    let at = DateTime::parse_from_rfc3339("2025-03-01T23:30:05+09:00")
        .unwrap()
        .with_timezone(&Utc);
    let mut tricky = order("C-001", "髙橋", "太郎", "c1@example.jp");
    tricky.note = "のしは\"寿\",\n二重包装".into();
    tricky.buyer.address2 = "=HYPERLINK(\"x\")".into();
    let first = create(&app, &tricky, at).await;
    attach_payment(&app, first, "12345678", 5360).await;
    let mut other = order("C-002", "佐藤", "花子", "c2@example.jp");
    other.order_status = "cancelled".into();
    create(&app, &other, at).await;
    app.login().await;

    // 受注リスト出力: one row per order of the current filter.
    let (content_type, disposition, rows) =
        download(&app, "/admin/orders/export?order_status=new&list=orders").await;
    assert_eq!(content_type, "text/csv; charset=Shift_JIS");
    let today = app
        .state
        .clock
        .now()
        .with_timezone(&kessai::clock::jst())
        .format("%Y%m%d")
        .to_string();
    assert_eq!(
        disposition,
        format!("attachment; filename=\"orders_{today}.csv\"")
    );
    assert_eq!(rows.len(), 2, "header and the one new order: {rows:?}");
    let header = &rows[0];
    assert_eq!(
        &header[..8],
        &[
            "注文番号",
            "受注日時",
            "対応状況",
            "入金状況",
            "支払方法",
            "決済種別",
            "決済ID",
            "決済状況"
        ]
    );
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let row = &rows[1];
    assert_eq!(row[col("注文番号")], "C-001");
    assert_eq!(row[col("受注日時")], "2025/03/01 23:30:05", "Asia/Tokyo");
    assert_eq!(row[col("対応状況")], "新規受付");
    assert_eq!(row[col("決済ID")], "12345678");
    assert_eq!(row[col("決済状況")], "オーソリOK");
    assert_eq!(row[col("決済金額")], "5360");
    assert_eq!(row[col("総合計金額")], "6160", "an integer, no separators");
    assert_eq!(
        row[col("姓")],
        "髙橋",
        "a CP932 extension character survives"
    );
    assert_eq!(row[col("備考")], "のしは\"寿\",\n二重包装");
    assert_eq!(
        row[col("建物名")],
        "'=HYPERLINK(\"x\")",
        "a formula-like text stays text"
    );

    // 受注明細リスト出力: one row per item line.
    let (_, disposition, rows) = download(&app, "/admin/orders/export?list=items").await;
    assert_eq!(
        disposition,
        format!("attachment; filename=\"order_items_{today}.csv\"")
    );
    assert_eq!(
        rows[0],
        [
            "注文番号",
            "受注日時",
            "対応状況",
            "姓",
            "名",
            "商品コード",
            "商品名",
            "単価",
            "数量",
            "金額",
            "総合計金額"
        ]
    );
    let lines: Vec<(&str, &str, &str, &str)> = rows[1..]
        .iter()
        .map(|r| (r[0].as_str(), r[5].as_str(), r[8].as_str(), r[9].as_str()))
        .collect();
    assert_eq!(
        lines,
        [
            ("C-002", "A", "2", "2160"),
            ("C-002", "B", "1", "3300"),
            ("C-001", "A", "2", "2160"),
            ("C-001", "B", "1", "3300"),
        ]
    );

    // The export links on the list carry the filter.
    let (_, html) = app.page("/admin/orders?order_status=new").await;
    assert!(html.contains("href=\"/admin/orders/export?order_status=new&list=orders\""));
}

/// Pays a demo checkout by card (authorization only) and returns its order id and payment id.
async fn paid_order(app: &TestApp) -> (i64, i64) {
    let payment = app.card_payment().await;
    (payment.order_id.unwrap(), payment.id)
}

async fn submit(app: &TestApp, path: &str, fields: &[(String, String)]) -> reqwest::Response {
    app.post_form(path, &common::as_pairs(fields)).await
}

#[tokio::test]
async fn an_invalid_order_edit_names_each_field_keeps_the_input_and_changes_nothing() {
    let app = TestApp::demo().await;
    let id = create(
        &app,
        &order("E-001", "山田", "太郎", "e@example.jp"),
        app.state.clock.now(),
    )
    .await;
    let before = app.state.store.order(id).await.unwrap().unwrap();
    app.login().await;
    let audit_before = app.state.store.audit_entries(100).await.unwrap().len();
    let mut fields = edit_form(&app, id).await;
    set(&mut fields, "email", "not-an-address");
    set(&mut fields, "family_kana", "やまだ");
    set(&mut fields, "postal_code", "12-345");
    set(&mut fields, "phone", "12345");
    set(&mut fields, "shipping_fee", "-100");
    set(&mut fields, "items[1].quantity", "0");
    set(&mut fields, "tracking_number", "１２３");
    set(&mut fields, "family_name", "山本");
    set(&mut fields, "items[0].product_name", "湯呑み①");
    set(&mut fields, "note", "壊れた\u{FFFD}文字");

    let r = submit(&app, &format!("/admin/orders/{id}"), &fields).await;

    assert_eq!(r.status().as_u16(), 422);
    let html = r.text().await.unwrap();
    for message in [
        "商品名に使用できない文字（機種依存文字など）が含まれています: 「①」",
        "備考に使用できない文字が含まれています",
        "メールアドレスを正しく入力してください",
        "セイは全角カタカナで入力してください",
        "郵便番号は7桁の半角数字で入力してください",
        "電話番号は半角数字10桁または11桁で入力してください",
        "送料は0以上の整数を半角数字で入力してください",
        "数量は1から999までで入力してください",
        "送り状番号は半角英数字とハイフンで30文字以内で入力してください",
    ] {
        assert!(html.contains(message), "{message} in {html}");
    }
    assert!(
        html.contains("id=\"error-items-1-quantity\""),
        "the error sits at the line's quantity"
    );
    assert!(html.contains("value=\"山本\""), "the input is kept");
    assert!(html.contains("value=\"やまだ\""));
    let after = app.state.store.order(id).await.unwrap().unwrap();
    assert_eq!(after.buyer.family_name, before.buyer.family_name);
    assert_eq!(after.updated_at, before.updated_at);
    assert_eq!(app.state.store.order_items(id).await.unwrap().len(), 2);
    assert_eq!(
        app.state.store.audit_entries(100).await.unwrap().len(),
        audit_before
    );

    // Removing every line is refused too.
    let mut fields = edit_form(&app, id).await;
    set(&mut fields, "items[0].remove", "1");
    set(&mut fields, "items[1].remove", "1");
    let r = submit(&app, &format!("/admin/orders/{id}"), &fields).await;
    assert_eq!(r.status().as_u16(), 422);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("商品を1つ以上残してください"));
}

#[tokio::test]
async fn a_valid_order_edit_saves_every_field_and_its_lines_with_an_audit_entry() {
    let app = TestApp::demo().await;
    let id = create(
        &app,
        &order("E-002", "山田", "太郎", "e@example.jp"),
        app.state.clock.now(),
    )
    .await;
    let product = app.state.store.products().await.unwrap()[0].clone();
    app.login().await;
    let mut fields = edit_form(&app, id).await;
    for (name, value) in [
        ("email", "new@example.jp"),
        ("family_name", "山本"),
        ("given_name", "一郎"),
        ("family_kana", "ヤマモト"),
        ("given_kana", "イチロウ"),
        ("postal_code", "5300001"),
        ("prefecture", "大阪府"),
        ("address1", "大阪市北区梅田1-1"),
        ("address2", "梅田ビル3F"),
        ("phone", "06-1234-5678"),
        ("carrier", "sagawa"),
        ("tracking_number", "1234-5678-9012"),
        ("order_status", "backordered"),
        ("receipt_status", "paid"),
        ("shipping_fee", "1,000"),
        ("fee", "330"),
        ("discount", "0"),
        ("note", "午前中指定\r\n置き配可"),
        ("items[0].unit_price", "1000"),
        ("items[0].quantity", "3"),
        ("items[1].remove", "1"),
        ("new_product_code", &product.code),
        ("new_quantity", "2"),
    ] {
        set(&mut fields, name, value);
    }

    let r = submit(&app, &format!("/admin/orders/{id}"), &fields).await;

    let (_, html) = app.follow(r).await;
    assert!(html.contains("受注データを更新しました。"), "{html}");
    let o = app.state.store.order(id).await.unwrap().unwrap();
    assert_eq!(
        (
            o.buyer.email.as_str(),
            o.buyer.family_name.as_str(),
            o.buyer.given_kana.as_str(),
            o.buyer.postal_code.as_str(),
            o.buyer.prefecture.as_str(),
            o.buyer.address2.as_str(),
            o.buyer.phone.as_str(),
            o.carrier.as_str(),
            o.tracking_number.as_deref(),
            o.order_status.as_str(),
            o.receipt_status.as_str(),
            o.note.as_str(),
        ),
        (
            "new@example.jp",
            "山本",
            "イチロウ",
            "530-0001",
            "大阪府",
            "梅田ビル3F",
            "06-1234-5678",
            "sagawa",
            Some("1234-5678-9012"),
            "backordered",
            "paid",
            "午前中指定\n置き配可",
        )
    );
    let items: Vec<(String, i64, i64)> = app
        .state
        .store
        .order_items(id)
        .await
        .unwrap()
        .into_iter()
        .map(|i| (i.product_code, i.unit_price, i.quantity))
        .collect();
    assert_eq!(
        items,
        [
            ("A".to_owned(), 1000, 3),
            (product.code.clone(), product.price, 2)
        ]
    );
    assert_eq!(o.subtotal, 3000 + product.price * 2);
    assert_eq!(o.total, o.subtotal + 1000 + 330);
    let audit = &app.state.store.audit_entries(1).await.unwrap()[0];
    assert_eq!(
        (audit.action.as_str(), audit.target.as_str()),
        ("受注データを更新", format!("order:{id}").as_str())
    );
    assert!(
        audit.detail.contains("対応状況 新規受付→取り寄せ中")
            && audit.detail.contains("送り状番号")
            && audit.detail.contains("商品"),
        "{}",
        audit.detail
    );

    // A form loaded before another change is not saved over it silently.
    let stale = edit_form(&app, id).await;
    app.state
        .store
        .set_order_status(id, "shipped", app.state.clock.now() + Duration::seconds(1))
        .await
        .unwrap();
    let mut fields = stale.clone();
    set(&mut fields, "given_name", "二郎");
    let r = submit(&app, &format!("/admin/orders/{id}"), &fields).await;
    assert_eq!(r.status().as_u16(), 409);
    assert!(r.text().await.unwrap().contains("他の操作で更新されたため"));
    let o = app.state.store.order(id).await.unwrap().unwrap();
    assert_eq!(
        (o.buyer.given_name.as_str(), o.order_status.as_str()),
        ("一郎", "shipped")
    );
}

#[tokio::test]
async fn cancelling_an_order_offers_the_provider_cancel_which_runs_only_when_confirmed() {
    let app = TestApp::demo().await;
    let (order_id, payment_id) = paid_order(&app).await;
    app.login().await;
    let page = format!("/admin/orders/{order_id}");
    let (_, html) = app.page(&page).await;
    assert!(
        !html.contains("id=\"payment-offer\""),
        "nothing to offer yet"
    );

    let mut fields = edit_form(&app, order_id).await;
    set(&mut fields, "order_status", "cancelled");
    let r = submit(&app, &page, &fields).await;
    let (_, html) = app.follow(r).await;

    // Saving the order did not touch the payment; the page offers キャンセル処理.
    let payment = app.payment(payment_id).await;
    assert_eq!(payment.provider_status_label.as_deref(), Some("オーソリOK"));
    assert_eq!(
        app.history(payment_id).await.len(),
        2,
        "no provider call was made"
    );
    let offer = common::between(&html, "id=\"payment-offer\"", "</div>");
    assert!(
        offer.contains("決済は自動では取り消されない") && offer.contains("キャンセル処理"),
        "{offer}"
    );
    assert!(offer.contains("name=\"operation\" value=\"cancel\""));
    assert!(offer.contains("data-confirm=\""), "asks before calling");

    // The operator confirms: the provider cancels.
    let csrf = app.csrf().await;
    let r = app
        .post_form(
            &format!("{page}/payment"),
            &[("csrf", &csrf), ("operation", "cancel")],
        )
        .await;
    assert!(
        location(&r).ends_with("#payment"),
        "the page opens at 決済情報"
    );
    let (_, html) = app.follow(r).await;
    let block = common::between(&html, "id=\"payment\"", "</section>");
    assert!(
        block.contains("キャンセル処理を行いました。決済状況: オーソリ取消済"),
        "the result is shown in 決済情報: {html}"
    );
    assert!(
        !block.contains("受注の対応状況は変わっていません"),
        "the order is キャンセル"
    );
    assert!(
        !html.contains("id=\"payment-offer\""),
        "nothing left to offer"
    );
    let payment = app.payment(payment_id).await;
    assert_eq!(payment.state, "cancelled");
}

#[tokio::test]
async fn changing_the_total_offers_the_amount_change_with_the_new_total_prefilled() {
    let app = TestApp::demo().await;
    let (order_id, payment_id) = paid_order(&app).await;
    app.login().await;
    let page = format!("/admin/orders/{order_id}");
    let mut fields = edit_form(&app, order_id).await;
    set(&mut fields, "items[0].unit_price", "900");
    set(&mut fields, "shipping_fee", "80");

    let r = submit(&app, &page, &fields).await;

    let (_, html) = app.follow(r).await;
    let total = 900 + 80;
    let order = app.state.store.order(order_id).await.unwrap().unwrap();
    assert_eq!(order.total, total);
    assert_eq!(
        app.payment(payment_id).await.amount,
        1080,
        "the provider was not called"
    );
    let offer = common::between(&html, "id=\"payment-offer\"", "</div>");
    assert!(
        offer.contains("決済金額を980円に変更する場合は[金額変更]を押してください"),
        "{offer}"
    );
    assert!(
        offer.contains("id=\"payment-offer-amount\" value=\"980\""),
        "{offer}"
    );
    let (_, list) = app.page("/admin/orders").await;
    assert!(
        list.contains("(決済金額 1,080)"),
        "the list flags the drift"
    );

    let csrf = app.csrf().await;
    let r = app
        .post_form(
            &format!("{page}/payment"),
            &[
                ("csrf", &csrf),
                ("operation", "change_amount"),
                ("amount", "980"),
            ],
        )
        .await;
    let (_, html) = app.follow(r).await;
    assert!(html.contains("金額変更を行いました。"), "{html}");
    let payment = app.payment(payment_id).await;
    assert_eq!(payment.amount, total);
    assert!(!html.contains("id=\"payment-offer\""));
}

fn payment_error<'a>(
    link_key: &'a str,
    code: &'a str,
    order_id: Option<i64>,
) -> NewPaymentError<'a> {
    NewPaymentError {
        provider: "paygent",
        settlement_kind: "paygent_card",
        link_key,
        order_id,
        status_code: code,
        message: "カードの承認が得られませんでした",
        detail: "response_code=2001\nresponse_detail=card ************0002",
    }
}

#[tokio::test]
async fn the_payment_error_log_pages_shows_details_exports_and_deletes_until_the_banner_goes() {
    let app = TestApp::demo().await;
    let order_id = create(
        &app,
        &order("L-001", "山田", "太郎", "l@example.jp"),
        app.state.clock.now(),
    )
    .await;
    let store = &app.state.store;
    let now = app.state.clock.now();
    let first = store
        .record_payment_error(&payment_error("LKORDER", "2001", Some(order_id)), now)
        .await
        .unwrap();
    for i in 0..55 {
        store
            .record_payment_error(&payment_error(&format!("LK{i}"), "P006", None), now)
            .await
            .unwrap();
    }
    app.login().await;

    // Paging.
    let (_, html) = app.page("/admin/payment-errors").await;
    assert!(html.contains("56 件") && html.contains("1 / 2"), "{html}");
    assert!(!html.contains(&format!("id=\"payment-error-{first}\"")));
    let (_, html) = app.page("/admin/payment-errors?page=2").await;
    assert!(html.contains(&format!("id=\"payment-error-{first}\"")));

    // Detail: every field, the link key leading to its order.
    let (status, html) = app.page(&format!("/admin/payment-errors/{first}")).await;
    assert_eq!(status, 200);
    let detail = common::between(&html, "id=\"payment-error\"", "</table>");
    for text in [
        "ペイジェント",
        "カード決済(ペイジェント)",
        "2001",
        "カードの承認が得られませんでした",
        "response_detail=card ************0002",
        &shown(now),
        &format!("href=\"/admin/orders/{order_id}\">LKORDER</a>"),
    ] {
        assert!(detail.contains(text), "{text} in {detail}");
    }

    // 詳細ログ出力 of the ticked entry, then of all.
    let csrf = app.csrf().await;
    let first_id = first.to_string();
    let r = app
        .post_form(
            "/admin/payment-errors/export",
            &[("csrf", &csrf), ("scope", "selected"), ("id", &first_id)],
        )
        .await;
    assert_eq!(r.status().as_u16(), 200);
    assert!(r
        .headers()
        .get("content-disposition")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("attachment; filename=\"payment_errors_"));
    let text = r.text().await.unwrap();
    assert!(
        text.contains("リンクキー: LKORDER")
            && text.contains("ステータス: 2001")
            && text.contains("詳細: response_code=2001\r\nresponse_detail=card ************0002"),
        "{text}"
    );
    assert_eq!(text.matches("リンクキー: ").count(), 1);
    let r = app
        .post_form(
            "/admin/payment-errors/export",
            &[("csrf", &csrf), ("scope", "all")],
        )
        .await;
    assert_eq!(r.text().await.unwrap().matches("リンクキー: ").count(), 56);

    // Delete the ticked one, then the rest; the banner goes with the last.
    let r = app
        .post_form(
            "/admin/payment-errors/delete",
            &[("csrf", &csrf), ("scope", "selected"), ("id", &first_id)],
        )
        .await;
    let (_, html) = app.follow(r).await;
    assert!(html.contains("決済エラーログを1件削除しました。"));
    assert!(
        !html.contains("id=\"payment-error-banner\""),
        "not on the log itself"
    );
    let (_, dashboard) = app.page("/admin").await;
    assert!(dashboard.contains("決済エラーが発生しました（未確認 55件）"));
    // 確認済みにする: the banner counts what is left.
    let second = store.payment_errors(1).await.unwrap()[0].id.to_string();
    let r = app
        .post_form(
            "/admin/payment-errors/confirm",
            &[("csrf", &csrf), ("scope", "selected"), ("id", &second)],
        )
        .await;
    let (_, html) = app.follow(r).await;
    assert!(
        html.contains("決済エラーログを1件確認済みにしました。"),
        "{html}"
    );
    assert!(html.contains("確認済み</td>"));
    let (_, dashboard) = app.page("/admin").await;
    assert!(dashboard.contains("決済エラーが発生しました（未確認 54件）"));
    let r = app
        .post_form(
            "/admin/payment-errors/confirm",
            &[("csrf", &csrf), ("scope", "all")],
        )
        .await;
    let (_, html) = app.follow(r).await;
    assert!(
        html.contains("決済エラーログを54件確認済みにしました。"),
        "{html}"
    );
    let (_, dashboard) = app.page("/admin").await;
    assert!(!dashboard.contains("id=\"payment-error-banner\""));
    assert!(store.payment_error(first).await.unwrap().is_none());
    let r = app
        .post_form(
            "/admin/payment-errors/delete",
            &[("csrf", &csrf), ("scope", "selected")],
        )
        .await;
    let (_, html) = app.follow(r).await;
    assert!(html.contains("削除する決済エラーログにチェックを入れてください。"));
    assert_eq!(store.payment_error_count().await.unwrap(), 55);
    let r = app
        .post_form(
            "/admin/payment-errors/delete",
            &[("csrf", &csrf), ("scope", "all")],
        )
        .await;
    let (_, html) = app.follow(r).await;
    assert!(html.contains("決済エラーログを55件削除しました。"));
    assert!(!html.contains("id=\"payment-error-banner\""));
    assert_eq!(
        app.page(&format!("/admin/payment-errors/{first}")).await.0,
        404
    );
}

async fn turn_recovery(app: &TestApp, value: &str) {
    let csrf = app.csrf().await;
    let r = app
        .post_form(
            "/admin/system",
            &[("csrf", &csrf), ("prepayment_log_recovery", value)],
        )
        .await;
    let (_, html) = app.follow(r).await;
    assert!(html.contains("システム設定を更新しました。"), "{html}");
}

#[tokio::test]
async fn pre_payment_logs_are_refused_until_the_system_setting_turns_them_on() {
    let app = TestApp::demo().await;
    let started = app.start_checkout(None).await;
    app.login().await;
    let (_, html) = app.page("/admin/system").await;
    assert!(html.contains("決済直前ログより受注データ再作成"));
    assert!(html.contains("value=\"off\" id=\"prepayment_log_recovery-off\" checked"));

    let (_, orders) = app.page("/admin/orders").await;
    assert!(!orders.contains("決済直前ログ一覧"));
    assert_eq!(app.page("/admin/prepayment-logs").await.0, 404);
    let detail = format!("/admin/prepayment-logs/{}", started.link_key);
    assert_eq!(app.page(&detail).await.0, 404);
    let csrf = app.csrf().await;
    let r = app
        .post_form(
            &format!("{detail}/register"),
            &[("csrf", &csrf), ("order_time", "now")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 404);
    assert_eq!(
        app.state
            .store
            .prepayment_log(&started.link_key)
            .await
            .unwrap()
            .unwrap()
            .order_id,
        None
    );
    let r = app
        .post_form(
            "/admin/system",
            &[("csrf", &csrf), ("prepayment_log_recovery", "maybe")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 422);

    turn_recovery(&app, "on").await;

    let (_, orders) = app.page("/admin/orders").await;
    assert!(orders
        .contains("href=\"/admin/prepayment-logs\" id=\"prepayment-logs\">決済直前ログ一覧</a>"));
    assert_eq!(app.page("/admin/prepayment-logs").await.0, 200);
    assert_eq!(app.page(&detail).await.0, 200);

    turn_recovery(&app, "off").await;
    assert_eq!(app.page("/admin/prepayment-logs").await.0, 404);
}

#[tokio::test]
async fn a_lost_order_is_registered_from_its_pre_payment_log_once_with_the_chosen_order_time() {
    let app = TestApp::demo().await;
    let logged = app.start_checkout(None).await;
    let logged_at = app.state.clock.now();
    app.state.clock.advance(Duration::hours(3)).unwrap();
    let other = app.start_checkout(None).await;
    app.state.clock.advance(Duration::hours(2)).unwrap();
    app.login().await;
    turn_recovery(&app, "on").await;

    // 決済直前ログ一覧 with ログ検索.
    let (_, html) = app.page("/admin/prepayment-logs").await;
    let list = common::between(&html, "id=\"prepayment-logs\"", "</table>");
    assert!(
        list.contains(&logged.link_key) && list.contains(&other.link_key),
        "{list}"
    );
    assert!(list.contains("山田 太郎") && list.contains("カード決済(ペイジェント)"));
    let (_, html) = app
        .page(&format!(
            "/admin/prepayment-logs?keyword={}",
            logged.link_key
        ))
        .await;
    let list = common::between(&html, "id=\"prepayment-logs\"", "</table>");
    assert!(list.contains(&logged.link_key) && !list.contains(&other.link_key));
    let (_, html) = app.page("/admin/prepayment-logs?keyword=山田太郎").await;
    assert!(
        html.contains(&other.link_key),
        "the name matches without the space"
    );

    // 決済直前ログ詳細: every captured field.
    let detail = format!("/admin/prepayment-logs/{}", logged.link_key);
    let (_, html) = app.page(&detail).await;
    for text in [
        "buyer@example.jp",
        "ヤマダ タロウ",
        "100-0001",
        "東京都",
        "千代田区千代田1-1",
        "03-1234-5678",
        "DEMO-TEA-01",
        "カード決済(ペイジェント)",
        "受注日時に登録日を設定",
        "受注日時に現在の時刻を設定",
        &shown(logged_at),
    ] {
        assert!(html.contains(text), "{text} in {html}");
    }
    assert!(common::between(&html, "id=\"log-total\"", "</td>").contains("1,080"));

    // 受注データ登録 with 受注日時に登録日を設定.
    let csrf = app.csrf().await;
    let register = |link_key: String, time: &'static str| {
        let csrf = csrf.clone();
        let app = &app;
        async move {
            app.post_form(
                &format!("/admin/prepayment-logs/{link_key}/register"),
                &[("csrf", csrf.as_str()), ("order_time", time)],
            )
            .await
        }
    };
    let r = register(logged.link_key.clone(), "logged").await;
    let order_page = location(&r);
    let order_id: i64 = order_page.rsplit('/').next().unwrap().parse().unwrap();
    let (_, html) = app.follow(r).await;
    assert!(
        html.contains("決済直前ログから受注データを登録しました。"),
        "{html}"
    );
    let order = app.state.store.order(order_id).await.unwrap().unwrap();
    let log = app
        .state
        .store
        .prepayment_log(&logged.link_key)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(order.created_at, log.created_at, "受注日時 is the log's");
    assert_eq!(log.order_id, Some(order_id));
    assert_eq!(order.receipt_status, "none", "a card has no 入金状況");
    assert_eq!(order.total, 1080);
    let audit = &app.state.store.audit_entries(1).await.unwrap()[0];
    assert_eq!(audit.action, "決済直前ログから受注データ登録");
    assert!(audit.detail.contains(&logged.link_key));

    // A second click shows the same order.
    let r = register(logged.link_key.clone(), "now").await;
    assert_eq!(location(&r), order_page);
    let (_, html) = app.follow(r).await;
    assert!(html.contains("この決済直前ログの受注データは登録済みです。"));
    assert_eq!(
        app.state
            .store
            .order_count(&OrderFilter::default())
            .await
            .unwrap(),
        1
    );
    let (_, html) = app.page(&detail).await;
    assert!(!html.contains("id=\"register-form\""));

    // 受注日時に現在の時刻を設定.
    let before = app.state.clock.now();
    let r = register(other.link_key.clone(), "now").await;
    let after = app.state.clock.now();
    let id: i64 = location(&r).rsplit('/').next().unwrap().parse().unwrap();
    let order = app.state.store.order(id).await.unwrap().unwrap();
    assert!(
        before <= order.created_at && order.created_at <= after,
        "受注日時 is the time of the registration, not the log's (2 hours earlier)"
    );

    // ログ削除 refuses logs that became orders.
    let third = app.start_checkout(None).await;
    let r = app
        .post_form(
            "/admin/prepayment-logs/delete",
            &[
                ("csrf", csrf.as_str()),
                ("link_key", logged.link_key.as_str()),
                ("link_key", third.link_key.as_str()),
            ],
        )
        .await;
    let (_, html) = app.follow(r).await;
    assert!(
        html.contains(
            "決済直前ログを1件削除しました。受注データが登録されたログ1件は削除できません。"
        ),
        "{html}"
    );
    let store = &app.state.store;
    assert!(store
        .prepayment_log(&logged.link_key)
        .await
        .unwrap()
        .is_some());
    assert!(store
        .prepayment_log(&third.link_key)
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn a_recovered_convenience_store_payment_starts_unpaid() {
    let app = TestApp::demo().await;
    let started = app.start_checkout_paid_by("paygent_conv").await;
    app.login().await;
    turn_recovery(&app, "on").await;
    let csrf = app.csrf().await;

    let r = app
        .post_form(
            &format!("/admin/prepayment-logs/{}/register", started.link_key),
            &[("csrf", &csrf), ("order_time", "now")],
        )
        .await;

    let id: i64 = location(&r).rsplit('/').next().unwrap().parse().unwrap();
    let order = app.state.store.order(id).await.unwrap().unwrap();
    assert_eq!(order.receipt_status, "unpaid");
    let (_, html) = app.follow(r).await;
    assert!(
        html.contains("<option value=\"unpaid\" selected>未入金</option>"),
        "{html}"
    );
}

#[tokio::test]
async fn members_are_searched_and_edited_with_the_checkout_rules_and_a_unique_e_mail() {
    let app = TestApp::demo().await;
    let hanako = app.create_member("hanako@example.jp").await;
    let other = app.create_member("other@example.jp").await;
    app.login().await;

    for (query, expect_hanako, expect_other) in [
        ("keyword=HANAKO%40", true, false),
        (&format!("keyword={hanako}") as &str, true, false),
        ("keyword=山田+花子", true, true),
        ("keyword=nobody", false, false),
    ] {
        let (_, html) = app.page(&format!("/admin/members?{query}")).await;
        let list = common::between(&html, "id=\"members\"", "</table>");
        assert_eq!(
            list.contains(&format!("id=\"member-{hanako}\"")),
            expect_hanako,
            "{query}"
        );
        assert_eq!(
            list.contains(&format!("id=\"member-{other}\"")),
            expect_other,
            "{query}"
        );
    }

    let page = format!("/admin/members/{hanako}");
    let (_, html) = app.page(&page).await;
    let mut fields = form_fields(common::between(&html, "id=\"member-form\"", "</form>"));
    set(&mut fields, "email", "other@example.jp");
    set(&mut fields, "given_kana", "hanako");
    set(&mut fields, "family_name", "鈴木");
    let r = submit(&app, &page, &fields).await;
    assert_eq!(r.status().as_u16(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("このメールアドレスは他の会員が登録しています"),
        "{html}"
    );
    assert!(html.contains("メイは全角カタカナで入力してください"));
    assert!(html.contains("value=\"鈴木\""));
    let member = app.state.store.member(hanako).await.unwrap().unwrap();
    assert_eq!(
        (
            member.buyer.email.as_str(),
            member.buyer.family_name.as_str()
        ),
        ("hanako@example.jp", "山田")
    );

    set(&mut fields, "email", "suzuki@example.jp");
    set(&mut fields, "given_kana", "ハナコ");
    set(&mut fields, "prefecture", "北海道");
    set(&mut fields, "postal_code", "0600001");
    let r = submit(&app, &page, &fields).await;
    let (_, html) = app.follow(r).await;
    assert!(html.contains("会員データを更新しました。"), "{html}");
    let member = app.state.store.member(hanako).await.unwrap().unwrap();
    assert_eq!(
        (
            member.buyer.email.as_str(),
            member.buyer.family_name.as_str(),
            member.buyer.prefecture.as_str(),
            member.buyer.postal_code.as_str()
        ),
        ("suzuki@example.jp", "鈴木", "北海道", "060-0001")
    );
    let audit = &app.state.store.audit_entries(1).await.unwrap()[0];
    assert_eq!(audit.action, "会員データを更新");
    assert!(audit.detail.contains("メールアドレス") && audit.detail.contains("住所"));
}

#[tokio::test]
async fn ticking_the_card_removal_and_saving_removes_the_card_at_paygent_and_here() {
    let app = TestApp::demo().await;
    let member = app.create_member("card@example.jp").await;
    let started = app.start_checkout(Some(member)).await;
    let card = app.card_token("4900000000005678").await;
    let again = app.card_token("4900000000005678").await;
    app.post_card_form(
        &started.link_key,
        &[("card_json", &card), ("register_json", &again)],
    )
    .await;
    let stored = app
        .state
        .store
        .stored_cards(member, "paygent", "test")
        .await
        .unwrap();
    let client = app
        .state
        .payments
        .connector_of("paygent")
        .await
        .unwrap()
        .and_then(|c| match c {
            kessai::providers::Connector::Paygent(c) => Some(c),
            _ => None,
        })
        .unwrap()
        .client()
        .unwrap();
    assert_eq!(
        client
            .stored_cards(&stored[0].customer_id)
            .await
            .unwrap()
            .len(),
        1
    );
    app.login().await;
    let page = format!("/admin/members/{member}");
    let (_, html) = app.page(&page).await;
    let block = common::between(&html, "id=\"stored-cards\"", "</table>");
    assert!(
        block.contains("5678") && block.contains("12/30") && block.contains("登録あり"),
        "{block}"
    );
    assert!(
        block.contains("カード情報の登録を解除する") && !block.contains(" checked"),
        "unticked by default: {block}"
    );

    // Saving unticked keeps the card.
    let fields = form_fields(common::between(&html, "id=\"member-form\"", "</form>"));
    let r = submit(&app, &page, &fields).await;
    let (_, html) = app.follow(r).await;
    assert!(html.contains("変更された項目はありません。"), "{html}");
    assert_eq!(
        client
            .stored_cards(&stored[0].customer_id)
            .await
            .unwrap()
            .len(),
        1
    );

    // An invalid field stops the removal too.
    let mut fields = fields.clone();
    set(&mut fields, "remove_card", &stored[0].id.to_string());
    set(&mut fields, "phone", "abc");
    let r = submit(&app, &page, &fields).await;
    assert_eq!(r.status().as_u16(), 422);
    assert_eq!(
        client
            .stored_cards(&stored[0].customer_id)
            .await
            .unwrap()
            .len(),
        1
    );

    // Ticked and saved: removed at Paygent, then here.
    set(&mut fields, "phone", "03-1234-5678");
    let r = submit(&app, &page, &fields).await;
    let (_, html) = app.follow(r).await;
    assert!(html.contains("カード情報の登録を解除しました。"), "{html}");
    assert!(app
        .state
        .store
        .stored_cards(member, "paygent", "test")
        .await
        .unwrap()
        .is_empty());
    assert!(client
        .stored_cards(&stored[0].customer_id)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        app.state.store.audit_entries(1).await.unwrap()[0].action,
        "登録カードを解除"
    );
}
