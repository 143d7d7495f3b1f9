//! `/quote [id|words]`: a quotation with its speaker, at random or from one article.

use super::{ARTICLE_OR_WORDS, Args, CommandError, CommandSpec, Run, Target};
use crate::bot::web::quote_anchor;
use crate::bot::{Bot, Context, Handled, Reply, cards, reply, user_error};

pub const SPEC: CommandSpec = CommandSpec::leaf(
    "quote",
    "A quotation: at random, or from one article",
    &[ARTICLE_OR_WORDS],
    false,
    "12",
    |args| Ok(Box::new(parse(args)?)),
);

#[derive(Debug, PartialEq, Eq)]
struct Quote(Option<Target>);

fn parse(args: &mut Args<'_>) -> Result<Quote, CommandError> {
    Ok(Quote(args.target()))
}

#[async_trait::async_trait]
impl Run for Quote {
    async fn run(&self, bot: &Bot, ctx: &Context) -> Handled {
        let pick = fastrand::u64(..);
        let (scope, (article, quote)) = bot
            .scoped(ctx, |scope| async move {
                let article = match &self.0 {
                    None => None,
                    // Whether the article is there at all is asked only when it gives no
                    // quotation.
                    Some(Target::Id(id)) => Some(*id),
                    Some(Target::Words(words)) => Some(
                        bot.store().best_match(scope, words).await?.ok_or_else(|| {
                            user_error(format!(
                                "No article matches “{}”.",
                                reply::truncate(words, 60)
                            ))
                        })?,
                    ),
                };
                Ok((article, bot.store().pick_quote(scope, article, pick).await?))
            })
            .await?;
        match quote {
            Some(quote) => {
                let mut card = cards::quote(&quote);
                if bot.web().is_some() {
                    // The anchor is the quotation's place in the article, which the stored row
                    // does not carry: find it among the article's quotations.
                    let anchor = bot
                        .store()
                        .article_in(scope, quote.article_id)
                        .await?
                        .and_then(|stored| {
                            stored.article.quotes.iter().position(|q| {
                                q.text == quote.text && q.paragraph as i64 == quote.paragraph
                            })
                        })
                        .map(quote_anchor);
                    bot.link_article(ctx, &mut card, quote.article_id, anchor)
                        .await?;
                }
                Ok(Reply::card(card))
            }
            None => Err(user_error(match article {
                Some(id) if !bot.store().is_visible(scope, id).await? => {
                    format!("There is no article {id}.")
                }
                Some(id) => format!("Article {id} has no quotations."),
                None => "No quotations yet: none of the stored articles quotes anyone.".to_owned(),
            })),
        }
    }
}
