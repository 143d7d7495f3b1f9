//! Catching up on a room whose sync came back `limited`.
//!
//! A homeserver returns at most its timeline limit of events per room in one sync (Synapse
//! clamps it to 100) and marks the rest skipped; after downtime that would lose thread
//! messages, edits and redactions. The room's queue then first pages backwards from the
//! sync's window (`/messages`) to the last event already handled, and handles what lies
//! between, oldest first, through the same path as live events, before the sync's own. The
//! room's counts become its last catch-up (`/stats`, the log) through the core's `CatchUp`.

use matrix_sdk::Room;
use matrix_sdk::deserialized_responses::TimelineEvent;
use matrix_sdk::room::MessagesOptions;
use matrix_sdk::ruma::UInt;

use super::{MatrixBot, PLATFORM};

/// Events asked for per page.
const PAGE: u32 = 100;

/// The events a limited sync skipped, oldest first.
#[derive(Debug, Default)]
pub struct Gap {
    /// The events between the last handled one and the sync's window.
    pub events: Vec<TimelineEvent>,
    /// Pages read.
    pub pages: u32,
    /// The page budget ran out before the last handled event was reached.
    pub cut_short: bool,
}

impl MatrixBot {
    /// Pages back from `prev_batch` to the last event handled in `room`, within the catch-up
    /// window and page budget (`READINGROOM_CATCHUP_DAYS`, `READINGROOM_CATCHUP_PAGES`).
    pub(super) async fn fill_gap(&self, room: &Room, prev_batch: &str) -> anyhow::Result<Gap> {
        let store = self.bot.store();
        let limits = self.config.catch_up;
        let oldest = self.bot.now() - chrono::Duration::days(i64::from(limits.days));
        let mut gap = Gap::default();
        let mut from = Some(prev_batch.to_owned());
        'pages: while let Some(token) = from.take() {
            if gap.pages >= limits.pages {
                gap.cut_short = true;
                break;
            }
            let mut options = MessagesOptions::backward().from(token.as_str());
            options.limit = UInt::from(PAGE);
            let page = room.messages(options).await?;
            gap.pages += 1;
            // Newest first.
            for event in page.chunk {
                let Some(id) = event.event_id() else {
                    continue;
                };
                let too_old = event
                    .timestamp_raw()
                    .is_some_and(|ts| super::timestamp(ts) < oldest);
                // What came before the bot's join was not meant for it.
                if too_old
                    || self.is_my_join(&event)
                    || store.was_handled(PLATFORM, id.as_str()).await?
                {
                    break 'pages;
                }
                gap.events.push(event);
            }
            // No end token: the start of the room.
            from = page.end;
        }
        gap.events.reverse();
        Ok(gap)
    }
}
