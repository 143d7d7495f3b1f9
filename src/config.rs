//! The bot's configuration: [`Settings`], every setting with its environment variable and its
//! command-line flag (`readingroom run --help` lists them), and [`Config`], the checked form the
//! platforms use. Errors name the variable at fault; secrets are wrapped so they never reach a
//! log line, a `Debug` print or `--help`.

use std::ffi::{OsStr, OsString};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::bail;
use clap::builder::TypedValueParser;
use clap::error::ErrorKind;
use clap::{Arg, Command, Parser};
use secrecy::SecretString;

/// Every setting, from the command line or else the environment (and `.env`).
#[derive(Debug, Parser)]
pub struct Settings {
    /// Name of the console user.
    #[arg(long, env = "READINGROOM_CONSOLE_USER", value_parser = Checked(text), default_value_t = login_name())]
    console_user: String,
    /// The community the console chat stands for (`console`; another name simulates a second
    /// server, with a shelf, discussions and pins of its own).
    #[arg(long, env = "READINGROOM_CONSOLE_COMMUNITY", value_parser = Checked(text), default_value = "console")]
    console_community: String,
    /// Commands a user may send at once before the cooldown (0 turns limits off).
    #[arg(long, env = "READINGROOM_COMMAND_BURST", value_parser = Checked(count), default_value = "6")]
    command_burst: u32,
    /// Seconds until a used command comes back.
    #[arg(long, env = "READINGROOM_COMMAND_REFILL_SECS", value_parser = Checked(refill), default_value = "3")]
    command_refill_secs: Duration,
    /// Feeds one community's channels may follow.
    #[arg(long, env = "READINGROOM_MAX_FEEDS", value_parser = Checked(count), default_value = "50")]
    max_feeds: u32,
    /// Pages one community (moderators too) may ingest per hour.
    #[arg(long, env = "READINGROOM_INGESTS_PER_HOUR", value_parser = Checked(count), default_value = "60")]
    ingests_per_hour: u32,
    /// Discussions one community's channels may hold.
    #[arg(long, env = "READINGROOM_MAX_DISCUSSIONS", value_parser = Checked(count), default_value = "1000")]
    max_discussions: u32,
    /// Days a community's data is kept after the bot is removed from it (0: deleted at once).
    #[arg(long, env = "READINGROOM_PURGE_AFTER_DAYS", value_parser = Checked(count), default_value = "30")]
    purge_after_days: u32,
    /// Internal hosts that chat commands and feeds may fetch from anyway (host or host:port,
    /// comma-separated); everything else must be on the public internet.
    #[arg(long, env = "READINGROOM_FETCH_ALLOW", value_parser = Checked(text), value_delimiter = ',')]
    fetch_allow: Vec<String>,
    /// Days back a catch-up after a restart looks: threads active within them are read for
    /// what was said, edited or deleted while the bot was away (0 turns catch-up off).
    #[arg(long, env = "READINGROOM_CATCHUP_DAYS", value_parser = Checked(count), default_value = "7")]
    catchup_days: u32,
    /// Pages of history one catch-up may fetch (Discord: REST pages per start over all guilds;
    /// Matrix: /messages pages per room); beyond them it stops and says it was cut short.
    #[arg(long, env = "READINGROOM_CATCHUP_PAGES", value_parser = Checked(at_least_one), default_value = "1000")]
    catchup_pages: u32,
    /// Serve Prometheus metrics at /metrics on this host:port.
    #[arg(long, env = "READINGROOM_METRICS_ADDR", value_parser = Checked(host_port))]
    metrics_addr: Option<SocketAddr>,
    /// Serve the web reader (communities that chose `/web on`) on this host:port.
    #[arg(long, env = "READINGROOM_WEB_ADDR", value_parser = Checked(host_port))]
    web_addr: Option<SocketAddr>,
    /// The address readers reach the web reader at (`https://rr.example.org`), for the links
    /// the bot posts in chat.
    #[arg(long, env = "READINGROOM_PUBLIC_URL", value_parser = Checked(public_url))]
    public_url: Option<String>,
    /// Seconds a process's claim on shared work (a digest, a feed poll, a post, the Matrix
    /// connection) lasts unless renewed; a crashed process's work is taken over after it.
    #[arg(long, env = "READINGROOM_LEASE_SECS", value_parser = Checked(refill), default_value = "60")]
    lease_secs: Duration,
    /// Seconds between the digest scheduler's and the feed poller's passes (unset: 30 and 60).
    #[arg(long, env = "READINGROOM_TICK_SECS", value_parser = Checked(refill))]
    tick_secs: Option<Duration>,

