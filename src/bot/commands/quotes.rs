//! `/quotes <id>`: every quotation in an article, in order, with who said it and where.

use super::{ARTICLE, Args, CommandError, CommandSpec, Run};
use crate::bot::{Bot, Card, Context, Field, Handled, Reply, reply, user_error};
use crate::store::ArticleId;

/// Quotations listed on one card (Discord shows at most 25 fields).
const MAX_LISTED: usize = 20;

pub const SPEC: CommandSpec = CommandSpec::leaf(
    "quotes",
    "Every quotation in an article, with who said it",
    &[ARTICLE],
    false,
    "12",
    |args| Ok(Box::new(parse(args)?)),
);

#[derive(Debug, PartialEq, Eq)]
struct Quotes(ArticleId);

fn parse(args: &mut Args<'_>) -> Result<Quotes, CommandError> {
    Ok(Quotes(args.article("article")?))
}

#[async_trait::async_trait]
impl Run for Quotes {
    async fn run(&self, bot: &Bot, ctx: &Context) -> Handled {
        let stored = bot.find(ctx, self.0).await?;
        let quotes = &stored.article.quotes;
        if quotes.is_empty() {
            return Err(user_error(format!("Article {} quotes no one.", stored.id)));
        }
        let fields = quotes
            .iter()
            .take(MAX_LISTED)
            .map(|quote| Field {
                name: format!(
                    "{} · paragraph {}",
                    quote.speaker.as_deref().unwrap_or("Unattributed"),
                    quote.paragraph + 1
                ),
                value: format!("“{}”", reply::truncate(&quote.text, 300)),
            })
            .collect();
        let shown = quotes.len().min(MAX_LISTED);
        Ok(Reply::card(Card {
            title: reply::truncate(&stored.article.title, 200),
            fields,
            footer: Some(match quotes.len() {
                n if n > shown => format!("The first {shown} of {n} quotations"),
                1 => "1 quotation".to_owned(),
                n => format!("{n} quotations"),
            }),
            ..Card::default()
        }))
    }
}
