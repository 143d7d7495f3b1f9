//! `/feed add|remove|list|preview`: the feeds a channel follows. Adding and removing are for
//! moderators; anyone may list them or preview a feed's next post.

use super::{ArgKind, ArgSpec, CommandSpec, Run};
use crate::bot::{Bot, Card, Context, Failure, Field, Handled, Reply, cards, feeds, user_error};
use crate::sources::feed::ParsedFeed;
use crate::sources::web::Fetched;
use crate::store::{ArticleId, Feed, StoredArticle};

const URL: ArgSpec = ArgSpec::new("url", "The feed's address", ArgKind::Text, true);

pub const SPEC: CommandSpec = CommandSpec::group(
    "feed",
    "Follow feeds here: add <url> [--thread] [--every MIN], remove <url>, list, preview <url>",
    &[
        CommandSpec::leaf(
            "feed add",
            "Follow an RSS, Atom or JSON feed in this channel",
            &[
                URL,
                ArgSpec::named(
                    "thread",
                    "Open a discussion thread for each post",
                    ArgKind::Switch,
                ),
                ArgSpec::named(
                    "every",
                    "Check the feed every this many minutes (5-1440, default 15)",
                    ArgKind::Count {
                        min: 5,
                        max: 1440,
                        unit: "minutes",
                    },
                ),
            ],
            true,
            "https://example.org/feed.xml --thread --every 30",
            |args| {
                Ok(Box::new(Add {
                    thread: args.switch("thread"),
                    every: args.named_count("every")?,
                    url: args.url("url")?,
                }))
            },
        ),
        CommandSpec::leaf(
            "feed remove",
            "Stop following a feed here",
            &[URL],
            true,
            "https://example.org/feed.xml",
            |args| Ok(Box::new(Remove(args.url("url")?))),
        ),
        CommandSpec::leaf(
            "feed list",
            "The feeds followed here, and their health",
            &[],
            false,
            "",
            |_| Ok(Box::new(List)),
        ),
        CommandSpec::leaf(
            "feed preview",
            "How the next post from a feed would look (to you only)",
            &[URL],
            false,
            "https://example.org/feed.xml",
            |args| Ok(Box::new(Preview(args.url("url")?))),
        )
        .private(),
    ],
);

async fn fetch_feed(bot: &Bot, url: &str) -> Result<(Fetched, ParsedFeed), Failure> {
    let fetched = bot
        .fetcher()
        .get(url, &Default::default())
        .await
        .map_err(|e| user_error(format!("Could not read the feed: {e}.")))?;
    let parsed = crate::sources::feed::parse_feed(fetched.body.as_bytes(), &fetched.url)
        .map_err(|e| user_error(format!("{url} is {e}.")))?;
    Ok((fetched, parsed))
}

#[derive(Debug, PartialEq, Eq)]
struct Add {
    url: String,
    thread: bool,
    every: Option<u32>,
}

#[async_trait::async_trait]
impl Run for Add {
    async fn run(&self, bot: &Bot, ctx: &Context) -> Handled {
        let (url, store, now) = (&self.url, bot.store(), bot.now());
        let channel = bot.channel(ctx).await?;
        let community = bot.community(ctx).await?;
        bot.may_follow_feed(community.id).await?;
        let existing = store.feed_by_url(url).await?;
        let fetched = match existing {
            Some(_) => None,
            None => Some(fetch_feed(bot, url).await?),
        };
        let title = fetched
            .as_ref()
            .and_then(|(_, parsed)| parsed.title.as_deref());
        let mut feed = match existing {
            Some(feed) => feed,
            None => store.add_feed(url, title, now, now).await?,
        };
        // The interval first: the next poll is planned from it.
        if let Some(minutes) = self.every {
            feed.interval_secs = i64::from(minutes) * 60;
            store.set_feed_interval(feed.id, feed.interval_secs).await?;
        }
        if let Some((fetched, parsed)) = &fetched {
            // What the feed holds today is old news: seen, never posted.
            feeds::take_in(store, &feed, fetched, parsed, now, |_| async { None }).await?;
        }
        let added = store.subscribe(feed.id, channel.id, self.thread, now).await?;
        tracing::info!(target: "audit", feed = %url, channel = channel.id, by = %ctx.user.id, thread = self.thread, "feed added");
        let name = feed.title.clone().unwrap_or_else(|| url.clone());
        Ok(Reply::text(if added {
            format!(
                "Following {name} here. What it holds now counts as read; new entries will be posted here{}.",
                if self.thread {
                    ", each with its discussion thread"
                } else {
                    ""
                }
            )
        } else {
            format!("This channel already follows {name}.")
        }))
    }
}

#[derive(Debug, PartialEq, Eq)]
struct Remove(String);