    /// Discord bot token; Discord runs when it is set.
    #[arg(long, env = "DISCORD_TOKEN", value_parser = Checked(secret), hide_env_values = true)]
    discord_token: Option<SecretString>,
    /// The shards this process runs, `FIRST-LAST` (inclusive) or one number; other processes
    /// run the others (unset: every shard).
    #[arg(long, env = "DISCORD_SHARDS", value_parser = Checked(shard_range))]
    discord_shards: Option<(u32, u32)>,
    /// The bot's total shard count (unset: Discord's recommended count).
    #[arg(long, env = "DISCORD_SHARD_TOTAL", value_parser = Checked(shard_total))]
    discord_shard_total: Option<u32>,
    /// Register commands in this guild only (instant; for testing).
    #[arg(long, env = "DISCORD_GUILD_ID", value_parser = Checked(guild_id))]
    discord_guild_id: Option<u64>,
    /// Send every REST call and the gateway lookup to this server instead of Discord (tests).
    #[arg(long, env = "DISCORD_API_BASE", value_parser = Checked(text))]
    discord_api_base: Option<String>,
    /// Members of this role (id or name) moderate, besides members with Manage Messages.
    #[arg(long, env = "DISCORD_MODERATOR_ROLE", value_parser = Checked(text))]
    discord_moderator_role: Option<String>,
    /// The application's public key, to receive interactions over HTTP too.
    #[arg(long, env = "DISCORD_PUBLIC_KEY", value_parser = Checked(public_key))]
    discord_public_key: Option<String>,
    /// Where the HTTP interactions endpoint listens (host:port).
    #[arg(long, env = "DISCORD_INTERACTIONS_ADDR", value_parser = Checked(host_port))]
    discord_interactions_addr: Option<SocketAddr>,

    /// Matrix homeserver URL; Matrix runs when it is set.
    #[arg(long, env = "MATRIX_HOMESERVER", value_parser = Checked(http_url))]
    matrix_homeserver: Option<String>,
    /// The bot's Matrix user id or localpart.
    #[arg(long, env = "MATRIX_USER", value_parser = Checked(text))]
    matrix_user: Option<String>,
    /// Log in with this password once, then reuse the saved session.
    #[arg(long, env = "MATRIX_PASSWORD", value_parser = Checked(secret), hide_env_values = true)]
    matrix_password: Option<SecretString>,
    /// ...or use an existing session's token.
    #[arg(long, env = "MATRIX_ACCESS_TOKEN", value_parser = Checked(secret), hide_env_values = true)]
    matrix_access_token: Option<SecretString>,
    /// Where the session and the encryption keys are kept between restarts.
    #[arg(long, env = "MATRIX_STORE_DIR", value_parser = Checked(path), default_value = "matrix-store")]
    matrix_store_dir: PathBuf,
    /// Encrypts the store of encryption keys.
    #[arg(long, env = "MATRIX_STORE_PASSPHRASE", value_parser = Checked(secret), hide_env_values = true)]
    matrix_store_passphrase: Option<SecretString>,
    /// What Matrix commands start with.
    #[arg(long, env = "MATRIX_COMMAND_PREFIX", value_parser = Checked(text), default_value = "!")]
    matrix_command_prefix: String,
    /// The power level that may pin and change the digest.
    #[arg(long, env = "MATRIX_MODERATOR_LEVEL", value_parser = Checked(whole), default_value = "50", allow_negative_numbers = true)]
    matrix_moderator_level: i64,
    /// Accept invites only from users of these servers (comma-separated; `*`: anyone). With
    /// neither this nor --matrix-allowed-users, only the bot's own homeserver may invite it.
    #[arg(long, env = "MATRIX_ALLOWED_SERVERS", value_parser = Checked(text), value_delimiter = ',')]
    matrix_allowed_servers: Vec<String>,
    /// Accept invites only from these users (comma-separated; `*`: anyone), besides the
    /// allowed servers' users.
    #[arg(long, env = "MATRIX_ALLOWED_USERS", value_parser = Checked(text), value_delimiter = ',')]
    matrix_allowed_users: Vec<String>,
    /// Seconds after which a command (e.g. sent while the bot was down) is no longer answered.
    #[arg(long, env = "MATRIX_MAX_COMMAND_AGE", value_parser = Checked(age), default_value = "3600", allow_negative_numbers = true)]
    matrix_max_command_age: Duration,
    /// Seconds an encrypted event waits for its room key before the bot gives up on it.
    #[arg(long, env = "MATRIX_KEY_WAIT", value_parser = Checked(age), default_value = "600", allow_negative_numbers = true)]
    matrix_key_wait: Duration,
}

