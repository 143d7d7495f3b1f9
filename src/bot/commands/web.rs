//! `/web [show|on|off]`: the community's pages in a browser. Anyone may ask for the address;
//! publishing and taking down are for moderators.

use super::{CommandSpec, Run};
use crate::bot::web::{base_path, new_token};
use crate::bot::{Bot, Context, Handled, Reply, user_error};

pub const SPEC: CommandSpec = CommandSpec::group(
    "web",
    "This community's library and discussions on the web: show, on, off",
    &[
        CommandSpec::leaf(
            "web show",
            "The address of this community's pages, if they are published",
            &[],
            false,
            "",
            |_| Ok(Box::new(Show)),
        )
        .private(),
        CommandSpec::leaf(
            "web on",
            "Publish this community's library and discussions at an unlisted address",
            &[],
            true,
            "",
            |_| Ok(Box::new(On)),
        ),
        CommandSpec::leaf(
            "web off",
            "Take this community's pages down now",
            &[],
            true,
            "",
            |_| Ok(Box::new(Off)),
        ),
    ],
)
.defaults_to("show");

/// What to say where the address goes when the public address is not configured.
fn address(bot: &Bot, token: &str) -> String {
    match bot.web().and_then(|w| w.public_url.as_deref()) {
        Some(public) => format!("{public}/{}", base_path(token)),
        None => format!(
            "/{} on the bot's web server (the operator has not set READINGROOM_PUBLIC_URL)",
            base_path(token)
        ),
    }
}

fn served(bot: &Bot) -> Result<(), crate::bot::Failure> {
    match bot.web() {
        Some(_) => Ok(()),
        None => Err(user_error(
            "The web reader is off on this bot: the operator turns it on with READINGROOM_WEB_ADDR.",
        )),
    }
}

#[derive(Debug)]
struct Show;

#[async_trait::async_trait]
impl Run for Show {
    async fn run(&self, bot: &Bot, ctx: &Context) -> Handled {
        served(bot)?;
        let community = bot.community(ctx).await?;
        Ok(match bot.store().publication(community.id).await? {
            Some(token) => Reply::text(format!(
                "This community's library and discussions are on the web at {}",
                address(bot, &token)
            )),
            None => Reply::text(format!(
                "This community is not published on the web. A moderator can publish it with {}web on.",
                ctx.prefix
            )),
        }
        .ephemeral())
    }
}

#[derive(Debug)]
struct On;

#[async_trait::async_trait]
impl Run for On {
    async fn run(&self, bot: &Bot, ctx: &Context) -> Handled {
        served(bot)?;
        let community = bot.community(ctx).await?;
        super::link::main_decides(ctx, &community, "publishing it on the web")?;
        let store = bot.store();
        let token = match store.publication(community.id).await? {
            Some(token) => token,
            None => {
                let token = new_token().map_err(|error| {
                    tracing::error!(%error, "no randomness for a web token");
                    user_error("The bot could not make a secret address just now; try again.")
                })?;
                let by = format!("{}:{}", ctx.platform.as_str(), ctx.user.id);
                store.publish(community.id, &token, &by, bot.now()).await?;
                tracing::info!(target: "audit", community = community.id, by = %ctx.user.id, "published on the web");
                token
            }
        };
        Ok(Reply::text(format!(
            "This community's library and discussions are on the web at {} — anyone with the address can read them (articles, discussions with readers' names, pins, digests). {}web off takes them down at once.",
            address(bot, &token),
            ctx.prefix
        )))
    }
}

#[derive(Debug)]
struct Off;

#[async_trait::async_trait]
impl Run for Off {
    async fn run(&self, bot: &Bot, ctx: &Context) -> Handled {
        let community = bot.community(ctx).await?;
        super::link::main_decides(ctx, &community, "taking its pages down")?;
        if bot.store().unpublish(community.id).await? {
            tracing::info!(target: "audit", community = community.id, by = %ctx.user.id, "taken off the web");
            Ok(Reply::text(format!(
                "This community's pages are down: the address answers “not found” from now on. {}web on publishes them again at a new address.",
                ctx.prefix
            )))
        } else {
            Ok(Reply::text("This community was not published on the web.").ephemeral())
        }
    }
}
