//! Discord's documented rules for what the bot sends: command registrations, message bodies,
//! thread names and interaction responses. A body that breaks one is refused with the 400 that
//! Discord answers, naming the offending field, so that the tests catch what Discord would.

use serde_json::{Value, json};

use super::RecordedFile;
use super::rest::{Reply, Result};

fn ensure(ok: bool, path: &str, code: &str, message: &str) -> Result<()> {
    if ok {
        Ok(())
    } else {
        Err(Reply::invalid_form(path, code, message))
    }
}

fn at_most(path: &str, length: usize, max: usize) -> Result<()> {
    let message = format!("Must be {max} or fewer in length.");
    ensure(length <= max, path, "BASE_TYPE_MAX_LENGTH", &message)
}

fn between(path: &str, length: usize, min: usize, max: usize) -> Result<()> {
    let message = format!("Must be between {min} and {max} in length.");
    ensure(
        (min..=max).contains(&length),
        path,
        "BASE_TYPE_BAD_LENGTH",
        &message,
    )
}

/// Characters of a string value; 0 for anything else.
fn chars(value: &Value) -> usize {
    value.as_str().map_or(0, |s| s.chars().count())
}

fn items(value: &Value) -> &[Value] {
    value.as_array().map(Vec::as_slice).unwrap_or_default()
}

fn join(path: &str, field: &str) -> String {
    if path.is_empty() {
        field.to_owned()
    } else {
        format!("{path}.{field}")
    }
}

/// Lower-case letters, digits, `-`, `_` and `'`, 1 to 32 of them.
fn valid_command_name(name: &str) -> bool {
    (1..=32).contains(&name.chars().count())
        && name.chars().all(|c| {
            c == '-' || c == '_' || c == '\'' || (c.is_alphanumeric() && !c.is_uppercase())
        })
}

/// A bulk overwrite (`PUT .../commands`): at most 100 commands, each valid, names unique per
/// command type.
pub(super) fn validate_commands(body: &Value) -> Result<&[Value]> {
    let Some(commands) = body.as_array() else {
        return Err(Reply::invalid_form(
            "",
            "BASE_TYPE_ARRAY_TYPE",
            "Must be an array",
        ));
    };
    at_most("", commands.len(), 100)?;
    for (i, command) in commands.iter().enumerate() {
        validate_command(command, &i.to_string())?;
        let kind = |c: &Value| c["type"].as_u64().unwrap_or(1);
        let first = commands
            .iter()
            .position(|c| c["name"] == command["name"] && kind(c) == kind(command));
        ensure(
            first == Some(i),
            &format!("{i}.name"),
            "APPLICATION_COMMANDS_DUPLICATE_NAME",
            "Application command names must be unique",
        )?;
    }
    Ok(commands)
}

/// One command: a slash command (type 1) needs a valid name and a description; a context
/// menu command a name of 1 to 32 characters and no description.
fn validate_command(command: &Value, path: &str) -> Result<()> {
    let name = command["name"].as_str().unwrap_or_default();
    let description = chars(&command["description"]);
    if command["type"].as_u64().unwrap_or(1) == 1 {
        ensure(
            valid_command_name(name),
            &join(path, "name"),
            "APPLICATION_COMMAND_INVALID_NAME",
            "Command name is invalid",
        )?;
        between(&join(path, "description"), description, 1, 100)?;
    } else {
        between(&join(path, "name"), name.chars().count(), 1, 32)?;
        ensure(
            description == 0,
            &join(path, "description"),
            "APPLICATION_COMMAND_CONTEXT_MENU_DESCRIPTION",
            "Context menu commands cannot have description",
        )?;
    }
    match command["options"].as_array() {
        Some(options) => validate_options(options, &join(path, "options")),
        None => Ok(()),
    }
}

/// Options (and sub-options): at most 25, valid unique names, descriptions, required ones
/// first, at most 25 choices and no choices with autocomplete.
fn validate_options(options: &[Value], path: &str) -> Result<()> {
    at_most(path, options.len(), 25)?;
    let mut optional_seen = false;
    for (i, option) in options.iter().enumerate() {
        let at = |field: &str| format!("{path}.{i}.{field}");
        let name = option["name"].as_str().unwrap_or_default();
        ensure(
            valid_command_name(name),
            &at("name"),
            "APPLICATION_COMMAND_INVALID_NAME",
            "Command name is invalid",
        )?;
        ensure(
            options[..i].iter().all(|o| o["name"] != option["name"]),
            &at("name"),
            "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS",
            "Option names must be unique",
        )?;
        between(&at("description"), chars(&option["description"]), 1, 100)?;
        let required = option["required"].as_bool().unwrap_or(false);
        ensure(
            !(required && optional_seen),
            &at("required"),
            "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
            "Required options must be placed before non-required options",
        )?;
        optional_seen |= !required;
        let choices = items(&option["choices"]).len();
        at_most(&at("choices"), choices, 25)?;
        ensure(
            choices == 0 || option["autocomplete"].as_bool() != Some(true),
            &at("autocomplete"),
            "APPLICATION_COMMAND_OPTION_CHOICES_AUTOCOMPLETE",
            "Autocomplete cannot be enabled on options that have choices",
        )?;
        if let Some(sub) = option["options"].as_array() {
            validate_options(sub, &at("options"))?;
        }
    }
    Ok(())
}

