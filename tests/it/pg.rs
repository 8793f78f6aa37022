//! A throwaway PostgreSQL cluster for the test process: `initdb` into a temp
//! directory, `pg_ctl` on a free port, removed by a watchdog when the test
//! process exits. Each test gets its own database in it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

pub struct PgCluster {
    pub port: u16,
}

static CLUSTER: OnceLock<Option<PgCluster>> = OnceLock::new();
static NEXT_DB: AtomicU32 = AtomicU32::new(0);

/// Set by `.ci/run`: a missing PostgreSQL fails the run instead of skipping.
pub fn required() -> bool {
    std::env::var("RALLY_REQUIRE_POSTGRES").is_ok_and(|v| !v.is_empty() && v != "0")
}

/// Writes around the test harness's output capture, so the notice is seen.
pub fn shout(message: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "\n{0}\n{message}\n{0}\n", "!".repeat(78));
}

pub fn cluster() -> Option<&'static PgCluster> {
    CLUSTER
        .get_or_init(|| match start() {
            Ok(c) => Some(c),
            Err(reason) => {
                if required() {
                    panic!("PostgreSQL is required (RALLY_REQUIRE_POSTGRES) but unavailable: {reason}");
                }
                shout(&format!(
                    "SKIPPING every PostgreSQL test: {reason}.\n\
                     Install Debian's `postgresql` package to run the suite on both backends."
                ));
                None
            }
        })
        .as_ref()
}

/// A fresh, empty database in the shared cluster; returns its URL.
pub async fn fresh_database(cluster: &PgCluster) -> String {
    use sqlx::Connection;
    let name = format!("rally_test_{}_{}", std::process::id(), NEXT_DB.fetch_add(1, Ordering::SeqCst));
    let admin = format!("postgres://postgres@127.0.0.1:{}/postgres", cluster.port);
    let mut conn = sqlx::PgConnection::connect(&admin).await.expect("connect to the test cluster");
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.expect("create a test database");
    let _ = conn.close().await;
    format!("postgres://postgres@127.0.0.1:{}/{name}", cluster.port)
}

/// The PostgreSQL tools (pg_dump, …) of the cluster, when it runs.
pub fn bin_dir_if_installed() -> Option<PathBuf> {
    cluster()?;
    bin_dir().ok()
}

fn bin_dir() -> Result<PathBuf, String> {
    if let Ok(dir) = std::env::var("RALLY_TEST_PG_BIN") {
        return Ok(PathBuf::from(dir));
    }
    let mut candidates: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|_| "initdb not found (no /usr/lib/postgresql)".to_owned())?
        .filter_map(|e| {
            let e = e.ok()?;
            let version = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    candidates.sort();
    candidates.pop().map(|(_, bin)| bin).ok_or_else(|| "initdb not found under /usr/lib/postgresql/*/bin".to_owned())
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// PostgreSQL refuses to run as root, so as root its tools run as `postgres`.
fn pg_command(bin: &Path, tool: &str, as_postgres: bool) -> Command {
    if as_postgres {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin.join(tool));
        c
    } else {
        Command::new(bin.join(tool))
    }
}

fn run(mut cmd: Command, what: &str) -> Result<(), String> {
    let out = cmd.stdin(Stdio::null()).output().map_err(|e| format!("{what}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("{what} failed: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
    }
}

fn start() -> Result<PgCluster, String> {
    let bin = bin_dir()?;
    let root = is_root();
    let dir = std::env::temp_dir().join(format!("rally-pg-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
    if root {
        run(
            {
                let mut c = Command::new("chown");
                c.args(["-R", "postgres:postgres"]).arg(&dir);
                c
            },
            "chown the cluster directory",
        )?;
    }
    let data = dir.join("data");
    let mut initdb = pg_command(&bin, "initdb", root);
    initdb.arg("-D").arg(&data).args(["-U", "postgres", "--auth=trust", "--encoding=UTF8", "--no-locale", "--no-sync"]);
    run(initdb, "initdb")?;

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| format!("find a free port: {e}"))?
        .port();
    let options = format!(
        "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off \
         -c full_page_writes=off -c max_connections=200",
        dir.display()
    );
    let mut pg_ctl = pg_command(&bin, "pg_ctl", root);
    pg_ctl.arg("-D").arg(&data).args(["-o", &options, "-l"]).arg(dir.join("server.log")).args(["-w", "start"]);
    run(pg_ctl, "pg_ctl start")?;

    // Stop and remove the cluster when this test process is gone, however it ends.
    let stop = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; {runas}{pg_ctl} -D {data} -m immediate stop >/dev/null 2>&1; rm -rf {dir}",
        pid = std::process::id(),
        runas = if root { "runuser -u postgres -- " } else { "" },
        pg_ctl = bin.join("pg_ctl").display(),
        data = data.display(),
        dir = dir.display(),
    );
    Command::new("sh")
        .args(["-c", &stop])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("start the cluster watchdog: {e}"))?;
    Ok(PgCluster { port })
}
