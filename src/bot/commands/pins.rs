//! `/pins [id]`: the pinned commentary, on one article or the latest.

use super::{ArgKind, ArgSpec, Args, CommandError, CommandSpec, Run};
use crate::bot::{Bot, Context, Handled, Reply, cards, user_error};
use crate::store::ArticleId;

pub const SPEC: CommandSpec = CommandSpec::leaf(
    "pins",
    "List pinned commentary: on one article, or the latest",
    &[ArgSpec::new(
        "article",
        "The article id",
        ArgKind::Article,
        false,
    )],
    false,
    "12",
    |args| Ok(Box::new(parse(args)?)),
);

#[derive(Debug, PartialEq, Eq)]
struct Pins(Option<ArticleId>);

fn parse(args: &mut Args<'_>) -> Result<Pins, CommandError> {
    Ok(Pins(args.optional_article("article")?))
}

#[async_trait::async_trait]
impl Run for Pins {
    async fn run(&self, bot: &Bot, ctx: &Context) -> Handled {
        let article = self.0;
        // The pins carry their article's title; whether the article is there at all is asked
        // only when it has none.
        let (scope, pins) = bot
            .scoped(ctx, |scope| async move { Ok(bot.store().pins(scope, article, 10).await?) })
            .await?;
        if pins.is_empty() {
            if let Some(id) = article
                && !bot.store().is_visible(scope, id).await?
            {
                return Err(user_error(format!("There is no article {id}.")));
            }
            return Ok(Reply::text(match article {
                Some(id) => format!("No pinned commentary on {id} yet."),
                None => format!(
                    "No pinned commentary yet. Moderators pin a reader's message with {}pin.",
                    ctx.prefix
                ),
            }));
        }
        let title = article.map(|_| pins[0].article_title.as_str());
        Ok(Reply::card(cards::pins(title, &pins)))
    }
}
