//! `/article [id|words]`: an article's card, the latest when none is named.

use super::{ARTICLE_OR_WORDS, Args, CommandError, CommandSpec, Run, Target};
use crate::bot::{Bot, Context, Handled, Reply, cards, web};

pub const SPEC: CommandSpec = CommandSpec::leaf(
    "article",
    "Show an article: the latest, one by id, or the best match for some words",
    &[ARTICLE_OR_WORDS],
    false,
    "12",
    |args| Ok(Box::new(parse(args)?)),
);

#[derive(Debug, PartialEq, Eq)]
struct Article(Option<Target>);

fn parse(args: &mut Args<'_>) -> Result<Article, CommandError> {
    Ok(Article(args.target()))
}

#[async_trait::async_trait]
impl Run for Article {
    async fn run(&self, bot: &Bot, ctx: &Context) -> Handled {
        let (stored, stats, pins) = bot.resolve_for_card(ctx, self.0.clone()).await?;
        // A library article shown here joins this community's shelf: that write runs beside
        // the link's lookup, as neither needs the other.
        let ((), url) = tokio::try_join!(
            bot.shelve_shown(ctx, stored.id),
            bot.article_url(ctx, stored.id, None)
        )?;
        let card = cards::article(&stored, stats, &pins, &ctx.prefix);
        Ok(Reply::card(web::with_link(card, url)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::ArticleId;

    #[test]
    fn takes_an_id_words_or_nothing() {
        let parsed = |rest| parse(&mut Args::new(&SPEC, rest)).unwrap();
        assert_eq!(parsed(""), Article(None));
        assert_eq!(parsed("#4"), Article(Some(Target::Id(ArticleId(4)))));
        assert_eq!(
            parsed(" Iran  socialism "),
            Article(Some(Target::Words("Iran socialism".into())))
        );
    }
}
