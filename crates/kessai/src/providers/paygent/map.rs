//! Paygent's payment status codes (spec §10) in the manual's words, their normalized
//! [`PaymentState`] per service, and which operator operations each status allows — the
//! buttons of the 決済情報 dialog. Every mapping is an exhaustive `match`; a code this build
//! does not know maps to `Pending` and is settled by a status inquiry (094), never guessed.

use crate::domain::payment::{Operation, PaymentState};
use crate::providers::interface::{Capabilities, Done, Report, StatusInfo};

/// The Paygent services kessai offers (決済種別).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Service {
    /// カード決済 (`paygent_card`)
    Card,
    /// コンビニ決済（番号方式） (`paygent_conv`)
    Conv,
    /// ATM決済（ペイジー） (`paygent_atm`)
    Atm,
    /// 銀行ネット決済 (`paygent_netbank`)
    Netbank,
    /// Paidy (`paygent_paidy`)
    Paidy,
}

impl Service {
    /// The service of a settlement kind code.
    pub fn from_kind(kind: &str) -> Option<Service> {
        match kind {
            "paygent_card" => Some(Self::Card),
            "paygent_conv" => Some(Self::Conv),
            "paygent_atm" => Some(Self::Atm),
            "paygent_netbank" => Some(Self::Netbank),
            "paygent_paidy" => Some(Self::Paidy),
            _ => None,
        }
    }

    /// Paygent's `payment_type` code of the service (spec §9).
    pub fn payment_type(self) -> &'static str {
        match self {
            Self::Atm => "01",
            Self::Card => "02",
            Self::Conv => "03",
            Self::Netbank => "05",
            Self::Paidy => "22",
        }
    }

    /// The service's name as the manual writes it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Card => "カード決済",
            Self::Conv => "コンビニ決済",
            Self::Atm => "ATM決済(ペイジー)",
            Self::Netbank => "銀行ネット決済",
            Self::Paidy => "Paidy",
        }
    }

    /// The service of a `payment_type` code, if kessai offers it.
    pub fn from_payment_type(code: &str) -> Option<Service> {
        [
            Self::Atm,
            Self::Card,
            Self::Conv,
            Self::Netbank,
            Self::Paidy,
        ]
        .into_iter()
        .find(|s| s.payment_type() == code)
    }
}

/// The stores of 申込コンビニ: the setting's value, the `cvs_company_id` kessai applies
/// with (030, spec §6.8; the store code identifies the store whatever the shop's konbini
/// connection type), and the name the buyer chooses from.
pub const CONV_STORES: &[(&str, &str, &str)] = &[
    ("seicomart", "00C016", "セイコーマート"),
    ("lawson", "00C002", "ローソン/ミニストップ/デイリーヤマザキ"),
    ("seveneleven", "00C001", "セブンイレブン"),
    ("familymart", "00C005", "ファミリーマート"),
];

/// A Paygent payment status (決済ステータス).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// 申込中: Paygent has no payment yet. A net banking application (060) waits for the
    /// buyer to choose a bank on Paygent's page; only then does Paygent make a payment (10).
    /// Paygent has no code for it: the code is empty.
    Applying,
    /// 10 申込済
    Applied,
    /// 11 オーソリNG
    AuthDeclined,
    /// 12 支払期限切
    PaymentExpired,
    /// 13 3Dセキュア中断
    ThreeDsAborted,
    /// 14 3Dセキュア認証
    ThreeDsAuthenticating,
    /// 15 申込中断
    ApplicationAborted,
    /// 16 支払期限切（消込対象外）
    ExpiredNotCleared,
    /// 17 有効性確認NG
    ValidityCheckFailed,
    /// 20 オーソリOK
    Authorized,
    /// 21 オーソリ完了
    AuthorizationCompleted,
    /// 22 有効性確認済
    ValidityChecked,
    /// 30 売上要求中
    CapturePending,
    /// 31 オーソリ取消中
    AuthCancelPending,
    /// 32 オーソリ取消済
    AuthCancelled,
    /// 33 オーソリ期限切
    AuthExpired,
    /// 34 補正要求中
    CorrectionPending,
    /// 35 売上要求済
    CaptureRequested,
    /// 36 売上保留
    CaptureHeld,
    /// 37 売上不可
    CaptureRefused,
    /// 40 消込済
    Cleared,
    /// 41 消込済（売上取消期限切）
    ClearedCancelExpired,
    /// 42 売上取消中 (Paidy: 返金要求中)
    SalesCancelPending,
    /// 43 速報検知済
    PreliminaryDetected,
    /// 44 消込完了
    ClearingCompleted,
    /// 50 売上取消集計中
    SalesCancelAggregating,
    /// 60 売上取消済
    SalesCancelled,
    /// 61 速報取消済
    PreliminaryCancelled,
    /// 62 取消完了
    CancelCompleted,
    /// A code this build does not know.
    Unknown(String),
}

