//! After the authorisation (spec §3.4, §9): E01 shipment entry (売上確定) with its slip
//! number checks, E02 shipment cancel, A06 cancel, A07 amount change, the delivery the
//! back office confirms, and E04 after each step.

use sandbox::yamato::testcard::APPROVED_VISA;

use crate::support::{Xml, Yamato, TRADER_CODE};

/// A valid 12-digit Yamato slip number: 12345678901 mod 7 = 3.
const SLIP: &str = "123456789013";

async fn unship(yamato: &Yamato, order_no: &str, slip: &str) -> Xml {
    yamato
        .call(
            "shipmentCancel",
            "E02",
            &[("order_no", order_no), ("slip_no", slip)],
        )
        .await
}

async fn cancel(yamato: &Yamato, order_no: &str) -> Xml {
    yamato
        .call("creditCancel", "A06", &[("order_no", order_no)])
        .await
}

async fn change(yamato: &Yamato, order_no: &str, price: &str) -> Xml {
    yamato
        .call(
            "creditChangePrice",
            "A07",
            &[("order_no", order_no), ("new_price", price)],
        )
        .await
}

async fn deliver(yamato: &Yamato, order_no: &str) -> u16 {
    let response = yamato
        .http
        .post(format!("{}/backoffice/deliver", yamato.base))
        .form(&[("trader_code", TRADER_CODE), ("order_no", order_no)])
        .send()
        .await
        .unwrap();
    response.status().as_u16()
}