/// The bot's configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Who the console user is.
    pub console_user: String,
    /// The community the console stands for.
    pub console_community: String,
    /// Where chat-triggered fetches may go: the public internet and these hosts.
    pub fetch_allow: Vec<crate::sources::reach::Allowed>,
    /// What one community may take, and how long its data outlives the bot's removal.
    pub community_limits: crate::bot::CommunityLimits,
    /// Matrix, when a homeserver is set.
    pub matrix: Option<MatrixConfig>,
    /// Discord, when a token is set.
    pub discord: Option<DiscordConfig>,
    /// Commands a user may send at once before the cooldown (0: no limit).
    pub command_burst: u32,
    /// How often a used command comes back.
    pub command_refill: Duration,
    /// Serve Prometheus metrics at `/metrics` there.
    pub metrics_addr: Option<SocketAddr>,
    /// How far back, and how much, a catch-up reads.
    pub catch_up: CatchUpLimits,
    /// Serve the web reader there.
    pub web_addr: Option<SocketAddr>,
    /// Where readers reach the web reader, without a trailing slash.
    pub public_url: Option<String>,
    /// How long this process's claims on shared work last unless renewed.
    pub lease: Duration,
    /// Time between scheduler passes, when not the defaults.
    pub tick: Option<Duration>,
}

/// How far back, and how much, a catch-up reads after the bot was away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CatchUpLimits {
    /// Threads active within this many days are read; 0 turns catch-up off.
    pub days: u32,
    /// Pages of history one catch-up may fetch (Discord: per start; Matrix: per room).
    pub pages: u32,
}

impl Default for CatchUpLimits {
    fn default() -> Self {
        Self {
            days: 7,
            pages: 1000,
        }
    }
}

/// Discord settings.
#[derive(Debug, Clone)]
pub struct DiscordConfig {
    /// The bot token.
    pub token: SecretString,
    /// Register commands in this guild only (instant; for testing).
    pub guild_id: Option<u64>,
    /// Send every REST call and the gateway lookup to this server instead of Discord (tests and
    /// proxies; unset in production).
    pub api_base: Option<String>,
    /// A role id or name whose members moderate, besides members with Manage Messages.
    pub moderator_role: Option<String>,
    /// Receive interactions over HTTP too.
    pub interactions: Option<InteractionsEndpoint>,
    /// What a new gateway session catches up on.
    pub catch_up: CatchUpLimits,
    /// The shards this process runs (first, last, inclusive) of how many in all; `None`: all.
    pub shards: Option<Shards>,
}

/// A process's share of the bot's Discord shards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shards {
    /// The first shard this process runs.
    pub first: u32,
    /// The last (inclusive).
    pub last: u32,
    /// How many shards the bot has; `None`: Discord's recommended count.
    pub total: Option<u32>,
}

/// The HTTP interactions endpoint.
#[derive(Debug, Clone)]
pub struct InteractionsEndpoint {
    /// The application's public key (hex), to verify Discord's signatures.
    pub public_key: String,
    /// Where to listen, e.g. `127.0.0.1:8080`.
    pub addr: SocketAddr,
}

/// How the bot logs in to Matrix.
#[derive(Debug, Clone)]
pub enum MatrixAuth {
    /// Log in once, then reuse the saved session.
    Password(SecretString),
    /// An existing session's token.
    AccessToken(SecretString),
}

/// Matrix settings.
#[derive(Debug, Clone)]
pub struct MatrixConfig {
    /// E.g. `https://matrix.example.org`.
    pub homeserver: String,
    /// The bot's user id (`@readingroom:example.org`) or localpart.
    pub user: String,
    /// Password or access token.
    pub auth: MatrixAuth,
    /// Session and crypto store.
    pub store_dir: PathBuf,
    /// Encrypts the crypto store, if set.
    pub store_passphrase: Option<SecretString>,
    /// What commands start with, e.g. `!`.
    pub prefix: String,
    /// The power level that may pin and unpin.
    pub moderator_level: i64,
    /// Servers whose users may invite the bot; `*` for any. When this and `allowed_users` are
    /// both empty, only the bot's own homeserver may (a stranger's room is not let in unasked).
    pub allowed_servers: Vec<String>,
    /// User ids who may invite the bot, besides the allowed servers' users; `*` for anyone.
    pub allowed_users: Vec<String>,
    /// Older commands (sent while the bot was down) are recorded but not answered.
    pub max_command_age: Duration,
    /// How long an encrypted event waits for its room key before it is given up.
    pub key_wait: Duration,
    /// How far back, and how many pages per room, a catch-up after a limited sync reads.
    pub catch_up: CatchUpLimits,
}