impl Status {
    /// Parses a two-digit status code.
    pub fn parse(code: &str) -> Status {
        match code.trim() {
            "" => Self::Applying,
            "10" => Self::Applied,
            "11" => Self::AuthDeclined,
            "12" => Self::PaymentExpired,
            "13" => Self::ThreeDsAborted,
            "14" => Self::ThreeDsAuthenticating,
            "15" => Self::ApplicationAborted,
            "16" => Self::ExpiredNotCleared,
            "17" => Self::ValidityCheckFailed,
            "20" => Self::Authorized,
            "21" => Self::AuthorizationCompleted,
            "22" => Self::ValidityChecked,
            "30" => Self::CapturePending,
            "31" => Self::AuthCancelPending,
            "32" => Self::AuthCancelled,
            "33" => Self::AuthExpired,
            "34" => Self::CorrectionPending,
            "35" => Self::CaptureRequested,
            "36" => Self::CaptureHeld,
            "37" => Self::CaptureRefused,
            "40" => Self::Cleared,
            "41" => Self::ClearedCancelExpired,
            "42" => Self::SalesCancelPending,
            "43" => Self::PreliminaryDetected,
            "44" => Self::ClearingCompleted,
            "50" => Self::SalesCancelAggregating,
            "60" => Self::SalesCancelled,
            "61" => Self::PreliminaryCancelled,
            "62" => Self::CancelCompleted,
            other => Self::Unknown(other.to_owned()),
        }
    }

    /// The two-digit code.
    pub fn code(&self) -> &str {
        match self {
            Self::Applying => "",
            Self::Applied => "10",
            Self::AuthDeclined => "11",
            Self::PaymentExpired => "12",
            Self::ThreeDsAborted => "13",
            Self::ThreeDsAuthenticating => "14",
            Self::ApplicationAborted => "15",
            Self::ExpiredNotCleared => "16",
            Self::ValidityCheckFailed => "17",
            Self::Authorized => "20",
            Self::AuthorizationCompleted => "21",
            Self::ValidityChecked => "22",
            Self::CapturePending => "30",
            Self::AuthCancelPending => "31",
            Self::AuthCancelled => "32",
            Self::AuthExpired => "33",
            Self::CorrectionPending => "34",
            Self::CaptureRequested => "35",
            Self::CaptureHeld => "36",
            Self::CaptureRefused => "37",
            Self::Cleared => "40",
            Self::ClearedCancelExpired => "41",
            Self::SalesCancelPending => "42",
            Self::PreliminaryDetected => "43",
            Self::ClearingCompleted => "44",
            Self::SalesCancelAggregating => "50",
            Self::SalesCancelled => "60",
            Self::PreliminaryCancelled => "61",
            Self::CancelCompleted => "62",
            Self::Unknown(code) => code,
        }
    }

