//! Remise's steps, played against its sandbox.

use std::collections::HashMap;
use std::sync::Mutex;

use super::*;
use common::remise::{
    choose_destination, pay_card_at_remise, receive_in_back_office, return_to_shop,
};

/// Remise's auto-posting pages back to the shop, by link key, between the payment and
/// the browser's return.
static BACK: Mutex<Option<HashMap<String, String>>> = Mutex::new(None);

/// The buyer pays on Remise's card page; Remise's 結果通知 is stored, the browser is
/// about to come back.
pub async fn card(app: &TestApp, s: &Started) {
    let back = pay_card_at_remise(
        app,
        &s.link_key,
        Some(sandbox::remise::testcard::APPROVED_VISA),
    )
    .await;
    BACK.lock()
        .unwrap()
        .get_or_insert_with(HashMap::new)
        .insert(s.link_key.clone(), back);
}

/// The browser posts Remise's page back to the shop.
pub async fn come_back(app: &TestApp, s: &Started) {
    let back = BACK
        .lock()
        .unwrap()
        .get_or_insert_with(HashMap::new)
        .remove(&s.link_key)
        .expect("paid first");
    let r = return_to_shop(app, &back).await;
    assert_eq!(r.status().as_u16(), 303, "{}", r.text().await.unwrap());
    assert_eq!(location(&r), format!("/checkout/{}/done", s.link_key));
}

/// The buyer picks セブン-イレブン on Remise's page and is back with the number.
pub async fn store_chosen(app: &TestApp, s: &Started) {
    let r = choose_destination(app, &s.link_key, "D001").await;
    assert_eq!(r.status().as_u16(), 303, "{}", r.text().await.unwrap());
}

/// The buyer pays at the store, as the sandbox's back office plays it.
pub async fn paid_in_back_office(app: &TestApp, s: &Started) {
    receive_in_back_office(app, &s.link_key).await;
}

/// Nothing of Remise's is signed: a forgery changes the amount, which the checks catch.
pub fn forge(raw: &str) -> String {
    raw.replace("TOTAL=", "TOTAL=9")
}