impl Settings {
    /// The settings from the environment alone, for `readingroom` without a subcommand; exits
    /// with the message on a malformed value, as parsing the command line does.
    pub fn from_env() -> Self {
        parse(["readingroom"])
    }
}

/// Parses the command line (`args`, the program first) and the environment into `P`, exiting
/// with clap's message on an error, like [`Parser::parse_from`].
pub fn parse<P: Parser>(args: impl IntoIterator<Item = impl Into<OsString> + Clone>) -> P {
    let mut command = blank_is_unset(P::command());
    let parsed = match command.try_get_matches_from_mut(args) {
        Ok(mut matches) => {
            P::from_arg_matches_mut(&mut matches).map_err(|error| error.format(&mut command))
        }
        Err(error) => Err(error),
    };
    parsed.unwrap_or_else(|error| error.exit())
}

/// Clap takes a variable that is set but blank as a value. It has always counted as unset here,
/// so that `DISCORD_TOKEN=` in `.env` turns Discord off rather than failing to log in.
fn blank_is_unset(command: Command) -> Command {
    command
        .mut_args(|arg| {
            let blank = arg
                .get_env()
                .and_then(std::env::var_os)
                .is_some_and(|value| value.to_string_lossy().trim().is_empty());
            if blank {
                arg.env(None::<&'static str>)
            } else {
                arg
            }
        })
        .mut_subcommands(blank_is_unset)
}

impl TryFrom<Settings> for Config {
    type Error = anyhow::Error;

    /// Applies the rules between settings: what a platform needs once it is turned on.
    fn try_from(settings: Settings) -> anyhow::Result<Self> {
        let Settings {
            console_user,
            console_community,
            max_feeds,
            ingests_per_hour,
            max_discussions,
            purge_after_days,
            fetch_allow,
            command_burst,
            command_refill_secs,
            catchup_days,
            catchup_pages,
            metrics_addr,
            web_addr,
            public_url,
            lease_secs,
            tick_secs,
            discord_token,
            discord_shards,
            discord_shard_total,
            discord_guild_id,
            discord_api_base,
            discord_moderator_role,
            discord_public_key,
            discord_interactions_addr,
            matrix_homeserver,
            matrix_user,
            matrix_password,
            matrix_access_token,
            matrix_store_dir,
            matrix_store_passphrase,
            matrix_command_prefix,
            matrix_moderator_level,
            matrix_allowed_servers,
            matrix_allowed_users,
            matrix_max_command_age,
            matrix_key_wait,
        } = settings;
        let catch_up = CatchUpLimits {
            days: catchup_days,
            pages: catchup_pages,
        };
        let discord = match discord_token {
            None => None,
            Some(token) => Some(DiscordConfig {
                token,
                guild_id: discord_guild_id,
                api_base: discord_api_base,
                moderator_role: discord_moderator_role,
                shards: match (discord_shards, discord_shard_total) {
                    (None, None) => None,
                    (Some((first, last)), total) => {
                        if let Some(total) = total
                            && last >= total
                        {
                            bail!(
                                "DISCORD_SHARDS ends at shard {last}, but DISCORD_SHARD_TOTAL is {total} (shards are numbered from 0)"
                            );
                        }
                        Some(Shards { first, last, total })
                    }
                    (None, Some(total)) => Some(Shards {
                        first: 0,
                        last: total - 1,
                        total: Some(total),
                    }),
                },
                interactions: match (discord_public_key, discord_interactions_addr) {
                    (None, None) => None,
                    (Some(public_key), Some(addr)) => {
                        Some(InteractionsEndpoint { public_key, addr })
                    }
                    (Some(_), None) => bail!(
                        "DISCORD_PUBLIC_KEY is set, so DISCORD_INTERACTIONS_ADDR is needed too"
                    ),
                    (None, Some(_)) => bail!(
                        "DISCORD_INTERACTIONS_ADDR is set, so DISCORD_PUBLIC_KEY is needed too"
                    ),
                },
                catch_up,
            }),
        };
        let matrix = match matrix_homeserver {
            None => None,
            Some(homeserver) => Some(MatrixConfig {
                homeserver,
                user: match matrix_user {
                    Some(user) => user,
                    None => bail!("MATRIX_HOMESERVER is set, so MATRIX_USER is needed too"),
                },
                auth: match (matrix_password, matrix_access_token) {
                    (Some(password), None) => MatrixAuth::Password(password),
                    (None, Some(token)) => MatrixAuth::AccessToken(token),
                    (Some(_), Some(_)) => {
                        bail!("set MATRIX_PASSWORD or MATRIX_ACCESS_TOKEN, not both")
                    }
                    (None, None) => bail!(
                        "MATRIX_HOMESERVER is set, so MATRIX_PASSWORD or MATRIX_ACCESS_TOKEN is needed too"
                    ),
                },
                store_dir: matrix_store_dir,
                store_passphrase: matrix_store_passphrase,
                prefix: matrix_command_prefix,
                moderator_level: matrix_moderator_level,
                allowed_servers: nonblank(matrix_allowed_servers),
                allowed_users: nonblank(matrix_allowed_users),
                max_command_age: matrix_max_command_age,
                key_wait: matrix_key_wait,
                catch_up,
            }),
        };
        let fetch_allow = nonblank(fetch_allow)
            .iter()
            .map(|host| {
                host.parse().map_err(|why| {
                    anyhow::anyhow!("READINGROOM_FETCH_ALLOW must list {why}; got {host:?}")
                })
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(Self {
            console_user,
            console_community,
            fetch_allow,
            community_limits: crate::bot::CommunityLimits {
                feeds: max_feeds,
                ingests_per_hour,
                discussions: max_discussions,
                purge_after: chrono::Duration::days(i64::from(purge_after_days)),
            },
            matrix,
            discord,
            command_burst,
            command_refill: command_refill_secs,
            metrics_addr,
            catch_up,
            web_addr,
            public_url,
            lease: lease_secs,
            tick: tick_secs,
        })
    }
}

/// The list without the gaps that `a,,b` or a trailing comma leave.
fn nonblank(items: Vec<String>) -> Vec<String> {
    items.into_iter().filter(|item| !item.is_empty()).collect()
}

/// The default console user: the login name.
fn login_name() -> String {
    std::env::var("USER")
        .ok()
        .map(|user| user.trim().to_owned())
        .filter(|user| !user.is_empty())
        .unwrap_or_else(|| "you".to_owned())
}

/// A value parser from a function of the trimmed text that says what it expected, so that the
/// error names the variable, as `NAME must be ..., got "..."`; clap's own would name the flag.
#[derive(Clone)]
struct Checked<T>(fn(&str) -> Result<T, &'static str>);

impl<T: Clone + Send + Sync + 'static> TypedValueParser for Checked<T> {
    type Value = T;

    fn parse_ref(
        &self,
        command: &Command,
        arg: Option<&Arg>,
        value: &OsStr,
    ) -> Result<T, clap::Error> {
        let value = value.to_string_lossy();
        let value = value.trim();
        (self.0)(value).map_err(|expected| {
            let name = match (arg.and_then(Arg::get_env), arg.and_then(Arg::get_long)) {
                (Some(name), _) => name.to_string_lossy().into_owned(),
                (None, Some(long)) => format!("--{long}"),
                (None, None) => "a setting".to_owned(),
            };
            clap::Error::raw(
                ErrorKind::ValueValidation,
                format!("{name} must be {expected}, got {value:?}\n"),
            )
            .with_cmd(command)
        })
    }
}

fn text(value: &str) -> Result<String, &'static str> {
    Ok(value.to_owned())
}

fn path(value: &str) -> Result<PathBuf, &'static str> {
    Ok(value.into())
}

fn secret(value: &str) -> Result<SecretString, &'static str> {
    Ok(value.into())
}

