//! B2 出荷データ取込: the file of 送り状番号 that the slip software B2 gives back
//! ([`providers::b2`]), applied row by row as the Welcart manual describes it — the order
//! becomes 配送会社名 クロネコヤマト with its 送り状番号 and 対応状況 発送済み, then its
//! payment is captured (売上確定) when it allows it.
//!
//! The whole file is read first: one that cannot be read (not Shift_JIS, a row of more
//! than 100 cells, no row to import) is one error and nothing is written. Then every row is
//! handled and reported, whatever became of the rows before it: an unknown 注文番号, a
//! 送り状番号 that breaks the carrier's rule and a provider's refusal are reported with their
//! line. The shipment is persisted before the capture is sent, so a crash or a refusal
//! leaves the order shipped and its capture offered on its page (and by importing the file
//! again). A row whose order already has that 送り状番号 and whose payment is captured is
//! 取込済み: importing a file twice captures nothing twice.

use crate::domain::order::OrderStatus;
use crate::domain::payment::{Operation, PaymentState};
use crate::payments::{OperationRequest, Payments, PaymentsError};
use crate::providers::b2;
use crate::store::{AuditNote, Payment, StoreError};

/// The audit action of a row's shipment.
const ACTION: &str = "B2 出荷データ取込";

/// One row of the file and what became of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportedRow {
    /// The line in the file (the header is line 1).
    pub line: usize,
    /// お客様管理番号 as the file has it.
    pub order_number: String,
    /// 伝票番号 as the file has it.
    pub slip_no: String,
    pub outcome: Outcome,
}

/// What one row did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Shipped and captured: the provider's status now.
    Captured { status: String },
    /// Shipped; its payment is not one to capture (why).
    Shipped { note: String },
    /// The order had this 送り状番号 already and its payment needs no capture: nothing done.
    Imported,
    /// Left as it is (why).
    Skipped { why: String },
    /// Not matched, a bad 送り状番号, a refused capture, or not saved (the message).
    Failed { message: String },
}

impl Outcome {
    /// 結果 as the results page and the command show it.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Captured { .. } => "売上確定",
            Self::Shipped { .. } => "発送済み",
            Self::Imported => "取込済み",
            Self::Skipped { .. } => "未処理",
            Self::Failed { .. } => "失敗",
        }
    }

    /// A short name of the kind of outcome (for styling and tests).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Captured { .. } => "captured",
            Self::Shipped { .. } => "shipped",
            Self::Imported => "imported",
            Self::Skipped { .. } => "skipped",
            Self::Failed { .. } => "failed",
        }
    }

    /// 内容: what happened, in the operator's words.
    pub fn detail(&self) -> String {
        match self {
            Self::Captured { status } => {
                format!("発送済みにして売上確定しました(決済状況: {status})。")
            }
            Self::Shipped { note } => note.clone(),
            Self::Imported => {
                "この送り状番号は取込済みです。売上確定済みのため何もしません。".to_owned()
            }
            Self::Skipped { why } => why.clone(),
            Self::Failed { message } => message.clone(),
        }
    }

    /// Whether the row failed.
    pub fn is_failure(&self) -> bool {
        matches!(self, Self::Failed { .. })
    }
}

/// How many rows ended each way.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub captured: usize,
    pub shipped: usize,
    pub imported: usize,
    pub skipped: usize,
    pub failed: usize,
}

impl Summary {
    /// The counts of `rows`.
    pub fn of(rows: &[ImportedRow]) -> Summary {
        let mut s = Summary::default();
        for row in rows {
            match row.outcome {
                Outcome::Captured { .. } => s.captured += 1,
                Outcome::Shipped { .. } => s.shipped += 1,
                Outcome::Imported => s.imported += 1,
                Outcome::Skipped { .. } => s.skipped += 1,
                Outcome::Failed { .. } => s.failed += 1,
            }
        }
        s
    }

    /// Every row counted.
    pub fn total(&self) -> usize {
        self.captured + self.shipped + self.imported + self.skipped + self.failed
    }

    /// One line for the operator.
    pub fn message(&self) -> String {
        format!(
            "B2 出荷データを{}行取り込みました(売上確定 {}件、発送済み {}件、取込済み {}件、未処理 {}件、失敗 {}件)。",
            self.total(),
            self.captured,
            self.shipped,
            self.imported,
            self.skipped,
            self.failed
        )
    }
}

/// A file that cannot be imported at all (nothing was written).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Unreadable(pub String);

