//! The Remise sandbox driven the way a shop's pages, a buyer's browser and a shop's server
//! drive Remise: Shift_JIS forms in, Shift_JIS pages and posts out, notifications to a
//! real local shop (specs/remise.md).

mod card;
#[path = "../common/wire.rs"]
mod common_wire;
mod extset;
mod multi;
mod support;
