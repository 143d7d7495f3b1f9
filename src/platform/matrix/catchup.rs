//! Catching up on a room whose sync came back `limited`.
//!
//! A homeserver returns at most its timeline limit of events per room in one sync (Synapse
//! clamps it to 100) and marks the rest skipped; after downtime that would lose thread
//! messages, edits and redactions. The room's queue then first pages backwards from the
//! sync's window (`/messages`) to the last event already handled, and handles what lies
//! between, oldest first, through the same path as live events, before the sync's own.

use std::time::Duration;

use matrix_sdk::Room;
use matrix_sdk::deserialized_responses::TimelineEvent;
use matrix_sdk::room::MessagesOptions;
use matrix_sdk::ruma::UInt;

use super::{MatrixBot, PLATFORM};

/// Events asked for per page.
const PAGE: u32 = 100;
/// Pages read per room and catch-up at most: 5,000 events.
pub const PAGE_BUDGET: usize = 50;

/// The events a limited sync skipped, oldest first.
#[derive(Debug, Default)]
pub struct Gap {
    /// The events between the last handled one and the sync's window.
    pub events: Vec<TimelineEvent>,
    /// Pages read.
    pub pages: usize,
    /// The page budget ran out before the last handled event was reached.
    pub cut_short: bool,
}

/// What a catch-up did to the record.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CatchUpCounts {
    /// Reader messages recorded.
    pub recorded: u64,
    /// Recorded messages edited.
    pub updated: u64,
    /// Recorded messages deleted.
    pub deleted: u64,
}

impl MatrixBot {
    /// Pages back from `prev_batch` to the last event handled in `room` (or the page budget).
    pub(super) async fn fill_gap(&self, room: &Room, prev_batch: &str) -> anyhow::Result<Gap> {
        let store = self.bot.store();
        let mut gap = Gap::default();
        let mut from = Some(prev_batch.to_owned());
        'pages: while let Some(token) = from.take() {
            if gap.pages == PAGE_BUDGET {
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
                // What came before the bot's join was not meant for it.
                if self.is_my_join(&event) || store.was_handled(PLATFORM, id.as_str()).await? {
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

    /// Reports a finished catch-up to the operator.
    pub(super) async fn caught_up(
        &self,
        room: &Room,
        gap: &Gap,
        counts: CatchUpCounts,
        took: Duration,
    ) {
        if gap.cut_short {
            tracing::warn!(room = %room.room_id(), pages = gap.pages, "catch-up stopped at its page budget: older events of the gap are not recorded");
        }
        tracing::info!(
            room = %room.room_id(),
            events = gap.events.len(),
            pages = gap.pages,
            recorded = counts.recorded,
            updated = counts.updated,
            deleted = counts.deleted,
            cut_short = gap.cut_short,
            took_ms = took.as_millis() as u64,
            "caught up on a Matrix room"
        );
    }
}
