//! Remise end to end against its sandbox: the card (仮売上 / 売上処理, 拡張セット, declines,
//! PayQuick), the multi payment (convenience store, e-money, carrier, PayPay) with its
//! 収納情報通知 and deadline, the 2022 edition's kind, and the notification's checks. Every
//! page is driven as a browser would: Shift_JIS forms to Remise's pages and back.

mod common;

use common::remise::{
    choose_destination, deliver_sandbox_notices, pay_card, pay_card_at_remise, post_sjis,
    receive_in_back_office, return_to_shop,
};
use common::{location, TestApp};
use kessai::domain::payment::{Operation, PaymentState};
use kessai::payments::OperationRequest;
use sandbox::remise::testcard;

/// Changes some Remise settings of the demo (the rest stay).
async fn set_remise(app: &TestApp, changes: &[(&str, &str)]) {
    app.set_provider("remise", changes).await;
}

async fn orders_of(app: &TestApp, link_key: &str) -> Vec<i64> {
    let log = app
        .state
        .store
        .prepayment_logs(50)
        .await
        .unwrap()
        .into_iter()
        .find(|l| l.link_key == link_key)
        .expect("the checkout is logged");
    log.order_id.into_iter().collect()
}

async fn order(app: &TestApp, payment_id: i64) -> kessai::store::Order {
    let p = app.payment(payment_id).await;
    app.state
        .store
        .order(p.order_id.expect("the payment has its order"))
        .await
        .unwrap()
        .unwrap()
}

async fn operate(app: &TestApp, payment_id: i64, operation: Operation) -> Result<(), String> {
    app.state
        .payments
        .perform(payment_id, &OperationRequest::new(operation, "admin"))
        .await
        .map(drop)
        .map_err(|e| e.to_string())
}

#[tokio::test]
async fn a_card_authorized_on_remises_page_becomes_one_order_and_is_captured_through_the_extset() {
    // Arrange: the demo's Remise card is 仮売上処理 with 拡張セット.
    let app = TestApp::demo().await;
    let started = app.start_checkout_paid_by("remise_card").await;

    // Act: the buyer pays; Remise's 結果通知 reached kessai before the browser came back.
    let r = pay_card(&app, &started.link_key, Some(testcard::APPROVED_VISA)).await;
    app.worker.run_until_idle().await.unwrap();

    // Assert
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(location(&r), format!("/checkout/{}/done", started.link_key));
    let (status, done) = app
        .get(&location(&r))
        .await
        .text()
        .await
        .map(|t| (200, t))
        .unwrap();
    assert_eq!(status, 200);
    assert!(done.contains("購入完了"), "{done}");
    let p = app.payment(started.payment_id).await;
    assert_eq!(p.state(), PaymentState::Authorized);
    assert_eq!(p.provider_status_label.as_deref(), Some("仮売上"));
    assert_eq!(p.provider_payment_id.as_deref().map(str::len), Some(28));
    assert_eq!(orders_of(&app, &started.link_key).await.len(), 1);
    let inbox = app.state.store.notifications(10).await.unwrap();
    assert_eq!(inbox.len(), 1, "one 結果通知");
    assert_eq!(inbox[0].status, "processed");

    // Act: 売上処理 through 拡張セット, then 返品.
    operate(&app, started.payment_id, Operation::Capture)
        .await
        .unwrap();
    let captured = app.payment(started.payment_id).await;
    operate(&app, started.payment_id, Operation::Refund)
        .await
        .unwrap();

    // Assert
    assert_eq!(captured.state(), PaymentState::Captured);
    assert_eq!(captured.provider_status_label.as_deref(), Some("売上"));
    let refunded = app.payment(started.payment_id).await;
    assert_eq!(refunded.state(), PaymentState::Refunded);
    let labels: Vec<String> = app
        .history(started.payment_id)
        .await
        .into_iter()
        .map(|(l, _)| l)
        .collect();
    assert!(
        labels.iter().any(|l| l.contains("SALES")) && labels.iter().any(|l| l.contains("RETURN")),
        "{labels:?}"
    );
}

#[tokio::test]
async fn a_sale_is_made_at_once_with_the_capture_job_and_the_extset_refuses_a_second_sale() {
    let app = TestApp::demo().await;
    set_remise(&app, &[("card_job", "capture")]).await;
    let started = app.start_checkout_paid_by("remise_card").await;

    let r = pay_card(&app, &started.link_key, Some(testcard::APPROVED_MASTER)).await;

    assert_eq!(r.status().as_u16(), 303);
    let p = app.payment(started.payment_id).await;
    assert_eq!(p.state(), PaymentState::Captured);
    assert_eq!(p.provider_status_label.as_deref(), Some("売上"));
    let refused = operate(&app, started.payment_id, Operation::Capture).await;
    assert!(refused.is_err(), "a sale offers no 売上処理");
}

