//! The fake's world (its two fixed guilds and those a test adds, their members, roles and
//! channels) and the messages, interactions and commands in it, as the JSON objects Discord
//! documents.

use chrono::{SecondsFormat, Utc};
use serde_json::{Value, json};

use super::{FakeDiscord, RecordedFile, State};

/// Permission bits, as Discord numbers them.
mod permissions {
    pub const CREATE_INSTANT_INVITE: u64 = 1 << 0;
    pub const ADD_REACTIONS: u64 = 1 << 6;
    pub const VIEW_CHANNEL: u64 = 1 << 10;
    pub const SEND_MESSAGES: u64 = 1 << 11;
    pub const MANAGE_MESSAGES: u64 = 1 << 13;
    pub const EMBED_LINKS: u64 = 1 << 14;
    pub const ATTACH_FILES: u64 = 1 << 15;
    pub const READ_MESSAGE_HISTORY: u64 = 1 << 16;
    pub const USE_EXTERNAL_EMOJIS: u64 = 1 << 18;
    pub const CHANGE_NICKNAME: u64 = 1 << 26;
    pub const USE_APPLICATION_COMMANDS: u64 = 1 << 31;
    pub const MANAGE_THREADS: u64 = 1 << 34;
    pub const CREATE_PUBLIC_THREADS: u64 = 1 << 35;
    pub const CREATE_PRIVATE_THREADS: u64 = 1 << 36;
    pub const SEND_MESSAGES_IN_THREADS: u64 = 1 << 38;
}

/// What `@everyone` may do: Discord's defaults for a new guild.
const EVERYONE_PERMISSIONS: u64 = permissions::CREATE_INSTANT_INVITE
    | permissions::ADD_REACTIONS
    | permissions::VIEW_CHANNEL
    | permissions::SEND_MESSAGES
    | permissions::EMBED_LINKS
    | permissions::ATTACH_FILES
    | permissions::READ_MESSAGE_HISTORY
    | permissions::USE_EXTERNAL_EMOJIS
    | permissions::CHANGE_NICKNAME
    | permissions::USE_APPLICATION_COMMANDS
    | permissions::CREATE_PUBLIC_THREADS
    | permissions::CREATE_PRIVATE_THREADS
    | permissions::SEND_MESSAGES_IN_THREADS;
/// What "Moderators" adds.
const MODERATOR_PERMISSIONS: u64 = permissions::MANAGE_MESSAGES;
/// What the bot's role adds: enough to open threads on its cards.
const BOT_PERMISSIONS: u64 = permissions::MANAGE_MESSAGES | permissions::MANAGE_THREADS;
/// `attachment_size_limit` of interactions: 10 MiB, as in a guild without boosts.
const ATTACHMENT_SIZE_LIMIT: u64 = 10 * 1024 * 1024;
const JOINED_AT: &str = "2025-09-01T10:00:00.000000+00:00";
/// GATEWAY_PRESENCE_LIMITED | GATEWAY_GUILD_MEMBERS_LIMITED | GATEWAY_MESSAGE_CONTENT_LIMITED:
/// the privileged intents of a bot in fewer than 100 guilds.
const APPLICATION_FLAGS: u64 = (1 << 13) | (1 << 15) | (1 << 19);
/// Message flags a create or edit body may set: SUPPRESS_EMBEDS, EPHEMERAL, SUPPRESS_NOTIFICATIONS.
const SETTABLE_FLAGS: u64 = 4 | 64 | 4096;

pub(super) fn now_iso() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Micros, false)
}

/// A snowflake as Discord writes it (a string) or as a test might (a number); 0 for neither.
pub(super) fn id_of(value: &Value) -> u64 {
    match value {
        Value::String(s) => s.parse().unwrap_or(0),
        Value::Number(n) => n.as_u64().unwrap_or(0),
        _ => 0,
    }
}

