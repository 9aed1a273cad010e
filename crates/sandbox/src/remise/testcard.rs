//! The sandbox's test cards (Remise gives its own only on request, manual §接続テスト).
//! A card number decides how the simulated card network answers; the expiry (any month
//! from the current one on, Japan time) and holder name are free, the security code is
//! optional and never kept, and no card asks for anything else (no 3-D Secure step).
//!
//! | number | brand | outcome |
//! | --- | --- | --- |
//! | [`APPROVED_VISA`] `4111111111111111` | VISA | approved |
//! | [`APPROVED_MASTER`] `5555555555554444` | MASTER | approved |
//! | [`APPROVED_JCB`] `3530111333300000` | JCB | approved |
//! | [`APPROVED_AMEX`] `378282246310005` | AMEX | approved |
//! | [`APPROVED_DINERS`] `36438999960016` | DINERS | approved |
//! | [`DECLINED_G12`] `4000000000000002` | VISA | `G12` / `100120000` お取り扱いできないカード |
//! | [`DECLINED_G03`] `4000000000009995` | VISA | `G03` / `100030000` 限度額オーバー |
//! | [`DECLINED_G83`] `4000000000000069` | VISA | `G83` / `100830000` 有効期限エラー |
//! | [`DECLINED_G65`] `4000000000000127` | VISA | `G65` / `100650000` カード番号エラー |
//! | any other number | by prefix | `G65` / `100650000` |
//!
//! An expiry before the current month gives `G83` for every card. Declines come back with
//! `X-R_CODE` `0:0000` and `X-ERRLEVEL` `1` (spec §2.2: the network refused, Remise did
//! not); the `X-ERRINFO` values are the sandbox's own (the spec lists none for G codes).

use chrono::{DateTime, Datelike, Utc};

use super::store::japan;

/// Approved, VISA.
pub const APPROVED_VISA: &str = "4111111111111111";
/// Approved, Mastercard.
pub const APPROVED_MASTER: &str = "5555555555554444";
/// Approved, JCB.
pub const APPROVED_JCB: &str = "3530111333300000";
/// Approved, American Express.
pub const APPROVED_AMEX: &str = "378282246310005";
/// Approved, Diners Club.
pub const APPROVED_DINERS: &str = "36438999960016";
/// Declined with `G12`: the card cannot be handled (ask the issuer).
pub const DECLINED_G12: &str = "4000000000000002";
/// Declined with `G03`: over the credit limit.
pub const DECLINED_G03: &str = "4000000000009995";
/// Declined with `G83`: expiry date error, whatever expiry is typed.
pub const DECLINED_G83: &str = "4000000000000069";
/// Declined with `G65`: card number error.
pub const DECLINED_G65: &str = "4000000000000127";

/// A refusal of the card network: `X-ERRCODE`, `X-ERRINFO` and what it means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decline {
    /// `X-ERRCODE`, three characters.
    pub errcode: &'static str,
    /// `X-ERRINFO`, nine characters.
    pub errinfo: &'static str,
    /// The meaning, as the pages show it.
    pub meaning: &'static str,
}

/// `G12`.
pub const G12: Decline = Decline {
    errcode: "G12",
    errinfo: "100120000",
    meaning: "お取り扱いできないカードです",
};
/// `G03`.
pub const G03: Decline = Decline {
    errcode: "G03",
    errinfo: "100030000",
    meaning: "限度額オーバーです",
};
/// `G83`.
pub const G83: Decline = Decline {
    errcode: "G83",
    errinfo: "100830000",
    meaning: "有効期限エラーです",
};
/// `G65`.
pub const G65: Decline = Decline {
    errcode: "G65",
    errinfo: "100650000",
    meaning: "カード番号エラーです",
};

/// What the network answers for a card number, before the expiry is looked at. Kept for
/// a PayQuick card instead of its number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// Every authorisation is approved.
    Approves,
    /// Every authorisation is refused with this decline.
    Declines(Decline),
}

