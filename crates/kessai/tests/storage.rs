//! The shared storage suite: the same assertions against SQLite and (when
//! `KESSAI_TEST_DATABASE_URL` is set) PostgreSQL, each in a fresh database.

mod common;

use chrono::{Duration, Utc};
use common::{backends, sample_member, sample_order as order, TestDatabase};
use kessai::store::{NewPayment, NewPaymentMethod, NewShopSession, PaymentStatusUpdate, Store};

async fn fresh(backend: &str) -> (Store, TestDatabase) {
    let db = TestDatabase::new(backend).await;
    let store = Store::connect(&db.url).await.unwrap();
    store.migrate().await.unwrap();
    (store, db)
}

#[tokio::test]
async fn migrations_can_run_twice_and_the_database_answers() {
    for backend in backends() {
        let (store, _db) = fresh(backend).await;
        store.migrate().await.unwrap();
        assert!(store.ping().await, "{backend}");
    }
}

#[tokio::test]
async fn an_order_is_stored_with_its_items_and_totals() {
    for backend in backends() {
        let (store, _db) = fresh(backend).await;
        let now = Utc::now();
        let id = store.create_order(&order("1001"), now).await.unwrap();
        let o = store.order(id).await.unwrap().unwrap();
        assert_eq!((o.subtotal, o.total), (5460, 6160), "{backend}");
        assert_eq!(o.buyer.family_kana, "ヤマダ");
        assert_eq!(
            (o.created_at - now).num_seconds(),
            0,
            "{backend}: times come back as stored"
        );
        let items = store.order_items(id).await.unwrap();
        assert_eq!(items.iter().map(|i| i.quantity).sum::<i64>(), 3);
        store.set_order_status(id, "shipped", now).await.unwrap();
        assert_eq!(
            store.order(id).await.unwrap().unwrap().order_status,
            "shipped"
        );
        assert!(
            store.create_order(&order("1001"), now).await.is_err(),
            "{backend}: order numbers are unique"
        );
    }
}

#[tokio::test]
async fn a_payment_operation_is_pending_until_completed_once() {
    for backend in backends() {
        let (store, _db) = fresh(backend).await;
        let now = Utc::now();
        let order_id = store.create_order(&order("2001"), now).await.unwrap();
        let new = NewPayment {
            order_id: Some(order_id),
            provider: "paygent",
            settlement_kind: "paygent_card",
            link_key: "LK-1",
            state: "pending",
            amount: 6160,
            environment: "test",
            origin: "checkout",
        };
        let pay = store.create_payment(&new, now).await.unwrap();
        let op = store
            .begin_payment_operation(pay, "authorize", "カード決済オーソリ", 6160, None, now)
            .await
            .unwrap()
            .expect("nothing else is in flight");
        assert_eq!(
            store.payment_operations(pay).await.unwrap()[0].outcome,
            "pending"
        );
        assert_eq!(
            store
                .begin_payment_operation(pay, "capture", "カード決済売上", 0, None, now)
                .await
                .unwrap(),
            None,
            "{backend}: a second call cannot start while the first has no answer"
        );
        store
            .complete_payment_operation(op, "succeeded", Some("PID-1"), None, None, None, now)
            .await
            .unwrap();
        assert!(
            store
                .complete_payment_operation(op, "failed", None, None, None, None, now)
                .await
                .is_err(),
            "{backend}"
        );
        let update = PaymentStatusUpdate {
            provider_payment_id: Some("PID-1"),
            status_code: "20",
            status_label: "オーソリOK",
            state: "authorized",
            amount: 6160,
        };
        assert!(store
            .apply_payment_status(pay, 0, Some(&update), None, now)
            .await
            .unwrap());
        assert!(
            !store
                .apply_payment_status(pay, 0, Some(&update), None, now)
                .await
                .unwrap(),
            "{backend}: a report decided on an old version of the payment is not written"
        );
        let p = store.payment(pay).await.unwrap().unwrap();
        assert_eq!(
            (p.state.as_str(), p.provider_payment_id.as_deref()),
            ("authorized", Some("PID-1")),
            "{backend}"
        );
        let duplicate = NewPayment {
            order_id: None,
            amount: 1,
            ..new
        };
        assert!(
            store.create_payment(&duplicate, now).await.is_err(),
            "{backend}: link keys are unique"
        );
    }
}

