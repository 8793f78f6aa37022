//! Group commit: concurrent small writes share one write transaction.
//!
//! SQLite has one writer, so a write's cost is mostly its own transaction:
//! waiting for the writer's turn, `BEGIN IMMEDIATE`, `COMMIT`. On SQLite,
//! [`Store::write_grouped`] queues the write to one writer task that takes a
//! turn, applies every queued write (up to [`GROUP_MAX`]) in that
//! transaction, each inside its own `SAVEPOINT` — a write that fails rolls
//! back to its savepoint and answers its own error, the others are kept —
//! commits once and only then answers each caller. On PostgreSQL, where
//! writers run in parallel, a grouped write is simply its own transaction.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::sync::{mpsc, oneshot};

use super::{Db, Store, StoreError, StoreResult, Tx, on_tx};

/// At most this many writes share one transaction, so one batch's commit
/// never waits for an unbounded amount of work.
pub const GROUP_MAX: usize = 32;

/// A boxed future borrowing the transaction for `'t`.
pub type TxFuture<'t, T> = Pin<Box<dyn Future<Output = T> + Send + 't>>;

/// The queue to this store's group writer, started on first use (and
/// again if the runtime it ran on has ended, as between tests).
pub(crate) type GroupQueue = Arc<Mutex<Option<mpsc::UnboundedSender<Box<dyn Grouped>>>>>;

/// One queued write, type-erased so writes of any result type share the queue.
pub(crate) trait Grouped: Send {
    /// Applies the write; `true` when its changes are to be kept.
    fn apply<'t>(&'t mut self, tx: &'t mut Tx) -> TxFuture<'t, bool>;
    /// Answers the caller once the batch committed (or failed to).
    fn answer(self: Box<Self>, committed: StoreResult<()>);
}

struct Pending<T, E, F> {
    work: Option<F>,
    result: Option<Result<T, E>>,
    reply: oneshot::Sender<Result<T, E>>,
}

impl<T, E, F> Grouped for Pending<T, E, F>
where
    T: Send + 'static,
    E: From<StoreError> + Send + 'static,
    F: for<'t> FnOnce(&'t mut Tx) -> TxFuture<'t, Result<T, E>> + Send + 'static,
{
    fn apply<'t>(&'t mut self, tx: &'t mut Tx) -> TxFuture<'t, bool> {
        Box::pin(async move {
            let Some(work) = self.work.take() else { return false };
            let result = work(tx).await;
            let keep = result.is_ok();
            self.result = Some(result);
            keep
        })
    }

    fn answer(self: Box<Self>, committed: StoreResult<()>) {
        let out = match (self.result, committed) {
            // Its own error: its savepoint was rolled back whatever the batch did.
            (Some(Err(e)), _) => Err(e),
            (Some(Ok(v)), Ok(())) => Ok(v),
            (Some(Ok(_)) | None, Err(e)) => Err(e.into()),
            // Never finished (it panicked) yet the batch committed without it.
            (None, Ok(())) => Err(failed("the write did not complete").into()),
        };
        // The caller may have gone (a dropped request); the write stands.
        let _ = self.reply.send(out);
    }
}

/// A database error for every writer of a failed batch (sqlx errors cannot be cloned).
fn failed(message: &str) -> StoreError {
    StoreError::Database(sqlx::Error::Io(std::io::Error::other(message.to_owned())))
}

/// The same error again, for the next caller of a failed batch.
fn share(e: &StoreError) -> StoreError {
    match e {
        StoreError::NotFound => StoreError::NotFound,
        StoreError::Conflict(what) => StoreError::Conflict(what.clone()),
        StoreError::Busy => StoreError::Busy,
        StoreError::Database(err) => failed(&err.to_string()),
    }
}

/// Polls a future, turning a panic into `None`, so one faulty write cannot
/// stop the writer task every later write waits on.
struct CatchUnwind<Fut>(Fut);

impl<Fut: Future + Unpin> Future for CatchUnwind<Fut> {
    type Output = Option<Fut::Output>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = &mut self.0;
        match std::panic::catch_unwind(AssertUnwindSafe(|| Pin::new(inner).poll(cx))) {
            Ok(Poll::Ready(v)) => Poll::Ready(Some(v)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(_) => Poll::Ready(None),
        }
    }
}

