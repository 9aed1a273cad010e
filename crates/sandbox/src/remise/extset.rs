//! 拡張セット (spec §7.2): `POST /rpgw2/extset/card.aspx`, a server-to-server Shift_JIS form
//! that moves a card payment: `SHOPCO`, `HOSTID` (the extset host; any well-formed id),
//! `S_TORIHIKI_NO`, `JOB`, `TRANID` (the `X-TRANID` of the payment, 28 digits), `TOTAL`,
//! `TAX`, `RETURL` (a dummy for shops; accepted as any text and not used).
//!
//! `JOB`:
//! * `SALES` — 実売上 of a 仮売上 within `AUTH_HOLD_DAYS` (60) days of the authorisation
//!   (later `8:5822`); `TOTAL`, when sent, must be the current total (`8:3009`; change it
//!   first with CHANGE). Anything but a 仮売上 answers `H97` / `421010000`.
//! * `VOID` — 即日取消 of a 仮売上 or a 売上 on the same Japan day as the authorisation,
//!   respectively the sale, else `8:5823`.
//! * `RETURN` — 返品 of a 売上; also accepted on a 仮売上 (within its hold, else
//!   `8:5822`) to release it after its day, which the spec leaves open.
//! * `CHANGE` — 金額変更 (the spec does not know the JOB name; the sandbox calls it
//!   `CHANGE`): `TOTAL` required, new total from 1 up to the total first authorised (never
//!   more, on a 仮売上 within its hold or on a 売上), `TAX` optional; the amount is
//!   `TOTAL - TAX`.
//!
//! VOID and RETURN take the whole payment: `TOTAL`, when sent, must be the current total.
//! An unknown `TRANID`, one of another `SHOPCO`, or one whose 請求番号 differs answers
//! `8:5810` for SALES and `8:5812` otherwise; a refused (declined) payment is likewise not
//! found for SALES and CHANGE, and `H97` / `450030000` (nothing to cancel) for VOID and
//! RETURN, as is a 0-yen CHECK; a cancelled or returned one `H97` / `450040000`.
//!
//! The answer is Remise's "wait" page (Shift_JIS) whose hidden inputs, each exactly
//! `<input type="hidden" name="KEY" value="VALUE">`, are `X-ERRCODE`, `X-ERRINFO`,
//! `X-ERRLEVEL`, `X-TRANID` (the payment's own; operations make no new id) and `X-R_CODE`.
//! Success is `0:0000`, ERRLEVEL `0`, three spaces, `000000000`. `8:xxxx` refusals carry
//! ERRLEVEL `1` with blank network codes; `H97` refusals carry `X-R_CODE` `0:0000` and
//! ERRLEVEL `1`, the way card declines do. After a success a RET (`X-TRANID`,
//! `X-S_TORIHIKI_NO`, `X-AMOUNT`, `X-TAX`, `X-TOTAL`, `X-R_CODE`, `X-ERRCODE`, `X-ERRINFO`,
//! `X-ERRLEVEL`, `REC_TYPE=RET`; no `X-PARTOFCARD`) goes to the 結果通知URL before the
//! answer; its answer is logged and otherwise ignored.

use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use chrono::{DateTime, Utc};
use encoding_rs::SHIFT_JIS;
use minijinja::context;

use super::check::{self, Chars, Refusal};
use super::notify;
use super::pages;
use super::store::{shown, today, CardPayment, CardState, Store};
use super::wire::Fields;
use super::Sandbox;
use crate::form::Form;

/// An extset job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operation {
    Sales,
    Void,
    Return,
    Change,
}

impl Operation {
    fn name(self) -> &'static str {
        match self {
            Operation::Sales => "SALES",
            Operation::Void => "VOID",
            Operation::Return => "RETURN",
            Operation::Change => "CHANGE",
        }
    }
}

