//! `/help [command]`: the commands this caller may run, or one command in detail.

use super::{ArgKind, ArgSpec, Args, CommandError, CommandSpec, Run};
use crate::bot::{Bot, Context, Handled, Reply, cards, reply, user_error};

pub const SPEC: CommandSpec = CommandSpec::leaf(
    "help",
    "List the commands, or explain one",
    &[ArgSpec::new(
        "command",
        "A command name",
        ArgKind::Text,
        false,
    )],
    false,
    "summary",
    |args| Ok(Box::new(parse(args)?)),
);

#[derive(Debug, PartialEq, Eq)]
struct Help(Option<String>);

fn parse(args: &mut Args<'_>) -> Result<Help, CommandError> {
    Ok(Help(args.rest().map(|topic| {
        topic.trim_start_matches(['/', '!']).to_lowercase()
    })))
}

#[async_trait::async_trait]
impl Run for Help {
    async fn run(&self, _bot: &Bot, ctx: &Context) -> Handled {
        let Some(topic) = &self.0 else {
            return Ok(Reply::card(cards::help(&ctx.prefix, ctx.user.moderator)));
        };
        let spec = super::spec(topic).ok_or_else(|| {
            user_error(format!(
                "There is no command {}{}. {}help lists them all.",
                ctx.prefix,
                reply::truncate(topic, 40),
                ctx.prefix
            ))
        })?;
        Ok(Reply::card(cards::command_help(spec, &ctx.prefix)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_a_command_with_or_without_prefix() {
        let parsed = parse(&mut Args::new(&SPEC, "/Digest at")).unwrap();
        assert_eq!(parsed, Help(Some("digest at".into())));
    }
}
