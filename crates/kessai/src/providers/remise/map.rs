//! Remise's results as kessai keeps them: the services, the statuses a payment goes
//! through (Remise has no status codes of its own; these are named after its 処理区分 and
//! the back office's 集計区分), the success rule of a result, and the Japanese messages of
//! its return codes (spec §8) for the buyer and the operator.

use crate::domain::payment::{Operation, PaymentState};
use crate::providers::interface::{Report, StatusInfo};

/// A Remise service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Service {
    /// カード決済 (link type, paycard.aspx).
    Card,
    /// マルチ決済, and the 2022 edition's コンビニ決済 (paycvs.aspx).
    Multi,
}

impl Service {
    /// The service of a settlement kind.
    pub fn from_kind(kind: &str) -> Option<Service> {
        match kind {
            "remise_card" => Some(Self::Card),
            "remise_multi" | "remise_conv" => Some(Self::Multi),
            _ => None,
        }
    }
}

/// Where a Remise payment stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// 仮売上 (JOB=AUTH went through).
    Auth,
    /// 売上 (JOB=CAPTURE, or SALES of an authorization).
    Sales,
    /// 取消 (VOID).
    Void,
    /// 返品 (RETURN).
    Returned,
    /// 未入金: the buyer chose where to pay and has the payment number.
    Issued,
    /// 入金済み: the 収納情報通知 came.
    Received,
    /// 支払期限切れ: the deadline passed without payment.
    Expired,
    /// 決済エラー: Remise refused the payment (the buyer may try again).
    Error,
    /// A code kessai does not know: pending until the operator looks.
    Unknown,
}

impl Status {
    /// Every status, in the order of a payment's life.
    pub const ALL: [Status; 8] = [
        Self::Issued,
        Self::Auth,
        Self::Sales,
        Self::Received,
        Self::Void,
        Self::Returned,
        Self::Expired,
        Self::Error,
    ];

    /// Parses the stored code.
    pub fn parse(code: &str) -> Status {
        match code {
            "AUTH" => Self::Auth,
            "SALES" => Self::Sales,
            "VOID" => Self::Void,
            "RETURN" => Self::Returned,
            "ISSUED" => Self::Issued,
            "RECEIVED" => Self::Received,
            "EXPIRED" => Self::Expired,
            "ERROR" => Self::Error,
            _ => Self::Unknown,
        }
    }

    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Auth => "AUTH",
            Self::Sales => "SALES",
            Self::Void => "VOID",
            Self::Returned => "RETURN",
            Self::Issued => "ISSUED",
            Self::Received => "RECEIVED",
            Self::Expired => "EXPIRED",
            Self::Error => "ERROR",
            Self::Unknown => "",
        }
    }

    /// What the operator reads (the back office's 集計区分 and Welcart's 入金状況).
    pub fn label(self) -> &'static str {
        match self {
            Self::Auth => "仮売上",
            Self::Sales => "売上",
            Self::Void => "取消",
            Self::Returned => "返品",
            Self::Issued => "未入金",
            Self::Received => "入金済み",
            Self::Expired => "支払期限切れ",
            Self::Error => "決済エラー",
            Self::Unknown => "不明",
        }
    }

    /// The normalized state. Exhaustive: an unknown code is pending.
    pub fn state(self) -> PaymentState {
        match self {
            Self::Auth => PaymentState::Authorized,
            Self::Sales | Self::Received => PaymentState::Captured,
            Self::Void => PaymentState::Cancelled,
            Self::Returned => PaymentState::Refunded,
            Self::Expired => PaymentState::Expired,
            Self::Error => PaymentState::Failed,
            Self::Issued | Self::Unknown => PaymentState::Pending,
        }
    }

    /// How far along the life cycle the status is.
    pub fn step(self) -> u16 {
        match self {
            Self::Unknown | Self::Error => 0,
            Self::Issued | Self::Auth => 10,
            Self::Sales | Self::Received => 20,
            Self::Void | Self::Returned | Self::Expired => 30,
        }
    }

    /// The status as kessai describes it.
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

    /// Whether a checkout in this status has become an order: the card authorized or
    /// captured, or the buyer holding a payment number (or already paid).
    pub fn confirms_order(self) -> bool {
        matches!(
            self,
            Self::Auth | Self::Sales | Self::Issued | Self::Received
        )
    }

    /// The report of this status for the provider's payment id, with the amount.
    pub fn report(self, payment_id: &str, amount: i64) -> Report {
        self.info(self.code())
            .report(payment_id, self.code(), Some(amount))
    }
}

