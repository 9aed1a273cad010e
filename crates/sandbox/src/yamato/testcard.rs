//! The sandbox's test cards. Yamato hands out its own test cards with the test contract;
//! the sandbox has fixed ones instead, and the card number alone decides how the simulated
//! card network and 3-D Secure answer. The expiry (`MMYY`, this month or later, Japan
//! time) and the holder are free; the security code is checked for its form only and
//! never kept.
//!
//! | number | brand (`cardCodeApi`) | without 3-D Secure | with 3-D Secure |
//! | --- | --- | --- | --- |
//! | [`APPROVED_VISA`] `4111111111111111` | VISA (9) | approved | approved, no challenge |
//! | [`APPROVED_SAMPLE`] `0000000000000001` | VISA (9) | approved | approved, no challenge |
//! | [`APPROVED_MASTER`] `5555555555554444` | Master (10) | approved | approved, no challenge |
//! | [`APPROVED_JCB`] `3530111333300000` | JCB (3) | approved | approved, no challenge |
//! | [`APPROVED_AMEX`] `378282246310005` | Amex (12) | approved | approved, no challenge |
//! | [`APPROVED_DINERS`] `36438999960016` | Diners (2) | approved | approved, no challenge |
//! | [`DECLINED_BY_ISSUER`] `4000000000000002` | VISA (9) | `A082000010`, `creditErrorCode` `G12` | same |
//! | [`DECLINED_OVER_LIMIT`] `4000000000009995` | VISA (9) | `A081010502` (ご利用可能額超過) | same |
//! | [`DECLINED_NOT_USABLE`] `4000000000000069` | VISA (9) | `A082040001` (利用できないカード) | same |
//! | [`THREE_D_PASS`] `4000000000003220` | VISA (9) | approved | challenge on the ACS page, passes |
//! | [`THREE_D_FAIL`] `4000008400001629` | VISA (9) | approved | challenge on the ACS page, fails (`A092050001`) |
//! | [`THREE_D_EXCLUDED`] `4000000000003055` | VISA (9) | approved | `A082050002` (3-D Secure 対象外) |
//! | any other number | by prefix | `A082000010`, `creditErrorCode` `G65` | same |
//!
//! `0000000000000001` is the test number a w2 sample uses (spec §6); CS-Cart treats such
//! numbers as test VISA, so the sandbox does too. Declines come before 3-D Secure: a
//! declined card is refused by A08 whether or not 3-D Secure was asked for. The codes with
//! a `creditErrorCode` are the card network's refusals (spec §7: `A082000010`); the
//! network codes are the CAFIS-style `G` codes Japanese networks answer with, the
//! sandbox's choice (the spec gives no value set).

/// Approved, VISA.
pub const APPROVED_VISA: &str = "4111111111111111";
/// Approved, VISA: the test number of the w2 sample (spec §6).
pub const APPROVED_SAMPLE: &str = "0000000000000001";
/// Approved, Mastercard.
pub const APPROVED_MASTER: &str = "5555555555554444";
/// Approved, JCB.
pub const APPROVED_JCB: &str = "3530111333300000";
/// Approved, American Express.
pub const APPROVED_AMEX: &str = "378282246310005";
/// Approved, Diners Club.
pub const APPROVED_DINERS: &str = "36438999960016";
/// Refused by the issuer: `A082000010` with `creditErrorCode` `G12`.
pub const DECLINED_BY_ISSUER: &str = "4000000000000002";
/// Over the available amount: `A081010502`.
pub const DECLINED_OVER_LIMIT: &str = "4000000000009995";
/// A card that cannot be used, try another: `A082040001`.
pub const DECLINED_NOT_USABLE: &str = "4000000000000069";
/// Asks for a 3-D Secure challenge, which passes; approved without 3-D Secure.
pub const THREE_D_PASS: &str = "4000000000003220";
/// Asks for a 3-D Secure challenge, which fails (`A092050001`); approved without 3-D
/// Secure.
pub const THREE_D_FAIL: &str = "4000008400001629";
/// Excluded from 3-D Secure: `A082050002` when 3-D Secure is asked for, approved without.
pub const THREE_D_EXCLUDED: &str = "4000000000003055";