#[tokio::test]
async fn a_declined_card_shows_the_buyer_why_and_goes_to_the_payment_error_log() {
    let app = TestApp::demo().await;
    let started = app.start_checkout_paid_by("remise_card").await;

    let r = pay_card(&app, &started.link_key, Some(testcard::DECLINED_G12)).await;
    let status = r.status().as_u16();
    let page = r.text().await.unwrap();
    app.worker.run_until_idle().await.unwrap();

    assert_eq!(status, 422, "{page}");
    assert!(page.contains("お取り扱いできません"), "{page}");
    assert!(
        page.contains("ルミーズの決済ページへ進む"),
        "the buyer may try again"
    );
    let p = app.payment(started.payment_id).await;
    assert_eq!(p.state(), PaymentState::Pending, "the checkout still waits");
    assert!(orders_of(&app, &started.link_key).await.is_empty());
    let errors = app.state.store.payment_errors(10).await.unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].provider, "remise");
    assert!(errors[0].message.contains("G12"), "{}", errors[0].message);

    // The buyer tries again with another card on the same 請求番号.
    let r = pay_card(&app, &started.link_key, Some(testcard::APPROVED_VISA)).await;
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(
        app.payment(started.payment_id).await.state(),
        PaymentState::Authorized
    );
}

#[tokio::test]
async fn the_result_notification_alone_makes_the_order_and_the_late_return_finds_it() {
    let app = TestApp::demo().await;
    let started = app.start_checkout_paid_by("remise_card").await;

    // Act: Remise's 結果通知 is applied before the buyer's browser comes back.
    let back = pay_card_at_remise(&app, &started.link_key, Some(testcard::APPROVED_VISA)).await;
    app.worker.run_until_idle().await.unwrap();
    let made_by_notification = orders_of(&app, &started.link_key).await;
    let r = return_to_shop(&app, &back).await;
    let again = return_to_shop(&app, &back).await;
    app.worker.run_until_idle().await.unwrap();

    // Assert
    assert_eq!(made_by_notification.len(), 1);
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(again.status().as_u16(), 303);
    assert_eq!(
        orders_of(&app, &started.link_key).await,
        made_by_notification
    );
    let orders = app
        .state
        .store
        .order_count(&Default::default())
        .await
        .unwrap();
    assert_eq!(orders, 1);
}

#[tokio::test]
async fn a_forged_or_amount_changed_result_notification_is_kept_and_logged_but_not_applied() {
    let app = TestApp::demo().await;
    let started = app.start_checkout_paid_by("remise_card").await;
    let ret = |total: String, shop: &'static str| {
        vec![
            ("SHOPCO", shop.to_owned()),
            ("X-TRANID", "2026120300000000000000000042".to_owned()),
            ("X-S_TORIHIKI_NO", started.link_key.clone()),
            ("X-AMOUNT", total.clone()),
            ("X-TOTAL", total),
            ("X-R_CODE", "0:0000".to_owned()),
            ("X-ERRLEVEL", "0".to_owned()),
            ("X-ERRCODE", "   ".to_owned()),
            ("X-ERRINFO", "000000000".to_owned()),
            ("X-PARTOFCARD", "1111".to_owned()),
            ("REC_TYPE", "RET".to_owned()),
        ]
    };

    let mut answers = Vec::new();
    for fields in [
        ret("1".to_owned(), "RMS00001"),
        ret(started.amount.to_string(), "RMS99999"),
    ] {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = post_sjis(&app, "/index.php?acting=remise_card", &fields).await;
        answers.push(r.text().await.unwrap());
    }
    app.worker.run_until_idle().await.unwrap();

    assert_eq!(answers, ["<SDBKDATA>STATUS=800</SDBKDATA>"; 2]);
    let p = app.payment(started.payment_id).await;
    assert_eq!(p.state(), PaymentState::Pending);
    assert!(orders_of(&app, &started.link_key).await.is_empty());
    let errors = app.state.store.payment_errors(10).await.unwrap();
    let messages: Vec<&str> = errors.iter().map(|e| e.message.as_str()).collect();
    assert!(
        messages.iter().any(|m| m.contains("金額が一致しません")),
        "{messages:?}"
    );
    assert!(
        messages.iter().any(|m| m.contains("加盟店コード")),
        "{messages:?}"
    );
}

