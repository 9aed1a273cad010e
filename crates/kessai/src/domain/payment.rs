//! The provider-independent view of a payment: its normalized state, the operations an
//! operator or the system performs on it, and which state changes are possible.
//!
//! Each provider keeps its own status code and label beside this state; its connector maps
//! codes to a [`PaymentState`] with an exhaustive match, and an unknown code maps to
//! `Pending`, to be settled by a status inquiry rather than guessed.

use std::fmt;

/// Normalized payment state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentState {
    /// Handed to the provider (or its answer is unknown); waiting for a result.
    Pending,
    /// Authorized (オーソリ / 与信 / 仮売上), not yet captured.
    Authorized,
    /// Captured (売上確定), or paid for deferred methods.
    Captured,
    /// Cancelled before capture, or a capture that was cancelled.
    Cancelled,
    /// Captured and then refunded in full.
    Refunded,
    /// The payment deadline passed or the authorization lapsed.
    Expired,
    /// The provider refused it.
    Failed,
}

impl PaymentState {
    /// Every state.
    pub const ALL: [PaymentState; 7] = [
        Self::Pending,
        Self::Authorized,
        Self::Captured,
        Self::Cancelled,
        Self::Refunded,
        Self::Expired,
        Self::Failed,
    ];

    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Authorized => "authorized",
            Self::Captured => "captured",
            Self::Cancelled => "cancelled",
            Self::Refunded => "refunded",
            Self::Expired => "expired",
            Self::Failed => "failed",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Whether nothing more can happen to the payment.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Self::Cancelled | Self::Refunded | Self::Expired | Self::Failed
        )
    }

    /// Whether a provider report may move a payment from `self` to `next`. Reports can
    /// arrive late or twice, so staying put is always allowed, and a final state is never
    /// left (a late "authorized" must not resurrect a cancelled payment).
    pub fn can_become(self, next: PaymentState) -> bool {
        use PaymentState::*;
        if self == next {
            return true;
        }
        match self {
            Pending => true,
            Authorized => matches!(next, Captured | Cancelled | Expired | Failed),
            Captured => matches!(next, Cancelled | Refunded),
            Cancelled | Refunded | Expired | Failed => false,
        }
    }
}

impl fmt::Display for PaymentState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a payment came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PaymentOrigin {
    /// A buyer's checkout: its trading id is the checkout's link key, and its order is
    /// created from the pre-payment log.
    Checkout,
    /// A charge kessai made itself on a kept card, under a trading id of its own.
    Charge,
}

impl PaymentOrigin {
    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Checkout => "checkout",
            Self::Charge => "charge",
        }
    }
}

/// Something done to a payment at the provider; the 処理区分 of the history table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    /// オーソリ (authorization, possibly with capture)
    Authorize,
    /// 売上処理
    Capture,
    /// 金額変更
    ChangeAmount,
    /// キャンセル処理
    Cancel,
    /// 返金処理
    Refund,
    /// 状態更新
    Refresh,
}

impl Operation {
    /// Every operation.
    pub const ALL: [Operation; 6] = [
        Self::Authorize,
        Self::Capture,
        Self::ChangeAmount,
        Self::Cancel,
        Self::Refund,
        Self::Refresh,
    ];

    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Authorize => "authorize",
            Self::Capture => "capture",
            Self::ChangeAmount => "change_amount",
            Self::Cancel => "cancel",
            Self::Refund => "refund",
            Self::Refresh => "refresh",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|op| op.as_str() == s)
    }

    /// The admin's button label.
    pub fn label(self) -> &'static str {
        match self {
            Self::Authorize => "オーソリ",
            Self::Capture => "売上処理",
            Self::ChangeAmount => "金額変更",
            Self::Cancel => "キャンセル処理",
            Self::Refund => "返金処理",
            Self::Refresh => "状態更新",
        }
    }
}

/// The result of an operation row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OperationOutcome {
    /// Written before the provider call; the answer is not known yet.
    Pending,
    /// The provider accepted it.
    Succeeded,
    /// The provider refused it.
    Failed,
    /// No answer came and the provider has no status inquiry: the operator checks the
    /// provider's own screen (要確認).
    Unconfirmed,
}

impl OperationOutcome {
    /// Every outcome.
    pub const ALL: [OperationOutcome; 4] = [
        Self::Pending,
        Self::Succeeded,
        Self::Failed,
        Self::Unconfirmed,
    ];

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.as_str() == s)
    }

    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Unconfirmed => "unconfirmed",
        }
    }

    /// The admin's word for it (処理結果).
    pub fn label(self) -> &'static str {
        match self {
            Self::Pending => "処理中",
            Self::Succeeded => "正常終了",
            Self::Failed => "エラー",
            Self::Unconfirmed => "要確認",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn state() -> impl Strategy<Value = PaymentState> {
        proptest::sample::select(PaymentState::ALL.to_vec())
    }

    proptest! {
        #[test]
        fn final_states_are_never_left(from in state(), to in state()) {
            if from.is_final() && from != to {
                prop_assert!(!from.can_become(to));
            }
        }

        #[test]
        fn repeating_a_report_is_always_allowed(s in state()) {
            prop_assert!(s.can_become(s));
        }
    }

    #[test]
    fn a_late_authorization_cannot_undo_a_capture() {
        assert!(!PaymentState::Captured.can_become(PaymentState::Authorized));
        assert!(PaymentState::Authorized.can_become(PaymentState::Captured));
    }

    #[test]
    fn stored_forms_round_trip() {
        for s in PaymentState::ALL {
            assert_eq!(PaymentState::parse(s.as_str()), Some(s));
        }
        for op in Operation::ALL {
            assert_eq!(Operation::parse(op.as_str()), Some(op));
        }
    }
}
