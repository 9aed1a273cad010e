//! Checks a provider settings submission against its [`ProviderSpec`]: which fields are
//! shown, each shown field's input rule and `required_when`, then the provider's own
//! cross-field rules. Pure functions; storing the result is `crate::settings`'s job.

use std::collections::BTreeSet;

use super::schema::{Chars, Cond, Field, FieldError, Input, ProviderSpec, Service, Values};

/// Facts from outside the form that validation needs.
#[derive(Debug, Default)]
pub struct Context {
    /// Ids of the shop's delivery methods.
    pub delivery_method_ids: BTreeSet<i64>,
    /// File fields that will hold a file after this save (already stored or uploaded now).
    pub files_present: BTreeSet<String>,
}

/// Whether `cond` holds for `values` (a missing key reads as empty).
pub fn holds(cond: &Cond, values: &Values) -> bool {
    let get = |key: &str| values.get(key).map(String::as_str).unwrap_or("");
    match cond {
        Cond::Always => true,
        Cond::Never => false,
        Cond::Eq(key, value) => get(key) == *value,
        Cond::In(key, options) => options.contains(&get(key)),
        Cond::All(conds) => conds.iter().all(|c| holds(c, values)),
        Cond::Any(conds) => conds.iter().any(|c| holds(c, values)),
    }
}

/// Every field of the spec, in screen order.
pub fn fields(spec: &ProviderSpec) -> impl Iterator<Item = &'static Field> + '_ {
    spec.sections.iter().flat_map(|s| s.fields.iter())
}

/// The fields shown for these values.
pub fn shown<'a>(
    spec: &'a ProviderSpec,
    values: &'a Values,
) -> impl Iterator<Item = &'static Field> + 'a {
    fields(spec).filter(move |f| holds(&f.shown_when, values))
}

/// The manual's initial values; a folder field gets a fresh random name.
pub fn defaults(spec: &ProviderSpec) -> Values {
    fields(spec)
        .map(|f| {
            let value = match f.input {
                Input::Folder => format!(
                    "certs/{}",
                    crate::secrets::random_token(9).replace(['-', '_'], "x")
                ),
                _ => f.default.to_owned(),
            };
            (f.key.to_owned(), value)
        })
        .collect()
}

/// The settlement kinds these values enable.
pub fn enabled_services<'a>(
    spec: &'a ProviderSpec,
    values: &'a Values,
) -> impl Iterator<Item = &'static Service> + 'a {
    spec.services
        .iter()
        .filter(move |s| holds(&s.enabled_when, values))
}

/// All errors of a submission; empty means it may be saved.
pub fn validate(spec: &ProviderSpec, values: &Values, context: &Context) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let mut visible = Values::new();
    for field in shown(spec, values) {
        let value = values.get(field.key).map(|v| v.trim()).unwrap_or("");
        visible.insert(field.key.to_owned(), value.to_owned());
        let required = holds(&field.required_when, values);
        if let Some(message) = check_field(field, value, required, context) {
            errors.push(FieldError::new(field.key, message));
        }
    }
    for error in (spec.check)(&visible) {
        if !errors.iter().any(|e| e.field == error.field) {
            errors.push(error);
        }
    }
    errors
}

fn check_field(field: &Field, value: &str, required: bool, context: &Context) -> Option<String> {
    let label = field.label;
    if let Input::File { .. } = field.input {
        let present = context.files_present.contains(field.key);
        return (required && !present).then(|| format!("{label}をアップロードしてください"));
    }
    if value.is_empty() {
        return required.then(|| match field.input {
            Input::Radio(_) | Input::Checkboxes(_) | Input::DeliveryMethods => {
                format!("{label}を選択してください")
            }
            _ => format!("{label}を入力してください"),
        });
    }
    match &field.input {
        Input::Text { chars, max } | Input::Secret { chars, max } => {
            if value.chars().count() > *max {
                Some(format!("{label}は{max}文字以内で入力してください"))
            } else if !chars_ok(*chars, value) {
                Some(format!(
                    "{label}は{}で入力してください",
                    chars_label(*chars)
                ))
            } else {
                None
            }
        }
        Input::Integer { min, max } => match value.parse::<i64>() {
            Ok(n) if (*min..=*max).contains(&n) && value.bytes().all(|b| b.is_ascii_digit()) => {
                None
            }
            _ => Some(format!(
                "{label}は{min}から{max}までの半角数字で入力してください"
            )),
        },
        Input::Email => crate::domain::input::Email::parse(field.key, value)
            .err()
            .map(|_| format!("{label}を正しいメールアドレスで入力してください")),
        Input::Url => {
            let ok = (value.starts_with("https://") || value.starts_with("http://"))
                && value.len() > 8
                && value.is_ascii()
                && !value
                    .chars()
                    .any(|c| c.is_ascii_whitespace() || c.is_ascii_control());
            (!ok)
                .then(|| format!("{label}は http:// または https:// で始まるURLを入力してください"))
        }
        Input::Radio(choices) => (!choices.iter().any(|c| c.value == value))
            .then(|| format!("{label}の選択肢が正しくありません")),
        Input::Checkboxes(choices) => value
            .split(',')
            .any(|v| !choices.iter().any(|c| c.value == v))
            .then(|| format!("{label}の選択肢が正しくありません")),
        Input::DeliveryMethods => value
            .split(',')
            .any(|v| {
                v.parse::<i64>()
                    .map_or(true, |id| !context.delivery_method_ids.contains(&id))
            })
            .then(|| format!("{label}に存在しない配送方法が含まれています")),
        Input::Folder => (!folder_ok(value)).then(|| {
            format!("{label}はデータフォルダ内の相対パス（半角英数字・-・_・/）で入力してください")
        }),
        Input::File { .. } => None,
    }
}

