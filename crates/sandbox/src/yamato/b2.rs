//! A stand-in for B2 (送り状発行システム B2 / B2クラウド), Yamato's slip software, written
//! from the spec's §11: the shop uploads the CSV it wrote for B2 (Shift_JIS, CRLF, a header
//! row, お客様管理番号 in column 1) and gets the same file back with a 伝票番号 issued for
//! every row in column 4 and its 出荷予定日 in column 5 (`YYYY/M/D`) — the file a shop
//! downloads from B2 once the slips are printed, and imports to learn its 送り状番号.
//! * `GET /b2` — the upload form;
//! * `POST /b2` (multipart, `file`) — the file back as `b2_issued_YYYYMMDD.csv`
//!   (`text/csv; charset=Shift_JIS`), or the form again (422) saying what is wrong.
//!
//! What the spec leaves open and the sandbox chose: a file that is not Shift_JIS or has a
//! row of more than 100 cells is refused, as is one without a row to issue a slip for; the
//! header (a first cell that is not a number) and rows of fewer than 10 cells come back as
//! they are; a row that has a 伝票番号 keeps it; numbers are 12 digits, the first 11
//! counted up from a start taken from the clock when the sandbox starts, then their check
//! digit (`slip.rs`), so they are valid for E01; 出荷予定日 is the row's own date when it
//! has one, else today in Japan; every cell is written quoted. No label is printed.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::extract::{Multipart, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::{Datelike, FixedOffset, NaiveDate};
use encoding_rs::SHIFT_JIS;
use minijinja::context;

use super::{pages, slip};
use crate::Clock;

/// Rows of more cells are refused (spec §11).
const MAX_CELLS: usize = 100;
/// Rows of fewer cells are not B2 rows and come back as they are (spec §11).
const MIN_CELLS: usize = 10;
/// Largest file taken.
const MAX_FILE_BYTES: usize = 32 * 1024 * 1024;

/// The stand-in's state: the clock and the next slip number (its first 11 digits).
struct B2 {
    clock: Clock,
    next: AtomicU64,
}

/// The routes, to be merged into the Kuroneko Web Collect sandbox's.
pub fn router<S: Clone + Send + Sync + 'static>(clock: Clock) -> Router<S> {
    // Numbers of a later start do not repeat an earlier one's (a day apart at least).
    let start = 40_000_000_000 + (clock().timestamp().unsigned_abs() % 86_400_000) * 100;
    let state = Arc::new(B2 {
        clock,
        next: AtomicU64::new(start),
    });
    Router::new()
        .route("/b2", get(form).post(issue))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_FILE_BYTES))
        .with_state(state)
}

/// `GET /b2`.
async fn form() -> Response {
    pages::page(
        StatusCode::OK,
        "yamato/b2.html",
        context! { error => None::<String> },
    )
}

/// `POST /b2`.
async fn issue(State(b2): State<Arc<B2>>, mut multipart: Multipart) -> Response {
    let refuse = |error: String| {
        pages::page(
            StatusCode::UNPROCESSABLE_ENTITY,
            "yamato/b2.html",
            context! { error },
        )
    };
    let mut file = Vec::new();
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) if field.name() == Some("file") => match field.bytes().await {
                Ok(bytes) => file = bytes.to_vec(),
                Err(e) => return refuse(format!("ファイルを受け取れませんでした: {e}")),
            },
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(e) => return refuse(format!("ファイルを受け取れませんでした: {e}")),
        }
    }
    let now = (b2.clock)().with_timezone(&japan());
    let today = now.date_naive();
    let issued = match issue_slips(&file, today, || {
        let first = b2.next.fetch_add(1, Ordering::Relaxed) % 100_000_000_000;
        let first = format!("{first:011}");
        let digit = slip::check_digit(&first).unwrap_or(0);
        format!("{first}{digit}")
    }) {
        Ok(issued) => issued,
        Err(error) => return refuse(error),
    };
    tracing::info!(rows = issued.rows, "yamato sandbox B2 issued slips");
    (
        [
            (CONTENT_TYPE, "text/csv; charset=Shift_JIS".to_owned()),
            (
                CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"b2_issued_{}.csv\"",
                    today.format("%Y%m%d")
                ),
            ),
        ],
        issued.bytes,
    )
        .into_response()
}

fn japan() -> FixedOffset {
    FixedOffset::east_opt(9 * 3600).expect("a valid offset")
}

/// A file given back.
#[derive(Debug)]
struct Issued {
    bytes: Vec<u8>,
    /// How many rows got a slip.
    rows: usize,
}