/// Ends a write's savepoint keeping its changes, or undoing them.
const KEEP: &str = "RELEASE grouped_write";
const UNDO: &str = "ROLLBACK TO grouped_write; RELEASE grouped_write";

async fn statement(tx: &mut Tx, sql: &'static str) -> StoreResult<()> {
    on_tx!(tx, conn => sqlx::raw_sql(sql).execute(&mut **conn).await?.rows_affected());
    Ok(())
}

/// Two statements in one round trip (each write's statements wait on the
/// connection's thread in turn, and the writer is the one serial path).
async fn statements(tx: &mut Tx, first: &'static str, then: &'static str) -> StoreResult<()> {
    let sql = format!("{first}; {then}");
    on_tx!(tx, conn => sqlx::raw_sql(&sql).execute(&mut **conn).await?.rows_affected());
    Ok(())
}

/// Checkpoints the write-ahead log beside the writer rather than in it:
/// SQLite otherwise copies the log into the database (and syncs it) inside
/// the commit that crosses `wal_autocheckpoint`, on the serial path every
/// grouped write waits on. At most one runs at a time, after a commit,
/// and no more often than every [`CHECKPOINT_EVERY`].
#[derive(Default)]
struct Checkpoints {
    running: Arc<std::sync::atomic::AtomicBool>,
    last: Option<std::time::Instant>,
}

const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(200);

impl Checkpoints {
    fn after_commit(&mut self, store: &Store) {
        use std::sync::atomic::Ordering;
        if self.last.is_some_and(|at| at.elapsed() < CHECKPOINT_EVERY) || self.running.swap(true, Ordering::AcqRel) {
            return;
        }
        self.last = Some(std::time::Instant::now());
        let (store, running) = (store.clone(), self.running.clone());
        tokio::spawn(async move {
            // A checkpoint that fails is retried after the next commit, and
            // SQLite's own automatic checkpoint remains the backstop.
            if let Err(e) = store.checkpoint_passive().await {
                tracing::debug!(error = %e, "background checkpoint");
            }
            running.store(false, Ordering::Release);
        });
    }
}

/// The writer task: one batch per transaction until every store handle is gone.
async fn run(store: Store, mut queue: mpsc::UnboundedReceiver<Box<dyn Grouped>>) {
    let mut checkpoints = Checkpoints::default();
    while let Some(first) = queue.recv().await {
        let mut batch = vec![first];
        let begun = store.begin().await;
        // Writes queued while the turn was awaited join this batch.
        while batch.len() < GROUP_MAX {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let mut tx = match begun {
            Ok(tx) => tx,
            Err(e) => {
                for job in batch {
                    job.answer(Err(share(&e)));
                }
                continue;
            }
        };
        let mut done: Vec<Box<dyn Grouped>> = Vec::with_capacity(batch.len());
        // A savepoint that could not be rolled back leaves the transaction
        // unusable: the batch fails as a whole.
        let mut broken: Option<StoreError> = None;
        // How the previous write's savepoint ends; it is sent with the next
        // write's `SAVEPOINT`, one round trip to the connection for both.
        let mut end: Option<&'static str> = None;
        for mut job in batch {
            if broken.is_none() {
                let open = match end.take() {
                    None => statement(&mut tx, "SAVEPOINT grouped_write").await,
                    Some(end) => statements(&mut tx, end, "SAVEPOINT grouped_write").await,
                };
                if let Err(e) = open {
                    broken = Some(e);
                }
            }
            if broken.is_some() {
                done.push(job);
                continue;
            }
            let keep = CatchUnwind(job.apply(&mut tx)).await.unwrap_or(false);
            end = Some(if keep { KEEP } else { UNDO });
            done.push(job);
        }
        if broken.is_none()
            && let Some(end) = end
            && let Err(e) = statement(&mut tx, end).await
        {
            broken = Some(e);
        }
        let committed = match broken {
            Some(e) => Err(e),
            None => tx.commit().await,
        };
        if committed.is_ok() {
            checkpoints.after_commit(&store);
        }
        for job in done {
            job.answer(committed.as_ref().map(|_| ()).map_err(share));
        }
    }
}

/// Starts the writer on a thread of its own: each of a write's statements
/// waits for the connection's thread and then for the writer to be polled
/// again, and on the server's runtime that poll queues behind every request
/// in flight, stretching the one serial path all grouped writes share.
fn spawn_writer(writer: Store, receiver: mpsc::UnboundedReceiver<Box<dyn Grouped>>) -> StoreResult<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| failed(&format!("the group writer cannot start: {e}")))?;
    std::thread::Builder::new()
        .name("rally-group-writer".to_owned())
        .spawn(move || runtime.block_on(run(writer, receiver)))
        .map_err(|e| failed(&format!("the group writer cannot start: {e}")))?;
    Ok(())
}

