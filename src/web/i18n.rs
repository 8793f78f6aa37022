//! The texts pages and the API render; they live in [`crate::i18n`] so the
//! notification worker renders messages from the same locale files.

pub use crate::i18n::*;
