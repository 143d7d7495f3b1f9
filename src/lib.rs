//! Reading Room: a bot for communities that read and argue about articles together.
pub mod article;
pub mod bot;
pub mod clock;
pub mod config;
pub mod eval;
pub mod metrics;
pub mod platform;
pub mod sources;
pub mod store;
