//! What the fake answers about the past, as Discord documents it: a channel's messages
//! (`GET /channels/{id}/messages` with `around`, `before`, `after` and `limit`), a guild's
//! active threads, and a channel's archived public threads.

use chrono::DateTime;
use serde_json::{Value, json};

use super::payloads::id_of;
use super::rest::{Reply, Result};
use super::{FakeDiscord, State};

/// Discord's default and largest page of messages.
const MESSAGES_DEFAULT: u64 = 50;
const MESSAGES_MAX: u64 = 100;
/// Archived thread listings: Discord's default, smallest and largest page.
const THREADS_DEFAULT: u64 = 50;
const THREADS_MIN: u64 = 2;
const THREADS_MAX: u64 = 100;

/// The query's parameters, in order.
fn params(query: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// `limit` as Discord checks it: an integer within `min..=max`, else 400 Invalid Form Body.
fn limit(params: &[(String, String)], default: u64, min: u64, max: u64) -> Result<u64> {
    let Some((_, raw)) = params.iter().find(|(k, _)| k == "limit") else {
        return Ok(default);
    };
    let value: i64 = raw.parse().map_err(|_| {
        Reply::invalid_form(
            "limit",
            "NUMBER_TYPE_COERCE",
            &format!("Value \"{raw}\" is not int."),
        )
    })?;
    if value < min as i64 {
        return Err(Reply::invalid_form(
            "limit",
            "NUMBER_TYPE_MIN",
            &format!("int value should be greater than or equal to {min}."),
        ));
    }
    if value > max as i64 {
        return Err(Reply::invalid_form(
            "limit",
            "NUMBER_TYPE_MAX",
            &format!("int value should be less than or equal to {max}."),
        ));
    }
    Ok(value as u64)
}

/// A snowflake parameter, checked as Discord does.
fn snowflake(params: &[(String, String)], name: &str) -> Result<Option<u64>> {
    match params.iter().find(|(k, _)| k == name) {
        None => Ok(None),
        Some((_, raw)) => raw.parse().map(Some).map_err(|_| {
            Reply::invalid_form(
                name,
                "NUMBER_TYPE_COERCE",
                &format!("Value \"{raw}\" is not snowflake."),
            )
        }),
    }
}

impl State {
    /// `GET /channels/{id}/messages`: newest first, always; `after` gives the `limit` messages
    /// right after the id, `before` those right before it, `around` those on both sides
    /// (the message itself included), none the newest. Only one of the three may be given.
    pub(super) fn channel_messages_page(&self, channel_id: u64, query: &str) -> Result<Reply> {
        if !self.channels.contains_key(&channel_id) {
            return Err(Reply::error(404, 10003, "Unknown Channel"));
        }
        let params = params(query);
        let limit = limit(&params, MESSAGES_DEFAULT, 1, MESSAGES_MAX)? as usize;
        let (around, before, after) = (
            snowflake(&params, "around")?,
            snowflake(&params, "before")?,
            snowflake(&params, "after")?,
        );
        let given = [around, before, after]
            .iter()
            .filter(|p| p.is_some())
            .count();
        if given > 1 {
            return Err(Reply::invalid_form(
                "around",
                "BASE_TYPE_BAD_REQUEST",
                "around, before and after are mutually exclusive.",
            ));
        }
        // Oldest first here; reversed at the end.
        let all: Vec<&Value> = self
            .messages
            .values()
            .filter(|m| id_of(&m["channel_id"]) == channel_id)
            .collect();
        let page: Vec<&Value> = if let Some(after) = after {
            all.iter()
                .filter(|m| id_of(&m["id"]) > after)
                .take(limit)
                .copied()
                .collect()
        } else if let Some(before) = before {
            let older: Vec<&Value> = all
                .iter()
                .filter(|m| id_of(&m["id"]) < before)
                .copied()
                .collect();
            older[older.len().saturating_sub(limit)..].to_vec()
        } else if let Some(around) = around {
            let older: Vec<&Value> = all
                .iter()
                .filter(|m| id_of(&m["id"]) < around)
                .copied()
                .collect();
            let newer = all.iter().filter(|m| id_of(&m["id"]) >= around).copied();
            let (below, above) = (limit / 2, limit - limit / 2);
            let mut page = older[older.len().saturating_sub(below)..].to_vec();
            page.extend(newer.take(above));
            page
        } else {
            all[all.len().saturating_sub(limit)..].to_vec()
        };
        let newest_first: Vec<Value> = page.into_iter().rev().cloned().collect();
        Ok(Reply::ok(json!(newest_first)))
    }

    /// A thread as the listings show it: `last_message_id` and the counts from its messages.
    fn listed_thread(&self, thread: &Value) -> Value {
        let id = id_of(&thread["id"]);
        let mine: Vec<u64> = self
            .messages
            .values()
            .filter(|m| id_of(&m["channel_id"]) == id)
            .map(|m| id_of(&m["id"]))
            .collect();
        let mut thread = thread.clone();
        thread["last_message_id"] = mine
            .iter()
            .max()
            .map_or(Value::Null, |id| json!(id.to_string()));
        thread["message_count"] = json!(mine.len());
        thread["total_message_sent"] = json!(mine.len());
        thread
    }

    /// The bot's thread member objects of these threads (Discord lists them alongside).
    fn thread_members(threads: &[Value]) -> Vec<Value> {
        threads
            .iter()
            .filter_map(|t| t.get("member").filter(|m| m.is_object()).cloned())
            .collect()
    }

    fn is_thread(channel: &Value) -> bool {
        matches!(channel["type"].as_u64(), Some(10..=12))
    }

    fn archived(channel: &Value) -> bool {
        channel["thread_metadata"]["archived"].as_bool() == Some(true)
    }

    /// `GET /guilds/{id}/threads/active`: every thread of the guild not archived.
    pub(super) fn active_threads(&self, guild: u64) -> Result<Reply> {
        let threads: Vec<Value> = self
            .channels
            .values()
            .filter(|c| {
                id_of(&c["guild_id"]) == guild && State::is_thread(c) && !State::archived(c)
            })
            .map(|c| self.listed_thread(c))
            .collect();
        let members = State::thread_members(&threads);
        Ok(Reply::ok(json!({ "threads": threads, "members": members })))
    }

    /// `GET /channels/{id}/threads/archived/public`: the channel's archived public threads,
    /// most recently archived first, those archived before `before` (an ISO 8601 timestamp)
    /// when given; `has_more` when the page was cut.
    pub(super) fn archived_public_threads(&self, channel_id: u64, query: &str) -> Result<Reply> {
        if !self.channels.contains_key(&channel_id) {
            return Err(Reply::error(404, 10003, "Unknown Channel"));
        }
        let params = params(query);
        let limit = limit(&params, THREADS_DEFAULT, THREADS_MIN, THREADS_MAX)? as usize;
        let before = match params.iter().find(|(k, _)| k == "before") {
            None => None,
            Some((_, raw)) => Some(DateTime::parse_from_rfc3339(raw).map_err(|_| {
                Reply::invalid_form(
                    "before",
                    "DATE_TIME_TYPE_PARSE",
                    &format!("Could not parse {raw}. Should be ISO8601."),
                )
            })?),
        };
        let archived_at = |c: &Value| {
            c["thread_metadata"]["archive_timestamp"]
                .as_str()
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        };
        let mut threads: Vec<&Value> = self
            .channels
            .values()
            .filter(|c| id_of(&c["parent_id"]) == channel_id)
            .filter(|c| matches!(c["type"].as_u64(), Some(10 | 11)) && State::archived(c))
            .filter(|c| before.is_none_or(|before| archived_at(c).is_some_and(|at| at < before)))
            .collect();
        threads.sort_by_key(|c| std::cmp::Reverse(archived_at(c)));
        let has_more = threads.len() > limit;
        let threads: Vec<Value> = threads
            .into_iter()
            .take(limit)
            .map(|c| self.listed_thread(c))
            .collect();
        let members = State::thread_members(&threads);
        Ok(Reply::ok(
            json!({ "threads": threads, "members": members, "has_more": has_more }),
        ))
    }
}

impl FakeDiscord {
    /// Archives a thread at `at` (as Discord does after its auto-archive duration, or a
    /// moderator does): it leaves the active list for its channel's archived list.
    pub fn archive_thread(&self, thread: u64, at: chrono::DateTime<chrono::Utc>) {
        let mut state = self.state();
        let channel = state
            .channels
            .get_mut(&thread)
            .expect("a thread the fake knows");
        channel["thread_metadata"]["archived"] = json!(true);
        channel["thread_metadata"]["archive_timestamp"] =
            json!(at.to_rfc3339_opts(chrono::SecondsFormat::Micros, false));
    }
}
