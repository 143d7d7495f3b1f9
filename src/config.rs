//! Typed configuration from the environment (and `.env`). Errors name the variable at fault;
//! secrets are wrapped so they never reach a log line.

use std::env;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, bail};
use secrecy::SecretString;

/// The bot's configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Who the console user is (`READINGROOM_CONSOLE_USER`, else `USER`, else `you`).
    pub console_user: String,
    /// Matrix, when `MATRIX_HOMESERVER` is set.
    pub matrix: Option<MatrixConfig>,
}

/// How the bot logs in to Matrix.
#[derive(Debug, Clone)]
pub enum MatrixAuth {
    /// `MATRIX_PASSWORD`: log in once, then reuse the saved session.
    Password(SecretString),
    /// `MATRIX_ACCESS_TOKEN`: an existing session's token.
    AccessToken(SecretString),
}

/// Matrix settings (`MATRIX_*`).
#[derive(Debug, Clone)]
pub struct MatrixConfig {
    /// `MATRIX_HOMESERVER`, e.g. `https://matrix.example.org`.
    pub homeserver: String,
    /// `MATRIX_USER`: the bot's user id (`@readingroom:example.org`) or localpart.
    pub user: String,
    /// `MATRIX_PASSWORD` or `MATRIX_ACCESS_TOKEN`.
    pub auth: MatrixAuth,
    /// `MATRIX_STORE_DIR` (default `./matrix-store`): session and crypto store.
    pub store_dir: PathBuf,
    /// `MATRIX_STORE_PASSPHRASE`: encrypts the crypto store, if set.
    pub store_passphrase: Option<SecretString>,
    /// `MATRIX_COMMAND_PREFIX` (default `!`).
    pub prefix: String,
    /// `MATRIX_MODERATOR_LEVEL` (default 50): the power level that may pin and unpin.
    pub moderator_level: i64,
    /// `MATRIX_ALLOWED_SERVERS`: comma-separated servers whose users may invite the bot.
    pub allowed_servers: Vec<String>,
    /// `MATRIX_ALLOWED_USERS`: comma-separated user ids who may invite the bot.
    pub allowed_users: Vec<String>,
    /// `MATRIX_MAX_COMMAND_AGE` in seconds (default 3600): older commands (sent while the bot was
    /// down) are recorded but not answered.
    pub max_command_age: Duration,
}

impl Config {
    /// Reads the configuration from the process environment.
    pub fn from_env() -> anyhow::Result<Self> {
        let console_user = var("READINGROOM_CONSOLE_USER")
            .or_else(|| var("USER"))
            .unwrap_or_else(|| "you".to_owned());
        Ok(Self {
            console_user,
            matrix: MatrixConfig::from_env()?,
        })
    }
}

impl MatrixConfig {
    /// `None` when `MATRIX_HOMESERVER` is unset; an error naming the variable when the rest is
    /// incomplete or malformed.
    pub fn from_env() -> anyhow::Result<Option<Self>> {
        let Some(homeserver) = var("MATRIX_HOMESERVER") else {
            return Ok(None);
        };
        if !(homeserver.starts_with("https://") || homeserver.starts_with("http://")) {
            bail!("MATRIX_HOMESERVER must be an http(s) URL, got {homeserver:?}");
        }
        let user =
            var("MATRIX_USER").context("MATRIX_HOMESERVER is set, so MATRIX_USER is needed too")?;
        let auth = match (var("MATRIX_PASSWORD"), var("MATRIX_ACCESS_TOKEN")) {
            (Some(password), None) => MatrixAuth::Password(password.into()),
            (None, Some(token)) => MatrixAuth::AccessToken(token.into()),
            (Some(_), Some(_)) => bail!("set MATRIX_PASSWORD or MATRIX_ACCESS_TOKEN, not both"),
            (None, None) => bail!(
                "MATRIX_HOMESERVER is set, so MATRIX_PASSWORD or MATRIX_ACCESS_TOKEN is needed too"
            ),
        };
        Ok(Some(Self {
            homeserver,
            user,
            auth,
            store_dir: var("MATRIX_STORE_DIR")
                .map_or_else(|| PathBuf::from("matrix-store"), PathBuf::from),
            store_passphrase: var("MATRIX_STORE_PASSPHRASE").map(SecretString::from),
            prefix: var("MATRIX_COMMAND_PREFIX").unwrap_or_else(|| "!".to_owned()),
            moderator_level: number("MATRIX_MODERATOR_LEVEL", 50)?,
            allowed_servers: list("MATRIX_ALLOWED_SERVERS"),
            allowed_users: list("MATRIX_ALLOWED_USERS"),
            max_command_age: Duration::from_secs(
                number("MATRIX_MAX_COMMAND_AGE", 3600)?.max(0) as u64
            ),
        }))
    }
}

fn var(name: &str) -> Option<String> {
    env::var(name)
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

fn number(name: &str, default: i64) -> anyhow::Result<i64> {
    match var(name) {
        None => Ok(default),
        Some(value) => value
            .parse()
            .with_context(|| format!("{name} must be a whole number, got {value:?}")),
    }
}

fn list(name: &str) -> Vec<String> {
    var(name)
        .map(|v| {
            v.split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default()
}
