//! Card numbers never written: [`mask_card_numbers`] finds what can only be a card number
//! in outside text (a notification body, a provider's error detail) and keeps its last four
//! digits, leaving dates, amounts, ids and other numbers readable.

/// Whether a run of digits is a card number: 13 to 19 digits that pass the Luhn check and
/// start as a card brand's numbers do (2-series Mastercard 2221–2720, 3 Amex / JCB / Diners,
/// 4 Visa, 5 Mastercard, 6 Discover / UnionPay). A 14-digit date (`20261203164500`) starts
/// with 20 and is never one.
pub fn is_card_number(digits: &str) -> bool {
    if !(13..=19).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let brand = match digits.as_bytes()[0] {
        b'3'..=b'6' => true,
        b'2' => digits[..4]
            .parse::<u32>()
            .is_ok_and(|p| (2221..=2720).contains(&p)),
        _ => false,
    };
    brand && luhn(digits)
}

/// The Luhn (mod 10) check.
fn luhn(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            match (i % 2 == 1, d * 2) {
                (true, doubled) if doubled > 9 => doubled - 9,
                (true, doubled) => doubled,
                (false, _) => d,
            }
        })
        .sum();
    sum % 10 == 0
}

/// Replaces every card number in `text` (see [`is_card_number`]) by asterisks and its last
/// four digits; every other run of digits stays as it is.
pub fn mask_card_numbers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut digits = String::new();
    let flush = |digits: &mut String, out: &mut String| {
        if is_card_number(digits) {
            out.push_str(&"*".repeat(digits.len() - 4));
            out.push_str(&digits[digits.len() - 4..]);
        } else {
            out.push_str(digits);
        }
        digits.clear();
    };
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            flush(&mut digits, &mut out);
            out.push(c);
        }
    }
    flush(&mut digits, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_numbers_are_masked_and_other_numbers_kept() {
        assert_eq!(
            mask_card_numbers("card 4000000000000002 refused (1C01), order 1001"),
            "card ************0002 refused (1C01), order 1001"
        );
        assert_eq!(
            mask_card_numbers("cardNo=4111111111111111&amount=1080"),
            "cardNo=************1111&amount=1080"
        );
        // Amex (15), JCB, Diners (14), a 2-series Mastercard.
        for pan in [
            "378282246310005",
            "3530111333300000",
            "36438999960016",
            "2223003122003222",
        ] {
            assert!(is_card_number(pan), "{pan}");
        }
        // Dates, a failing check digit, ids that are not cards.
        assert_eq!(
            mask_card_numbers("change_date=20251123121640"),
            "change_date=20251123121640"
        );
        assert_eq!(mask_card_numbers("4111111111111112"), "4111111111111112");
        assert_eq!(mask_card_numbers("0000000000000001"), "0000000000000001");
        assert!(!is_card_number("123456789012"));
    }
}
