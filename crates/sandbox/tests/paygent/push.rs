//! Push notifications (決済情報差分通知) and the merchant page that configures them.

use chrono::Duration;
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn a_status_change_is_pushed_as_a_shift_jis_form_with_the_record_and_its_hash() {
    let receiver = Receiver::start().await;
    let paygent = Paygent::pushing_to(&receiver.url);
    let auth = paygent.authorise(GOOD_CARD, &[]).await;

    let report = paygent.deliver().await;

    assert_eq!(
        report,
        json!({"delivered": 1, "failed": 0, "paused": false})
    );
    let pushes = receiver.received();
    assert_eq!(pushes.len(), 1);
    assert_eq!(pushes[0].content_type, "application/x-www-form-urlencoded");
    let items = pushes[0].items();
    assert_eq!(items["payment_notice_id"], "1");
    assert_eq!(items["payment_id"], auth.get("payment_id"));
    assert_eq!(items["trading_id"], "ORDER_1");
    assert_eq!(items["payment_type"], "02");
    assert_eq!(items["payment_status"], "20");
    assert_eq!(items["payment_amount"], "1000");
    assert!(!items.contains_key("result"));
    assert!(!items.contains_key("success_code"));
    let signed = format!(
        "1{}ORDER_1021000sandboxnoticehashkey",
        auth.get("payment_id")
    );
    assert_eq!(items["hc"], sha256_hex(&signed));
}

#[tokio::test]
async fn a_delivered_push_is_not_sent_again() {
    let receiver = Receiver::start().await;
    let paygent = Paygent::pushing_to(&receiver.url);
    paygent.authorise(GOOD_CARD, &[]).await;
    paygent.deliver().await;

    let again = paygent.deliver().await;

    assert_eq!(again, json!({"delivered": 0, "failed": 0, "paused": false}));
    assert_eq!(receiver.received().len(), 1);
}

#[tokio::test]
async fn an_answer_other_than_result_0_is_resent_a_minute_later_and_blocks_later_pushes() {
    let receiver = Receiver::start().await;
    receiver.answer_with("OK");
    let paygent = Paygent::pushing_to(&receiver.url);
    let auth = paygent.authorise(GOOD_CARD, &[]).await;
    paygent.on_payment("022", auth.get("payment_id"), &[]).await;

    let first = paygent.deliver().await;
    let too_early = paygent.deliver().await;
    paygent.advance(Duration::seconds(60));
    let second = paygent.deliver().await;
    receiver.answer_with("result=0");
    paygent.advance(Duration::seconds(60));
    let third = paygent.deliver().await;

    assert_eq!(first, json!({"delivered": 0, "failed": 1, "paused": false}));
    assert_eq!(
        too_early,
        json!({"delivered": 0, "failed": 0, "paused": false})
    );
    assert_eq!(
        second,
        json!({"delivered": 0, "failed": 1, "paused": false})
    );
    assert_eq!(third, json!({"delivered": 2, "failed": 0, "paused": false}));
    assert_eq!(receiver.notice_ids(), ["1", "1", "1", "2"]);
}

#[tokio::test]
async fn five_failures_in_a_row_pause_pushes_for_fifteen_minutes_then_they_resume() {
    let receiver = Receiver::start().await;
    receiver.answer_with("result=1");
    let paygent = Paygent::pushing_to(&receiver.url);
    paygent.authorise(GOOD_CARD, &[]).await;

    let mut reports = Vec::new();
    for _ in 0..5 {
        reports.push(paygent.deliver().await);
        paygent.advance(Duration::seconds(60));
    }
    let during_pause = paygent.deliver().await;
    receiver.answer_with("result=0");
    paygent.advance(Duration::minutes(14));
    let end_of_pause = paygent.deliver().await;

    assert_eq!(
        reports[3],
        json!({"delivered": 0, "failed": 1, "paused": false})
    );
    assert_eq!(
        reports[4],
        json!({"delivered": 0, "failed": 1, "paused": true})
    );
    assert_eq!(
        during_pause,
        json!({"delivered": 0, "failed": 0, "paused": true})
    );
    assert_eq!(
        end_of_pause,
        json!({"delivered": 1, "failed": 0, "paused": false})
    );
    assert_eq!(receiver.received().len(), 6);
}

