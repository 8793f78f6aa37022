//! Schemathesis against a running `rally serve --demo`, one run per role
//! (tests/schemathesis.sh): no 5xx, and every response as the OpenAPI
//! document says. Skips loudly without `st`; `RALLY_REQUIRE_SCHEMATHESIS=1`
//! (set by .ci/run) makes its absence a failure.

use std::process::Command;

use crate::pg::shout;

fn required() -> bool {
    std::env::var("RALLY_REQUIRE_SCHEMATHESIS").is_ok_and(|v| v == "1")
}

#[test]
fn schemathesis_finds_nothing_for_any_role() {
    let installed = Command::new("st").arg("--version").output().is_ok_and(|o| o.status.success());
    if !installed {
        if required() {
            panic!("Schemathesis is required (RALLY_REQUIRE_SCHEMATHESIS=1) but `st` is not installed");
        }
        shout("SKIPPING the Schemathesis run: `pip install schemathesis` to run it.");
        return;
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/schemathesis.sh");
    let out = Command::new("bash")
        .arg(script)
        .env("RALLY_BIN", env!("CARGO_BIN_EXE_rally"))
        .env_remove("RALLY_DATABASE_URL")
        .output()
        .expect("run tests/schemathesis.sh");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "Schemathesis found problems:\n{stdout}\n{stderr}");
    for role in ["viewer", "support", "service", "marketing", "rep", "lead", "admin"] {
        assert!(stdout.contains(&format!("==> Schemathesis as {role}")), "{role} did not run:\n{stdout}");
    }
    assert!(stdout.contains("passed"), "no test cases ran:\n{stdout}");
    // The per-role counts, for whoever reads the test output.
    let summary: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("==>") || l.contains(" generated") || l.contains("operations"))
        .collect();
    eprintln!("{}", summary.join("\n"));
}
