//! The commands every platform offers, parsed from text and described once for help pages and
//! for platforms that register commands up front (Discord slash commands).

use std::fmt;

use crate::store::ArticleId;

/// Longest command line accepted, in characters.
pub const MAX_COMMAND_CHARS: usize = 2000;
/// Most sentences `/summary` will give.
pub const MAX_SUMMARY_SENTENCES: usize = 10;
/// Longest note on a pin, in characters.
pub const MAX_NOTE_CHARS: usize = 500;

/// What an argument holds, for parsing and for platforms with typed options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgKind {
    /// An article id (`12` or `#12`).
    Article,
    /// An article id or words to search titles and text for.
    ArticleOrWords,
    /// A small whole number.
    Count,
    /// Free text.
    Text,
    /// A recorded message (`#N` on the console; platforms pass their own message ids).
    Message,
}

/// One argument of a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArgSpec {
    /// Its name.
    pub name: &'static str,
    /// What it is, for help and option descriptions.
    pub description: &'static str,
    /// Its kind.
    pub kind: ArgKind,
    /// Whether it must be given.
    pub required: bool,
}

/// A command as users see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandSpec {
    /// Its name, without prefix.
    pub name: &'static str,
    /// One line on what it does.
    pub description: &'static str,
    /// Its arguments in order.
    pub args: &'static [ArgSpec],
    /// Only moderators may run it.
    pub moderator: bool,
}

impl CommandSpec {
    /// `/summary <article> [sentences]`.
    pub fn usage(&self, prefix: &str) -> String {
        let mut usage = format!("{prefix}{}", self.name);
        for arg in self.args {
            if arg.required {
                usage.push_str(&format!(" <{}>", arg.name));
            } else {
                usage.push_str(&format!(" [{}]", arg.name));
            }
        }
        usage
    }
}

const fn arg(
    name: &'static str,
    description: &'static str,
    kind: ArgKind,
    required: bool,
) -> ArgSpec {
    ArgSpec {
        name,
        description,
        kind,
        required,
    }
}

/// Every command, in the order help lists them.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "article",
        description: "Show an article: the latest, one by id, or the best match for some words",
        args: &[arg(
            "article",
            "An article id like 12, or words from its title or text",
            ArgKind::ArticleOrWords,
            false,
        )],
        moderator: false,
    },
    CommandSpec {
        name: "summary",
        description: "Summarise an article",
        args: &[
            arg("article", "The article id", ArgKind::Article, true),
            arg(
                "sentences",
                "How many sentences (1-10)",
                ArgKind::Count,
                false,
            ),
        ],
        moderator: false,
    },
    CommandSpec {
        name: "quote",
        description: "A quotation: at random, or from one article",
        args: &[arg(
            "article",
            "An article id, or words to find the article",
            ArgKind::ArticleOrWords,
            false,
        )],
        moderator: false,
    },
    CommandSpec {
        name: "search",
        description: "Search the articles",
        args: &[arg("words", "What to look for", ArgKind::Text, true)],
        moderator: false,
    },
    CommandSpec {
        name: "discuss",
        description: "Open the discussion of an article in this channel",
        args: &[arg("article", "The article id", ArgKind::Article, true)],
        moderator: false,
    },
    CommandSpec {
        name: "pins",
        description: "List pinned commentary: on one article, or the latest",
        args: &[arg("article", "The article id", ArgKind::Article, false)],
        moderator: false,
    },
    CommandSpec {
        name: "pin",
        description: "Pin a reader's message as the notable take on its article",
        args: &[
            arg("message", "The recorded message", ArgKind::Message, true),
            arg("note", "A note to show with it", ArgKind::Text, false),
        ],
        moderator: true,
    },
    CommandSpec {
        name: "unpin",
        description: "Remove a pinned comment",
        args: &[arg(
            "message",
            "The recorded message",
            ArgKind::Message,
            true,
        )],
        moderator: true,
    },
    CommandSpec {
        name: "digest",
        description: "The channel's daily digest: at HH:MM [time zone], off, now, or preview",
        args: &[arg(
            "action",
            "at 09:00 Europe/Berlin | off | now | preview",
            ArgKind::Text,
            true,
        )],
        moderator: false,
    },
    CommandSpec {
        name: "ingest",
        description: "Add an article from a web address",
        args: &[arg(
            "url",
            "The article's address (http or https)",
            ArgKind::Text,
            true,
        )],
        moderator: true,
    },
    CommandSpec {
        name: "feed",
        description: "Follow feeds here: add <url> [--thread] [--every MIN], remove <url>, list, preview <url>",
        args: &[arg(
            "action",
            "add <url> [--thread] [--every MIN] | remove <url> | list | preview <url>",
            ArgKind::Text,
            true,
        )],
        moderator: false,
    },
    CommandSpec {
        name: "export",
        description: "Export an article's whole discussion, as a reply tree with pins marked",
        args: &[arg("article", "The article id", ArgKind::Article, true)],
        moderator: true,
    },
    CommandSpec {
        name: "stats",
        description: "How much the bot holds and how long it has run",
        args: &[],
        moderator: true,
    },
    CommandSpec {
        name: "help",
        description: "List the commands, or explain one",
        args: &[arg("command", "A command name", ArgKind::Text, false)],
        moderator: false,
    },
];