#[tokio::test]
async fn a_member_pays_with_the_payquick_card_the_second_time() {
    let app = TestApp::demo().await;
    let member = app.create_member("payquick@example.jp").await;
    let first = app
        .start_checkout_of(&app.checkout_paid_by("remise_card", Some(member)).await)
        .await;
    let r = pay_card(&app, &first.link_key, Some(testcard::APPROVED_JCB)).await;
    assert_eq!(r.status().as_u16(), 303);
    let kept = app.state.store.member_cards(member).await.unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].provider, "remise");
    assert_eq!(kept[0].card_ref.len(), 20);
    assert_eq!(kept[0].last4, "0000");

    // Act: the second purchase uses the card kept at Remise.
    let second = app
        .start_checkout_of(&app.checkout_paid_by("remise_card", Some(member)).await)
        .await;
    let (_, handoff) = app.page(&format!("/checkout/{}", second.link_key)).await;
    let r = pay_card(&app, &second.link_key, None).await;

    // Assert
    assert!(
        handoff.contains(&format!("value=\"{}\"", kept[0].card_ref)),
        "PAYQUICKID is sent: {handoff}"
    );
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(
        app.payment(second.payment_id).await.state(),
        PaymentState::Authorized
    );
    assert_eq!(app.state.store.member_cards(member).await.unwrap().len(), 1);
}

#[tokio::test]
async fn each_multi_payment_family_is_bought_paid_in_the_back_office_and_the_order_turns_paid() {
    let app = TestApp::demo().await;
    for (pay_csv, destination) in [
        ("D001", "セブン-イレブン"),
        ("D401", "楽天Edy"),
        ("M601", "d払い"),
        ("E201", "PayPayオンライン決済"),
    ] {
        let started = app.start_checkout_paid_by("remise_multi").await;

        let r = choose_destination(&app, &started.link_key, pay_csv).await;
        assert_eq!(r.status().as_u16(), 303, "{pay_csv}");
        let (_, done) = app.page(&location(&r)).await;
        let unpaid = order(&app, started.payment_id).await;
        if !pay_csv.starts_with('D') {
            // Carrier and PayPay are approved on their page; Remise reports them received.
            deliver_sandbox_notices(&app).await;
        } else {
            receive_in_back_office(&app, &started.link_key).await;
        }
        app.worker.run_until_idle().await.unwrap();

        assert!(
            done.contains("購入完了") && done.contains(destination),
            "{done}"
        );
        assert!(done.contains("お支払い期限"), "{done}");
        assert_eq!(unpaid.receipt_status, "unpaid", "{pay_csv}");
        // マルチ決済支払先表示 (on in the demo) names the destination after the method.
        let mails = app.state.store.mails_of_order(unpaid.id).await.unwrap();
        let thank_you = mails
            .iter()
            .find(|m| m.kind == "thank_you")
            .expect("mailed");
        assert!(
            thank_you
                .body
                .contains(&format!("マルチ決済(ルミーズ) ({destination})")),
            "{}",
            thank_you.body
        );
        assert_eq!(
            order(&app, started.payment_id).await.receipt_status,
            "paid",
            "{pay_csv}"
        );
    }
}

#[tokio::test]
async fn an_unpaid_multi_payment_past_its_deadline_expires_and_its_order_is_cancelled() {
    let app = TestApp::demo().await;
    set_remise(&app, &[("multi_pay_days", "3")]).await;
    let started = app.start_checkout_paid_by("remise_multi").await;
    let r = choose_destination(&app, &started.link_key, "D002").await;
    assert_eq!(r.status().as_u16(), 303);

    app.state.clock.advance(chrono::Duration::days(5)).unwrap();
    kessai::payments::jobs::schedule_periodic(&app.state.store, &app.state.clock)
        .await
        .unwrap();
    app.worker.run_until_idle().await.unwrap();

    let p = app.payment(started.payment_id).await;
    assert_eq!(p.state(), PaymentState::Expired);
    assert_eq!(p.provider_status_label.as_deref(), Some("支払期限切れ"));
    assert_eq!(
        order(&app, started.payment_id).await.order_status,
        "cancelled"
    );
}

