//! Checks of the payment object (spec §4) with the codes of §9, for both the widget and
//! `POST /v1/transactions`. Every field is checked and every failure reported (one entry
//! each in `errors`); only when the formats pass is Σ `item_price` × `item_count` compared
//! with `amount` (`EATN1102`).
//!
//! Types: `amount`, `item_price`, `item_count` and `sex_division` are JSON integers or
//! strings of digits (`-` allowed on a price); text fields must be JSON strings;
//! `sales_settled` a JSON boolean. An optional field that is `null` or `""` counts as
//! absent. Unknown keys are ignored.
//!
//! Limits: `amount` 1..9,999,999 (`EATN0105`); `shop_transaction_no` 1..100 printable
//! ASCII (`EATN0106`); `sales_settled` (`EATN0108`); `description_trans` ≤255 characters,
//! no control characters but line breaks (`EATN0109`); `items` 1..9999 (`EATN0111` /
//! `EATN0112`), each with `shop_item_id` 1..100 printable ASCII (`EATN0110`), `item_name`
//! 1..100 (`EATN0113`), `item_price` −999,999..999,999 (`EATN0114`), `item_count`
//! 1..99,999 (`EATN0115`), `item_url` ≤1000 (`EATN0143`); `dest_customers` ≤9
//! (`EATN0144`). `customer` is required; its codes are the sandbox's reading of the order
//! §9 lists them in: `customer_name` (required, ≤100) `EATN0135`, `customer_name_kana`
//! (hiragana, ≤128) `EATN0136`, `company_name` (≤100) `EATN0137`, `department` (≤30)
//! `EATN0138`, `zip_code` (`NNNNNNN` or `NNN-NNNN`) `EATN0139`, `address` (≤255)
//! `EATN0140`, `tel` (0 then 10–11 digits in all, hyphens allowed) `EATN0141`, `email`
//! (≤255, one `@` between non-empty parts) `EATN0142`, `customer_family_name` /
//! `customer_given_name` (≤50) `EATN0145` / `EATN0146`, their kana (hiragana, ≤64)
//! `EATN0147` / `EATN0148`, `phone_number` (070/080/090/050 + 8 digits, hyphens allowed)
//! `EATN0149`, `birthday` (a real `YYYY-MM-DD`) `EATN0150`, `sex_division` (1 or 2)
//! `EATN0151`. A `dest_customers` element reuses the same codes for `dest_customer_name`
//! (required), `dest_customer_name_kana`, `dest_company_name`, `dest_department`,
//! `dest_zip_code` (required), `dest_address` (required) and `dest_tel` (§9 names no
//! codes of its own for them). `total_purchase_count` / `total_purchase_amount`,
//! `transaction_options`, `user_no` and `service_supplier` are echoed or ignored
//! unchecked.

use chrono::NaiveDate;
use serde_json::{Map, Value};

use super::wire::ErrorEntry;

/// A line of `items`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// `shop_item_id`.
    pub shop_item_id: String,
    /// `item_name`.
    pub item_name: String,
    /// `item_price`, negative for a discount.
    pub item_price: i64,
    /// `item_count`.
    pub item_count: i64,
    /// `item_url`.
    pub item_url: Option<String>,
}

/// A payment object that passed the checks.
#[derive(Debug, Clone)]
pub struct Payment {
    /// `amount` in yen.
    pub amount: i64,
    /// `shop_transaction_no`.
    pub shop_transaction_no: String,
    /// `sales_settled`: capture at once.
    pub sales_settled: bool,
    /// `description_trans`.
    pub description_trans: Option<String>,
    /// `transaction_options`, echoed (`[]` when absent).
    pub transaction_options: Value,
    /// `customer`, echoed as sent.
    pub customer: Value,
    /// `dest_customers`, echoed as sent.
    pub dest_customers: Vec<Value>,
    /// `items`.
    pub items: Vec<Item>,
    /// `updated_transactions` (取引更新; only read on the server-side POST).
    pub updated_transactions: Vec<String>,
}

