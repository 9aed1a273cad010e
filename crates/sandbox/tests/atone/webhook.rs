//! 決済Webhook: the transaction object posted after each registration, resent after a
//! failure (§8), and the back office that shows them.

use chrono::Duration;
use sandbox::atone::members::DECLINED;
use sandbox::atone::{RESEND_MINUTES, USER_AGENT};
use serde_json::json;

use crate::support::{payment, signed, Atone};

#[tokio::test]
async fn every_registration_posts_its_transaction_object_as_json() {
    let atone = Atone::start().await;
    let (token, id) = atone.paid("hook-1", 1000).await;
    let (_, _, declined) = atone
        .checkout(&signed(payment("hook-2", 1000)), DECLINED)
        .await;
    let mut update = payment("hook-1", 800);
    update["updated_transactions"] = json!([id]);
    let (_, updated) = atone.register(update, &token).await;

    let report = atone.deliver().await;
    let received = atone.shop.received();

    assert_eq!(report, json!({ "delivered": 3, "failed": 0 }));
    assert_eq!(received.len(), 3);
    assert_eq!(received[0].content_type, "application/json");
    assert_eq!(received[0].user_agent, USER_AGENT);
    // The body is the object as it was when registered, before the update named its
    // successor.
    let (_, mut at_registration) = atone.get(&id).await;
    assert_eq!(at_registration["related_transaction"], updated["id"]);
    at_registration["related_transaction"] = json!(null);
    assert_eq!(received[0].body, at_registration);
    assert_eq!(received[0].body["id"], json!(id));
    assert_eq!(received[0].body["object"], "transaction");
    assert_eq!(received[1].body["id"], declined["id"]);
    assert_eq!(received[1].body["authorization_result"], 2);
    assert_eq!(received[2].body, updated);
    assert_eq!(
        atone.deliver().await,
        json!({ "delivered": 0, "failed": 0 })
    );
}

#[tokio::test]
async fn a_webhook_the_shop_refused_is_sent_again_after_the_resend_interval() {
    let atone = Atone::start().await;
    atone.shop.answer(500);
    atone.paid("retry-1", 1000).await;

    let failed = atone.deliver().await;
    atone.shop.answer(200);
    let too_early = atone.deliver().await;
    atone.advance(Duration::minutes(RESEND_MINUTES));
    let resent = atone.deliver().await;

    assert_eq!(failed, json!({ "delivered": 0, "failed": 1 }));
    assert_eq!(too_early, json!({ "delivered": 0, "failed": 0 }));
    assert_eq!(resent, json!({ "delivered": 1, "failed": 0 }));
    let received = atone.shop.received();
    assert_eq!(received.len(), 2);
    assert_eq!(received[0].body, received[1].body);
    let office = atone.page("/backoffice").await.2;
    assert!(office.contains("送信済"));
    assert!(office.contains("HTTP 200"));
}

#[tokio::test]
async fn without_a_webhook_url_webhooks_wait_until_one_is_set() {
    let atone = Atone::start().await;
    let settings = |url: String| {
        let request = atone
            .http
            .post(format!("{}/backoffice/settings", atone.base))
            .form(&[("webhook_url", url)]);
        async move { request.send().await.unwrap() }
    };

    let cleared = settings(String::new()).await;
    atone.paid("wait-1", 1000).await;
    let waiting = atone.deliver().await;
    let refused = settings("ftp://example".to_owned()).await;
    settings(atone.webhook_url.clone()).await;
    let sent = atone.deliver().await;

    assert_eq!(cleared.status().as_u16(), 303);
    assert!(cleared.headers()["location"]
        .to_str()
        .unwrap()
        .ends_with("/sandbox/atone/backoffice?message=%E8%A8%AD%E5%AE%9A%E3%82%92%E6%9B%B4%E6%96%B0%E3%81%97%E3%81%BE%E3%81%97%E3%81%9F%E3%80%82"));
    assert_eq!(waiting, json!({ "delivered": 0, "failed": 0 }));
    assert_eq!(refused.status().as_u16(), 303);
    assert_eq!(sent, json!({ "delivered": 1, "failed": 0 }));
}

#[tokio::test]
async fn the_back_office_shows_transactions_members_and_keys() {
    let atone = Atone::start().await;
    let (_, settled) = atone.paid("office-1", 12_345).await;
    atone.settle(&settled).await;
    let (_, cancelled) = atone.paid("office-2", 1000).await;
    atone.refund(&cancelled, json!({})).await;
    atone.paid("office-3", 1000).await;

    let (status, content_type, page) = atone.page("/backoffice").await;

    assert_eq!(status, 200);
    assert!(content_type.starts_with("text/html"));
    for text in [
        "加盟店管理システム",
        settled.as_str(),
        "office-1",
        "12,345円",
        "決済完了",
        "注文キャンセル",
        "仮売上",
        "2026/05/10 10:00:00",
        "sandbox_public_key",
        "sandbox_secret_key",
        "other_public_key",
        "標準会員",
        "50,000円",
        "/webhook",
    ] {
        assert!(page.contains(text), "{text} missing");
    }
}
