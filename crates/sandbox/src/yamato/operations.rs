//! What a shop does with an authorised transaction (spec §3.4, §9): A06 `creditCancel`
//! (取消), A07 `creditChangePrice` (利用額変更), E01 `shipmentEntry` (出荷情報登録, which
//! makes the sale: 売上確定), E02 `shipmentCancel` (出荷情報取消) and E04 `tradeInfo`
//! (取引情報照会).
//!
//! Field numbers: 03 `order_no` for all five; A07 04 `new_price` (the new total); E01 04
//! `slip_no`, 05 `delivery_service_code` (`00` Yamato, `99` other carrier or none; see
//! `slip.rs`); E02 04 `slip_no`.
//!
//! * A06: from 4 or 30 to 40. Unknown `order_no` → `A062000001`; 31, or a card still in
//!   or failed at 3-D Secure → `A062000002`; already 40 → `A062000003`.
//! * A07: in 4 or 30, any total from 1 yen up to the amount A08 authorised, several times
//!   (the spec does not say whether it may rise; the sandbox refuses above the authorised
//!   amount with `A071010402`). Unknown `order_no` → `A071010301` (the spec's code);
//!   another status → `A072000001`.
//! * E01: from 4 to 30, answering `slipUrlPc` (the sandbox's tracking page) for `00`.
//!   Unknown `order_no` → `E012000001`; already 30 or 31 → `E013000001` (duplicate);
//!   another status → `E012000002`. 与信売上確定 is an A08 followed at once by E01 with
//!   `99` (spec §9): A08 carries no capture flag.
//! * E02: from 30 back to 4, with the registered `slip_no`. Unknown `order_no` →
//!   `E022000001`; another slip → `E022000002`; 4 (no shipment, or cancelled already) →
//!   `E023000001`; another status → `E022000003`.
//! * E04: `resultCount` 1 and `resultData` with every child of spec §4; an unknown
//!   `order_no` → `E042000001`. Dates are `YYYYMMDDHHMMSS` (`settleDate` and `crdCResDate`
//!   the authorisation, `slipDate` the E01, `cancelDate` the A06, `renewalDate` the last
//!   change) or `YYYYMMDD` (`allDeliveryDate` and `finishDate`: the delivery confirmed in
//!   the back office); `settleMethodDiv` is `1` (card, the sandbox's value), `settleMethod`
//!   the brand code; what belongs to other payment methods or to E03 is empty.

use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};

use super::api::Call;
use super::fields::Fields;
use super::slip;
use super::store::{Slip, State, Status, Store};
use super::wire::{day, stamp, Check, Refusal, Reply};

/// A06.
pub fn cancel(store: &mut Store, call: &Call) -> Result<Reply, Refusal> {
    let f = Fields::new(call.form, "A06");
    let order_no = f.order_no(3)?;
    let index = store
        .find(call.trader, order_no)
        .ok_or_else(|| Refusal::new("A062000001"))?;
    let t = &mut store.transactions[index];
    match t.status(call.now) {
        Status::Authorised | Status::Shipped => {}
        Status::Cancelled => return Err(Refusal::new("A062000003")),
        Status::Delivered | Status::Waiting3ds | Status::Interrupted | Status::BuyerError => {
            return Err(Refusal::new("A062000002"))
        }
    }
    t.state = State::Cancelled;
    t.cancelled = Some(call.now);
    t.log("取消", call.now, "");
    tracing::info!(order_no, "yamato sandbox cancelled a transaction");
    Ok(Reply::ok())
}

/// A07.
pub fn change_price(store: &mut Store, call: &Call) -> Result<Reply, Refusal> {
    let f = Fields::new(call.form, "A07");
    let order_no = f.order_no(3)?;
    let new_price = f.price("new_price", 4)?;
    let index = store
        .find(call.trader, order_no)
        .ok_or_else(|| f.refuse(3, Check::Missing))?;
    let t = &mut store.transactions[index];
    match t.status(call.now) {
        Status::Authorised | Status::Shipped => {}
        Status::Delivered
        | Status::Cancelled
        | Status::Waiting3ds
        | Status::Interrupted
        | Status::BuyerError => return Err(Refusal::new("A072000001")),
    }
    if new_price > t.authorised_price {
        return Err(f.refuse(4, Check::Range));
    }
    let note = format!("{}円 → {new_price}円", t.price);
    t.price = new_price;
    t.log("利用額変更", call.now, note);
    tracing::info!(order_no, new_price, "yamato sandbox changed an amount");
    Ok(Reply::ok())
}