#[async_trait::async_trait]
impl Run for Remove {
    async fn run(&self, bot: &Bot, ctx: &Context) -> Handled {
        let url = &self.0;
        let channel = bot.channel(ctx).await?;
        if !bot.store().unsubscribe(url, channel.id).await? {
            return Err(user_error(format!("This channel does not follow {url}.")));
        }
        tracing::info!(target: "audit", feed = %url, channel = channel.id, by = %ctx.user.id, "feed removed");
        Ok(Reply::text(format!("Stopped following {url} here.")))
    }
}

#[derive(Debug)]
struct List;

fn health(feed: &Feed) -> String {
    let when = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M UTC").to_string();
    match (&feed.last_error, feed.failures) {
        (Some(error), n) if n > 0 => format!(
            "{}\nFailing ({n} time{} in a row): {error}. Next try {}.",
            feed.url,
            if n == 1 { "" } else { "s" },
            when(feed.next_poll_at)
        ),
        _ => format!(
            "{}\nOK{}. Next check {}.",
            feed.url,
            feed.last_ok_at
                .map(|t| format!(", last read {}", when(t)))
                .unwrap_or_default(),
            when(feed.next_poll_at)
        ),
    }
}

#[async_trait::async_trait]
impl Run for List {
    async fn run(&self, bot: &Bot, ctx: &Context) -> Handled {
        let channel = bot.channel(ctx).await?;
        let store = bot.store();
        let feeds = store.channel_feeds(channel.id).await?;
        // Notices are for the moderators, who act on them; they see each once.
        let notices = if ctx.user.moderator {
            store.take_notices(channel.id).await?
        } else {
            Vec::new()
        };
        if feeds.is_empty() && notices.is_empty() {
            return Ok(Reply::text(format!(
                "This channel follows no feeds. {}feed add <url> follows one.",
                ctx.prefix
            )));
        }
        let mut fields = Vec::new();
        for feed in &feeds {
            let mut value = health(feed);
            let failed = store.failed_posts(feed.id, channel.id).await?;
            if failed > 0 {
                value.push_str(&format!(
                    "\n{failed} post{} could not be delivered here and {} given up.",
                    if failed == 1 { "" } else { "s" },
                    if failed == 1 { "was" } else { "were" }
                ));
            }
            fields.push(Field {
                name: feed.title.clone().unwrap_or_else(|| feed.url.clone()),
                value,
            });
        }
        fields.extend(notices.into_iter().map(|notice| Field {
            name: "Notice".into(),
            value: notice,
        }));
        Ok(Reply::card(Card {
            title: "Feeds followed here".into(),
            fields,
            ..Card::default()
        }))
    }
}

#[derive(Debug, PartialEq, Eq)]
struct Preview(String);

#[async_trait::async_trait]
impl Run for Preview {
    async fn run(&self, bot: &Bot, ctx: &Context) -> Handled {
        let url = &self.0;
        let (_, parsed) = fetch_feed(bot, url).await?;
        let Some(entry) = parsed.entries.first() else {
            return Err(user_error(format!("{url} has no entries yet.")));
        };
        let link = entry
            .link
            .clone()
            .ok_or_else(|| user_error("The feed's latest entry has no link."))?;
        let page = bot
            .fetch_page(&link)
            .await
            .map_err(|e| user_error(format!("The latest entry's page: {e}.")))?;
        let stored = StoredArticle {
            id: ArticleId(0),
            article: page.article,
            origin: Some(link),
            created_at: bot.now(),
        };
        let mut card = cards::article(&stored, Default::default(), &[], &ctx.prefix);
        card.actions.clear();
        card.fields.retain(|f| f.name != "Discussion");
        card.footer = Some(format!(
            "Preview of a post from {}",
            parsed.title.clone().unwrap_or_else(|| url.clone())
        ));
        Ok(Reply::card(card).ephemeral())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bot::commands::{Args, Command};

    #[test]
    fn add_takes_switches_anywhere() {
        let add = &SPEC.subcommands[0];
        let mut args = Args::new(add, "--every 30 <https://e.org/f> --thread");
        let parsed = Add {
            thread: args.switch("thread"),
            every: args.named_count("every").unwrap(),
            url: args.url("url").unwrap(),
        };
        assert_eq!(
            parsed,
            Add {
                url: "https://e.org/f".into(),
                thread: true,
                every: Some(30)
            }
        );
        assert!(args.finish().is_ok());
        let err = Command::parse("feed add https://e.org/f --every").unwrap_err();
        assert!(err.message("/").contains("needs <every>"), "{err}");
        let err = Command::parse("feed list now").unwrap_err();
        assert!(err.message("/").contains("does not take “now”"), "{err}");
    }
}
