//! The shop's vocabulary: money in integer yen, order and receipt statuses (対応状況,
//! 入金状況), the normalized payment state and the operations on a payment, carriers, and
//! validated input parsed at the boundary with errors that name the field, and whole numbers
//! as JSON writes them.

pub mod buyer;
pub mod card;
pub mod input;
pub mod money;
pub mod number;
pub mod order;
pub mod payment;

pub use money::Yen;
