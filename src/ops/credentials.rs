//! Password hashing (argon2id) and API tokens (random, stored as SHA-256).

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Hashes a password into a PHC string (`$argon2id$v=19$...`) with a fresh salt.
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let hash = Argon2::default()
        .hash_password(password.as_bytes())
        .map_err(|e| anyhow::anyhow!("cannot hash the password: {e}"))?;
    Ok(hash.to_string())
}

/// Constant-time check of a password against a stored PHC string. A malformed
/// stored hash simply fails verification.
pub fn verify_password(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// A new API token: `rly_` and 64 hex characters (256 random bits). Returns the
/// token to show once, its hash to store, and a short prefix to recognise it by.
pub fn new_api_token() -> (String, String, String) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = format!("rly_{}", hex(&bytes));
    let hash = hash_token(&token);
    let prefix = token[..12].to_owned();
    (token, hash, prefix)
}

/// Tokens carry 256 bits of entropy, so a fast hash is enough (no salt, no
/// stretching) and lookups stay a single indexed equality.
pub fn hash_token(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_themselves() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("wrong horse", &hash));
        assert!(!verify_password("correct horse", "not a hash"));
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let (a, hash_a, prefix) = new_api_token();
        let (b, _, _) = new_api_token();
        assert_ne!(a, b);
        assert_eq!(a.len(), 68);
        assert!(a.starts_with(&prefix));
        assert_eq!(hash_token(&a), hash_a);
        assert_ne!(hash_a, a);
    }
}
