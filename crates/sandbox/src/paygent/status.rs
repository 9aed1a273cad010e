//! Payment statuses (spec §10), which of them each method notifies, and which card
//! telegram each allows.
//!
//! Card transitions simulated: 020 → 20 (40 with `sales_mode=1`), → 10 on a 2003 input
//! error, → 11 on other declines; 021: 20 → 32; 022: 20 → 40; 023: 40 → 60; 028: 20 → new
//! 20 + old 32; 029: 40 → new 40 + old 60; 60 days after authorisation 20 → 33; 60 days
//! after capture 40 → 41; a cancel that timed out parks the payment in 31 / 42 and a retry
//! of the same telegram settles it. 025 with `valid_check_flg=1` leaves a payment in 22.
//! The other methods' transitions are described where they happen (`atm.rs`,
//! `konbini.rs`, `bank.rs`, `paidy.rs`, `testtool.rs`).

use super::store::PaymentType;

/// A payment's `payment_status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// 10 申込済: applied; a card payment left here by a 2003 input error may be retried.
    Applied,
    /// 11 オーソリNG.
    Declined,
    /// 12 支払期限切: an ATM or konbini payment not paid by its limit date.
    PaymentExpired,
    /// 15 申込中断: a bank net payment the buyer abandoned or the bank never confirmed.
    Aborted,
    /// 20 オーソリOK.
    Authorized,
    /// 22 有効性確認済: a stored card's validity check; never captured.
    ValidityChecked,
    /// 31 オーソリ取消中: an auth cancel timed out.
    CancelPending,
    /// 32 オーソリ取消済.
    AuthCancelled,
    /// 33 オーソリ期限切: 60 days without capture.
    AuthExpired,
    /// 40 消込済: captured.
    Captured,
    /// 41 消込済（売上取消期限切）: captured, no longer cancellable.
    CapturedFinal,
    /// 42 売上取消中: a sales cancel timed out.
    SalesCancelPending,
    /// 43 速報検知済: a konbini reported the buyer's payment, not yet settled.
    Preliminary,
    /// 60 売上取消済 (Paidy: refunded).
    SalesCancelled,
    /// 61 速報取消済: a konbini withdrew its preliminary report.
    PreliminaryCancelled,
}

impl Status {
    /// The two-digit wire code.
    pub fn code(self) -> &'static str {
        match self {
            Status::Applied => "10",
            Status::Declined => "11",
            Status::PaymentExpired => "12",
            Status::Aborted => "15",
            Status::Authorized => "20",
            Status::ValidityChecked => "22",
            Status::CancelPending => "31",
            Status::AuthCancelled => "32",
            Status::AuthExpired => "33",
            Status::Captured => "40",
            Status::CapturedFinal => "41",
            Status::SalesCancelPending => "42",
            Status::Preliminary => "43",
            Status::SalesCancelled => "60",
            Status::PreliminaryCancelled => "61",
        }
    }

    /// The status of a two-digit code, among those the sandbox simulates.
    pub fn parse(code: &str) -> Option<Status> {
        [
            Status::Applied,
            Status::Declined,
            Status::PaymentExpired,
            Status::Aborted,
            Status::Authorized,
            Status::ValidityChecked,
            Status::CancelPending,
            Status::AuthCancelled,
            Status::AuthExpired,
            Status::Captured,
            Status::CapturedFinal,
            Status::SalesCancelPending,
            Status::Preliminary,
            Status::SalesCancelled,
            Status::PreliminaryCancelled,
        ]
        .into_iter()
        .find(|s| s.code() == code)
    }

    /// The status's name in Paygent's back office (§10; Paidy's 42 is 返金要求中).
    pub fn label(self) -> &'static str {
        match self {
            Status::Applied => "申込済",
            Status::Declined => "オーソリNG",
            Status::PaymentExpired => "支払期限切",
            Status::Aborted => "申込中断",
            Status::Authorized => "オーソリOK",
            Status::ValidityChecked => "有効性確認済",
            Status::CancelPending => "オーソリ取消中",
            Status::AuthCancelled => "オーソリ取消済",
            Status::AuthExpired => "オーソリ期限切",
            Status::Captured => "消込済",
            Status::CapturedFinal => "消込済（売上取消期限切）",
            Status::SalesCancelPending => "売上取消中",
            Status::Preliminary => "速報検知済",
            Status::SalesCancelled => "売上取消済",
            Status::PreliminaryCancelled => "速報取消済",
        }
    }

    /// Whether entering this status makes a difference record for a payment of `kind` (●
    /// in the method's column of §10; ○ statuses exist but are not notified).
    pub fn notified(self, kind: PaymentType) -> bool {
        match kind {
            PaymentType::Card => matches!(
                self,
                Status::Applied
                    | Status::Declined
                    | Status::Authorized
                    | Status::AuthCancelled
                    | Status::AuthExpired
                    | Status::Captured
                    | Status::CapturedFinal
                    | Status::SalesCancelled
            ),
            PaymentType::Atm => matches!(self, Status::PaymentExpired | Status::Captured),
            PaymentType::Konbini => matches!(
                self,
                Status::Applied
                    | Status::PaymentExpired
                    | Status::Captured
                    | Status::Preliminary
                    | Status::PreliminaryCancelled
            ),
            PaymentType::Bank => matches!(self, Status::Aborted | Status::Captured),
            PaymentType::Paidy => matches!(
                self,
                Status::Authorized
                    | Status::AuthCancelled
                    | Status::AuthExpired
                    | Status::Captured
                    | Status::CapturedFinal
                    | Status::SalesCancelled
            ),
        }
    }
}