/// A refusal of the card network or of Yamato for a card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decline {
    /// `errorCode` of A08.
    pub error_code: &'static str,
    /// `creditErrorCode`, for refusals of the card network.
    pub credit_error_code: Option<&'static str>,
    /// The meaning, as the pages show it.
    pub meaning: &'static str,
}

/// `G12`: the issuer refuses the card.
pub const ISSUER: Decline = Decline {
    error_code: "A082000010",
    credit_error_code: Some("G12"),
    meaning: "カード会社で承認されませんでした（G12 お取り扱いできません）",
};
/// `G65`: no such card number.
pub const NUMBER: Decline = Decline {
    error_code: "A082000010",
    credit_error_code: Some("G65"),
    meaning: "カード会社で承認されませんでした（G65 カード番号エラー）",
};
/// Over the available amount.
pub const OVER_LIMIT: Decline = Decline {
    error_code: "A081010502",
    credit_error_code: None,
    meaning: "ご利用可能額を超えています",
};
/// The card cannot be used.
pub const NOT_USABLE: Decline = Decline {
    error_code: "A082040001",
    credit_error_code: None,
    meaning: "このカードはご利用になれません",
};

/// How a card meets 3-D Secure, when the shop asks for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThreeD {
    /// Authenticated without the buyer's interaction: A08 answers at once.
    Frictionless,
    /// The ACS page asks the buyer; `passes` decides the result.
    Challenge {
        /// Whether the authentication succeeds when the buyer answers.
        passes: bool,
    },
    /// The card is excluded from 3-D Secure (`A082050002`).
    Excluded,
}

/// What the sandbox answers for a card, kept with a token or a kept card instead of its
/// number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Behaviour {
    /// `None` approves; a decline refuses every authorisation.
    pub decline: Option<Decline>,
    /// What 3-D Secure does with the card.
    pub three_d: ThreeD,
}

impl Behaviour {
    const APPROVES: Behaviour = Behaviour {
        decline: None,
        three_d: ThreeD::Frictionless,
    };

    const fn declines(decline: Decline) -> Behaviour {
        Behaviour {
            decline: Some(decline),
            three_d: ThreeD::Frictionless,
        }
    }

    /// What the back office shows for the card without and with 3-D Secure.
    pub fn outcomes(self) -> (String, String) {
        match (self.decline, self.three_d) {
            (Some(d), _) => {
                let text = match d.credit_error_code {
                    Some(credit) => format!("{}（{credit}）", d.error_code),
                    None => d.error_code.to_owned(),
                };
                (text.clone(), text)
            }
            (None, ThreeD::Frictionless) => ("承認".into(), "承認（チャレンジなし）".into()),
            (None, ThreeD::Challenge { passes: true }) => {
                ("承認".into(), "チャレンジ → 認証成功 → 承認".into())
            }
            (None, ThreeD::Challenge { passes: false }) => {
                ("承認".into(), "チャレンジ → 認証失敗（A092050001）".into())
            }
            (None, ThreeD::Excluded) => ("承認".into(), "A082050002（3Dセキュア対象外）".into()),
        }
    }
}

/// A card brand: `card_code_api` / `cardCodeApi` (spec §8) and its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Brand {
    /// The code of spec §8.
    pub code: &'static str,
    /// As the pages show it.
    pub name: &'static str,
}

const VISA: Brand = Brand {
    code: "9",
    name: "VISA",
};
const MASTER: Brand = Brand {
    code: "10",
    name: "Mastercard",
};
const JCB: Brand = Brand {
    code: "3",
    name: "JCB",
};
const AMEX: Brand = Brand {
    code: "12",
    name: "American Express",
};
const DINERS: Brand = Brand {
    code: "2",
    name: "Diners",
};
const OTHER: Brand = Brand {
    code: "99",
    name: "その他",
};

/// Every `card_code_api` value of spec §8.
pub const BRAND_CODES: &[&str] = &[
    "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "99",
];

/// One test card, as the back office lists it.
#[derive(Debug)]
pub struct TestCard {
    /// The card number.
    pub number: &'static str,
    /// What it is for.
    pub label: &'static str,
    /// How the sandbox answers for it.
    pub behaviour: Behaviour,
}

