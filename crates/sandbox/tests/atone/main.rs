//! The atone sandbox driven the way a shop's server, a buyer's browser (through the
//! widget's JSON calls) and a shop's webhook endpoint meet atone (specs/atone.md).

mod api;
mod support;
mod updates;
mod webhook;
mod widget;
