//! The Kuroneko Web Collect (Yamato) connector. For now only its settings tab; operations
//! arrive with its issue.

pub mod settings;

/// Settlement kinds of which a shop may have only one payment method (the manual:
/// 「クロネコ Web コレクトの決済種別で複数の支払方法を登録することは出来ません。」).
pub const SINGLE_METHOD_KINDS: &[&str] = &["yamato_card"];
