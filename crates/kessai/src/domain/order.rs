//! Order statuses as the admin shows them: 対応状況 (what the shop is doing with the order)
//! and 入金状況 (whether a deferred payment has been received), plus carriers.

use std::fmt;

/// 対応状況.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// 新規受付
    New,
    /// 取り寄せ中
    Backordered,
    /// 発送済み
    Shipped,
    /// キャンセル
    Cancelled,
    /// 保留
    OnHold,
}

impl OrderStatus {
    /// Every status, in the admin's order.
    pub const ALL: [OrderStatus; 5] = [
        Self::New,
        Self::Backordered,
        Self::OnHold,
        Self::Shipped,
        Self::Cancelled,
    ];

    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Backordered => "backordered",
            Self::Shipped => "shipped",
            Self::Cancelled => "cancelled",
            Self::OnHold => "on_hold",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// The admin's word for it.
    pub fn label(self) -> &'static str {
        match self {
            Self::New => "新規受付",
            Self::Backordered => "取り寄せ中",
            Self::Shipped => "発送済み",
            Self::Cancelled => "キャンセル",
            Self::OnHold => "保留",
        }
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// 入金状況. Card payments have none (`NotApplicable`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReceiptStatus {
    /// 未入金
    Unpaid,
    /// 入金済み
    Paid,
    /// No receipt status (card and other immediate payments).
    NotApplicable,
}

impl ReceiptStatus {
    /// Every status, in the admin's order.
    pub const ALL: [ReceiptStatus; 3] = [Self::NotApplicable, Self::Unpaid, Self::Paid];

    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unpaid => "unpaid",
            Self::Paid => "paid",
            Self::NotApplicable => "none",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// The admin's word for it (empty where there is none).
    pub fn label(self) -> &'static str {
        match self {
            Self::Unpaid => "未入金",
            Self::Paid => "入金済み",
            Self::NotApplicable => "",
        }
    }
}

/// The carrier of a delivery method.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Carrier {
    /// クロネコヤマト: tracking numbers a provider may capture on shipment with.
    Yamato,
    /// 佐川急便
    Sagawa,
    /// 日本郵便
    JapanPost,
    /// 西濃運輸
    Seino,
    /// 福山通運
    Fukuyama,
    /// その他
    Other,
}

impl Carrier {
    /// Every carrier, in the order offered.
    pub const ALL: [Carrier; 6] = [
        Self::Yamato,
        Self::Sagawa,
        Self::JapanPost,
        Self::Seino,
        Self::Fukuyama,
        Self::Other,
    ];

    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Yamato => "yamato",
            Self::Sagawa => "sagawa",
            Self::JapanPost => "japanpost",
            Self::Seino => "seino",
            Self::Fukuyama => "fukuyama",
            Self::Other => "other",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The carrier's Japanese name.
    pub fn label(self) -> &'static str {
        match self {
            Self::Yamato => "クロネコヤマト",
            Self::Sagawa => "佐川急便",
            Self::JapanPost => "日本郵便",
            Self::Seino => "西濃運輸",
            Self::Fukuyama => "福山通運",
            Self::Other => "その他",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_forms_round_trip() {
        for s in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(s.as_str()), Some(s));
        }
        for c in Carrier::ALL {
            assert_eq!(Carrier::parse(c.as_str()), Some(c));
        }
        for r in ReceiptStatus::ALL {
            assert_eq!(ReceiptStatus::parse(r.as_str()), Some(r));
        }
    }
}