fn whole(value: &str) -> Result<i64, &'static str> {
    value.parse().map_err(|_| "a whole number")
}

fn count(value: &str) -> Result<u32, &'static str> {
    value.parse().map_err(|_| "a whole number, 0 or more")
}

fn at_least_one(value: &str) -> Result<u32, &'static str> {
    match value.parse() {
        Ok(0) | Err(_) => Err("a whole number, at least 1"),
        Ok(n) => Ok(n),
    }
}

fn refill(value: &str) -> Result<Duration, &'static str> {
    match value.parse() {
        Ok(0) | Err(_) => Err("a whole number of seconds, at least 1"),
        Ok(secs) => Ok(Duration::from_secs(secs)),
    }
}

/// A negative age has always meant 0: answer nothing that was sent before the start.
fn age(value: &str) -> Result<Duration, &'static str> {
    Ok(Duration::from_secs(whole(value)?.max(0).unsigned_abs()))
}

fn host_port(value: &str) -> Result<SocketAddr, &'static str> {
    value.parse().map_err(|_| "host:port")
}

fn shard_range(value: &str) -> Result<(u32, u32), &'static str> {
    const WHAT: &str = "a shard range FIRST-LAST such as 0-3, or one shard number";
    let (first, last) = value.split_once('-').unwrap_or((value, value));
    match (first.trim().parse::<u32>(), last.trim().parse::<u32>()) {
        (Ok(first), Ok(last)) if first <= last => Ok((first, last)),
        _ => Err(WHAT),
    }
}

