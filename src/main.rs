//! The `readingroom` command: runs the bot, and offers the operator's tools (ingest, parse,
//! summarize) over the same library.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use tokio::io::{AsyncBufReadExt, BufReader};

use readingroom::article::{self, Length, Options};
use readingroom::bot::claims::Claims;
use readingroom::bot::digest::Scheduler;
use readingroom::bot::feeds::Poller;
use readingroom::bot::{Bot, Platform};
use readingroom::platform::console::ConsoleDigests;

/// How often the digest scheduler looks for due digests.
const DIGEST_TICK: std::time::Duration = std::time::Duration::from_secs(30);
/// How often the feed poller looks for due feeds (each feed has its own interval).
const FEED_TICK: std::time::Duration = std::time::Duration::from_secs(60);
use readingroom::clock::SystemClock;
use readingroom::config::{self, Config, Settings};
use readingroom::platform::console::Console;
use readingroom::platform::matrix::MatrixBot;
use readingroom::sources;
use readingroom::sources::reach::Reach;
use readingroom::store::{Ingested, Scope, Store};

/// Reading Room: a bot for communities that read and argue about articles together.
#[derive(Debug, Parser)]
#[command(name = "readingroom", version, about)]
struct Cli {
    /// The database: a file path or a sqlite: URL. Created and migrated on first use.
    #[arg(
        long,
        global = true,
        env = "DATABASE_URL",
        default_value = "readingroom.db"
    )]
    db: String,

    #[command(subcommand)]
    command: Option<Cmd>,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Run the bot on the configured platforms; with none configured, a console chat on
    /// stdin/stdout (the default command).
    Run(Box<Settings>),
    /// Store articles from text or Markdown files, or from web pages (http/https URLs).
    Ingest {
        /// The files or URLs.
        #[arg(required = true)]
        files: Vec<String>,
        /// Put the articles on this community's shelf only (`discord:GUILD`, `matrix:ROOM`,
        /// or a console name) instead of the library every community may read.
        #[arg(long)]
        community: Option<String>,
    },
    /// Show the structured article parsed from a file or a web page, without storing it.
    Parse {
        /// The file or URL.
        file: String,
        /// Print JSON instead of a readable outline.
        #[arg(long)]
        json: bool,
    },
    /// Summarise articles in batch: each input line `{"id","title","text"}` gives one output
    /// line `{"id","summary":[...]}`, in input order.
    Summarize {
        /// JSON-lines input (`-` for stdin).
        #[arg(long)]
        jsonl: PathBuf,
        /// Sentences per summary.
        #[arg(long, default_value_t = article::DEFAULT_SUMMARY_SENTENCES, conflicts_with = "words")]
        sentences: usize,
        /// A word budget per summary instead (never cutting a sentence).
        #[arg(long)]
        words: Option<usize>,
    },
    /// Write an article's whole discussion, across channels and platforms, as a reply tree.
    Export {
        /// The article id.
        #[arg(long)]
        article: String,
        /// Only this community's channels (`discord:GUILD`, `matrix:ROOM`, a console name).
        #[arg(long)]
        community: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value = "md")]
        format: readingroom::bot::export::Format,
    },
    /// Forget a reader everywhere (or in one community): every message they wrote loses its
    /// text and their name, and pins on them are dropped.
    Forget {
        /// The reader: `discord:USER_ID`, `matrix:@user:server`, `console:console:NAME`.
        #[arg(long)]
        user: String,
        /// Only in this community (`discord:GUILD`, `matrix:ROOM`, a console name).
        #[arg(long)]
        community: Option<String>,
    },
    /// What the store holds: everything, or one community's.
    Stats {
        /// One community (`discord:GUILD`, `matrix:ROOM`, a console name).
        #[arg(long)]
        community: Option<String>,
    },
    /// Digest tools for operators.
    Digest {
        #[command(subcommand)]
        action: DigestCmd,
    },
    /// Score our summaries and Lead-N against the references of a corpus (JSON lines of
    /// `{"id","title","text","reference","source"}`): ROUGE-1/2/Lsum per source, and speed.
    Eval {
        /// The corpus file.
        #[arg(long)]
        corpus: PathBuf,
        /// Sentences per summary (and N of Lead-N).
        #[arg(long, default_value_t = article::DEFAULT_SUMMARY_SENTENCES, conflicts_with = "words")]
        sentences: usize,
        /// A word budget per summary instead.
        #[arg(long)]
        words: Option<usize>,
        /// Also write every summary to this JSON-lines file (`{"id","group","reference","summary"}`),
        /// e.g. for `scripts/rouge_ref.py`.
        #[arg(long)]
        candidates: Option<PathBuf>,
        /// Also measure quotations against gold labels (`tests/data/quote-labels.jsonl`).
        #[arg(long)]
        quotes: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum DigestCmd {
    /// Print what the channel's next digest would hold (the console's channel is `console`).
    Preview {
        /// The channel: its platform id, or `platform:id`.
        #[arg(long)]
        channel: String,
    },
}

fn main() -> ExitCode {
    // A missing .env is normal; a malformed one is worth saying.
    if let Err(error) = dotenvy::dotenv()
        && !error.not_found()
    {
        eprintln!("warning: ignoring .env: {error}");
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("readingroom=info,warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli: Cli = config::parse(std::env::args_os());
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli
        .command
        .unwrap_or_else(|| Cmd::Run(Box::new(Settings::from_env())))
    {
        Cmd::Run(settings) => {
            let config = Config::try_from(*settings)?;
            let bot = open_bot(&cli.db, Reach::Public(config.fetch_allow.clone()))
                .await?
                .with_rate_limit(config.command_burst, config.command_refill)
                .with_community_limits(config.community_limits);
            if let Some(addr) = config.metrics_addr {
                let listener = tokio::net::TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("listening for /metrics on {addr}"))?;
                tracing::info!(%addr, "Prometheus metrics at /metrics");
                let metrics = bot.metrics().clone();
                tokio::spawn(async move {
                    if let Err(error) = readingroom::metrics::serve(listener, metrics).await {
                        tracing::error!(%error, "the metrics endpoint stopped");
                    }
                });
            }
            let bot = match config.web_addr {
                None => bot,
                Some(addr) => {
                    let listener = tokio::net::TcpListener::bind(addr)
                        .await
                        .with_context(|| format!("listening for the web reader on {addr}"))?;
                    tracing::info!(%addr, "the web reader serves published communities");
                    let store = bot.store().clone();
                    tokio::spawn(async move {
                        if let Err(error) = readingroom::web::serve(listener, store).await {
                            tracing::error!(%error, "the web reader stopped");
                        }
                    });
                    bot.with_web(readingroom::bot::web::WebSite {
                        public_url: config.public_url.clone(),
                    })
                }
            };
            if config.matrix.is_none() && config.discord.is_none() {
                run_console(bot, &config).await?;
            } else {
                run_platforms(bot, config).await?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Ingest { files, community } => {
            let bot = open_bot(&cli.db, Reach::Anywhere).await?;
            let community = match community {
                // Its own shelf: it reaches the community it is joined to, and stays if it leaves.
                Some(reference) => Some(community_for(&bot, &reference, true).await?.own_id()),
                None => None,
            };
            ingest(&bot, &files, community).await
        }
        Cmd::Forget { user, community } => {
            let bot = open_bot(&cli.db, Reach::Anywhere).await?;
            let scope = scope_for(&bot, community.as_deref()).await?;
            let (platform, id) = user
                .split_once(':')
                .filter(|(p, id)| matches!(*p, "discord" | "matrix" | "console") && !id.is_empty())
                .with_context(|| {
                    format!("--user {user:?} must be PLATFORM:ID, e.g. discord:80351110224678912 or matrix:@ana:example.org")
                })?;
            let forgotten = bot
                .store()
                .forget_author(scope, platform, id, bot.now())
                .await?;
            tracing::info!(target: "audit", user = %user, forgotten, "reader forgotten by the operator");
            println!("{forgotten} messages forgotten");
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Stats { community } => {
            let bot = open_bot(&cli.db, Reach::Anywhere).await?;
            let scope = scope_for(&bot, community.as_deref()).await?;
            let t = bot.store().totals(scope).await?;
            println!(
                "{} articles ({} quotations), {} discussions, {} messages ({} deleted), {} pins, {} digests posted, {} feeds",
                t.articles,
                t.quotes,
                t.discussions,
                t.messages,
                t.deleted_messages,
                t.pins,
                t.digests_posted,
                t.feeds
            );
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Parse { file, json } => parse(&file, json).await,
        Cmd::Export {
            article,
            format,
            community,
        } => {
            let bot = open_bot(&cli.db, Reach::Anywhere).await?;
            let scope = scope_for(&bot, community.as_deref()).await?;
            let id: readingroom::store::ArticleId = article.parse()?;
            let stored = bot
                .store()
                .article(id)
                .await?
                .with_context(|| format!("there is no article {id}"))?;
            let export = readingroom::bot::export::build(bot.store(), scope, &stored).await?;
            print!("{}", readingroom::bot::export::render(&export, format));
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Digest {
            action: DigestCmd::Preview { channel },
        } => {
            let bot = open_bot(&cli.db, Reach::Anywhere).await?;
            let store = bot.store();
            let found = match store.find_channel(&channel).await? {
                Some(found) => found,
                // The console's channel exists before anyone has used it: it is the operator's.
                None if !channel.contains(':') && channel == "console" => {
                    let community = store
                        .community("console", &channel, None, bot.now())
                        .await?;
                    store
                        .channel(
                            "console",
                            &channel,
                            Some(&channel),
                            community.own_id(),
                            bot.now(),
                        )
                        .await?
                }
                None => {
                    anyhow::bail!("no channel {channel:?} is known (the console's is \"console\")")
                }
            };
            let scope = Scope::Community(found.community_id.unwrap_or_default());
            let schedule = store.digest_schedule(found.id).await?;
            let zone = schedule
                .as_ref()
                .and_then(|s| readingroom::bot::digest::parse_zone(&s.timezone))
                .unwrap_or(chrono_tz::UTC);
            let now = bot.now();
            let since = store
                .last_digest(found.id)
                .await?
                .unwrap_or(now - chrono::Duration::days(1));
            let day = now.with_timezone(&zone).date_naive();
            let prefix = if found.platform == "matrix" { "!" } else { "/" };
            match readingroom::bot::digest::compose(
                store, scope, found.id, day, since, now, prefix, None,
            )
            .await?
            {
                Some(card) => println!(
                    "{}",
                    readingroom::platform::plain::render(
                        &readingroom::bot::Reply::card(card),
                        prefix
                    )
                ),
                None => println!(
                    "Nothing to post: no new articles, discussions or pins since the last digest."
                ),
            }
            match schedule {
                Some(s) => println!("(scheduled daily at {} {})", s.digest_at, s.timezone),
                None => println!("(no daily digest is scheduled for this channel)"),
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Summarize {
            jsonl,
            sentences,
            words,
        } => {
            summarize(&jsonl, length(sentences, words)).await?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Eval {
            corpus,
            sentences,
            words,
            candidates,
            quotes,
        } => {
            eval(
                &corpus,
                length(sentences, words),
                candidates.as_deref(),
                quotes.as_deref(),
            )?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn length(sentences: usize, words: Option<usize>) -> Length {
    match words {
        Some(words) => Length::Words(words),
        None => Length::Sentences(sentences),
    }
}

fn eval(
    corpus: &Path,
    length: Length,
    candidates: Option<&Path>,
    quotes: Option<&Path>,
) -> anyhow::Result<()> {
    use std::io::Write as _;
    let text =
        std::fs::read_to_string(corpus).with_context(|| format!("reading {}", corpus.display()))?;
    let entries = text
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| {
            serde_json::from_str(line)
                .with_context(|| format!("line {} of {}", i + 1, corpus.display()))
        })
        .collect::<anyhow::Result<Vec<readingroom::eval::Entry>>>()?;
    let (rows, summaries) = readingroom::eval::evaluate(&entries, length);
    print!("{}", readingroom::eval::table(&rows));
    if let Some(path) = quotes {
        let labels =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let labels = readingroom::eval::quotes::parse_labels(&labels)
            .with_context(|| format!("{} is not a quote-label file", path.display()))?;
        let report = readingroom::eval::quotes::evaluate(&entries, &labels);
        print!("\n{}", readingroom::eval::quotes::table(&report));
    }
    if let Some(path) = candidates {
        let mut out = std::io::BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
        );
        for candidate in summaries {
            writeln!(out, "{}", serde_json::to_string(&candidate)?)?;
        }
        out.flush()?;
    }
    Ok(())
}

/// The bot over the database at `db`, fetching what `reach` allows: the operator's own
/// commands reach anything; the chat-facing bot, the public internet and the allowed hosts.
async fn open_bot(db: &str, reach: Reach) -> anyhow::Result<Bot> {
    let store = Store::open(db)
        .await
        .with_context(|| format!("opening the database {db}"))?;
    let options = sources::web::FetchOptions {
        reach,
        ..Default::default()
    };
    Ok(Bot::with_fetcher(store, Arc::new(SystemClock), options))
}

async fn run_console(bot: Bot, config: &Config) -> anyhow::Result<()> {
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let claims = Claims::new(config.lease);
    let scheduler = Scheduler::new(bot.clone())
        .with_sink(Platform::Console, Arc::new(ConsoleDigests))
        .with_claims(claims.clone());
    let poller = Poller::new(bot.clone())
        .with_sink(Platform::Console, Arc::new(ConsoleDigests))
        .with_claims(claims);
    let digests = tokio::spawn(scheduler.run(config.tick.unwrap_or(DIGEST_TICK), shutdown.clone()));
    let feeds = tokio::spawn(poller.run(config.tick.unwrap_or(FEED_TICK), shutdown));
    let interactive = std::io::stdin().is_terminal();
    let mut console = Console::new(bot.clone(), &config.console_user)
        .in_community(&config.console_community)
        .with_prompt(interactive);
    let input = BufReader::new(tokio::io::stdin());
    tokio::select! {
        result = console.run(input, tokio::io::stdout()) => result?,
        _ = tokio::signal::ctrl_c() => eprintln!(),
    }
    let _ = stop.send(true);
    let _ = digests.await;
    let _ = feeds.await;
    bot.store().close().await;
    Ok(())
}

/// The lease that lets one process of several run Matrix.
const MATRIX_LEASE: &str = "matrix";

/// Runs Matrix while this process holds the Matrix lease: one sync loop per bot account
/// however many processes share the store. Waits for the lease, connects, renews it every
/// third of the lease time; a process that cannot renew it (another took it over after a
/// stall) stops Matrix and waits again. Its digests and feed posts go through the sinks only
/// while connected.
async fn matrix_under_lease(
    bot: Bot,
    matrix: readingroom::config::MatrixConfig,
    claims: Claims,
    sinks: [readingroom::bot::digest::Sinks; 2],
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let every = claims.lease() / 3;
    loop {
        loop {
            match claims.take(bot.store(), MATRIX_LEASE, bot.now()).await {
                Ok(true) => break,
                Ok(false) => {}
                Err(error) => tracing::warn!(%error, "claiming the Matrix lease failed"),
            }
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                () = stopping(&mut shutdown) => return Ok(()),
            }
        }
        let adapter = MatrixBot::connect(bot.clone(), matrix.clone()).await?;
        tracing::info!(user = %adapter.user_id(), "Matrix connected (this process holds the Matrix lease)");
        for sink in &sinks {
            sink.clone()
                .insert(Platform::Matrix, Arc::new(adapter.clone()));
        }
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let mut running = {
            let adapter = adapter.clone();
            tokio::spawn(async move { adapter.run(stopped).await })
        };
        let lost = loop {
            tokio::select! {
                ended = &mut running => {
                    for sink in &sinks {
                        sink.remove(Platform::Matrix);
                    }
                    let _ = claims.done(bot.store(), MATRIX_LEASE).await;
                    return ended.context("the Matrix task panicked")?;
                }
                _ = tokio::time::sleep(every) => {
                    match claims.take(bot.store(), MATRIX_LEASE, bot.now()).await {
                        Ok(true) => {}
                        Ok(false) => break true,
                        Err(error) => tracing::warn!(%error, "renewing the Matrix lease failed"),
                    }
                }
                () = stopping(&mut shutdown) => break false,
            }
        };
        for sink in &sinks {
            sink.remove(Platform::Matrix);
        }
        let _ = stop.send(true);
        let _ = running.await;
        if !lost {
            let _ = claims.done(bot.store(), MATRIX_LEASE).await;
            return Ok(());
        }
        tracing::warn!(
            "another process took the Matrix lease over; Matrix stops here until it is free"
        );
    }
}

/// Returns once `shutdown` turns true (or its sender is gone).
async fn stopping(shutdown: &mut tokio::sync::watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stop| *stop).await;
}

/// Runs every configured platform until Ctrl-C or SIGTERM, then lets in-flight work finish.
async fn run_platforms(bot: Bot, config: Config) -> anyhow::Result<()> {
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let mut tasks = tokio::task::JoinSet::new();
    let claims = Claims::new(config.lease);
    tracing::info!(holder = claims.holder(), lease = ?claims.lease(), "claiming shared work as");
    let mut scheduler = Scheduler::new(bot.clone()).with_claims(claims.clone());
    let mut poller = Poller::new(bot.clone()).with_claims(claims.clone());
    if let Some(matrix) = config.matrix {
        let sinks = [scheduler.sinks(), poller.sinks()];
        let (bot, claims, shutdown) = (bot.clone(), claims.clone(), shutdown.clone());
        tasks.spawn(async move {
            matrix_under_lease(bot, matrix, claims, sinks, shutdown)
                .await
                .context("Matrix")
        });
    }
    if let Some(discord) = &config.discord {
        let http = Arc::new(readingroom::platform::discord::http_client(discord));
        let sink = Arc::new(readingroom::platform::discord::DiscordDigests::new(http));
        scheduler = scheduler.with_sink(Platform::Discord, sink.clone());
        poller = poller.with_sink(Platform::Discord, sink);
    }
    {
        let tick = config.tick;
        let shutdown = shutdown.clone();
        let feeds_shutdown = shutdown.clone();
        tasks.spawn(async move {
            scheduler.run(tick.unwrap_or(DIGEST_TICK), shutdown).await;
            Ok(())
        });
        tasks.spawn(async move {
            poller.run(tick.unwrap_or(FEED_TICK), feeds_shutdown).await;
            Ok(())
        });
    }
    if let Some(discord) = config.discord {
        let (bot, shutdown) = (bot.clone(), shutdown.clone());
        tasks.spawn(async move {
            readingroom::platform::discord::run(bot, discord, shutdown)
                .await
                .context("Discord")
        });
    }
    let signal = async {
        #[cfg(unix)]
        {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
            tokio::select! {
                result = tokio::signal::ctrl_c() => result,
                _ = term.recv() => Ok(()),
            }
        }
        #[cfg(not(unix))]
        tokio::signal::ctrl_c().await
    };
    let mut outcome = Ok(());
    tokio::select! {
        result = signal => {
            result.context("listening for signals")?;
            tracing::info!("shutting down");
        }
        Some(finished) = tasks.join_next() => {
            outcome = finished.context("a platform task panicked")?;
        }
    }
    let _ = stop.send(true);
    while let Some(finished) = tasks.join_next().await {
        if let Err(error) = finished.context("a platform task panicked").and_then(|r| r) {
            tracing::error!("{error:#}");
        }
    }
    bot.store().close().await;
    outcome
}

fn is_url(source: &str) -> bool {
    source.starts_with("https://") || source.starts_with("http://")
}

/// Expands a feed URL into its entries' links; other sources stand for themselves.
async fn expand(bot: &Bot, source: &str) -> Vec<String> {
    if !is_url(source) {
        return vec![source.to_owned()];
    }
    match bot.feed_links(source).await {
        Some(links) => links,
        None => vec![source.to_owned()],
    }
}

/// The community an operator names: `discord:GUILD`, `matrix:ROOM`, or a console name (made on
/// first use when `create` is set, so articles can be shelved for a console community before it
/// ever runs).
async fn community_for(
    bot: &Bot,
    reference: &str,
    create: bool,
) -> anyhow::Result<readingroom::store::Community> {
    let store = bot.store();
    if let Some(found) = store.find_community(reference).await? {
        return Ok(found);
    }
    let console = reference.strip_prefix("console:").unwrap_or(reference);
    if create && !reference.starts_with("discord:") && !reference.starts_with("matrix:") {
        return Ok(store.community("console", console, None, bot.now()).await?);
    }
    anyhow::bail!(
        "no community {reference:?} is known (write discord:GUILD, matrix:ROOM or a console name)"
    )
}

/// The operator's view: everything, or one community's.
async fn scope_for(bot: &Bot, community: Option<&str>) -> anyhow::Result<Scope> {
    Ok(match community {
        // A community joined to another is read as that one, as its chat users read it.
        Some(reference) => Scope::Community(community_for(bot, reference, false).await?.id),
        None => Scope::Operator,
    })
}

async fn ingest(bot: &Bot, sources: &[String], community: Option<i64>) -> anyhow::Result<ExitCode> {
    let mut items = Vec::new();
    for source in sources {
        items.extend(expand(bot, source).await);
    }
    // A bar on a terminal; plain lines (the ones below) otherwise.
    let bar = (items.len() > 1 && std::io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new(items.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {wide_msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let say = |line: String| match &bar {
        Some(bar) => bar.println(line),
        None => println!("{line}"),
    };
    let mut failed = 0;
    for source in &items {
        if let Some(bar) = &bar {
            bar.set_message(source.clone());
        }
        let outcome = if is_url(source) {
            bot.ingest_url(source).await
        } else {
            match sources::read_file(Path::new(source)).await {
                Ok(text) => bot.ingest_text(&text, Some(source)).await,
                Err(error) => Err(readingroom::bot::IngestError::Source(error)),
            }
        };
        // The operator's articles go to the library, or to the one community named.
        let outcome = match outcome {
            Ok((ingested, title)) => {
                let placed = match community {
                    Some(community) => {
                        bot.store()
                            .shelve(community, ingested.id(), Some("operator"), bot.now())
                            .await
                    }
                    None => bot.store().add_to_library(ingested.id()).await,
                };
                placed
                    .map(|()| (ingested, title))
                    .map_err(readingroom::bot::IngestError::Store)
            }
            Err(error) => Err(error),
        };
        match outcome {
            Ok((Ingested::New(id), title)) => say(format!("{id} {title}")),
            Ok((Ingested::Existing(id), title)) => say(format!("already have {id} {title}")),
            Err(error) => {
                eprintln!("error: {source}: {error}");
                failed += 1;
            }
        }
        if let Some(bar) = &bar {
            bar.inc(1);
        }
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

async fn parse(source: &str, json: bool) -> anyhow::Result<ExitCode> {
    let article = if is_url(source) {
        // The operator's own command: any address.
        let fetcher = sources::web::Fetcher::new(sources::web::FetchOptions {
            reach: Reach::Anywhere,
            ..Default::default()
        })?;
        let fetched = fetcher.page(source).await?;
        article::html::parse_html(&fetched.body, &fetched.url)
            .with_context(|| format!("reading an article from {source}"))?
            .article
    } else {
        let text = sources::read_file(Path::new(source)).await?;
        Bot::read_text(&text, Some(source))
            .await
            .with_context(|| format!("parsing {source}"))?
            .0
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&article)?);
    } else {
        print!("{}", outline(&article));
    }
    Ok(ExitCode::SUCCESS)
}

/// A readable outline of a parsed article.
fn outline(article: &article::Article) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(out, "Title:     {}", article.title);
    if let Some(byline) = &article.byline {
        let _ = writeln!(out, "Posted by: {byline}");
    }
    if !article.authors.is_empty() {
        let _ = writeln!(out, "Authors:   {}", article.authors.join(", "));
    }
    if let Some(name) = &article.source.name {
        let _ = writeln!(out, "Source:    {name}");
    }
    if let Some(url) = &article.source.url {
        let _ = writeln!(out, "URL:       {url}");
    }
    if let Some(date) = &article.published {
        let _ = writeln!(out, "Published: {date}");
    }
    let mut section = None;
    for (i, paragraph) in article.paragraphs.iter().enumerate() {
        if paragraph.section != section {
            section.clone_from(&paragraph.section);
            let _ = writeln!(out, "\n## {}", section.as_deref().unwrap_or("(untitled)"));
        }
        let _ = writeln!(out, "\n[{i}] {}", paragraph.text);
    }
    for caption in &article.captions {
        let _ = writeln!(out, "\nCaption: {caption}");
    }
    if !article.links.is_empty() {
        let _ = writeln!(out, "\nLinks:");
        for link in &article.links {
            let _ = writeln!(out, "  {} <{}>", link.text, link.url);
        }
    }
    let kind = match article.summary.kind {
        article::SummaryKind::Provided => "the author's",
        article::SummaryKind::Extractive => "extractive",
    };
    let _ = writeln!(out, "\nSummary ({kind}):");
    for sentence in &article.summary.sentences {
        let _ = writeln!(out, "  [{}] {}", sentence.paragraph, sentence.text);
    }
    if !article.quotes.is_empty() {
        let _ = writeln!(out, "\nQuotations:");
        for quote in &article.quotes {
            let speaker = quote.speaker.as_deref().unwrap_or("unattributed");
            let _ = writeln!(out, "  [{}] “{}” — {speaker}", quote.paragraph, quote.text);
        }
    }
    out
}

#[derive(serde::Deserialize)]
struct SummarizeInput {
    id: serde_json::Value,
    #[serde(default)]
    title: Option<String>,
    text: String,
}

async fn summarize(path: &Path, length: Length) -> anyhow::Result<()> {
    use std::io::Write as _;
    let reader: Box<dyn tokio::io::AsyncBufRead + Unpin> = if path == Path::new("-") {
        Box::new(BufReader::new(tokio::io::stdin()))
    } else {
        let file = tokio::fs::File::open(path)
            .await
            .with_context(|| format!("opening {}", path.display()))?;
        Box::new(BufReader::new(file))
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut lines = reader.lines();
    let mut number = 0;
    while let Some(line) = lines.next_line().await? {
        number += 1;
        if line.trim().is_empty() {
            continue;
        }
        let input: SummarizeInput = serde_json::from_str(&line).with_context(|| {
            format!(
                "line {number} of {} is not {{\"id\",\"title\",\"text\"}}",
                path.display()
            )
        })?;
        let options = Options {
            title: Some(input.title.unwrap_or_default()),
            ..Options::default()
        };
        let output = match article::parse_with(&input.text, &options) {
            Ok(article) => serde_json::json!({
                "id": input.id,
                "summary": article::summarize(&article, length)
                    .into_iter()
                    .map(|s| s.text)
                    .collect::<Vec<_>>(),
            }),
            Err(error) => {
                serde_json::json!({ "id": input.id, "summary": [], "error": error.to_string() })
            }
        };
        writeln!(out, "{output}")?;
    }
    out.flush()?;
    Ok(())
}
