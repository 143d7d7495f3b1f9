//! `/digest at|off|now|preview`: the channel's daily digest. Changing or posting it is for
//! moderators; anyone may preview it.

use chrono::NaiveTime;
use chrono_tz::Tz;

use super::{ArgKind, ArgSpec, Args, CommandError, CommandSpec, Run};
use crate::bot::digest::{compose, parse_time, parse_zone};
use crate::bot::{Bot, Context, Handled, Reply};

pub const SPEC: CommandSpec = CommandSpec::group(
    "digest",
    "The channel's daily digest: at HH:MM [time zone], off, now, or preview",
    &[
        CommandSpec::leaf(
            "digest at",
            "Post the digest here daily at a local time",
            &[
                ArgSpec::new("time", "HH:MM, 24-hour", ArgKind::Text, true),
                ArgSpec::new(
                    "zone",
                    "An IANA time zone such as Europe/Berlin (default: the one set before, else UTC)",
                    ArgKind::Text,
                    false,
                ),
            ],
            true,
            "09:00 Europe/Berlin",
            |args| Ok(Box::new(parse_at(args)?)),
        ),
        CommandSpec::leaf(
            "digest off",
            "Stop the daily digest here",
            &[],
            true,
            "",
            |_| Ok(Box::new(Off)),
        ),
        CommandSpec::leaf(
            "digest now",
            "Post a digest here now",
            &[],
            true,
            "",
            |_| Ok(Box::new(Show { preview: false })),
        ),
        CommandSpec::leaf(
            "digest preview",
            "Show what the next digest would hold, to you only",
            &[],
            false,
            "",
            |_| Ok(Box::new(Show { preview: true })),
        )
        .private(),
    ],
);

#[derive(Debug, PartialEq, Eq)]
struct At {
    time: NaiveTime,
    zone: Option<Tz>,
}

fn parse_at(args: &mut Args<'_>) -> Result<At, CommandError> {
    let spec = args.spec();
    let bad = |arg, value: &str, expected: &str| CommandError::Bad {
        command: spec,
        arg,
        value: value.to_owned(),
        expected: expected.to_owned(),
    };
    let time = args.word("time")?;
    let time = parse_time(time).ok_or_else(|| bad("time", time, "a time of day as HH:MM (24-hour)"))?;
    let zone = match args.next_word() {
        None => None,
        Some(name) => Some(parse_zone(name).ok_or_else(|| {
            bad(
                "zone",
                name,
                "an IANA time zone such as Europe/Berlin or America/New_York",
            )
        })?),
    };
    Ok(At { time, zone })
}

#[async_trait::async_trait]
impl Run for At {
    async fn run(&self, bot: &Bot, ctx: &Context) -> Handled {
        let channel = bot.channel(ctx).await?;
        let zone = match self.zone {
            Some(zone) => zone,
            None => bot
                .store()
                .channel_timezone(channel.id)
                .await?
                .as_deref()
                .and_then(parse_zone)
                .unwrap_or(chrono_tz::UTC),
        };
        let at = self.time.format("%H:%M").to_string();
        bot.store()
            .set_digest(channel.id, Some((&at, zone.name())), bot.now())
            .await?;
        tracing::info!(target: "audit", channel = channel.id, by = %ctx.user.id, %at, zone = zone.name(), "digest scheduled");
        Ok(Reply::text(format!(
            "The daily digest will be posted here at {at} ({}). Days with nothing new are skipped.",
            zone.name()
        )))
    }
}

#[derive(Debug)]
struct Off;

#[async_trait::async_trait]
impl Run for Off {
    async fn run(&self, bot: &Bot, ctx: &Context) -> Handled {
        let channel = bot.channel(ctx).await?;
        bot.store().set_digest(channel.id, None, bot.now()).await?;
        tracing::info!(target: "audit", channel = channel.id, by = %ctx.user.id, "digest turned off");
        Ok(Reply::text("The daily digest is off for this channel."))
    }
}

/// `now` posts the digest; `preview` shows it to the caller only.
#[derive(Debug)]
struct Show {
    preview: bool,
}

#[async_trait::async_trait]
impl Run for Show {
    async fn run(&self, bot: &Bot, ctx: &Context) -> Handled {
        let now = bot.now();
        let channel = bot.channel(ctx).await?;
        let store = bot.store();
        let zone = store
            .digest_schedule(channel.id)
            .await?
            .as_ref()
            .and_then(|s| parse_zone(&s.timezone))
            .unwrap_or(chrono_tz::UTC);
        let since = match store.last_digest(channel.id).await? {
            Some(last) => last,
            None => now - chrono::Duration::days(1),
        };
        let day = now.with_timezone(&zone).date_naive();
        let scope = bot.scope(ctx).await?;
        let community = bot.community(ctx).await?;
        let web = bot.web_base(community.id).await?;
        match compose(
            store,
            scope,
            channel.id,
            day,
            since,
            now,
            &ctx.prefix,
            web.as_deref(),
        )
        .await?
        {
            Some(card) if self.preview => Ok(Reply::card(card).ephemeral()),
            Some(card) => {
                tracing::info!(target: "audit", channel = channel.id, by = %ctx.user.id, "digest posted on demand");
                Ok(Reply::card(card))
            }
            None => Ok(Reply::text(
                "Nothing new since the last digest: no articles, discussions or pins.",
            )
            .ephemeral()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_takes_a_time_and_a_zone() {
        let at = &SPEC.subcommands[0];
        let parsed = parse_at(&mut Args::new(at, "9:00 Europe/Berlin")).unwrap();
        assert_eq!(parsed.time, NaiveTime::from_hms_opt(9, 0, 0).unwrap());
        assert_eq!(parsed.zone, Some(chrono_tz::Europe::Berlin));
        let err = parse_at(&mut Args::new(at, "24:00")).unwrap_err();
        assert!(err.message("/").contains("HH:MM"), "{err}");
        let err = parse_at(&mut Args::new(at, "09:00 Mars/Olympus")).unwrap_err();
        assert!(err.message("/").contains("IANA time zone"), "{err}");
    }
}
