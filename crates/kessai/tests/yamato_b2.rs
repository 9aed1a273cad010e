//! B2 (Yamato's slip software) from the 受注リスト: 「B2 出荷データ出力」 writes the ticked
//! orders as the spec's 97-column Shift_JIS file, the sandbox's stand-in for B2 gives it back
//! with 伝票番号, and 「B2 出荷データ取込」 (or `kessai b2-import`) ships and captures every
//! matched order, reporting the rest by line; a second import captures nothing twice.

mod common;

use chrono::Duration;
use common::yamato::{pay, Entry};
use common::{location, TestApp};
use encoding_rs::SHIFT_JIS;
use kessai::domain::payment::{Operation, PaymentState};
use kessai::providers::yamato::client::Client;
use sandbox::yamato::testcard;

const TRADER: &str = "888888709";

/// A demo checkout paid by Web Collect (与信), delivered by the demo's delivery method
/// `delivery` (0 宅急便, a クロネコヤマト配送; 1 ゆうパック) on `date` in `time`.
async fn paid(app: &TestApp, delivery: usize, date: &str, time: &str) -> kessai::store::Payment {
    let mut req = app.checkout_paid_by("yamato_card", None).await;
    req.delivery_method_id = app.state.store.delivery_methods().await.unwrap()[delivery].id;
    req.delivery_date = date.to_owned();
    req.delivery_time = time.to_owned();
    let started = app.start_checkout_of(&req).await;
    let r = pay(
        app,
        &started.link_key,
        &Entry::card(testcard::APPROVED_VISA),
    )
    .await;
    assert_eq!(r.status().as_u16(), 303, "{}", r.text().await.unwrap());
    app.payment(started.payment_id).await
}

async fn order(app: &TestApp, p: &kessai::store::Payment) -> kessai::store::Order {
    app.state
        .store
        .order(p.order_id.expect("an order"))
        .await
        .unwrap()
        .unwrap()
}

/// What Web Collect says of a 受注番号 (E04).
async fn at_yamato(app: &TestApp, order_no: &str) -> std::collections::BTreeMap<String, String> {
    Client::new(&app.url("/sandbox/yamato"), true, TRADER)
        .trade_info(order_no)
        .await
        .unwrap()
}

/// 「B2 出荷データ出力」 with the orders `ids` ticked.
async fn export(app: &TestApp, ids: &[i64]) -> reqwest::Response {
    let csrf = app.csrf().await;
    let ids: Vec<String> = ids.iter().map(i64::to_string).collect();
    let mut form = vec![("csrf", csrf.as_str()), ("query", "")];
    form.extend(ids.iter().map(|id| ("id", id.as_str())));
    app.post_form("/admin/orders/b2/export", &form).await
}

/// 「B2 出荷データ取込」 of `file`: the status and the page.
async fn import(app: &TestApp, file: &[u8]) -> (u16, String) {
    let csrf = app.csrf().await;
    let r = app
        .post_multipart(
            "/admin/orders/b2/import",
            &[("csrf", &csrf), ("query", "")],
            &[("file", "b2.csv", file)],
        )
        .await;
    let status = r.status().as_u16();
    (status, r.text().await.unwrap())
}

/// The file B2 gives back for `exported`, as the sandbox's stand-in issues it.
async fn issued_by_b2(app: &TestApp, exported: &[u8]) -> Vec<u8> {
    let r = app
        .post_multipart("/sandbox/yamato/b2", &[], &[("file", "b2.csv", exported)])
        .await;
    assert_eq!(r.status().as_u16(), 200);
    r.bytes().await.unwrap().to_vec()
}

fn decode(bytes: &[u8]) -> String {
    let (text, _, malformed) = SHIFT_JIS.decode(bytes);
    assert!(!malformed, "Shift_JIS");
    text.into_owned()
}

/// A B2 row (97 quoted cells) with お客様管理番号 and 伝票番号.
fn b2_row(order_number: &str, slip: &str) -> String {
    let mut cells = vec![String::new(); 97];
    cells[0] = order_number.to_owned();
    cells[3] = slip.to_owned();
    cells[4] = "2026/5/12".to_owned();
    cells
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(",")
}

fn cells(line: &str) -> Vec<String> {
    line.split("\",\"")
        .map(|c| c.trim_matches('"').to_owned())
        .collect()
}

/// The table row of `line` on the results page.
fn result_line(page: &str, line: usize) -> &str {
    common::between(page, &format!("id=\"b2-line-{line}\""), "</tr>")
}