    /// The status as the manual and Paygent's back office name it.
    pub fn label(&self, service: Service) -> String {
        let label = match self {
            Self::Applying => "申込中",
            Self::Applied => "申込済",
            Self::AuthDeclined => "オーソリNG",
            Self::PaymentExpired => "支払期限切",
            Self::ThreeDsAborted => "3Dセキュア中断",
            Self::ThreeDsAuthenticating => "3Dセキュア認証",
            Self::ApplicationAborted => "申込中断",
            Self::ExpiredNotCleared => "支払期限切（消込対象外）",
            Self::ValidityCheckFailed => "有効性確認NG",
            Self::Authorized => "オーソリOK",
            Self::AuthorizationCompleted => "オーソリ完了",
            Self::ValidityChecked => "有効性確認済",
            Self::CapturePending => "売上要求中",
            Self::AuthCancelPending => "オーソリ取消中",
            Self::AuthCancelled => "オーソリ取消済",
            Self::AuthExpired => "オーソリ期限切",
            Self::CorrectionPending => "補正要求中",
            Self::CaptureRequested => "売上要求済",
            Self::CaptureHeld => "売上保留",
            Self::CaptureRefused => "売上不可",
            Self::Cleared => "消込済",
            Self::ClearedCancelExpired => "消込済（売上取消期限切）",
            Self::SalesCancelPending if service == Service::Paidy => "返金要求中",
            Self::SalesCancelPending => "売上取消中",
            Self::PreliminaryDetected => "速報検知済",
            Self::ClearingCompleted => "消込完了",
            Self::SalesCancelAggregating => "売上取消集計中",
            Self::SalesCancelled => "売上取消済",
            Self::PreliminaryCancelled => "速報取消済",
            Self::CancelCompleted => "取消完了",
            Self::Unknown(code) => return format!("不明なステータス({code})"),
        };
        label.to_owned()
    }

    /// The normalized state of a payment of `service` in this status.
    pub fn state(&self, service: Service) -> PaymentState {
        use PaymentState::*;
        match self {
            // Waiting for the buyer (payments made after ordering) or for the card
            // authorization; a konbini's preliminary report (43) is not money yet.
            Self::Applying
            | Self::Applied
            | Self::ThreeDsAuthenticating
            | Self::PreliminaryDetected => Pending,
            Self::AuthDeclined
            | Self::ThreeDsAborted
            | Self::ValidityCheckFailed
            | Self::CaptureRefused => Failed,
            // The buyer left the bank's page, or the bank never confirmed; rarely the bank
            // confirms later (15 → 40, spec §10), so net banking keeps waiting.
            Self::ApplicationAborted if service == Service::Netbank => Pending,
            Self::ApplicationAborted => Failed,
            Self::PaymentExpired | Self::ExpiredNotCleared | Self::AuthExpired => Expired,
            // Transient states on the way to a capture or cancel still hold the authorization.
            Self::Authorized
            | Self::AuthorizationCompleted
            | Self::CapturePending
            | Self::AuthCancelPending
            | Self::CorrectionPending
            | Self::CaptureHeld => Authorized,
            // A card stored with a validity check: nothing is owed and nothing can be captured.
            Self::ValidityChecked => Cancelled,
            Self::AuthCancelled | Self::PreliminaryCancelled | Self::CancelCompleted => Cancelled,
            Self::CaptureRequested
            | Self::Cleared
            | Self::ClearedCancelExpired
            | Self::ClearingCompleted
            | Self::SalesCancelPending
            | Self::SalesCancelAggregating => Captured,
            // Paidy's 60 is a refund (返金); the card's is the cancellation of the sale (キャンセル処理).
            Self::SalesCancelled if service == Service::Paidy => Refunded,
            Self::SalesCancelled => Cancelled,
            Self::Unknown(_) => Pending,
        }
    }

