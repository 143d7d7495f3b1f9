//! Matrix events handled off the sync loop.
//!
//! Each room has its own queue and worker, so a room's events keep their order while rooms go
//! on independently: a slow command or a room that refuses the bot's replies holds up only its
//! own room. At most [`CONCURRENCY`] events are handled at once. An event whose handling fails
//! is tried again a few times with doubling waits (at once given up when the failure cannot
//! pass, such as a room that forbids the bot to post), then recorded as failed, with its
//! reason, for `/stats` and the logs, and the room's queue goes on.
//!
//! The sync position is saved only once every event of its batch and of the batches before it
//! is done, so a crash or a stop replays what was still in flight; handled event ids and
//! transaction ids derived from event ids make the replay harmless.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use matrix_sdk::Room;
use matrix_sdk::deserialized_responses::TimelineEvent;
use matrix_sdk::ruma::OwnedRoomId;
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::JoinSet;

use super::{MatrixBot, PLATFORM, Record, SYNC_TOKEN};
use crate::bot::Platform;

/// How many events are handled at once, across rooms.
pub const CONCURRENCY: usize = 8;
/// How many times an event is tried before it is given up on.
const ATTEMPTS: u32 = 4;
/// The wait before the second try; it doubles for each later one.
const FIRST_RETRY: Duration = Duration::from_millis(500);
/// How long a stop waits for the events being handled before it drops them (they are
/// replayed after the restart, since the sync position was not saved past them).
const STOP_GRACE: Duration = Duration::from_secs(10);

/// One piece of a room's work.
struct Job {
    room: Room,
    work: Work,
    /// The sync batch it came in; none for an event decrypted after its key arrived.
    batch: Option<u64>,
}

enum Work {
    /// An event; `history` when it is from before the bot was there (recorded, not answered).
    Event { event: TimelineEvent, history: bool },
    /// The room's sync came back limited: the events between the last one handled and
    /// `prev_batch` (where the sync's window starts) are fetched and handled first.
    CatchUp { prev_batch: String },
}

/// The batches of events handed out and not yet all done, oldest first.
#[derive(Debug, Default)]
struct Progress {
    next: u64,
    open: VecDeque<Batch>,
    /// The newest batch done together with every batch before it.
    done: Option<(u64, String)>,
}

#[derive(Debug)]
struct Batch {
    seq: u64,
    /// The sync token that comes after this batch.
    token: String,
    /// Its events not done yet, plus one while it is still being handed out.
    pending: usize,
}

impl Progress {
    fn open(&mut self, token: String) -> u64 {
        let seq = self.next;
        self.next += 1;
        self.open.push_back(Batch {
            seq,
            token,
            pending: 1,
        });
        seq
    }

    fn add(&mut self, seq: u64) {
        if let Some(batch) = self.open.iter_mut().find(|b| b.seq == seq) {
            batch.pending += 1;
        }
    }

    /// One piece of batch `seq` is done; returns whether the saved position may move.
    fn finish(&mut self, seq: u64) -> bool {
        if let Some(batch) = self.open.iter_mut().find(|b| b.seq == seq) {
            batch.pending = batch.pending.saturating_sub(1);
        }
        let mut moved = false;
        while self.open.front().is_some_and(|b| b.pending == 0) {
            if let Some(batch) = self.open.pop_front() {
                self.done = Some((batch.seq, batch.token));
                moved = true;
            }
        }
        moved
    }
}

/// Hands events to the rooms' workers and saves the sync position as they finish.
pub struct Events {
    adapter: MatrixBot,
    rooms: Mutex<HashMap<OwnedRoomId, mpsc::UnboundedSender<Job>>>,
    workers: Mutex<JoinSet<()>>,
    permits: Semaphore,
    progress: Mutex<Progress>,
    /// Held while the position is written, so an older one never overwrites a newer one.
    saving: tokio::sync::Mutex<Option<u64>>,
    shutdown: watch::Receiver<bool>,
}

