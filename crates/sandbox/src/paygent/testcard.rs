//! Paygent's sandbox card stub (spec §15): the last four digits `XYZZ` of the card number
//! decide how the card network answers, the first four decide the issuer.
//!
//! Authorisation: X=8 declines (Y=1 → 2002 `1Cxx`, Y=2 → `1Gxx` as 2003 for the input-error
//! codes 44/45/65/74/78/83 of §11.1 and 2001 otherwise, Y=5 → 2002 `1Kxx`, Y=6 → 2002
//! `1Pxx`, else 2002 `2999`); X=9 times out (2008); any other X authorises.
//! Cancels (021, 023, and the cancel of the old payment in 028/029): X=1 or X=2 with Y=1 →
//! 2002 `1Cxx`; X=2 with Y=5 → `1Kxx`, Y=6 → `1Pxx`, Y=2 → OK, else `2999`; X=3 times out.
//! Reading "X=1 Y=1" as a failing cancel (not a failing auth) is the sandbox's
//! interpretation: the spec also has such cards fail re-auth with 2010, which needs a
//! successful authorisation first. Capture is not listed in §15 and always succeeds.

use super::refusal::Refusal;

/// How the simulated card network answers one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Approved.
    Approved,
    /// Refused with 2001 / 2002 / 2003 and an acquirer detail code.
    Refused(Refusal),
    /// No answer in time (2008).
    Timeout,
}

/// The `X`, `Y` and `ZZ` of a card number's last four digits.
fn tail(number: &str) -> (u8, u8, &str) {
    let bytes = number.as_bytes();
    let at = bytes.len().saturating_sub(4);
    let digit = |i: usize| bytes.get(i).map(|b| b.saturating_sub(b'0')).unwrap_or(0);
    (
        digit(at),
        digit(at + 1),
        number.get(at + 2..).unwrap_or("00"),
    )
}

/// `1G` codes that mean "buyer, please re-enter" (2003) rather than a decline (§11.1).
const INPUT_ERROR_G_CODES: &[&str] = &["44", "45", "65", "74", "78", "83"];

/// The network's answer to an authorisation of `number`.
pub fn authorise(number: &str) -> Verdict {
    let (x, y, zz) = tail(number);
    match (x, y) {
        (8, 1) => Verdict::Refused(Refusal::card("2002", format!("1C{zz}"))),
        (8, 2) if INPUT_ERROR_G_CODES.contains(&zz) => {
            Verdict::Refused(Refusal::card("2003", format!("1G{zz}")))
        }
        (8, 2) => Verdict::Refused(Refusal::card("2001", format!("1G{zz}"))),
        (8, 5) => Verdict::Refused(Refusal::card("2002", format!("1K{zz}"))),
        (8, 6) => Verdict::Refused(Refusal::card("2002", format!("1P{zz}"))),
        (8, _) => Verdict::Refused(Refusal::card("2002", "2999")),
        (9, _) => Verdict::Timeout,
        _ => Verdict::Approved,
    }
}

/// The network's answer to a cancel of a payment made with `number`.
pub fn cancel(number: &str) -> Verdict {
    let (x, y, zz) = tail(number);
    match (x, y) {
        (1 | 2, 1) => Verdict::Refused(Refusal::card("2002", format!("1C{zz}"))),
        (2, 2) => Verdict::Approved,
        (2, 5) => Verdict::Refused(Refusal::card("2002", format!("1K{zz}"))),
        (2, 6) => Verdict::Refused(Refusal::card("2002", format!("1P{zz}"))),
        (2, _) => Verdict::Refused(Refusal::card("2002", "2999")),
        (3, _) => Verdict::Timeout,
        _ => Verdict::Approved,
    }
}

/// The card company behind a card, as far as the sandbox tells them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Issuer {
    /// `acq_id` / `issur_id` (acquirer codes of §6.1).
    pub acq_id: &'static str,
    /// `acq_name`, half-width kana as Paygent sends it.
    pub acq_name: &'static str,
    /// `issur_name`.
    pub issur_name: &'static str,
}

