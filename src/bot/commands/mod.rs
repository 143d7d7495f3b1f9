//! The commands every platform offers: one module per command, each holding its spec (name,
//! arguments, who may run it, an example), its parsing and its handler.
//!
//! The list below is the only place that names them all: help pages, usage lines, the moderator
//! check, Discord's slash-command registration and the tests' list of moderator actions are all
//! built from the specs. Adding a command is one new file and one word in `commands!`.
//!
//! Text is parsed through [`Args`], a cursor over the words after the command name; platforms
//! with typed options (Discord) turn them back into the same text first, so there is one
//! grammar and one set of error messages.

mod args;
mod error;

use std::fmt;

pub use args::Args;
pub use error::CommandError;

use super::{Bot, Context, Handled};
use crate::store::ArticleId;

/// Longest command line accepted, in characters.
pub const MAX_COMMAND_CHARS: usize = 2000;
/// Longest note on a pin, in characters.
pub const MAX_NOTE_CHARS: usize = 500;

/// What an argument holds, for parsing and for platforms with typed options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgKind {
    /// An article id (`12` or `#12`).
    Article,
    /// An article id or words to search titles and text for.
    ArticleOrWords,
    /// A whole number in a range.
    Count {
        /// The smallest accepted.
        min: u32,
        /// The largest accepted.
        max: u32,
        /// What it counts (`sentences`, `minutes`), for error messages.
        unit: &'static str,
    },
    /// Free text.
    Text,
    /// A recorded message (`#N` on the console; platforms pass their own message ids).
    Message,
    /// An on/off switch, written `--name` in text.
    Switch,
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
    /// Written as `--name value` (or `--name` for a switch) rather than by position.
    pub named: bool,
}

impl ArgSpec {
    /// A positional argument.
    pub const fn new(
        name: &'static str,
        description: &'static str,
        kind: ArgKind,
        required: bool,
    ) -> Self {
        Self {
            name,
            description,
            kind,
            required,
            named: false,
        }
    }

    /// An optional argument written `--name value`, or `--name` for a [`ArgKind::Switch`].
    pub const fn named(name: &'static str, description: &'static str, kind: ArgKind) -> Self {
        Self {
            name,
            description,
            kind,
            required: false,
            named: true,
        }
    }

    fn usage(&self) -> String {
        let shown = match (self.named, self.kind) {
            (true, ArgKind::Switch) => format!("--{}", self.name),
            (true, _) => format!("--{} <{}>", self.name, self.name),
            (false, _) if self.required => format!("<{}>", self.name),
            (false, _) => self.name.to_owned(),
        };
        if self.required {
            shown
        } else {
            format!("[{shown}]")
        }
    }
}

/// The required article id most commands take.
const ARTICLE: ArgSpec = ArgSpec::new("article", "The article id", ArgKind::Article, true);

/// The optional "article id or words" argument of `/article` and `/quote`.
const ARTICLE_OR_WORDS: ArgSpec = ArgSpec::new(
    "article",
    "An article id like 12, or words from its title or text",
    ArgKind::ArticleOrWords,
    false,
);

