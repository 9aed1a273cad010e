//! Kuroneko Web Collect's steps, played against its sandbox: the card dialog's token.

use super::*;
use common::yamato::{pay, Entry};

/// The buyer pays in the card dialog with the sandbox's approved card (no 3-D Secure).
pub async fn card(app: &TestApp, s: &Started) {
    let r = pay(
        app,
        &s.link_key,
        &Entry::card(sandbox::yamato::testcard::APPROVED_VISA),
    )
    .await;
    assert_eq!(r.status().as_u16(), 303, "{}", r.text().await.unwrap());
    assert_eq!(location(&r), format!("/checkout/{}/done", s.link_key));
}