/// The spec of a command by name.
pub fn spec(name: &str) -> Option<&'static CommandSpec> {
    COMMANDS.iter().find(|spec| spec.name == name)
}

/// An article named by id or by words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// By id.
    Id(ArticleId),
    /// The best search match for these words.
    Words(String),
}

/// A message named in a moderator command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageRef {
    /// The store's row id, as the console shows it (`#N`).
    Recorded(i64),
    /// The platform's own id for the message (Discord snowflake, Matrix event id).
    Platform(String),
}

/// What `/digest` should do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DigestAction {
    /// Post daily at this local time, in this zone (or the channel's remembered one).
    At {
        /// `HH:MM`.
        time: chrono::NaiveTime,
        /// An IANA zone.
        zone: Option<chrono_tz::Tz>,
    },
    /// Stop the daily digest.
    Off,
    /// Post a digest now.
    Now,
    /// Show what the next digest would hold, to the caller only.
    Preview,
}

/// What `/feed` should do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedAction {
    /// Follow a feed here; with `thread`, open each new article's discussion at once.
    Add {
        /// The feed's address.
        url: String,
        /// Open a discussion thread per post.
        thread: bool,
        /// Poll every this many minutes (default 15).
        every: Option<u32>,
    },
    /// Stop following a feed here.
    Remove(String),
    /// The feeds followed here, with their health.
    List,
    /// How the next post from a feed would look.
    Preview(String),
}

/// A parsed command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `/article [id|words]`; `None` shows the latest.
    Article(Option<Target>),
    /// `/summary <id> [sentences]`.
    Summary {
        /// The article.
        article: ArticleId,
        /// How many sentences; the article's own summary (or three) when absent.
        sentences: Option<usize>,
    },
    /// `/quote [id|words]`.
    Quote(Option<Target>),
    /// `/search <words>`.
    Search(String),
    /// `/discuss <id>`.
    Discuss(ArticleId),
    /// `/pins [id]`.
    Pins(Option<ArticleId>),
    /// `/pin <message> [note]`.
    Pin {
        /// The message.
        message: MessageRef,
        /// The moderator's note.
        note: Option<String>,
    },
    /// `/unpin <message>`.
    Unpin(MessageRef),
    /// `/digest at|off|now|preview`.
    Digest(DigestAction),
    /// `/export <id>`.
    Export(ArticleId),
    /// `/ingest <url>`.
    Ingest(String),
    /// `/feed add|remove|list|preview`.
    Feed(FeedAction),
    /// `/stats` (moderators).
    Stats,
    /// `/help [command]`.
    Help(Option<String>),
}

