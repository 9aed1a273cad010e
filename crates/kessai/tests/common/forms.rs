//! Forms as a browser submits them: the fields of a page's form, and 受注データ編集's.

use super::TestApp;

/// The edit form of an order as a browser would submit it unchanged.
pub async fn edit_form(app: &TestApp, order_id: i64) -> Vec<(String, String)> {
    let (status, html) = app.page(&format!("/admin/orders/{order_id}")).await;
    assert_eq!(status, 200, "{html}");
    let form = super::between(&html, "id=\"order-form\"", "</form>");
    form_fields(form)
}

/// The fields a browser submits from a form's HTML: inputs (ticked boxes only), selects
/// (the selected option) and textareas. Enough for the forms of these pages.
pub fn form_fields(form: &str) -> Vec<(String, String)> {
    let unescape = super::unescape;
    let attr = |tag: &str, name: &str| {
        let marker = format!(" {name}=\"");
        tag.find(&marker).map(|i| {
            let s = &tag[i + marker.len()..];
            unescape(&s[..s.find('"').unwrap()])
        })
    };
    let mut fields = Vec::new();
    for part in form.split('<').skip(1) {
        let tag = &part[..part.find('>').unwrap_or(part.len())];
        if let Some(rest) = tag.strip_prefix("input") {
            let Some(name) = attr(rest, "name") else {
                continue;
            };
            let kind = attr(rest, "type").unwrap_or_default();
            if (kind == "checkbox" || kind == "radio") && !rest.contains(" checked") {
                continue;
            }
            fields.push((name, attr(rest, "value").unwrap_or_default()));
        } else if let Some(rest) = tag.strip_prefix("textarea") {
            let name = attr(rest, "name").unwrap();
            let body = &part[part.find('>').unwrap() + 1..];
            fields.push((name, unescape(body)));
        } else if let Some(rest) = tag.strip_prefix("select") {
            let name = attr(rest, "name").unwrap();
            let end = form[form.find(tag).unwrap()..].find("</select>").unwrap();
            let options = &form[form.find(tag).unwrap()..][..end];
            let selected = options
                .split("<option")
                .skip(1)
                .find(|o| o[..o.find('>').unwrap()].contains(" selected"))
                .or_else(|| options.split("<option").nth(1))
                .and_then(|o| attr(o, "value"))
                .unwrap_or_default();
            fields.push((name, selected));
        }
    }
    fields
}

pub fn set(fields: &mut Vec<(String, String)>, name: &str, value: &str) {
    match fields.iter_mut().find(|(k, _)| k == name) {
        Some((_, v)) => *v = value.to_owned(),
        None => fields.push((name.to_owned(), value.to_owned())),
    }
}
