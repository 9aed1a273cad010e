//! The Kuroneko Web Collect (Yamato) connector. For now only its settings tab; operations arrive with its issue.

pub mod settings;
