//! The Remise (ルミーズ) connector. For now only its settings tab; operations arrive with its issue.

pub mod settings;