/// E01.
pub fn ship(store: &mut Store, call: &Call) -> Result<Reply, Refusal> {
    let f = Fields::new(call.form, "E01");
    let order_no = f.order_no(3)?;
    let slip_no = f.required("slip_no", 4)?;
    let service = f.required("delivery_service_code", 5)?;
    if !matches!(service, "00" | "99") {
        return Err(f.refuse(5, Check::Invalid));
    }
    slip::check(slip_no, service).map_err(|check| f.refuse(4, check))?;
    let index = store
        .find(call.trader, order_no)
        .ok_or_else(|| Refusal::new("E012000001"))?;
    let t = &mut store.transactions[index];
    match t.status(call.now) {
        Status::Authorised => {}
        Status::Shipped | Status::Delivered => return Err(Refusal::new("E013000001")),
        Status::Cancelled | Status::Waiting3ds | Status::Interrupted | Status::BuyerError => {
            return Err(Refusal::new("E012000002"))
        }
    }
    t.slip = Some(Slip {
        number: slip_no.to_owned(),
        service: service.to_owned(),
        at: call.now,
    });
    t.state = State::Shipped;
    t.log(
        "出荷情報登録（売上確定）",
        call.now,
        format!("{slip_no}（{service}）"),
    );
    tracing::info!(order_no, service, "yamato sandbox registered a shipment");
    let reply = Reply::ok();
    Ok(match service {
        "00" => reply.text(
            "slipUrlPc",
            format!(
                "{}/tracking?slip_no={}",
                call.base,
                utf8_percent_encode(slip_no, NON_ALPHANUMERIC)
            ),
        ),
        _ => reply,
    })
}

/// E02.
pub fn unship(store: &mut Store, call: &Call) -> Result<Reply, Refusal> {
    let f = Fields::new(call.form, "E02");
    let order_no = f.order_no(3)?;
    let slip_no = f.required("slip_no", 4)?;
    let index = store
        .find(call.trader, order_no)
        .ok_or_else(|| Refusal::new("E022000001"))?;
    let t = &mut store.transactions[index];
    match t.status(call.now) {
        Status::Shipped => {}
        Status::Authorised => return Err(Refusal::new("E023000001")),
        Status::Delivered
        | Status::Cancelled
        | Status::Waiting3ds
        | Status::Interrupted
        | Status::BuyerError => return Err(Refusal::new("E022000003")),
    }
    if t.slip.as_ref().is_none_or(|s| s.number != slip_no) {
        return Err(Refusal::new("E022000002"));
    }
    t.slip = None;
    t.state = State::Authorised;
    t.log("出荷情報取消", call.now, slip_no);
    tracing::info!(order_no, "yamato sandbox cancelled a shipment");
    Ok(Reply::ok())
}

/// E04.
pub fn inquire(store: &Store, call: &Call) -> Result<Reply, Refusal> {
    let f = Fields::new(call.form, "E04");
    let order_no = f.order_no(3)?;
    let index = store
        .find(call.trader, order_no)
        .ok_or_else(|| Refusal::new("E042000001"))?;
    let t = &store.transactions[index];
    let stamp_of = |at: Option<chrono::DateTime<chrono::Utc>>| at.map(stamp).unwrap_or_default();
    let (slip_no, service, slip_date) = match &t.slip {
        Some(s) => (s.number.clone(), s.service.clone(), stamp(s.at)),
        None => Default::default(),
    };
    let data: Vec<(&'static str, String)> = vec![
        ("orderNo", t.order_no.clone()),
        ("deviceDiv", t.device_div.clone()),
        ("settleDate", stamp_of(t.authorised)),
        ("orderDataSeq", t.seq.clone()),
        ("settlePrice", t.price.to_string()),
        ("settleMethodDiv", "1".into()),
        ("settleMethod", t.card.brand.code.into()),
        ("statusInfo", t.status(call.now).code().into()),
        (
            "memberId",
            t.member.as_ref().map(|m| m.id.clone()).unwrap_or_default(),
        ),
        ("payWay", t.pay_way.clone()),
        ("crdCResCd", t.approval.clone().unwrap_or_default()),
        ("crdCResDate", stamp_of(t.authorised)),
        ("threeDCode", t.three_d_code.into()),
        ("voteNumber", String::new()),
        ("expiredDays", String::new()),
        ("emoneyExpiredDays", String::new()),
        ("packingInfo", String::new()),
        ("slipNo", slip_no),
        ("extraSlipNo", String::new()),
        ("deliveryServiceCode", service),
        ("allDeliveryDate", t.delivered.map(day).unwrap_or_default()),
        ("finishDate", t.delivered.map(day).unwrap_or_default()),
        ("slipDate", slip_date),
        ("scheduledShippingDate", String::new()),
        ("warningInfo", String::new()),
        ("cancelDate", stamp_of(t.cancelled)),
        ("renewalDate", stamp(t.renewed)),
    ];
    Ok(Reply::ok()
        .text("resultCount", "1")
        .group("resultData", data))
}