impl Command {
    /// The command's name.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Article(_) => "article",
            Command::Summary { .. } => "summary",
            Command::Quote(_) => "quote",
            Command::Search(_) => "search",
            Command::Discuss(_) => "discuss",
            Command::Pins(_) => "pins",
            Command::Pin { .. } => "pin",
            Command::Unpin(_) => "unpin",
            Command::Digest(_) => "digest",
            Command::Export(_) => "export",
            Command::Ingest(_) => "ingest",
            Command::Feed(_) => "feed",
            Command::Stats => "stats",
            Command::Help(_) => "help",
        }
    }

    /// Parses a command line without its prefix: `article 12`, `summary #3 2`, `search war`.
    pub fn parse(line: &str) -> Result<Command, CommandError> {
        let chars = line.chars().count();
        if chars > MAX_COMMAND_CHARS {
            return Err(CommandError::TooLong { chars });
        }
        let line = line.trim();
        let (name, rest) = match line.split_once(char::is_whitespace) {
            Some((name, rest)) => (name, rest.trim()),
            None => (line, ""),
        };
        let name = name.to_lowercase();
        let Some(spec) = spec(&name) else {
            return Err(CommandError::Unknown {
                suggestion: suggest(&name),
                name,
            });
        };
        let missing = |arg: usize| CommandError::Missing {
            command: spec,
            arg: spec.args[arg].name,
        };
        let (first, tail) = match rest.split_once(char::is_whitespace) {
            Some((first, tail)) => (first, tail.trim()),
            None => (rest, ""),
        };
        let command = match spec.name {
            "article" => Command::Article(target(rest)),
            "quote" => Command::Quote(target(rest)),
            "summary" => {
                if first.is_empty() {
                    return Err(missing(0));
                }
                let article = article_id(spec, first)?;
                let sentences = match tail {
                    "" => None,
                    n => Some(count(spec, n)?),
                };
                Command::Summary { article, sentences }
            }
            "search" => {
                if rest.is_empty() {
                    return Err(missing(0));
                }
                Command::Search(rest.to_owned())
            }
            "discuss" => {
                if rest.is_empty() {
                    return Err(missing(0));
                }
                no_extra(spec, tail)?;
                Command::Discuss(article_id(spec, first)?)
            }
            "pins" => {
                no_extra(spec, tail)?;
                match first {
                    "" => Command::Pins(None),
                    id => Command::Pins(Some(article_id(spec, id)?)),
                }
            }
            "pin" => {
                if first.is_empty() {
                    return Err(missing(0));
                }
                let chars = tail.chars().count();
                if chars > MAX_NOTE_CHARS {
                    return Err(CommandError::NoteTooLong { chars });
                }
                Command::Pin {
                    message: message_ref(spec, first)?,
                    note: (!tail.is_empty()).then(|| tail.to_owned()),
                }
            }
            "unpin" => {
                if first.is_empty() {
                    return Err(missing(0));
                }
                no_extra(spec, tail)?;
                Command::Unpin(message_ref(spec, first)?)
            }
            "digest" => Command::Digest(digest_action(spec, first, tail)?),
            "feed" => Command::Feed(feed_action(spec, first, tail)?),
            "ingest" => {
                if rest.is_empty() {
                    return Err(missing(0));
                }
                no_extra(spec, tail)?;
                Command::Ingest(first.trim_matches(['<', '>']).to_owned())
            }
            "export" => {
                if rest.is_empty() {
                    return Err(missing(0));
                }
                no_extra(spec, tail)?;
                Command::Export(article_id(spec, first)?)
            }
            "stats" => {
                no_extra(spec, rest)?;
                Command::Stats
            }
            _ => Command::Help(
                (!first.is_empty()).then(|| first.trim_start_matches(['/', '!']).to_lowercase()),
            ),
        };
        Ok(command)
    }
}

