//! The local console chat: commands and discussion on stdin/stdout, for trying the bot without
//! any chat account and for driving it from scripts and tests.
//!
//! Lines starting with `/` are commands. After `/discuss <id>`, other lines are recorded as
//! discussion messages (a line starting `>N ` replies to message #N) until `/done`.

use std::time::{SystemTime, UNIX_EPOCH};

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWrite, AsyncWriteExt};

use crate::bot::{Bot, Context, Effect, Platform, Posted, User};
use crate::platform::plain::render;
use crate::store::Scope;

/// The console's channel id.
pub const CHANNEL: &str = "console";

/// Prints digests on standard output, where the console chat is.
#[derive(Debug, Default, Clone, Copy)]
pub struct ConsoleDigests;

#[async_trait::async_trait]
impl crate::bot::digest::DigestSink for ConsoleDigests {
    async fn post(
        &self,
        _channel: &str,
        digest: &crate::bot::Reply,
        _key: &str,
    ) -> anyhow::Result<()> {
        use tokio::io::AsyncWriteExt;
        let mut out = tokio::io::stdout();
        out.write_all(format!("\n{}\n", render(digest, "/")).as_bytes())
            .await?;
        out.flush().await?;
        Ok(())
    }
}

/// The console chat over any line source and sink.
#[derive(Debug)]
pub struct Console {
    bot: Bot,
    ctx: Context,
    /// Makes platform ids unique across runs.
    session: u128,
    sent: u64,
    /// The discussion being typed into: its row id, its thread, its article.
    discussion: Option<(i64, String, crate::store::ArticleId)>,
    prompt: bool,
}

impl Console {
    /// A console session for `user_name`, who moderates (it is the operator's own console).
    pub fn new(bot: Bot, user_name: &str) -> Self {
        let session = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        Self {
            bot,
            ctx: Context {
                platform: Platform::Console,
                community: CHANNEL.to_owned(),
                channel: CHANNEL.to_owned(),
                channel_name: Some("console".to_owned()),
                user: User {
                    id: format!("console:{user_name}"),
                    name: user_name.to_owned(),
                    moderator: true,
                },
                prefix: "/".to_owned(),
            },
            session,
            sent: 0,
            discussion: None,
            prompt: false,
        }
    }

    /// The console as another community (`--community NAME`): a channel of its own, with
    /// its own shelf, discussions and pins, as a second server would have. For tests and
    /// demos of what one community sees of another: nothing.
    pub fn in_community(mut self, name: &str) -> Self {
        self.ctx.community = name.to_owned();
        self.ctx.channel = name.to_owned();
        self.ctx.channel_name = Some(name.to_owned());
        self
    }

    /// Shows a `> ` prompt before each line (for a terminal).
    pub fn with_prompt(mut self, prompt: bool) -> Self {
        self.prompt = prompt;
        self
    }

    /// Reads lines until end of input, answering each. Returns when the input ends or on
    /// `/quit`.
    pub async fn run<R, W>(&mut self, input: R, mut output: W) -> anyhow::Result<()>
    where
        R: AsyncBufRead + Unpin,
        W: AsyncWrite + Unpin,
    {
        let mut lines = input.lines();
        output
            .write_all(b"Reading Room console. /help lists the commands, /quit leaves.\n")
            .await?;
        loop {
            if self.prompt {
                output.write_all(self.prompt_text().as_bytes()).await?;
            }
            output.flush().await?;
            let Some(line) = lines.next_line().await? else {
                break;
            };
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            if matches!(line, "/quit" | "/exit") {
                break;
            }
            let answer = self.line(line).await;
            output.write_all(answer.as_bytes()).await?;
            output.write_all(b"\n").await?;
        }
        output.flush().await?;
        Ok(())
    }

    fn prompt_text(&self) -> String {
        match self.discussion {
            Some((_, _, article)) => format!("{article}> "),
            None => "> ".to_owned(),
        }
    }

    /// Answers one line of input.
    pub async fn line(&mut self, line: &str) -> String {
        if line == "/done" {
            return match self.discussion.take() {
                Some((_, _, article)) => format!("Left the discussion of {article}."),
                None => "You are not in a discussion; /discuss <id> opens one.".to_owned(),
            };
        }
        if let Some(command) = line.strip_prefix('/') {
            let reply = self.bot.handle_text(&self.ctx, command).await;
            let mut text = render(&reply, "/");
            if let Some(Effect::Discussion {
                discussion_id,
                article_id,
                thread_ref,
            }) = reply.effect
            {
                // The console's "thread" is the session itself; naming it like a platform
                // thread lets its messages take the same path as everyone else's.
                let thread = match thread_ref {
                    Some(thread) => thread,
                    None => {
                        let thread = format!("console-{discussion_id}");
                        if let Err(error) =
                            self.bot.thread_opened(discussion_id, Some(&thread)).await
                        {
                            return format!("! Could not open the discussion: {error}");
                        }
                        thread
                    }
                };
                self.discussion = Some((discussion_id, thread, article_id));
                text.push_str(&format!(
                    "\n\nDiscussing {article_id}: what you type now is recorded as a message (\">N text\" replies to message #N); /done ends."
                ));
            }
            return text;
        }
        match self.discussion.clone() {
            Some((discussion_id, thread, _)) => self.record(discussion_id, thread, line).await,
            None => "Commands start with /; /help lists them. To comment on an article, /discuss <id> first.".to_owned(),
        }
    }

    async fn record(&mut self, discussion_id: i64, thread: String, line: &str) -> String {
        let (reply_to, body) = match reply_target(line) {
            Some((parent, rest)) => match self.bot.store().message(Scope::Operator, parent).await {
                Ok(Some(message)) if message.discussion_id == discussion_id => {
                    (Some(message.platform_id), rest)
                }
                Ok(_) => {
                    return format!(
                        "! There is no message #{parent} in this discussion; nothing recorded."
                    );
                }
                Err(error) => return format!("! Could not look up message #{parent}: {error}"),
            },
            None => (None, line),
        };
        self.sent += 1;
        let posted = Posted {
            platform: Platform::Console,
            community: self.ctx.community.clone(),
            thread,
            id: format!("{:x}-{}", self.session, self.sent),
            author_id: self.ctx.user.id.clone(),
            author_name: self.ctx.user.name.clone(),
            body: body.to_owned(),
            reply_to,
            at: self.bot.now(),
        };
        match self.bot.message_posted(posted).await {
            Ok(Some(id)) => format!("  recorded as #{id}"),
            Ok(None) => "! This discussion is no longer open here; nothing recorded.".to_owned(),
            Err(error) => {
                tracing::error!(%error, "recording a console message failed");
                format!("! Not recorded: {error}")
            }
        }
    }
}

/// `>12 text` → `(12, "text")`.
fn reply_target(line: &str) -> Option<(i64, &str)> {
    let rest = line.strip_prefix('>')?;
    let end = rest.find(|c: char| !c.is_ascii_digit())?;
    let id = rest[..end].parse().ok()?;
    let body = rest[end..].trim();
    (!body.is_empty()).then_some((id, body))
}

#[cfg(test)]
mod tests {
    use super::reply_target;

    #[test]
    fn reply_syntax() {
        assert_eq!(reply_target(">12 I disagree"), Some((12, "I disagree")));
        assert_eq!(reply_target("> quoted"), None);
        assert_eq!(reply_target(">12"), None);
        assert_eq!(reply_target("plain"), None);
    }
}
