//! The back office (加盟店管理画面 stand-in): transactions, kept cards, test cards and the
//! traders, on the sandbox clock in Japan time.

use sandbox::yamato::testcard::{APPROVED_VISA, CARDS, THREE_D_FAIL};

use crate::support::{Yamato, ACCESS_KEY, TRADER_CODE};

#[tokio::test]
async fn the_back_office_lists_transactions_with_their_history_and_status() {
    let yamato = Yamato::start().await;
    yamato.paid("BO-1", "12345", APPROVED_VISA).await;
    yamato.ship("BO-1", "123456789013", "00").await.ok();

    let (status, content_type, page) = yamato.page("/backoffice").await;

    assert_eq!(status, 200);
    assert_eq!(content_type, "text/html; charset=UTF-8");
    assert!(
        page.contains("2026/05/10 10:00:00"),
        "the clock in Japan time"
    );
    for text in [
        "BO-1",
        "山田 太郎",
        "12,345円",
        "VISA ************1111",
        "精算確定待ち（30）",
        "123456789013",
        "クロネコヤマト",
        "与信",
        "出荷情報登録（売上確定）",
        "配達完了（精算確定）",
    ] {
        assert!(page.contains(text), "{text}");
    }
}

#[tokio::test]
async fn the_back_office_lists_the_test_cards_and_the_traders() {
    let yamato = Yamato::start().await;

    let (_, _, page) = yamato.page("/backoffice").await;

    for card in CARDS {
        assert!(page.contains(card.number), "{}", card.number);
    }
    assert!(page.contains(THREE_D_FAIL));
    assert!(page.contains("A092050001"));
    assert!(page.contains(TRADER_CODE));
    assert!(page.contains(ACCESS_KEY));
    assert!(page.contains("123456789013"), "a valid slip number");
}

#[tokio::test]
async fn the_back_office_lists_kept_cards_by_member() {
    let yamato = Yamato::start().await;
    let token = yamato
        .member_token(
            "wc-77",
            "k77",
            &[
                ("cardNo", APPROVED_VISA),
                ("cardOwner", "TARO YAMADA"),
                ("cardExp", "1130"),
            ],
        )
        .await;
    yamato
        .authorise(
            "BO-KEEP",
            "1000",
            token["token"].as_str().unwrap(),
            &[("member_id", "wc-77"), ("authentication_key", "k77")],
        )
        .await
        .ok();

    let (_, _, page) = yamato.page("/backoffice").await;

    assert!(page.contains("お預かりカード"));
    assert!(page.contains("wc-77"));
    assert!(page.contains("1130"));
    assert!(!page.contains(APPROVED_VISA.repeat(2).as_str()));
}

#[tokio::test]
async fn confirming_delivery_of_an_unshipped_order_says_so() {
    let yamato = Yamato::start().await;
    yamato.paid("BO-NOSHIP", "1000", APPROVED_VISA).await;

    let response = yamato
        .http
        .post(format!("{}/backoffice/deliver", yamato.base))
        .form(&[("trader_code", TRADER_CODE), ("order_no", "BO-NOSHIP")])
        .send()
        .await
        .unwrap();

    assert_eq!(response.status().as_u16(), 303);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.ends_with("/sandbox/yamato/backoffice?message=%E7%B2%BE%E7%AE%97%E7%A2%BA%E5%AE%9A%E5%BE%85%E3%81%A1%E3%81%AE%E5%8F%96%E5%BC%95%E3%81%A7%E3%81%AF%E3%81%82%E3%82%8A%E3%81%BE%E3%81%9B%E3%82%93%E3%80%82"), "{location}");
    assert_eq!(yamato.status("BO-NOSHIP").await, "4");
}
