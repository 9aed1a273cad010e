//! Whole numbers as JSON carries them. `272` and `272.0` are the same JSON number, and JSON
//! Schema's `integer` (what the OpenAPI document promises) accepts both, so the API reads
//! both as 272; `272.5`, a string or a number beyond `i64` is refused with the field named.
//! Use with `#[serde(deserialize_with = "…")]` on every integer a request carries.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};

/// Reads a whole number written as an integer or as a float without a fraction.
pub fn whole<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    deserializer.deserialize_any(Whole)
}

/// [`whole`], or `null`. With `#[serde(default)]` an absent field is `None` too.
pub fn optional_whole<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    deserializer.deserialize_option(OptionalWhole)
}

struct Whole;

impl Visitor<'_> for Whole {
    type Value = i64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
        Ok(v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
        i64::try_from(v).map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<i64, E> {
        // 2^63 is exact as an f64; every whole f64 below it (and from -2^63) fits an i64.
        const LIMIT: f64 = 9_223_372_036_854_775_808.0;
        if v.fract() == 0.0 && (-LIMIT..LIMIT).contains(&v) {
            Ok(v as i64)
        } else {
            Err(E::invalid_value(de::Unexpected::Float(v), &self))
        }
    }
}

struct OptionalWhole;

impl<'de> Visitor<'de> for OptionalWhole {
    type Value = Option<i64>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer or null")
    }

    fn visit_none<E: de::Error>(self) -> Result<Option<i64>, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Option<i64>, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<i64>, D::Error> {
        whole(deserializer).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    struct Amount {
        #[serde(deserialize_with = "super::whole")]
        amount: i64,
        #[serde(default, deserialize_with = "super::optional_whole")]
        refund: Option<i64>,
    }

    fn read(json: &str) -> Result<Amount, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn an_integer_valued_float_is_the_integer() {
        assert_eq!(read(r#"{"amount": 272.0}"#).unwrap().amount, 272);
        assert_eq!(read(r#"{"amount": 2.72e2}"#).unwrap().amount, 272);
        assert_eq!(read(r#"{"amount": -0.0}"#).unwrap().amount, 0);
        let both = read(r#"{"amount": 1, "refund": 100.0}"#).unwrap();
        assert_eq!(both.refund, Some(100));
    }

    #[test]
    fn absent_and_null_are_none() {
        assert_eq!(read(r#"{"amount": 1}"#).unwrap().refund, None);
        assert_eq!(
            read(r#"{"amount": 1, "refund": null}"#).unwrap().refund,
            None
        );
    }

    #[test]
    fn fractions_strings_and_out_of_range_numbers_are_refused() {
        for json in [
            r#"{"amount": 272.5}"#,
            r#"{"amount": "272"}"#,
            r#"{"amount": 9223372036854775808}"#,
            r#"{"amount": 1e19}"#,
            r#"{"amount": null}"#,
            r#"{"amount": 1, "refund": 0.5}"#,
        ] {
            assert!(read(json).is_err(), "{json}");
        }
    }

    proptest! {
        #[test]
        fn every_i64_reads_the_same_written_as_an_integer(n in any::<i64>()) {
            prop_assert_eq!(read(&format!(r#"{{"amount": {n}}}"#)).unwrap().amount, n);
        }

        #[test]
        fn every_whole_float_in_range_reads_as_its_integer(n in -(1i64 << 53)..(1i64 << 53)) {
            let json = format!(r#"{{"amount": {n}.0}}"#);
            prop_assert_eq!(read(&json).unwrap().amount, n);
        }
    }
}
