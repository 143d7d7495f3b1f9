//! Platform adapters: each turns its platform's events into bot-core calls and renders the
//! core's replies natively. Only these modules import a platform crate.

pub mod console;
pub mod discord;
pub mod matrix;
pub mod plain;
