//! Files embedded with rust-embed (migrations, locale texts, static assets)
//! are read at compile time; a *new* file in those folders must trigger a
//! rebuild too, which cargo only knows when told to watch the folders.
//!
//! The integration tests that need PostgreSQL or Chromium are marked
//! `ignored`, with the reason, when this machine has neither, so a run ends
//! with "N ignored" instead of counting skipped parts as passed. With
//! `RALLY_REQUIRE_POSTGRES` / `RALLY_REQUIRE_BROWSER` set they run, and fail.
use std::path::Path;

const AXE: &str = "tests/browser/node_modules/axe-core/axe.min.js";

fn main() {
    for dir in ["migrations", "locales", "static", "data"] {
        println!("cargo:rerun-if-changed={dir}");
    }
    println!("cargo::rustc-check-cfg=cfg(rally_no_postgres)");
    println!("cargo::rustc-check-cfg=cfg(rally_no_browser)");
    println!("cargo::rustc-check-cfg=cfg(rally_no_axe)");
    // A missing file watched would rebuild the crate on every run: watch
    // axe-core when it is there, else the nearest folder it would appear in.
    let axe_watch = [AXE, "tests/browser/node_modules/axe-core", "tests/browser/node_modules", "tests/browser"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .unwrap_or("tests");
    println!("cargo:rerun-if-changed={axe_watch}");
    for var in ["RALLY_TEST_PG_BIN", "RALLY_REQUIRE_POSTGRES", "RALLY_REQUIRE_BROWSER"] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    // Installing a Debian package rewrites this file: the check runs again.
    if Path::new("/var/lib/dpkg/status").exists() {
        println!("cargo:rerun-if-changed=/var/lib/dpkg/status");
    }
    if !required("RALLY_REQUIRE_POSTGRES") && !postgres_installed() {
        println!("cargo:rustc-cfg=rally_no_postgres");
    }
    let browser_installed = Path::new("/usr/bin/chromium").exists() && Path::new("/usr/bin/chromedriver").exists();
    if !required("RALLY_REQUIRE_BROWSER") && !browser_installed {
        println!("cargo:rustc-cfg=rally_no_browser");
    }
    // axe-core comes from npm (`npm ci --prefix tests/browser`), which `.ci/run` runs.
    if !required("RALLY_REQUIRE_BROWSER") && !Path::new(AXE).exists() {
        println!("cargo:rustc-cfg=rally_no_axe");
    }
}

fn required(var: &str) -> bool {
    std::env::var(var).is_ok_and(|v| !v.is_empty() && v != "0")
}

fn postgres_installed() -> bool {
    if let Ok(dir) = std::env::var("RALLY_TEST_PG_BIN") {
        return Path::new(&dir).join("initdb").exists();
    }
    std::fs::read_dir("/usr/lib/postgresql")
        .map(|entries| entries.filter_map(Result::ok).any(|e| e.path().join("bin/initdb").exists()))
        .unwrap_or(false)
}
