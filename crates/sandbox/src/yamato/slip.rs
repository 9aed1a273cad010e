//! Slip numbers (送り状番号) as E01 takes them (spec §3.4).
//!
//! Every slip number is made of `A–Z 0–9 - # * / < > : @` (the check of spec §3.4).
//! With `delivery_service_code` `00` (delivered by Yamato) it is 11 or 12 characters;
//! with `99` (another carrier, or nothing shipped) 1 to 23. A Yamato number of 12 digits
//! must also end in its check digit: the first 11 digits taken as a number, modulo 7 —
//! the rule of Yamato's 伝票番号, which the spec does not state (the sandbox's addition; the
//! back office lists valid numbers).

use super::wire::Check;

/// Whether `c` may appear in a slip number.
fn allowed(c: char) -> bool {
    c.is_ascii_uppercase() || c.is_ascii_digit() || "-#*/<>:@".contains(c)
}

/// The check digit of the first 11 digits of a Yamato slip number.
pub fn check_digit(first: &str) -> Option<u64> {
    first.parse::<u64>().ok().map(|n| n % 7)
}

/// Check `slip` for `service` (`00` or `99`).
pub fn check(slip: &str, service: &str) -> Result<(), Check> {
    if !slip.chars().all(allowed) {
        return Err(Check::Invalid);
    }
    let yamato = service == "00";
    let length = slip.chars().count();
    let lengths = if yamato { 11..=12 } else { 1..=23 };
    if !lengths.contains(&length) {
        return Err(Check::Range);
    }
    if yamato && length == 12 && slip.bytes().all(|b| b.is_ascii_digit()) {
        let (first, last) = slip.split_at(11);
        if check_digit(first) != last.parse().ok() {
            return Err(Check::Invalid);
        }
    }
    Ok(())
}

/// Valid 12-digit Yamato slip numbers, for the back office.
pub fn examples() -> Vec<String> {
    ["12345678901", "40000000001", "98765432109"]
        .iter()
        .filter_map(|first| Some(format!("{first}{}", check_digit(first)?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_yamato_number_of_12_digits_ends_in_its_check_digit() {
        assert_eq!(check("123456789013", "00"), Ok(()));
        assert_eq!(check("123456789012", "00"), Err(Check::Invalid));
        assert_eq!(check("40000000001", "00"), Ok(()));
        assert_eq!(check("1234567890", "00"), Err(Check::Range));
        assert_eq!(check("1234567890123", "00"), Err(Check::Range));
        assert_eq!(check("12345678901a", "00"), Err(Check::Invalid));
    }

    #[test]
    fn other_carriers_take_1_to_23_characters_of_the_set() {
        assert_eq!(check("0", "99"), Ok(()));
        assert_eq!(check("WC-ABC#1/2:3@4", "99"), Ok(()));
        assert_eq!(check(&"9".repeat(24), "99"), Err(Check::Range));
        assert_eq!(check("wc-abc", "99"), Err(Check::Invalid));
        assert_eq!(check("A_B", "99"), Err(Check::Invalid));
    }

    #[test]
    fn the_examples_are_valid() {
        for slip in examples() {
            assert_eq!(check(&slip, "00"), Ok(()), "{slip}");
        }
    }
}
