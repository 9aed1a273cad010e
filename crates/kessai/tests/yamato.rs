//! Kuroneko Web Collect's API client against its sandbox: a token minted as the token JS
//! does, A08, E04, E01 with a 送り状番号, A07, A06, and a refused card. (The checkout and
//! the operator's operations are not connected yet.)

mod common;

use common::TestApp;
use kessai::providers::yamato::client::{Authorize, Authorized, Client};
use kessai::providers::yamato::wire;
use kessai::providers::ProviderError;
use sandbox::yamato::testcard;

const TRADER: &str = "888888709";
const ACCESS_KEY: &str = "1234567";

/// A token for `card`, as the token JS would get it from the browser.
async fn token(app: &TestApp, card: &str) -> String {
    let answer: serde_json::Value = app
        .client
        .post(app.url("/sandbox/yamato/test_gateway/token/createToken"))
        .form(&[
            ("traderCode", TRADER),
            ("authDiv", "0"),
            ("optServDiv", "00"),
            ("checkSum", &wire::token_check_sum(None, ACCESS_KEY, "0")),
            ("cardNo", card),
            ("cardOwner", "TARO YAMADA"),
            ("cardExp", "1235"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["token"]
        .as_str()
        .unwrap_or_else(|| panic!("a token: {answer}"))
        .to_owned()
}

fn authorize<'a>(order_no: &'a str, token: &'a str) -> Authorize<'a> {
    Authorize {
        order_no,
        amount: 2080,
        token,
        pay_way: "1",
        buyer_name: "山田太郎",
        buyer_tel: "0312345678",
        buyer_email: "buyer@example.jp",
        three_d_return: None,
        member: None,
    }
}

#[tokio::test]
async fn a_token_authorization_is_captured_by_the_shipment_changed_and_cancelled() {
    let app = TestApp::spawn().await;
    let client = Client::new(&app.url("/sandbox/yamato"), true, TRADER);
    let token = token(&app, testcard::APPROVED_VISA).await;

    let authorized = client.authorize(&authorize("K0001", &token)).await.unwrap();
    let after_auth = client.trade_info("K0001").await.unwrap();
    client.ship("K0001", "123456789013", true).await.unwrap();
    let after_ship = client.trade_info("K0001").await.unwrap();
    client.change_price("K0001", 1580).await.unwrap();
    let after_change = client.trade_info("K0001").await.unwrap();
    client.cancel("K0001").await.unwrap();
    let after_cancel = client.trade_info("K0001").await.unwrap();

    assert!(matches!(authorized, Authorized::Done { ref approval } if !approval.is_empty()));
    assert_eq!(after_auth["statusInfo"], "4");
    assert_eq!(after_ship["statusInfo"], "30");
    assert_eq!(after_ship["slipNo"], "123456789013");
    assert_eq!(after_change["settlePrice"], "1580");
    assert_eq!(after_cancel["statusInfo"], "40");
}

#[tokio::test]
async fn a_refused_card_and_a_bad_slip_name_yamatos_codes() {
    let app = TestApp::spawn().await;
    let client = Client::new(&app.url("/sandbox/yamato"), true, TRADER);
    let declined = token(&app, testcard::DECLINED_BY_ISSUER).await;
    let approved = token(&app, testcard::APPROVED_VISA).await;

    let refused = client.authorize(&authorize("K0002", &declined)).await;
    client
        .authorize(&authorize("K0003", &approved))
        .await
        .unwrap();
    let bad_slip = client.ship("K0003", "123456789012", true).await;

    match refused {
        Err(ProviderError::Refused { code, message, .. }) => {
            assert_eq!(code, "A082000010");
            assert!(message.contains("承認されませんでした"), "{message}");
        }
        other => panic!("refused expected: {other:?}"),
    }
    assert!(
        matches!(bad_slip, Err(ProviderError::Refused { .. })),
        "{bad_slip:?}"
    );
    assert_eq!(
        wire::check_slip("123456789012", true),
        Err(wire::SlipError::CheckDigit),
        "kessai refuses it before the call"
    );
}
