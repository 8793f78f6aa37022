//! The `rally` command line. Every failure ends as one line on stderr and a
//! non-zero exit; flags are all parsed before anything is opened or written.

use std::io::{BufRead, IsTerminal, Write};
use std::net::SocketAddr;

use anyhow::{Context, bail};
use clap::{ArgAction, Args, Parser, Subcommand};
use tokio::net::TcpListener;

use crate::app::{AppConfig, AppState};
use crate::config::DatabaseUrl;
use crate::ops::{self, OpsError};
use crate::store::Store;
use crate::store::demo::DemoOutcome;

#[derive(Debug, Parser)]
#[command(name = "rally", version, about = "Rally (快响): sales-process management for market-campaign rapid response")]
pub struct Cli {
    /// Database: sqlite://PATH (embedded, the default) or postgres://USER:PASSWORD@HOST:PORT/DB.
    #[arg(
        long,
        global = true,
        env = "RALLY_DATABASE_URL",
        default_value = "sqlite://rally.db",
        hide_env_values = true
    )]
    pub database_url: String,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web server (pages and JSON API); migrates the database first.
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Load the demo data set (idempotent: a second run changes nothing).
    Demo(DemoArgs),
    /// Manage team members.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Import customers or follow-up records from a CSV (UTF-8 or GBK) or XLSX file.
    #[command(subcommand)]
    Import(ImportCommand),
    /// The official working-day calendar.
    #[command(subcommand)]
    Calendar(CalendarCommand),
    /// The notification queue: run due jobs once (for cron and tests), or list them.
    #[command(subcommand)]
    Jobs(JobsCommand),
    /// Copy the SQLite database into a new FILE, safely while servers run (PostgreSQL: use pg_dump).
    Backup {
        /// The backup file to create; an existing file is never overwritten.
        file: std::path::PathBuf,
    },
    /// Restore a backup FILE onto the SQLite database of --database-url (PostgreSQL: use pg_restore).
    Restore {
        /// A file made by `rally backup`.
        file: std::path::PathBuf,
        /// Replace a database that already holds data (stop its servers first).
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum CalendarCommand {
    /// Import a newly announced year (a JSON file in the format of data/cn-workcalendar.json).
    Import {
        /// The calendar file.
        file: std::path::PathBuf,
    },
    /// List the years the calendar knows and where each comes from.
    List,
}

#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// Make today's due reminders, send every due message, record the outcomes, and exit.
    Run,
    /// List queued, running and dead jobs (oldest first).
    List {
        /// Only the dead jobs (retry them on 设置 → 通知 or with POST /api/v1/jobs/{id}/retry).
        #[arg(long)]
        dead: bool,
    },
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Also generate this many customers beside the demo, spread over the
    /// regions and owned by their reps (deterministic: the same number gives
    /// the same data), for benchmarks at scale; once per database.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub customers: Option<u64>,
    /// Interactions per generated customer (their dates decide the tiers).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(0..=1_000), requires = "customers")]
    pub interactions_per_customer: u64,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "RALLY_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: String,
    /// Load the demo data set before serving and print its sign-in accounts.
    #[arg(long, env = "RALLY_DEMO", action = ArgAction::SetTrue, value_parser = clap::builder::BoolishValueParser::new())]
    pub demo: bool,
    /// Mark session cookies Secure (set this when Rally is served over HTTPS).
    #[arg(long, env = "RALLY_SECURE_COOKIES", action = ArgAction::SetTrue, value_parser = clap::builder::BoolishValueParser::new())]
    pub secure_cookies: bool,
    /// Do not send notifications or make reminders from this server (another server or cron does).
    #[arg(long, env = "RALLY_NO_WORKERS", action = ArgAction::SetTrue, value_parser = clap::builder::BoolishValueParser::new())]
    pub no_workers: bool,
    /// Seconds a server's claim on a job lasts; after a crash, other servers send its messages once it ends.
    #[arg(long, env = "RALLY_JOB_LEASE_SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u32).range(1..=3600))]
    pub job_lease_seconds: u32,
    /// Reverse proxies (addresses or networks, comma-separated, e.g. 127.0.0.1,10.0.0.0/8) whose
    /// X-Forwarded-For names the client for sign-in throttling; by default the header is ignored.
    #[arg(long, env = "RALLY_TRUSTED_PROXIES", default_value = "")]
    pub trusted_proxies: String,
    /// Requests worked on at once; the others wait their turn in arrival order (0: no limit).
    #[arg(long, env = "RALLY_MAX_ACTIVE_REQUESTS", default_value_t = crate::web::admission::DEFAULT_MAX_ACTIVE_REQUESTS,
          value_parser = clap::value_parser!(u32).range(0..=100_000))]
    pub max_active_requests: u32,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a team member; the password is read from standard input (one line).
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// admin, lead, rep, marketing, service, support or viewer.
        #[arg(long)]
        role: String,
        /// The rep's region (华东, 华南, 华北, 华中, 西南, 西北, 东北 by default).
        #[arg(long)]
        region: Option<String>,
    },
    /// Set a new password for a user (read from standard input); their sessions end and their
    /// API tokens are revoked unless --keep-tokens.
    Password {
        #[arg(long)]
        email: String,
        /// Keep the user's API tokens working.
        #[arg(long)]
        keep_tokens: bool,
    },
    /// List the team.
    List,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Print a new API bearer token for a user (stored hashed; shown only now).
    Create {
        #[arg(long)]
        email: String,
        /// A label to recognise the token by later.
        #[arg(long, default_value = "cli")]
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import customers. Headers in Chinese or English: 客户名称/name, 统一社会信用代码/credit_code,
    /// 所属行业/industry, 区域/region, 城市/city, 年采购额/annual_purchase, 联系人/contact, 电话/phone,
    /// 邮箱/email, 负责人/owner (a rep's e-mail), 标签/tags, 痛点/pain_points, 来源/source.
    Customers(ImportArgs),
    /// Import follow-up records. Headers: 客户名称/customer or 统一社会信用代码/credit_code, 日期/date,
    /// 方式/channel, 类型/kind, 备注/note, 金额/amount.
    Interactions(ImportArgs),
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The file to import (.csv or .xlsx; the format is read from the content).
    pub file: std::path::PathBuf,
    /// Check the file against the database and report; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Import the good rows even when some rows are bad (by default one bad row imports nothing).
    #[arg(long)]
    pub partial: bool,
    /// What to do with a row that is a customer already stored: skip it, or update the customer with it.
    #[arg(long, value_name = "skip|update", default_value = "skip", value_parser = ["skip", "update"])]
    pub on_duplicate: String,
    /// Import as this team member: their role's rules apply (a rep's new customers are theirs).
    #[arg(long = "as", value_name = "EMAIL")]
    pub as_user: Option<String>,
    /// The channel partner who supplied the list; it becomes the new customers' source.
    #[arg(long, value_name = "NAME")]
    pub partner: Option<String>,
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let url = DatabaseUrl::parse(&cli.database_url)?;
    match cli.command {
        Command::Serve(args) => serve(&url, args).await,
        Command::Migrate => {
            let store = Store::open(&url).await?;
            let applied = store.migrate().await?;
            println!("database {url} is up to date ({applied} migration(s) applied now)");
            Ok(())
        }
        Command::Demo(args) => {
            let store = Store::open_and_migrate(&url).await?;
            load_demo(&store).await?;
            match args.customers {
                Some(customers) => {
                    load_scale(&store, customers as usize, args.interactions_per_customer as usize).await
                }
                None => Ok(()),
            }
        }
        Command::User(UserCommand::Add { email, name, role, region }) => {
            let password = read_password()?;
            let store = Store::open_and_migrate(&url).await?;
            let input = ops::users::AddUser { email, name, role, region, password };
            ops::users::add_user(&store, None, input.clone()).await.map_err(cli_error)?;
            println!("added {} ({})", input.email.trim().to_lowercase(), input.role.trim().to_lowercase());
            Ok(())
        }
        Command::User(UserCommand::Password { email, keep_tokens }) => {
            let password = read_password()?;
            let store = Store::open_and_migrate(&url).await?;
            ops::users::set_password_by_email(&store, &email, &password, keep_tokens).await.map_err(cli_error)?;
            let tokens = if keep_tokens { "their API tokens still work" } else { "their API tokens are revoked" };
            println!("password set for {}; their sessions have ended and {tokens}", email.trim().to_lowercase());
            Ok(())
        }
        Command::User(UserCommand::List) => {
            let store = Store::open_and_migrate(&url).await?;
            for u in store.users().await? {
                let status = if u.active { "" } else { "  (disabled)" };
                println!("{:<30} {:<10} {:<6} {}{status}", u.email, u.role, u.region.as_deref().unwrap_or("-"), u.name);
            }
            Ok(())
        }
        Command::Import(ImportCommand::Customers(args)) => {
            run_import(&url, crate::io::ImportKind::Customers, args).await
        }
        Command::Import(ImportCommand::Interactions(args)) => {
            run_import(&url, crate::io::ImportKind::Interactions, args).await
        }
        Command::Calendar(CalendarCommand::Import { file }) => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let store = Store::open_and_migrate(&url).await?;
            let years = ops::calendar::import_calendar(&store, None, &text).await.map_err(cli_error)?;
            let shown: Vec<String> = years.iter().map(i32::to_string).collect();
            println!("imported the official schedule for {}", shown.join(", "));
            Ok(())
        }
        Command::Calendar(CalendarCommand::List) => {
            let store = Store::open_and_migrate(&url).await?;
            let cal = ops::calendar::calendar(&store).await?;
            for year in cal.years() {
                let source = cal.year(year).and_then(|y| y.source.as_ref()).map_or("-", |s| s.title.as_str());
                let status = if cal.covers(year) { "official" } else { "not announced (Mon-Fri assumed)" };
                println!("{year}  {status:<32} {source}");
            }
            Ok(())
        }
        Command::Jobs(JobsCommand::Run) => {
            let store = Store::open_and_migrate(&url).await?;
            let made = ops::notify::reminders::scan(&store).await?;
            let worker = ops::notify::queue::Worker::new("cli");
            let report = ops::notify::queue::run(&store, &worker, None).await?;
            println!(
                "reminders made {made}; sent {}, retrying {}, dead {}, held for rate limits {}, taken over from stopped workers {}",
                report.sent, report.retried, report.dead, report.postponed, report.reaped
            );
            store.close().await;
            Ok(())
        }
        Command::Jobs(JobsCommand::List { dead }) => {
            let store = Store::open_and_migrate(&url).await?;
            let mut after = None;
            let mut shown = 0;
            loop {
                let page = store.jobs(dead, after, 1000).await?;
                let Some(last) = page.last() else { break };
                after = Some(last.id);
                for j in &page {
                    println!(
                        "{:>8}  {:<8} {:<7} {}  attempt {}/{}  {}",
                        j.id,
                        j.status,
                        j.kind,
                        j.run_at.with_timezone(&crate::clock::china_offset()).format("%Y-%m-%d %H:%M:%S"),
                        j.attempts,
                        j.max_attempts,
                        j.last_error.as_deref().unwrap_or("")
                    );
                }
                shown += page.len();
            }
            let counts = store.job_counts().await?;
            let count = |s: &str| counts.get(s).copied().unwrap_or(0);
            println!(
                "{shown} job(s) shown; queued {}, running {}, dead {}",
                count("queued"),
                count("running"),
                count("dead")
            );
            Ok(())
        }
        Command::Backup { file } => {
            let report = ops::backup::backup(&url, &file).await?;
            println!(
                "backed up {url} to {} ({:.1} MB): {}",
                file.display(),
                report.bytes as f64 / 1_048_576.0,
                report.contents
            );
            Ok(())
        }
        Command::Restore { file, force } => {
            let report = ops::backup::restore(&file, &url, force).await?;
            let replaced = if report.replaced { ", replacing the database that was there" } else { "" };
            println!(
                "restored {} onto {url} ({} migration(s) applied{replaced}): {}",
                file.display(),
                report.migrated,
                report.contents
            );
            Ok(())
        }
        Command::Token(TokenCommand::Create { email, name }) => {
            let store = Store::open_and_migrate(&url).await?;
            let token = ops::users::create_token(&store, &email, &name).await.map_err(cli_error)?;
            println!("{token}");
            Ok(())
        }
    }
}

