//! atone's statuses as the manual's 決済状況 shows them (仮売上 / 売上計上 / 取消済み), read
//! from a transaction object (atone has no status code of its own), and the messages of its
//! results and EATN codes.

use super::wire::Transaction;
use crate::domain::payment::{Operation, PaymentState};
use crate::providers::interface::{Capabilities, Report, StatusInfo};

/// Where an atone payment stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// 仮売上: authorized, not settled.
    Auth,
    /// 売上計上: settled.
    Settled,
    /// 取消済み: refunded in full (atone's cancel).
    Cancelled,
    /// 取引修正済み: a newer transaction replaced it.
    Replaced,
    /// NG: atone refused (金額超過 or その他).
    Refused,
    /// A code kessai does not know.
    Unknown,
}

impl Status {
    /// Every status.
    pub const ALL: [Status; 5] = [
        Self::Auth,
        Self::Settled,
        Self::Cancelled,
        Self::Replaced,
        Self::Refused,
    ];

    /// Parses the stored code.
    pub fn parse(code: &str) -> Status {
        match code {
            "auth" => Self::Auth,
            "settled" => Self::Settled,
            "cancelled" => Self::Cancelled,
            "replaced" => Self::Replaced,
            "ng" => Self::Refused,
            _ => Self::Unknown,
        }
    }

    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Auth => "auth",
            Self::Settled => "settled",
            Self::Cancelled => "cancelled",
            Self::Replaced => "replaced",
            Self::Refused => "ng",
            Self::Unknown => "",
        }
    }

    /// The manual's word.
    pub fn label(self) -> &'static str {
        match self {
            Self::Auth => "仮売上",
            Self::Settled => "売上計上",
            Self::Cancelled => "取消済み",
            Self::Replaced => "取引修正済み",
            Self::Refused => "与信NG",
            Self::Unknown => "不明",
        }
    }

    /// The normalized state; an unknown code is pending.
    pub fn state(self) -> PaymentState {
        match self {
            Self::Auth => PaymentState::Authorized,
            Self::Settled => PaymentState::Captured,
            Self::Cancelled | Self::Replaced => PaymentState::Cancelled,
            Self::Refused => PaymentState::Failed,
            Self::Unknown => PaymentState::Pending,
        }
    }

    /// How far along the life cycle the status is.
    pub fn step(self) -> u16 {
        match self {
            Self::Unknown | Self::Refused => 0,
            Self::Auth => 10,
            Self::Settled => 20,
            Self::Cancelled | Self::Replaced => 30,
        }
    }

    pub fn info(self, code: &str) -> StatusInfo {
        StatusInfo {
            label: match self {
                Self::Unknown => format!("不明なステータス({code})"),
                known => known.label().to_owned(),
            },
            state: self.state(),
            step: self.step(),
        }
    }

    /// Whether a checkout in this status has become an order.
    pub fn confirms_order(self) -> bool {
        matches!(self, Self::Auth | Self::Settled)
    }

    /// The report of this status.
    pub fn report(self, payment_id: &str, amount: i64) -> Report {
        self.info(self.code())
            .report(payment_id, self.code(), Some(amount))
    }

    /// The operations a payment in this status offers (the manual's 売上計上 / 取消 /
    /// 取引修正, and 取引参照 always).
    pub fn capabilities(self) -> Capabilities {
        const AUTH: &[Operation] = &[
            Operation::Capture,
            Operation::ChangeAmount,
            Operation::Cancel,
            Operation::Refresh,
        ];
        const SETTLED: &[Operation] = &[Operation::Cancel, Operation::Refresh];
        const OTHER: &[Operation] = &[Operation::Refresh];
        Capabilities {
            operations: match self {
                Self::Auth => AUTH,
                Self::Settled => SETTLED,
                _ => OTHER,
            },
            partial_refund: false,
        }
    }
}

