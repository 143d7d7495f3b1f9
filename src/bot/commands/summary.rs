//! `/summary <id> [sentences]`: the author's own summary, or an extractive one of any length.

use super::{ARTICLE, ArgKind, ArgSpec, Args, CommandError, CommandSpec, Run};
use crate::article::{self, Length};
use crate::bot::web::{paragraph_anchor, summary_anchor};
use crate::bot::{Bot, Context, Handled, Reply, cards};
use crate::store::ArticleId;

/// Most sentences `/summary` will give.
pub const MAX_SENTENCES: u32 = 10;

pub const SPEC: CommandSpec = CommandSpec::leaf(
    "summary",
    "Summarise an article",
    &[
        ARTICLE,
        ArgSpec::new(
            "sentences",
            "How many sentences (1-10)",
            ArgKind::Count {
                min: 1,
                max: MAX_SENTENCES,
                unit: "sentences",
            },
            false,
        ),
    ],
    false,
    "12 2",
    |args| Ok(Box::new(parse(args)?)),
);

#[derive(Debug, PartialEq, Eq)]
struct Summary {
    article: ArticleId,
    sentences: Option<u32>,
}

fn parse(args: &mut Args<'_>) -> Result<Summary, CommandError> {
    Ok(Summary {
        article: args.article("article")?,
        sentences: args.count("sentences")?,
    })
}

#[async_trait::async_trait]
impl Run for Summary {
    async fn run(&self, bot: &Bot, ctx: &Context) -> Handled {
        let stored = bot.find(ctx, self.article).await?;
        let article = &stored.article;
        let (label, chosen) = match (article.summary.kind, self.sentences) {
            (article::SummaryKind::Provided, None) => {
                ("The author's summary", article.summary.sentences.clone())
            }
            (_, n) => (
                "Summary",
                article::summarize(
                    article,
                    Length::Sentences(
                        n.map_or(article::DEFAULT_SUMMARY_SENTENCES, |n| n as usize),
                    ),
                ),
            ),
        };
        let mut card = cards::summary(&stored, label, &chosen);
        // The page highlights the stored summary: link to the first chosen sentence there, or
        // to its paragraph when this summary chose another.
        let anchor = chosen.first().map(|first| {
            match article.summary.sentences.iter().position(|s| s == first) {
                Some(index) => summary_anchor(index),
                None => paragraph_anchor(first.paragraph),
            }
        });
        bot.link_article(ctx, &mut card, stored.id, anchor).await?;
        Ok(Reply::card(card))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_an_article_and_a_count() {
        let parsed = parse(&mut Args::new(&SPEC, "3 2")).unwrap();
        assert_eq!(
            parsed,
            Summary {
                article: ArticleId(3),
                sentences: Some(2)
            }
        );
        assert!(parse(&mut Args::new(&SPEC, "3 0")).is_err());
    }
}
