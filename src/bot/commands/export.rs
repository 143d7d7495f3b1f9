//! `/export <id>`: a moderator gets an article's whole discussion as a Markdown file.

use super::{ARTICLE, Args, CommandError, CommandSpec, Run};
use crate::bot::{Body, Bot, Context, Handled, Reply, export, reply};
use crate::store::ArticleId;

pub const SPEC: CommandSpec = CommandSpec::leaf(
    "export",
    "Export an article's whole discussion, as a reply tree with pins marked",
    &[ARTICLE],
    true,
    "12",
    |args| Ok(Box::new(parse(args)?)),
)
.private();

/// The largest file sent in chat (Discord's smallest upload limit is 8 MiB).
const MAX_FILE_BYTES: usize = 7 * 1024 * 1024;

#[derive(Debug, PartialEq, Eq)]
struct Export(ArticleId);

fn parse(args: &mut Args<'_>) -> Result<Export, CommandError> {
    Ok(Export(args.article("article")?))
}

#[async_trait::async_trait]
impl Run for Export {
    async fn run(&self, bot: &Bot, ctx: &Context) -> Handled {
        let article = self.0;
        let stored = bot.find(ctx, article).await?;
        let export = export::build(bot.store(), bot.scope(ctx).await?, &stored).await?;
        Ok(Reply {
            quiet: false,
            body: Body::File {
                name: format!("discussion-{}.md", article.0),
                content: export::markdown_within(&export, MAX_FILE_BYTES),
                caption: format!(
                    "The discussion of {article} {}: {} message{}.",
                    reply::truncate(&stored.article.title, 80),
                    export.messages,
                    if export.messages == 1 { "" } else { "s" }
                ),
            },
            ephemeral: true,
            effect: None,
        })
    }
}