/// A thread's name: 1 to 100 characters.
pub(super) fn validate_thread_name(body: &Value) -> Result<String> {
    let name = body["name"].as_str().unwrap_or_default();
    between("name", name.chars().count(), 1, 100)?;
    Ok(name.to_owned())
}

/// A message body (create or edit) against Discord's documented limits; a new message must
/// not be empty.
pub(super) fn validate_message_body(
    body: &Value,
    files: &[RecordedFile],
    create: bool,
) -> Result<()> {
    at_most("content", chars(&body["content"]), 2000)?;
    let embeds = items(&body["embeds"]);
    at_most("embeds", embeds.len(), 10)?;
    let mut total = 0;
    for (i, embed) in embeds.iter().enumerate() {
        for (field, value, max) in [
            ("title", &embed["title"], 256),
            ("description", &embed["description"], 4096),
            ("footer.text", &embed["footer"]["text"], 2048),
            ("author.name", &embed["author"]["name"], 256),
        ] {
            at_most(&format!("embeds.{i}.{field}"), chars(value), max)?;
            total += chars(value);
        }
        let fields = items(&embed["fields"]);
        at_most(&format!("embeds.{i}.fields"), fields.len(), 25)?;
        for (j, field) in fields.iter().enumerate() {
            let (name, value) = (chars(&field["name"]), chars(&field["value"]));
            between(&format!("embeds.{i}.fields.{j}.name"), name, 1, 256)?;
            between(&format!("embeds.{i}.fields.{j}.value"), value, 1, 1024)?;
            total += name + value;
        }
    }
    ensure(
        total <= 6000,
        "embeds",
        "MAX_EMBED_SIZE_EXCEEDED",
        "Embed size exceeds maximum size of 6000",
    )?;
    let rows = items(&body["components"]);
    at_most("components", rows.len(), 5)?;
    for (i, row) in rows.iter().enumerate() {
        let buttons = items(&row["components"]);
        if row["type"] == json!(1) {
            between(&format!("components.{i}.components"), buttons.len(), 1, 5)?;
        }
        for (j, button) in buttons.iter().enumerate() {
            if button["type"] != json!(2) {
                continue;
            }
            let at = format!("components.{i}.components.{j}");
            let link = button["style"] == json!(5);
            let custom_id = chars(&button["custom_id"]);
            ensure(
                link == (custom_id == 0) && custom_id <= 100,
                &format!("{at}.custom_id"),
                "COMPONENT_CUSTOM_ID_REQUIRED",
                "A non-link button needs a custom_id of at most 100 characters, a link button none",
            )?;
            at_most(&format!("{at}.label"), chars(&button["label"]), 80)?;
        }
    }
    let empty = chars(&body["content"]) == 0
        && embeds.is_empty()
        && rows.is_empty()
        && files.is_empty()
        && items(&body["sticker_ids"]).is_empty()
        && !body["poll"].is_object();
    if create && empty {
        return Err(Reply::error(400, 50006, "Cannot send an empty message"));
    }
    Ok(())
}

/// An interaction response: a type the interaction's kind allows (commands, buttons,
/// autocomplete, modal submits), and for autocomplete at most 25 choices. Returns the type.
pub(super) fn validate_callback(interaction_kind: u64, body: &Value) -> Result<u64> {
    let kind = body["type"].as_u64().unwrap_or(0);
    let allowed: &[u64] = match interaction_kind {
        2 => &[4, 5, 9],
        3 => &[4, 5, 6, 7, 9],
        4 => &[8],
        5 => &[4, 5, 6, 7],
        _ => &[1],
    };
    ensure(
        allowed.contains(&kind),
        "type",
        "INTERACTION_RESPONSE_TYPE_INVALID",
        "Interaction response type is invalid for this interaction",
    )?;
    let data = &body["data"];
    match kind {
        8 => at_most("data.choices", items(&data["choices"]).len(), 25)?,
        9 => ensure(
            chars(&data["custom_id"]) > 0
                && chars(&data["title"]) > 0
                && !items(&data["components"]).is_empty(),
            "data",
            "BASE_TYPE_REQUIRED",
            "A modal needs custom_id, title and components",
        )?,
        _ => {}
    }
    Ok(kind)
}
