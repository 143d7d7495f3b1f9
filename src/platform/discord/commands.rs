//! Slash commands on Discord: registered from the core's command specs (groups as
//! subcommands, article options with autocomplete), and turned back into the core's command
//! text when they arrive, so there is one grammar and one set of errors on every platform.

use serenity::all::{
    CommandData, CommandDataOption, CommandDataOptionValue, CommandOptionType, CommandType,
    CreateAutocompleteResponse, CreateCommand, CreateCommandOption, Permissions,
};

use super::render::limits;
use crate::bot::commands::{self, ArgKind, ArgSpec, COMMANDS, CommandSpec};
use crate::bot::{Bot, Command, MessageRef};
use crate::store::Scope;

/// The message context-menu command that pins, for moderators.
pub const PIN_MENU: &str = "Pin as commentary";
/// The one that removes a pin.
pub const UNPIN_MENU: &str = "Unpin commentary";

fn option(arg: &ArgSpec) -> CreateCommandOption {
    let option = match arg.kind {
        ArgKind::Article | ArgKind::ArticleOrWords => {
            CreateCommandOption::new(CommandOptionType::String, arg.name, arg.description)
                .set_autocomplete(true)
        }
        ArgKind::Count { min, max, .. } => {
            CreateCommandOption::new(CommandOptionType::Integer, arg.name, arg.description)
                .min_int_value(u64::from(min))
                .max_int_value(u64::from(max))
        }
        ArgKind::Switch => {
            CreateCommandOption::new(CommandOptionType::Boolean, arg.name, arg.description)
        }
        ArgKind::Text | ArgKind::Message => {
            CreateCommandOption::new(CommandOptionType::String, arg.name, arg.description)
        }
    };
    option.required(arg.required)
}

/// The slash and context-menu commands to register, built from [`COMMANDS`].
pub fn application_commands() -> Vec<CreateCommand> {
    let mut registered: Vec<CreateCommand> = COMMANDS
        .iter()
        // Pinning names a message: on Discord that is the message's own context menu.
        // Other moderator commands stay visible so members with `DISCORD_MODERATOR_ROLE` (not
        // only Manage Messages) can use them; the core refuses everyone else.
        .filter(|spec| !matches!(spec.path, "pin" | "unpin"))
        .map(|spec| {
            let command = CreateCommand::new(spec.path).description(spec.description);
            if spec.subcommands.is_empty() {
                return spec
                    .args
                    .iter()
                    .fold(command, |command, arg| command.add_option(option(arg)));
            }
            spec.subcommands.iter().fold(command, |command, sub| {
                let group = CreateCommandOption::new(
                    CommandOptionType::SubCommand,
                    sub.name(),
                    sub.description,
                );
                command.add_option(
                    sub.args
                        .iter()
                        .fold(group, |group, arg| group.add_sub_option(option(arg))),
                )
            })
        })
        .collect();
    for name in [PIN_MENU, UNPIN_MENU] {
        registered.push(
            CreateCommand::new(name)
                .kind(CommandType::Message)
                .default_member_permissions(Permissions::MANAGE_MESSAGES),
        );
    }
    registered
}

/// The core command for a slash or context-menu command. Errors are the message for the user.
pub fn command_for(data: &CommandData) -> Result<Command, String> {
    if matches!(data.name.as_str(), PIN_MENU | UNPIN_MENU) {
        let Some(target) = data.target_id else {
            return Err("Use this on a message.".to_owned());
        };
        let message = MessageRef::Platform(target.get().to_string());
        return if data.name == PIN_MENU {
            Command::pin(message, None).map_err(|e| e.message("/"))
        } else {
            Ok(Command::unpin(message))
        };
    }
    let mut spec: &'static CommandSpec = commands::spec(&data.name)
        .filter(|spec| !spec.path.contains(' '))
        .ok_or_else(|| format!("This server has an outdated /{} command.", data.name))?;
    let mut options: &[CommandDataOption] = &data.options;
    while !spec.subcommands.is_empty() {
        let chosen = options.iter().find_map(|o| match &o.value {
            CommandDataOptionValue::SubCommand(inner) => Some((o.name.as_str(), inner.as_slice())),
            _ => None,
        });
        let (name, inner) = chosen.unwrap_or(("", &[] as &[_]));
        // An unknown or missing subcommand falls through to the core's own error.
        let Some(sub) = spec.subcommands.iter().find(|s| s.name() == name) else {
            return Command::parse(&format!("{} {name}", spec.path)).map_err(|e| e.message("/"));
        };
        spec = sub;
        options = inner;
    }
    let mut line = spec.path.to_owned();
    for arg in spec.args {
        let Some(value) = options
            .iter()
            .find(|o| o.name == arg.name)
            .map(|o| &o.value)
        else {
            continue;
        };
        let text = match value {
            CommandDataOptionValue::String(s) => s.trim().to_owned(),
            CommandDataOptionValue::Integer(i) => i.to_string(),
            CommandDataOptionValue::Number(n) => n.to_string(),
            CommandDataOptionValue::Boolean(true) => String::new(),
            _ => continue,
        };
        match (arg.named, arg.kind) {
            (true, ArgKind::Switch) => line.push_str(&format!(" --{}", arg.name)),
            (true, _) => line.push_str(&format!(" --{} {text}", arg.name)),
            (false, _) if !text.is_empty() => line.push_str(&format!(" {text}")),
            (false, _) => {}
        }
    }
    Command::parse(&line).map_err(|e| e.message("/"))
}