/// Turns the words after a command's name into something to run.
pub type Parser = fn(&mut Args<'_>) -> Result<Box<dyn Run>, CommandError>;

/// A command (or one subcommand of a command) as users see it.
#[derive(Debug, Clone, Copy)]
pub struct CommandSpec {
    /// The words that name it, without prefix: `summary`, `digest at`.
    pub path: &'static str,
    /// One line on what it does.
    pub description: &'static str,
    /// Its arguments in order (positional first, then named).
    pub args: &'static [ArgSpec],
    /// Only moderators may run it.
    pub moderator: bool,
    /// Arguments that make a valid call, for help and for tests: `12 2`.
    pub example: &'static str,
    /// Its subcommands; a command with subcommands is run through one of them.
    pub subcommands: &'static [CommandSpec],
    /// Its parser; `None` for a command run only through its subcommands.
    pub parse: Option<Parser>,
    /// It answers the caller alone (stats, previews, files): platforms that must acknowledge
    /// before the answer is ready (Discord) acknowledge privately too.
    pub private: bool,
    /// The subcommand a group runs when typed without one (`/web` is `/web show`), on
    /// platforms that take text; Discord always names one.
    pub default: Option<&'static str>,
}

impl CommandSpec {
    /// A command without subcommands.
    pub const fn leaf(
        path: &'static str,
        description: &'static str,
        args: &'static [ArgSpec],
        moderator: bool,
        example: &'static str,
        parse: Parser,
    ) -> Self {
        Self {
            path,
            description,
            args,
            moderator,
            example,
            subcommands: &[],
            parse: Some(parse),
            private: false,
            default: None,
        }
    }

    /// The same command, answering the caller alone.
    pub const fn private(mut self) -> Self {
        self.private = true;
        self
    }

    /// A command made of subcommands.
    pub const fn group(
        path: &'static str,
        description: &'static str,
        subcommands: &'static [CommandSpec],
    ) -> Self {
        Self {
            path,
            description,
            args: &[],
            moderator: false,
            example: "",
            subcommands,
            parse: None,
            private: false,
            default: None,
        }
    }

    /// The same group, running its subcommand `name` when typed without one.
    pub const fn defaults_to(mut self, name: &'static str) -> Self {
        self.default = Some(name);
        self
    }

    /// The last word of its path: the name Discord registers.
    pub fn name(&self) -> &'static str {
        self.path.rsplit(' ').next().unwrap_or(self.path)
    }

    /// The top-level command's name.
    pub fn root(&self) -> &'static str {
        self.path.split(' ').next().unwrap_or(self.path)
    }

    /// `/summary <article> [sentences]`; a group lists its subcommands.
    pub fn usage(&self, prefix: &str) -> String {
        if !self.subcommands.is_empty() {
            let names: Vec<&str> = self.subcommands.iter().map(|s| s.name()).collect();
            return format!("{prefix}{} {}", self.path, names.join("|"));
        }
        let mut usage = format!("{prefix}{}", self.path);
        for arg in self.args {
            usage.push(' ');
            usage.push_str(&arg.usage());
        }
        usage
    }

    /// A valid call: `/summary 12 2`.
    pub fn example_line(&self, prefix: &str) -> String {
        format!("{prefix}{} {}", self.path, self.example)
            .trim_end()
            .to_owned()
    }

    /// This command and its subcommands, each runnable one once.
    pub fn leaves(&'static self) -> Vec<&'static CommandSpec> {
        if self.subcommands.is_empty() {
            vec![self]
        } else {
            self.subcommands.iter().flat_map(|s| s.leaves()).collect()
        }
    }
}

/// A parsed command's handler.
#[async_trait::async_trait]
pub trait Run: Send + Sync + fmt::Debug {
    /// Runs it for `ctx`'s caller.
    async fn run(&self, bot: &Bot, ctx: &Context) -> Handled;
}

/// A parsed command, ready to run.
#[derive(Debug)]
pub struct Command {
    spec: &'static CommandSpec,
    action: Box<dyn Run>,
}

/// Declares the command modules and the list of their specs, in the order help shows them.
macro_rules! commands {
    ($($module:ident),* $(,)?) => {
        $(mod $module;)*
        /// Every command, in the order help lists them.
        pub static COMMANDS: &[&CommandSpec] = &[$(&$module::SPEC),*];
    };
}

commands! {
    article,
    summary,
    quote,
    quotes,
    search,
    discuss,
    pins,
    pin,
    unpin,
    digest,
    ingest,
    feed,
    export,
    web,
    link,
    forget_me,
    stats,
    help,
}

/// The spec of a command or subcommand by its path (`summary`, `digest at`).
pub fn spec(path: &str) -> Option<&'static CommandSpec> {
    COMMANDS
        .iter()
        .flat_map(|spec| std::iter::once(*spec).chain(spec.subcommands.iter()))
        .find(|spec| spec.path == path)
}

/// Every runnable command and subcommand.
pub fn leaves() -> impl Iterator<Item = &'static CommandSpec> {
    COMMANDS.iter().flat_map(|spec| spec.leaves())
}

impl Command {
    /// Parses a command line without its prefix: `article 12`, `summary #3 2`, `feed list`.
    pub fn parse(line: &str) -> Result<Command, CommandError> {
        let chars = line.chars().count();
        if chars > MAX_COMMAND_CHARS {
            return Err(CommandError::TooLong { chars });
        }
        let (name, rest) = split_word(line.trim());
        let name = name.to_lowercase();
        let Some(mut spec) = COMMANDS.iter().copied().find(|spec| spec.path == name) else {
            return Err(CommandError::Unknown {
                suggestion: suggest(&name),
                name,
            });
        };
        let mut rest = rest;
        while !spec.subcommands.is_empty() {
            let (word, tail) = split_word(rest);
            let word = match (word, spec.default) {
                ("", Some(default)) => default,
                ("", None) => return Err(CommandError::NoSubcommand { command: spec }),
                (word, _) => word,
            };
            let word = word.to_lowercase();
            spec = spec
                .subcommands
                .iter()
                .find(|sub| sub.name() == word)
                .ok_or_else(|| CommandError::BadSubcommand {
                    command: spec,
                    given: word.clone(),
                })?;
            rest = tail;
        }
        let parse = spec
            .parse
            .ok_or(CommandError::NoSubcommand { command: spec })?;
        let mut args = Args::new(spec, rest);
        let action = parse(&mut args)?;
        args.finish()?;
        Ok(Command { spec, action })
    }

