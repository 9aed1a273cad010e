//! Kept cards (お預かりカード, spec §3.4, §5, §6): kept by A08 with a member's token,
//! listed by A03, changed by A04, deleted by A05, paid with by a token naming the
//! `cardKey`.

use sandbox::yamato::testcard::{APPROVED_JCB, APPROVED_MASTER, APPROVED_VISA, DECLINED_BY_ISSUER};
use sandbox::yamato::MAX_KEPT_CARDS;

use crate::support::{member_sum, sha256, Xml, Yamato, ACCESS_KEY, TRADER_CODE};

const MEMBER: &str = "wc-1025";
const KEY: &str = "a1b2c3d4";

/// Keep `card` for the member by paying `order_no` with it.
async fn keep(yamato: &Yamato, order_no: &str, card: &str) -> Xml {
    let answer = yamato
        .member_token(
            MEMBER,
            KEY,
            &[
                ("cardNo", card),
                ("cardOwner", "TARO YAMADA"),
                ("cardExp", "1130"),
            ],
        )
        .await;
    assert_eq!(answer["returnCode"], "0", "{answer}");
    yamato
        .authorise(
            order_no,
            "1000",
            answer["token"].as_str().unwrap(),
            &[
                ("member_id", MEMBER),
                ("authentication_key", KEY),
                ("option_service_div", "01"),
            ],
        )
        .await
}

/// A03 for the member with `sum`.
async fn list_with(yamato: &Yamato, key: &str, sum: &str) -> Xml {
    yamato
        .call(
            "creditInfoGet",
            "A03",
            &[
                ("member_id", MEMBER),
                ("authentication_key", key),
                ("check_sum", sum),
            ],
        )
        .await
}

async fn list(yamato: &Yamato) -> Xml {
    list_with(yamato, KEY, &member_sum(MEMBER, KEY)).await.ok()
}

#[tokio::test]
async fn a_member_has_no_cards_until_one_is_kept_by_a_payment() {
    let yamato = Yamato::start().await;
    let before = list(&yamato).await;

    keep(&yamato, "KEEP-1", APPROVED_VISA).await.ok();
    let after = list(&yamato).await;

    assert_eq!(before.text("cardUnit"), "0");
    assert_eq!(after.text("cardUnit"), "1");
    let card = &after.all("cardData")[0];
    assert_eq!(card.text("cardKey"), "1");
    assert_eq!(card.text("maskingCardNo"), "************1111");
    assert_eq!(card.text("cardExp"), "1130");
    assert_eq!(card.text("cardOwner"), "TARO YAMADA");
    assert_eq!(card.text("cardCodeApi"), "9");
    assert_eq!(card.text("lastCreditDate"), "20260510100000");
    assert_eq!(yamato.inquire("KEEP-1").await.ok().text("memberId"), MEMBER);
}

#[tokio::test]
async fn a_declined_card_is_not_kept() {
    let yamato = Yamato::start().await;

    let declined = keep(&yamato, "KEEP-NG", DECLINED_BY_ISSUER).await;

    assert_eq!(declined.error(), "A082000010");
    assert_eq!(list(&yamato).await.text("cardUnit"), "0");
}

#[tokio::test]
async fn the_check_sum_is_sha256_of_member_key_and_access_key() {
    let yamato = Yamato::start().await;
    keep(&yamato, "SUM-1", APPROVED_VISA).await.ok();

    let good = list_with(&yamato, KEY, &sha256(&format!("{MEMBER}{KEY}{ACCESS_KEY}"))).await;
    let upper = list_with(&yamato, KEY, &member_sum(MEMBER, KEY).to_uppercase()).await;
    let wrong = list_with(&yamato, KEY, &sha256(&format!("{MEMBER}{KEY}"))).await;
    let missing = list_with(&yamato, KEY, "").await;
    let other_key = list_with(&yamato, "zzzz", &member_sum(MEMBER, "zzzz")).await;

    assert_eq!(good.code(), "0");
    assert_eq!(upper.error(), "A031010504");
    assert_eq!(wrong.error(), "A031010504");
    assert_eq!(missing.error(), "A031010501");
    assert_eq!(other_key.error(), "A031010404");
}

#[tokio::test]
async fn a_kept_card_pays_by_its_card_key_and_moves_its_last_credit_date() {
    let yamato = Yamato::start().await;
    keep(&yamato, "USE-1", APPROVED_VISA).await.ok();
    yamato.advance(chrono::Duration::hours(1));

    let token = yamato
        .member_token(
            MEMBER,
            KEY,
            &[("cardKey", "1"), ("lastCreditDate", "20260510100000")],
        )
        .await;
    let paid = yamato
        .authorise(
            "USE-2",
            "2500",
            token["token"].as_str().unwrap(),
            &[("member_id", MEMBER), ("authentication_key", KEY)],
        )
        .await
        .ok();
    let stale = yamato
        .member_token(
            MEMBER,
            KEY,
            &[("cardKey", "1"), ("lastCreditDate", "20260510100000")],
        )
        .await;

    assert_eq!(paid.text("crdCResCd").len(), 7);
    let cards = list(&yamato).await;
    assert_eq!(cards.text("cardUnit"), "1");
    assert_eq!(cards.text("lastCreditDate"), "20260510110000");
    assert_eq!(stale["errorInfo"][0]["errorCode"], "Y021010804");
}

