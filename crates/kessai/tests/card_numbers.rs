//! No card number is ever written: after purchases through every provider's sandbox (the
//! buyer types test cards into the providers' pages and token scripts), declined cards,
//! and notifications that carry a full card number, the database file and everything kessai
//! wrote under its data folder (mails, keys) hold no Luhn-valid card number.

mod common;

use common::{location, Options, TestApp};
use kessai::domain::card::is_card_number;

/// Every run of 13–19 digits in `bytes` that is a card number.
fn card_numbers_in(bytes: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    let mut run = String::new();
    for &b in bytes.iter().chain([b' '].iter()) {
        if b.is_ascii_digit() {
            run.push(b as char);
            continue;
        }
        if is_card_number(&run) {
            found.push(run.clone());
        }
        run.clear();
    }
    found
}

/// Every file below `dir`, with its bytes.
fn files_below(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_below(&path));
        } else if let Ok(bytes) = std::fs::read(&path) {
            out.push((path, bytes));
        }
    }
    out
}

#[tokio::test]
async fn no_card_number_reaches_the_database_or_the_data_folder() {
    assert_eq!(
        card_numbers_in(b"a=4111111111111111&d=20261203164500"),
        ["4111111111111111"],
        "the scan finds a card number and only that"
    );
    let app = TestApp::spawn_with(Options {
        demo: true,
        backend: Some("sqlite"),
        ..Options::default()
    })
    .await;

    // Paygent: module type, approved and declined.
    app.card_payment().await;
    let declined = app.start_checkout(None).await;
    let token = app.card_token("4900000000008212").await;
    app.post_card_form(&declined.link_key, &[("card_json", &token)])
        .await;
    // Remise: its card page.
    let remise = app.start_checkout_paid_by("remise_card").await;
    let r = common::remise::pay_card(
        &app,
        &remise.link_key,
        Some(sandbox::remise::testcard::APPROVED_VISA),
    )
    .await;
    assert_eq!(location(&r), format!("/checkout/{}/done", remise.link_key));
    // Kuroneko Web Collect: its token JS, approved and declined.
    for card in [
        sandbox::yamato::testcard::APPROVED_VISA,
        sandbox::yamato::testcard::DECLINED_BY_ISSUER,
    ] {
        let started = app.start_checkout_paid_by("yamato_card").await;
        common::yamato::pay(&app, &started.link_key, &common::yamato::Entry::card(card)).await;
    }
    // Notifications that carry a card number, to every provider's address.
    for provider in ["paygent", "remise", "atone", "yamato"] {
        let body = format!("trading_id=x&card_number=4111111111111111&cardNo=5555555555554444&amount=1080&provider={provider}");
        app.post_body(&format!("/notify/{provider}"), body).await;
    }
    app.deliver_notices().await;
    app.worker.run_until_idle().await.unwrap();

    let notifications = app.state.store.notifications(100).await.unwrap();
    assert!(
        notifications
            .iter()
            .any(|n| n.raw_body.contains("card_number=************1111")),
        "the body is kept with the number masked"
    );
    let mut found = Vec::new();
    for (path, bytes) in files_below(&app.db.dir) {
        for number in card_numbers_in(&bytes) {
            found.push(format!("{}: {number}", path.display()));
        }
    }
    assert!(found.is_empty(), "card numbers written: {found:#?}");
}