#[tokio::test]
async fn payment_methods_keep_their_order_and_can_be_stopped_by_kind() {
    for backend in backends() {
        let (store, _db) = fresh(backend).await;
        let now = Utc::now();
        let m = |name: &str, kind: &str| NewPaymentMethod {
            name: name.into(),
            description_html: String::new(),
            settlement_kind: kind.into(),
            active: true,
        };
        let a = store
            .create_payment_method(&m("カード", "paygent_card"), now)
            .await
            .unwrap();
        let b = store
            .create_payment_method(&m("コンビニ", "paygent_conv"), now)
            .await
            .unwrap();
        let c = store
            .create_payment_method(&m("atone", "atone"), now)
            .await
            .unwrap();
        store
            .reorder_payment_methods(&[c, a, b], now)
            .await
            .unwrap();
        let names: Vec<String> = store
            .payment_methods()
            .await
            .unwrap()
            .into_iter()
            .map(|m| m.name)
            .collect();
        assert_eq!(names, ["atone", "カード", "コンビニ"], "{backend}");
        let stopped = store
            .stop_payment_methods(&["paygent_card", "paygent_conv"], now)
            .await
            .unwrap();
        assert_eq!(stopped.len(), 2);
        let active: Vec<bool> = store
            .payment_methods()
            .await
            .unwrap()
            .into_iter()
            .map(|m| m.active)
            .collect();
        assert_eq!(active, [true, false, false], "{backend}");
    }
}

#[tokio::test]
async fn settings_and_provider_settings_are_upserted() {
    for backend in backends() {
        let (store, _db) = fresh(backend).await;
        let now = Utc::now();
        store.put_setting("shop", "{\"a\":1}", now).await.unwrap();
        store.put_setting("shop", "{\"a\":2}", now).await.unwrap();
        assert_eq!(
            store.setting("shop").await.unwrap().as_deref(),
            Some("{\"a\":2}"),
            "{backend}"
        );
        store
            .put_provider_settings("paygent", "{}", "{}", now)
            .await
            .unwrap();
        store
            .put_provider_settings("paygent", "{\"x\":\"1\"}", "{}", now)
            .await
            .unwrap();
        assert_eq!(
            store
                .provider_settings("paygent")
                .await
                .unwrap()
                .unwrap()
                .values_json,
            "{\"x\":\"1\"}"
        );
    }
}

#[tokio::test]
async fn sessions_expire_and_failed_logins_are_counted() {
    for backend in backends() {
        let (store, _db) = fresh(backend).await;
        let now = Utc::now();
        assert!(store.create_admin("admin", "hash", now).await.unwrap());
        assert!(
            !store.create_admin("admin", "other", now).await.unwrap(),
            "{backend}: second create is a no-op"
        );
        let user = store.admin_by_login("admin").await.unwrap().unwrap();
        store
            .create_session("h1", user.id, "csrf", now, now + Duration::hours(1))
            .await
            .unwrap();
        assert!(store.session("h1", now).await.unwrap().is_some());
        assert!(
            store
                .session("h1", now + Duration::hours(2))
                .await
                .unwrap()
                .is_none(),
            "{backend}"
        );
        store
            .record_failed_login("admin", "127.0.0.1", now)
            .await
            .unwrap();
        store
            .record_failed_login("other", "127.0.0.1", now)
            .await
            .unwrap();
        assert_eq!(
            store
                .failed_logins_since("admin", "10.0.0.1", now - Duration::minutes(1))
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            store
                .failed_logins_since("x", "127.0.0.1", now - Duration::minutes(1))
                .await
                .unwrap(),
            2
        );
        let removed = store
            .purge_expired_access(now + Duration::hours(2), now + Duration::hours(2))
            .await
            .unwrap();
        assert_eq!(removed, 3, "{backend}");
    }
}