fn chars_ok(chars: Chars, value: &str) -> bool {
    match chars {
        Chars::Digits => value.bytes().all(|b| b.is_ascii_digit()),
        Chars::Alphanumeric => value.bytes().all(|b| b.is_ascii_alphanumeric()),
        Chars::Ascii => value.bytes().all(|b| b.is_ascii_graphic()),
        Chars::Any => !value.chars().any(char::is_control),
    }
}

fn chars_label(chars: Chars) -> &'static str {
    match chars {
        Chars::Digits => "半角数字",
        Chars::Alphanumeric => "半角英数字",
        Chars::Ascii => "半角英数記号（空白なし）",
        Chars::Any => "制御文字を含まない文字",
    }
}

/// A folder under the data dir: relative, no `..`, plain characters.
pub fn folder_ok(value: &str) -> bool {
    !value.starts_with('/')
        && value.len() <= 200
        && value
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != "..")
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'/'))
}

/// Checks an uploaded file for a file field: allowed extension and PEM content.
pub fn check_upload(field: &Field, file_name: &str, bytes: &[u8]) -> Result<(), String> {
    let Input::File { extensions } = field.input else {
        return Err(format!("{}はファイルではありません", field.label));
    };
    let ext = file_name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    if !extensions.iter().any(|e| *e == ext) {
        return Err(format!(
            "{}は拡張子 {} のファイルを選択してください",
            field.label,
            extensions.join(" / ")
        ));
    }
    if bytes.len() > 1024 * 1024 {
        return Err(format!(
            "{}のファイルが大きすぎます（1MBまで）",
            field.label
        ));
    }
    let text = std::str::from_utf8(bytes).unwrap_or("");
    if !text.contains("-----BEGIN ") {
        return Err(format!(
            "{}はPEM形式の証明書ファイルではありません",
            field.label
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::PROVIDERS;

    fn values(pairs: &[(&str, &str)]) -> Values {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// Every (field, value) pair a condition mentions; `None` for the field of an `In`.
    fn mentions(cond: &Cond, out: &mut Vec<(&'static str, Option<&'static str>)>) {
        match cond {
            Cond::Always | Cond::Never => {}
            Cond::Eq(k, v) => out.push((k, Some(v))),
            Cond::In(k, vs) => out.extend(vs.iter().map(|v| (*k, Some(*v)))),
            Cond::All(cs) | Cond::Any(cs) => cs.iter().for_each(|c| mentions(c, out)),
        }
    }

    fn choices(input: &Input) -> Option<&'static [crate::providers::schema::Choice]> {
        match input {
            Input::Radio(c) | Input::Checkboxes(c) => Some(c),
            _ => None,
        }
    }

    #[test]
    fn every_condition_names_an_existing_field_and_one_of_its_choices() {
        for spec in PROVIDERS {
            let mut seen = Vec::new();
            for f in fields(spec) {
                mentions(&f.shown_when, &mut seen);
                mentions(&f.required_when, &mut seen);
            }
            for s in spec.services {
                mentions(&s.enabled_when, &mut seen);
            }
            for (key, value) in seen {
                let field = fields(spec).find(|f| f.key == key);
                let field = field
                    .unwrap_or_else(|| panic!("{}: a condition names no field {key}", spec.key));
                if let (Some(value), Some(options)) = (value, choices(&field.input)) {
                    assert!(
                        options.iter().any(|c| c.value == value),
                        "{}: {key} has no choice {value:?}",
                        spec.key
                    );
                }
            }
        }
    }

    #[test]
    fn every_default_is_a_choice_of_its_field() {
        for spec in PROVIDERS {
            for f in fields(spec) {
                match choices(&f.input) {
                    Some(options) => {
                        for v in f.default.split(',').filter(|v| !v.is_empty()) {
                            assert!(
                                options.iter().any(|c| c.value == v),
                                "{}.{} starts as {v:?}",
                                spec.key,
                                f.key
                            );
                        }
                        if matches!(f.input, Input::Radio(_)) {
                            assert!(
                                !f.default.is_empty(),
                                "{}.{} has no initial choice",
                                spec.key,
                                f.key
                            );
                        }
                    }
                    None => assert!(
                        matches!(f.input, Input::Url) || f.default.is_empty(),
                        "{}.{} should start empty",
                        spec.key,
                        f.key
                    ),
                }
            }
        }
    }

    #[test]
    fn field_keys_are_unique_and_choice_values_are_short_ascii() {
        for spec in PROVIDERS {
            let mut keys: Vec<&str> = fields(spec).map(|f| f.key).collect();
            let count = keys.len();
            keys.sort_unstable();
            keys.dedup();
            assert_eq!(keys.len(), count, "{}: a field key is used twice", spec.key);
            for f in fields(spec) {
                for c in choices(&f.input).unwrap_or(&[]) {
                    let ok = !c.value.is_empty()
                        && c.value.len() <= 16
                        && c.value
                            .bytes()
                            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
                    assert!(ok, "{}.{}: choice value {:?}", spec.key, f.key, c.value);
                }
            }
        }
    }

    #[test]
    fn environments_start_in_test_and_the_sandbox_choice_shows_only_there() {
        for spec in PROVIDERS {
            for f in fields(spec).filter(|f| f.key.ends_with("test_target")) {
                let env_key = f.key.replace("test_target", "env");
                let env = fields(spec)
                    .find(|e| e.key == env_key)
                    .expect("each test_target has its env");
                assert_eq!(env.default, "test", "{}.{}", spec.key, env.key);
                assert_eq!(f.default, "sandbox", "{}.{}", spec.key, f.key);
                let mut v = defaults(spec);
                assert!(holds(&f.shown_when, &v));
                v.insert(env_key, "production".into());
                assert!(
                    !holds(&f.shown_when, &v),
                    "{}.{} hidden in production",
                    spec.key,
                    f.key
                );
            }
        }
    }

    #[test]
    fn defaults_fail_only_for_credentials_the_operator_must_enter() {
        for spec in PROVIDERS {
            let v = defaults(spec);
            for error in validate(spec, &v, &Context::default()) {
                let field = fields(spec)
                    .find(|f| f.key == error.field)
                    .expect("errors name real fields");
                let is_credential =
                    matches!(field.input, Input::Text { .. } | Input::Secret { .. });
                assert!(
                    is_credential && v[field.key].is_empty(),
                    "{}: unexpected {error:?}",
                    spec.key
                );
            }
        }
    }

    #[test]
    fn digits_only_fields_name_the_field_on_error() {
        let spec = &crate::providers::paygent::settings::SETTINGS;
        let mut v = defaults(spec);
        v.insert("card".into(), "module".into());
        v.insert("merchant_id".into(), "abc".into());
        let errors = validate(spec, &v, &Context::default());
        let merchant = errors
            .iter()
            .find(|e| e.field == "merchant_id")
            .expect("merchant_id error");
        assert!(
            merchant.message.contains("マーチャントID"),
            "{}",
            merchant.message
        );
    }

    #[test]
    fn folders_cannot_escape_the_data_dir() {
        assert!(folder_ok("certs/abc"));
        assert!(!folder_ok("../etc"));
        assert!(!folder_ok("/etc"));
        assert!(!folder_ok("a//b"));
    }

    #[test]
    fn conditions_read_missing_keys_as_empty() {
        assert!(holds(&Cond::Eq("x", ""), &values(&[])));
        assert!(!holds(&Cond::In("x", &["a"]), &values(&[])));
        assert!(holds(
            &Cond::Any(&[Cond::Never, Cond::Eq("x", "1")]),
            &values(&[("x", "1")])
        ));
    }
}