/// Validation errors name the flag that carries the field.
fn cli_error(err: OpsError) -> anyhow::Error {
    match err {
        OpsError::Invalid { field, message } => anyhow::anyhow!("--{field}: {message}"),
        other => other.into(),
    }
}

/// `rally import …`: reads and maps the file before opening the database
/// (a bad file or flag touches nothing), runs the import with a progress bar
/// on large files, prints every bad row and the summary, and fails when the
/// file is rejected.
async fn run_import(url: &DatabaseUrl, kind: crate::io::ImportKind, args: ImportArgs) -> anyhow::Result<()> {
    use crate::ops::import::{self as import, ImportError, ImportOptions, ImportStatus, Importer, Stage};

    let started = std::time::Instant::now();
    let phase =
        |name: &str| tracing::debug!(phase = name, elapsed_ms = started.elapsed().as_millis() as u64, "import command");
    let shown = args.file.display().to_string();
    let size = std::fs::metadata(&args.file).with_context(|| format!("cannot read {shown}"))?.len();
    let on_duplicate = args.on_duplicate.parse().map_err(cli_error)?;
    let large = size >= LARGE_FILE_BYTES;
    let file_error = |e: ImportError| match e {
        ImportError::File(e) => anyhow::anyhow!("{shown}: {e}"),
        ImportError::Mapping(e) => anyhow::anyhow!("{shown}: {e}"),
        ImportError::Ops(e) => cli_error(e),
        ImportError::Busy(e) => anyhow::anyhow!("{e}"),
    };
    // A CSV file is read from disk as the import goes, never held whole.
    let prepared = import::prepare_file(kind, &args.file, None).map_err(file_error)?;
    prepared.mapping.check(kind).map_err(|e| file_error(e.into()))?;
    phase("prepared");

    let store = Store::open_and_migrate(url).await?;
    phase("opened");
    let importer = match &args.as_user {
        None => Importer::operator(),
        Some(email) => {
            let user = store
                .user_by_email(email)
                .await?
                .ok_or_else(|| anyhow::anyhow!("--as: no user with e-mail {}", email.trim().to_lowercase()))?;
            if !user.active {
                bail!("--as: {} is disabled", user.email);
            }
            let actor = ops::authz::Actor::from(user);
            if import::authorize(&actor).is_err() {
                bail!("--as: {} is a {} and may not import", actor.email, actor.role);
            }
            Importer::cli_as(actor)
        }
    };
    let mut options = ImportOptions::new(crate::clock::today());
    options.dry_run = args.dry_run;
    options.partial = args.partial;
    options.on_duplicate = on_duplicate;
    options.partner = args.partner.clone();

    // Large files get a progress bar on stderr, and only on a terminal, so
    // pipes and logs see the report alone.
    // A customer list streams: its row count is an estimate until the end.
    let bar = if std::io::stderr().is_terminal() && large {
        let bar = indicatif::ProgressBar::new(0);
        let template = "{msg:>8} [{bar:40}] {human_pos}/{human_len} rows · {per_sec} · {elapsed} · ETA {eta}";
        if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };
    let ticker = bar.clone();
    let progress = move |stage: Stage, done: u64, total: u64| {
        ticker.set_length(total);
        ticker.set_position(done);
        ticker.set_message(match stage {
            Stage::Checking => "checking",
            Stage::Writing => "writing",
        });
    };
    let result = import::run(&store, &importer, prepared, &options, &progress).await;
    bar.finish_and_clear();
    phase("imported");
    store.close().await;
    phase("closed");
    let report = result.map_err(file_error)?;

    let mut out = std::io::stdout().lock();
    for e in &report.errors {
        writeln!(out, "row {}, column {}: {} ({})", e.row, e.column, e.message, e.code)?;
    }
    if !report.ignored_columns.is_empty() {
        writeln!(out, "ignored columns: {}", report.ignored_columns.join(", "))?;
    }
    let prefix = if report.status == ImportStatus::DryRun { "dry run, nothing written: " } else { "" };
    writeln!(
        out,
        "{prefix}created {}, updated {}, skipped {}, rejected {}",
        report.created, report.updated, report.skipped, report.rejected
    )?;
    out.flush()?;
    if report.status == ImportStatus::Rejected {
        bail!(
            "{} bad row(s); nothing was imported (fix them, or use --partial to import the good rows)",
            report.rejected
        );
    }
    Ok(())
}

