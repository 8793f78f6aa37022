//! How many imports one server process runs at once, in all and per person.
//!
//! Reading and checking a file takes memory in proportion to the file (up to
//! the limits in `io::table`), so a server that started every import it was
//! sent would run out of memory at some number of them. Beyond the limits an
//! import is refused at once with a clear answer (try again shortly; wait
//! for your own import), never queued: a queue would only move the pile-up
//! into memory held by waiting requests. This is the one piece of import
//! state kept in memory, deliberately: it protects this process, and each
//! server instance has its own.
//!
//! A slot may also show its import's counters ([`LiveProgress`]) to this
//! process's progress pages while it runs ([`ImportSlot::watch`]). The database holds the run's
//! progress for every instance; the counters are what this process knows
//! sooner, and all it knows while an SQLite import holds the one write lock
//! (the progress cannot be written until the import commits).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use super::Stage;

/// Imports one server runs at once: one per core on the standard 2-core
/// machine, each bounded by the readers' limits.
pub const MAX_IMPORTS_PER_SERVER: usize = 2;
/// Imports one person runs at once (on one server).
pub const MAX_IMPORTS_PER_USER: usize = 1;

/// Why an import cannot start now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Busy {
    /// The person has an import running already (409).
    #[error("you already have an import running; wait until it has finished, then try again")]
    User,
    /// The server runs as many imports as it may (429).
    #[error("the server is busy with other imports; try again in a minute")]
    Server,
}

impl Busy {
    /// A stable code for the UI and the API.
    pub fn code(self) -> &'static str {
        match self {
            Busy::User => "import_in_progress",
            Busy::Server => "imports_busy",
        }
    }
}

#[derive(Debug, Default)]
struct Running {
    total: usize,
    by_user: HashMap<i64, usize>,
    /// Counters of running imports, by upload id.
    live: HashMap<i64, Arc<LiveProgress>>,
}

/// A running import's progress, written by its progress callback and read
/// from other tasks.
#[derive(Debug, Default)]
pub struct LiveProgress {
    /// 0: not started yet, 1: checking, 2: writing.
    stage: AtomicU8,
    done: AtomicU64,
    total: AtomicU64,
}

impl LiveProgress {
    /// What [`super::Progress`] receives.
    pub fn record(&self, stage: Stage, done: u64, total: u64) {
        let code = match stage {
            Stage::Checking => 1,
            Stage::Writing => 2,
        };
        self.stage.store(code, Ordering::Relaxed);
        self.done.store(done, Ordering::Relaxed);
        self.total.store(total, Ordering::Relaxed);
    }

    /// (stage, rows done, rows in the stage); `None` before the first rows.
    /// Read field by field, so the total is raised to the rows done if a
    /// write came in between.
    pub fn snapshot(&self) -> (Option<Stage>, u64, u64) {
        let stage = match self.stage.load(Ordering::Relaxed) {
            1 => Some(Stage::Checking),
            2 => Some(Stage::Writing),
            _ => None,
        };
        let done = self.done.load(Ordering::Relaxed);
        (stage, done, self.total.load(Ordering::Relaxed).max(done))
    }
}

/// The counter of running imports; clones share it.
#[derive(Clone, Debug)]
pub struct ImportGate {
    running: Arc<Mutex<Running>>,
    per_server: usize,
    per_user: usize,
}

impl Default for ImportGate {
    fn default() -> Self {
        ImportGate::new(MAX_IMPORTS_PER_SERVER, MAX_IMPORTS_PER_USER)
    }
}

impl ImportGate {
    pub fn new(per_server: usize, per_user: usize) -> Self {
        ImportGate { running: Arc::default(), per_server, per_user }
    }

    /// A slot for `user`'s import, held until the returned value is dropped.
    pub fn enter(&self, user: i64) -> Result<ImportSlot, Busy> {
        // The counts stay consistent even if a holder panicked.
        let mut running = self.running.lock().unwrap_or_else(PoisonError::into_inner);
        let mine = running.by_user.get(&user).copied().unwrap_or(0);
        if mine >= self.per_user {
            return Err(Busy::User);
        }
        if running.total >= self.per_server {
            return Err(Busy::Server);
        }
        running.total += 1;
        running.by_user.insert(user, mine + 1);
        Ok(ImportSlot { gate: self.clone(), user })
    }

