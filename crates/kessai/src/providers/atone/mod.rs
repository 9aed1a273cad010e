//! The atone (deferred payment) connector. For now only its settings tab; operations arrive with its issue.

pub mod settings;
