//! `/ingest <url>`: a moderator adds an article from a web page.

use super::{ArgKind, ArgSpec, Args, CommandError, CommandSpec, Run};
use crate::bot::{Bot, Context, Failure, Handled, IngestError, Reply, user_error};
use crate::store::{Ingested, Scope};

pub const SPEC: CommandSpec = CommandSpec::leaf(
    "ingest",
    "Add an article from a web address",
    &[ArgSpec::new(
        "url",
        "The article's address (http or https)",
        ArgKind::Text,
        true,
    )],
    true,
    "https://example.org/essay",
    |args| Ok(Box::new(parse(args)?)),
);

#[derive(Debug, PartialEq, Eq)]
struct Ingest(String);

fn parse(args: &mut Args<'_>) -> Result<Ingest, CommandError> {
    Ok(Ingest(args.url("url")?))
}

#[async_trait::async_trait]
impl Run for Ingest {
    async fn run(&self, bot: &Bot, ctx: &Context) -> Handled {
        let url = &self.0;
        let community = bot.community(ctx).await?;
        bot.may_ingest(community.id)?;
        let scope = Scope::Community(community.id);
        let (ingested, _) = match bot.ingest_url(url).await {
            Ok(done) => done,
            Err(IngestError::Store(error)) => return Err(Failure::Store(error)),
            Err(error) => return Err(user_error(format!("Nothing was added: {error}."))),
        };
        tracing::info!(target: "audit", article = ingested.id().0, by = %ctx.user.id, url, "ingest command");
        // "Already had" only when this community could see it before: another community's
        // shelf is not to be revealed.
        let known_here = bot.store().is_visible(scope, ingested.id()).await?;
        bot.shelve(ctx, ingested.id()).await?;
        let stored = bot.find(ctx, ingested.id()).await?;
        let mut card = bot.article_card(ctx, &stored).await?;
        if let (Ingested::Existing(id), true) = (ingested, known_here) {
            card.footer = Some(format!("Already had this one as {id}"));
        }
        Ok(Reply::card(card))
    }
}