    /// The counters of the import of `upload_id`, if this process runs it now.
    pub fn live(&self, upload_id: i64) -> Option<Arc<LiveProgress>> {
        self.running.lock().unwrap_or_else(PoisonError::into_inner).live.get(&upload_id).cloned()
    }

    /// Imports running now.
    pub fn running(&self) -> usize {
        self.running.lock().unwrap_or_else(PoisonError::into_inner).total
    }

    /// No import holds a slot, and none is still showing its counters
    /// (one that is storing its outcome).
    pub fn idle(&self) -> bool {
        let running = self.running.lock().unwrap_or_else(PoisonError::into_inner);
        running.total == 0 && running.live.is_empty()
    }
}

/// A running import's place; dropping it frees the place.
#[derive(Debug)]
pub struct ImportSlot {
    gate: ImportGate,
    user: i64,
}

impl ImportSlot {
    /// Fresh counters for the import of `upload_id`, shown by
    /// [`ImportGate::live`] until the returned watch is dropped — which may
    /// outlive the slot: an import that has freed its memory (and its
    /// place) is still running until its outcome is stored.
    pub fn watch(&self, upload_id: i64) -> LiveWatch {
        let counters = Arc::new(LiveProgress::default());
        let mut running = self.gate.running.lock().unwrap_or_else(PoisonError::into_inner);
        running.live.insert(upload_id, counters.clone());
        LiveWatch { gate: self.gate.clone(), upload_id, counters }
    }
}

/// An import's counters as this process shows them; dropping it stops showing them.
#[derive(Debug)]
pub struct LiveWatch {
    gate: ImportGate,
    upload_id: i64,
    counters: Arc<LiveProgress>,
}

impl LiveWatch {
    pub fn counters(&self) -> &Arc<LiveProgress> {
        &self.counters
    }
}

impl Drop for LiveWatch {
    fn drop(&mut self) {
        let mut running = self.gate.running.lock().unwrap_or_else(PoisonError::into_inner);
        // Only its own: a later import of the same upload has counters of its own.
        if running.live.get(&self.upload_id).is_some_and(|c| Arc::ptr_eq(c, &self.counters)) {
            running.live.remove(&self.upload_id);
        }
    }
}

impl Drop for ImportSlot {
    fn drop(&mut self) {
        let mut running = self.gate.running.lock().unwrap_or_else(PoisonError::into_inner);
        running.total = running.total.saturating_sub(1);
        if let Some(n) = running.by_user.get_mut(&self.user) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                running.by_user.remove(&self.user);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_user_and_per_server() {
        let gate = ImportGate::new(2, 1);
        let a = gate.enter(1).unwrap();
        assert_eq!(gate.enter(1).unwrap_err(), Busy::User);
        let b = gate.enter(2).unwrap();
        assert_eq!(gate.enter(3).unwrap_err(), Busy::Server);
        assert_eq!(gate.enter(1).unwrap_err(), Busy::User, "the person's own limit is named first");
        drop(a);
        assert_eq!(gate.running(), 1);
        let c = gate.enter(3).unwrap();
        drop((b, c));
        assert_eq!(gate.running(), 0);
        assert!(gate.enter(1).is_ok());
    }

    #[test]
    fn a_watch_shows_its_imports_counters_until_dropped() {
        let gate = ImportGate::new(2, 1);
        let slot = gate.enter(1).unwrap();
        assert!(gate.live(7).is_none());
        let watch = slot.watch(7);
        assert_eq!(gate.live(7).unwrap().snapshot(), (None, 0, 0), "not started");
        watch.counters().record(Stage::Writing, 5_000, 12_000);
        assert_eq!(gate.live(7).unwrap().snapshot(), (Some(Stage::Writing), 5_000, 12_000));
        watch.counters().record(Stage::Checking, 20, 10);
        assert_eq!(watch.counters().snapshot(), (Some(Stage::Checking), 20, 20), "a total never below the rows done");
        drop(slot);
        assert_eq!(gate.running(), 0, "the place is free");
        assert!(gate.live(7).is_some() && !gate.idle(), "the counters stay until the outcome is stored");
        drop(watch);
        assert!(gate.live(7).is_none() && gate.idle());
    }
}