#[tokio::test]
async fn an_order_of_the_2022_convenience_store_kind_still_takes_its_receipt_notification() {
    let app = TestApp::demo().await;
    let now = app.state.clock.now();
    app.state
        .store
        .create_payment_method(
            &kessai::store::NewPaymentMethod {
                name: "コンビニ決済".to_owned(),
                description_html: String::new(),
                settlement_kind: "remise_conv".to_owned(),
                active: true,
            },
            now,
        )
        .await
        .unwrap();
    let started = app.start_checkout_paid_by("remise_conv").await;
    let r = choose_destination(&app, &started.link_key, "D030").await;
    assert_eq!(r.status().as_u16(), 303);

    receive_in_back_office(&app, &started.link_key).await;
    app.worker.run_until_idle().await.unwrap();
    // The manual's migration: the old method is stopped (not deleted), マルチ決済 is used.
    app.login().await;
    let old = app.payment_method("remise_conv").await;
    let (_, list) = app.page("/admin/payment-methods").await;
    let r = app
        .post_page_form(
            "/admin/payment-methods",
            &format!("/admin/payment-methods/{old}/migrate"),
            &[],
        )
        .await;

    assert_eq!(order(&app, started.payment_id).await.receipt_status, "paid");
    assert!(list.contains(&format!("id=\"migrate-{old}\"")), "{list}");
    assert_eq!(r.status().as_u16(), 303);
    let methods = app.state.store.payment_methods().await.unwrap();
    assert!(methods.iter().any(|m| m.id == old && !m.active));
    assert!(methods
        .iter()
        .any(|m| m.settlement_kind == "remise_multi" && m.active));
}

#[tokio::test]
async fn when_the_shop_does_not_acknowledge_the_result_the_buyer_is_told_and_the_error_is_logged() {
    let app = TestApp::demo().await;
    let r = app
        .client
        .post(app.url("/sandbox/remise/backoffice/settings"))
        .form(&[
            ("result_url", app.url("/no-such-notification-url")),
            ("receipt_url", app.url("/notify/remise")),
        ])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success() || r.status().is_redirection());
    let started = app.start_checkout_paid_by("remise_card").await;

    let r = pay_card(&app, &started.link_key, Some(testcard::APPROVED_VISA)).await;
    let status = r.status().as_u16();
    let page = r.text().await.unwrap();

    assert_eq!(status, 422, "{page}");
    assert!(page.contains("5:1000"), "{page}");
    assert!(orders_of(&app, &started.link_key).await.is_empty());
    let errors = app.state.store.payment_errors(10).await.unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].status_code, "5:1000");
}