impl Store {
    /// Runs `work` as a write: on SQLite grouped with concurrent writes into
    /// one transaction (see the module), on PostgreSQL in a transaction of
    /// its own. Either way the caller's answer comes after the commit, and
    /// an `Err` from `work` leaves nothing of it written.
    pub async fn write_grouped<T, E, F>(&self, work: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: for<'t> FnOnce(&'t mut Tx) -> TxFuture<'t, Result<T, E>> + Send + 'static,
    {
        if let Db::Postgres(_) = self.db {
            let mut tx = self.begin().await?;
            let out = work(&mut tx).await?;
            tx.commit().await?;
            return Ok(out);
        }
        let (reply, answer) = oneshot::channel();
        let job: Box<dyn Grouped> = Box::new(Pending { work: Some(work), result: None, reply });
        {
            let mut queue = self.group.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let sender = match queue.as_ref().filter(|s| !s.is_closed()) {
                Some(sender) => sender,
                None => {
                    let (sender, receiver) = mpsc::unbounded_channel();
                    // The writer's own handle does not hold the queue, so the
                    // task ends when the last handle that could send is dropped.
                    let writer = Store { group: GroupQueue::default(), ..self.clone() };
                    spawn_writer(writer, receiver)?;
                    queue.insert(sender)
                }
            };
            if sender.send(job).is_err() {
                return Err(failed("the group writer has stopped").into());
            }
        }
        answer.await.unwrap_or_else(|_| Err(failed("the group writer has stopped").into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DatabaseUrl;

    async fn insert(tx: &mut Tx, i: i64) -> StoreResult<()> {
        on_tx!(tx, conn => sqlx::query("INSERT INTO regions (name, position) VALUES ($1, $2)")
            .bind(format!("r{i}"))
            .bind(i)
            .execute(&mut **conn)
            .await?
            .rows_affected());
        Ok(())
    }

    /// A write that panics inside the group writer answers an error; the
    /// writes beside it are kept and the writer goes on serving.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_panicking_write_fails_alone() {
        let dir = tempfile::tempdir().unwrap();
        let url = DatabaseUrl::parse(&format!("sqlite://{}", dir.path().join("group.db").display())).unwrap();
        let store = Store::open_and_migrate(&url).await.unwrap();
        let mut writes = tokio::task::JoinSet::new();
        for i in 0..40_i64 {
            let store = store.clone();
            writes.spawn(async move {
                let answer: StoreResult<i64> = store
                    .write_grouped(move |tx| {
                        Box::pin(async move {
                            insert(tx, i).await?;
                            assert!(i % 5 != 3, "write {i} fails");
                            Ok(i)
                        })
                    })
                    .await;
                (i, answer.is_ok())
            });
        }
        for (i, ok) in writes.join_all().await {
            assert_eq!(ok, i % 5 != 3, "{i}");
        }
        let Db::Sqlite(pool) = &store.db else { unreachable!() };
        let names: Vec<String> = sqlx::query_scalar("SELECT name FROM regions WHERE name LIKE 'r%' ORDER BY position")
            .fetch_all(pool)
            .await
            .unwrap();
        let expected: Vec<String> = (0..40).filter(|i| i % 5 != 3).map(|i| format!("r{i}")).collect();
        assert_eq!(names, expected);
    }
}
