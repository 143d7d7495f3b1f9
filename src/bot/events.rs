//! Platform events in the core: a reader's message in a thread, an edit, a deletion, a thread
//! opened for a discussion. Adapters only translate their platform's events into these calls;
//! what is recorded, and the rules that make it right, are decided here once.

use chrono::{DateTime, Utc};

use super::{Bot, MAX_MESSAGE_CHARS, Platform, reply};
use crate::store::{NewMessage, Scope, StoreError};

/// A reader's message seen in a platform thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posted {
    /// Where it was seen.
    pub platform: Platform,
    /// The platform's id of the community it was posted in (guild, room, console): it
    /// attaches only to a discussion of that community.
    pub community: String,
    /// The platform's id of the thread it is in (a Discord thread channel, a Matrix thread
    /// root event).
    pub thread: String,
    /// The platform's id of the message.
    pub id: String,
    /// The platform's id of its author.
    pub author_id: String,
    /// The author's display name.
    pub author_name: String,
    /// Its text.
    pub body: String,
    /// The platform's id of the message it replies to.
    pub reply_to: Option<String>,
    /// When it was sent.
    pub at: DateTime<Utc>,
}

/// A change to a message, as a platform saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changed<'a> {
    /// Where it was seen.
    pub platform: Platform,
    /// The platform's id of the community it was seen in.
    pub community: &'a str,
    /// The thread it happened in, where the platform says.
    pub thread: Option<&'a str>,
    /// The platform's id of the changed message.
    pub id: &'a str,
    /// Who made the change, where the platform says.
    pub sender: Option<&'a str>,
    /// What changed.
    pub change: Change,
    /// When.
    pub at: DateTime<Utc>,
}

/// What happened to a message after it was posted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Its author changed the text.
    Edit(String),
    /// It was deleted (or redacted).
    Delete,
}

impl Bot {
    /// Records a message posted in a thread that carries a discussion; returns its row id once
    /// committed, or `None` when the thread carries none. Adapters pass on readers' messages
    /// only, never the bot's own.
    pub async fn message_posted(&self, posted: Posted) -> Result<Option<i64>, StoreError> {
        let platform = posted.platform.as_str();
        let Some(discussion) = self
            .store()
            .discussion_by_thread(platform, &posted.thread, Some(&posted.community))
            .await?
        else {
            return Ok(None);
        };
        let message = NewMessage {
            platform: platform.to_owned(),
            platform_id: posted.id,
            author_id: posted.author_id,
            author_name: posted.author_name,
            body: posted.body,
            reply_to: posted.reply_to,
            created_at: posted.at,
        };
        let id = self.record_message(discussion.id, message).await?;
        tracing::debug!(
            message = id,
            discussion = discussion.id,
            "thread message recorded"
        );
        Ok(Some(id))
    }