/// Autocomplete choices for an article option: "#id title", cut to Discord's limit.
pub async fn choices(bot: &Bot, community: &str, typed: &str) -> CreateAutocompleteResponse {
    let store = bot.store();
    let hits = match store.community("discord", community, None, bot.now()).await {
        Ok(community) => {
            store
                .complete_titles(Scope::Community(community.id), typed, 25)
                .await
        }
        Err(error) => Err(error),
    };
    let hits = match hits {
        Ok(hits) => hits,
        Err(error) => {
            tracing::error!(%error, "autocomplete failed");
            Vec::new()
        }
    };
    hits.into_iter()
        .fold(CreateAutocompleteResponse::new(), |response, hit| {
            let name = crate::bot::reply::truncate(
                &format!("#{} {}", hit.id.0, hit.title),
                limits::CHOICE_NAME,
            );
            response.add_string_choice(name, hit.id.0.to_string())
        })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use serde_json::json;
    use serenity::all::CommandInteraction;

    use super::*;

    /// A slash-command interaction as Discord sends it.
    fn interaction(name: &str, options: serde_json::Value) -> CommandInteraction {
        serde_json::from_value(json!({
            "id": "1100000000000000001",
            "application_id": "1100000000000000002",
            "type": 2,
            "token": "token",
            "version": 1,
            "channel_id": "1100000000000000003",
            "guild_id": "1100000000000000004",
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {},
            "attachment_size_limit": 8388608,
            "app_permissions": "0",
            "member": {
                "user": { "id": "1100000000000000005", "username": "ana", "discriminator": "0", "global_name": null, "avatar": null },
                "roles": [], "joined_at": "2026-01-01T00:00:00+00:00", "deaf": false, "mute": false,
                "flags": 0, "permissions": "0"
            },
            "data": { "id": "1100000000000000006", "name": name, "type": 1, "options": options }
        }))
        .unwrap()
    }

    fn path(name: &str, options: serde_json::Value) -> Result<String, String> {
        command_for(&interaction(name, options).data).map(|c| c.spec().path.to_owned())
    }

    #[test]
    fn options_become_the_same_command_as_text() {
        assert_eq!(
            path(
                "summary",
                json!([{ "name": "article", "type": 3, "value": "12" }, { "name": "sentences", "type": 4, "value": 2 }])
            ),
            Ok("summary".to_owned())
        );
        let add = json!([{ "name": "add", "type": 1, "options": [
            { "name": "url", "type": 3, "value": "https://e.org/feed" },
            { "name": "thread", "type": 5, "value": true },
            { "name": "every", "type": 4, "value": 30 }
        ]}]);
        assert_eq!(path("feed", add), Ok("feed add".to_owned()));
        let at = json!([{ "name": "at", "type": 1, "options": [
            { "name": "time", "type": 3, "value": "09:00" },
            { "name": "zone", "type": 3, "value": "Europe/Berlin" }
        ]}]);
        assert_eq!(path("digest", at), Ok("digest at".to_owned()));
        assert_eq!(
            path(
                "digest",
                json!([{ "name": "preview", "type": 1, "options": [] }])
            ),
            Ok("digest preview".to_owned())
        );
    }

    #[test]
    fn bad_options_get_the_cores_errors() {
        let every = json!([{ "name": "add", "type": 1, "options": [
            { "name": "url", "type": 3, "value": "https://e.org/feed" },
            { "name": "every", "type": 4, "value": 2 }
        ]}]);
        let error = path("feed", every).unwrap_err();
        assert!(
            error.contains("a number of minutes from 5 to 1440"),
            "{error}"
        );
        let error = path(
            "summary",
            json!([{ "name": "article", "type": 3, "value": "war" }]),
        )
        .unwrap_err();
        assert!(error.contains("is not an article id"), "{error}");
        let error = path("frobnicate", json!([])).unwrap_err();
        assert!(error.contains("outdated /frobnicate"), "{error}");
    }

    #[test]
    fn registration_follows_the_specs() {
        let registered = serde_json::to_value(application_commands()).unwrap();
        let feed = registered
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "feed")
            .unwrap();
        let subcommands: Vec<&str> = feed["options"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| {
                assert_eq!(o["type"], 1, "a subcommand");
                o["name"].as_str().unwrap()
            })
            .collect();
        assert_eq!(subcommands, ["add", "remove", "list", "preview"]);
        assert_eq!(
            feed["options"][0]["options"][1]["type"], 5,
            "--thread is a boolean"
        );
        assert!(
            registered
                .as_array()
                .unwrap()
                .iter()
                .all(|c| c["name"] != "pin")
        );
    }
}