/// The failures found so far.
#[derive(Default)]
struct Errors(Vec<ErrorEntry>);

impl Errors {
    fn add(&mut self, code: &'static str, param: &str, message: &str) {
        self.0.push(ErrorEntry::new(code, param, message));
    }
}

/// Check `value` as a payment object.
pub fn payment(value: &Value) -> Result<Payment, Vec<ErrorEntry>> {
    let Some(object) = value.as_object() else {
        return Err(vec![ErrorEntry::new(
            "EATN0399",
            "",
            "リクエストの形式が不正です",
        )]);
    };
    let mut errors = Errors::default();
    let amount = integer(object.get("amount")).filter(|a| (1..=9_999_999).contains(a));
    if amount.is_none() {
        errors.add(
            "EATN0105",
            "amount",
            "amount は 1〜9,999,999 の整数で指定してください",
        );
    }
    let shop_transaction_no = text(object.get("shop_transaction_no"))
        .filter(|t| ascii_up_to(t, 100))
        .map(str::to_owned);
    if shop_transaction_no.is_none() {
        errors.add(
            "EATN0106",
            "shop_transaction_no",
            "shop_transaction_no は 100 文字以内の半角英数記号で指定してください",
        );
    }
    let sales_settled = match present(object.get("sales_settled")) {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            errors.add(
                "EATN0108",
                "sales_settled",
                "sales_settled は true か false で指定してください",
            );
            false
        }
    };
    let description_trans = optional_text(
        object,
        ("description_trans", "EATN0109"),
        &mut errors,
        |t| {
            t.chars().count() <= 255 && t.chars().all(|c| !c.is_control() || c == '\n' || c == '\r')
        },
    )
    .map(|t| t.to_owned());
    let customer = object.get("customer").cloned().unwrap_or(Value::Null);
    check_customer(&customer, &mut errors);
    let dest_customers = check_destinations(object.get("dest_customers"), &mut errors);
    let items = check_items(object.get("items"), &mut errors);
    let updated_transactions = match present(object.get("updated_transactions")) {
        None => Vec::new(),
        Some(Value::Array(ids)) if ids.iter().all(Value::is_string) => ids
            .iter()
            .filter_map(|id| id.as_str().map(str::to_owned))
            .collect(),
        Some(_) => {
            errors.add(
                "EATN1103",
                "updated_transactions",
                "updated_transactions は取引IDの配列で指定してください",
            );
            Vec::new()
        }
    };
    let (Some(amount), Some(shop_transaction_no), Some(items), true) =
        (amount, shop_transaction_no, items, errors.0.is_empty())
    else {
        return Err(errors.0);
    };
    let total: i64 = items.iter().map(|i| i.item_price * i.item_count).sum();
    if total != amount {
        return Err(vec![ErrorEntry::new(
            "EATN1102",
            "amount",
            format!("amount（{amount}）が商品明細の合計（{total}）と一致しません"),
        )]);
    }
    Ok(Payment {
        amount,
        shop_transaction_no,
        sales_settled,
        description_trans,
        transaction_options: present(object.get("transaction_options"))
            .cloned()
            .unwrap_or_else(|| Value::Array(Vec::new())),
        customer,
        dest_customers,
        items,
        updated_transactions,
    })
}

/// A `customer` or `dest_customers` field: its key, code, whether it is required, and
/// the rule its text must meet.
type FieldRule = (&'static str, &'static str, bool, fn(&str) -> bool);

