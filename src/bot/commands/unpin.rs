//! `/unpin <message>`: a moderator removes a pin.

use super::{ArgKind, ArgSpec, Args, Command, CommandError, CommandSpec, MessageRef, Run};
use crate::bot::{Bot, Context, Handled, Reply, user_error};

pub const SPEC: CommandSpec = CommandSpec::leaf(
    "unpin",
    "Remove a pinned comment",
    &[ArgSpec::new(
        "message",
        "The recorded message",
        ArgKind::Message,
        true,
    )],
    true,
    "#1",
    |args| Ok(Box::new(parse(args)?)),
);

#[derive(Debug, PartialEq, Eq)]
struct Unpin(MessageRef);

fn parse(args: &mut Args<'_>) -> Result<Unpin, CommandError> {
    Ok(Unpin(args.message("message")?))
}

/// `/unpin` of a message the platform names.
pub fn command(message: MessageRef) -> Command {
    Command::from_parts(&SPEC, Box::new(Unpin(message)))
}

#[async_trait::async_trait]
impl Run for Unpin {
    async fn run(&self, bot: &Bot, ctx: &Context) -> Handled {
        let found = super::pin::find_message(bot, ctx, &self.0).await?;
        if !bot.store().unpin(found.id).await? {
            return Err(user_error(format!("Message #{} is not pinned.", found.id)));
        }
        tracing::info!(target: "audit", message = found.id, article = found.article_id.0, by = %ctx.user.id, "unpin");
        Ok(Reply::text(format!("Unpinned message #{}.", found.id)))
    }
}