    /// Applies an edit or deletion seen in `community`. An edit counts only from the message's
    /// author (`sender`); a deletion's sender, where the platform names one, was already
    /// allowed by the platform (the author or a moderator). Either counts only for a message of
    /// that community. `thread` is where the platform says it happened, when it says (Discord
    /// does; a Matrix edit does not). Platforms may deliver a change before the message it
    /// changes (serenity runs event handlers concurrently), so a change to an unknown message
    /// in a tracked thread is kept and applied when the message is recorded; a deletion always
    /// wins. Returns whether the change was applied now.
    pub async fn message_changed(&self, change: Changed<'_>) -> Result<bool, StoreError> {
        let store = self.store();
        let platform = change.platform.as_str();
        let community = store
            .community(platform, change.community, None, self.now())
            .await?;
        let scope = Scope::Community(community.id);
        // The whole store first: a message committed a moment ago by the recorder must not look
        // like another community's for having been missed by a scoped look before it.
        let anywhere = store
            .message_by_platform_id(Scope::Operator, platform, change.id)
            .await?;
        let here = match &anywhere {
            Some(_) => {
                store
                    .message_by_platform_id(scope, platform, change.id)
                    .await?
            }
            None => None,
        };
        match (anywhere, here) {
            (Some(_), Some(message)) => {
                if let (Change::Edit(_), Some(sender)) = (&change.change, change.sender)
                    && sender != message.author_id
                {
                    tracing::warn!(message = %change.id, sender, "an edit by someone other than the author is ignored");
                    return Ok(false);
                }
                let applied = match &change.change {
                    Change::Edit(body) => {
                        store
                            .edit_message(platform, change.id, body, change.at)
                            .await?
                    }
                    Change::Delete => store.delete_message(platform, change.id, change.at).await?,
                };
                tracing::debug!(message = %change.id, applied, "message change");
                return Ok(applied);
            }
            (Some(_), None) => {
                tracing::warn!(message = %change.id, community = change.community, "a change from another community is ignored");
                return Ok(false);
            }
            (None, _) => {}
        }
        // Redacting an edit takes its text away: the message holds only the latest text, so
        // all of it goes.
        if change.change == Change::Delete
            && let Some(edited) = store.message_by_edit(scope, platform, change.id).await?
        {
            tracing::debug!(edit = %change.id, message = edited.id, "an edit was redacted");
            return store
                .delete_message(platform, &edited.platform_id, change.at)
                .await;
        }
        let tracked = match change.thread {
            Some(thread) => store
                .discussion_by_thread(platform, thread, Some(change.community))
                .await?
                .is_some(),
            None => false,
        };
        if !tracked {
            return Ok(false);
        }
        let body = match &change.change {
            Change::Edit(body) => Some(body.as_str()),
            Change::Delete => None,
        };
        store
            .defer_change(platform, change.id, body, change.at)
            .await
    }

    /// Platform event `edit_id`, seen in `community`, edited message `target` (a Matrix
    /// `m.replace`): remembered so a later redaction of the edit takes its text away.
    pub async fn edit_seen(
        &self,
        platform: Platform,
        community: &str,
        edit_id: &str,
        target: &str,
    ) -> Result<(), StoreError> {
        let store = self.store();
        let community = store
            .community(platform.as_str(), community, None, self.now())
            .await?;
        if let Some(message) = store
            .message_by_platform_id(Scope::Community(community.id), platform.as_str(), target)
            .await?
        {
            store
                .record_edit(platform.as_str(), edit_id, message.id)
                .await?;
        }
        Ok(())
    }

    /// The platform opened the thread that carries a discussion (`None`: opening it failed,
    /// so the discussion has no thread again).
    pub async fn thread_opened(
        &self,
        discussion_id: i64,
        thread: Option<&str>,
    ) -> Result<(), StoreError> {
        self.store().set_thread(discussion_id, thread).await?;
        tracing::info!(discussion = discussion_id, thread, "discussion thread set");
        Ok(())
    }

    /// Records a reader message in a discussion; `Ok` means it is committed. Text beyond
    /// [`MAX_MESSAGE_CHARS`] is cut, since a record must not be lost for being long.
    pub async fn record_message(
        &self,
        discussion_id: i64,
        mut message: NewMessage,
    ) -> Result<i64, StoreError> {
        if message.body.chars().count() > MAX_MESSAGE_CHARS {
            message.body = reply::truncate(&message.body, MAX_MESSAGE_CHARS);
        }
        let recorded = self.store().record_message(discussion_id, &message).await;
        match &recorded {
            Ok(_) => self.metrics().message_recorded(),
            Err(_) => self.metrics().error(),
        }
        recorded
    }

    /// A platform gave up on one of its events after its retries: the reason (short, fit for
    /// the community's moderators, who see it in `/stats`) is kept and the event counts as
    /// handled, so it is not tried again. The full error is the adapter's to log.
    pub async fn event_failed(
        &self,
        platform: Platform,
        community: &str,
        event_id: &str,
        reason: &str,
    ) -> Result<(), StoreError> {
        let store = self.store();
        let now = self.now();
        let community = store
            .community(platform.as_str(), community, None, now)
            .await?;
        store
            .event_failed(
                platform.as_str(),
                event_id,
                Some(community.own_id()),
                reason,
                now,
            )
            .await
    }
}