#[tokio::test]
async fn a_members_token_must_be_used_with_the_same_member() {
    let yamato = Yamato::start().await;
    let token = yamato
        .member_token(
            MEMBER,
            KEY,
            &[
                ("cardNo", APPROVED_VISA),
                ("cardOwner", "TARO YAMADA"),
                ("cardExp", "1130"),
            ],
        )
        .await;
    let token = token["token"].as_str().unwrap();
    let one_off = yamato.token(APPROVED_VISA).await;

    let without = yamato.authorise("MEM-1", "1000", token, &[]).await;
    let other = yamato
        .authorise(
            "MEM-2",
            "1000",
            token,
            &[("member_id", "wc-9"), ("authentication_key", KEY)],
        )
        .await;
    let other_key = yamato
        .authorise(
            "MEM-3",
            "1000",
            token,
            &[("member_id", MEMBER), ("authentication_key", "x1")],
        )
        .await;
    let not_for_members = yamato
        .authorise(
            "MEM-4",
            "1000",
            &one_off,
            &[("member_id", MEMBER), ("authentication_key", KEY)],
        )
        .await;

    assert_eq!(without.error(), "A081011301");
    assert_eq!(other.error(), "A081011304");
    assert_eq!(other_key.error(), "A081011404");
    assert_eq!(not_for_members.error(), "A081011304");
}

#[tokio::test]
async fn a_member_keeps_a_limited_number_of_cards_and_the_same_card_once() {
    let yamato = Yamato::start().await;
    assert_eq!(MAX_KEPT_CARDS, 3);
    keep(&yamato, "MAX-1", APPROVED_VISA).await.ok();
    keep(&yamato, "MAX-2", APPROVED_MASTER).await.ok();
    keep(&yamato, "MAX-3", APPROVED_VISA).await.ok();
    keep(&yamato, "MAX-4", APPROVED_JCB).await.ok();

    let full = keep(&yamato, "MAX-5", "36438999960016").await;
    let same_again = keep(&yamato, "MAX-6", APPROVED_MASTER).await;

    assert_eq!(full.error(), "A082070001");
    assert_eq!(same_again.code(), "0");
    let keys: Vec<_> = list(&yamato)
        .await
        .all("cardData")
        .iter()
        .map(|c| c.text("cardKey"))
        .collect();
    assert_eq!(keys, vec!["1", "2", "3"]);
}

#[tokio::test]
async fn a04_changes_the_expiry_and_holder_of_a_kept_card() {
    let yamato = Yamato::start().await;
    keep(&yamato, "UPD-1", APPROVED_VISA).await.ok();
    let sum = member_sum(MEMBER, KEY);
    let base = [
        ("member_id", MEMBER),
        ("authentication_key", KEY),
        ("check_sum", sum.as_str()),
        ("card_key", "1"),
        ("last_credit_date", "20260510100000"),
    ];
    let call = |extra: &'static [(&'static str, &'static str)]| {
        let mut fields = base.to_vec();
        fields.extend_from_slice(extra);
        let yamato = &yamato;
        async move { yamato.call("creditInfoUpdate", "A04", &fields).await }
    };

    let nothing = call(&[]).await;
    let past = call(&[("card_exp", "0426")]).await;
    let changed = call(&[("card_exp", "0231"), ("card_owner", "HANAKO YAMADA")]).await;

    assert_eq!(nothing.error(), "A041010801");
    assert_eq!(past.error(), "A041010802");
    assert_eq!(changed.code(), "0");
    let card = list(&yamato).await;
    assert_eq!(card.text("cardExp"), "0231");
    assert_eq!(card.text("cardOwner"), "HANAKO YAMADA");
    assert_eq!(card.text("maskingCardNo"), "************1111");
}

/// A05 of the member's card `key` last used at `date`.
async fn delete(yamato: &Yamato, key: &str, date: &str) -> Xml {
    let sum = member_sum(MEMBER, KEY);
    let fields = [
        ("member_id", MEMBER),
        ("authentication_key", KEY),
        ("check_sum", sum.as_str()),
        ("card_key", key),
        ("last_credit_date", date),
    ];
    yamato.call("creditInfoDelete", "A05", &fields).await
}

#[tokio::test]
async fn a05_deletes_a_kept_card_named_by_its_key_and_last_credit_date() {
    let yamato = Yamato::start().await;
    keep(&yamato, "DEL-1", APPROVED_VISA).await.ok();
    let wrong_date = delete(&yamato, "1", "20260510100001").await;
    let wrong_key = delete(&yamato, "2", "20260510100000").await;
    let deleted = delete(&yamato, "1", "20260510100000").await;
    let again = delete(&yamato, "1", "20260510100000").await;

    assert_eq!(wrong_date.error(), "A051010704");
    assert_eq!(wrong_key.error(), "A051010601");
    assert_eq!(deleted.code(), "0");
    assert_eq!(again.error(), "A051010601");
    assert_eq!(list(&yamato).await.text("cardUnit"), "0");
}

#[tokio::test]
async fn a_member_token_needs_the_member_check_sum() {
    let yamato = Yamato::start().await;

    let answer = yamato
        .create_token(&[
            ("traderCode", TRADER_CODE),
            ("authDiv", "2"),
            ("optServDiv", "01"),
            ("memberId", MEMBER),
            ("authKey", KEY),
            ("checkSum", &sha256(&format!("{ACCESS_KEY}2"))),
            ("cardNo", APPROVED_VISA),
            ("cardOwner", "TARO YAMADA"),
            ("cardExp", "1130"),
            ("securityCode", "123"),
        ])
        .await;

    assert_eq!(answer["errorInfo"][0]["errorCode"], "Y021010604");
}