/// A telegram that acts on an existing card payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// 020 again with the payment_id of a payment left in 10.
    Retry,
    /// 021.
    AuthCancel,
    /// 022.
    Capture,
    /// 023.
    SalesCancel,
    /// 028.
    ReAuthorise,
    /// 029.
    ReCapture,
}

/// Whether `op` may run on a payment in `status`: 2004 for the wrong status, 2007 once the
/// authorisation or the cancel period has lapsed (CARD §1.2 via spec §6.2).
pub fn allow(op: Operation, status: Status) -> Result<(), super::refusal::Refusal> {
    use super::refusal::Refusal;
    use Operation as Op;
    let allowed = match status {
        Status::Applied => match op {
            Op::Retry => true,
            Op::AuthCancel | Op::Capture | Op::SalesCancel | Op::ReAuthorise | Op::ReCapture => {
                false
            }
        },
        Status::Authorized => match op {
            Op::AuthCancel | Op::Capture | Op::ReAuthorise => true,
            Op::Retry | Op::SalesCancel | Op::ReCapture => false,
        },
        Status::CancelPending => match op {
            Op::AuthCancel => true,
            Op::Retry | Op::Capture | Op::SalesCancel | Op::ReAuthorise | Op::ReCapture => false,
        },
        Status::Captured => match op {
            Op::SalesCancel | Op::ReCapture => true,
            Op::Retry | Op::AuthCancel | Op::Capture | Op::ReAuthorise => false,
        },
        Status::SalesCancelPending => match op {
            Op::SalesCancel => true,
            Op::Retry | Op::AuthCancel | Op::Capture | Op::ReAuthorise | Op::ReCapture => false,
        },
        Status::AuthExpired => match op {
            Op::AuthCancel | Op::Capture | Op::ReAuthorise => return Err(Refusal::expired()),
            Op::Retry | Op::SalesCancel | Op::ReCapture => false,
        },
        Status::CapturedFinal => match op {
            Op::SalesCancel | Op::ReCapture => return Err(Refusal::expired()),
            Op::Retry | Op::AuthCancel | Op::Capture | Op::ReAuthorise => false,
        },
        Status::Declined
        | Status::PaymentExpired
        | Status::Aborted
        | Status::ValidityChecked
        | Status::AuthCancelled
        | Status::Preliminary
        | Status::SalesCancelled
        | Status::PreliminaryCancelled => false,
    };
    if allowed {
        Ok(())
    } else {
        Err(Refusal::status())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capture_is_allowed_only_from_authorised() {
        assert!(allow(Operation::Capture, Status::Authorized).is_ok());
        assert_eq!(
            allow(Operation::Capture, Status::Captured)
                .unwrap_err()
                .code,
            "2004"
        );
        assert_eq!(
            allow(Operation::Capture, Status::AuthExpired)
                .unwrap_err()
                .code,
            "2007"
        );
    }

    #[test]
    fn sales_cancel_after_the_cancel_period_is_expired() {
        assert_eq!(
            allow(Operation::SalesCancel, Status::CapturedFinal)
                .unwrap_err()
                .code,
            "2007"
        );
        assert_eq!(
            allow(Operation::AuthCancel, Status::Captured)
                .unwrap_err()
                .code,
            "2004"
        );
    }
}
