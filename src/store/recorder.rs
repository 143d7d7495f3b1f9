//! Group commit for reader messages.
//!
//! Busy threads deliver messages faster than a database commits transactions one by one. One
//! writer task takes every message waiting when it is free and records them in a single
//! transaction; each caller is answered only after that commit, so "recorded" still means
//! "durable". A batch that fails is retried message by message, so one bad message fails
//! alone and never takes its neighbours with it.

use tokio::sync::{mpsc, oneshot};

use super::discussions::NewMessage;
use super::{BeginWrite, Lock, Pool, Result, StoreError};

/// The most messages one transaction takes: enough to amortise the commit, small enough that
/// the first caller in a batch is not kept waiting long.
const MAX_BATCH: usize = 512;

/// Queue depth before callers wait for the writer (backpressure, not loss).
const QUEUE: usize = 4096;

struct Job {
    discussion_id: i64,
    message: NewMessage,
    done: oneshot::Sender<Result<i64>>,
}

/// The handle callers record through; cheap to clone.
#[derive(Clone, Debug)]
pub(super) struct Recorder {
    jobs: mpsc::Sender<Job>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job")
            .field("discussion_id", &self.discussion_id)
            .field("platform_id", &self.message.platform_id)
            .finish_non_exhaustive()
    }
}

impl Recorder {
    /// Starts the writer task on the current tokio runtime. It ends when the last handle is
    /// dropped, after answering everything queued.
    pub(super) fn spawn(pool: Pool) -> Self {
        let (jobs, queue) = mpsc::channel(QUEUE);
        tokio::spawn(writer(pool, queue));
        Self { jobs }
    }

    pub(super) async fn record(&self, discussion_id: i64, message: NewMessage) -> Result<i64> {
        let (done, answer) = oneshot::channel();
        let job = Job {
            discussion_id,
            message,
            done,
        };
        self.jobs.send(job).await.map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }
}

async fn writer(pool: Pool, mut queue: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        match write(&pool, &batch).await {
            Ok(ids) => {
                for (job, id) in batch.drain(..).zip(ids) {
                    // A caller that stopped waiting still has its message recorded.
                    let _ = job.done.send(Ok(id));
                }
            }
            Err(error) if batch.len() == 1 => {
                if let Some(job) = batch.pop() {
                    let _ = job.done.send(Err(error));
                }
            }
            Err(error) => {
                tracing::warn!(%error, messages = batch.len(), "a batch of messages failed; recording them one by one");
                for job in batch.drain(..) {
                    let result = write(&pool, std::slice::from_ref(&job))
                        .await
                        .map(|ids| ids[0]);
                    let _ = job.done.send(result);
                }
            }
        }
    }
}

/// Records `jobs` in one transaction; their ids in order.
async fn write(pool: &Pool, jobs: &[Job]) -> Result<Vec<i64>> {
    on!(pool, pool => {
        // The messages' lock orders the batch against `defer_change`, so a change that
        // arrives while its message is being recorded is either seen here or sees the recorded
        // message there (SQLite: the write lock; PostgreSQL: shared with other batches).
        let mut tx = pool.begin_write(Lock::Record).await?;
        // Changes that overtook their message are rare; look for them only when there are any.
        let pending: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pending_changes)")
            .fetch_one(&mut *tx)
            .await?;
        let mut ids = Vec::with_capacity(jobs.len());
        for job in jobs {
            let message = &job.message;
            let inserted: Option<i64> = sqlx::query_scalar(
                "INSERT INTO messages (discussion_id, platform, platform_id, author_id, author_name,
                                       body, reply_to, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                 ON CONFLICT (platform, platform_id) DO NOTHING
                 RETURNING id",
            )
            .bind(job.discussion_id)
            .bind(&message.platform)
            .bind(&message.platform_id)
            .bind(&message.author_id)
            .bind(&message.author_name)
            .bind(&message.body)
            .bind(&message.reply_to)
            .bind(message.created_at)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(id) = inserted else {
                // Redelivered: the id it already has.
                ids.push(
                    sqlx::query_scalar(
                        "SELECT id FROM messages WHERE platform = $1 AND platform_id = $2",
                    )
                    .bind(&message.platform)
                    .bind(&message.platform_id)
                    .fetch_one(&mut *tx)
                    .await?,
                );
                continue;
            };
            ids.push(id);
            if !pending {
                continue;
            }
            let change: Option<(Option<String>, bool, chrono::DateTime<chrono::Utc>)> =
                sqlx::query_as(
                    "DELETE FROM pending_changes WHERE platform = $1 AND platform_id = $2
                     RETURNING body, deleted, at",
                )
                .bind(&message.platform)
                .bind(&message.platform_id)
                .fetch_optional(&mut *tx)
                .await?;
            if let Some((body, deleted, at)) = change {
                let body = if deleted { None } else { body };
                apply_change!(&mut *tx, id, body.as_deref(), at);
            }
        }
        tx.commit().await?;
        Ok(ids)
    })
}