/// Where a transaction object stands.
pub fn status_of(t: &Transaction) -> Status {
    if t.authorization_result == 2 {
        Status::Refused
    } else if t.authorization_result != 1 {
        Status::Unknown
    } else if t.amount_refund_total.unwrap_or(0) >= t.amount && t.amount > 0 {
        Status::Cancelled
    } else if t
        .sales_settled_datetime
        .as_deref()
        .is_some_and(|d| !d.is_empty())
    {
        Status::Settled
    } else {
        Status::Auth
    }
}

/// The 決済情報 dialog's buttons in the manual's words.
pub fn operation_label(operation: Operation) -> &'static str {
    match operation {
        Operation::Capture => "売上計上",
        Operation::Cancel => "取消",
        Operation::ChangeAmount => "取引修正",
        Operation::Refresh => "取引参照",
        other => other.label(),
    }
}

/// The buyer's message for an NG result (spec §5 `authorization_result_ng_reason`), and the
/// word the 決済エラーログ keeps (the manual's 金額超過).
pub fn ng_reason(reason: Option<i64>) -> (&'static str, &'static str) {
    match reason {
        Some(1) => (
            "金額超過",
            "atoneのご利用可能金額を超えているため、お支払いいただけませんでした。別の支払方法をご利用ください。",
        ),
        _ => (
            "与信NG",
            "atoneの審査によりお支払いいただけませんでした。別の支払方法をご利用ください。",
        ),
    }
}

/// The operator's message for an EATN code (spec §9).
pub fn error_message(code: &str) -> String {
    let text = match code {
        "EATN0129" => "atoneの認証に失敗しました。秘密鍵をご確認ください。",
        "EATN0130" => "atoneのサービス契約が有効ではありません。",
        "EATN0133" => "atoneにこの取引がありません。",
        "EATN0102" | "EATN0103" | "EATN0104" => {
            "お客様のatone認証情報が無効です(パスワード変更などで失効しています)。"
        }
        "EATN1101" => "この加盟店取引番号の取引は既に登録されています。",
        "EATN1102" => "課金額と商品の合計金額が一致しません。",
        "EATN1104" => "テスト環境ではテスト会員のみ利用できます。",
        "EATN1201" => "この取引は既に売上計上されています。",
        "EATN9999" | "EATN9901" => {
            "atoneで一時的な障害が発生しています。しばらくしてからもう一度お試しください。"
        }
        c if c.starts_with("EATN01") || c.starts_with("EATN03") => {
            "atoneに送信した項目の形式が正しくありません。"
        }
        _ => "atoneでエラーが発生しました。",
    };
    format!("{text}({code})")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transaction(result: i64) -> Transaction {
        Transaction {
            id: "tr_1".into(),
            shop_transaction_no: "T".into(),
            amount: 1000,
            authorization_result: result,
            authorization_result_ng_reason: None,
            sales_settled_datetime: None,
            amount_refund_total: None,
            authentication_token: None,
        }
    }

    #[test]
    fn a_transaction_reads_as_the_manuals_statuses() {
        assert_eq!(status_of(&transaction(1)), Status::Auth);
        assert_eq!(status_of(&transaction(2)), Status::Refused);
        let settled = Transaction {
            sales_settled_datetime: Some("2026/12/03 10:00".into()),
            ..transaction(1)
        };
        assert_eq!(status_of(&settled), Status::Settled);
        let cancelled = Transaction {
            amount_refund_total: Some(1000),
            ..settled
        };
        assert_eq!(status_of(&cancelled), Status::Cancelled);
        for s in Status::ALL {
            assert_eq!(Status::parse(s.code()), s);
        }
    }

    #[test]
    fn a_status_never_ranks_below_the_one_it_follows() {
        for (a, b) in [
            (Status::Auth, Status::Settled),
            (Status::Auth, Status::Cancelled),
            (Status::Settled, Status::Cancelled),
            (Status::Auth, Status::Replaced),
        ] {
            assert!(a.step() < b.step());
            assert!(a.state().can_become(b.state()), "{a:?} → {b:?}");
        }
    }
}
