//! The Kuroneko Web Collect sandbox driven the way a shop's server (UTF-8 forms, XML
//! answers), a buyer's browser (the token JS's endpoint, the ACS pages) and an operator
//! (the back office) meet it (specs/yamato.md).

// Shared with the other suites; this one writes forms and reads pages, never decodes forms.
#[allow(dead_code)]
#[path = "../common/wire.rs"]
mod common_wire;

mod cards;
mod credit;
mod pages;
mod shipping;
mod support;
mod threeds;