/// Files from this size (about 2,000 customer rows) get a progress bar.
const LARGE_FILE_BYTES: u64 = 256 * 1024;

fn read_password() -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("password (one line): ");
        std::io::stderr().flush().ok();
    }
    let mut line = String::new();
    let read = stdin.lock().read_line(&mut line).context("cannot read the password from standard input")?;
    if read == 0 {
        bail!("no password on standard input (pipe it in: echo 'PASSWORD' | rally user add ...)");
    }
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

async fn serve(url: &DatabaseUrl, args: ServeArgs) -> anyhow::Result<()> {
    let addr: SocketAddr = args
        .addr
        .trim()
        .parse()
        .map_err(|_| anyhow::anyhow!("invalid --addr {:?}: expected IP:PORT such as 127.0.0.1:8080", args.addr))?;
    let trusted_proxies: crate::config::TrustedProxies = args.trusted_proxies.parse()?;
    let store = Store::open_and_migrate(url).await?;
    if args.demo {
        load_demo(&store).await?;
    }
    let listener = TcpListener::bind(addr).await.with_context(|| format!("cannot listen on {addr}"))?;
    let local = listener.local_addr()?;
    let config = AppConfig {
        secure_cookies: args.secure_cookies,
        notification_workers: !args.no_workers,
        job_lease_seconds: args.job_lease_seconds,
        trusted_proxies,
        max_active_requests: args.max_active_requests,
    };
    let state = AppState::new(store.clone(), config);
    tracing::info!(%local, database = %url, "serving");
    println!("Rally 快响 is running at http://{local}  (database: {url}; stop with Ctrl+C)");
    crate::app::serve(listener, state, shutdown_signal()).await.context("the server stopped")?;
    store.close().await;
    Ok(())
}