#[tokio::test]
async fn the_audit_log_lists_newest_first() {
    for backend in backends() {
        let (store, _db) = fresh(backend).await;
        let now = Utc::now();
        store
            .audit("admin", "ログイン", "admin", "", now)
            .await
            .unwrap();
        store
            .audit("admin", "基本設定を更新", "shop", "", now)
            .await
            .unwrap();
        let entries = store.audit_entries(10).await.unwrap();
        assert_eq!(entries[0].action, "基本設定を更新", "{backend}");
    }
}

#[tokio::test]
async fn members_register_once_per_address_and_can_withdraw() {
    for backend in backends() {
        let (store, _db) = fresh(backend).await;
        let now = Utc::now();
        let m = sample_member("hanako@example.jp");
        let id = store
            .create_member(&m, now)
            .await
            .unwrap()
            .expect("created");
        assert_eq!(
            store.create_member(&m, now).await.unwrap(),
            None,
            "{backend}: one member per address"
        );
        assert_eq!(
            store
                .member_by_email("hanako@example.jp")
                .await
                .unwrap()
                .unwrap()
                .id,
            id
        );
        store.withdraw_member(id, now).await.unwrap();
        assert!(store
            .member(id)
            .await
            .unwrap()
            .unwrap()
            .withdrawn_at
            .is_some());
        assert!(
            store.withdraw_member(id, now).await.is_err(),
            "{backend}: already withdrawn"
        );
    }
}

#[tokio::test]
async fn a_logged_checkout_becomes_exactly_one_order_with_its_follow_up_jobs_when_two_confirmations_race(
) {
    for backend in backends() {
        let (store, db) = fresh(backend).await;
        let now = Utc::now();
        let log = kessai::store::NewPrepaymentLog {
            link_key: "LK-RACE",
            provider: "paygent",
            settlement_kind: "paygent_card",
            amount: 6160,
            customer_name: "山田 太郎",
            checkout_json: "{\"cart\":[]}",
        };
        let payment = NewPayment {
            order_id: None,
            provider: "paygent",
            settlement_kind: "paygent_card",
            link_key: "LK-RACE",
            state: "pending",
            amount: 6160,
            environment: "test",
            origin: "checkout",
        };
        store.start_checkout(&log, &payment, now).await.unwrap();
        // The browser return and the notification, each on its own connection pool.
        let other = Store::connect(&db.url).await.unwrap();
        let mut racers = Vec::new();
        for (i, s) in [store.clone(), other.clone(), store.clone(), other]
            .into_iter()
            .enumerate()
        {
            racers.push(tokio::spawn(async move {
                let now = Utc::now();
                s.create_order_from_log("LK-RACE", &order(&format!("R-{i}")), now, now, |id| {
                    vec![kessai::store::NewJob {
                        kind: "follow_up".into(),
                        payload: id.to_string(),
                        dedup_key: None,
                        run_at: now,
                        max_attempts: 1,
                    }]
                })
                .await
                .unwrap()
            }));
        }
        let mut outcomes = Vec::new();
        for r in racers {
            outcomes.push(r.await.unwrap());
        }
        let created: Vec<_> = outcomes
            .iter()
            .filter(|o| matches!(o, kessai::store::OrderFromLog::Created(_)))
            .collect();
        assert_eq!(created.len(), 1, "{backend}: {outcomes:?}");
        let id = created[0].order_id();
        assert!(
            outcomes.iter().all(|o| o.order_id() == id),
            "{backend}: everyone sees the same order"
        );
        assert_eq!(
            store
                .prepayment_log("LK-RACE")
                .await
                .unwrap()
                .unwrap()
                .order_id,
            Some(id)
        );
        let follow_ups: Vec<_> = store
            .jobs_in_state(kessai::store::JobState::Queued, 10)
            .await
            .unwrap()
            .into_iter()
            .filter(|j| j.kind == "follow_up")
            .map(|j| j.payload)
            .collect();
        assert_eq!(
            follow_ups,
            [id.to_string()],
            "{backend}: only the creating confirmation enqueues"
        );
        assert!(
            !store.delete_prepayment_log("LK-RACE").await.unwrap(),
            "{backend}: a converted log stays"
        );
        let missing = store
            .create_order_from_log("LK-NONE", &order("X"), now, now, |_| Vec::new())
            .await;
        assert!(
            matches!(missing, Err(kessai::store::StoreError::NotFound(_))),
            "{backend}"
        );
    }
}

