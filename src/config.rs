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
    /// Discord, when `DISCORD_TOKEN` is set.
    pub discord: Option<DiscordConfig>,
    /// `READINGROOM_COMMAND_BURST` (default 6; 0 turns limits off): commands a user may send
    /// at once before the cooldown.
    pub command_burst: u32,
    /// `READINGROOM_COMMAND_REFILL_SECS` (default 3): how often a used command comes back.
    pub command_refill: Duration,
    /// `READINGROOM_METRICS_ADDR` (host:port): serve Prometheus metrics at `/metrics` there.
    pub metrics_addr: Option<std::net::SocketAddr>,
}

/// Discord settings (`DISCORD_*`).
#[derive(Debug, Clone)]
pub struct DiscordConfig {
    /// `DISCORD_TOKEN`: the bot token.
    pub token: SecretString,
    /// `DISCORD_GUILD_ID`: register commands in this guild only (instant; for testing).
    pub guild_id: Option<u64>,
    /// `DISCORD_API_BASE`: send every REST call and the gateway lookup to this server instead
    /// of Discord (tests and proxies; unset in production).
    pub api_base: Option<String>,
    /// `DISCORD_MODERATOR_ROLE`: a role id or name whose members moderate, besides members
    /// with Manage Messages.
    pub moderator_role: Option<String>,
    /// `DISCORD_PUBLIC_KEY` and `DISCORD_INTERACTIONS_ADDR`: receive interactions over HTTP.
    pub interactions: Option<InteractionsEndpoint>,
}

/// The HTTP interactions endpoint.
#[derive(Debug, Clone)]
pub struct InteractionsEndpoint {
    /// The application's public key (hex), to verify Discord's signatures.
    pub public_key: String,
    /// Where to listen, e.g. `127.0.0.1:8080`.
    pub addr: std::net::SocketAddr,
}

impl DiscordConfig {
    /// `None` when `DISCORD_TOKEN` is unset.
    pub fn from_env() -> anyhow::Result<Option<Self>> {
        let Some(token) = var("DISCORD_TOKEN") else {
            return Ok(None);
        };
        let guild_id = match var("DISCORD_GUILD_ID") {
            None => None,
            Some(id) => Some(id.parse().with_context(|| {
                format!("DISCORD_GUILD_ID must be a guild id (a number), got {id:?}")
            })?),
        };
        let interactions = match (var("DISCORD_PUBLIC_KEY"), var("DISCORD_INTERACTIONS_ADDR")) {
            (None, None) => None,
            (Some(public_key), Some(addr)) => {
                if public_key.len() != 64 || !public_key.chars().all(|c| c.is_ascii_hexdigit()) {
                    bail!("DISCORD_PUBLIC_KEY must be the application's public key: 64 hex digits");
                }
                let addr = addr.parse().with_context(|| {
                    format!("DISCORD_INTERACTIONS_ADDR must be host:port, got {addr:?}")
                })?;
                Some(InteractionsEndpoint { public_key, addr })
            }
            (Some(_), None) => {
                bail!("DISCORD_PUBLIC_KEY is set, so DISCORD_INTERACTIONS_ADDR is needed too")
            }
            (None, Some(_)) => {
                bail!("DISCORD_INTERACTIONS_ADDR is set, so DISCORD_PUBLIC_KEY is needed too")
            }
        };
        Ok(Some(Self {
            token: token.into(),
            guild_id,
            api_base: var("DISCORD_API_BASE"),
            moderator_role: var("DISCORD_MODERATOR_ROLE"),
            interactions,
        }))
    }
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
        let command_burst = number("READINGROOM_COMMAND_BURST", 6)?;
        let command_burst = u32::try_from(command_burst).with_context(|| {
            format!("READINGROOM_COMMAND_BURST must be 0 or more, got {command_burst}")
        })?;
        let refill = number("READINGROOM_COMMAND_REFILL_SECS", 3)?;
        if refill < 1 {
            bail!("READINGROOM_COMMAND_REFILL_SECS must be at least 1, got {refill}");
        }
        let metrics_addr = match var("READINGROOM_METRICS_ADDR") {
            None => None,
            Some(addr) => Some(addr.parse().with_context(|| {
                format!("READINGROOM_METRICS_ADDR must be host:port, got {addr:?}")
            })?),
        };
        Ok(Self {
            console_user,
            matrix: MatrixConfig::from_env()?,
            discord: DiscordConfig::from_env()?,
            command_burst,
            command_refill: Duration::from_secs(refill.unsigned_abs()),
            metrics_addr,
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
