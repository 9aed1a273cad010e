//! atone's steps, played against its sandbox's widget.

use std::collections::HashMap;
use std::sync::Mutex;

use super::*;
use common::atone::{confirm_in_widget, post_result, WidgetAnswer};

/// The widget's answers, by link key, between the buyer's confirmation and the page's
/// post back to the shop.
static ANSWERS: Mutex<Option<HashMap<String, WidgetAnswer>>> = Mutex::new(None);

/// The buyer confirms in atone's widget; atone holds the transaction.
pub async fn widget(app: &TestApp, s: &Started) {
    let answer = confirm_in_widget(app, &s.link_key, sandbox::atone::members::STANDARD).await;
    assert_eq!(answer.result, "succeeded");
    ANSWERS
        .lock()
        .unwrap()
        .get_or_insert_with(HashMap::new)
        .insert(s.link_key.clone(), answer);
}

/// The widget page posts the callbacks' result back to the shop.
pub async fn come_back(app: &TestApp, s: &Started) {
    let answer = ANSWERS
        .lock()
        .unwrap()
        .get_or_insert_with(HashMap::new)
        .remove(&s.link_key)
        .expect("confirmed first");
    let r = post_result(app, &s.link_key, &answer).await;
    assert_eq!(r.status().as_u16(), 303, "{}", r.text().await.unwrap());
    assert_eq!(location(&r), format!("/checkout/{}/done", s.link_key));
}

/// atone's webhook is not signed: a forgery names another transaction, which atone's
/// 取引参照 does not confirm.
pub fn forge(raw: &str) -> String {
    raw.replacen("\"id\":\"tr_", "\"id\":\"tr_x", 1)
}
