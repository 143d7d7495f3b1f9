//! Typed configuration from the environment (and `.env`). Errors name the variable at fault;
//! secrets are wrapped so they never reach a log line.

use std::env;

/// The bot's configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Who the console user is (`READINGROOM_CONSOLE_USER`, else `USER`, else `you`).
    pub console_user: String,
}

impl Config {
    /// Reads the configuration from the process environment.
    pub fn from_env() -> anyhow::Result<Self> {
        let console_user = non_empty("READINGROOM_CONSOLE_USER")
            .or_else(|| non_empty("USER"))
            .unwrap_or_else(|| "you".to_owned());
        Ok(Self { console_user })
    }
}

fn non_empty(name: &str) -> Option<String> {
    env::var(name)
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}
