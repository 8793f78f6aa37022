//! Configuration values parsed from flags and `RALLY_*` environment variables.
//!
//! Parsing lives here (not in clap value parsers) so every bad value yields one
//! line that names the flag, the variable and what was expected.

use std::fmt;
use std::path::{Path, PathBuf};

/// Where the data lives. `Debug` and `Display` never show a password.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

#[derive(Debug, thiserror::Error)]
#[error(
    "invalid database URL {shown:?}: {reason} (expected sqlite://PATH or postgres://USER:PASSWORD@HOST:PORT/DATABASE)"
)]
pub struct DatabaseUrlError {
    shown: String,
    reason: &'static str,
}

impl DatabaseUrl {
    pub fn parse(raw: &str) -> Result<Self, DatabaseUrlError> {
        let raw = raw.trim();
        let err = |reason| DatabaseUrlError { shown: redact_url(raw), reason };
        if raw.is_empty() {
            return Err(err("it is empty"));
        }
        if let Some(rest) = raw.strip_prefix("sqlite://").or_else(|| raw.strip_prefix("sqlite:")) {
            // `sqlite://rally.db?mode=rwc` style options are not supported: the
            // server sets WAL, foreign keys and the busy timeout itself.
            if rest.contains('?') {
                return Err(err("SQLite URLs take a file path only, no ?options"));
            }
            if rest.is_empty() || rest.ends_with('/') {
                return Err(err("the SQLite file path is missing"));
            }
            return Ok(DatabaseUrl::Sqlite(PathBuf::from(rest)));
        }
        if let Some(rest) = raw.strip_prefix("postgres://").or_else(|| raw.strip_prefix("postgresql://")) {
            let authority = rest.split(['/', '?']).next().unwrap_or_default();
            let host = authority.rsplit('@').next().unwrap_or_default();
            if host.is_empty() {
                return Err(err("the PostgreSQL host is missing"));
            }
            if let Some((_, port)) = host.rsplit_once(':')
                && !host.ends_with(']')
                && port.parse::<u16>().is_err()
            {
                return Err(err("the PostgreSQL port is not a number from 1 to 65535"));
            }
            return Ok(DatabaseUrl::Postgres(raw.to_owned()));
        }
        Err(err("unknown scheme"))
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, DatabaseUrl::Postgres(_))
    }

    pub fn sqlite_path(&self) -> Option<&Path> {
        match self {
            DatabaseUrl::Sqlite(p) => Some(p),
            DatabaseUrl::Postgres(_) => None,
        }
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseUrl::Sqlite(p) => write!(f, "sqlite://{}", p.display()),
            DatabaseUrl::Postgres(url) => f.write_str(&redact_url(url)),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

/// Replaces the password of `scheme://user:password@host` with `***`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _password)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sqlite_forms() {
        assert_eq!(DatabaseUrl::parse("sqlite://rally.db").unwrap(), DatabaseUrl::Sqlite("rally.db".into()));
        assert_eq!(DatabaseUrl::parse("sqlite:/tmp/x.db").unwrap(), DatabaseUrl::Sqlite("/tmp/x.db".into()));
        assert_eq!(
            DatabaseUrl::parse("sqlite:///var/lib/rally.db").unwrap(),
            DatabaseUrl::Sqlite("/var/lib/rally.db".into())
        );
    }

    #[test]
    fn rejects_malformed_urls_with_a_reason() {
        for bad in ["", "mysql://x", "rally.db", "sqlite://", "postgres://", "postgres://h:port/db"] {
            let err = DatabaseUrl::parse(bad).unwrap_err().to_string();
            assert!(err.starts_with("invalid database URL"), "{bad}: {err}");
        }
    }

    #[test]
    fn never_shows_the_password() {
        let url = DatabaseUrl::parse("postgres://rally:s3cret@db:5432/rally").unwrap();
        assert_eq!(url.to_string(), "postgres://rally:***@db:5432/rally");
        assert!(!format!("{url:?}").contains("s3cret"));
        let err = DatabaseUrl::parse("postgres://rally:s3cret@db:x/rally").unwrap_err();
        assert!(!err.to_string().contains("s3cret"));
    }
}