impl Payments {
    /// B2 出荷データ取込 of `file` by `actor`: every row's order shipped with its 送り状番号
    /// and its payment captured, one row after the other; `progress` hears (rows done, rows
    /// in all) after each. Storage failures are reported on their row, and the run goes on.
    #[tracing::instrument(skip_all, fields(actor, rows))]
    pub async fn import_b2(
        &self,
        file: &[u8],
        actor: &str,
        mut progress: impl FnMut(usize, usize),
    ) -> Result<Vec<ImportedRow>, Unreadable> {
        let issued = b2::import(file).map_err(Unreadable)?;
        if issued.is_empty() {
            return Err(Unreadable(
                "B2のファイルに取り込める行がありません(お客様管理番号が数字の行が必要です)。"
                    .to_owned(),
            ));
        }
        tracing::Span::current().record("rows", issued.len());
        let mut rows = Vec::with_capacity(issued.len());
        for row in &issued {
            let outcome = match self.import_row(row, actor).await {
                Ok(outcome) => outcome,
                Err(e) => {
                    tracing::error!(line = row.line, error = %e, "a B2 row was not saved");
                    Outcome::Failed {
                        message: "保存できませんでした(データベースのエラー)。もう一度取り込んでください。".to_owned(),
                    }
                }
            };
            rows.push(ImportedRow {
                line: row.line,
                order_number: row.order_number.clone(),
                slip_no: row.slip_no.clone(),
                outcome,
            });
            progress(rows.len(), issued.len());
        }
        Ok(rows)
    }

    /// One row: match, check, record the shipment, then capture.
    async fn import_row(&self, row: &b2::Issued, actor: &str) -> Result<Outcome, StoreError> {
        let number = row.order_number.trim();
        let Some(order) = self.store.order_by_number(number).await? else {
            return Ok(Outcome::Failed {
                message: format!("注文番号 {number} の受注がありません。"),
            });
        };
        if let Err(message) = b2::check_slip(&row.slip_no) {
            return Ok(Outcome::Failed { message });
        }
        let slip = row.slip_no.trim();
        if order.order_status == OrderStatus::Cancelled.as_str() {
            return Ok(Outcome::Skipped {
                why: "対応状況が「キャンセル」の受注です。発送済みにはしません。".to_owned(),
            });
        }
        let payment = self.store.checkout_payment(order.id).await?;
        let capturable = match &payment {
            Some(p) => self.capabilities(p).await?.allows(Operation::Capture),
            None => false,
        };
        let carrier = b2::CARRIER.as_str();
        let recorded_slip = order.tracking_number.as_deref().unwrap_or("").trim();
        let recorded = order.carrier == carrier
            && recorded_slip == slip
            && order.order_status == OrderStatus::Shipped.as_str();
        let captured = payment
            .as_ref()
            .is_some_and(|p| p.state() == PaymentState::Captured);
        if !capturable && recorded {
            return Ok(Outcome::Imported);
        }
        if !capturable && captured && !recorded_slip.is_empty() && recorded_slip != slip {
            // The provider has the number it was captured with; a new one here would not
            // reach it (the manual: change it in the provider's back office too).
            return Ok(Outcome::Skipped {
                why: format!(
                    "売上確定済みの受注です(送り状番号 {recorded_slip})。送り状番号を変更する場合は、受注データ編集とヤマトの管理画面で変更してください。"
                ),
            });
        }
        if !recorded {
            let target = format!("order:{}", order.id);
            let detail = format!("{} 送り状番号 {slip}", order.order_number);
            let audit = AuditNote {
                actor,
                action: ACTION,
                target: &target,
                detail: &detail,
            };
            let shipped = OrderStatus::Shipped.as_str();
            let now = self.clock.now();
            self.store
                .set_order_shipment(order.id, carrier, slip, shipped, &audit, now)
                .await?;
        }
        let payment = match payment {
            Some(p) if capturable => p,
            other => {
                return Ok(Outcome::Shipped {
                    note: not_captured(other.as_ref()),
                })
            }
        };
        // The order as the shipment just saved made it.
        let shipped_order = self
            .store
            .order(order.id)
            .await?
            .ok_or(StoreError::NotFound("order"))?;
        if let Err(message) = self.capture_check(&payment, &shipped_order).await? {
            return Ok(Outcome::Failed { message });
        }
        let request = OperationRequest::new(Operation::Capture, actor);
        match self.perform(payment.id, &request).await {
            Ok(p) => Ok(Outcome::Captured {
                status: p.provider_status_label.unwrap_or_default(),
            }),
            Err(PaymentsError::Store(e)) => Err(e),
            Err(e) => Ok(Outcome::Failed {
                message: format!("発送済みにしましたが、売上確定できませんでした: {e}"),
            }),
        }
    }
}

/// Why a shipped order's payment was not captured.
fn not_captured(payment: Option<&Payment>) -> String {
    match payment {
        None => "発送済みにしました。この受注に決済はありません。".to_owned(),
        Some(p) if p.state() == PaymentState::Captured => {
            "発送済みにしました。決済は売上確定済みです。".to_owned()
        }
        Some(p) => match p.provider_status_label.as_deref() {
            Some(status) => {
                format!("発送済みにしました。決済状況が「{status}」のため売上確定は行いません。")
            }
            None => "発送済みにしました。決済は売上確定できる状態ではありません。".to_owned(),
        },
    }
}
