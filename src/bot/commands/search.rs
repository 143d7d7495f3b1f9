//! `/search <words>`: the best matching articles, with snippets.

use super::{ArgKind, ArgSpec, Args, CommandError, CommandSpec, Run};
use crate::bot::{Bot, Context, Handled, Reply, cards, reply, user_error};

pub const SPEC: CommandSpec = CommandSpec::leaf(
    "search",
    "Search the articles",
    &[ArgSpec::new(
        "words",
        "What to look for",
        ArgKind::Text,
        true,
    )],
    false,
    "socialism",
    |args| Ok(Box::new(parse(args)?)),
);

#[derive(Debug, PartialEq, Eq)]
struct Search(String);

fn parse(args: &mut Args<'_>) -> Result<Search, CommandError> {
    Ok(Search(args.required_rest("words")?))
}

#[async_trait::async_trait]
impl Run for Search {
    async fn run(&self, bot: &Bot, ctx: &Context) -> Handled {
        let words = &self.0;
        let (_, hits) = bot
            .scoped(ctx, |scope| async move { Ok(bot.store().search(scope, words, 5).await?) })
            .await?;
        if hits.is_empty() {
            return Err(user_error(format!(
                "No article matches “{}”.",
                reply::truncate(words, 60)
            )));
        }
        Ok(Reply::card(cards::search(words, &hits, &ctx.prefix)))
    }
}
