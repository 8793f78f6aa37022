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

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

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

    /// Imports running now.
    pub fn running(&self) -> usize {
        self.running.lock().unwrap_or_else(PoisonError::into_inner).total
    }
}

/// A running import's place; dropping it frees the place.
#[derive(Debug)]
pub struct ImportSlot {
    gate: ImportGate,
    user: i64,
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
}