    /// The operations the 決済情報 dialog offers for a payment of `service` in this status
    /// (状態更新 always). A cancellation Paygent has not finished (売上取消中, 売上取消集計中,
    /// オーソリ取消中) may be sent again, as the manual's FAQ says.
    pub fn allowed(&self, service: Service) -> Capabilities {
        use Operation::*;
        let operations: &'static [Operation] = match (service, self) {
            (Service::Card, Self::Authorized) => &[Capture, ChangeAmount, Cancel, Refresh],
            (Service::Card, Self::Cleared) => &[ChangeAmount, Cancel, Refresh],
            (
                Service::Card,
                Self::AuthCancelPending | Self::SalesCancelPending | Self::SalesCancelAggregating,
            ) => &[Cancel, Refresh],
            (Service::Paidy, Self::Authorized) => &[Capture, Cancel, Refresh],
            (Service::Paidy, Self::Cleared) => &[Refund, Refresh],
            // Convenience store, ATM and net banking amounts cannot be changed or cancelled
            // from the shop (the manual); every other status only shows the provider's state.
            (
                Service::Card | Service::Paidy | Service::Conv | Service::Atm | Service::Netbank,
                _,
            ) => &[Refresh],
        };
        Capabilities {
            operations,
            // A card is refunded in part by an amount change; Paidy's 342 takes an amount.
            partial_refund: matches!(service, Service::Card | Service::Paidy),
        }
    }

    /// How far along Paygent's life cycle the status is (spec §10): within one normalized
    /// state a later step is never replaced by an earlier one.
    pub fn step(&self) -> u16 {
        match self {
            Self::Applying => 0,
            Self::Applied | Self::ThreeDsAuthenticating => 10,
            Self::PreliminaryDetected => 20,
            Self::Authorized | Self::AuthorizationCompleted => 30,
            Self::CorrectionPending => 35,
            Self::CapturePending | Self::CaptureHeld => 40,
            Self::CaptureRequested => 45,
            Self::Cleared | Self::ClearedCancelExpired | Self::ClearingCompleted => 50,
            Self::AuthCancelPending | Self::SalesCancelPending | Self::SalesCancelAggregating => 60,
            Self::AuthDeclined
            | Self::PaymentExpired
            | Self::ThreeDsAborted
            | Self::ApplicationAborted
            | Self::ExpiredNotCleared
            | Self::ValidityCheckFailed
            | Self::ValidityChecked
            | Self::AuthCancelled
            | Self::AuthExpired
            | Self::CaptureRefused
            | Self::SalesCancelled
            | Self::PreliminaryCancelled
            | Self::CancelCompleted => 90,
            Self::Unknown(_) => 0,
        }
    }

    /// The status of a payment of `service` as the core keeps it.
    pub fn info(&self, service: Service) -> StatusInfo {
        StatusInfo {
            label: self.label(service),
            state: self.state(service),
            step: self.step(),
        }
    }
}

/// The service of a settlement kind, a card when the kind is not Paygent's.
pub fn service_of(kind: &str) -> Service {
    Service::from_kind(kind).unwrap_or(Service::Card)
}

/// A status report of a payment of settlement kind `kind` in status `code`: the one place a
/// Paygent status becomes a [`Report`].
pub fn report(payment_id: &str, kind: &str, code: &str, amount: Option<i64>) -> Report {
    let service = service_of(kind);
    let status = Status::parse(code);
    let info = status.info(service);
    Report {
        payment_id: payment_id.to_owned(),
        code: status.code().to_owned(),
        label: info.label,
        state: info.state,
        step: info.step,
        amount,
    }
}

/// What a successful telegram left: its history label, and payment `payment_id` of
/// settlement kind `kind` in status `code` (a replaced payment id is added by the caller).
pub fn done(telegram: &str, payment_id: &str, kind: &str, code: &str, amount: Option<i64>) -> Done {
    Done {
        label: telegram_label(telegram),
        payment_id: payment_id.to_owned(),
        status: report(payment_id, kind, code, amount),
        replaced: None,
        note: None,
    }
}

/// The 決済情報 dialog's button for `operation` on a payment of `kind` in status `code`:
/// Paidy's cancel is [オーソリキャンセル処理] (the manual), a cancellation Paygent has not
/// finished is sent again with 「もう一度、取消処理を実行」 (the FAQ); every other button is the
/// operation's own label.
pub fn operation_label(kind: &str, code: Option<&str>, operation: Operation) -> &'static str {
    let status = code.map(Status::parse);
    match (Service::from_kind(kind), operation, status) {
        (
            _,
            Operation::Cancel,
            Some(
                Status::AuthCancelPending
                | Status::SalesCancelPending
                | Status::SalesCancelAggregating,
            ),
        ) => "もう一度、取消処理を実行",
        (Some(Service::Paidy), Operation::Cancel, _) => "オーソリキャンセル処理",
        _ => operation.label(),
    }
}

impl Status {
    /// Whether a checkout whose payment reports this status has become an order: the card
    /// or Paidy is authorized or captured, or a payment made after ordering (convenience
    /// store, ATM, net banking) has been applied for — the buyer has the number or chose a
    /// bank, and pays later — or paid.
    pub fn confirms_order(&self, service: Service) -> bool {
        match service {
            Service::Card | Service::Paidy => matches!(
                self.state(service),
                PaymentState::Authorized | PaymentState::Captured
            ),
            Service::Conv | Service::Atm | Service::Netbank => matches!(
                self,
                Self::Applying
                    | Self::Applied
                    | Self::PreliminaryDetected
                    | Self::Cleared
                    | Self::ClearingCompleted
            ),
        }
    }
}