/// How the network answered one authorisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Approved.
    Approved,
    /// Refused.
    Declined(Decline),
}

/// The behaviour of the card `number` (digits only).
pub fn behaviour(number: &str) -> Behaviour {
    match number {
        APPROVED_VISA | APPROVED_MASTER | APPROVED_JCB | APPROVED_AMEX | APPROVED_DINERS => {
            Behaviour::Approves
        }
        DECLINED_G12 => Behaviour::Declines(G12),
        DECLINED_G03 => Behaviour::Declines(G03),
        DECLINED_G83 => Behaviour::Declines(G83),
        _ => Behaviour::Declines(G65),
    }
}

/// The network's answer for a card of `behaviour` expiring `expire` (`MMYY`) at `now`.
pub fn judge(behaviour: Behaviour, expire: &str, now: DateTime<Utc>) -> Verdict {
    if expired(expire, now) {
        return Verdict::Declined(G83);
    }
    match behaviour {
        Behaviour::Approves => Verdict::Approved,
        Behaviour::Declines(decline) => Verdict::Declined(decline),
    }
}

/// Whether `MMYY` lies before the current month in Japan (a malformed one counts as
/// expired).
pub fn expired(expire: &str, now: DateTime<Utc>) -> bool {
    let month: Option<u32> = expire.get(..2).and_then(|m| m.parse().ok());
    let year: Option<i32> = expire.get(2..4).and_then(|y| y.parse().ok());
    let (Some(month), Some(year)) = (month, year) else {
        return true;
    };
    let today = now.with_timezone(&japan());
    (2000 + year, month) < (today.year(), today.month())
}

/// `X-CARDBRAND` of a card number, by its prefix (the spec does not know Remise's value
/// set; the sandbox sends these upper-case names).
pub fn brand(number: &str) -> &'static str {
    let prefix = |len: usize| -> u32 {
        number
            .get(..len)
            .and_then(|p| p.parse().ok())
            .unwrap_or_default()
    };
    match (prefix(1), prefix(2), prefix(4)) {
        (4, _, _) => "VISA",
        (_, 51..=55, _) | (_, _, 2221..=2720) => "MASTER",
        (_, 35, _) => "JCB",
        (_, 34 | 37, _) => "AMEX",
        (_, 30 | 36 | 38 | 39, _) => "DINERS",
        _ => "OTHER",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn approved_cards_pass_until_their_month_ends_in_japan() {
        let card = behaviour(APPROVED_VISA);

        assert_eq!(
            judge(card, "0526", at("2026-05-31T14:59:59Z")),
            Verdict::Approved
        );
        assert_eq!(
            judge(card, "0526", at("2026-05-31T15:00:00Z")),
            Verdict::Declined(G83)
        );
    }

    #[test]
    fn decline_cards_and_unknown_numbers_are_refused() {
        let now = at("2026-05-10T00:00:00Z");

        assert_eq!(
            judge(behaviour(DECLINED_G12), "1230", now),
            Verdict::Declined(G12)
        );
        assert_eq!(
            judge(behaviour(DECLINED_G03), "1230", now),
            Verdict::Declined(G03)
        );
        assert_eq!(
            judge(behaviour(DECLINED_G83), "1230", now),
            Verdict::Declined(G83)
        );
        assert_eq!(
            judge(behaviour(DECLINED_G65), "1230", now),
            Verdict::Declined(G65)
        );
        assert_eq!(
            judge(behaviour("4242424242424242"), "1230", now),
            Verdict::Declined(G65)
        );
    }

    #[test]
    fn brands_follow_the_prefix() {
        assert_eq!(brand(APPROVED_VISA), "VISA");
        assert_eq!(brand(APPROVED_MASTER), "MASTER");
        assert_eq!(brand(APPROVED_JCB), "JCB");
        assert_eq!(brand(APPROVED_AMEX), "AMEX");
        assert_eq!(brand(APPROVED_DINERS), "DINERS");
    }
}
