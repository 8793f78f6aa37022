//! Structured logs on stderr: `RUST_LOG` filters (default `warn,rally=info`),
//! `RALLY_LOG_FORMAT=json` switches to one JSON object per line. Colours only
//! when stderr is a terminal, so a log file or a journal gets plain text.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// How log lines are written, from `RALLY_LOG_FORMAT`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

impl LogFormat {
    /// `json` (any case) is JSON; unset, empty or `text` is text; anything
    /// else is refused so a typo is not silently ignored.
    pub fn parse(raw: Option<&str>) -> Result<LogFormat, String> {
        match raw.map(str::trim).unwrap_or("") {
            "" => Ok(LogFormat::Text),
            v if v.eq_ignore_ascii_case("text") => Ok(LogFormat::Text),
            v if v.eq_ignore_ascii_case("json") => Ok(LogFormat::Json),
            other => Err(format!("RALLY_LOG_FORMAT must be text or json, not {other:?}")),
        }
    }
}

pub fn init() -> Result<(), String> {
    let format = LogFormat::parse(std::env::var("RALLY_LOG_FORMAT").ok().as_deref())?;
    let filter = match std::env::var("RUST_LOG") {
        Ok(spec) if !spec.trim().is_empty() => {
            EnvFilter::try_new(&spec).map_err(|e| format!("RUST_LOG {spec:?} is not a valid filter: {e}"))?
        }
        _ => EnvFilter::new("warn,rally=info"),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_named_or_refused() {
        assert_eq!(LogFormat::parse(None), Ok(LogFormat::Text));
        assert_eq!(LogFormat::parse(Some("JSON")), Ok(LogFormat::Json));
        assert_eq!(LogFormat::parse(Some("text")), Ok(LogFormat::Text));
        assert!(LogFormat::parse(Some("yaml")).unwrap_err().contains("RALLY_LOG_FORMAT"));
    }
}
