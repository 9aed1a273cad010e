//! 3-D Secure: A08 with `trader_ec_url`, `threeDAuthHtml`, the ACS page, the post back to
//! the shop and A09 `creditToken3D` (spec §3.1, §3.2).

use chrono::Duration;
use sandbox::yamato::testcard::{APPROVED_VISA, THREE_D_EXCLUDED, THREE_D_FAIL, THREE_D_PASS};

use crate::support::{form_of, Yamato, RETURN_URL};

#[tokio::test]
async fn a_challenge_card_passes_3ds_and_a09_authorises_it_once() {
    let yamato = Yamato::start().await;
    let (three_d_token, html) = yamato.start_3ds("3DS-PASS", THREE_D_PASS).await;
    assert_eq!(yamato.status("3DS-PASS").await, "50");

    let (action, posted) = yamato.through_acs(&html, "authenticate").await;
    let completed = yamato.complete("3DS-PASS", &three_d_token, &posted).await;
    let replayed = yamato.complete("3DS-PASS", &three_d_token, &posted).await;

    assert_eq!(action, RETURN_URL, "the shop's URL, query string and all");
    assert_eq!(posted["RES_PA"], "Y");
    assert_eq!(posted["RES_CODE"], "0");
    assert_eq!(posted["ITEM_PRICE"], "5000");
    assert_eq!(posted["CARD_EXP"], "1230");
    assert!(!posted.contains_key("ORDER_NO"));
    for name in [
        "COMP_CD",
        "TOKEN",
        "SHOP_ID",
        "TERM_CD",
        "RES_VE",
        "3D_INF",
        "3D_TRAN_ID",
        "SEND_DT",
        "HASH_VALUE",
    ] {
        assert!(!posted[name].is_empty(), "{name}");
    }
    let completed = completed.ok();
    assert_eq!(completed.text("crdCResCd").len(), 7);
    assert_eq!(replayed.error(), "A092000001");
    let data = yamato.inquire("3DS-PASS").await.ok();
    assert_eq!(data.text("statusInfo"), "4");
    assert_eq!(data.text("threeDCode"), "Y");
    assert_eq!(data.text("crdCResCd"), completed.text("crdCResCd"));
}

#[tokio::test]
async fn the_auth_html_is_a_page_that_posts_to_the_sandboxs_acs_by_itself() {
    let yamato = Yamato::start().await;

    let (_, html) = yamato.start_3ds("3DS-HTML", THREE_D_PASS).await;

    let (action, fields) = form_of(&html);
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("document.forms[0].submit()"));
    assert_eq!(action, format!("{}/3ds/acs", yamato.base));
    assert_eq!(fields[0].0, "TRAN_ID");
}

#[tokio::test]
async fn a_failing_card_is_refused_by_a09_and_left_as_a_buyer_error() {
    let yamato = Yamato::start().await;
    let (three_d_token, html) = yamato.start_3ds("3DS-FAIL", THREE_D_FAIL).await;

    let (_, posted) = yamato.through_acs(&html, "authenticate").await;
    let completed = yamato.complete("3DS-FAIL", &three_d_token, &posted).await;
    let replayed = yamato.complete("3DS-FAIL", &three_d_token, &posted).await;

    assert_eq!(posted["RES_PA"], "N");
    assert_eq!(completed.code(), "1");
    assert_eq!(completed.error(), "A092050001");
    assert_eq!(replayed.error(), "A092000001");
    let data = yamato.inquire("3DS-FAIL").await.ok();
    assert_eq!(data.text("statusInfo"), "11");
    assert_eq!(data.text("crdCResCd"), "");
}

#[tokio::test]
async fn cancelling_on_the_acs_page_fails_the_authentication() {
    let yamato = Yamato::start().await;
    let (three_d_token, html) = yamato.start_3ds("3DS-CANCEL", THREE_D_PASS).await;

    let (_, posted) = yamato.through_acs(&html, "cancel").await;
    let completed = yamato.complete("3DS-CANCEL", &three_d_token, &posted).await;

    assert_eq!(posted["RES_PA"], "N");
    assert_eq!(completed.error(), "A092050001");
}

#[tokio::test]
async fn an_approved_card_passes_3ds_without_a_challenge() {
    let yamato = Yamato::start().await;
    let token = yamato.token_with(APPROVED_VISA, "1").await;

    let answer = yamato
        .authorise(
            "3DS-FRICTIONLESS",
            "2000",
            &token,
            &[("trader_ec_url", RETURN_URL)],
        )
        .await
        .ok();

    assert_eq!(answer.text("crdCResCd").len(), 7);
    assert_eq!(answer.get("threeDToken"), None);
    let data = yamato.inquire("3DS-FRICTIONLESS").await.ok();
    assert_eq!(data.text("statusInfo"), "4");
    assert_eq!(data.text("threeDCode"), "Y");
}