/// `customer` (§4).
const CUSTOMER: &[FieldRule] = &[
    ("customer_name", "EATN0135", true, |t| chars_up_to(t, 100)),
    ("customer_name_kana", "EATN0136", false, |t| {
        hiragana_up_to(t, 128)
    }),
    ("company_name", "EATN0137", false, |t| chars_up_to(t, 100)),
    ("department", "EATN0138", false, |t| chars_up_to(t, 30)),
    ("zip_code", "EATN0139", false, zip_code),
    ("address", "EATN0140", false, |t| chars_up_to(t, 255)),
    ("tel", "EATN0141", false, tel),
    ("email", "EATN0142", false, email),
    ("customer_family_name", "EATN0145", false, |t| {
        chars_up_to(t, 50)
    }),
    ("customer_given_name", "EATN0146", false, |t| {
        chars_up_to(t, 50)
    }),
    ("customer_family_name_kana", "EATN0147", false, |t| {
        hiragana_up_to(t, 64)
    }),
    ("customer_given_name_kana", "EATN0148", false, |t| {
        hiragana_up_to(t, 64)
    }),
    ("phone_number", "EATN0149", false, mobile),
    ("birthday", "EATN0150", false, birthday),
];

/// A `dest_customers` element (§4), with the codes of the matching customer fields.
const DESTINATION: &[FieldRule] = &[
    ("dest_customer_name", "EATN0135", true, |t| {
        chars_up_to(t, 100)
    }),
    ("dest_customer_name_kana", "EATN0136", false, |t| {
        hiragana_up_to(t, 128)
    }),
    ("dest_company_name", "EATN0137", false, |t| {
        chars_up_to(t, 100)
    }),
    ("dest_department", "EATN0138", false, |t| chars_up_to(t, 30)),
    ("dest_zip_code", "EATN0139", true, zip_code),
    ("dest_address", "EATN0140", true, |t| chars_up_to(t, 255)),
    ("dest_tel", "EATN0141", false, tel),
];

/// Check the fields of `object` named `path` (e.g. `customer`) by `rules`.
fn check_fields(object: &Map<String, Value>, path: &str, rules: &[FieldRule], errors: &mut Errors) {
    for (key, code, required, rule) in rules {
        let param = format!("{path}.{key}");
        let ok = match present(object.get(*key)) {
            None => !required,
            Some(Value::String(t)) => rule(t),
            Some(_) => false,
        };
        if !ok {
            errors.add(code, &param, &format!("{param} の形式が不正です"));
        }
    }
}

fn check_customer(customer: &Value, errors: &mut Errors) {
    let Some(object) = customer.as_object() else {
        errors.add("EATN0135", "customer", "customer を指定してください");
        return;
    };
    check_fields(object, "customer", CUSTOMER, errors);
    if let Some(sex) = present(object.get("sex_division")) {
        if !matches!(integer(Some(sex)), Some(1 | 2)) {
            errors.add(
                "EATN0151",
                "customer.sex_division",
                "customer.sex_division は 1 か 2 で指定してください",
            );
        }
    }
}

fn check_destinations(value: Option<&Value>, errors: &mut Errors) -> Vec<Value> {
    let destinations = match present(value) {
        None => return Vec::new(),
        Some(Value::Array(destinations)) if destinations.len() <= 9 => destinations,
        Some(_) => {
            errors.add(
                "EATN0144",
                "dest_customers",
                "dest_customers は 9 件以内の配列で指定してください",
            );
            return Vec::new();
        }
    };
    for (i, destination) in destinations.iter().enumerate() {
        let path = format!("dest_customers[{i}]");
        match destination.as_object() {
            Some(object) => check_fields(object, &path, DESTINATION, errors),
            None => errors.add("EATN0135", &path, &format!("{path} の形式が不正です")),
        }
    }
    destinations.clone()
}

