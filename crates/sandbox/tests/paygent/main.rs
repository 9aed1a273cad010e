//! The Paygent sandbox driven the way a merchant's server and a buyer's browser drive
//! Paygent: Shift_JIS form telegrams over HTTP, `key=value` / CSV answers read back as
//! CP932, UTF-8 3-D Secure telegrams, pushes to a real local listener, and the hosted pages
//! (specs/paygent.md).

#[path = "../common/wire.rs"]
mod common_wire;
mod link;
mod push;
mod services;
mod support;
mod telegrams;
mod threeds;
