//! The example login site: LINE Login, a profile page, a demo member area with link and unlink,
//! `GET /me`, a LIFF-style page (`/liff`) and the bearer API `GET /api/me`, in one command.
//!
//! ```text
//! cargo run --example login_site
//! ```
//!
//! Without LINE credentials in the environment it starts the built-in LINE simulator on a
//! loopback port and uses it (offline; every page says so). With `LINE_LOGIN_CHANNEL_ID`,
//! `LINE_LOGIN_CHANNEL_SECRET` and `LINE_LOGIN_REDIRECT_URI` set (and optionally the other
//! `LINE_LOGIN_*` variables read by `Config::from_env`) it talks to real LINE instead; register
//! `http://<LOGIN_SITE_BIND>/auth/line/callback` (or your public URL) as the channel's callback.
//!
//! Other variables:
//!
//! - `LOGIN_SITE_BIND`: where to listen (default `127.0.0.1:3000`);
//! - `DATABASE_URL`: the database of demo members and member links, `sqlite://...` (default
//!   `sqlite://login_site.db` in the working directory) or `postgres://user:password@host/db`;
//! - `SESSION_STORE_URL`: where sessions live; unset in memory (one instance only),
//!   `redis://host:6379` or `postgres://user:password@host/db` to share them between instances;
//! - `LINE_LOGIN_TOKEN_KEY`: with real LINE, the key that encrypts LINE tokens kept with member
//!   links and in sessions (`openssl rand -base64 32`); required, since the site keeps links.
//!   Offline, an ephemeral key is made at start-up (tokens are unreadable after a restart);
//! - `LINE_LOGIN_TOKEN_AUDIENCES`: with real LINE, comma-separated channel IDs of your LIFF and
//!   LINE MINI App channels whose tokens `POST /auth/line/token-login` and `GET /api/me` accept
//!   beside the login channel's (a malformed list stops the site with a clear error). Offline,
//!   the simulator's LIFF channel is accepted;
//! - `RUST_LOG`.
//!
//! Several instances can serve one site when they share a PostgreSQL `DATABASE_URL` and a Redis
//! or PostgreSQL `SESSION_STORE_URL`: a login started on one may finish on another.

mod site;

use std::net::SocketAddr;

use line_login::Config;
use line_login::store::SESSION_STORE_URL_VAR;
use line_login_simulator::{Simulator, SimulatorOptions};

/// Where the site listens unless `LOGIN_SITE_BIND` says otherwise.
const DEFAULT_BIND: &str = "127.0.0.1:3000";
/// The SQLite database used when `DATABASE_URL` is not set: a file in the working directory.
const DEFAULT_DATABASE_URL: &str = "sqlite://login_site.db";
/// The variables that select real LINE; with none of them set the simulator is used.
const CREDENTIAL_VARIABLES: [&str; 3] = [
    "LINE_LOGIN_CHANNEL_ID",
    "LINE_LOGIN_CHANNEL_SECRET",
    "LINE_LOGIN_REDIRECT_URI",
];

/// The variable's value, or `None` when it is unset or blank.
fn env_opt(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn env_or(name: &str, default: &str) -> String {
    env_opt(name).unwrap_or_else(|| default.to_owned())
}

/// What a database or store URL names, by its scheme, for the start-up lines.
fn kind_of(url: &str) -> &'static str {
    match url.split(':').next().unwrap_or_default() {
        "sqlite" => "SQLite",
        "redis" => "Redis",
        "postgres" | "postgresql" => "PostgreSQL",
        _ => "unknown",
    }
}

/// `url` safe to print: any password (in the user part or a `password` query parameter) shown as
/// `***`.
fn without_password(raw: &str) -> String {
    let Ok(mut url) = url::Url::parse(raw) else {
        return "(not shown: not a valid URL)".to_owned();
    };
    if url.password().is_some() {
        let _ = url.set_password(Some("***"));
    }
    if url.query().is_some() {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(key, value)| {
                let secret = key.to_ascii_lowercase().contains("password");
                let value = if secret { "***".into() } else { value };
                (key.into_owned(), value.into_owned())
            })
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
    }
    url.to_string()
}

/// The URL people open: the bind address, with `0.0.0.0`/`::` shown as `127.0.0.1`.
fn site_url(addr: SocketAddr) -> String {
    if addr.ip().is_unspecified() {
        format!("http://127.0.0.1:{}", addr.port())
    } else {
        format!("http://{addr}")
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .init();
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("login_site: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let bind = env_or("LOGIN_SITE_BIND", DEFAULT_BIND);
    let listener = tokio::net::TcpListener::bind(&bind)
        .await
        .map_err(|e| format!("cannot listen on {bind} (LOGIN_SITE_BIND): {e}"))?;
    let url = site_url(listener.local_addr()?);
    let database_url = env_or("DATABASE_URL", DEFAULT_DATABASE_URL);
    let session_store_url = env_opt(SESSION_STORE_URL_VAR);

    let offline = CREDENTIAL_VARIABLES
        .iter()
        .all(|name| std::env::var_os(name).is_none_or(|v| v.is_empty()));
    let (config, simulator) = if offline {
        let redirect_uri = format!("{url}/auth/line/callback");
        let sim = Simulator::start_with(SimulatorOptions {
            redirect_uris: std::iter::once(redirect_uri.clone())
                .chain(site::localhost_twin(&redirect_uri))
                .collect(),
            ..SimulatorOptions::default()
        })
        .await?;
        let config = site::simulator_config(&sim, &redirect_uri)?;
        let key_id = config.token_keys().map(|ring| ring.current_id().to_owned());
        tracing::info!(
            key_id = key_id.as_deref().unwrap_or("none"),
            "offline mode: LINE tokens at rest are encrypted with an ephemeral key made at start-up"
        );
        (config, Some(sim))
    } else {
        let config = Config::from_env().map_err(|e| format!("LINE Login configuration: {e}"))?;
        if config.redirect_uri().path() != "/auth/line/callback" {
            tracing::warn!(
                redirect_uri = %config.redirect_uri(),
                "this site serves its callback at /auth/line/callback; LINE_LOGIN_REDIRECT_URI should end with it"
            );
        }
        (config, None)
    };

    let app = site::router(site::SiteOptions {
        config: config.clone(),
        database_url: database_url.clone(),
        session_store_url: session_store_url.clone(),
        simulator: simulator.clone(),
    })
    .await?;

    println!();
    println!("  Example login site: {url}/");
    if let Some(twin) = site::localhost_twin(&format!("{url}/")) {
        println!("  also on {twin} (the same channel, its own callback URL)");
    }
    match &simulator {
        Some(sim) => {
            println!("  Offline mode: no LINE credentials in the environment, so logins go to");
            println!("  the built-in LINE simulator at {}", sim.base_url());
            println!("  LINE tokens are encrypted with an ephemeral key made at start-up: after a");
            println!("  restart, stored tokens cannot be read and users log in again");
        }
        None => println!(
            "  LINE Login channel {} at {}",
            config.channel_id(),
            config.access_base()
        ),
    }
    println!(
        "  Members and member links: {} at {}",
        kind_of(&database_url),
        without_password(&database_url)
    );
    match &session_store_url {
        Some(store) => println!(
            "  Sessions: {} at {} (shared by every instance using it)",
            kind_of(store),
            without_password(store)
        ),
        None => {
            println!("  Sessions: in memory (this process only; set SESSION_STORE_URL to share)")
        }
    }
    println!("  Press Ctrl-C to stop.");
    println!();

    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    if let Some(sim) = simulator {
        sim.shutdown();
    }
    Ok(())
}
