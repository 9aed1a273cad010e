//! Extractors of the JSON API: [`ApiJson`] and [`OptionalJson`], a JSON object body whose
//! every failure (no body, not JSON, not an object, wrong type, missing or unknown field)
//! answers in the API's error format with the field named, and [`ApiClient`], the API key
//! the request was authenticated with.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use serde::Deserialize as _;

use super::error::ApiError;
use crate::domain::input::Invalid;

/// A JSON request body the operation needs: an object (`{…}`). No body at all answers 422
/// naming `body`; another JSON value (an array, a string, `null`…) too.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

/// The body of an operation whose parameters are all optional: a JSON object, or no body at
/// all (read as `{}`), so such operations can be posted bare.
#[derive(Debug)]
pub struct OptionalJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        read(req, state, false).await.map(ApiJson)
    }
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for OptionalJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        read(req, state, true).await.map(OptionalJson)
    }
}

async fn read<T: DeserializeOwned, S: Send + Sync>(
    req: Request,
    state: &S,
    may_be_empty: bool,
) -> Result<T, ApiError> {
    let is_json = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|mime| {
            let mime = mime.trim().to_ascii_lowercase();
            mime == "application/json" || mime.ends_with("+json")
        });
    let bytes = Bytes::from_request(req, state)
        .await
        .map_err(|_| ApiError::PayloadTooLarge)?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        if may_be_empty {
            return parse(b"{}");
        }
        return Err(ApiError::Invalid(vec![Invalid::new(
            "body",
            "リクエスト本文(JSONオブジェクト)を指定してください",
        )]));
    }
    if is_json != Some(true) {
        return Err(ApiError::UnsupportedMediaType);
    }
    parse_object(&bytes)
}

/// [`parse`] for a request body, which is always a JSON object: serde would read a struct
/// from an array of its fields in order too (`[]` as `{}`, `[272]` as `{"amount": 272}`),
/// which the document does not allow.
pub fn parse_object<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    serde::de::IgnoredAny::deserialize(&mut de)
        .and_then(|_| de.end())
        .map_err(|e| ApiError::MalformedJson(position(&e)))?;
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(ApiError::Invalid(vec![Invalid::new(
            "body",
            "リクエスト本文はJSONオブジェクト({…})で送ってください",
        )]));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        // Well-formed JSON (checked above): what serde reports as a syntax error here is a
        // shape it did not expect, such as `{}` where one provider's key is required.
        let path = e.path().to_string();
        invalid_shape(&path, &e.into_inner())
    })
}

/// Deserializes a JSON document, naming the field serde stopped at.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        from_serde(&path, &inner)
    })?;
    de.end()
        .map_err(|e| ApiError::MalformedJson(position(&e)))?;
    Ok(value)
}

fn position(e: &serde_json::Error) -> String {
    format!("{}行目{}文字目", e.line(), e.column())
}

/// Turns a serde error at `path` (`.` for the document itself) into the API's error.
fn from_serde(path: &str, e: &serde_json::Error) -> ApiError {
    use serde_json::error::Category;
    match e.classify() {
        Category::Syntax | Category::Eof | Category::Io => ApiError::MalformedJson(position(e)),
        Category::Data => invalid_shape(path, e),
    }
}

/// A document of the wrong shape at `path`: the field named, and why.
fn invalid_shape(path: &str, e: &serde_json::Error) -> ApiError {
    let full = e.to_string();
    let detail = full
        .rfind(" at line ")
        .map_or(full.as_str(), |at| &full[..at]);
    let join = |name: &str| {
        if path == "." || path.is_empty() {
            name.to_owned()
        } else if path.ends_with(name) {
            path.to_owned()
        } else {
            format!("{path}.{name}")
        }
    };
    let invalid = if let Some(name) = quoted_after(detail, "missing field ") {
        let field = join(name);
        Invalid::new(&field, format!("{field}を指定してください"))
    } else if let Some(name) = quoted_after(detail, "unknown field ") {
        let field = join(name);
        Invalid::new(&field, format!("{field}という項目はありません"))
    } else if path == "." {
        Invalid::new(
            "body",
            format!("リクエスト本文の形式が正しくありません: {detail}"),
        )
    } else {
        Invalid::new(path, format!("{path}の値が正しくありません: {detail}"))
    };
    ApiError::Invalid(vec![invalid])
}