fn check_items(value: Option<&Value>, errors: &mut Errors) -> Option<Vec<Item>> {
    let lines = match present(value) {
        Some(Value::Array(lines)) if !lines.is_empty() => lines,
        _ => {
            errors.add("EATN0111", "items", "items を 1 件以上指定してください");
            return None;
        }
    };
    if lines.len() > 9999 {
        errors.add(
            "EATN0112",
            "items",
            "items は 9,999 件以内で指定してください",
        );
        return None;
    }
    let mut items = Vec::with_capacity(lines.len());
    let mut all_good = true;
    for (i, line) in lines.iter().enumerate() {
        let path = format!("items[{i}]");
        let Some(object) = line.as_object() else {
            errors.add("EATN0110", &path, &format!("{path} の形式が不正です"));
            all_good = false;
            continue;
        };
        let mut bad = |code, key: &str| {
            let param = format!("{path}.{key}");
            errors.add(code, &param, &format!("{param} の形式が不正です"));
        };
        let shop_item_id = text(object.get("shop_item_id")).filter(|t| ascii_up_to(t, 100));
        if shop_item_id.is_none() {
            bad("EATN0110", "shop_item_id");
        }
        let item_name =
            text(object.get("item_name")).filter(|t| !t.is_empty() && chars_up_to(t, 100));
        if item_name.is_none() {
            bad("EATN0113", "item_name");
        }
        let item_price =
            integer(object.get("item_price")).filter(|p| (-999_999..=999_999).contains(p));
        if item_price.is_none() {
            bad("EATN0114", "item_price");
        }
        let item_count = integer(object.get("item_count")).filter(|c| (1..=99_999).contains(c));
        if item_count.is_none() {
            bad("EATN0115", "item_count");
        }
        let item_url = match present(object.get("item_url")) {
            None => Some(None),
            Some(Value::String(url)) if chars_up_to(url, 1000) => Some(Some(url.clone())),
            Some(_) => None,
        };
        if item_url.is_none() {
            bad("EATN0143", "item_url");
        }
        match (shop_item_id, item_name, item_price, item_count, item_url) {
            (Some(id), Some(name), Some(price), Some(count), Some(url)) => items.push(Item {
                shop_item_id: id.to_owned(),
                item_name: name.to_owned(),
                item_price: price,
                item_count: count,
                item_url: url,
            }),
            _ => all_good = false,
        }
    }
    all_good.then_some(items)
}

/// `value` unless it is absent, `null` or `""`.
fn present(value: Option<&Value>) -> Option<&Value> {
    value.filter(|v| !v.is_null() && v.as_str() != Some(""))
}

/// The text of a JSON string.
fn text(value: Option<&Value>) -> Option<&str> {
    value.and_then(Value::as_str)
}

/// An optional text field `key` of `object`, reported with `code` when it breaks `rule`.
fn optional_text<'a>(
    object: &'a Map<String, Value>,
    (key, code): (&str, &'static str),
    errors: &mut Errors,
    rule: fn(&str) -> bool,
) -> Option<&'a str> {
    match present(object.get(key)) {
        None => None,
        Some(Value::String(t)) if rule(t) => Some(t),
        Some(_) => {
            errors.add(code, key, &format!("{key} の形式が不正です"));
            None
        }
    }
}

/// A JSON integer, or a string of digits with an optional leading `-`.
pub fn integer(value: Option<&Value>) -> Option<i64> {
    match value? {
        Value::Number(n) => n.as_i64(),
        Value::String(t) => {
            let digits = t.strip_prefix('-').unwrap_or(t);
            let well_formed = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
            well_formed.then(|| t.parse().ok()).flatten()
        }
        _ => None,
    }
}

fn chars_up_to(text: &str, max: usize) -> bool {
    text.chars().count() <= max && !text.chars().any(char::is_control)
}

fn ascii_up_to(text: &str, max: usize) -> bool {
    !text.is_empty() && text.len() <= max && text.bytes().all(|b| b.is_ascii_graphic())
}

fn hiragana_up_to(text: &str, max: usize) -> bool {
    text.chars().count() <= max
        && text
            .chars()
            .all(|c| matches!(c, '\u{3041}'..='\u{3096}' | 'ー' | ' ' | '　'))
}

fn digits_only(text: &str) -> Option<String> {
    let ok = text.bytes().all(|b| b.is_ascii_digit() || b == b'-')
        && !text.starts_with('-')
        && !text.ends_with('-')
        && !text.contains("--");
    ok.then(|| text.chars().filter(char::is_ascii_digit).collect())
}

