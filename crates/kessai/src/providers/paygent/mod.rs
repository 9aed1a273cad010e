//! The Paygent (ペイジェント) connector: its settings tab and its wire transport. Operations
//! (authorize, capture, cancel, amount change, inquiry) arrive with the payments-core issue.

pub mod client;
pub mod map;
pub mod settings;
pub mod tls;
pub mod wire;