/// The name in backquotes right after `prefix` (serde writes ``missing field `email` ``).
fn quoted_after<'a>(detail: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = detail.strip_prefix(prefix)?.strip_prefix('`')?;
    rest.split('`').next()
}

/// The API key a request was authenticated with (put there by the auth layer).
#[derive(Clone, Debug)]
pub struct ApiClient {
    pub key_id: i64,
    pub name: String,
}

impl ApiClient {
    /// The actor the audit log names for the key's operations.
    pub fn actor(&self) -> String {
        format!("api:{}", self.name)
    }
}

/// The request's Idempotency-Key, scoped to its API key: a provider call made for the
/// request carries it, so a retry after a crash gets that call's answer.
#[derive(Clone, Debug)]
pub struct RequestKey(pub String);

impl<S: Send + Sync> FromRequestParts<S> for RequestKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<RequestKey>()
            .cloned()
            .ok_or(ApiError::MissingHeader(super::idempotency::HEADER))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ApiClient {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<ApiClient>()
            .cloned()
            .ok_or(ApiError::Unauthorized(super::auth::MISSING))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        items: Vec<Line>,
        name: String,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Line {
        code: String,
        quantity: i64,
    }

    fn field_of(json: &str) -> (String, String) {
        match parse::<Outer>(json.as_bytes()).unwrap_err() {
            ApiError::Invalid(errors) => (errors[0].field.clone(), errors[0].message.clone()),
            other => (other.code().to_owned(), other.to_string()),
        }
    }

    #[test]
    fn a_wrong_type_names_the_nested_field() {
        let (field, message) = field_of(r#"{"name":"a","items":[{"code":"X","quantity":"two"}]}"#);
        assert_eq!(field, "items[0].quantity");
        assert!(
            message.starts_with("items[0].quantityの値が正しくありません"),
            "{message}"
        );
    }

    #[test]
    fn missing_and_unknown_fields_are_named() {
        assert_eq!(field_of(r#"{"items":[]}"#).0, "name");
        assert_eq!(
            field_of(r#"{"name":"a","items":[{"code":"X"}]}"#).0,
            "items[0].quantity"
        );
        assert_eq!(
            field_of(r#"{"name":"a","items":[],"colour":1}"#).0,
            "colour"
        );
    }

    #[test]
    fn a_body_that_is_json_but_not_an_object_is_invalid_naming_the_body() {
        for json in ["[]", r#"["a",[]]"#, "null", "1", r#""x""#] {
            match parse_object::<Line>(json.as_bytes()).unwrap_err() {
                ApiError::Invalid(errors) => assert_eq!(errors[0].field, "body", "{json}"),
                other => panic!("{json}: {other:?}"),
            }
        }
        assert_eq!(
            parse_object::<Line>(b"[1,").unwrap_err().code(),
            "malformed_json"
        );
    }

    #[test]
    fn an_object_of_the_wrong_shape_is_invalid_even_where_serde_says_syntax() {
        #[derive(Debug, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        #[allow(dead_code)]
        enum OneOf {
            Card(Line),
        }
        match parse_object::<OneOf>(b"{}").unwrap_err() {
            ApiError::Invalid(errors) => assert_eq!(errors[0].field, "body"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn broken_json_is_malformed_not_invalid() {
        assert_eq!(field_of(r#"{"name":"a","#).0, "malformed_json");
        assert_eq!(field_of(r#"{"name":"a","items":[]} x"#).0, "malformed_json");
    }
}
