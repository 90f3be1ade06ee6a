//! Runs the LINE Login simulator until Ctrl-C and prints what a relying party needs to use it.
//!
//! ```text
//! cargo run --example line_simulator
//! ```
//!
//! Optional environment: `LINE_SIM_BIND` (default `127.0.0.1:0`, a free port),
//! `LINE_SIM_CHANNEL_ID`, `LINE_SIM_CHANNEL_SECRET` and `LINE_SIM_REDIRECT_URIS`
//! (comma-separated callback URLs; none means any loopback URL is accepted).

use line_login_simulator::{Simulator, SimulatorOptions};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();

    let mut options = SimulatorOptions::default();
    if let Ok(bind) = std::env::var("LINE_SIM_BIND") {
        options.bind = bind.parse()?;
    }
    if let Ok(id) = std::env::var("LINE_SIM_CHANNEL_ID") {
        options.channel_id = id;
    }
    if let Ok(secret) = std::env::var("LINE_SIM_CHANNEL_SECRET") {
        options.channel_secret = secret;
    }
    if let Ok(list) = std::env::var("LINE_SIM_REDIRECT_URIS") {
        options.redirect_uris = list
            .split(',')
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(str::to_owned)
            .collect();
    }

    let sim = Simulator::start_with(options).await?;
    println!("LINE Login simulator running at {}", sim.base_url());
    println!("channel id:     {}", sim.channel_id());
    println!("channel secret: {}", sim.channel_secret());
    println!("LIFF channel:   {}", sim.liff_channel_id());
    println!("issuer:         {}", sim.issuer());
    println!("test users:");
    for user in sim.users() {
        println!("  {:<6} {}", user.name, user.user_id);
    }
    println!();
    println!("For a relying party using Config::from_env:");
    println!("  LINE_LOGIN_CHANNEL_ID={}", sim.channel_id());
    println!("  LINE_LOGIN_CHANNEL_SECRET={}", sim.channel_secret());
    println!("  LINE_LOGIN_ACCESS_BASE={}", sim.base_url());
    println!("  LINE_LOGIN_API_BASE={}", sim.base_url());
    println!("  LINE_LOGIN_ISSUER={}", sim.issuer());
    println!("  LINE_LOGIN_TOKEN_AUDIENCES={}", sim.liff_channel_id());
    println!();
    println!("Press Ctrl-C to stop.");

    tokio::signal::ctrl_c().await?;
    sim.shutdown();
    println!("stopped");
    Ok(())
}