fn digest_action(
    spec: &'static CommandSpec,
    first: &str,
    tail: &str,
) -> Result<DigestAction, CommandError> {
    let bad = |value: &str, expected| CommandError::Bad {
        command: spec,
        arg: "action",
        value: value.to_owned(),
        expected,
    };
    match first.to_lowercase().as_str() {
        "" => Err(CommandError::Missing {
            command: spec,
            arg: "action",
        }),
        "off" | "now" | "preview" => {
            no_extra(spec, tail)?;
            Ok(match first.to_lowercase().as_str() {
                "off" => DigestAction::Off,
                "now" => DigestAction::Now,
                _ => DigestAction::Preview,
            })
        }
        "at" => {
            let (time, zone) = match tail.split_once(char::is_whitespace) {
                Some((time, zone)) => (time, zone.trim()),
                None => (tail, ""),
            };
            if time.is_empty() {
                return Err(CommandError::Missing {
                    command: spec,
                    arg: "action",
                });
            }
            let time = crate::bot::digest::parse_time(time)
                .ok_or_else(|| bad(time, "a time of day as HH:MM (24-hour)"))?;
            let zone = match zone {
                "" => None,
                name => Some(crate::bot::digest::parse_zone(name).ok_or_else(|| {
                    bad(
                        name,
                        "an IANA time zone such as Europe/Berlin or America/New_York",
                    )
                })?),
            };
            Ok(DigestAction::At { time, zone })
        }
        _ => Err(bad(
            first,
            "one of: at HH:MM [time zone], off, now, preview",
        )),
    }
}

fn feed_action(
    spec: &'static CommandSpec,
    first: &str,
    tail: &str,
) -> Result<FeedAction, CommandError> {
    let url = |tail: &str| -> Result<String, CommandError> {
        let url = tail
            .split_whitespace()
            .next()
            .unwrap_or("")
            .trim_matches(['<', '>']);
        if url.is_empty() {
            return Err(CommandError::Missing {
                command: spec,
                arg: "action",
            });
        }
        Ok(url.to_owned())
    };
    match first.to_lowercase().as_str() {
        "" => Err(CommandError::Missing {
            command: spec,
            arg: "action",
        }),
        "add" => {
            let words: Vec<&str> = tail.split_whitespace().skip(1).collect();
            let every = match words.iter().position(|w| *w == "--every") {
                None => None,
                Some(i) => {
                    let value = words.get(i + 1).copied().unwrap_or("");
                    match value.parse::<u32>() {
                        Ok(minutes) if (5..=1440).contains(&minutes) => Some(minutes),
                        _ => {
                            return Err(CommandError::Bad {
                                command: spec,
                                arg: "action",
                                value: format!("--every {value}"),
                                expected: "--every with a number of minutes from 5 to 1440",
                            });
                        }
                    }
                }
            };
            Ok(FeedAction::Add {
                url: url(tail)?,
                thread: words.iter().any(|w| *w == "--thread" || *w == "thread"),
                every,
            })
        }
        "remove" => Ok(FeedAction::Remove(url(tail)?)),
        "preview" => Ok(FeedAction::Preview(url(tail)?)),
        "list" => {
            no_extra(spec, tail)?;
            Ok(FeedAction::List)
        }
        other => Err(CommandError::Bad {
            command: spec,
            arg: "action",
            value: other.to_owned(),
            expected: "one of: add <url> [--thread], remove <url>, list, preview <url>",
        }),
    }
}

fn target(rest: &str) -> Option<Target> {
    if rest.is_empty() {
        return None;
    }
    Some(match rest.parse::<ArticleId>() {
        Ok(id) => Target::Id(id),
        Err(_) => Target::Words(rest.to_owned()),
    })
}

fn article_id(spec: &'static CommandSpec, text: &str) -> Result<ArticleId, CommandError> {
    text.parse().map_err(|_| CommandError::Bad {
        command: spec,
        arg: "article",
        value: text.to_owned(),
        expected: "an article id such as 12 or #12",
    })
}

fn count(spec: &'static CommandSpec, text: &str) -> Result<usize, CommandError> {
    match text.parse::<usize>() {
        Ok(n) if (1..=MAX_SUMMARY_SENTENCES).contains(&n) => Ok(n),
        _ => Err(CommandError::Bad {
            command: spec,
            arg: "sentences",
            value: text.to_owned(),
            expected: "a number from 1 to 10",
        }),
    }
}