#[tokio::test]
async fn payment_errors_are_listed_counted_and_deleted() {
    for backend in backends() {
        let (store, _db) = fresh(backend).await;
        let now = Utc::now();
        let e = kessai::store::NewPaymentError {
            provider: "paygent",
            settlement_kind: "paygent_card",
            link_key: "LK-1",
            order_id: None,
            status_code: "P006",
            message: "必須項目が未設定です（会社名）",
            detail: "card ************1111",
        };
        let first = store.record_payment_error(&e, now).await.unwrap();
        store
            .record_payment_error(
                &kessai::store::NewPaymentError {
                    status_code: "2003",
                    ..e.clone()
                },
                now,
            )
            .await
            .unwrap();
        assert_eq!(store.payment_error_count().await.unwrap(), 2, "{backend}");
        assert_eq!(
            store.payment_errors(10).await.unwrap()[0].status_code,
            "2003",
            "{backend}: newest first"
        );
        assert_eq!(
            store.delete_payment_errors(Some(&[first])).await.unwrap(),
            1
        );
        assert_eq!(store.delete_payment_errors(None).await.unwrap(), 1);
        assert_eq!(store.payment_error_count().await.unwrap(), 0, "{backend}");
    }
}

#[tokio::test]
async fn shop_sessions_expire_are_replaced_and_end_with_the_members_withdrawal() {
    for backend in backends() {
        let (store, _db) = fresh(backend).await;
        let now = Utc::now();
        let member = store
            .create_member(&sample_member("taro@example.jp"), now)
            .await
            .unwrap()
            .unwrap();
        let session = |hash: &'static str, member_id, expires| NewShopSession {
            token_hash: hash,
            csrf_token: "csrf",
            member_id,
            data_json: "{}",
            expires_at: expires,
        };
        store
            .create_shop_session(&session("guest", None, now + Duration::days(1)), now)
            .await
            .unwrap();
        store
            .create_shop_session(&session("stale", None, now - Duration::seconds(1)), now)
            .await
            .unwrap();
        assert!(store.shop_session("stale", now).await.unwrap().is_none());

        // Login: the guest session is replaced by the member's under a new token.
        store
            .replace_shop_session(
                "guest",
                &session("member", Some(member), now + Duration::days(1)),
                now,
            )
            .await
            .unwrap();
        assert!(store.shop_session("guest", now).await.unwrap().is_none());
        let row = store.shop_session("member", now).await.unwrap().unwrap();
        assert_eq!(row.member_id, Some(member), "{backend}");
        store
            .save_shop_session(
                "member",
                Some(member),
                "{\"cart\":[]}",
                now + Duration::days(2),
            )
            .await
            .unwrap();
        assert_eq!(
            store
                .shop_session("member", now)
                .await
                .unwrap()
                .unwrap()
                .data_json,
            "{\"cart\":[]}"
        );

        assert_eq!(store.purge_expired_shop_sessions(now).await.unwrap(), 1);
        store.withdraw_member(member, now).await.unwrap();
        assert!(
            store.shop_session("member", now).await.unwrap().is_none(),
            "{backend}: withdrawal ends the member's sessions"
        );
    }
}

#[tokio::test]
async fn the_conversion_of_an_order_is_claimed_once_by_racing_views() {
    for backend in backends() {
        let (store, db) = fresh(backend).await;
        let other = Store::connect(&db.url).await.unwrap();
        let now = Utc::now();
        let id = store.create_order(&order("5001"), now).await.unwrap();

        let claims = join_all(
            (0..4)
                .map(|i| {
                    let s = if i % 2 == 0 {
                        store.clone()
                    } else {
                        other.clone()
                    };
                    tokio::spawn(async move { s.claim_conversion(id, now).await.unwrap() })
                })
                .collect(),
        )
        .await;

        assert_eq!(
            claims.iter().filter(|c| **c).count(),
            1,
            "{backend}: one view shows the tag"
        );
        assert!(!store.claim_conversion(id, now).await.unwrap());
    }
}

/// Waits for every task.
async fn join_all(tasks: Vec<tokio::task::JoinHandle<bool>>) -> Vec<bool> {
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}
