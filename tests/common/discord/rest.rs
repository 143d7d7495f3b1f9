//! The REST half of the fake: Discord's answers to the routes the bot uses (registering
//! commands, posting messages, opening threads, answering interactions and their webhooks,
//! reading roles and members, reading history: see `history`), each request recorded with its
//! answer.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State as AxumState;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::payloads::{
    apply_message_body, command_json, id_of, member_json, members, now_iso, roles_json,
    thread_json, user_json,
};
use super::validate::{
    validate_callback, validate_commands, validate_message_body, validate_thread_name,
};
use super::{FakeDiscord, Inner, Recorded, RecordedFile, State};

/// An answer of the REST side: a status and a JSON body, or none (204).
pub(super) struct Reply {
    pub(super) status: u16,
    pub(super) body: Option<Value>,
}

/// A refusal is an answer too: handlers return it with `?`.
pub(super) type Result<T> = std::result::Result<T, Reply>;

impl Reply {
    fn json(status: u16, body: Value) -> Reply {
        Reply {
            status,
            body: Some(body),
        }
    }

    pub(super) fn ok(body: Value) -> Reply {
        Reply::json(200, body)
    }

    fn no_content() -> Reply {
        Reply {
            status: 204,
            body: None,
        }
    }

    pub(super) fn error(status: u16, code: u64, message: &str) -> Reply {
        Reply::json(status, json!({ "message": message, "code": code }))
    }

    /// Code 0 marks a route the fake does not know, see [`FakeDiscord::unknown_requests`].
    fn not_found() -> Reply {
        Reply::error(404, 0, "404: Not Found")
    }

    /// 400 Invalid Form Body, with the error nested under the dotted `path` as Discord does.
    pub(super) fn invalid_form(path: &str, code: &str, message: &str) -> Reply {
        let mut errors = json!({ "_errors": [{ "code": code, "message": message }] });
        for segment in path.split('.').rev().filter(|s| !s.is_empty()) {
            errors = json!({ segment: errors });
        }
        Reply::json(
            400,
            json!({ "message": "Invalid Form Body", "code": 50035, "errors": errors }),
        )
    }
}

fn parse_id(raw: &str) -> Result<u64> {
    raw.parse().map_err(|_| {
        Reply::invalid_form(
            "id",
            "NUMBER_TYPE_COERCE",
            &format!("Value \"{raw}\" is not snowflake."),
        )
    })
}

/// Every request but the gateway's: answered, recorded, and waiters woken.
pub(super) async fn serve(
    AxumState(inner): AxumState<Arc<Inner>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let header = |name: header::HeaderName| {
        headers
            .get(name)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .unwrap_or_default()
    };
    let content_type = header(header::CONTENT_TYPE);
    let authorized = header(header::AUTHORIZATION) == format!("Bot {}", FakeDiscord::TOKEN);
    let (body, files) = if content_type.starts_with("multipart/form-data") {
        parse_multipart(&content_type, &body)
    } else if body.is_empty() {
        (Value::Null, Vec::new())
    } else {
        let text = || Value::String(String::from_utf8_lossy(&body).into_owned());
        (
            serde_json::from_slice(&body).unwrap_or_else(|_| text()),
            Vec::new(),
        )
    };
    let method = method.as_str().to_owned();
    let query = uri.query().unwrap_or_default().to_owned();
    let path = uri.path().trim_start_matches("/api/v10").to_owned();
    // A slow route answers late, as a busy Discord does; the fake serves others meanwhile.
    let delay = inner.lock().delay_for(&method, &path);
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    let reply = {
        let mut state = inner.lock();
        let reply = match uri.path().strip_prefix("/api/v10") {
            None => Reply::not_found(),
            Some(path) => match state.take_failure(&method, path) {
                Some(status) => {
                    Reply::error(status, 0, &format!("{status}: Internal Server Error"))
                }
                None => state
                    .route(&method, path, &query, authorized, &body, &files)
                    .unwrap_or_else(|refused| refused),
            },
        };
        state.requests.push(Recorded {
            method,
            path,
            query,
            body,
            files,
            status: reply.status,
            response: reply.body.clone().unwrap_or(Value::Null),
        });
        reply
    };
    inner.bump();
    let status = StatusCode::from_u16(reply.status).unwrap();
    match reply.body {
        Some(body) => (
            status,
            [(header::CONTENT_TYPE, "application/json")],
            body.to_string(),
        )
            .into_response(),
        None => status.into_response(),
    }
}

