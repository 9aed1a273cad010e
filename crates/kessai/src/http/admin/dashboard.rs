//! ダッシュボード: what an operator opens the admin for — today's and this month's sales,
//! the orders waiting (新規受付, 入金待ち, 発送待ち), authorizations left uncaptured for
//! weeks, recent payment errors, the latest orders, and the sales of the last 14 days as a
//! small server-drawn chart; then the shop's setup (providers, payment methods, stopped
//! jobs). Times are Japan's.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use minijinja::{context, Value};

use super::auth::Admin;
use super::{page, shop};
use crate::clock::jst;
use crate::domain::order::OrderStatus;
use crate::http::error::HttpError;
use crate::http::SharedState;
use crate::store::{OrderFilter, Sales};

/// Days of the sales chart.
const CHART_DAYS: i64 = 14;
/// An authorization left this long is shown (card companies let one lapse after weeks).
const LONG_AUTHORIZATION_DAYS: i64 = 30;
/// The payment errors of the last this many days are counted.
const ERROR_DAYS: i64 = 7;
/// The chart's drawing height, and the width of one day, in pixels.
const CHART_HEIGHT: i64 = 120;
const DAY_WIDTH: usize = 40;

/// The start of a Japanese calendar day, in UTC.
fn start_of(day: NaiveDate) -> DateTime<Utc> {
    day.and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_local_timezone(jst())
        .single()
        .expect("JST has no gaps")
        .with_timezone(&Utc)
}

/// GET /admin
pub async fn show(
    State(state): State<SharedState>,
    admin: Admin,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let store = &state.store;
    let now = state.clock.now();
    let today = state.clock.today_in_japan();
    let month_start = today.with_day(1).expect("the first of the month exists");
    let today_sales = store.sales_between(start_of(today), now).await?;
    let month_sales = store.sales_between(start_of(month_start), now).await?;
    let waiting = store.orders_waiting().await?;
    let long_authorized = store
        .authorized_since(now - Duration::days(LONG_AUTHORIZATION_DAYS))
        .await?;
    let recent_errors = store
        .payment_errors_since(now - Duration::days(ERROR_DAYS))
        .await?;
    let mut days: Vec<(NaiveDate, Sales)> = Vec::new();
    for back in (0..CHART_DAYS).rev() {
        let day = today - Duration::days(back);
        let sales = store
            .sales_between(start_of(day), start_of(day + Duration::days(1)))
            .await?;
        days.push((day, sales));
    }
    let recent: Vec<Value> = store
        .orders(&OrderFilter::default(), 5, 0)
        .await?
        .into_iter()
        .map(|row| {
            let status = OrderStatus::parse(&row.order.order_status).map_or("", OrderStatus::label);
            context! { order_status => status, ..Value::from_serialize(&row) }
        })
        .collect();

    let shop_info = state.settings.shop().await?;
    let providers: Vec<&str> = state
        .settings
        .providers_in_use()
        .await?
        .iter()
        .map(|p| p.label)
        .collect();
    let methods = state.store.payment_methods().await?;
    let active_methods = methods.iter().filter(|m| m.active).count();
    let dead_jobs = store
        .job_counts()
        .await?
        .iter()
        .find(|(s, _)| s == "dead")
        .map_or(0, |(_, n)| *n);
    let warnings = shop::warnings(&state).await?;
    page(
        StatusCode::OK,
        &admin,
        &headers,
        "dashboard.html",
        "dashboard",
        "ダッシュボード",
        context! {
            today_sales, month_sales, waiting, long_authorized, recent_errors, recent,
            chart => chart(&days),
            month => format!("{}月", month_start.month()),
            long_days => LONG_AUTHORIZATION_DAYS, error_days => ERROR_DAYS,
            shop => shop_info, providers, methods_total => methods.len(), active_methods,
            dead_jobs, warnings,
        },
    )
}

/// The bars of the sales chart: each day's label (`12/3`), amount, count and bar height
/// scaled to the busiest day.
fn chart(days: &[(NaiveDate, Sales)]) -> Value {
    let top = days.iter().map(|(_, s)| s.amount).max().unwrap_or(0).max(1);
    let bars: Vec<Value> = days
        .iter()
        .enumerate()
        .map(|(i, (day, sales))| {
            let height = sales.amount * CHART_HEIGHT / top;
            context! {
                x => i * DAY_WIDTH,
                y => CHART_HEIGHT - height,
                height,
                label => format!("{}/{}", day.month(), day.day()),
                amount => sales.amount,
                count => sales.count,
            }
        })
        .collect();
    context! { bars, height => CHART_HEIGHT, width => days.len() * DAY_WIDTH, bar => DAY_WIDTH - 12 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_japanese_day_starts_at_15_utc_the_day_before() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 3).unwrap();
        assert_eq!(start_of(day).to_rfc3339(), "2026-12-02T15:00:00+00:00");
    }

    #[test]
    fn bars_scale_to_the_busiest_day() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 3).unwrap();
        let sales = |amount| Sales { count: 1, amount };
        let chart = chart(&[(day, sales(500)), (day, sales(1000)), (day, sales(0))]);
        let bars = chart.get_attr("bars").unwrap();
        let heights: Vec<i64> = bars
            .try_iter()
            .unwrap()
            .map(|b| i64::try_from(b.get_attr("height").unwrap()).unwrap())
            .collect();
        assert_eq!(heights, [60, 120, 0]);
    }
}
