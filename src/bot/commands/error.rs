//! Why a command line could not be parsed, worded for the user with the platform's prefix.

use std::fmt;

use super::{CommandSpec, MAX_COMMAND_CHARS, MAX_NOTE_CHARS};
use crate::bot::reply::truncate;

/// Why a command line could not be parsed. Its `Display` needs the platform's prefix, so
/// platforms show it through [`CommandError::message`].
#[derive(Debug, Clone)]
pub enum CommandError {
    /// No such command.
    Unknown {
        /// What was typed.
        name: String,
        /// A close command name.
        suggestion: Option<&'static str>,
    },
    /// A command made of subcommands was given none.
    NoSubcommand {
        /// The command.
        command: &'static CommandSpec,
    },
    /// A subcommand that does not exist.
    BadSubcommand {
        /// The command.
        command: &'static CommandSpec,
        /// What was typed.
        given: String,
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
        expected: String,
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
                let shown = truncate(name, 40);
                match suggestion {
                    Some(s) => format!(
                        "There is no command {prefix}{shown}. Did you mean {prefix}{s}? {prefix}help lists them all."
                    ),
                    None => format!(
                        "There is no command {prefix}{shown}. {prefix}help lists the commands."
                    ),
                }
            }
            CommandError::NoSubcommand { command } => format!(
                "{prefix}{} needs one of: {}. Usage: {}",
                command.path,
                subcommand_names(command),
                command.usage(prefix)
            ),
            CommandError::BadSubcommand { command, given } => format!(
                "{prefix}{} has no “{}”; it takes one of: {}. Usage: {}",
                command.path,
                truncate(given, 40),
                subcommand_names(command),
                command.usage(prefix)
            ),
            CommandError::Missing { command, arg } => format!(
                "{prefix}{} needs <{arg}>. Usage: {}",
                command.path,
                command.usage(prefix)
            ),
            CommandError::Bad {
                command,
                arg,
                value,
                expected,
            } => format!(
                "“{}” is not {expected} (the <{arg}> of {prefix}{}). Usage: {}",
                truncate(value, 40),
                command.path,
                command.usage(prefix)
            ),
            CommandError::Extra { command, extra } => format!(
                "{prefix}{} does not take “{}”. Usage: {}",
                command.path,
                truncate(extra, 40),
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

fn subcommand_names(command: &CommandSpec) -> String {
    let names: Vec<&str> = command.subcommands.iter().map(|s| s.name()).collect();
    names.join(", ")
}

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message("/"))
    }
}

impl std::error::Error for CommandError {}