    /// A command the platform built itself (a context menu, a reply): `spec` must be the
    /// spec `action` belongs to.
    pub(crate) fn from_parts(spec: &'static CommandSpec, action: Box<dyn Run>) -> Self {
        Self { spec, action }
    }

    /// `/pin` of a message named by the platform (a context menu, a reply).
    pub fn pin(message: MessageRef, note: Option<String>) -> Result<Command, CommandError> {
        pin::command(message, note)
    }

    /// `/unpin` of a message named by the platform.
    pub fn unpin(message: MessageRef) -> Command {
        unpin::command(message)
    }

    /// The top-level name, for metrics and logs.
    pub fn name(&self) -> &'static str {
        self.spec.root()
    }

    /// The spec of what runs (the subcommand, for a group).
    pub fn spec(&self) -> &'static CommandSpec {
        self.spec
    }

    pub(crate) async fn run(&self, bot: &Bot, ctx: &Context) -> Handled {
        self.action.run(bot, ctx).await
    }
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

/// `"word rest of line"` → `("word", "rest of line")`.
fn split_word(text: &str) -> (&str, &str) {
    match text.split_once(char::is_whitespace) {
        Some((word, rest)) => (word, rest.trim()),
        None => (text, ""),
    }
}

/// The closest command name to a mistyped one, if any is close.
fn suggest(name: &str) -> Option<&'static str> {
    COMMANDS
        .iter()
        .map(|spec| (strsim::damerau_levenshtein(name, spec.path), spec.path))
        .filter(|&(distance, candidate)| {
            distance <= 2 || (name.len() >= 3 && candidate.starts_with(name))
        })
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_example_parses_to_its_own_spec() {
        for spec in leaves() {
            let line = spec.example_line("");
            let command = Command::parse(&line).unwrap_or_else(|e| panic!("{line}: {e}"));
            assert_eq!(command.spec().path, spec.path, "{line}");
        }
    }

    #[test]
    fn specs_are_consistent() {
        let mut paths: Vec<&str> = COMMANDS
            .iter()
            .flat_map(|s| std::iter::once(*s).chain(s.subcommands.iter()))
            .map(|s| s.path)
            .collect();
        let count = paths.len();
        paths.sort_unstable();
        paths.dedup();
        assert_eq!(paths.len(), count, "command paths are unique");
        for spec in leaves() {
            assert!(spec.parse.is_some(), "{} can run", spec.path);
            // Discord wants required options before optional ones, and named ones are optional.
            let first_optional = spec.args.iter().position(|a| !a.required);
            if let Some(first) = first_optional {
                assert!(
                    spec.args[first..].iter().all(|a| !a.required),
                    "{}: required after optional",
                    spec.path
                );
            }
            assert!(spec.args.iter().all(|a| !a.named || !a.required));
            assert!(
                spec.description.len() <= 100,
                "{}: Discord's limit",
                spec.path
            );
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
        assert!(
            err.message("/")
                .contains("a number of sentences from 1 to 10"),
            "{err}"
        );
        let err = Command::parse("discuss 1 2").unwrap_err();
        assert!(err.message("/").contains("does not take “2”"), "{err}");
        let searched = Command::parse("article -5").map(|c| c.name()).ok();
        assert_eq!(searched, Some("article"), "a non-id is searched for");
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
        let err = Command::parse("digest").unwrap_err();
        assert_eq!(
            err.message("!"),
            "!digest needs one of: at, off, now, preview. Usage: !digest at|off|now|preview"
        );
        let err = Command::parse("feed frob").unwrap_err();
        assert!(err.message("/").starts_with("/feed has no “frob”"), "{err}");
        let err = Command::parse("feed add http://x --every 2").unwrap_err();
        assert!(
            err.message("/")
                .contains("a number of minutes from 5 to 1440"),
            "{err}"
        );
    }

    #[test]
    fn usage_shows_positional_and_named_arguments() {
        let add = spec("feed add").unwrap();
        assert_eq!(
            add.usage("/"),
            "/feed add <url> [--thread] [--every <every>]"
        );
        assert_eq!(
            spec("digest at").unwrap().usage("!"),
            "!digest at <time> [zone]"
        );
        assert_eq!(spec("article").unwrap().usage("/"), "/article [article]");
    }

    proptest::proptest! {
        #[test]
        fn parse_never_panics(line in "\\PC{0,300}") {
            let _ = Command::parse(&line).map_err(|e| e.message("/"));
        }

        #[test]
        fn parse_never_panics_on_known_names(name in proptest::sample::select(leaves().map(|s| s.path).collect::<Vec<_>>()), rest in "[\\s\\S]{0,200}") {
            let _ = Command::parse(&format!("{name} {rest}")).map_err(|e| e.message("!"));
        }
    }
}