impl Events {
    /// Queues for `adapter`'s rooms; they stop taking events when `shutdown` turns true.
    pub fn new(adapter: MatrixBot, shutdown: watch::Receiver<bool>) -> Arc<Self> {
        Arc::new(Self {
            adapter,
            rooms: Mutex::default(),
            workers: Mutex::new(JoinSet::new()),
            permits: Semaphore::new(CONCURRENCY),
            progress: Mutex::default(),
            saving: tokio::sync::Mutex::new(None),
            shutdown,
        })
    }

    /// Starts a batch: the sync position `token` is saved once its events, and every earlier
    /// batch's, are done. Call [`Events::close`] after handing out its events.
    pub fn open(&self, token: String) -> u64 {
        lock(&self.progress).open(token)
    }

    /// Every event of batch `seq` is handed out.
    pub async fn close(self: &Arc<Self>, seq: u64) {
        self.finish(seq).await;
    }

    /// Queues an event of batch `batch` (none: an event decrypted late) in its room.
    pub fn push(
        self: &Arc<Self>,
        room: Room,
        event: TimelineEvent,
        history: bool,
        batch: Option<u64>,
    ) {
        self.queue(Job {
            room,
            work: Work::Event { event, history },
            batch,
        });
    }

    /// Queues a catch-up of `room` before the events of batch `batch` that follow it.
    pub fn catch_up(self: &Arc<Self>, room: Room, prev_batch: String, batch: u64) {
        self.queue(Job {
            room,
            work: Work::CatchUp { prev_batch },
            batch: Some(batch),
        });
    }

    fn queue(self: &Arc<Self>, job: Job) {
        if let Some(seq) = job.batch {
            lock(&self.progress).add(seq);
        }
        let mut rooms = lock(&self.rooms);
        let queue = rooms
            .entry(job.room.room_id().to_owned())
            .or_insert_with(|| {
                let (sender, receiver) = mpsc::unbounded_channel();
                lock(&self.workers).spawn(Arc::clone(self).work(receiver));
                sender
            });
        // The worker ends only at a stop; a job refused then is replayed after the restart.
        let _ = queue.send(job);
    }

    /// A room's worker: its events one after another.
    async fn work(self: Arc<Self>, mut jobs: mpsc::UnboundedReceiver<Job>) {
        while let Some(job) = jobs.recv().await {
            if *self.shutdown.borrow() {
                return;
            }
            let done = match &job.work {
                Work::Event { event, history } => {
                    self.handle(&job.room, event, *history).await.is_some()
                }
                Work::CatchUp { prev_batch } => self.catch_up_room(&job.room, prev_batch).await,
            };
            if !done {
                return;
            }
            if let Some(seq) = job.batch {
                self.finish(seq).await;
            }
        }
    }

