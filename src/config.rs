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

/// The reverse proxies whose `X-Forwarded-For` names the client
/// (`--trusted-proxies`, `RALLY_TRUSTED_PROXIES`): addresses or networks,
/// comma-separated. Empty (the default): the TCP peer is the client and the
/// header is ignored, so nobody can pick the address sign-in throttling counts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<ipnet::IpNet>);

#[derive(Debug, thiserror::Error)]
#[error(
    "invalid --trusted-proxies entry {entry:?} (RALLY_TRUSTED_PROXIES): expected IP addresses or networks such as 127.0.0.1,10.0.0.0/8,::1"
)]
pub struct TrustedProxiesError {
    entry: String,
}

impl std::str::FromStr for TrustedProxies {
    type Err = TrustedProxiesError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let mut nets = Vec::new();
        for entry in raw.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let net = match entry.parse::<ipnet::IpNet>() {
                Ok(net) => net,
                Err(_) => entry
                    .parse::<std::net::IpAddr>()
                    .map(ipnet::IpNet::from)
                    .map_err(|_| TrustedProxiesError { entry: entry.chars().take(60).collect() })?,
            };
            nets.push(net);
        }
        Ok(TrustedProxies(nets))
    }
}

impl TrustedProxies {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn trusts(&self, ip: std::net::IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client of a request that came from `peer` with these
    /// `X-Forwarded-For` values: walking the list from the right (the hop
    /// nearest to Rally), the first address that is not a trusted proxy. A
    /// peer that is not trusted is the client whatever the header says; an
    /// entry that is not an address ends the walk at the last hop known.
    pub fn client_ip(&self, peer: std::net::IpAddr, forwarded_for: &[&str]) -> std::net::IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let mut client = peer;
        for entry in forwarded_for.iter().rev().flat_map(|v| v.rsplit(',')) {
            let Ok(ip) = entry.trim().parse::<std::net::IpAddr>() else { return client };
            client = ip;
            if !self.trusts(ip) {
                return ip;
            }
        }
        client
    }
}

#[cfg(test)]
mod trusted_proxy_tests {
    use std::net::IpAddr;

    use super::TrustedProxies;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn parses_addresses_and_networks_and_names_a_bad_entry() {
        let t: TrustedProxies = "127.0.0.1, 10.0.0.0/8,::1".parse().unwrap();
        assert!(t.trusts(ip("10.1.2.3")) && t.trusts(ip("127.0.0.1")) && t.trusts(ip("::1")));
        assert!(!t.trusts(ip("192.168.1.1")));
        assert!("".parse::<TrustedProxies>().unwrap().is_empty());
        let err = "127.0.0.1,nginx".parse::<TrustedProxies>().unwrap_err().to_string();
        assert!(err.contains("\"nginx\"") && err.contains("--trusted-proxies"), "{err}");
        assert!("10.0.0.0/33".parse::<TrustedProxies>().is_err());
    }

    #[test]
    fn the_client_is_the_first_untrusted_hop_from_the_right() {
        let t: TrustedProxies = "127.0.0.1,10.0.0.0/8".parse().unwrap();
        // Through nginx on this machine.
        assert_eq!(t.client_ip(ip("127.0.0.1"), &["203.0.113.7"]), ip("203.0.113.7"));
        // A client's own header is not believed beyond the first untrusted hop.
        assert_eq!(t.client_ip(ip("127.0.0.1"), &["1.1.1.1, 203.0.113.7, 10.0.0.5"]), ip("203.0.113.7"));
        assert_eq!(t.client_ip(ip("127.0.0.1"), &["1.1.1.1", "203.0.113.7"]), ip("203.0.113.7"));
        // A peer that is no proxy of ours is the client, whatever it claims.
        assert_eq!(t.client_ip(ip("198.51.100.9"), &["203.0.113.7"]), ip("198.51.100.9"));
        // Nothing forwarded, or only proxies: the last hop known.
        assert_eq!(t.client_ip(ip("127.0.0.1"), &[]), ip("127.0.0.1"));
        assert_eq!(t.client_ip(ip("127.0.0.1"), &["10.0.0.5"]), ip("10.0.0.5"));
        // Garbage ends the walk.
        assert_eq!(t.client_ip(ip("127.0.0.1"), &["unknown, 10.0.0.5"]), ip("10.0.0.5"));
        // Nobody trusted: the header is ignored.
        let none = TrustedProxies::default();
        assert_eq!(none.client_ip(ip("127.0.0.1"), &["203.0.113.7"]), ip("127.0.0.1"));
    }
}
