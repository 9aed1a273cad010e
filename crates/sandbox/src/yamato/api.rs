//! The API a shop's server calls (spec §1–§2): `POST /api/{name}` (the production path)
//! and `POST /test_gateway/{name}.api` (the test one), both answered the same way.
//!
//! The body is a UTF-8 form. The path names the function; then `trader_code` must name a
//! sandbox trader (`Z010000001`), `function_div` must be the path's function
//! (`Z010000002`), and a Kuroneko Web Collect function the sandbox does not simulate is
//! refused as uncontracted (`Z010000003`); a name that is no Kuroneko Web Collect function
//! is 404. There is no other authentication (the real service also checks the caller's
//! registered IP address, which the sandbox does not): the access key proves the trader
//! only in the check sums of kept cards and tokens.
//!
//! | name | `function_div` | handled in |
//! | --- | --- | --- |
//! | `creditToken` | A08 | `credit.rs` |
//! | `creditToken3D` | A09 | `credit.rs` |
//! | `creditInfoGet` / `creditInfoUpdate` / `creditInfoDelete` | A03 / A04 / A05 | `members.rs` |
//! | `creditCancel` / `creditChangePrice` | A06 / A07 | `operations.rs` |
//! | `shipmentEntry` / `shipmentCancel` / `tradeInfo` | E01 / E02 / E04 | `operations.rs` |
//! | `traderIp` | H01 | here: `ipAddress`, the caller's address (`X-Forwarded-For` first) |

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::connect_info::ConnectInfo;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{Extensions, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use encoding_rs::UTF_8;

use super::wire::{Refusal, Reply};
use super::{credit, members, operations, Sandbox};
use crate::form::Form;
use crate::pages::base_url;

/// The functions the sandbox answers: path name and `function_div`.
const SIMULATED: &[(&str, &str)] = &[
    ("creditInfoGet", "A03"),
    ("creditInfoUpdate", "A04"),
    ("creditInfoDelete", "A05"),
    ("creditCancel", "A06"),
    ("creditChangePrice", "A07"),
    ("creditToken", "A08"),
    ("creditToken3D", "A09"),
    ("shipmentEntry", "E01"),
    ("shipmentCancel", "E02"),
    ("tradeInfo", "E04"),
    ("traderIp", "H01"),
];

/// Kuroneko Web Collect functions the sandbox does not simulate (spec §2).
const NOT_SIMULATED: &[&str] = &[
    "credit",
    "credit3D",
    "reAuth",
    "cvs1",
    "cvs2",
    "cvs3",
    "e_money1",
    "e_money2",
    "e_money3",
    "e_money4",
    "e_money5",
    "e_money6",
    "bank1",
    "changeDate",
    "regular",
    "regular3D",
    "regularInfo",
    "regularUpdate",
    "regularDelete",
    "paypaySettle",
    "paypaySettleCancel",
    "paypayChangePrice",
];

/// One API call, as the functions see it.
pub struct Call<'a> {
    /// The request's fields.
    pub form: &'a Form,
    /// The trader, found by `trader_code`.
    pub trader: usize,
    /// The sandbox clock's time.
    pub now: DateTime<Utc>,
    /// Where a browser reaches the sandbox (e.g. `http://host/sandbox/yamato`).
    pub base: &'a str,
}

/// `POST /api/{name}`.
pub async fn production(
    State(sandbox): State<Sandbox>,
    Path(name): Path<String>,
    headers: HeaderMap,
    OriginalUri(original): OriginalUri,
    extensions: Extensions,
    body: Bytes,
) -> Response {
    let base = base_url(&headers, &original, &format!("/api/{name}"));
    let path = format!("/api/{name}");
    answer(
        &sandbox,
        &name,
        &path,
        &base,
        caller(&headers, &extensions),
        &body,
    )
}

/// `POST /test_gateway/{name}.api`.
pub async fn test_gateway(
    State(sandbox): State<Sandbox>,
    Path(file): Path<String>,
    headers: HeaderMap,
    OriginalUri(original): OriginalUri,
    extensions: Extensions,
    body: Bytes,
) -> Response {
    let Some(name) = file.strip_suffix(".api") else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let path = format!("/test_gateway/{file}");
    let base = base_url(&headers, &original, &path);
    answer(
        &sandbox,
        name,
        &path,
        &base,
        caller(&headers, &extensions),
        &body,
    )
}

/// The caller's IP address: the first of `X-Forwarded-For`, else the peer's.
fn caller(headers: &HeaderMap, extensions: &Extensions) -> String {
    let forwarded = headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(str::trim)
        .filter(|v| !v.is_empty());
    match forwarded {
        Some(ip) => ip.to_owned(),
        None => extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or_else(|| "127.0.0.1".to_owned(), |c| c.0.ip().to_string()),
    }
}

/// Answer a call of the function named `name` (received at `path`).
fn answer(
    sandbox: &Sandbox,
    name: &str,
    path: &str,
    base: &str,
    caller: String,
    body: &[u8],
) -> Response {
    let expected = SIMULATED.iter().find(|(n, _)| *n == name).map(|(_, d)| *d);
    if expected.is_none() && !NOT_SIMULATED.contains(&name) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let form = Form::decode(body, UTF_8);
    let now = (sandbox.clock)();
    let mut store = sandbox.lock();
    super::received::record(&mut store.received, path, body);
    let outcome = (|| {
        let trader = form
            .filled("trader_code")
            .and_then(|code| store.trader(code))
            .ok_or_else(Refusal::unknown_trader)?;
        let div = expected.ok_or_else(Refusal::not_offered)?;
        if form.get("function_div") != Some(div) {
            return Err(Refusal::wrong_function());
        }
        let call = Call {
            form: &form,
            trader,
            now,
            base,
        };
        match div {
            "A03" => members::list(&store, &call),
            "A04" => members::update(&mut store, &call),
            "A05" => members::delete(&mut store, &call),
            "A06" => operations::cancel(&mut store, &call),
            "A07" => operations::change_price(&mut store, &call),
            "A08" => credit::authorise(&mut store, &call),
            "A09" => credit::complete(&mut store, &call),
            "E01" => operations::ship(&mut store, &call),
            "E02" => operations::unship(&mut store, &call),
            "E04" => operations::inquire(&store, &call),
            _ => Ok(Reply::ok().text("ipAddress", caller)),
        }
    })();
    let order_no = form.get("order_no").unwrap_or_default();
    match outcome {
        Ok(reply) => reply.respond(now),
        Err(refusal) => {
            tracing::info!(
                function = name,
                order_no,
                code = refusal.code,
                "yamato sandbox refused a call"
            );
            Reply::refused(&refusal).respond(now)
        }
    }
}