/// The 決済情報 dialog's button for an operation: with 拡張セット Remise does it; without,
/// the operator does it in Remise's back office and records it here.
pub fn operation_label(extset: bool, operation: Operation) -> &'static str {
    match (extset, operation) {
        (true, Operation::Capture) => "売上処理",
        (true, Operation::Cancel) => "取消処理(即日取消)",
        (true, Operation::Refund) => "返品処理",
        (false, Operation::Capture) => "売上処理を記録",
        (false, Operation::Cancel) => "取消処理を記録",
        (false, Operation::Refund) => "返品処理を記録",
        (false, Operation::ChangeAmount) => "金額変更を記録",
        (_, other) => other.label(),
    }
}

/// The fields of a result that decide whether it succeeded (spec §2.2).
#[derive(Clone, Copy, Debug)]
pub struct Outcome<'a> {
    /// `X-R_CODE`.
    pub r_code: &'a str,
    /// `X-ERRLEVEL`.
    pub err_level: &'a str,
    /// `X-ERRCODE`.
    pub err_code: &'a str,
    /// `X-ERRINFO`.
    pub err_info: &'a str,
}

impl Outcome<'_> {
    /// Remise's own modules' rule: `X-R_CODE` `0:0000`, `X-ERRLEVEL` `0`, a blank
    /// `X-ERRCODE` and `X-ERRINFO` `000000000`.
    pub fn succeeded(&self) -> bool {
        self.r_code == "0:0000"
            && self.err_level.trim() == "0"
            && self.err_code.trim().is_empty()
            && self.err_info.trim() == "000000000"
    }

    /// The code the error log keeps (`G12`, or the return code).
    pub fn code(&self) -> String {
        match self.err_code.trim() {
            "" => self.r_code.to_owned(),
            code => code.to_owned(),
        }
    }

    /// What went wrong, in the words of the code tables, for the buyer and the operator.
    pub fn message(&self) -> String {
        if self.r_code != "0:0000" {
            return r_code_message(self.r_code);
        }
        card_error_message(self.err_code.trim(), self.err_info.trim())
    }

    /// Every field as the error log keeps it.
    pub fn detail(&self) -> String {
        format!(
            "X-R_CODE={} X-ERRLEVEL={} X-ERRCODE={} X-ERRINFO={}",
            self.r_code,
            self.err_level.trim(),
            self.err_code.trim(),
            self.err_info.trim()
        )
    }
}

/// The message of an `X-R_CODE` other than `0:0000` (spec §8.1).
pub fn r_code_message(code: &str) -> String {
    let text = match code {
        "1:0000" => "決済先のサイトが混み合っています。しばらくしてからもう一度お試しください。",
        "2:0000" => "決済先のサイトがメンテナンス中です。しばらくしてからもう一度お試しください。",
        "5:1000" | "5:2000" => {
            "決済結果の通知を確認できませんでした。二重に決済しないよう、ショップにお問い合わせください。"
        }
        "8:4003" => "ルミーズのシステムがメンテナンス中です。しばらくしてからもう一度お試しください。",
        "8:5801" => "現在、この決済はご利用いただけません(加盟店の取引停止)。",
        "8:5804" | "8:5805" => "このカードはご利用いただけません。",
        "8:5810" => "売上の対象となる取引がありません。",
        "8:5812" => "取消の対象となる取引がないか、処理期間を過ぎています。",
        "8:5819" => "このカード番号での送信が制限されています。",
        "8:5820" => "この取引は制限されました。既に決済が済んでいます。",
        "8:5821" => "3Dセキュア認証でエラーが発生しました。",
        "8:5822" => "与信(仮売上)の有効期間を過ぎています。",
        "8:5823" => "取消期限を過ぎています。返品処理を行ってください。",
        "8:5826" => "同じ接続元からの送信が多すぎるため制限されました。しばらくしてからお試しください。",
        c if is_mail_error(c) => {
            "メールアドレスに誤りがあります。メールアドレスのご変更をお願いいたします。"
        }
        c if c.starts_with("8:1") => "決済に必要な項目が送信されていません。",
        c if c.starts_with("8:2") => "決済に送信した項目の長さが正しくありません。",
        c if c.starts_with("8:3") => "決済に送信した項目の値が正しくありません。",
        _ => "決済処理でエラーが発生しました。",
    };
    format!("{text}(ルミーズ戻りコード {code})")
}