fn shard_total(value: &str) -> Result<u32, &'static str> {
    match value.parse() {
        Ok(0) | Err(_) => Err("a whole number of shards, at least 1"),
        Ok(total) => Ok(total),
    }
}

fn guild_id(value: &str) -> Result<u64, &'static str> {
    value.parse().map_err(|_| "a guild id (a number)")
}

fn public_key(value: &str) -> Result<String, &'static str> {
    if value.len() == 64 && value.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(value.to_owned())
    } else {
        Err("the application's public key: 64 hex digits")
    }
}

/// An http(s) address without a query or fragment; a trailing slash is dropped, so page
/// addresses can be appended.
fn public_url(value: &str) -> Result<String, &'static str> {
    let expected = "an http(s) URL without ? or #, such as https://rr.example.org";
    let url = http_url(value).map_err(|_| expected)?;
    if url.contains(['?', '#']) || url::Url::parse(&url).is_err() {
        return Err(expected);
    }
    Ok(url.trim_end_matches('/').to_owned())
}

fn http_url(value: &str) -> Result<String, &'static str> {
    if value.starts_with("https://") || value.starts_with("http://") {
        Ok(value.to_owned())
    } else {
        Err("an http(s) URL")
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use clap::{CommandFactory, FromArgMatches};
    use secrecy::ExposeSecret;

    use super::*;

    /// Variables in `.env.example` that are not settings: `--db` in `main.rs`, and the log filter.
    const NOT_SETTINGS: [&str; 2] = ["DATABASE_URL", "RUST_LOG"];

    /// Parses flags alone: variables set where the tests run stay out.
    fn settings(args: &[&str]) -> Result<Settings, clap::Error> {
        let mut command = Settings::command().mut_args(|arg| {
            if arg.get_env().and_then(std::env::var_os).is_some() {
                arg.env(None::<&'static str>)
            } else {
                arg
            }
        });
        let matches = command
            .try_get_matches_from_mut(std::iter::once("readingroom").chain(args.iter().copied()))?;
        Settings::from_arg_matches(&matches)
    }

    fn config(args: &[&str]) -> anyhow::Result<Config> {
        Config::try_from(settings(args)?)
    }

    fn error(args: &[&str]) -> String {
        match config(args) {
            Ok(config) => panic!("{args:?} gave {config:?}"),
            Err(error) => error.to_string(),
        }
    }

    const KEY: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn the_command_is_well_formed() {
        Settings::command().debug_assert();
    }

    #[test]
    fn env_example_lists_exactly_the_settings() {
        let example = include_str!("../.env.example");
        let listed: Vec<&str> = example
            .lines()
            .filter_map(|line| line.strip_prefix('#').unwrap_or(line).split_once('='))
            .map(|(name, _)| name)
            .filter(|name| {
                !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
            })
            .collect();
        let unique: BTreeSet<&str> = listed.iter().copied().collect();
        assert_eq!(
            unique.len(),
            listed.len(),
            "a variable is listed twice: {listed:?}"
        );

        let command = Settings::command();
        let known: BTreeSet<&str> = command
            .get_arguments()
            .filter_map(Arg::get_env)
            .filter_map(OsStr::to_str)
            .chain(NOT_SETTINGS)
            .collect();
        assert_eq!(
            unique,
            known,
            "\nonly in .env.example: {:?}\nonly in Settings: {:?}",
            unique.difference(&known).collect::<Vec<_>>(),
            known.difference(&unique).collect::<Vec<_>>(),
        );
    }

    #[test]
    fn nothing_configured_is_the_console_with_the_defaults() {
        let config = config(&[]).unwrap();
        assert!(config.discord.is_none() && config.matrix.is_none());
        assert_eq!(config.command_burst, 6);
        assert_eq!(config.command_refill, Duration::from_secs(3));
        assert_eq!(config.metrics_addr, None);
        assert_eq!(
            config.catch_up,
            CatchUpLimits {
                days: 7,
                pages: 1000
            }
        );
        assert_eq!(
            config.web_addr, None,
            "the web reader is off unless asked for"
        );
        assert!(!config.console_user.is_empty());
        let config = crate::config::Config::try_from(
            settings(&[
                "--web-addr=127.0.0.1:8081",
                "--public-url=https://rr.example.org/",
            ])
            .unwrap(),
        )
        .unwrap();
        assert_eq!(config.public_url.as_deref(), Some("https://rr.example.org"));
    }

    #[test]
    fn secrets_stay_out_of_debug_and_help() {
        let args = [
            "--discord-token=sekrit-1",
            "--matrix-homeserver=https://matrix.example.org",
            "--matrix-user=@bot:example.org",
            "--matrix-password=sekrit-2",
            "--matrix-store-passphrase=sekrit-3",
        ];
        let settings = settings(&args).unwrap();
        let printed = format!("{settings:?}");
        let config = Config::try_from(settings).unwrap();
        let printed = format!("{printed}{config:?}");
        assert!(!printed.contains("sekrit"), "{printed}");
        let Some(MatrixConfig {
            auth: MatrixAuth::Password(password),
            ..
        }) = &config.matrix
        else {
            panic!("{config:?}");
        };
        assert_eq!(password.expose_secret(), "sekrit-2");

        // Clap shows a variable's value in --help unless told not to.
        for arg in Settings::command().get_arguments() {
            let name = arg.get_env().unwrap().to_string_lossy();
            let secret = ["TOKEN", "PASSWORD", "PASSPHRASE"]
                .iter()
                .any(|s| name.contains(s));
            assert_eq!(arg.is_hide_env_values_set(), secret, "{name}");
        }
    }

    #[test]
    fn malformed_values_name_the_variable() {
        for (arg, expected) in [
            (
                "--discord-guild-id=x",
                r#"DISCORD_GUILD_ID must be a guild id (a number), got "x""#,
            ),
            (
                "--metrics-addr=9184",
                r#"READINGROOM_METRICS_ADDR must be host:port, got "9184""#,
            ),
            (
                "--command-refill-secs=0",
                "READINGROOM_COMMAND_REFILL_SECS must be a whole number of seconds, at least 1",
            ),
            (
                "--catchup-pages=0",
                "READINGROOM_CATCHUP_PAGES must be a whole number, at least 1",
            ),
            (
                "--catchup-days=a week",
                "READINGROOM_CATCHUP_DAYS must be a whole number, 0 or more",
            ),
            (
                "--command-burst=-1",
                "READINGROOM_COMMAND_BURST must be a whole number, 0 or more",
            ),
            (
                "--discord-public-key=abc",
                "DISCORD_PUBLIC_KEY must be the application's public key: 64 hex digits",
            ),
            (
                "--matrix-homeserver=matrix.example.org",
                "MATRIX_HOMESERVER must be an http(s) URL",
            ),
            (
                "--matrix-moderator-level=high",
                "MATRIX_MODERATOR_LEVEL must be a whole number",
            ),
            (
                "--public-url=https://rr.example.org/?x=1",
                "READINGROOM_PUBLIC_URL must be an http(s) URL without ? or #",
            ),
            (
                "--web-addr=8081",
                r#"READINGROOM_WEB_ADDR must be host:port, got "8081""#,
            ),
        ] {
            let error = error(&[arg]);
            assert!(error.contains(expected), "{arg}: {error}");
        }
    }

    #[test]
    fn discord_needs_both_halves_of_the_interactions_endpoint() {
        let key = format!("--discord-public-key={KEY}");
        let addr = "--discord-interactions-addr=127.0.0.1:8080";
        assert_eq!(
            error(&["--discord-token=t", &key]),
            "DISCORD_PUBLIC_KEY is set, so DISCORD_INTERACTIONS_ADDR is needed too"
        );
        assert_eq!(
            error(&["--discord-token=t", addr]),
            "DISCORD_INTERACTIONS_ADDR is set, so DISCORD_PUBLIC_KEY is needed too"
        );
        // Without a token Discord is off, and the rest is not looked at.
        assert!(config(&[&key]).unwrap().discord.is_none());

        let config = config(&[
            "--discord-token= t ",
            &key,
            addr,
            "--discord-guild-id=42",
            "--catchup-days=2",
            "--catchup-pages=5",
        ])
        .unwrap();
        let discord = config.discord.unwrap();
        assert_eq!(discord.token.expose_secret(), "t");
        assert_eq!(discord.guild_id, Some(42));
        assert_eq!(discord.catch_up, CatchUpLimits { days: 2, pages: 5 });
        let interactions = discord.interactions.unwrap();
        assert_eq!(interactions.public_key, KEY);
        assert_eq!(interactions.addr, "127.0.0.1:8080".parse().unwrap());
    }

    #[test]
    fn shard_ranges_are_inclusive_and_within_the_total() {
        let shards = |args: &[&str]| {
            let mut all = vec!["--discord-token=t"];
            all.extend_from_slice(args);
            config(&all).unwrap().discord.unwrap().shards
        };
        assert_eq!(shards(&[]), None);
        assert_eq!(
            shards(&["--discord-shards=0-3", "--discord-shard-total=8"]),
            Some(Shards {
                first: 0,
                last: 3,
                total: Some(8)
            })
        );
        assert_eq!(
            shards(&["--discord-shards=5"]),
            Some(Shards {
                first: 5,
                last: 5,
                total: None
            })
        );
        assert_eq!(
            shards(&["--discord-shard-total=4"]),
            Some(Shards {
                first: 0,
                last: 3,
                total: Some(4)
            })
        );
        assert_eq!(
            error(&[
                "--discord-token=t",
                "--discord-shards=4-8",
                "--discord-shard-total=8"
            ]),
            "DISCORD_SHARDS ends at shard 8, but DISCORD_SHARD_TOTAL is 8 (shards are numbered from 0)"
        );
        for bad in ["3-1", "x", "1-", "-2"] {
            let message = error(&["--discord-token=t", &format!("--discord-shards={bad}")]);
            assert!(
                message.contains("DISCORD_SHARDS must be a shard range"),
                "{bad}: {message}"
            );
        }
        assert!(
            error(&["--discord-token=t", "--discord-shard-total=0"])
                .contains("DISCORD_SHARD_TOTAL")
        );
        // The lease and the tick.
        let defaults = config(&[]).unwrap();
        assert_eq!(
            (defaults.lease, defaults.tick),
            (Duration::from_secs(60), None)
        );
        let set = config(&["--lease-secs=5", "--tick-secs=1"]).unwrap();
        assert_eq!(
            (set.lease, set.tick),
            (Duration::from_secs(5), Some(Duration::from_secs(1)))
        );
    }

    #[test]
    fn matrix_needs_a_user_and_one_way_to_log_in() {
        let server = "--matrix-homeserver=https://matrix.example.org";
        let user = "--matrix-user=@bot:example.org";
        assert_eq!(
            error(&[server]),
            "MATRIX_HOMESERVER is set, so MATRIX_USER is needed too"
        );
        assert_eq!(
            error(&[server, user]),
            "MATRIX_HOMESERVER is set, so MATRIX_PASSWORD or MATRIX_ACCESS_TOKEN is needed too"
        );
        assert_eq!(
            error(&[
                server,
                user,
                "--matrix-password=p",
                "--matrix-access-token=t"
            ]),
            "set MATRIX_PASSWORD or MATRIX_ACCESS_TOKEN, not both"
        );

        let config = config(&[server, user, "--matrix-access-token=t"]).unwrap();
        let matrix = config.matrix.unwrap();
        assert!(matches!(matrix.auth, MatrixAuth::AccessToken(_)));
        assert_eq!(matrix.store_dir, PathBuf::from("matrix-store"));
        assert!(matrix.store_passphrase.is_none());
        assert_eq!(matrix.prefix, "!");
        assert_eq!(matrix.moderator_level, 50);
        assert!(matrix.allowed_servers.is_empty() && matrix.allowed_users.is_empty());
        assert_eq!(matrix.max_command_age, Duration::from_secs(3600));
        assert_eq!(matrix.key_wait, Duration::from_secs(600));
    }

    #[test]
    fn lists_are_split_on_commas_and_ages_stop_at_zero() {
        let config = config(&[
            "--matrix-homeserver=https://matrix.example.org",
            "--matrix-user=bot",
            "--matrix-password=p",
            "--matrix-allowed-servers= example.org, ,other.org,",
            "--matrix-max-command-age=-5",
        ])
        .unwrap();
        let matrix = config.matrix.unwrap();
        assert_eq!(matrix.allowed_servers, ["example.org", "other.org"]);
        assert_eq!(matrix.max_command_age, Duration::ZERO);
    }
}
