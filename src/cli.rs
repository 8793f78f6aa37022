//! The `rally` command line. Every failure ends as one line on stderr and a
//! non-zero exit; flags are all parsed before anything is opened or written.

use std::io::{BufRead, IsTerminal, Write};
use std::net::SocketAddr;
use std::sync::Arc;

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
    Demo,
    /// Manage team members.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// The official working-day calendar.
    #[command(subcommand)]
    Calendar(CalendarCommand),
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
    /// Set a new password for a user (read from standard input); their sessions end.
    Password {
        #[arg(long)]
        email: String,
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
        Command::Demo => {
            let store = Store::open_and_migrate(&url).await?;
            load_demo(&store).await
        }
        Command::User(UserCommand::Add { email, name, role, region }) => {
            let password = read_password()?;
            let store = Store::open_and_migrate(&url).await?;
            let input = ops::users::AddUser { email, name, role, region, password };
            ops::users::add_user(&store, None, input.clone()).await.map_err(cli_error)?;
            println!("added {} ({})", input.email.trim().to_lowercase(), input.role.trim().to_lowercase());
            Ok(())
        }
        Command::User(UserCommand::Password { email }) => {
            let password = read_password()?;
            let store = Store::open_and_migrate(&url).await?;
            ops::users::set_password_by_email(&store, &email, &password).await.map_err(cli_error)?;
            println!("password set for {}; their sessions have ended", email.trim().to_lowercase());
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
        Command::Calendar(CalendarCommand::Import { file }) => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let store = Store::open_and_migrate(&url).await?;
            let years = ops::campaigns::import_calendar(&store, None, &text).await.map_err(cli_error)?;
            let shown: Vec<String> = years.iter().map(i32::to_string).collect();
            println!("imported the official schedule for {}", shown.join(", "));
            Ok(())
        }
        Command::Calendar(CalendarCommand::List) => {
            let store = Store::open_and_migrate(&url).await?;
            let cal = ops::campaigns::calendar(&store).await?;
            for year in cal.years() {
                let source = cal.year(year).and_then(|y| y.source.as_ref()).map_or("-", |s| s.title.as_str());
                let status = if cal.covers(year) { "official" } else { "not announced (Mon-Fri assumed)" };
                println!("{year}  {status:<32} {source}");
            }
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
    let store = Store::open_and_migrate(url).await?;
    if args.demo {
        load_demo(&store).await?;
    }
    let listener = TcpListener::bind(addr).await.with_context(|| format!("cannot listen on {addr}"))?;
    let local = listener.local_addr()?;
    let state = AppState { store: store.clone(), config: Arc::new(AppConfig { secure_cookies: args.secure_cookies }) };
    tracing::info!(%local, database = %url, "serving");
    println!("Rally 快响 is running at http://{local}  (database: {url}; stop with Ctrl+C)");
    crate::app::serve(listener, state, shutdown_signal()).await.context("the server stopped")?;
    store.close().await;
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