#[tokio::test]
async fn a_member_renews_the_payquick_card_from_the_member_page_on_remises_card_page() {
    // Arrange: Remise keeps the members' cards (Paygent's card keeping off), and the member
    // has a PayQuick card from a purchase.
    let app = TestApp::demo().await;
    app.set_provider("paygent", &[("stock_card", "off")]).await;
    let password = "payquick-password-1";
    let member = app
        .state
        .store
        .create_member(
            &kessai::store::NewMember {
                password_hash: kessai::secrets::hash_password(password).unwrap(),
                ..common::sample_member("renew@example.jp")
            },
            app.state.clock.now(),
        )
        .await
        .unwrap()
        .expect("a new address");
    let first = app
        .start_checkout_of(&app.checkout_paid_by("remise_card", Some(member)).await)
        .await;
    pay_card(&app, &first.link_key, Some(testcard::APPROVED_JCB)).await;
    let before = app.state.store.member_cards(member).await.unwrap();
    let r = app
        .post_page_form(
            "/member/login",
            "/member/login",
            &[
                ("email", "renew@example.jp"),
                ("password", password),
                ("next", "/member"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);

    // Act: クレジットカード更新 → [更新処理を行う] → Remise's card page → back.
    let (status, page) = app.page("/member/card").await;
    let form = &page[page[..page.find("id=\"card-update\"").unwrap()]
        .rfind("<form")
        .unwrap()..];
    let (action, fields) = common::remise::form_of(form, "");
    let (_, remise) =
        common::remise::sjis_page(post_sjis(&app, &action, &common::as_pairs(&fields)).await).await;
    let (pay, hidden) = common::remise::form_of(&remise, &action);
    let mut card = common::as_pairs(&hidden);
    card.retain(|(k, _)| *k != "CARD_SEL");
    card.extend([
        ("CARD_SEL", "new"),
        ("CARD_NO", testcard::APPROVED_VISA),
        ("EXPIRE_MM", "11"),
        ("EXPIRE_YY", "34"),
        ("NAME", "HANAKO YAMADA"),
    ]);
    let (_, back) = common::remise::sjis_page(post_sjis(&app, &pay, &card).await).await;
    let r = return_to_shop(&app, &back).await;
    let after = app.state.store.member_cards(member).await.unwrap();
    app.worker.run_until_idle().await.unwrap();

    // Assert
    assert_eq!(status, 200);
    assert!(
        page.contains("クレジットカード更新") && page.contains("更新処理を行う"),
        "{page}"
    );
    assert!(
        page.contains(&before[0].last4),
        "the kept card's 下4桁 is shown"
    );
    assert!(
        fields.iter().any(|(k, v)| k == "JOB" && v == "CHECK"),
        "{fields:?}"
    );
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(location(&r), "/member/card?updated=1");
    assert_eq!(after.len(), 1, "{after:?}");
    assert_eq!(after[0].last4, "1111");
    assert_eq!(after[0].expiry, "1134");
    assert_eq!(after[0].card_ref, before[0].card_ref, "renewed in place");
    assert!(
        app.state.store.payment_errors(10).await.unwrap().is_empty(),
        "the update's 結果通知 is no error"
    );
}

#[tokio::test]
async fn the_settings_tab_shows_the_urls_to_register_and_the_order_page_where_operations_are_done()
{
    let app = TestApp::demo().await;
    let started = app.start_checkout_paid_by("remise_card").await;
    pay_card(&app, &started.link_key, Some(testcard::APPROVED_VISA)).await;
    let order_id = app.payment(started.payment_id).await.order_id.unwrap();
    app.login().await;

    let (_, settings) = app.page("/admin/settlement/remise").await;
    let (_, with_extset) = app.page(&format!("/admin/orders/{order_id}")).await;
    set_remise(&app, &[("extset", "off")]).await;
    let (_, without_extset) = app.page(&format!("/admin/orders/{order_id}")).await;

    let settings = common::unescape(&settings);
    assert!(!settings.contains("id=\"not-connected\""), "{settings}");
    assert!(settings.contains(&format!("{}/index.php?acting=remise_card", app.address)));
    assert!(settings.contains(&format!("{}/index.php?acting=remise_conv", app.address)));
    assert!(settings.contains("連絡用メールアドレス"));
    let block = common::between(&with_extset, "id=\"payment\"", "</section>");
    assert!(block.contains("仮売上"), "{block}");
    assert!(
        block.contains(">売上処理<") && block.contains("取消処理(即日取消)"),
        "{block}"
    );
    assert!(!block.contains("状態更新<"), "no inquiry at Remise");
    let block = common::between(&without_extset, "id=\"payment\"", "</section>");
    assert!(block.contains("売上処理を記録"), "{block}");
    assert!(
        block.contains("加盟店バックヤードシステムで行います"),
        "{block}"
    );
}

/// The hand-off form of a checkout as `name=value` lines, with what changes from run to run
/// (the link key, kessai's address) replaced by names.
async fn handoff_request(app: &TestApp, link_key: &str) -> String {
    let (_, page) = app.page(&format!("/checkout/{link_key}")).await;
    let (action, fields) = common::remise::form_of(&page, "");
    let mut lines = vec![format!("POST {action}")];
    lines.extend(fields.iter().map(|(k, v)| format!("{k}={v}")));
    lines
        .join("\n")
        .replace(link_key, "<LINK_KEY>")
        .replace(&app.address, "<KESSAI>")
}

#[tokio::test]
async fn the_card_and_multi_payment_requests_kessai_hands_to_remise_are_as_recorded() {
    let app = TestApp::demo().await;
    set_remise(&app, &[("multi_pay_days", "7")]).await;
    let member = app.create_member("snapshot@example.jp").await;
    let card = app
        .start_checkout_of(&app.checkout_paid_by("remise_card", Some(member)).await)
        .await;
    let multi = app.start_checkout_paid_by("remise_multi").await;

    let card_request = handoff_request(&app, &card.link_key).await;
    let multi_request = handoff_request(&app, &multi.link_key).await;
    let pay_date = (app.state.clock.today_in_japan() + chrono::Days::new(7))
        .format("%Y%m%d")
        .to_string();

    insta::assert_snapshot!("remise_card_request", card_request);
    insta::assert_snapshot!(
        "remise_multi_request",
        multi_request.replace(&pay_date, "<TODAY+7>")
    );
}