/// Splits a multipart/form-data body into `payload_json` and files.
fn parse_multipart(content_type: &str, body: &[u8]) -> (Value, Vec<RecordedFile>) {
    let find = |haystack: &[u8], needle: &[u8]| {
        haystack
            .windows(needle.len())
            .position(|window| window == needle)
    };
    let Some(boundary) = content_type
        .split(';')
        .find_map(|part| part.trim().strip_prefix("boundary="))
    else {
        return (Value::Null, Vec::new());
    };
    let delimiter = format!("--{}", boundary.trim_matches('"')).into_bytes();
    let mut payload = Value::Null;
    let mut files = Vec::new();
    let mut rest = body;
    while let Some(start) = find(rest, &delimiter) {
        rest = &rest[start + delimiter.len()..];
        if rest.starts_with(b"--") {
            break;
        }
        let end = find(rest, &delimiter).unwrap_or(rest.len());
        let part = &rest[..end];
        rest = &rest[end..];
        let part = part.strip_prefix(b"\r\n").unwrap_or(part);
        let part = part.strip_suffix(b"\r\n").unwrap_or(part);
        let Some(split) = find(part, b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&part[..split]).into_owned();
        let data = part[split + 4..].to_vec();
        let (mut name, mut filename, mut file_type) = (String::new(), None, None);
        for line in head.lines() {
            let lower = line.to_ascii_lowercase();
            if lower.starts_with("content-disposition:") {
                for item in line.split(';').map(str::trim) {
                    if let Some(v) = item.strip_prefix("name=") {
                        name = v.trim_matches('"').to_owned();
                    } else if let Some(v) = item.strip_prefix("filename=") {
                        filename = Some(v.trim_matches('"').to_owned());
                    }
                }
            } else if lower.starts_with("content-type:") {
                file_type = Some(line["content-type:".len()..].trim().to_owned());
            }
        }
        if name == "payload_json" {
            payload = serde_json::from_slice(&data).unwrap_or(Value::Null);
        } else if let Some(filename) = filename {
            files.push(RecordedFile {
                filename,
                content_type: file_type,
                data,
            });
        }
    }
    (payload, files)
}

impl State {
    fn take_failure(&mut self, method: &str, path: &str) -> Option<u16> {
        let failure = self.failures.iter_mut().find(|f| {
            f.remaining > 0
                && (f.method == "*" || f.method == method)
                && path.starts_with(&f.path_prefix)
        })?;
        failure.remaining -= 1;
        let status = failure.status;
        self.failures.retain(|f| f.remaining > 0);
        Some(status)
    }

