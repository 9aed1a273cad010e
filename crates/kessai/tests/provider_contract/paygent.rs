//! Paygent's steps, played against its sandbox.

use super::*;

/// The card form with the sandbox's approved test card.
pub async fn card(app: &TestApp, s: &Started) {
    app.pay_with_test_card(s).await;
}

/// Paygent's payment page: kessai's hand-off posts the hashed request, the buyer pays.
pub async fn card_on_link_page(app: &TestApp, s: &Started) {
    let (_, handoff) = app.page(&format!("/checkout/{}", s.link_key)).await;
    let action = common::attr(&handoff, "<form", "action").replace(&app.address, "");
    let fields = common::hidden_fields(&handoff);
    let page = app
        .post_form(&action, &common::as_pairs(&fields))
        .await
        .text()
        .await
        .unwrap();
    let r = app.pay_on_link_page(&page).await;
    assert_eq!(r.status().as_u16(), 303, "{}", r.text().await.unwrap());
}

/// The buyer is back from Paygent's page.
pub async fn come_back(app: &TestApp, s: &Started) {
    let r = app.get(&format!("/checkout/{}/return", s.link_key)).await;
    assert_eq!(r.status().as_u16(), 303, "{}", r.text().await.unwrap());
    assert_eq!(location(&r), format!("/checkout/{}/done", s.link_key));
}

/// The buyer confirms a payment made after ordering (the first store offered).
pub async fn apply(app: &TestApp, s: &Started) {
    let (_, page) = app.page(&format!("/checkout/{}", s.link_key)).await;
    let store = if page.contains("name=\"cvs_company_id\"") {
        common::attr(&page, "name=\"cvs_company_id\"", "value")
    } else {
        String::new()
    };
    let r = app
        .post_form(
            &format!("/checkout/{}/apply", s.link_key),
            &[("cvs_company_id", store.as_str())],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303, "{}", r.text().await.unwrap());
}

/// Net banking: the application, then the bank chosen on Paygent's page.
pub async fn bank_chosen(app: &TestApp, s: &Started) {
    let r = app
        .post_form(
            &format!("/checkout/{}/apply", s.link_key),
            &[("cvs_company_id", "")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let asp = location(&r).replace(&app.address, "");
    let (_, page) = app.page(&asp).await;
    let hv = common::attr(&page, "name=\"hv\"", "value");
    let r = app
        .post_form(
            "/sandbox/paygent/banking/asp",
            &[
                ("tid", s.link_key.as_str()),
                ("mid", "123456789"),
                ("hv", hv.as_str()),
                ("bank_code", "0010"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 200);
}

/// The buyer pays, as the operator of Paygent's test tool plays it (消込済).
pub async fn paid_in_test_tool(app: &TestApp, s: &Started) {
    let payment = app.payment(s.payment_id).await;
    let payment = match payment.provider_payment_id {
        Some(_) => payment,
        None => {
            app.state.payments.refresh(&payment).await.unwrap();
            app.payment(s.payment_id).await
        }
    };
    // Where the buyer paid: an ATM's bank (a store is the one the number is for).
    let bank = match payment.settlement_kind.as_str() {
        "paygent_atm" => "9900",
        _ => "",
    };
    let r = app
        .post_form(
            "/sandbox/paygent/testtool/statusupdate",
            &[
                ("merchant_id", "123456789"),
                ("connect_id", "sandboxconnect"),
                ("connect_password", "sandboxpassword"),
                (
                    "payment_id",
                    payment.provider_payment_id.as_deref().unwrap(),
                ),
                ("payment_status", "40"),
                ("paid_at", "20260510120000"),
                ("bank_code", bank),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303, "{}", r.text().await.unwrap());
}

/// Paidy Checkout authorizes, and the page posts Paidy's answer.
pub async fn paidy(app: &TestApp, s: &Started) {
    let r = app.pay_with_paidy(&s.link_key, "buyer@example.jp").await;
    assert_eq!(r.status().as_u16(), 303, "{}", r.text().await.unwrap());
}
