//! `/discuss <id>`: opens (or points to) the article's discussion in this channel; the
//! platform opens a thread for it.

use super::{ARTICLE, Args, CommandError, CommandSpec, Run};
use crate::bot::{Bot, Context, Effect, Handled, Reply};
use crate::store::ArticleId;

pub const SPEC: CommandSpec = CommandSpec::leaf(
    "discuss",
    "Open the discussion of an article in this channel",
    &[ARTICLE],
    false,
    "12",
    |args| Ok(Box::new(parse(args)?)),
);

#[derive(Debug, PartialEq, Eq)]
struct Discuss(ArticleId);

fn parse(args: &mut Args<'_>) -> Result<Discuss, CommandError> {
    Ok(Discuss(args.article("article")?))
}

#[async_trait::async_trait]
impl Run for Discuss {
    async fn run(&self, bot: &Bot, ctx: &Context) -> Handled {
        let stored = bot.find(ctx, self.0).await?;
        let channel = bot.channel(ctx).await?;
        if let Some(community) = channel.community_id {
            let open = bot.store().discussion_in(stored.id, channel.id).await?;
            if open.is_none() {
                bot.may_open_discussion(community).await?;
            }
        }
        bot.shelve_shown(ctx, stored.id).await?;
        let (discussion, created) = bot
            .store()
            .open_discussion(stored.id, channel.id, bot.now())
            .await?;
        if created {
            tracing::info!(target: "audit", article = stored.id.0, discussion = discussion.id, by = %ctx.user.id, "discussion opened");
        }
        let card = bot.article_card(ctx, &stored).await?;
        Ok(Reply::card(card).with_effect(Effect::Discussion {
            discussion_id: discussion.id,
            article_id: stored.id,
            thread_ref: discussion.thread_ref,
        }))
    }
}