#[tokio::test]
async fn b2_export_writes_the_ticked_orders_as_the_specs_97_columns_in_shift_jis() {
    let app = TestApp::demo().await;
    let in_three_days = (app.state.clock.now() + Duration::hours(9) + Duration::days(3))
        .format("%Y-%m-%d")
        .to_string();
    let first = paid(&app, 0, &in_three_days, "14時～16時").await;
    let second = paid(&app, 1, "", "午前中").await;
    let (first, second) = (order(&app, &first).await, order(&app, &second).await);
    app.login().await;

    let r = export(&app, &[first.id, second.id]).await;

    assert_eq!(r.status().as_u16(), 200);
    let today = (app.state.clock.now() + Duration::hours(9)).format("%Y%m%d");
    assert_eq!(
        r.headers()["content-disposition"],
        format!("attachment; filename=\"b2_{today}.csv\"").as_str()
    );
    assert_eq!(r.headers()["content-type"], "text/csv; charset=Shift_JIS");
    let text = decode(&r.bytes().await.unwrap());
    assert!(text.ends_with("\r\n"));
    assert_eq!(text.matches("\r\n").count(), text.matches('\n').count());
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3);
    assert!(lines.iter().all(|l| cells(l).len() == 97), "{text}");
    let delivery = in_three_days.replace('-', "/");
    let ship_date = (app.state.clock.now() + Duration::hours(9))
        .format("%Y/%m/%d")
        .to_string();
    let shown = text
        .replace("\r\n", "\n")
        .replace(&delivery, "<お届け予定日>")
        .replace(&ship_date, "<出荷予定日>")
        .replace(&first.order_number, "<注文番号1>")
        .replace(&second.order_number, "<注文番号2>");
    insta::assert_snapshot!("b2_export", shown);
}

#[tokio::test]
async fn b2_export_without_a_ticked_order_says_to_tick_one() {
    let app = TestApp::demo().await;
    app.login().await;

    let r = export(&app, &[]).await;

    assert_eq!(location(&r), "/admin/orders");
    let (_, page) = app.follow(r).await;
    assert!(
        page.contains("B2 出荷データ出力する受注にチェックを入れてから"),
        "{page}"
    );
}

#[tokio::test]
async fn the_order_list_offers_both_b2_buttons_and_the_sandboxs_b2() {
    let app = TestApp::demo().await;
    app.login().await;

    let (_, list) = app.page("/admin/orders").await;
    let (status, sandbox_page) = app.page("/sandbox/yamato/b2").await;

    assert!(list.contains("B2 出荷データ出力"), "{list}");
    assert!(list.contains("B2 出荷データ取込"), "{list}");
    assert_eq!(
        common::attr(&list, "id=\"b2-sandbox\"", "href"),
        app.url("/sandbox/yamato/b2")
    );
    assert_eq!(status, 200);
    assert!(sandbox_page.contains("enctype=\"multipart/form-data\""));
}