const NICOS: Issuer = Issuer {
    acq_id: "50001",
    acq_name: "ﾐﾂﾋﾞｼUFJﾆｺｽ",
    issur_name: "三菱ＵＦＪニコス",
};

/// The issuer chosen by the first four digits (§15); other numbers go to NICOS. The names
/// and the Discover → Diners routing are the sandbox's choice, the spec gives only codes.
pub fn issuer(number: &str) -> Issuer {
    let (acq_id, acq_name, issur_name) = match number.get(..4).unwrap_or_default() {
        "3600" | "6440" => ("99660", "ﾀﾞｲﾅｰｽｸﾗﾌﾞ", "ダイナースクラブ"),
        "3580" => ("99661", "ｼﾞｪｰｼｰﾋﾞｰ", "ジェーシービー"),
        "3765" => ("99819", "ｱﾒﾘｶﾝｴｷｽﾌﾟﾚｽ", "アメリカン・エキスプレス"),
        "4542" | "5250" => ("99665", "ﾕｰｼｰｶｰﾄﾞ", "ユーシーカード"),
        "4541" | "5252" | "3528" => ("10035", "ｸﾚﾃﾞｨｾｿﾞﾝ", "クレディセゾン"),
        "4980" | "5304" => ("99663", "ﾐﾂｲｽﾐﾄﾓｶｰﾄﾞ", "三井住友カード"),
        _ => return NICOS,
    };
    Issuer {
        acq_id,
        acq_name,
        issur_name,
    }
}

/// `issur_class`: `1` for a foreign card. The spec names `4000000000000000` foreign and
/// `5120790000000000` domestic; the sandbox treats every `4000…` number as foreign.
pub fn issur_class(number: &str) -> &'static str {
    if number.starts_with("4000") {
        "1"
    } else {
        "0"
    }
}

/// `card_brand` detected from the number (§6.5 lists the values).
pub fn brand(number: &str) -> &'static str {
    let two: u32 = number.get(..2).and_then(|d| d.parse().ok()).unwrap_or(0);
    let four: u32 = number.get(..4).and_then(|d| d.parse().ok()).unwrap_or(0);
    match (two, four) {
        (34 | 37, _) => "AMEX",
        (35, _) => "JCB",
        (30 | 36 | 38, _) => "DINERS",
        (_, 6011) | (64 | 65, _) => "DISCOVER",
        (51..=55, _) | (_, 2221..=2720) => "MASTER",
        (40..=49, _) => "VISA",
        _ => "HOUSE",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_examples_of_the_spec_give_their_outcomes() {
        assert_eq!(authorise("4900000000000000"), Verdict::Approved);
        assert_eq!(
            authorise("4900000000008101"),
            Verdict::Refused(Refusal::card("2002", "1C01"))
        );
        assert_eq!(
            authorise("4900000000008212"),
            Verdict::Refused(Refusal::card("2001", "1G12"))
        );
        assert_eq!(
            authorise("376500000008300"),
            Verdict::Refused(Refusal::card("2002", "2999"))
        );
        assert_eq!(authorise("4900000000002115"), Verdict::Approved);
        assert_eq!(
            cancel("4900000000002115"),
            Verdict::Refused(Refusal::card("2002", "1C15"))
        );
        assert_eq!(authorise("4900000000009000"), Verdict::Timeout);
        assert_eq!(cancel("4900000000003000"), Verdict::Timeout);
    }

    #[test]
    fn input_error_codes_are_2003() {
        assert_eq!(
            authorise("4900000000008283"),
            Verdict::Refused(Refusal::card("2003", "1G83"))
        );
    }

    #[test]
    fn first_digits_choose_issuer_and_brand() {
        assert_eq!(issuer("3580000000000000").acq_id, "99661");
        assert_eq!(issuer("4900000000000000").acq_id, "50001");
        assert_eq!(brand("4900000000000000"), "VISA");
        assert_eq!(brand("376500000008300"), "AMEX");
        assert_eq!(brand("5120790000000000"), "MASTER");
        assert_eq!(issur_class("4000000000000000"), "1");
    }
}
