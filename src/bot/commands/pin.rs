//! `/pin <message> [note]`: a moderator pins a reader's message as the notable take on its
//! article. Platforms name the message their own way (Discord's context menu, a Matrix reply)
//! through [`command`].

use super::{
    ArgKind, ArgSpec, Args, Command, CommandError, CommandSpec, MAX_NOTE_CHARS, MessageRef, Run,
};
use crate::bot::{Bot, Context, Failure, Handled, Reply, reply, user_error};
use crate::store::{PinOutcome, StoredMessage};

pub const SPEC: CommandSpec = CommandSpec::leaf(
    "pin",
    "Pin a reader's message as the notable take on its article",
    &[
        ArgSpec::new(
            "message",
            "The recorded message",
            ArgKind::Message,
            true,
        ),
        ArgSpec::new("note", "A note to show with it", ArgKind::Text, false),
    ],
    true,
    "#1 the sharpest take",
    |args| Ok(Box::new(parse(args)?)),
);

#[derive(Debug, PartialEq, Eq)]
struct Pin {
    message: MessageRef,
    note: Option<String>,
}

fn parse(args: &mut Args<'_>) -> Result<Pin, CommandError> {
    let message = args.message("message")?;
    pin(message, args.rest())
}

fn pin(message: MessageRef, note: Option<String>) -> Result<Pin, CommandError> {
    let note = note.filter(|n| !n.trim().is_empty());
    if let Some(note) = &note {
        let chars = note.chars().count();
        if chars > MAX_NOTE_CHARS {
            return Err(CommandError::NoteTooLong { chars });
        }
    }
    Ok(Pin { message, note })
}

/// `/pin` of a message the platform names.
pub fn command(message: MessageRef, note: Option<String>) -> Result<Command, CommandError> {
    Ok(Command::from_parts(&SPEC, Box::new(pin(message, note)?)))
}

/// The recorded, undeleted message a pin command names.
pub(super) async fn find_message(
    bot: &Bot,
    ctx: &Context,
    message: &MessageRef,
) -> Result<StoredMessage, Failure> {
    let scope = bot.scope(ctx).await?;
    let (found, shown) = match message {
        MessageRef::Recorded(id) => (
            bot.store().message(scope, *id).await?,
            format!("Message #{id}"),
        ),
        MessageRef::Platform(id) => (
            bot.store()
                .message_by_platform_id(scope, ctx.platform.as_str(), id)
                .await?,
            "That message".to_owned(),
        ),
    };
    let found = found.ok_or_else(|| {
        user_error(format!(
            "{shown} is not part of a recorded discussion. Only messages in an article's discussion can be pinned."
        ))
    })?;
    if found.deleted_at.is_some() {
        return Err(user_error(format!("{shown} was deleted by its author.")));
    }
    Ok(found)
}

#[async_trait::async_trait]
impl Run for Pin {
    async fn run(&self, bot: &Bot, ctx: &Context) -> Handled {
        let found = find_message(bot, ctx, &self.message).await?;
        let side = bot.community(ctx).await?.own_id();
        let outcome = bot
            .store()
            .pin_from(
                found.id,
                &ctx.user.name,
                Some(side),
                self.note.as_deref(),
                bot.now(),
            )
            .await?;
        tracing::info!(target: "audit", message = found.id, article = found.article_id.0, by = %ctx.user.id, ?outcome, "pin");
        let stored = bot.find(ctx, found.article_id).await?;
        let title = reply::truncate(&stored.article.title, 80);
        Ok(Reply::text(match outcome {
            PinOutcome::Pinned => format!(
                "Pinned message #{} by {} as commentary on {}: {title}",
                found.id, found.author_name, stored.id
            ),
            PinOutcome::Updated => format!(
                "Message #{} was pinned already; its note is updated.",
                found.id
            ),
            PinOutcome::Deleted => {
                return Err(user_error("That message was deleted by its author."));
            }
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_a_message_and_a_note() {
        let parsed = parse(&mut Args::new(&SPEC, "#7 sharp  point")).unwrap();
        assert_eq!(
            parsed,
            Pin {
                message: MessageRef::Recorded(7),
                note: Some("sharp point".into())
            }
        );
        assert!(parse(&mut Args::new(&SPEC, "seven")).is_err());
        let long = "n".repeat(MAX_NOTE_CHARS + 1);
        assert!(matches!(
            command(MessageRef::Platform("m".into()), Some(long)),
            Err(CommandError::NoteTooLong { .. })
        ));
    }
}
