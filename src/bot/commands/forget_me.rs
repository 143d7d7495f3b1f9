//! `/forget-me [confirm]`: a reader has every message they wrote in this community forgotten:
//! the text removed, the author replaced by a placeholder, pins on them dropped. It asks first.

use super::{ArgKind, ArgSpec, Args, CommandError, CommandSpec, Run};
use crate::bot::{Action, Bot, Card, Context, Handled, Reply, user_error};

pub const SPEC: CommandSpec = CommandSpec::leaf(
    "forget-me",
    "Remove the text and your name from every message you wrote here (asks first)",
    &[ArgSpec::new(
        "confirm",
        "Type confirm to go ahead",
        ArgKind::Text,
        false,
    )],
    false,
    "confirm",
    |args| Ok(Box::new(parse(args)?)),
)
.private();

#[derive(Debug, PartialEq, Eq)]
struct ForgetMe {
    confirmed: bool,
}

fn parse(args: &mut Args<'_>) -> Result<ForgetMe, CommandError> {
    match args.next_word() {
        None => Ok(ForgetMe { confirmed: false }),
        Some(word) if word.eq_ignore_ascii_case("confirm") => Ok(ForgetMe { confirmed: true }),
        Some(word) => Err(CommandError::Bad {
            command: &SPEC,
            arg: "confirm",
            value: word.to_owned(),
            expected: "the word confirm".to_owned(),
        }),
    }
}

#[async_trait::async_trait]
impl Run for ForgetMe {
    async fn run(&self, bot: &Bot, ctx: &Context) -> Handled {
        if !self.confirmed {
            return Ok(Reply::card(Card {
                title: "Forget your messages here?".into(),
                description: format!(
                    "Every message you wrote in this community's discussions will lose its text and your name, and pins on them will be dropped; exports and digests will show nothing of you. This cannot be undone. To go ahead: {}forget-me confirm",
                    ctx.prefix
                ),
                actions: vec![Action::ConfirmForget],
                ..Card::default()
            })
            .ephemeral());
        }
        let scope = bot.scope(ctx).await?;
        let forgotten = bot
            .store()
            .forget_author(scope, ctx.platform.as_str(), &ctx.user.id, bot.now())
            .await?;
        tracing::info!(target: "audit", user = %ctx.user.id, community = %ctx.community, forgotten, "reader forgotten");
        if forgotten == 0 {
            return Err(user_error(
                "There is nothing of yours to forget here: no recorded messages.",
            ));
        }
        Ok(Reply::text(format!(
            "Done: {forgotten} message{} forgotten.",
            if forgotten == 1 { "" } else { "s" }
        ))
        .ephemeral())
    }
}
