//! Duplicate keys held as hashes, so that what an import remembers of the
//! rows before stays small however long the file.

/// A duplicate key (a credit code, a name with a phone, a bare name, a
/// follow-up record) as two independent 64-bit SipHashes: a million keys
/// take 16 bytes each instead of their text. Two keys are confused only if both hashes collide, about
/// once in 10^26 imports of a million rows.
pub(super) type KeyHash = u128;

/// Hashes duplicate keys (random keys per import).
pub(super) struct KeyHasher {
    first: std::hash::RandomState,
    second: std::hash::RandomState,
}

impl KeyHasher {
    pub(super) fn new() -> Self {
        KeyHasher { first: std::hash::RandomState::new(), second: std::hash::RandomState::new() }
    }

    pub(super) fn hash(&self, parts: &[&str]) -> KeyHash {
        use std::hash::{BuildHasher, Hasher};
        let one = |state: &std::hash::RandomState| {
            let mut h = state.build_hasher();
            for part in parts {
                h.write(part.as_bytes());
                // A separator no text holds: ("ab", "c") ≠ ("a", "bc").
                h.write_u8(0xff);
            }
            h.finish()
        };
        (u128::from(one(&self.first)) << 64) | u128::from(one(&self.second))
    }
}

/// The maps' own hasher: a [`KeyHash`] is random already.
#[derive(Clone, Copy, Default)]
pub(super) struct PassThrough(u64);

impl std::hash::Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 ^= u64::from_le_bytes(word);
        }
    }

    fn write_u128(&mut self, value: u128) {
        self.0 ^= value as u64;
    }
}

/// A set of [`KeyHash`]es.
pub(super) type HashedSet = std::collections::HashSet<KeyHash, std::hash::BuildHasherDefault<PassThrough>>;