#[tokio::test]
async fn a_yamato_shipment_makes_the_sale_and_answers_a_tracking_url() {
    let yamato = Yamato::start().await;
    yamato.paid("SHIP-1", "2080", APPROVED_VISA).await;
    yamato.advance(chrono::Duration::days(2));

    let shipped = yamato.ship("SHIP-1", SLIP, "00").await.ok();

    let url = shipped.text("slipUrlPc");
    assert_eq!(url, format!("{}/tracking?slip_no={SLIP}", yamato.base));
    let data = yamato.inquire("SHIP-1").await.ok();
    assert_eq!(data.text("statusInfo"), "30");
    assert_eq!(data.text("slipNo"), SLIP);
    assert_eq!(data.text("deliveryServiceCode"), "00");
    assert_eq!(data.text("slipDate"), "20260512100000");
    let (status, _, page) = yamato.page(&format!("/tracking?slip_no={SLIP}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("SHIP-1"));
    assert!(page.contains("精算確定待ち"));
}

#[tokio::test]
async fn authorise_and_capture_is_a_shipment_entry_right_after_the_authorisation() {
    let yamato = Yamato::start().await;
    yamato.paid("NOW-1", "1580", APPROVED_VISA).await;

    let shipped = yamato.ship("NOW-1", "NOW-1", "99").await.ok();

    assert_eq!(shipped.get("slipUrlPc"), None);
    assert_eq!(yamato.status("NOW-1").await, "30");
}

#[tokio::test]
async fn slip_numbers_are_checked_for_their_service() {
    let yamato = Yamato::start().await;
    yamato.paid("SLIP-1", "1000", APPROVED_VISA).await;
    let cases = [
        ("123456789012", "00", "E011010404"),
        ("1234567890", "00", "E011010402"),
        ("12345678901a", "00", "E011010404"),
        ("", "00", "E011010401"),
        (SLIP, "01", "E011010504"),
        (SLIP, "", "E011010501"),
        ("order_1", "99", "E011010404"),
        ("123456789012345678901234", "99", "E011010402"),
    ];

    for (slip, service, code) in cases {
        let answer = yamato.ship("SLIP-1", slip, service).await;
        assert_eq!(answer.error(), code, "{slip} {service}");
    }
    assert_eq!(yamato.status("SLIP-1").await, "4");
    yamato.ship("SLIP-1", "40000000001", "00").await.ok();
}

#[tokio::test]
async fn a_shipment_is_entered_once_and_cancelled_with_its_slip() {
    let yamato = Yamato::start().await;
    yamato.paid("E02-1", "1000", APPROVED_VISA).await;
    let unknown = yamato.ship("E02-NONE", SLIP, "00").await;
    yamato.ship("E02-1", SLIP, "00").await.ok();

    let twice = yamato.ship("E02-1", SLIP, "00").await;
    let wrong_slip = unship(&yamato, "E02-1", "987654321091").await;
    let cancelled = unship(&yamato, "E02-1", SLIP).await;
    let status = yamato.inquire("E02-1").await.ok();
    let again = unship(&yamato, "E02-1", SLIP).await;
    let nothing = unship(&yamato, "E02-NONE", SLIP).await;

    assert_eq!(unknown.error(), "E012000001");
    assert_eq!(twice.error(), "E013000001");
    assert_eq!(wrong_slip.error(), "E022000002");
    assert_eq!(cancelled.code(), "0");
    assert_eq!(status.text("statusInfo"), "4");
    assert_eq!(status.text("slipNo"), "");
    assert_eq!(again.error(), "E023000001");
    assert_eq!(nothing.error(), "E022000001");
    yamato.ship("E02-1", "987654321091", "00").await.ok();
}

#[tokio::test]
async fn the_back_office_confirms_delivery_which_settles_the_sale() {
    let yamato = Yamato::start().await;
    yamato.paid("DLV-1", "1000", APPROVED_VISA).await;
    yamato.ship("DLV-1", SLIP, "00").await.ok();
    yamato.advance(chrono::Duration::days(3));

    assert_eq!(deliver(&yamato, "DLV-1").await, 303);

    let data = yamato.inquire("DLV-1").await.ok();
    assert_eq!(data.text("statusInfo"), "31");
    assert_eq!(data.text("allDeliveryDate"), "20260513");
    assert_eq!(data.text("finishDate"), "20260513");
    assert_eq!(cancel(&yamato, "DLV-1").await.error(), "A062000002");
    assert_eq!(change(&yamato, "DLV-1", "500").await.error(), "A072000001");
    assert_eq!(unship(&yamato, "DLV-1", SLIP).await.error(), "E022000003");
    assert_eq!(yamato.ship("DLV-1", SLIP, "00").await.error(), "E013000001");
}

#[tokio::test]
async fn a06_cancels_an_authorisation_or_a_shipped_sale_once() {
    let yamato = Yamato::start().await;
    yamato.paid("CXL-1", "1000", APPROVED_VISA).await;
    yamato.paid("CXL-2", "1000", APPROVED_VISA).await;
    yamato.ship("CXL-2", SLIP, "00").await.ok();

    let authorised = cancel(&yamato, "CXL-1").await;
    let shipped = cancel(&yamato, "CXL-2").await;
    let again = cancel(&yamato, "CXL-1").await;
    let unknown = cancel(&yamato, "CXL-NONE").await;
    let missing = yamato.call("creditCancel", "A06", &[]).await;

    assert_eq!(authorised.code(), "0");
    assert_eq!(shipped.code(), "0");
    assert_eq!(again.error(), "A062000003");
    assert_eq!(unknown.error(), "A062000001");
    assert_eq!(missing.error(), "A061010301");
    let data = yamato.inquire("CXL-2").await.ok();
    assert_eq!(data.text("statusInfo"), "40");
    assert_eq!(data.text("cancelDate"), "20260510100000");
    assert_eq!(yamato.ship("CXL-1", SLIP, "00").await.error(), "E012000002");
}

#[tokio::test]
async fn a07_changes_the_total_up_to_the_authorised_amount() {
    let yamato = Yamato::start().await;
    yamato.paid("CHG-1", "5080", APPROVED_VISA).await;

    let lowered = change(&yamato, "CHG-1", "4000").await;
    let after_lower = yamato.inquire("CHG-1").await.ok().text("settlePrice");
    let raised_back = change(&yamato, "CHG-1", "5080").await;
    let above = change(&yamato, "CHG-1", "5081").await;
    let zero = change(&yamato, "CHG-1", "0").await;
    let unknown = change(&yamato, "CHG-NONE", "100").await;
    yamato.ship("CHG-1", SLIP, "00").await.ok();
    let shipped = change(&yamato, "CHG-1", "3000").await;
    cancel(&yamato, "CHG-1").await.ok();
    let cancelled = change(&yamato, "CHG-1", "2000").await;

    assert_eq!(lowered.code(), "0");
    assert_eq!(after_lower, "4000");
    assert_eq!(raised_back.code(), "0");
    assert_eq!(above.error(), "A071010402");
    assert_eq!(zero.error(), "A071010404");
    assert_eq!(unknown.error(), "A071010301");
    assert_eq!(shipped.code(), "0");
    assert_eq!(cancelled.error(), "A072000001");
    assert_eq!(
        yamato.inquire("CHG-1").await.ok().text("settlePrice"),
        "3000"
    );
}

#[tokio::test]
async fn e04_refuses_an_unknown_order() {
    let yamato = Yamato::start().await;

    let unknown = yamato.inquire("NONE-1").await;
    let missing = yamato.call("tradeInfo", "E04", &[]).await;

    assert_eq!(unknown.code(), "1");
    assert_eq!(unknown.error(), "E042000001");
    assert_eq!(missing.error(), "E041010301");
}