#[tokio::test]
async fn a_b2_file_ships_and_captures_its_orders_reports_the_rest_by_line_and_captures_once() {
    let app = TestApp::demo().await;
    let a = paid(&app, 0, "", "").await;
    let b = paid(&app, 1, "", "").await;
    let c = paid(&app, 0, "", "").await;
    let (order_a, order_b, order_c) = (
        order(&app, &a).await,
        order(&app, &b).await,
        order(&app, &c).await,
    );
    app.login().await;
    let exported = export(&app, &[order_a.id, order_b.id]).await;
    let issued = decode(&issued_by_b2(&app, &exported.bytes().await.unwrap()).await);
    let file = format!(
        "{issued}{}\r\n{}\r\n",
        b2_row(&order_c.order_number, "123456789012"),
        b2_row("99999999", "123456789013")
    );
    let file = SHIFT_JIS.encode(&file).0.into_owned();
    let slip = |n: &str| {
        issued
            .lines()
            .map(cells)
            .find(|c| c[0] == n)
            .map(|c| c[3].clone())
            .unwrap()
    };
    let (slip_a, slip_b) = (slip(&order_a.order_number), slip(&order_b.order_number));

    let (status, page) = import(&app, &file).await;
    let (again_status, again) = import(&app, &file).await;

    assert_eq!(status, 200, "{page}");
    assert!(page.contains("売上確定 2件"), "{page}");
    assert!(page.contains("失敗 2件"), "{page}");
    assert!(result_line(&page, 2).contains("b2-captured"));
    assert!(result_line(&page, 2).contains(&slip_a));
    assert!(result_line(&page, 3).contains("b2-captured"));
    let bad_slip = result_line(&page, 4);
    assert!(bad_slip.contains("b2-failed"), "{bad_slip}");
    assert!(
        bad_slip.contains("送り状番号「123456789012」"),
        "{bad_slip}"
    );
    let unmatched = result_line(&page, 5);
    assert!(
        unmatched.contains("注文番号 99999999 の受注がありません"),
        "{unmatched}"
    );
    for (p, slip) in [(&a, &slip_a), (&b, &slip_b)] {
        let captured = app.payment(p.id).await;
        assert_eq!(captured.state(), PaymentState::Captured);
        let o = order(&app, p).await;
        assert_eq!(o.carrier, "yamato");
        assert_eq!(o.tracking_number.as_deref(), Some(slip.as_str()));
        assert_eq!(o.order_status, "shipped");
        let trade = at_yamato(&app, &p.link_key).await;
        assert_eq!(trade["statusInfo"], "30");
        assert_eq!(&trade["slipNo"], slip);
        assert_eq!(trade["deliveryServiceCode"], "00");
    }
    assert_eq!(app.payment(c.id).await.state(), PaymentState::Authorized);
    let untouched = order(&app, &c).await;
    assert_eq!(untouched.order_status, order_c.order_status);
    assert_eq!(untouched.tracking_number, None);
    assert_eq!(again_status, 200);
    assert!(again.contains("取込済み 2件"), "{again}");
    assert!(result_line(&again, 2).contains("b2-imported"));
    assert!(result_line(&again, 3).contains("取込済み"));
    for p in [&a, &b] {
        let calls = app.state.store.payment_operations(p.id).await.unwrap();
        let captures = calls
            .iter()
            .filter(|row| row.operation == Operation::Capture.as_str())
            .count();
        assert_eq!(captures, 1, "{calls:?}");
    }
}

#[tokio::test]
async fn a_file_b2_did_not_write_is_one_error_and_changes_nothing() {
    let app = TestApp::demo().await;
    let a = paid(&app, 0, "", "").await;
    let number = order(&app, &a).await.order_number;
    app.login().await;
    let wide = format!(
        "{},\"x\",\"y\",\"z\",\"w\"\r\n",
        b2_row(&number, "123456789013")
    );
    let wide = SHIFT_JIS.encode(&wide).0.into_owned();

    let csrf = app.csrf().await;
    let r = app
        .post_multipart(
            "/admin/orders/b2/import",
            &[("csrf", &csrf), ("query", "")],
            &[("file", "b2.csv", &wide)],
        )
        .await;
    let (_, list) = app.follow(r).await;
    let (status, _) = import(&app, b"").await;

    assert!(list.contains("列が多すぎます(101列)"), "{list}");
    assert_eq!(status, 303);
    assert_eq!(app.payment(a.id).await.state(), PaymentState::Authorized);
    assert_eq!(order(&app, &a).await.tracking_number, None);
}

#[tokio::test]
async fn the_import_command_shows_its_progress_and_counts_the_failed_rows() {
    let app = TestApp::demo().await;
    let a = paid(&app, 0, "", "").await;
    let number = order(&app, &a).await.order_number;
    let file = format!(
        "\"お客様管理番号\"\r\n{}\r\n{}\r\n",
        b2_row(&number, "123456789013"),
        b2_row("99999999", "123456789013")
    );
    let file = SHIFT_JIS.encode(&file).0.into_owned();
    let mut out = Vec::new();

    let summary = kessai::b2_cli::import(&app.state.payments, &file, "b2-import", &mut out)
        .await
        .unwrap();
    let unreadable =
        kessai::b2_cli::import(&app.state.payments, b"", "b2-import", &mut Vec::new()).await;

    let out = String::from_utf8(out).unwrap();
    assert_eq!((summary.captured, summary.failed), (1, 1));
    assert!(
        out.contains(&format!("\r[{}] 2/2", "#".repeat(30))),
        "{out}"
    );
    assert!(
        out.contains("3行目 注文番号 99999999 送り状番号 123456789013: 注文番号 99999999 の受注がありません。"),
        "{out}"
    );
    assert!(out.contains("2行取り込みました"), "{out}");
    assert_eq!(app.payment(a.id).await.state(), PaymentState::Captured);
    assert!(unreadable.is_err());
}
