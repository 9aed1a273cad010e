//! The Paygent connector against the built-in Paygent sandbox, over real HTTP in Shift_JIS:
//! the two sides were written independently from the spec, so these tests check the bytes.

mod common;

use common::TestApp;
use kessai::providers::paygent::client::{Client, Credentials, PaygentError, TIMEOUT};
use kessai::providers::paygent::wire::Authorize;
use kessai::secrets::Secret;

fn client(app: &TestApp, password: &str) -> Client {
    let credentials = Credentials {
        merchant_id: "123456789".into(),
        connect_id: "sandboxconnect".into(),
        connect_password: Secret::new(password),
    };
    Client::new(&app.url("/sandbox/paygent"), credentials, TIMEOUT, None).unwrap()
}

/// Tokenizes a test card the way PaygentToken.js does in the buyer's browser.
async fn token(app: &TestApp, card_number: &str) -> String {
    let receipt: serde_json::Value =
        serde_json::from_str(&app.card_token(card_number).await).unwrap();
    receipt["token"].as_str().unwrap().to_owned()
}

fn authorize<'a>(token: &'a str, trading_id: &'a str, amount: i64, capture: bool) -> Authorize<'a> {
    Authorize {
        trading_id,
        amount,
        card_token: token,
        payment_class: "10",
        split_count: None,
        capture,
        skip_3ds: true,
        security_code_use: false,
        stored_card: None,
        three_ds_auth_id: None,
    }
}

#[tokio::test]
async fn a_card_is_authorized_captured_changed_and_cancelled_at_the_sandbox() {
    let app = TestApp::spawn().await;
    let paygent = client(&app, "sandboxpassword");
    let tok = token(&app, "4111111111110000").await;

    let auth = paygent
        .authorize(&authorize(&tok, "ORDER_1001", 2490, false))
        .await
        .unwrap();
    assert!(!auth.payment_id.is_empty());
    assert_eq!(
        auth.masked_card_number, "************0000",
        "only the masked number comes back"
    );
    assert_eq!(
        paygent
            .inquiry(&auth.payment_id, "", "")
            .await
            .unwrap()
            .status_code,
        "20",
        "オーソリOK"
    );

    paygent.capture(&auth.payment_id).await.unwrap();
    let captured = paygent.inquiry(&auth.payment_id, "", "").await.unwrap();
    assert_eq!(
        (captured.status_code.as_str(), captured.amount),
        ("40", Some(2490)),
        "消込済"
    );

    // 金額変更 on a captured payment: 029 issues a new payment id and ends the old one.
    let new_id = paygent
        .change_amount(&auth.payment_id, true, 1980)
        .await
        .unwrap();
    assert_ne!(new_id, auth.payment_id);
    let new = paygent.inquiry(&new_id, "", "").await.unwrap();
    assert_eq!((new.status_code.as_str(), new.amount), ("40", Some(1980)));
    assert_eq!(
        paygent
            .inquiry(&auth.payment_id, "", "")
            .await
            .unwrap()
            .status_code,
        "60",
        "old payment 売上取消済"
    );

    paygent.cancel_sale(&new_id).await.unwrap();
    assert_eq!(
        paygent.inquiry(&new_id, "", "").await.unwrap().status_code,
        "60"
    );
}

#[tokio::test]
async fn an_authorization_can_be_cancelled_but_not_captured_twice() {
    let app = TestApp::spawn().await;
    let paygent = client(&app, "sandboxpassword");
    let tok = token(&app, "4111111111110000").await;
    let auth = paygent
        .authorize(&authorize(&tok, "ORDER_1002", 1000, true))
        .await
        .unwrap();
    assert_eq!(
        paygent
            .inquiry(&auth.payment_id, "", "")
            .await
            .unwrap()
            .status_code,
        "40",
        "同時売上 goes straight to 40"
    );
    let again = paygent.capture(&auth.payment_id).await.unwrap_err();
    assert!(
        matches!(again, PaygentError::Rejected { ref code, .. } if code == "2004"),
        "{again:?}"
    );

    let tok = token(&app, "4111111111110000").await;
    let auth = paygent
        .authorize(&authorize(&tok, "ORDER_1003", 1000, false))
        .await
        .unwrap();
    paygent
        .cancel_authorization(&auth.payment_id)
        .await
        .unwrap();
    assert_eq!(
        paygent
            .inquiry(&auth.payment_id, "", "")
            .await
            .unwrap()
            .status_code,
        "32",
        "オーソリ取消済"
    );
}

#[tokio::test]
async fn a_declined_card_and_wrong_credentials_are_refused_with_paygents_codes() {
    let app = TestApp::spawn().await;
    let paygent = client(&app, "sandboxpassword");
    let tok = token(&app, "4111111111118100").await;
    let declined = paygent
        .authorize(&authorize(&tok, "ORDER_2001", 500, false))
        .await
        .unwrap_err();
    assert!(
        matches!(declined, PaygentError::Rejected { ref code, .. } if code == "2002"),
        "{declined:?}"
    );
    assert!(!declined.outcome_unknown());

    let wrong = client(&app, "not-the-password");
    let err = wrong.inquiry("1", "", "").await.unwrap_err();
    assert!(
        matches!(err, PaygentError::Rejected { ref code, .. } if code == "P002"),
        "{err:?}"
    );
}

#[tokio::test]
async fn japanese_text_travels_in_shift_jis_and_unsendable_characters_are_refused_locally() {
    let app = TestApp::spawn().await;
    let paygent = client(&app, "sandboxpassword");
    let tok = token(&app, "4111111111110000").await;
    // A trading id only allows ASCII; Paygent's check answers, proving the body was read.
    let err = paygent
        .authorize(&authorize(&tok, "注文_1", 100, false))
        .await
        .unwrap_err();
    assert!(matches!(err, PaygentError::Rejected { .. }), "{err:?}");
    let err = paygent
        .authorize(&authorize(&tok, "😀", 100, false))
        .await
        .unwrap_err();
    assert!(
        matches!(err, PaygentError::Encode(ref e) if e.field == "trading_id"),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_unreachable_paygent_leaves_the_outcome_unknown() {
    let credentials = Credentials {
        merchant_id: "123456789".into(),
        connect_id: "sandboxconnect".into(),
        connect_password: Secret::new("sandboxpassword"),
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let paygent = Client::new(
        &format!("http://127.0.0.1:{port}"),
        credentials,
        std::time::Duration::from_secs(2),
        None,
    )
    .unwrap();
    let err = paygent.capture("1").await.unwrap_err();
    assert!(err.outcome_unknown(), "{err:?}");
}
