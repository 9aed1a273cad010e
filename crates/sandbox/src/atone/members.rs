//! The sandbox's test members (テスト会員), the buyers a shop's checkout can log in as on
//! the widget page, and the rule that decides a registration's 与信 with them.
//!
//! atone's real test environment hands out test member details with the contract; the
//! sandbox has three fixed members instead, chosen on the widget page (or recognised by a
//! `pre_token` the sandbox issued to one of them):
//! * [`STANDARD`] — limit [`STANDARD_LIMIT`] yen: OK up to it, NG reason 1 (金額超過)
//!   above it (the manual's usual buyer limit of about ¥50,000);
//! * [`HIGH_LIMIT`] — limit [`HIGH_LIMIT_YEN`] yen, same rule;
//! * [`DECLINED`] — every registration NG reason 9 (その他).
//!
//! The limit is judged per registration, on its `amount` alone: earlier transactions of
//! the member do not use it up.

/// 与信結果 of a registration (§5 `authorization_result`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Authorization {
    /// 1 = OK.
    Ok,
    /// 2 = NG, with `authorization_result_ng_reason` (1 金額超過, 9 その他).
    Ng(u8),
}

impl Authorization {
    /// `authorization_result`: 1 OK, 2 NG.
    pub fn result(self) -> u8 {
        match self {
            Authorization::Ok => 1,
            Authorization::Ng(_) => 2,
        }
    }

    /// `authorization_result_ng_reason`, only for NG.
    pub fn ng_reason(self) -> Option<u8> {
        match self {
            Authorization::Ok => None,
            Authorization::Ng(reason) => Some(reason),
        }
    }

    /// As the pages show it.
    pub fn label(self) -> &'static str {
        match self {
            Authorization::Ok => "OK",
            Authorization::Ng(1) => "NG（金額超過）",
            Authorization::Ng(_) => "NG（その他）",
        }
    }
}

/// A test member.
#[derive(Debug, PartialEq, Eq)]
pub struct Member {
    /// What the widget page posts for the member.
    pub id: &'static str,
    /// The member's name, as the widget greets them.
    pub name: &'static str,
    /// What kind of member this is, on the widget page and in the back office.
    pub label: &'static str,
    /// ご利用限度額 in yen; `None` for the member whose every registration is NG.
    pub limit: Option<i64>,
}

impl Member {
    /// The 与信 of a registration of `amount` yen by this member.
    pub fn decide(&self, amount: i64) -> Authorization {
        match self.limit {
            None => Authorization::Ng(9),
            Some(limit) if amount > limit => Authorization::Ng(1),
            Some(_) => Authorization::Ok,
        }
    }
}

/// The standard member's limit in yen.
pub const STANDARD_LIMIT: i64 = 50_000;
/// The high-limit member's limit in yen.
pub const HIGH_LIMIT_YEN: i64 = 300_000;

/// Id of the standard member (limit [`STANDARD_LIMIT`]).
pub const STANDARD: &str = "standard";
/// Id of the member with the higher limit ([`HIGH_LIMIT_YEN`]).
pub const HIGH_LIMIT: &str = "high_limit";
/// Id of the member whose every registration is NG reason 9.
pub const DECLINED: &str = "declined";

/// Every test member, in the order the widget page lists them.
pub static MEMBERS: [Member; 3] = [
    Member {
        id: STANDARD,
        name: "後払 花子",
        label: "標準会員",
        limit: Some(STANDARD_LIMIT),
    },
    Member {
        id: HIGH_LIMIT,
        name: "後払 大介",
        label: "高額利用会員",
        limit: Some(HIGH_LIMIT_YEN),
    },
    Member {
        id: DECLINED,
        name: "後払 否子",
        label: "与信NG会員（常に NG・その他）",
        limit: None,
    },
];

/// The member with `id`.
pub fn find(id: &str) -> Option<&'static Member> {
    MEMBERS.iter().find(|m| m.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_decides_and_the_declined_member_is_always_ng_9() {
        let standard = find(STANDARD).unwrap();
        let high = find(HIGH_LIMIT).unwrap();
        let declined = find(DECLINED).unwrap();

        assert_eq!(standard.decide(50_000), Authorization::Ok);
        assert_eq!(standard.decide(50_001), Authorization::Ng(1));
        assert_eq!(high.decide(300_000), Authorization::Ok);
        assert_eq!(high.decide(300_001), Authorization::Ng(1));
        assert_eq!(declined.decide(1), Authorization::Ng(9));
    }
}
