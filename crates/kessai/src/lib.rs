//! kessai: a payment-operations server for Japanese e-commerce.
//!
//! The crate is organised by domain: `domain` (money, statuses, validated input),
//! `providers` (one folder per payment provider), `settings` (shop and provider settings),
//! `jobs` (durable background work), `mail` (the outbox and its mails), `backup` (backup and
//! restore of an instance), `store` (SQLite/PostgreSQL storage), `http` (admin
//! console, API and health endpoints), `failpoint` (test-only crash points) and `app`
//! (wiring and lifecycle).

pub mod app;
pub mod b2_cli;
pub mod backup;
pub mod bench;
pub mod checkout;
pub mod clock;
pub mod config;
pub mod demo;
pub mod domain;
pub mod failpoint;
pub mod http;
pub mod jobs;
pub mod mail;
pub mod members;
pub mod payments;
pub mod providers;
pub mod sandbox_server;
pub mod secrets;
pub mod settings;
pub mod store;
pub mod templates;

pub use app::App;
pub use config::Config;