    fn route(
        &mut self,
        method: &str,
        path: &str,
        query: &str,
        authorized: bool,
        body: &Value,
        files: &[RecordedFile],
    ) -> Result<Reply> {
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        // Interaction callbacks and webhooks are authorized by their token, not the bot's.
        let by_token = matches!(segments.first(), Some(&"interactions" | &"webhooks"));
        if !by_token && !authorized {
            return Err(Reply::error(401, 0, "401: Unauthorized"));
        }
        match (method, segments.as_slice()) {
            ("GET", ["gateway"]) => Ok(Reply::ok(json!({ "url": self.gateway_url() }))),
            ("GET", ["gateway", "bot"]) => Ok(Reply::ok(json!({
                "url": self.gateway_url(),
                "shards": self.gateway.recommended_shards,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 1000,
                    "reset_after": 86_400_000,
                    "max_concurrency": 1,
                },
            }))),
            ("PUT", ["applications", app, rest @ ..]) => {
                if parse_id(app)? != FakeDiscord::APPLICATION_ID {
                    return Err(Reply::error(403, 50001, "Missing Access"));
                }
                match rest {
                    ["commands"] => self.put_commands(None, body),
                    ["guilds", guild, "commands"] => {
                        let guild = self.guild_id(guild)?;
                        self.put_commands(Some(guild), body)
                    }
                    _ => Err(Reply::not_found()),
                }
            }
            ("POST", ["interactions", id, token, "callback"]) => {
                self.interaction_callback(parse_id(id)?, token, body, files)
            }
            (_, ["webhooks", app, token, rest @ ..]) => {
                self.webhook_route(method, app, token, rest, body, files)
            }
            ("GET", ["channels", channel, "messages"]) => {
                self.channel_messages_page(parse_id(channel)?, query)
            }
            ("GET", ["channels", channel, "threads", "archived", "public"]) => {
                self.archived_public_threads(parse_id(channel)?, query)
            }
            ("POST", ["channels", channel, rest @ ..]) => {
                self.channel_post(parse_id(channel)?, rest, body, files)
            }
            ("GET", ["guilds", guild, rest @ ..]) => {
                let guild = self.guild_id(guild)?;
                match rest {
                    ["roles"] => Ok(Reply::ok(roles_json(guild))),
                    ["threads", "active"] => self.active_threads(guild),
                    ["members", user] => {
                        let user = parse_id(user)?;
                        if !members(guild).contains(&user) {
                            return Err(Reply::error(404, 10007, "Unknown Member"));
                        }
                        Ok(Reply::ok(member_json(guild, user)))
                    }
                    _ => Err(Reply::not_found()),
                }
            }
            _ => Err(Reply::not_found()),
        }
    }

    /// Replaces the global or the guild's commands; a command keeps its id across overwrites.
    fn put_commands(&mut self, guild: Option<u64>, body: &Value) -> Result<Reply> {
        let commands = validate_commands(body)?;
        let old = match guild {
            Some(_) => &self.guild_commands,
            None => &self.global_commands,
        }
        .clone();
        let mut stored = Vec::new();
        for command in commands {
            let id = old
                .iter()
                .find(|c| c["name"] == command["name"] && c["type"] == command["type"])
                .map(|c| id_of(&c["id"]))
                .unwrap_or_else(|| self.snowflake());
            let version = self.snowflake();
            stored.push(command_json(command, id, version, guild));
        }
        match guild {
            Some(_) => self.guild_commands = stored.clone(),
            None => self.global_commands = stored.clone(),
        }
        Ok(Reply::ok(json!(stored)))
    }

    fn channel_post(
        &mut self,
        channel_id: u64,
        rest: &[&str],
        body: &Value,
        files: &[RecordedFile],
    ) -> Result<Reply> {
        if !self.channels.contains_key(&channel_id) {
            return Err(Reply::error(404, 10003, "Unknown Channel"));
        }
        match rest {
            ["messages"] => {
                validate_message_body(body, files, true)?;
                let id = self.snowflake();
                let mut message =
                    State::base_message(id, channel_id, user_json(FakeDiscord::BOT_USER_ID));
                apply_message_body(&mut message, body, files, id);
                self.sent("MESSAGE_CREATE", message.clone());
                Ok(Reply::ok(message))
            }
            ["messages", message_id, "threads"] => {
                let message_id = parse_id(message_id)?;
                let Some(mut starter) = self
                    .messages
                    .get(&message_id)
                    .filter(|m| id_of(&m["channel_id"]) == channel_id)
                    .cloned()
                else {
                    return Err(Reply::error(404, 10008, "Unknown Message"));
                };
                if self.channels.contains_key(&message_id) {
                    return Err(Reply::error(
                        400,
                        160004,
                        "A thread has already been created for this message",
                    ));
                }
                let name = validate_thread_name(body)?;
                let archive = body["auto_archive_duration"].as_u64().unwrap_or(4320);
                let parent = self.channels.get(&channel_id).cloned().unwrap_or_default();
                let thread = thread_json(message_id, &parent, &name, archive);
                self.channels.insert(message_id, thread.clone());
                let mut event = thread.clone();
                event["newly_created"] = json!(true);
                self.dispatch("THREAD_CREATE", event);
                // The starter message now carries its thread, flagged HAS_THREAD.
                starter["thread"] = thread.clone();
                starter["flags"] = json!(starter["flags"].as_u64().unwrap_or(0) | 32);
                self.messages.insert(message_id, starter);
                Ok(Reply::json(201, thread))
            }
            _ => Err(Reply::not_found()),
        }
    }

    /// Stores a message the bot made and, unless it is ephemeral, sends it back to the bot as
    /// Discord does.
    fn sent(&mut self, event: &str, message: Value) {
        self.messages.insert(id_of(&message["id"]), message.clone());
        if message["flags"].as_u64().unwrap_or(0) & 64 == 0 {
            let message = self.gateway_message(message);
            self.dispatch(event, message);
        }
    }

    /// `POST /interactions/{id}/{token}/callback`, once per interaction, in time.
    pub(super) fn interaction_callback(
        &mut self,
        id: u64,
        token: &str,
        body: &Value,
        files: &[RecordedFile],
    ) -> Result<Reply> {
        let Some(interaction) = self
            .interactions
            .get(token)
            .filter(|i| i.id == id && i.dispatched.elapsed() <= FakeDiscord::INTERACTION_DEADLINE)
        else {
            return Err(Reply::error(404, 10062, "Unknown interaction"));
        };
        if interaction.acknowledged {
            return Err(Reply::error(
                400,
                40060,
                "Interaction has already been acknowledged.",
            ));
        }
        let kind = validate_callback(interaction.kind, body)?;
        let data = &body["data"];
        let component_message = interaction.message_id;
        let original = match kind {
            4 | 5 => {
                if kind == 4 {
                    validate_message_body(data, files, true)?;
                }
                let message = self.interaction_message(token, data, files, kind == 5);
                let id = id_of(&message["id"]);
                self.sent("MESSAGE_CREATE", message);
                Some(id)
            }
            7 => {
                validate_message_body(data, files, false)?;
                let message_id = component_message.unwrap_or_default();
                if let Some(mut message) = self.messages.get(&message_id).cloned() {
                    apply_message_body(&mut message, data, files, message_id);
                    message["edited_timestamp"] = json!(now_iso());
                    self.sent("MESSAGE_UPDATE", message);
                }
                Some(message_id)
            }
            6 => component_message,
            _ => None,
        };
        let interaction = self.interactions.get_mut(token).unwrap();
        interaction.original = original;
        interaction.acknowledged = true;
        Ok(Reply::no_content())
    }

    /// The message an interaction's response or follow-up creates: the bot's, through the
    /// application's webhook; a deferred response is a loading message (flag 128).
    fn interaction_message(
        &mut self,
        token: &str,
        data: &Value,
        files: &[RecordedFile],
        deferred: bool,
    ) -> Value {
        let interaction = &self.interactions[token];
        let (interaction_id, kind, command_kind, name, user, channel_id, component_message) = (
            interaction.id,
            interaction.kind,
            interaction.command_kind,
            interaction.name.clone(),
            interaction.user.clone(),
            interaction.channel_id,
            interaction.message_id,
        );
        let id = self.snowflake();
        let mut message = State::base_message(id, channel_id, user_json(FakeDiscord::BOT_USER_ID));
        message["webhook_id"] = json!(FakeDiscord::APPLICATION_ID.to_string());
        message["application_id"] = json!(FakeDiscord::APPLICATION_ID.to_string());
        // CHAT_INPUT_COMMAND, CONTEXT_MENU_COMMAND, or REPLY for components.
        message["type"] = json!(match (kind, command_kind) {
            (2, 1) => 20,
            (2, _) => 23,
            _ => 19,
        });
        let mut metadata = json!({
            "id": interaction_id.to_string(),
            "type": kind,
            "user": user,
            "authorizing_integration_owners": { "0": self.guild_of(channel_id).to_string() },
        });
        if kind == 3 {
            metadata["interacted_message_id"] =
                json!(component_message.unwrap_or_default().to_string());
        } else {
            metadata["name"] = json!(name);
        }
        message["interaction_metadata"] = metadata;
        message["interaction"] = json!({
            "id": interaction_id.to_string(),
            "type": kind,
            "name": name,
            "user": user,
        });
        if deferred {
            let ephemeral = data["flags"].as_u64().unwrap_or(0) & 64;
            message["flags"] = json!(128 | ephemeral);
        } else {
            apply_message_body(&mut message, data, files, id);
        }
        message
    }

    /// `/webhooks/{app}/{token}`: follow-ups, and reading or editing a sent message, the
    /// original response (`@original`) included. Editing a loading message completes it.
    fn webhook_route(
        &mut self,
        method: &str,
        app: &str,
        token: &str,
        rest: &[&str],
        body: &Value,
        files: &[RecordedFile],
    ) -> Result<Reply> {
        let unknown = || Reply::error(404, 10015, "Unknown Webhook");
        let interaction = self.interactions.get(token).ok_or_else(unknown)?;
        let (acknowledged, original) = (interaction.acknowledged, interaction.original);
        if parse_id(app)? != FakeDiscord::APPLICATION_ID {
            return Err(unknown());
        }
        let loading = |message: &Value| message["flags"].as_u64().unwrap_or(0) & 128 != 0;
        match (method, rest) {
            ("POST", []) => {
                // Follow-ups wait for the response.
                if !acknowledged {
                    return Err(unknown());
                }
                validate_message_body(body, files, true)?;
                let mut message = self.interaction_message(token, body, files, false);
                // The first follow-up of a deferred response replaces the loading message.
                let event = match original.filter(|id| self.messages.get(id).is_some_and(loading)) {
                    Some(original) => {
                        message["id"] = json!(original.to_string());
                        message["edited_timestamp"] = json!(now_iso());
                        "MESSAGE_UPDATE"
                    }
                    None => "MESSAGE_CREATE",
                };
                self.sent(event, message.clone());
                Ok(Reply::ok(message))
            }
            (_, ["messages", which]) => {
                let message_id = match *which {
                    "@original" => original,
                    id => Some(parse_id(id)?),
                };
                let Some(mut message) = message_id.and_then(|id| self.messages.get(&id).cloned())
                else {
                    return Err(Reply::error(404, 10008, "Unknown Message"));
                };
                match method {
                    "GET" => Ok(Reply::ok(message)),
                    "PATCH" => {
                        validate_message_body(body, files, false)?;
                        let id = id_of(&message["id"]);
                        apply_message_body(&mut message, body, files, id);
                        let flags = message["flags"].as_u64().unwrap_or(0);
                        message["flags"] = json!(flags & !128);
                        message["edited_timestamp"] = json!(now_iso());
                        self.sent("MESSAGE_UPDATE", message.clone());
                        Ok(Reply::ok(message))
                    }
                    "DELETE" => {
                        let id = id_of(&message["id"]);
                        self.messages.remove(&id);
                        if message["flags"].as_u64().unwrap_or(0) & 64 == 0 {
                            let gone =
                                json!({ "id": message["id"], "channel_id": message["channel_id"] });
                            self.dispatch("MESSAGE_DELETE", gone);
                        }
                        Ok(Reply::no_content())
                    }
                    _ => Err(Reply::error(405, 0, "405: Method Not Allowed")),
                }
            }
            _ => Err(Reply::not_found()),
        }
    }
}

impl State {
    fn guild_id(&self, raw: &str) -> Result<u64> {
        match parse_id(raw)? {
            id if self.guilds.contains(&id) => Ok(id),
            _ => Err(Reply::error(404, 10004, "Unknown Guild")),
        }
    }
}