/// Why an operation was refused.
#[derive(Debug)]
enum Failure {
    /// A Remise return code.
    Code(Refusal),
    /// `H97` with this `X-ERRINFO`.
    H97(&'static str),
}

/// A checked extset request.
struct Request {
    shopco: String,
    s_torihiki_no: String,
    operation: Operation,
    tranid: String,
    total: Option<u64>,
    tax: u64,
}

fn parse(form: &Form) -> Result<Request, Refusal> {
    let shopco = check::shopco(form)?;
    check::hostid(form)?;
    let s_torihiki_no = check::torihiki_no(form)?;
    let operation = match check::required(form, "JOB", Chars::Alnum, 1, 10)? {
        "SALES" => Operation::Sales,
        "VOID" => Operation::Void,
        "RETURN" => Operation::Return,
        "CHANGE" => Operation::Change,
        _ => return Err(Refusal::invalid("JOB")),
    };
    let tranid = check::required(form, "TRANID", Chars::Digits, 28, 28)?.to_owned();
    let total = check::amount(form, "TOTAL", operation == Operation::Change, 7)?;
    let tax = check::amount(form, "TAX", false, 7)?.unwrap_or(0);
    check::field(form, "RETURL", false, Chars::Text, 1, 512)?;
    Ok(Request {
        shopco,
        s_torihiki_no,
        operation,
        tranid,
        total,
        tax,
    })
}

/// `POST /rpgw2/extset/card.aspx`.
pub async fn request(State(sandbox): State<Sandbox>, body: Bytes) -> Response {
    let form = Form::decode(&body, SHIFT_JIS);
    let now = (sandbox.clock)();
    let outcome = parse(&form).map_err(Failure::Code).and_then(|request| {
        let mut store = sandbox.lock();
        store.sweep(now);
        apply(&mut store, &request, now).map(|payment| (request, payment))
    });
    let tranid = form.text("TRANID");
    let mut reply = Fields::default();
    match outcome {
        Ok((request, payment)) => {
            tracing::info!(tranid = %tranid, job = request.operation.name(), "remise sandbox extset done");
            reply.push("X-ERRCODE", "   ");
            reply.push("X-ERRINFO", "000000000");
            reply.push("X-ERRLEVEL", "0");
            reply.push("X-TRANID", &tranid);
            reply.push("X-R_CODE", "0:0000");
            let kind = format!("拡張セット {}", request.operation.name());
            notify::send_result(
                &sandbox,
                &result_fields(&payment),
                &kind,
                &payment.s_torihiki_no,
            )
            .await;
        }
        Err(failure) => {
            let (code, errcode, errinfo) = match &failure {
                Failure::Code(refusal) => (refusal.code.as_str(), "   ", "000000000"),
                Failure::H97(errinfo) => ("0:0000", "H97", *errinfo),
            };
            tracing::info!(tranid = %tranid, code, errcode, "remise sandbox extset refused");
            reply.push("X-ERRCODE", errcode);
            reply.push("X-ERRINFO", errinfo);
            reply.push("X-ERRLEVEL", "1");
            reply.push("X-TRANID", &tranid);
            reply.push("X-R_CODE", code);
        }
    }
    pages::buyer(
        "remise/extset.html",
        context! { action => form.text("RETURL"), fields => reply },
    )
}

/// The RET of a done operation.
fn result_fields(payment: &CardPayment) -> Fields {
    let mut fields = Fields::default();
    fields.push("X-TRANID", &payment.tranid);
    fields.push("X-S_TORIHIKI_NO", &payment.s_torihiki_no);
    fields.push("X-AMOUNT", payment.amount.to_string());
    fields.push("X-TAX", payment.tax.to_string());
    fields.push("X-TOTAL", payment.total.to_string());
    fields.push("X-R_CODE", "0:0000");
    fields.push("X-ERRCODE", "   ");
    fields.push("X-ERRINFO", "000000000");
    fields.push("X-ERRLEVEL", "0");
    fields
}

fn code(code: &str) -> Failure {
    Failure::Code(Refusal::code(code))
}

/// Move the payment; answers it as it is afterwards.
fn apply(store: &mut Store, request: &Request, now: DateTime<Utc>) -> Result<CardPayment, Failure> {
    let not_found = match request.operation {
        Operation::Sales => "8:5810",
        _ => "8:5812",
    };
    let payment = store
        .cards
        .iter_mut()
        .find(|c| {
            c.tranid == request.tranid
                && c.shopco == request.shopco
                && c.s_torihiki_no == request.s_torihiki_no
        })
        .ok_or_else(|| code(not_found))?;
    let whole = |payment: &CardPayment| match request.total {
        Some(total) if total != payment.total => Err(Failure::Code(Refusal::invalid("TOTAL"))),
        _ => Ok(()),
    };
    let held = |payment: &CardPayment| {
        if payment.hold_expired(now) {
            Err(code("8:5822"))
        } else {
            Ok(())
        }
    };
    let entry = match (request.operation, payment.state) {
        (_, CardState::Voided | CardState::Returned) if request.operation != Operation::Sales => {
            return Err(Failure::H97("450040000"))
        }
        (Operation::Sales, CardState::Authorised) => {
            held(payment)?;
            whole(payment)?;
            payment.state = CardState::Sold;
            payment.sold_at = Some(now);
            "実売上".to_owned()
        }
        (Operation::Sales, CardState::Declined(_)) => return Err(code("8:5810")),
        (Operation::Sales, _) => return Err(Failure::H97("421010000")),
        (Operation::Void | Operation::Return, CardState::Declined(_) | CardState::Checked) => {
            return Err(Failure::H97("450030000"))
        }
        (Operation::Void, state) => {
            let since = match state {
                CardState::Sold => payment.sold_at.unwrap_or(payment.created),
                _ => payment.created,
            };
            if today(since) != today(now) {
                return Err(code("8:5823"));
            }
            whole(payment)?;
            payment.state = CardState::Voided;
            "即日取消".to_owned()
        }
        (Operation::Return, state) => {
            if state == CardState::Authorised {
                held(payment)?;
            }
            whole(payment)?;
            payment.state = CardState::Returned;
            "返品".to_owned()
        }
        (Operation::Change, CardState::Declined(_) | CardState::Checked) => {
            return Err(code("8:5812"))
        }
        (Operation::Change, state) => {
            if state == CardState::Authorised {
                held(payment)?;
            }
            let total = request.total.unwrap_or(payment.total);
            if total == 0 || total > payment.authorised_total || request.tax > total {
                return Err(Failure::Code(Refusal::invalid("TOTAL")));
            }
            let before = payment.total;
            payment.total = total;
            payment.tax = request.tax;
            payment.amount = total - request.tax;
            format!("金額変更 {before}円 → {total}円")
        }
    };
    payment.unconfirmed = false;
    payment.history.push(format!("{} {entry}", shown(now)));
    Ok(payment.clone())
}
