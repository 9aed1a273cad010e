//! The Kuroneko Web Collect (Yamato) connector. So far its settings tab, its wire format
//! ([`wire`]: function addresses, the `<return>` XML, check sums, the 送り状番号 rule), its
//! 取引状況 ([`map`]), the API client ([`client`]: A06–A09, E01, E02, E04) and the B2 CSV
//! ([`b2`]: the file to print slips and the file of 送り状番号 B2 gives back); the checkout
//! and the operations arrive with its issue, and until then the registry connects no Yamato
//! payments.

pub mod b2;
pub mod client;
pub mod map;
pub mod settings;
pub mod wire;

/// Settlement kinds of which a shop may have only one payment method (the manual:
/// 「クロネコ Web コレクトの決済種別で複数の支払方法を登録することは出来ません。」).
pub const SINGLE_METHOD_KINDS: &[&str] = &["yamato_card"];