fn message_ref(spec: &'static CommandSpec, text: &str) -> Result<MessageRef, CommandError> {
    match text.trim_start_matches('#').parse::<i64>() {
        Ok(n) if n > 0 => Ok(MessageRef::Recorded(n)),
        _ => Err(CommandError::Bad {
            command: spec,
            arg: "message",
            value: text.to_owned(),
            expected: "a message number such as #12",
        }),
    }
}

fn no_extra(spec: &'static CommandSpec, tail: &str) -> Result<(), CommandError> {
    if tail.is_empty() {
        Ok(())
    } else {
        Err(CommandError::Extra {
            command: spec,
            extra: tail.to_owned(),
        })
    }
}

/// The closest command name to a mistyped one, if any is close.
fn suggest(name: &str) -> Option<&'static str> {
    COMMANDS
        .iter()
        .map(|spec| (strsim::damerau_levenshtein(name, spec.name), spec.name))
        .filter(|&(distance, candidate)| {
            distance <= 2 || (name.len() >= 3 && candidate.starts_with(name))
        })
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, candidate)| candidate)
}

/// Why a command line could not be parsed. Its `Display` needs the platform's prefix, so
/// platforms show it through [`CommandError::message`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandError {
    /// No such command.
    Unknown {
        /// What was typed.
        name: String,
        /// A close command name.
        suggestion: Option<&'static str>,
    },
    /// A required argument is missing.
    Missing {
        /// The command.
        command: &'static CommandSpec,
        /// The argument.
        arg: &'static str,
    },
    /// An argument has the wrong form.
    Bad {
        /// The command.
        command: &'static CommandSpec,
        /// The argument.
        arg: &'static str,
        /// What was given.
        value: String,
        /// What was expected.
        expected: &'static str,
    },
    /// More arguments than the command takes.
    Extra {
        /// The command.
        command: &'static CommandSpec,
        /// The extra text.
        extra: String,
    },
    /// The line is longer than [`MAX_COMMAND_CHARS`].
    TooLong {
        /// Its length.
        chars: usize,
    },
    /// A pin note longer than [`MAX_NOTE_CHARS`].
    NoteTooLong {
        /// Its length.
        chars: usize,
    },
}

impl CommandError {
    /// The message for the user, naming commands with the platform's prefix.
    pub fn message(&self, prefix: &str) -> String {
        match self {
            CommandError::Unknown { name, suggestion } => {
                let shown = crate::bot::reply::truncate(name, 40);
                match suggestion {
                    Some(s) => format!(
                        "There is no command {prefix}{shown}. Did you mean {prefix}{s}? {prefix}help lists them all."
                    ),
                    None => format!(
                        "There is no command {prefix}{shown}. {prefix}help lists the commands."
                    ),
                }
            }
            CommandError::Missing { command, arg } => format!(
                "{prefix}{} needs <{arg}>. Usage: {}",
                command.name,
                command.usage(prefix)
            ),
            CommandError::Bad {
                command,
                arg,
                value,
                expected,
            } => format!(
                "“{}” is not {expected} (the <{arg}> of {prefix}{}). Usage: {}",
                crate::bot::reply::truncate(value, 40),
                command.name,
                command.usage(prefix)
            ),
            CommandError::Extra { command, extra } => format!(
                "{prefix}{} does not take “{}”. Usage: {}",
                command.name,
                crate::bot::reply::truncate(extra, 40),
                command.usage(prefix)
            ),
            CommandError::TooLong { chars } => format!(
                "That command is {chars} characters long; commands are limited to {MAX_COMMAND_CHARS}."
            ),
            CommandError::NoteTooLong { chars } => format!(
                "That note is {chars} characters long; pin notes are limited to {MAX_NOTE_CHARS}."
            ),
        }
    }
}

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message("/"))
    }
}