/// A user object: the bot, the owner, the moderators, the reader, or a stranger `user<ID>`.
pub(super) fn user_json(id: u64) -> Value {
    let (username, global_name) = match id {
        FakeDiscord::BOT_USER_ID => ("readingroom".to_owned(), Some(FakeDiscord::BOT_NAME)),
        FakeDiscord::OWNER_ID => ("owner_olga".to_owned(), Some("Olga")),
        FakeDiscord::MODERATOR_ID => ("mod_maria".to_owned(), Some("Maria")),
        FakeDiscord::READER_ID => ("reader_rob".to_owned(), Some("Rob")),
        FakeDiscord::MODERATOR_B_ID => ("mod_bea".to_owned(), Some("Bea")),
        _ => (format!("user{id}"), None),
    };
    let mut user = json!({
        "id": id.to_string(),
        "username": username,
        "discriminator": "0",
        "global_name": global_name,
        "avatar": null,
        "public_flags": 0,
        "flags": 0,
        "banner": null,
        "accent_color": null,
        "avatar_decoration_data": null,
    });
    if id == FakeDiscord::BOT_USER_ID {
        user["bot"] = json!(true);
    }
    user
}

/// A guild's "Moderators" role and the bot's role: role ids are snowflakes of their own, so
/// each guild's differ. A guild a test added has the two ids after its channel's (see
/// `State::add_guild`).
fn guild_roles(guild: u64) -> (u64, u64) {
    match guild {
        FakeDiscord::GUILD_ID => (FakeDiscord::MODERATOR_ROLE_ID, FakeDiscord::BOT_ROLE_ID),
        FakeDiscord::GUILD_B_ID => (FakeDiscord::MODERATOR_ROLE_B_ID, FakeDiscord::BOT_ROLE_B_ID),
        added => (added + 2, added + 3),
    }
}

fn member_roles(guild: u64, user_id: u64) -> Vec<u64> {
    let (moderators, bot) = guild_roles(guild);
    match (guild, user_id) {
        (FakeDiscord::GUILD_ID, FakeDiscord::MODERATOR_ID)
        | (FakeDiscord::GUILD_B_ID, FakeDiscord::MODERATOR_B_ID) => vec![moderators],
        (_, FakeDiscord::BOT_USER_ID) => vec![bot],
        _ => vec![],
    }
}

/// The guild-wide permissions of a member (the owner has them all).
fn member_permissions(guild: u64, user_id: u64) -> u64 {
    if user_id == FakeDiscord::OWNER_ID {
        return (1u64 << 51) - 1;
    }
    let (moderators, bot) = guild_roles(guild);
    member_roles(guild, user_id)
        .into_iter()
        .fold(EVERYONE_PERMISSIONS, |permissions, role| {
            permissions
                | match role {
                    r if r == moderators => MODERATOR_PERMISSIONS,
                    r if r == bot => BOT_PERMISSIONS,
                    _ => 0,
                }
        })
}

/// A member without `user`, as in messages.
fn partial_member_json(guild: u64, user_id: u64) -> Value {
    json!({
        "roles": member_roles(guild, user_id).iter().map(u64::to_string).collect::<Vec<_>>(),
        "nick": null,
        "avatar": null,
        "banner": null,
        "joined_at": JOINED_AT,
        "premium_since": null,
        "deaf": false,
        "mute": false,
        "flags": 0,
        "pending": false,
        "communication_disabled_until": null,
        "unusual_dm_activity_until": null,
    })
}

/// A guild's members; any other user is a stranger to it. The owner and the reader are in
/// every guild; A and B each have their own moderator, a guild a test added has none.
pub(super) fn members(guild: u64) -> Vec<u64> {
    let mut members = vec![
        FakeDiscord::BOT_USER_ID,
        FakeDiscord::OWNER_ID,
        FakeDiscord::READER_ID,
    ];
    match guild {
        FakeDiscord::GUILD_ID => members.push(FakeDiscord::MODERATOR_ID),
        FakeDiscord::GUILD_B_ID => members.push(FakeDiscord::MODERATOR_B_ID),
        _ => {}
    }
    members
}

/// A guild member object (with `user`).
pub(super) fn member_json(guild: u64, user_id: u64) -> Value {
    let mut member = partial_member_json(guild, user_id);
    member["user"] = user_json(user_id);
    member
}