/// The name of a telegram as the payment history (処理区分) shows it.
pub fn telegram_label(kind: &str) -> &'static str {
    match kind {
        "010" => "ATM決済申込",
        "020" => "カード決済オーソリ",
        "021" => "カード決済オーソリキャンセル",
        "022" => "カード決済売上",
        "023" => "カード決済売上キャンセル",
        "025" => "カード情報設定",
        "026" => "カード情報削除",
        "027" => "カード情報照会",
        "028" => "カード決済補正オーソリ",
        "029" => "カード決済補正売上",
        "030" => "コンビニ決済申込",
        "060" => "銀行ネット決済申込",
        "091" => "決済情報差分照会",
        "094" => "決済情報照会",
        "340" => "Paidyオーソリキャンセル",
        "341" => "Paidy売上",
        "342" => "Paidy返金",
        "343" => "Paidy決済情報検証",
        "450" => "3Dセキュア認証",
        _ => "その他",
    }
}

/// Whether a refusal code means "no answer from the card network" (spec §16): the outcome
/// is unknown and a status inquiry must settle it.
pub fn is_timeout(code: &str) -> bool {
    code == "2008"
}

/// Whether a refusal code means Paygent has no such payment (094's 13001, 2006).
pub fn is_not_found(code: &str) -> bool {
    matches!(code, "13001" | "2006")
}