#[tokio::test]
async fn a_card_excluded_from_3ds_is_refused_only_when_3ds_is_asked_for() {
    let yamato = Yamato::start().await;
    let with = yamato.token_with(THREE_D_EXCLUDED, "3").await;

    let refused = yamato
        .authorise(
            "3DS-EXCLUDED",
            "2000",
            &with,
            &[("trader_ec_url", RETURN_URL)],
        )
        .await;
    let without = yamato
        .paid("NO-3DS-EXCLUDED", "2000", THREE_D_EXCLUDED)
        .await;

    assert_eq!(refused.error(), "A082050002");
    assert_eq!(without.code(), "0");
}

#[tokio::test]
async fn a_token_minted_for_3ds_needs_a_return_url() {
    let yamato = Yamato::start().await;
    let token = yamato.token_with(THREE_D_PASS, "1").await;

    let answer = yamato.authorise("3DS-NO-URL", "2000", &token, &[]).await;

    assert_eq!(answer.error(), "A081011501");
}

#[tokio::test]
async fn a09_refuses_a_result_the_acs_did_not_post() {
    let yamato = Yamato::start().await;
    let (three_d_token, html) = yamato.start_3ds("3DS-TAMPER", THREE_D_FAIL).await;
    let (_, mut posted) = yamato.through_acs(&html, "authenticate").await;

    posted.insert("RES_PA".into(), "Y".into());
    let forged = yamato.complete("3DS-TAMPER", &three_d_token, &posted).await;
    posted.insert("RES_PA".into(), "N".into());
    posted.insert("HASH_VALUE".into(), "0".repeat(64));
    let rehashed = yamato.complete("3DS-TAMPER", &three_d_token, &posted).await;
    posted.remove("HASH_VALUE");
    let missing = yamato.complete("3DS-TAMPER", &three_d_token, &posted).await;
    let other_token = yamato.complete("3DS-TAMPER", "x", &posted).await;
    let unknown = yamato.complete("3DS-NOPE", &three_d_token, &posted).await;

    assert_eq!(forged.error(), "A091011404");
    assert_eq!(rehashed.error(), "A091011904");
    assert_eq!(missing.error(), "A091011901");
    assert_eq!(other_token.error(), "A091012004");
    assert_eq!(unknown.error(), "A091010301");
    assert_eq!(yamato.status("3DS-TAMPER").await, "50");
}

#[tokio::test]
async fn a09_before_the_buyer_answered_the_acs_is_refused() {
    let yamato = Yamato::start().await;
    let (three_d_token, _) = yamato.start_3ds("3DS-EARLY", THREE_D_PASS).await;

    let answer = yamato
        .complete("3DS-EARLY", &three_d_token, &Default::default())
        .await;

    assert_eq!(answer.error(), "A092000004");
}

#[tokio::test]
async fn a09_of_an_order_without_3ds_counts_as_already_processed() {
    let yamato = Yamato::start().await;
    yamato.paid("PLAIN-1", "1000", APPROVED_VISA).await;

    let answer = yamato
        .complete("PLAIN-1", "whatever", &Default::default())
        .await;

    assert_eq!(answer.error(), "A092000001");
}

#[tokio::test]
async fn an_authentication_left_30_minutes_is_interrupted() {
    let yamato = Yamato::start().await;
    let (late_token, late_html) = yamato.start_3ds("3DS-LATE", THREE_D_PASS).await;
    let (slow_token, slow_html) = yamato.start_3ds("3DS-SLOW", THREE_D_PASS).await;
    let (_, slow_posted) = yamato.through_acs(&slow_html, "authenticate").await;

    yamato.advance(Duration::minutes(30));
    let (_, late_posted) = yamato.through_acs_expired(&late_html).await;
    let late = yamato.complete("3DS-LATE", &late_token, &late_posted).await;
    let slow = yamato.complete("3DS-SLOW", &slow_token, &slow_posted).await;

    assert_eq!(late_posted["RES_PA"], "U");
    assert_eq!(late.error(), "A092000003");
    assert_eq!(slow.error(), "A092000003");
    assert_eq!(yamato.status("3DS-LATE").await, "20");
    assert_eq!(yamato.status("3DS-SLOW").await, "20");
}

#[tokio::test]
async fn the_acs_page_posts_the_same_result_again_when_revisited() {
    let yamato = Yamato::start().await;
    let (_, html) = yamato.start_3ds("3DS-AGAIN", THREE_D_PASS).await;
    let (_, first) = yamato.through_acs(&html, "authenticate").await;

    let again = yamato.submit(&html, &[]).await;

    let (action, fields) = form_of(&again);
    assert_eq!(action, RETURN_URL);
    let fields: std::collections::HashMap<_, _> = fields.into_iter().collect();
    assert_eq!(fields, first);
}

impl Yamato {
    /// The buyer reaches the ACS after its time: the page posts the timeout at once.
    async fn through_acs_expired(
        &self,
        html: &str,
    ) -> (String, std::collections::HashMap<String, String>) {
        let back = self.submit(html, &[]).await;
        let (action, fields) = form_of(&back);
        (action, fields.into_iter().collect())
    }
}