fn role_json(id: u64, name: &str, permissions: u64, position: u64, managed: bool) -> Value {
    let mut role = json!({
        "id": id.to_string(),
        "name": name,
        "color": 0,
        "colors": { "primary_color": 0, "secondary_color": null, "tertiary_color": null },
        "hoist": false,
        "icon": null,
        "unicode_emoji": null,
        "position": position,
        "permissions": permissions.to_string(),
        "managed": managed,
        "mentionable": false,
        "flags": 0,
    });
    if managed {
        role["tags"] = json!({ "bot_id": FakeDiscord::BOT_USER_ID.to_string() });
    }
    role
}

/// A guild's roles; `@everyone`'s id is the guild's.
pub(super) fn roles_json(guild: u64) -> Value {
    let (moderators, bot) = guild_roles(guild);
    json!([
        role_json(guild, "@everyone", EVERYONE_PERMISSIONS, 0, false),
        role_json(moderators, "Moderators", MODERATOR_PERMISSIONS, 1, false),
        role_json(bot, FakeDiscord::BOT_NAME, BOT_PERMISSIONS, 2, true),
    ])
}

pub(super) fn text_channel_json(id: u64, guild: u64, name: &str, position: u64) -> Value {
    json!({
        "id": id.to_string(),
        "type": 0,
        "guild_id": guild.to_string(),
        "name": name,
        "position": position,
        "permission_overwrites": [],
        "topic": null,
        "nsfw": false,
        "last_message_id": null,
        "rate_limit_per_user": 0,
        "parent_id": null,
        "last_pin_timestamp": null,
        "default_auto_archive_duration": 1440,
        "flags": 0,
    })
}

/// A public thread the bot started on message `id` of `parent` (a channel object), the bot
/// a member of it.
pub(super) fn thread_json(id: u64, parent: &Value, name: &str, auto_archive: u64) -> Value {
    let now = now_iso();
    json!({
        "id": id.to_string(),
        "type": 11,
        "guild_id": parent["guild_id"],
        "parent_id": parent["id"],
        "owner_id": FakeDiscord::BOT_USER_ID.to_string(),
        "name": name,
        "last_message_id": null,
        "rate_limit_per_user": 0,
        "message_count": 0,
        "member_count": 1,
        "total_message_sent": 0,
        "flags": 0,
        "thread_metadata": {
            "archived": false,
            "auto_archive_duration": auto_archive,
            "archive_timestamp": now,
            "locked": false,
            "create_timestamp": now,
        },
        "member": {
            "id": id.to_string(),
            "user_id": FakeDiscord::BOT_USER_ID.to_string(),
            "join_timestamp": now,
            "flags": 0,
        },
    })
}

/// The users of the `<@id>` and `<@!id>` mentions of a content.
pub(super) fn mentioned_users(content: &str) -> Vec<Value> {
    let mut users = Vec::new();
    let mut rest = content;
    while let Some(start) = rest.find("<@") {
        rest = &rest[start + 2..];
        let digits = rest.trim_start_matches('!');
        let end = digits
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(digits.len());
        if digits[end..].starts_with('>')
            && let Ok(id) = digits[..end].parse::<u64>()
        {
            users.push(user_json(id));
        }
    }
    users
}

/// Discord's option array from a test's `{"name": value}` object (an array is kept as it is).
pub(super) fn options_array(options: Value) -> Value {
    match options {
        Value::Object(map) => Value::Array(
            map.into_iter()
                .map(|(name, value)| {
                    let kind = match &value {
                        Value::Bool(_) => 5,
                        Value::Number(n) if n.is_i64() || n.is_u64() => 4,
                        Value::Number(_) => 10,
                        _ => 3,
                    };
                    json!({ "name": name, "type": kind, "value": value })
                })
                .collect(),
        ),
        Value::Null => json!([]),
        other => other,
    }
}

