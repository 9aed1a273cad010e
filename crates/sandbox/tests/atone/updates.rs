//! 取引更新: a server-side registration with `updated_transactions` replaces OK, unsettled
//! transactions of the same shop and member (§3, spec of the sandbox in store.rs).

use sandbox::atone::members::HIGH_LIMIT;
use serde_json::json;

use crate::support::{code, payment, signed, Atone};

#[tokio::test]
async fn an_update_replaces_the_old_transaction_with_a_new_id() {
    let atone = Atone::start().await;
    let (token, old) = atone.paid("order-1", 1000).await;
    let mut changed = payment("order-1", 1500);
    changed["updated_transactions"] = json!([old]);

    let (status, new) = atone.register(changed, &token).await;
    let new_id = new["id"].as_str().unwrap().to_owned();
    let (_, old_now) = atone.get(&old).await;
    let (_, settle_old) = atone.settle(&old).await;
    let (_, refund_old) = atone.refund(&old, json!({})).await;
    let (settle_new, _) = atone.settle(&new_id).await;

    assert_eq!(status, 200);
    assert_ne!(new_id, old);
    assert_eq!(new["amount"], 1500);
    assert_eq!(new["updated_transactions"], json!([old]));
    assert_eq!(new["authorization_result"], 1);
    assert_eq!(old_now["related_transaction"], json!(new_id));
    assert_eq!(old_now["authorization_result"], 1);
    assert_eq!(code(&settle_old), "EATN1202");
    assert_eq!(code(&refund_old), "EATN1302");
    assert_eq!(settle_new, 200);
    let office = atone.page("/backoffice").await.2;
    assert!(office.contains("更新済み"));
}

#[tokio::test]
async fn settled_cancelled_replaced_and_unknown_transactions_cannot_be_updated() {
    let atone = Atone::start().await;
    let (token, settled) = atone.paid("upd-settled", 1000).await;
    atone.settle(&settled).await;
    let (_, cancelled) = atone.paid("upd-cancelled", 1000).await;
    atone.refund(&cancelled, json!({})).await;
    let (_, replaced) = atone.paid("upd-replaced", 1000).await;
    let mut first = payment("upd-replaced", 900);
    first["updated_transactions"] = json!([replaced]);
    assert_eq!(atone.register(first, &token).await.0, 200);

    for (number, id) in [
        ("upd-settled", settled.as_str()),
        ("upd-cancelled", cancelled.as_str()),
        ("upd-replaced", replaced.as_str()),
        ("upd-unknown", "tr_0000000000000000"),
    ] {
        let mut update = payment(number, 800);
        update["updated_transactions"] = json!([id]);
        let (status, body) = atone.register(update, &token).await;
        assert_eq!((status, code(&body)), (400, "EATN1103"), "{number}: {body}");
    }
}

#[tokio::test]
async fn an_update_by_another_member_or_judged_ng_leaves_the_old_one_in_place() {
    let atone = Atone::start().await;
    let (token, old) = atone.paid("upd-member", 1000).await;
    let (other_token, _, _) = atone
        .checkout(&signed(payment("upd-other", 1000)), HIGH_LIMIT)
        .await;
    let mut update = payment("upd-member", 60_000);
    update["updated_transactions"] = json!([old]);

    let (_, by_other) = atone.register(update.clone(), &other_token).await;
    let (status, ng) = atone.register(update, &token).await;
    let (_, old_now) = atone.get(&old).await;
    let (settle, _) = atone.settle(&old).await;

    assert_eq!(code(&by_other), "EATN1103");
    assert_eq!(status, 200);
    assert_eq!(ng["authorization_result"], 2);
    assert_eq!(ng["authorization_result_ng_reason"], 1);
    assert_eq!(old_now["related_transaction"], json!(null));
    assert_eq!(settle, 200);
}