/// The test cards, in the order the back office lists them.
pub static CARDS: &[TestCard] = &[
    TestCard {
        number: APPROVED_VISA,
        label: "承認",
        behaviour: Behaviour::APPROVES,
    },
    TestCard {
        number: APPROVED_SAMPLE,
        label: "承認（テスト番号）",
        behaviour: Behaviour::APPROVES,
    },
    TestCard {
        number: APPROVED_MASTER,
        label: "承認",
        behaviour: Behaviour::APPROVES,
    },
    TestCard {
        number: APPROVED_JCB,
        label: "承認",
        behaviour: Behaviour::APPROVES,
    },
    TestCard {
        number: APPROVED_AMEX,
        label: "承認",
        behaviour: Behaviour::APPROVES,
    },
    TestCard {
        number: APPROVED_DINERS,
        label: "承認",
        behaviour: Behaviour::APPROVES,
    },
    TestCard {
        number: DECLINED_BY_ISSUER,
        label: "カード会社で拒否",
        behaviour: Behaviour::declines(ISSUER),
    },
    TestCard {
        number: DECLINED_OVER_LIMIT,
        label: "ご利用可能額超過",
        behaviour: Behaviour::declines(OVER_LIMIT),
    },
    TestCard {
        number: DECLINED_NOT_USABLE,
        label: "利用できないカード",
        behaviour: Behaviour::declines(NOT_USABLE),
    },
    TestCard {
        number: THREE_D_PASS,
        label: "3Dセキュア認証成功",
        behaviour: Behaviour {
            decline: None,
            three_d: ThreeD::Challenge { passes: true },
        },
    },
    TestCard {
        number: THREE_D_FAIL,
        label: "3Dセキュア認証失敗",
        behaviour: Behaviour {
            decline: None,
            three_d: ThreeD::Challenge { passes: false },
        },
    },
    TestCard {
        number: THREE_D_EXCLUDED,
        label: "3Dセキュア対象外",
        behaviour: Behaviour {
            decline: None,
            three_d: ThreeD::Excluded,
        },
    },
];

/// The behaviour of the card `number` (digits only); unknown numbers are refused `G65`.
pub fn behaviour(number: &str) -> Behaviour {
    CARDS
        .iter()
        .find(|card| card.number == number)
        .map_or(Behaviour::declines(NUMBER), |card| card.behaviour)
}

/// The brand of a card number, by its prefix (the test number `000…` counts as VISA).
pub fn brand(number: &str) -> Brand {
    let prefix = |len: usize| -> u32 {
        number
            .get(..len)
            .and_then(|p| p.parse().ok())
            .unwrap_or_default()
    };
    if number.starts_with("000000000000") {
        return VISA;
    }
    match (prefix(1), prefix(2), prefix(4)) {
        (4, _, _) => VISA,
        (_, 51..=55, _) | (_, _, 2221..=2720) => MASTER,
        (_, 35, _) => JCB,
        (_, 34 | 37, _) => AMEX,
        (_, 30 | 36 | 38 | 39, _) => DINERS,
        _ => OTHER,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_test_card_is_listed_once_with_its_brand() {
        let mut numbers: Vec<_> = CARDS.iter().map(|c| c.number).collect();
        numbers.sort_unstable();
        numbers.dedup();

        assert_eq!(numbers.len(), CARDS.len());
        assert_eq!(brand(APPROVED_VISA).code, "9");
        assert_eq!(brand(APPROVED_SAMPLE).code, "9");
        assert_eq!(brand(APPROVED_MASTER).code, "10");
        assert_eq!(brand(APPROVED_JCB).code, "3");
        assert_eq!(brand(APPROVED_AMEX).code, "12");
        assert_eq!(brand(APPROVED_DINERS).code, "2");
        assert_eq!(brand("6011000000000004").code, "99");
    }

    #[test]
    fn unknown_numbers_are_refused_as_card_number_errors() {
        assert_eq!(behaviour("4242424242424242").decline, Some(NUMBER));
        assert_eq!(behaviour(APPROVED_VISA).decline, None);
        assert_eq!(
            behaviour(THREE_D_FAIL).three_d,
            ThreeD::Challenge { passes: false }
        );
    }
}
