//! `/stats`: what the bot holds and how long it has run, for moderators.

use super::{Args, CommandError, CommandSpec, Run};
use crate::bot::{Bot, Context, Handled, Reply};

pub const SPEC: CommandSpec = CommandSpec::leaf(
    "stats",
    "How much the bot holds and how long it has run",
    &[],
    true,
    "",
    |args| Ok(Box::new(parse(args)?)),
)
.private();

/// How far back `/stats` reports events the bot gave up on.
const FAILURES_SHOWN: chrono::Duration = chrono::Duration::days(30);

#[derive(Debug)]
struct Stats;

fn parse(_: &mut Args<'_>) -> Result<Stats, CommandError> {
    Ok(Stats)
}

#[async_trait::async_trait]
impl Run for Stats {
    async fn run(&self, bot: &Bot, ctx: &Context) -> Handled {
        let scope = bot.scope(ctx).await?;
        let totals = bot.store().totals(scope).await?;
        let caught_up = bot.store().last_catch_up(scope).await?;
        let community = bot.community(ctx).await?;
        let failures = bot
            .store()
            .failures(community.id, bot.now() - FAILURES_SHOWN)
            .await?;
        let uptime = bot.uptime().as_secs();
        let mut text = format!(
            "Reading Room holds {} articles here ({} quotations), {} discussions with {} messages ({} deleted), {} pinned comments, {} digests posted and {} feeds. Up {}d {:02}h {:02}m.",
            totals.articles,
            totals.quotes,
            totals.discussions,
            totals.messages,
            totals.deleted_messages,
            totals.pins,
            totals.digests_posted,
            totals.feeds,
            uptime / 86_400,
            uptime % 86_400 / 3600,
            uptime % 3600 / 60
        );
        if let Some(record) = caught_up {
            text.push(' ');
            text.push_str(&crate::bot::catchup::describe(&record));
        }
        if let Some((reason, at)) = &failures.latest {
            text.push_str(&format!(
                "\n{} {} could not be handled in the last {} days; the latest ({}): {reason}.",
                failures.count,
                if failures.count == 1 { "event" } else { "events" },
                FAILURES_SHOWN.num_days(),
                at.format("%Y-%m-%d %H:%M UTC"),
            ));
        }
        Ok(Reply::text(text).ephemeral())
    }
}