/// Generated customers beside the demo, for benchmarks at scale, with a
/// progress bar (customers per second and the time left) on a terminal.
async fn load_scale(store: &Store, customers: usize, per_customer: usize) -> anyhow::Result<()> {
    use std::io::IsTerminal;
    let bar = if std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(customers as u64);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "generating [{bar:40}] {human_pos}/{human_len} customers {per_sec} {elapsed} (ETA {eta})",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };
    let started = std::time::Instant::now();
    let ticker = bar.clone();
    let outcome = ops::demo::load_scale(store, crate::clock::today(), customers, per_customer, move |done| {
        ticker.set_position(done as u64)
    })
    .await;
    bar.finish_and_clear();
    match outcome? {
        ops::demo::ScaleOutcome::Loaded { customers, interactions } => println!(
            "generated {customers} customers with {interactions} interactions in {:.1} s",
            started.elapsed().as_secs_f64()
        ),
        ops::demo::ScaleOutcome::AlreadyLoaded => {
            println!("a generated data set is already loaded; nothing changed (use a new database for another size)")
        }
    }
    Ok(())
}

async fn load_demo(store: &Store) -> anyhow::Result<()> {
    let report = ops::demo::load(store, crate::clock::today()).await?;
    match report.base {
        DemoOutcome::Loaded { users, customers, interactions } => {
            println!("demo data loaded: {users} team members, {customers} customers, {interactions} interactions")
        }
        DemoOutcome::AlreadyLoaded if report.campaigns == 0 => println!("demo data is already loaded; nothing changed"),
        DemoOutcome::AlreadyLoaded => {}
    }
    if report.campaigns > 0 {
        println!("demo campaigns loaded: {} (one ended last month, one running, one draft)", report.campaigns);
    }
    if report.follow_ups > 0 {
        println!(
            "the running campaign is under way: {} follow-ups, tasks, requests, blockers, scripts",
            report.follow_ups
        );
    }
    println!("sign in with any of these accounts, password {}:", crate::demo::DEMO_PASSWORD);
    for (email, duty) in ops::demo::accounts() {
        println!("  {email:<26} {duty}");
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