    /// Handles one event with retries: what it did to the record (nothing, when it was given
    /// up), or `None` when a stop interrupted it.
    async fn handle(&self, room: &Room, event: &TimelineEvent, history: bool) -> Option<Record> {
        let mut shutdown = self.shutdown.clone();
        let mut delay = FIRST_RETRY;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let outcome = {
                let _permit = self.permits.acquire().await.ok()?;
                self.adapter
                    .handle_event(room, event.clone(), history)
                    .await
            };
            let error = match outcome {
                Ok(record) => return Some(record),
                Err(error) => error,
            };
            let room = room.room_id();
            let event = event.event_id();
            let event = event.as_ref().map(|id| id.as_str()).unwrap_or_default();
            let permanent = super::failure::is_permanent(&error);
            if attempt >= ATTEMPTS || permanent {
                let reason = super::failure::reason(&error);
                tracing::error!(%room, event, attempt, reason, error = format!("{error:#}"), "giving up on a Matrix event");
                if let Err(error) = self
                    .adapter
                    .bot
                    .event_failed(Platform::Matrix, room.as_str(), event, reason)
                    .await
                {
                    tracing::error!(%room, event, %error, "recording a failed Matrix event failed too");
                }
                return Some(Record::Nothing);
            }
            tracing::warn!(%room, event, attempt, retry_in = ?delay, error = format!("{error:#}"), "handling a Matrix event failed; trying again");
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = shutdown.changed() => return None,
            }
            delay *= 2;
        }
    }

    /// Fetches the events a limited sync skipped in `room` and handles them, oldest first,
    /// then keeps the counts as the room's last catch-up; `false` when a stop interrupted it.
    async fn catch_up_room(&self, room: &Room, prev_batch: &str) -> bool {
        let bot = &self.adapter.bot;
        let room_id = room.room_id().as_str();
        let mut run = match bot.catch_up(Platform::Matrix, room_id, bot.now()).await {
            Ok(run) => run,
            Err(error) => {
                tracing::warn!(room = room_id, %error, "cannot start a catch-up");
                return true;
            }
        };
        let gap = {
            let Ok(_permit) = self.permits.acquire().await else {
                return false;
            };
            self.adapter.fill_gap(room, prev_batch).await
        };
        let gap = match gap {
            Ok(gap) => gap,
            Err(error) => {
                // The gap's events are still on the homeserver; the room's next limited sync
                // tries again from its own window.
                tracing::warn!(
                    room = room_id,
                    error = format!("{error:#}"),
                    "catching up on a Matrix room failed"
                );
                return true;
            }
        };
        let (mut recorded, mut updated, mut deleted) = (0, 0, 0);
        for event in &gap.events {
            match self.handle(room, event, false).await {
                None => return false,
                Some(Record::Recorded) => recorded += 1,
                Some(Record::Updated) => updated += 1,
                Some(Record::Deleted) => deleted += 1,
                Some(Record::Nothing) => {}
            }
        }
        run.thread_read();
        for _ in 0..gap.pages {
            run.page_read();
        }
        if gap.cut_short {
            run.cut_short();
        }
        run.tally(recorded, updated, deleted);
        if let Err(error) = run.finish().await {
            tracing::warn!(room = room_id, %error, "keeping the catch-up's counts failed");
        }
        true
    }

    /// One piece of batch `seq` is done: saves the sync position if it may move.
    async fn finish(&self, seq: u64) {
        if !lock(&self.progress).finish(seq) {
            return;
        }
        let mut saved = self.saving.lock().await;
        let Some((seq, token)) = lock(&self.progress).done.clone() else {
            return;
        };
        if saved.is_some_and(|s| s >= seq) {
            return;
        }
        match self
            .adapter
            .bot
            .store()
            .set_state(PLATFORM, SYNC_TOKEN, &token)
            .await
        {
            Ok(()) => *saved = Some(seq),
            // The next batch saves a later position; until then a restart replays a little more.
            Err(error) => tracing::error!(%error, "saving the Matrix sync position failed"),
        }
    }

    /// Stops the workers: each finishes the event in hand (for a short while) and takes no
    /// more. What was not done is replayed after a restart.
    pub async fn stop(&self) {
        lock(&self.rooms).clear();
        let mut workers = std::mem::take(&mut *lock(&self.workers));
        let all_done = async { while workers.join_next().await.is_some() {} };
        if tokio::time::timeout(STOP_GRACE, all_done).await.is_err() {
            tracing::warn!("Matrix events still in hand at the stop are left for the restart");
        }
    }
}

/// A lock whose holder cannot leave its data half changed (no code under it panics).
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_position_moves_only_past_batches_done_with_all_before_them() {
        let mut progress = Progress::default();
        let first = progress.open("t1".into());
        progress.add(first);
        let second = progress.open("t2".into());
        assert!(
            !progress.finish(second),
            "second handed out, first still open"
        );
        assert_eq!(progress.done, None);
        assert!(
            !progress.finish(first),
            "first handed out, one event in hand"
        );
        assert!(progress.finish(first), "first done, and second with it");
        assert_eq!(progress.done, Some((second, "t2".into())));
        let third = progress.open("t3".into());
        assert!(
            progress.finish(third),
            "an empty batch is done once handed out"
        );
        assert_eq!(progress.done, Some((third, "t3".into())));
    }
}