/// `8:x008` within the input errors: the e-mail address is the problem (spec §8.1).
fn is_mail_error(code: &str) -> bool {
    ["8:1", "8:2", "8:3"].iter().any(|p| code.starts_with(p)) && code.ends_with('8')
}

/// The message of a card network's refusal (spec §8.2).
pub fn card_error_message(err_code: &str, err_info: &str) -> String {
    let text = match (err_code, err_info) {
        ("H12", _) => "カード番号に誤りがあります。",
        ("H97", "220010000") => "このカード会社のカードはご利用いただけません。",
        ("H97", "421010000") => "売上の対象となる仮売上がありません。",
        ("H97", "450030000") => "取消の対象となる取引がありません。",
        ("H97", "450040000") => "この取引は既に取り消されています。",
        ("C14" | "G12" | "G54" | "G55" | "G97" | "G99", _) => {
            "このカードはお取り扱いできません。カード発行会社にお問い合わせください。"
        }
        ("G03", _) => "ご利用限度額を超えています。",
        ("G30", _) => "このカードは現在ご利用いただけません。",
        ("G56" | "P90", _) => "このカード会社のカードはご利用いただけません。",
        ("G60", _) => "このカードはご利用いただけません。",
        ("G65", _) => "カード番号に誤りがあります。",
        ("G78", _) => "この支払方法はご利用いただけません。",
        ("G83", _) => "有効期限に誤りがあります。",
        ("S01" | "X51" | "X53" | "X65", _) => {
            "カード会社でエラーが発生しました。しばらくしてからもう一度お試しください。"
        }
        _ => "カード決済でエラーが発生しました。",
    };
    format!("{text}(エラーコード {err_code})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_round_trips_through_its_code_and_unknown_codes_are_pending() {
        for status in Status::ALL {
            assert_eq!(Status::parse(status.code()), status);
        }
        assert_eq!(Status::parse("X").state(), PaymentState::Pending);
    }

    #[test]
    fn a_status_never_ranks_below_the_one_it_follows() {
        for (before, after) in [
            (Status::Issued, Status::Received),
            (Status::Issued, Status::Expired),
            (Status::Auth, Status::Sales),
            (Status::Auth, Status::Void),
            (Status::Sales, Status::Returned),
        ] {
            assert!(before.step() < after.step(), "{before:?} → {after:?}");
            assert!(before.state().can_become(after.state()));
        }
    }

    #[test]
    fn only_the_full_success_rule_counts_as_success() {
        let ok = Outcome {
            r_code: "0:0000",
            err_level: "0",
            err_code: "   ",
            err_info: "000000000",
        };
        assert!(ok.succeeded());
        let declined = Outcome {
            err_level: "1",
            err_code: "G12",
            err_info: "123456789",
            ..ok
        };
        assert!(!declined.succeeded());
        assert_eq!(declined.code(), "G12");
        assert!(declined.message().contains("お取り扱いできません"));
        assert!(!Outcome {
            r_code: "5:1000",
            ..ok
        }
        .succeeded());
    }

    #[test]
    fn return_codes_read_as_the_code_tables_say() {
        assert!(r_code_message("8:5820").contains("既に決済が済んでいます"));
        assert!(r_code_message("8:1008").contains("メールアドレス"));
        assert!(r_code_message("8:1003").contains("送信されていません"));
        assert!(r_code_message("9:0000").contains("9:0000"));
    }
}
