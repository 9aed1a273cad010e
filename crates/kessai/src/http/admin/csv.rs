//! CSV files for download, as Japanese spreadsheet software opens them: CP932
//! (Windows-31J), CRLF line ends, fields quoted when they hold a comma, a quote or a line
//! break (quotes doubled), amounts as plain integers.

use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use encoding_rs::SHIFT_JIS;

/// One CSV field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cell {
    Text(String),
    Number(i64),
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Cell::Text(s.to_owned())
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::Text(s)
    }
}

impl From<i64> for Cell {
    fn from(n: i64) -> Self {
        Cell::Number(n)
    }
}

impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(v: Option<T>) -> Self {
        v.map_or(Cell::Text(String::new()), Into::into)
    }
}

/// A CSV document being written: a header row, then data rows.
#[derive(Debug, Default)]
pub struct Csv {
    text: String,
}

impl Csv {
    /// A document starting with its header row.
    pub fn with_header(names: &[&str]) -> Self {
        let mut csv = Self::default();
        csv.row(names.iter().map(|n| Cell::from(*n)));
        csv
    }

    /// Appends a row.
    pub fn row(&mut self, cells: impl IntoIterator<Item = Cell>) {
        for (i, cell) in cells.into_iter().enumerate() {
            if i > 0 {
                self.text.push(',');
            }
            match cell {
                Cell::Number(n) => self.text.push_str(&n.to_string()),
                Cell::Text(t) => push_text(&mut self.text, &t),
            }
        }
        self.text.push_str("\r\n");
    }

    /// The document as text (before encoding).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The document as a CP932 download named `file_name`.
    pub fn into_download(self, file_name: &str) -> Response {
        (
            [
                (CONTENT_TYPE, "text/csv; charset=Shift_JIS".to_owned()),
                (
                    CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{file_name}\""),
                ),
            ],
            to_cp932(&self.text),
        )
            .into_response()
    }
}

fn push_text(out: &mut String, text: &str) {
    // A text starting like a formula would run as one in a spreadsheet; an apostrophe makes
    // it plain text there.
    let guarded = if text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if guarded.contains([',', '"', '\r', '\n']) {
        out.push('"');
        out.push_str(&guarded.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(&guarded);
    }
}

/// Encodes text in CP932; a character CP932 lacks becomes 〓 (the customary geta mark), so
/// one rare character does not break the file.
pub fn to_cp932(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut buf = [0u8; 4];
    for c in text.chars() {
        let (bytes, _, unmappable) = SHIFT_JIS.encode(c.encode_utf8(&mut buf));
        if unmappable {
            out.extend_from_slice(&SHIFT_JIS.encode("〓").0);
        } else {
            out.extend_from_slice(&bytes);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_with_commas_quotes_or_line_breaks_are_quoted() {
        let mut csv = Csv::with_header(&["注文番号", "備考", "金額"]);
        csv.row([
            Cell::from("0001"),
            Cell::from("箱に\"のし\"を,\n二重に"),
            Cell::from(1080),
        ]);
        csv.row([
            Cell::from("=SUM(A1)"),
            Cell::from(None::<String>),
            Cell::from(-5),
        ]);
        assert_eq!(
            csv.as_str(),
            "注文番号,備考,金額\r\n0001,\"箱に\"\"のし\"\"を,\n二重に\",1080\r\n'=SUM(A1),,-5\r\n"
        );
    }

    #[test]
    fn text_is_encoded_in_cp932_with_a_mark_for_what_it_lacks() {
        let bytes = to_cp932("髙橋①𠮷");
        let (decoded, _, errors) = SHIFT_JIS.decode(&bytes);
        assert!(!errors);
        assert_eq!(decoded, "髙橋①〓");
    }
}