impl std::error::Error for CommandError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_command_shape() {
        assert_eq!(Command::parse("article"), Ok(Command::Article(None)));
        assert_eq!(
            Command::parse("ARTICLE #4"),
            Ok(Command::Article(Some(Target::Id(ArticleId(4)))))
        );
        assert_eq!(
            Command::parse("article  Iran socialism "),
            Ok(Command::Article(Some(Target::Words(
                "Iran socialism".into()
            ))))
        );
        assert_eq!(
            Command::parse("summary 3 2"),
            Ok(Command::Summary {
                article: ArticleId(3),
                sentences: Some(2)
            })
        );
        assert_eq!(Command::parse("quote"), Ok(Command::Quote(None)));
        assert_eq!(
            Command::parse("search a b"),
            Ok(Command::Search("a b".into()))
        );
        assert_eq!(
            Command::parse("discuss #1"),
            Ok(Command::Discuss(ArticleId(1)))
        );
        assert_eq!(Command::parse("pins"), Ok(Command::Pins(None)));
        assert_eq!(
            Command::parse("pin #7 sharp point"),
            Ok(Command::Pin {
                message: MessageRef::Recorded(7),
                note: Some("sharp point".into())
            })
        );
        assert_eq!(
            Command::parse("unpin 7"),
            Ok(Command::Unpin(MessageRef::Recorded(7)))
        );
        assert_eq!(
            Command::parse("help /quote"),
            Ok(Command::Help(Some("quote".into())))
        );
    }

    #[test]
    fn every_spec_parses_with_its_required_arguments() {
        for spec in COMMANDS {
            let args: Vec<&str> = spec
                .args
                .iter()
                .filter(|a| a.required)
                .map(|_| match spec.name {
                    "digest" => "now",
                    "feed" => "list",
                    _ => "1",
                })
                .collect();
            let line = format!("{} {}", spec.name, args.join(" "));
            let command = Command::parse(&line).unwrap_or_else(|e| panic!("{line}: {e}"));
            assert_eq!(command.name(), spec.name);
        }
    }

    #[test]
    fn errors_are_specific() {
        let err = Command::parse("frobnicate").unwrap_err();
        assert_eq!(
            err.message("!"),
            "There is no command !frobnicate. !help lists the commands."
        );
        let err = Command::parse("artcle 2").unwrap_err();
        assert!(err.message("/").contains("Did you mean /article?"), "{err}");
        let err = Command::parse("summary").unwrap_err();
        assert_eq!(
            err.message("/"),
            "/summary needs <article>. Usage: /summary <article> [sentences]"
        );
        let err = Command::parse("summary x").unwrap_err();
        assert!(
            err.message("/").starts_with("“x” is not an article id"),
            "{err}"
        );
        let err = Command::parse("summary 1 99").unwrap_err();
        assert!(err.message("/").contains("a number from 1 to 10"), "{err}");
        let err = Command::parse("discuss 1 2").unwrap_err();
        assert!(err.message("/").contains("does not take “2”"), "{err}");
        let err = Command::parse("article -5").map(|c| c.name());
        assert_eq!(err, Ok("article"), "a non-id is searched for");
        let long = format!("search {}", "x".repeat(MAX_COMMAND_CHARS));
        assert!(matches!(
            Command::parse(&long),
            Err(CommandError::TooLong { .. })
        ));
        let note = format!("pin 1 {}", "n".repeat(MAX_NOTE_CHARS + 1));
        assert!(matches!(
            Command::parse(&note),
            Err(CommandError::NoteTooLong { .. })
        ));
    }

    proptest::proptest! {
        #[test]
        fn parse_never_panics(line in "\\PC{0,300}") {
            let _ = Command::parse(&line).map_err(|e| e.message("/"));
        }

        #[test]
        fn parse_never_panics_on_known_names(name in proptest::sample::select(COMMANDS.iter().map(|s| s.name).collect::<Vec<_>>()), rest in "[\\s\\S]{0,200}") {
            let _ = Command::parse(&format!("{name} {rest}")).map_err(|e| e.message("!"));
        }
    }
}
