//! An axum-login app with "Log in with LINE" beside its password login, offline against the
//! built-in LINE simulator: `cargo run --example axum_login`, then open http://127.0.0.1:3001.
//! `alice` (password `alice-pw`) is linked to the simulator's first test user, so logging in
//! with LINE as Brown signs Alice in; `/account` needs a login, `/admin` the `admin` permission.

mod app;

use line_login::link::{LinkCause, MemberLinks as _, MemoryLinks};
use line_login_simulator::{Simulator, SimulatorOptions};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt().init();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3001").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let redirect_uri = format!("{url}/auth/line/callback");
    let sim = Simulator::start_with(SimulatorOptions {
        redirect_uris: vec![redirect_uri.clone()],
        ..SimulatorOptions::default()
    })
    .await?;
    let config = sim.config_builder(&redirect_uri).build()?;
    let links = MemoryLinks::<String>::default();
    let brown = sim.users()[0].user_id.clone();
    links
        .link(&"alice".to_owned(), &brown, None, &LinkCause::member())
        .await?;
    let router = app::app(&config, links)?;
    println!(
        "axum-login example on {url} (LINE simulator on {})",
        sim.base_url()
    );
    axum::serve(listener, router).await?;
    Ok(())
}
