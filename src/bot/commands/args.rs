//! A cursor over a command's words: each command's parser takes what it needs in order, and
//! every kind of value has its own error naming the argument and the usage.

use super::{ArgKind, ArgSpec, CommandError, CommandSpec, MessageRef, Target};
use crate::store::ArticleId;

/// The words after a command's name, taken one argument at a time.
#[derive(Debug)]
pub struct Args<'a> {
    spec: &'static CommandSpec,
    words: Vec<&'a str>,
}

impl<'a> Args<'a> {
    /// The words of `rest` for `spec`'s arguments.
    pub fn new(spec: &'static CommandSpec, rest: &'a str) -> Self {
        Self {
            spec,
            words: rest.split_whitespace().collect(),
        }
    }

    /// The spec being parsed.
    pub fn spec(&self) -> &'static CommandSpec {
        self.spec
    }

    fn arg(&self, name: &'static str) -> ArgSpec {
        self.spec
            .args
            .iter()
            .find(|a| a.name == name)
            .copied()
            .unwrap_or(ArgSpec::new(name, "", ArgKind::Text, false))
    }

    fn missing(&self, arg: &'static str) -> CommandError {
        CommandError::Missing {
            command: self.spec,
            arg,
        }
    }

    fn bad(&self, arg: &'static str, value: &str, expected: impl Into<String>) -> CommandError {
        CommandError::Bad {
            command: self.spec,
            arg,
            value: value.to_owned(),
            expected: expected.into(),
        }
    }

    /// The next positional word, if any.
    pub fn next_word(&mut self) -> Option<&'a str> {
        (!self.words.is_empty()).then(|| self.words.remove(0))
    }

    /// A required single word.
    pub fn word(&mut self, name: &'static str) -> Result<&'a str, CommandError> {
        self.next_word().ok_or_else(|| self.missing(name))
    }

    /// A required web address (angle brackets, as chat clients add them, are dropped).
    pub fn url(&mut self, name: &'static str) -> Result<String, CommandError> {
        Ok(self.word(name)?.trim_matches(['<', '>']).to_owned())
    }

    /// A required article id.
    pub fn article(&mut self, name: &'static str) -> Result<ArticleId, CommandError> {
        let word = self.word(name)?;
        word.parse()
            .map_err(|_| self.bad(name, word, "an article id such as 12 or #12"))
    }

    /// An optional article id.
    pub fn optional_article(
        &mut self,
        name: &'static str,
    ) -> Result<Option<ArticleId>, CommandError> {
        match self.words.is_empty() {
            true => Ok(None),
            false => self.article(name).map(Some),
        }
    }

    /// An article by id or by the rest of the words; `None` when nothing is left.
    pub fn target(&mut self) -> Option<Target> {
        let rest = self.rest()?;
        Some(match rest.parse::<ArticleId>() {
            Ok(id) => Target::Id(id),
            Err(_) => Target::Words(rest),
        })
    }

    /// An optional whole number in the argument's range.
    pub fn count(&mut self, name: &'static str) -> Result<Option<u32>, CommandError> {
        match self.next_word() {
            None => Ok(None),
            Some(word) => self.number(name, word).map(Some),
        }
    }

    fn number(&self, name: &'static str, word: &str) -> Result<u32, CommandError> {
        let (min, max, unit) = match self.arg(name).kind {
            ArgKind::Count { min, max, unit } => (min, max, unit),
            _ => (0, u32::MAX, "units"),
        };
        match word.parse::<u32>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n),
            _ => Err(self.bad(
                name,
                word,
                format!("a number of {unit} from {min} to {max}"),
            )),
        }
    }

    /// A required message reference: `#12` or `12`.
    pub fn message(&mut self, name: &'static str) -> Result<MessageRef, CommandError> {
        let word = self.word(name)?;
        match word.trim_start_matches('#').parse::<i64>() {
            Ok(n) if n > 0 => Ok(MessageRef::Recorded(n)),
            _ => Err(self.bad(name, word, "a message number such as #12")),
        }
    }

    /// All remaining words, or `None` when there are none.
    pub fn rest(&mut self) -> Option<String> {
        if self.words.is_empty() {
            return None;
        }
        let rest = self.words.join(" ");
        self.words.clear();
        Some(rest)
    }

    /// All remaining words, which must be there.
    pub fn required_rest(&mut self, name: &'static str) -> Result<String, CommandError> {
        self.rest().ok_or_else(|| self.missing(name))
    }

    /// Whether `--name` was given (taken out wherever it stands).
    pub fn switch(&mut self, name: &'static str) -> bool {
        let flag = format!("--{name}");
        let before = self.words.len();
        self.words.retain(|w| *w != flag);
        self.words.len() != before
    }

    /// `--name N`, taken out wherever it stands.
    pub fn named_count(&mut self, name: &'static str) -> Result<Option<u32>, CommandError> {
        let flag = format!("--{name}");
        let Some(at) = self.words.iter().position(|w| *w == flag) else {
            return Ok(None);
        };
        self.words.remove(at);
        if at >= self.words.len() {
            return Err(self.missing(name));
        }
        let value = self.words.remove(at);
        self.number(name, value).map(Some)
    }

    /// Ends parsing: anything left over is an error.
    pub fn finish(&mut self) -> Result<(), CommandError> {
        match self.rest() {
            None => Ok(()),
            Some(extra) => Err(CommandError::Extra {
                command: self.spec,
                extra,
            }),
        }
    }
}