/// A message for the operator or the buyer for a refusal `code` with Paygent's `detail`.
pub fn error_message(code: &str, detail: &str) -> String {
    match code {
        "P001" | "P002" => "マーチャントIDまたは接続ID・接続パスワードが正しくありません。クレジット決済設定を確認してください。".to_owned(),
        "P006" => format!("ペイジェントに送った項目の値が空です({detail})。受注データと基本設定を確認してください。"),
        "P005" | "P008" | "P009" | "P010" => format!("ペイジェントに送った項目が正しくありません({code}: {detail})。"),
        "P014" => "金額は1円以上にしてください。".to_owned(),
        "P015" | "P016" => format!("ペイジェントへの接続が認められませんでした({code})。クライアント証明書と接続元IPアドレスを確認してください。"),
        "P017" => "ペイジェントはメンテナンス中です。しばらくしてからもう一度お試しください。".to_owned(),
        "2001" => "カードの承認が得られませんでした。別のカードをご利用ください。".to_owned(),
        "2002" => "カード会社との通信でエラーが発生しました。別のカードをご利用いただくか、しばらくしてからもう一度お試しください。".to_owned(),
        "2003" => "カード情報の入力内容に誤りがあります。カード番号・有効期限・セキュリティコード・支払回数を確認して、もう一度入力してください。".to_owned(),
        "2004" => "現在の決済状況ではこの処理はできません。[状態更新]ボタンで最新の状況を確認してください。".to_owned(),
        "2006" => "ペイジェントに該当する決済がありません。".to_owned(),
        "2007" => "オーソリまたはキャンセルの期限を過ぎています。".to_owned(),
        "2020" | "2021" | "2022" => "カード情報の有効期限が切れました。もう一度カード情報を入力してください。".to_owned(),
        "31007" => "3Dセキュア認証に失敗しました。別のカードをご利用ください。".to_owned(),
        _ => format!("ペイジェントがエラーを返しました({code}: {detail})。"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CODES: &[&str] = &[
        "", "10", "11", "12", "13", "14", "15", "16", "17", "20", "21", "22", "30", "31", "32",
        "33", "34", "35", "36", "37", "40", "41", "42", "43", "44", "50", "60", "61", "62",
    ];

    #[test]
    fn every_known_code_round_trips_and_has_a_label() {
        for code in CODES {
            let status = Status::parse(code);
            assert!(!matches!(status, Status::Unknown(_)), "{code}");
            assert_eq!(status.code(), *code);
            assert!(!status.label(Service::Card).starts_with("不明"), "{code}");
        }
    }

    #[test]
    fn an_unknown_code_is_pending_and_only_refreshable() {
        let status = Status::parse("99");
        assert_eq!(status.state(Service::Card), PaymentState::Pending);
        assert_eq!(
            status.allowed(Service::Card).operations,
            &[Operation::Refresh]
        );
        assert_eq!(status.label(Service::Card), "不明なステータス(99)");
    }

    #[test]
    fn the_manuals_card_flow_maps_to_states() {
        let s = |code| Status::parse(code).state(Service::Card);
        assert_eq!(s("10"), PaymentState::Pending);
        assert_eq!(s("20"), PaymentState::Authorized);
        assert_eq!(s("40"), PaymentState::Captured);
        assert_eq!(s("60"), PaymentState::Cancelled);
        assert_eq!(s("33"), PaymentState::Expired);
        assert_eq!(
            Status::parse("60").state(Service::Paidy),
            PaymentState::Refunded
        );
        assert_eq!(Status::parse("42").label(Service::Paidy), "返金要求中");
    }

    #[test]
    fn an_authorized_card_offers_capture_change_and_cancel_but_a_captured_one_no_capture() {
        let authorized = Status::Authorized.allowed(Service::Card).operations;
        assert!(
            authorized.contains(&Operation::Capture) && authorized.contains(&Operation::Cancel)
        );
        let captured = Status::Cleared.allowed(Service::Card).operations;
        assert!(
            !captured.contains(&Operation::Capture) && captured.contains(&Operation::ChangeAmount)
        );
        assert_eq!(
            Status::ClearedCancelExpired
                .allowed(Service::Card)
                .operations,
            &[Operation::Refresh],
            "41 cannot be cancelled"
        );
    }

    #[test]
    fn the_manuals_deferred_flows_map_to_states() {
        let s = |service, code| Status::parse(code).state(service);
        assert_eq!(Status::parse("").label(Service::Netbank), "申込中");
        assert_eq!(s(Service::Netbank, ""), PaymentState::Pending);
        assert_eq!(s(Service::Netbank, "10"), PaymentState::Pending);
        assert_eq!(s(Service::Netbank, "40"), PaymentState::Captured);
        assert_eq!(s(Service::Netbank, "15"), PaymentState::Pending);
        assert_eq!(s(Service::Card, "15"), PaymentState::Failed);
        assert_eq!(s(Service::Conv, "43"), PaymentState::Pending);
        assert_eq!(s(Service::Conv, "40"), PaymentState::Captured);
        assert_eq!(s(Service::Conv, "61"), PaymentState::Cancelled);
        assert_eq!(s(Service::Conv, "12"), PaymentState::Expired);
        assert_eq!(s(Service::Atm, "12"), PaymentState::Expired);
        assert_eq!(Status::parse("43").label(Service::Conv), "速報検知済");
        assert_eq!(Status::parse("61").label(Service::Conv), "速報取消済");
    }

    #[test]
    fn an_application_makes_an_order_only_for_payments_made_after_ordering() {
        assert!(Status::Applied.confirms_order(Service::Conv));
        assert!(Status::Applying.confirms_order(Service::Netbank));
        assert!(!Status::Applied.confirms_order(Service::Card));
        assert!(Status::Authorized.confirms_order(Service::Paidy));
        assert!(!Status::PaymentExpired.confirms_order(Service::Atm));
        assert!(!Status::AuthDeclined.confirms_order(Service::Card));
    }

    #[test]
    fn deferred_payments_never_offer_an_amount_change() {
        for service in [Service::Conv, Service::Atm, Service::Netbank] {
            for code in CODES {
                assert_eq!(
                    Status::parse(code).allowed(service).operations,
                    &[Operation::Refresh],
                    "{service:?} {code}"
                );
            }
        }
    }

    #[test]
    fn every_status_reachable_from_a_notification_is_a_legal_move_from_pending() {
        for code in CODES {
            for service in [
                Service::Card,
                Service::Conv,
                Service::Atm,
                Service::Netbank,
                Service::Paidy,
            ] {
                assert!(PaymentState::Pending.can_become(Status::parse(code).state(service)));
            }
        }
    }
}