fn zip_code(text: &str) -> bool {
    let b = text.as_bytes();
    match b.len() {
        7 => b.iter().all(u8::is_ascii_digit),
        8 => b[3] == b'-' && b[..3].iter().chain(&b[4..]).all(u8::is_ascii_digit),
        _ => false,
    }
}

fn tel(text: &str) -> bool {
    digits_only(text).is_some_and(|d| d.starts_with('0') && (10..=11).contains(&d.len()))
}

fn mobile(text: &str) -> bool {
    digits_only(text).is_some_and(|d| {
        d.len() == 11
            && ["050", "070", "080", "090"]
                .iter()
                .any(|p| d.starts_with(p))
    })
}

fn email(text: &str) -> bool {
    let mut parts = text.split('@');
    let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    text.len() <= 255
        && !local.is_empty()
        && !domain.is_empty()
        && !text.contains(char::is_whitespace)
}

fn birthday(text: &str) -> bool {
    text.len() == 10 && NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn good() -> Value {
        json!({
            "amount": 1000,
            "shop_transaction_no": "ord-1",
            "sales_settled": false,
            "customer": { "customer_name": "山田 太郎", "customer_name_kana": "やまだ たろう", "tel": "03-1234-5678", "zip_code": "150-0001", "email": "a@example.com", "phone_number": "090-1234-5678", "birthday": "1990-01-31", "sex_division": "1" },
            "dest_customers": [{ "dest_customer_name": "佐藤", "dest_zip_code": "1500001", "dest_address": "東京都" }],
            "items": [
                { "shop_item_id": "A1", "item_name": "本", "item_price": 1200, "item_count": 1 },
                { "shop_item_id": "D1", "item_name": "値引", "item_price": "-200", "item_count": "1" }
            ]
        })
    }

    fn codes(value: Value) -> Vec<(&'static str, Vec<String>)> {
        payment(&value)
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| (e.code, e.params))
            .collect()
    }

    #[test]
    fn a_good_payment_passes_with_negative_lines() {
        let mut good = good();
        good["description_trans"] = json!("1行目\r\n2行目");
        let payment = payment(&good).unwrap();

        assert_eq!(payment.amount, 1000);
        assert_eq!(payment.items[1].item_price, -200);
        assert_eq!(payment.transaction_options, json!([]));
        assert_eq!(payment.description_trans.as_deref(), Some("1行目\r\n2行目"));
    }

    #[test]
    fn every_bad_field_is_reported_with_its_code() {
        let mut bad = good();
        bad["amount"] = json!(10_000_000);
        bad["shop_transaction_no"] = json!("注文1");
        bad["customer"]["customer_name_kana"] = json!("ヤマダ");
        bad["customer"]["phone_number"] = json!("03-1234-5678");
        bad["items"][0]["item_count"] = json!(0);

        assert_eq!(
            codes(bad),
            vec![
                ("EATN0105", vec!["amount".to_owned()]),
                ("EATN0106", vec!["shop_transaction_no".to_owned()]),
                ("EATN0136", vec!["customer.customer_name_kana".to_owned()]),
                ("EATN0149", vec!["customer.phone_number".to_owned()]),
                ("EATN0115", vec!["items[0].item_count".to_owned()]),
            ]
        );
    }

    #[test]
    fn the_sum_of_the_lines_must_be_the_amount() {
        let mut bad = good();
        bad["amount"] = json!(1001);

        assert_eq!(codes(bad), vec![("EATN1102", vec!["amount".to_owned()])]);
    }

    #[test]
    fn items_and_destinations_have_bounds() {
        let mut no_items = good();
        no_items["items"] = json!([]);
        let mut ten = good();
        ten["dest_customers"] = json!(vec![good()["dest_customers"][0].clone(); 10]);

        assert_eq!(codes(no_items)[0].0, "EATN0111");
        assert_eq!(codes(ten)[0].0, "EATN0144");
    }
}