/// A registered command as Discord answers it: the body sent, with ids and defaults filled in.
pub(super) fn command_json(body: &Value, id: u64, version: u64, guild: Option<u64>) -> Value {
    let given = |key: &str, default: Value| body.get(key).cloned().unwrap_or(default);
    let mut command = json!({
        "id": id.to_string(),
        "type": body["type"].as_u64().unwrap_or(1),
        "application_id": FakeDiscord::APPLICATION_ID.to_string(),
        "name": body["name"],
        "name_localizations": given("name_localizations", Value::Null),
        "description": given("description", json!("")),
        "description_localizations": given("description_localizations", Value::Null),
        "default_member_permissions": given("default_member_permissions", Value::Null),
        "nsfw": given("nsfw", json!(false)),
        "integration_types": given("integration_types", json!([0])),
        "contexts": given("contexts", Value::Null),
        "version": version.to_string(),
    });
    if let Some(options) = body.get("options").filter(|o| o.is_array()) {
        command["options"] = options.clone();
    }
    match guild {
        Some(guild) => command["guild_id"] = json!(guild.to_string()),
        None => command["dm_permission"] = given("dm_permission", json!(true)),
    }
    command
}

/// Writes the fields of a create/edit body into a message, as Discord stores them.
pub(super) fn apply_message_body(
    message: &mut Value,
    body: &Value,
    files: &[RecordedFile],
    message_id: u64,
) {
    if let Some(content) = body.get("content").filter(|c| !c.is_null()) {
        message["content"] = content.clone();
        message["mentions"] = json!(mentioned_users(content.as_str().unwrap_or_default()));
    }
    if let Some(embeds) = body.get("embeds").and_then(Value::as_array) {
        message["embeds"] = Value::Array(embeds.iter().map(normalize_embed).collect());
    }
    if let Some(components) = body.get("components").and_then(Value::as_array) {
        message["components"] = Value::Array(components.iter().map(normalize_component).collect());
    }
    if let Some(tts) = body.get("tts").filter(|t| t.is_boolean()) {
        message["tts"] = tts.clone();
    }
    if let Some(flags) = body.get("flags").and_then(Value::as_u64) {
        let kept = message["flags"].as_u64().unwrap_or(0) & !SETTABLE_FLAGS;
        message["flags"] = json!(kept | (flags & SETTABLE_FLAGS));
    }
    if let Some(poll) = body.get("poll").filter(|p| p.is_object()) {
        message["poll"] = poll.clone();
    }
    // An edit keeps only the attachments it lists by id; new files are added to those.
    let mut attachments: Vec<Value> = message["attachments"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if let Some(listed) = body.get("attachments").and_then(Value::as_array) {
        attachments.retain(|a| listed.iter().any(|l| id_of(&l["id"]) == id_of(&a["id"])));
    }
    for (i, file) in files.iter().enumerate() {
        let id = message_id + 1 + i as u64;
        let url = format!(
            "https://cdn.discordapp.com/attachments/{}/{id}/{}",
            id_of(&message["channel_id"]),
            file.filename
        );
        attachments.push(json!({
            "id": id.to_string(),
            "filename": file.filename,
            "size": file.data.len(),
            "url": url,
            "proxy_url": url.replace("cdn.discordapp.com", "media.discordapp.net"),
            "content_type": file.content_type,
        }));
    }
    message["attachments"] = json!(attachments);
}

/// An embed as Discord answers it: typed `rich`, every field's `inline` explicit.
fn normalize_embed(embed: &Value) -> Value {
    let mut embed = embed.clone();
    if embed.get("type").is_none() {
        embed["type"] = json!("rich");
    }
    if let Some(fields) = embed.get_mut("fields").and_then(Value::as_array_mut) {
        for field in fields {
            if field.get("inline").is_none() {
                field["inline"] = json!(false);
            }
        }
    }
    embed
}

/// A component as Discord answers it: action rows get the id Discord numbers them with.
fn normalize_component(component: &Value) -> Value {
    let mut component = component.clone();
    if let Some(map) = component.as_object_mut() {
        if map.get("type") == Some(&json!(1)) {
            map.entry("id").or_insert(json!(1));
        }
        if let Some(children) = map.get("components").and_then(Value::as_array) {
            let children: Vec<Value> = children.iter().map(normalize_component).collect();
            map.insert("components".to_owned(), Value::Array(children));
        }
    }
    component
}

impl State {
    /// The guild of a channel or thread the fake knows; guild A for any other.
    pub(super) fn guild_of(&self, channel_id: u64) -> u64 {
        self.channels
            .get(&channel_id)
            .map_or(FakeDiscord::GUILD_ID, |c| id_of(&c["guild_id"]))
    }

    /// GUILD_CREATE's guild: the guild object with its members, channels and threads.
    pub(super) fn guild_json(&self, id: u64) -> Value {
        let members: Vec<Value> = members(id)
            .into_iter()
            .map(|user| member_json(id, user))
            .collect();
        let of_types = |types: &[u64]| -> Vec<Value> {
            self.channels
                .values()
                .filter(|c| id_of(&c["guild_id"]) == id)
                .filter(|c| c["type"].as_u64().is_some_and(|t| types.contains(&t)))
                .cloned()
                .collect()
        };
        let (name, system_channel) = match id {
            FakeDiscord::GUILD_ID => (
                "Reading Room Test Guild".to_owned(),
                FakeDiscord::OTHER_CHANNEL_ID,
            ),
            FakeDiscord::GUILD_B_ID => ("Book Club".to_owned(), FakeDiscord::CHANNEL_B_ID),
            // A guild a test added: its one channel has the id after the guild's.
            added => (format!("Guild {added}"), added + 1),
        };
        let mut guild = json!({
            "id": id.to_string(),
            "name": name,
            "icon": null,
            "icon_hash": null,
            "splash": null,
            "discovery_splash": null,
            "owner_id": FakeDiscord::OWNER_ID.to_string(),
            "afk_channel_id": null,
            "afk_timeout": 300,
            "widget_enabled": false,
            "widget_channel_id": null,
            "verification_level": 1,
            "default_message_notifications": 1,
            "explicit_content_filter": 2,
            "roles": roles_json(id),
            "emojis": [],
            "features": [],
            "mfa_level": 0,
            "application_id": null,
            "system_channel_id": system_channel.to_string(),
            "system_channel_flags": 0,
            "rules_channel_id": null,
            "max_presences": null,
            "max_members": 500000,
            "vanity_url_code": null,
            "description": null,
            "banner": null,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": "en-US",
            "public_updates_channel_id": null,
            "max_video_channel_users": 25,
            "max_stage_video_channel_users": 50,
            "nsfw_level": 0,
            "stickers": [],
            "premium_progress_bar_enabled": false,
            "safety_alerts_channel_id": null,
            "incidents_data": null,
        });
        let create_fields = json!({
            "joined_at": JOINED_AT,
            "large": false,
            "unavailable": false,
            "member_count": members.len(),
            "voice_states": [],
            "members": members,
            "channels": of_types(&[0]),
            "threads": of_types(&[10, 11, 12]),
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        });
        if let (Some(guild), Value::Object(extra)) = (guild.as_object_mut(), create_fields) {
            guild.extend(extra);
        }
        guild
    }

    /// READY of session `session_id` of `shard` of `total`.
    pub(super) fn ready_json(&self, session_id: &str, shard: u32, total: u32) -> Value {
        // READY lists the shard's guilds as unavailable; each GUILD_CREATE then fills one in.
        let guilds: Vec<Value> = self
            .joined
            .iter()
            .filter(|id| FakeDiscord::shard_of(**id, total) == shard)
            .map(|id| json!({ "id": id.to_string(), "unavailable": true }))
            .collect();
        json!({
            "v": 10,
            "user": {
                "id": FakeDiscord::BOT_USER_ID.to_string(),
                "username": "readingroom",
                "discriminator": "0",
                "global_name": FakeDiscord::BOT_NAME,
                "avatar": null,
                "bot": true,
                "verified": true,
                "mfa_enabled": false,
                "email": null,
                "flags": 0,
                "public_flags": 0,
            },
            "guilds": guilds,
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": ["rotterdam"],
            "session_type": "normal",
            "session_id": session_id,
            "resume_gateway_url": self.gateway_url(),
            "shard": [shard, total],
            "application": { "id": FakeDiscord::APPLICATION_ID.to_string(), "flags": APPLICATION_FLAGS },
            "user_settings": {},
        })
    }

    /// The partial channel of an interaction, with the bot's permissions in it.
    pub(super) fn partial_channel(&self, channel_id: u64) -> Value {
        let guild = self.guild_of(channel_id);
        let permissions = member_permissions(guild, FakeDiscord::BOT_USER_ID).to_string();
        let Some(channel) = self.channels.get(&channel_id) else {
            return json!({
                "id": channel_id.to_string(),
                "type": 0,
                "name": format!("channel-{channel_id}"),
                "guild_id": guild.to_string(),
                "permissions": permissions,
            });
        };
        let mut partial = json!({ "permissions": permissions });
        for key in [
            "id",
            "type",
            "name",
            "guild_id",
            "parent_id",
            "thread_metadata",
            "flags",
            "nsfw",
            "topic",
        ] {
            if let Some(value) = channel.get(key) {
                partial[key] = value.clone();
            }
        }
        partial
    }

    /// A message as REST answers it (no `guild_id`, no `member`).
    pub(super) fn base_message(id: u64, channel_id: u64, author: Value) -> Value {
        json!({
            "id": id.to_string(),
            "channel_id": channel_id.to_string(),
            "author": author,
            "content": "",
            "timestamp": now_iso(),
            "edited_timestamp": null,
            "tts": false,
            "mention_everyone": false,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "components": [],
            "pinned": false,
            "type": 0,
            "flags": 0,
        })
    }

    /// The message as the gateway sends it: with its channel's `guild_id`, and `member` for
    /// its author and each mentioned user (a webhook's message has no member).
    pub(super) fn gateway_message(&self, mut message: Value) -> Value {
        let author_id = id_of(&message["author"]["id"]);
        let guild = self.guild_of(id_of(&message["channel_id"]));
        message["guild_id"] = json!(guild.to_string());
        if message.get("webhook_id").is_none_or(Value::is_null) {
            message["member"] = partial_member_json(guild, author_id);
        }
        if let Some(mentions) = message["mentions"].as_array_mut() {
            for user in mentions {
                user["member"] = partial_member_json(guild, id_of(&user["id"]));
            }
        }
        message
    }

    /// The registered command's id, or a fixed one for a command that was never registered.
    pub(super) fn command_id(&self, name: &str, kind: u64) -> u64 {
        self.guild_commands
            .iter()
            .chain(self.global_commands.iter())
            .find(|c| c["name"] == json!(name) && c["type"].as_u64().unwrap_or(1) == kind)
            .map(|c| id_of(&c["id"]))
            .unwrap_or(1_100_000_000_000_009_000 + kind)
    }

    /// INTERACTION_CREATE data of a guild member's interaction in a channel.
    pub(super) fn interaction(
        &self,
        id: u64,
        kind: u64,
        data: Value,
        channel_id: u64,
        user_id: u64,
        message: Option<Value>,
    ) -> Value {
        let mut interaction = json!({
            "id": id.to_string(),
            "application_id": FakeDiscord::APPLICATION_ID.to_string(),
            "type": kind,
            "data": data,
            "member": { "user": user_json(user_id) },
            "token": format!("fake-interaction-token-{id}"),
            "version": 1,
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "context": 0,
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
        });
        if let Some(message) = message {
            interaction["message"] = message;
        }
        self.place(&mut interaction, channel_id);
        interaction
    }

    /// Puts an interaction in a channel: the channel, its guild, and the member and bot
    /// permissions there.
    pub(super) fn place(&self, interaction: &mut Value, channel_id: u64) {
        let guild = self.guild_of(channel_id);
        let user_id = id_of(&interaction["member"]["user"]["id"]);
        let mut member = member_json(guild, user_id);
        member["permissions"] = json!(member_permissions(guild, user_id).to_string());
        let bot = member_permissions(guild, FakeDiscord::BOT_USER_ID).to_string();
        interaction["guild"] =
            json!({ "id": guild.to_string(), "locale": "en-US", "features": [] });
        interaction["guild_id"] = json!(guild.to_string());
        interaction["channel"] = self.partial_channel(channel_id);
        interaction["channel_id"] = json!(channel_id.to_string());
        interaction["member"] = member;
        interaction["app_permissions"] = json!(bot);
        interaction["authorizing_integration_owners"] = json!({ "0": guild.to_string() });
        if interaction["data"].get("guild_id").is_some() {
            interaction["data"]["guild_id"] = json!(guild.to_string());
        }
    }
}