#[tokio::test]
async fn a_notification_url_where_nobody_answers_counts_as_a_failed_attempt() {
    let paygent = Paygent::pushing_to(&dead_url().await);
    paygent.authorise(GOOD_CARD, &[]).await;

    let report = paygent.deliver().await;

    assert_eq!(
        report,
        json!({"delivered": 0, "failed": 1, "paused": false})
    );
    let page = paygent
        .get_page("/paygent/merchant?merchant_id=123456789")
        .await;
    assert!(page.visible().contains("応答なし"), "{}", page.visible());
    assert!(page.visible().contains("再送待ち"));
}

#[tokio::test]
async fn without_a_notification_url_nothing_is_pushed_but_091_still_serves_the_record() {
    let paygent = Paygent::new();
    paygent.authorise(GOOD_CARD, &[]).await;

    let report = paygent.deliver().await;
    let record = paygent
        .telegram(NOTICE_PATH, "091", &[("payment_notice_id", "")])
        .await;

    assert_eq!(
        report,
        json!({"delivered": 0, "failed": 0, "paused": false})
    );
    assert_eq!(record.get("payment_notice_id"), "1");
}

#[tokio::test]
async fn with_auto_push_a_background_task_delivers_without_being_asked() {
    let receiver = Receiver::start().await;
    let paygent = Paygent::with(sandbox::paygent::Options {
        notify_url: Some(receiver.url.clone()),
        auto_push: true,
    });

    paygent.authorise(GOOD_CARD, &[]).await;

    receiver.next_arrival().await;
    assert_eq!(receiver.notice_ids(), ["1"]);
}

#[tokio::test]
async fn the_merchant_page_shows_the_fixed_keys_and_the_registered_notification_url() {
    let paygent = Paygent::pushing_to("https://shop.example/notify/paygent");

    let page = paygent
        .get_page("/paygent/merchant?merchant_id=123456789")
        .await;

    assert_eq!(page.status, 200);
    assert!(page.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    for expected in [
        "差分通知ハッシュ値生成キー",
        "sandboxnoticehashkey",
        "sandboxlinkhashkey",
        "sandbox3dshashkey",
        "sandboxtokenkey",
        "sandboxtokenhashkey",
        "sandboxconnect",
        "https://shop.example/notify/paygent",
    ] {
        assert!(page.visible().contains(expected), "{expected} missing");
    }
}

#[tokio::test]
async fn a_new_notification_url_is_registered_and_receives_the_waiting_pushes() {
    let receiver = Receiver::start().await;
    let paygent = Paygent::pushing_to(&dead_url().await);
    paygent.authorise(GOOD_CARD, &[]).await;
    paygent.deliver().await;

    let saved = paygent
        .post_form(
            "/paygent/merchant",
            &[("merchant_id", MERCHANT_ID), ("notify_url", &receiver.url)],
        )
        .await;
    let report = paygent.deliver().await;
    let page = paygent
        .get_page("/paygent/merchant?merchant_id=123456789")
        .await;

    assert_eq!(saved.status, 303);
    assert_eq!(saved.location(), "merchant?merchant_id=123456789&saved=1");
    assert_eq!(
        report,
        json!({"delivered": 1, "failed": 0, "paused": false})
    );
    assert!(page.visible().contains(&receiver.url));
    assert!(page.visible().contains("通知済"));
    assert!(page.visible().contains("HTTP 200: result=0"));
}

#[tokio::test]
async fn a_notification_url_that_is_not_http_is_refused_with_a_message_on_the_page() {
    let paygent = Paygent::pushing_to("https://shop.example/notify/paygent");

    let refused = paygent
        .post_form(
            "/paygent/merchant",
            &[
                ("merchant_id", MERCHANT_ID),
                ("notify_url", "ftp://shop.example/n"),
            ],
        )
        .await;
    let page = paygent
        .get_page("/paygent/merchant?merchant_id=123456789")
        .await;

    assert_eq!(refused.status, 400);
    assert!(refused.visible().contains("http:// または https://"));
    assert!(refused.visible().contains("ftp://shop.example/n"));
    assert!(page
        .visible()
        .contains("https://shop.example/notify/paygent"));
}

#[tokio::test]
async fn an_empty_notification_url_switches_pushes_off_for_later_records() {
    let receiver = Receiver::start().await;
    let paygent = Paygent::pushing_to(&receiver.url);

    paygent
        .post_form(
            "/paygent/merchant",
            &[("merchant_id", MERCHANT_ID), ("notify_url", "")],
        )
        .await;
    paygent.authorise(GOOD_CARD, &[]).await;
    let report = paygent.deliver().await;

    assert_eq!(
        report,
        json!({"delivered": 0, "failed": 0, "paused": false})
    );
    assert!(receiver.received().is_empty());
}
