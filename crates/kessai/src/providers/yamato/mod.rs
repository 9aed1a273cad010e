//! The Kuroneko Web Collect (Yamato) connector. So far its settings tab, its wire format
//! ([`wire`]: function addresses, the `<return>` XML, check sums, the 送り状番号 rule) and its
//! 取引状況 ([`map`]); the checkout and the operations arrive with its issue, and until then
//! the registry connects no Yamato payments.

pub mod map;
pub mod settings;
pub mod wire;

/// Settlement kinds of which a shop may have only one payment method (the manual:
/// 「クロネコ Web コレクトの決済種別で複数の支払方法を登録することは出来ません。」).
pub const SINGLE_METHOD_KINDS: &[&str] = &["yamato_card"];