/// The file with a slip number from `next_slip` in every B2 row without one, and its
/// 出荷予定日 as B2 writes dates.
fn issue_slips(
    file: &[u8],
    today: NaiveDate,
    mut next_slip: impl FnMut() -> String,
) -> Result<Issued, String> {
    let (text, _, malformed) = SHIFT_JIS.decode(file);
    if malformed {
        return Err("Shift_JISのCSVファイルではありません。".to_owned());
    }
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    let mut rows = 0;
    for (i, line) in text.lines().enumerate() {
        let mut cells = cells(line);
        if cells.len() > MAX_CELLS {
            return Err(format!(
                "{}行目: 列が{}列あります({}列まで)。",
                i + 1,
                cells.len(),
                MAX_CELLS
            ));
        }
        let b2_row = cells.len() >= MIN_CELLS
            && !cells[0].is_empty()
            && cells[0].bytes().all(|b| b.is_ascii_digit());
        if !b2_row {
            out.push_str(line);
            out.push_str("\r\n");
            continue;
        }
        if cells[3].trim().is_empty() {
            cells[3] = next_slip();
        }
        cells[4] = b2_date(&cells[4])
            .unwrap_or(today)
            .format("%Y/%-m/%-d")
            .to_string();
        rows += 1;
        let quoted: Vec<String> = cells
            .iter()
            .map(|c| format!("\"{}\"", c.replace('"', "\"\"")))
            .collect();
        out.push_str(&quoted.join(","));
        out.push_str("\r\n");
    }
    if rows == 0 {
        return Err(
            "送り状を発行する行がありません(1列目がお客様管理番号の行が必要です)。".to_owned(),
        );
    }
    let (bytes, _, unmappable) = SHIFT_JIS.encode(&out);
    if unmappable {
        return Err("Shift_JISで書けない文字があります。".to_owned());
    }
    Ok(Issued {
        bytes: bytes.into_owned(),
        rows,
    })
}

/// A date written `YYYY/MM/DD` or `YYYY/M/D` (or with `-`).
fn b2_date(cell: &str) -> Option<NaiveDate> {
    let parts: Vec<u32> = cell
        .trim()
        .split(['/', '-'])
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    match parts.as_slice() {
        [y, m, d] => NaiveDate::from_ymd_opt(i32::try_from(*y).ok()?, *m, *d)
            .filter(|date| date.year() > 2000),
        _ => None,
    }
}

/// The cells of one CSV line: double quotes around a cell, `""` for a quote in it.
fn cells(line: &str) -> Vec<String> {
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            '"' => quoted = !quoted,
            ',' if !quoted => cells.push(std::mem::take(&mut cell)),
            c => cell.push(c),
        }
    }
    cells.push(cell);
    cells
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(first: &str, slip: &str, date: &str) -> String {
        let mut cells = vec![String::new(); 97];
        cells[0] = first.into();
        cells[3] = slip.into();
        cells[4] = date.into();
        cells[15] = "山田 太郎".into();
        cells
            .iter()
            .map(|c| format!("\"{c}\""))
            .collect::<Vec<_>>()
            .join(",")
    }

    fn sjis(text: &str) -> Vec<u8> {
        SHIFT_JIS.encode(text).0.into_owned()
    }

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 5, 10).unwrap()
    }

    #[test]
    fn every_b2_row_gets_a_valid_slip_and_the_header_stays() {
        let file = format!(
            "{}\r\n{}\r\n{}\r\n",
            row("お客様管理番号", "伝票番号", "出荷予定日"),
            row("00000001", "", "2026/05/12"),
            row("00000002", "", "")
        );
        let mut n = 40_000_000_000u64;
        let issued = issue_slips(&sjis(&file), day(), || {
            n += 1;
            let first = n.to_string();
            format!("{first}{}", slip::check_digit(&first).unwrap())
        })
        .unwrap();

        let (text, _, _) = SHIFT_JIS.decode(&issued.bytes);
        let lines: Vec<Vec<String>> = text.lines().map(cells).collect();
        assert_eq!(issued.rows, 2);
        assert_eq!(lines[0][3], "伝票番号");
        assert_eq!(lines[1][3], "400000000013");
        assert_eq!(slip::check(&lines[1][3], "00"), Ok(()));
        assert_eq!(lines[1][4], "2026/5/12");
        assert_eq!(lines[2][4], "2026/5/10");
        assert_eq!(lines[1][15], "山田 太郎");
        assert_eq!(lines[1].len(), 97);
        assert!(text.ends_with("\r\n"));
    }

    #[test]
    fn a_row_with_a_slip_keeps_it() {
        let file = format!("{}\r\n", row("00000003", "123456789013", "2026/5/11"));
        let issued = issue_slips(&sjis(&file), day(), || unreachable!()).unwrap();
        let (text, _, _) = SHIFT_JIS.decode(&issued.bytes);
        assert_eq!(cells(text.lines().next().unwrap())[3], "123456789013");
    }

    #[test]
    fn a_file_that_is_not_b2s_is_refused() {
        let wide = format!("{}\r\n", vec!["1"; 101].join(","));
        let no_rows = sjis("注文番号,氏名\r\n");
        let mut broken = sjis(&format!("{}\r\n", row("00000001", "", "")));
        broken.extend_from_slice(b"\x81\x20");

        assert!(issue_slips(wide.as_bytes(), day(), String::new)
            .unwrap_err()
            .contains("1行目"));
        assert!(issue_slips(&no_rows, day(), String::new).is_err());
        assert!(issue_slips(&broken, day(), String::new)
            .unwrap_err()
            .contains("Shift_JIS"));
    }
}
