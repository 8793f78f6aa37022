//! The queue's step (zero-to-production's `try_execute_task`, batched):
//! claim due jobs, send them concurrently, and record each outcome as sends
//! complete — all completions ready at once are written in one transaction.
//! `run` repeats until nothing is due; `rally jobs run`, the tests and each
//! server's worker loop (`jobs::notify`) call it.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use rand::Rng;

use super::super::OpsResult;
use super::send::{SendContext, Sender};
use crate::domain::calendar::WorkCalendar;
use crate::domain::notify::answer::Verdict;
use crate::domain::notify::schedule::NotifySettings;
use crate::domain::notify::{EventKind, backoff};
use crate::store::Store;
use crate::store::notify::{ClaimedJob, Finish, claim_jobs, finish_jobs};

/// One worker: its name in the `locked_by` column, how long its claims
/// last, and how many sends it keeps in flight.
#[derive(Clone, Debug)]
pub struct Worker {
    pub id: String,
    /// Well above a send's timeout: a lease that runs out while its send
    /// still runs would let another worker send the message again.
    pub lease: Duration,
    pub concurrency: usize,
}

impl Worker {
    pub fn new(name: &str) -> Worker {
        let nonce: u32 = rand::rng().random();
        Worker {
            id: format!("{name}-{}-{nonce:08x}", std::process::id()),
            lease: Duration::seconds(60),
            concurrency: 32,
        }
    }
}

/// What a run did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    pub sent: usize,
    pub retried: usize,
    pub dead: usize,
    /// Held back for their robot's rate limit (they go when their turn comes).
    pub postponed: usize,
    /// Jobs of a worker that stopped mid-send, queued again.
    pub reaped: usize,
}

impl Report {
    pub fn done(&self) -> usize {
        self.sent + self.retried + self.dead
    }
}

/// Settings and calendar for outcomes, loaded once per run.
struct RunContext {
    send: SendContext,
    settings: NotifySettings,
    calendar: WorkCalendar,
}

/// The end of an attempt: a retry waits (exponential with jitter, or the
/// robot's minute) and never lands in quiet hours; the last attempt's
/// failure is dead.
fn finish(job: &ClaimedJob, verdict: Verdict, ctx: &RunContext, now: DateTime<Utc>) -> Finish {
    match verdict {
        Verdict::Sent => Finish::Sent { answer: "ok".into() },
        Verdict::Dead { answer } => Finish::Dead { answer },
        Verdict::Retry { answer, .. } if job.attempt >= job.max_attempts => {
            Finish::Dead { answer: format!("gave up after {} attempts; last answer: {answer}", job.attempt) }
        }
        Verdict::Retry { answer, rate_limited } => {
            let jitter: f64 = rand::rng().random();
            let wait = if rate_limited {
                Duration::seconds(60) + Duration::milliseconds((jitter * 10_000.0) as i64)
            } else {
                backoff::DEFAULT.delay(u32::try_from(job.attempt).unwrap_or(u32::MAX), jitter)
            };
            let at = now + wait;
            let at = if job.event.kind == EventKind::Test { at } else { ctx.settings.release_at(at, &ctx.calendar) };
            Finish::Retry { at, answer }
        }
    }
}

/// Claims, sends and records until no job is due (or, with `only_event`,
/// until that event's jobs are done).
pub async fn run(store: &Store, worker: &Worker, only_event: Option<i64>) -> OpsResult<Report> {
    let settings = super::settings(store).await?;
    let ctx = Arc::new(RunContext {
        send: SendContext::new(&settings),
        settings,
        calendar: super::super::calendar::calendar(store).await?,
    });
    let sender = Sender::shared();
    let mut report = Report::default();
    let mut inflight = tokio::task::JoinSet::new();
    let mut drained = false;
    loop {
        if !drained && inflight.len() < worker.concurrency {
            let now = store.now();
            let want = i64::try_from(worker.concurrency - inflight.len()).unwrap_or(1);
            let claim = claim_jobs(store, &worker.id, now, now + worker.lease, want, only_event).await?;
            report.postponed += claim.postponed;
            report.reaped += claim.reaped;
            // Fewer than asked: nothing more is due until these finish.
            drained = (claim.jobs.len() as i64) < want;
            for job in claim.jobs {
                let (sender, ctx) = (sender.clone(), ctx.clone());
                inflight.spawn(async move {
                    let verdict = sender.deliver(&job, &ctx.send).await;
                    (job, verdict)
                });
            }
        }
        let Some(first) = inflight.join_next().await else {
            if drained {
                return Ok(report);
            }
            continue;
        };
        // Every completion ready now goes into one transaction.
        let mut done = Vec::new();
        let now = store.now();
        for completed in std::iter::once(first).chain(std::iter::from_fn(|| inflight.try_join_next())) {
            // A panicked send is lost here; its lease runs out and it is sent again.
            let Ok((job, verdict)) = completed else { continue };
            let f = finish(&job, verdict, &ctx, now);
            match f {
                Finish::Sent { .. } => report.sent += 1,
                Finish::Retry { .. } => report.retried += 1,
                Finish::Dead { .. } => report.dead += 1,
            }
            if let Finish::Dead { answer } | Finish::Retry { answer, .. } = &f {
                // The answer is the receiver's; it never holds the URL or a secret.
                tracing::info!(delivery = job.delivery_id, key = %job.key, answer = %answer, "delivery failed");
            }
            done.push((job, f));
        }
        finish_jobs(store, &worker.id, &done, now).await?;
        if inflight.is_empty() {
            // Finished sends may have freed rate-limit turns or made room: look again.
            drained = false;
        }
    }
}

/// Runs the jobs of one event now (a channel's test message).
pub async fn run_event(store: &Store, worker: &Worker, event_id: i64) -> OpsResult<Report> {
    run(store, worker, Some(event_id)).await
}
