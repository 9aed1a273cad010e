//! Kuroneko Web Collect's 取引状況 (`statusInfo`, spec §9) in the manual's words (与信 /
//! 売上確定 / 取消), and the messages of its error codes (spec §7).

use crate::domain::payment::PaymentState;
use crate::providers::interface::StatusInfo;

/// A card payment's 取引状況 as E04 reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// 0 決済依頼済み.
    Requested,
    /// 4 与信完了.
    Authorized,
    /// 30 精算確定待ち: the shipment is registered (売上確定 in the manual's words).
    ShipmentRegistered,
    /// 31 精算確定.
    Settled,
    /// 40 取消.
    Cancelled,
    /// 50 3-D Secure waiting.
    ThreeDsWaiting,
    /// 11–18 errors, 17 金額変更NG included.
    Error(u8),
    /// 20 決済中断.
    Interrupted,
    /// Any other value.
    Unknown,
}

impl Status {
    /// Parses `statusInfo`.
    pub fn parse(code: &str) -> Status {
        match code.trim().parse::<u8>() {
            Ok(0) => Self::Requested,
            Ok(4) => Self::Authorized,
            Ok(30) => Self::ShipmentRegistered,
            Ok(31) => Self::Settled,
            Ok(40) => Self::Cancelled,
            Ok(50) => Self::ThreeDsWaiting,
            Ok(20) => Self::Interrupted,
            Ok(n @ 11..=18) => Self::Error(n),
            _ => Self::Unknown,
        }
    }

    /// What the manual's 決済状況 says (受注リスト and 受注データ編集).
    pub fn label(self) -> &'static str {
        match self {
            Self::Requested => "決済依頼済み",
            Self::Authorized => "与信",
            Self::ShipmentRegistered | Self::Settled => "売上確定",
            Self::Cancelled => "取消",
            Self::ThreeDsWaiting => "3Dセキュア認証待ち",
            Self::Error(17) => "金額変更NG",
            Self::Error(_) => "決済エラー",
            Self::Interrupted => "決済中断",
            Self::Unknown => "不明",
        }
    }

    /// The normalized state; an unknown value is pending.
    pub fn state(self) -> PaymentState {
        match self {
            Self::Authorized => PaymentState::Authorized,
            Self::ShipmentRegistered | Self::Settled => PaymentState::Captured,
            Self::Cancelled => PaymentState::Cancelled,
            // 金額変更NG leaves the authorization as it was.
            Self::Error(17) => PaymentState::Authorized,
            Self::Error(_) | Self::Interrupted => PaymentState::Failed,
            Self::Requested | Self::ThreeDsWaiting | Self::Unknown => PaymentState::Pending,
        }
    }

    /// How far along the life cycle the status is.
    pub fn step(self) -> u16 {
        match self {
            Self::Unknown | Self::Requested | Self::ThreeDsWaiting => 0,
            Self::Error(_) | Self::Interrupted => 1,
            Self::Authorized => 10,
            Self::ShipmentRegistered => 20,
            Self::Settled => 21,
            Self::Cancelled => 30,
        }
    }

    /// Whether a checkout whose payment is in this status has become an order (authorized
    /// or captured).
    pub fn confirms_order(self) -> bool {
        matches!(
            self,
            Self::Authorized | Self::ShipmentRegistered | Self::Settled | Self::Error(17)
        )
    }

    /// The manual's word, the normalized state and the step.
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
}

/// The message of a Web Collect error code (spec §7: function, group, detail).
pub fn error_message(code: &str) -> String {
    let group = code.get(3..6).unwrap_or("");
    let text = match (code, group) {
        ("A011010502", _) => "ご利用可能額を超えています。",
        ("A082000010", _) => "カード会社で承認されませんでした。",
        ("A092000001", _) => "この受注番号の決済は既に完了しています。",
        ("A082000001", _) => {
            "この注文の決済は既に受け付けられています。お手数ですが、カートに戻ってもう一度ご注文ください。"
        }
        ("A092050001", _) => {
            "本人認証(3Dセキュア)ができませんでした。お手数ですが、カートに戻ってもう一度ご注文ください。"
        }
        ("A071010301", _) => "金額変更の対象となる取引がありません。",
        (c, _) if c.starts_with("Z01") => {
            "クロネコwebコレクトの設定またはシステムでエラーが発生しました。加盟店コード・アクセスキー・接続元IPアドレスをご確認ください。"
        }
        (c, "204" | "205" | "206") if c.starts_with('A') => {
            "このカードはご利用いただけません。別のカードをご利用ください。"
        }
        (c, "200" | "201" | "202") if c.starts_with('A') => {
            "クロネコwebコレクトの加盟店設定でエラーになりました。"
        }
        (c, "207") if c.starts_with('A') => "カード情報をお預かりできませんでした。",
        (c, "300") if c.starts_with('E') => "既に処理されています(二重の処理は受け付けられません)。",
        (c, "101") if c.starts_with("A07") => {
            "変更後の利用額を確認してください(与信した金額を超える利用額には変更できません)。"
        }
        (_, "101") => "送信した項目に誤りがあります。",
        (c, _) if c.starts_with("Y02") => "カード情報の入力内容に誤りがあります。",
        _ => "クロネコwebコレクトでエラーが発生しました。",
    };
    format!("{text}(エラーコード {code})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_info_reads_as_the_manuals_words() {
        assert_eq!(Status::parse("4").label(), "与信");
        assert_eq!(Status::parse("30").label(), "売上確定");
        assert_eq!(Status::parse("31").label(), "売上確定");
        assert_eq!(Status::parse("40").label(), "取消");
        assert_eq!(Status::parse("99").state(), PaymentState::Pending);
        assert_eq!(Status::parse("17").state(), PaymentState::Authorized);
    }

    #[test]
    fn a_status_never_ranks_below_the_one_it_follows() {
        for (a, b) in [("4", "30"), ("30", "31"), ("4", "40"), ("30", "40")] {
            let (a, b) = (Status::parse(a), Status::parse(b));
            assert!(a.step() < b.step(), "{a:?} → {b:?}");
            assert!(a.state().can_become(b.state()), "{a:?} → {b:?}");
        }
    }

    #[test]
    fn error_codes_are_read_by_their_groups() {
        assert!(error_message("A011010502").contains("ご利用可能額"));
        assert!(error_message("A082050001").contains("ご利用いただけません"));
        assert!(error_message("E013000001").contains("既に処理"));
        assert!(error_message("Z010000006").contains("設定"));
    }
}
