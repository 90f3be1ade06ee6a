//! Prints the LINE guideline compliance report for the example login site's default setup: the
//! built-in simulator's channel with `email` and the add-friend option (`bot_prompt=normal`),
//! member links served by the layer with their unlink route, and API logs in `tracing` only.
//!
//! ```sh
//! cargo run --example compliance_report              # text, for a terminal
//! cargo run --example compliance_report -- markdown  # to attach to a LINE review
//! cargo run --example compliance_report -- json      # for CI
//! ```
//!
//! Exits with status 1 when an item needs action, 2 on a bad argument.

use std::process::ExitCode;

use line_login::compliance::{ReportFormat, Status};
use line_login::link::{MemberInSession, MemoryLinks};
use line_login::{BotPrompt, LineLoginLayer};
use line_login_simulator::Simulator;

/// Where the example site serves its callback by default (`LOGIN_SITE_BIND` 127.0.0.1:3000).
const SITE_REDIRECT_URI: &str = "http://127.0.0.1:3000/auth/line/callback";

#[tokio::main]
async fn main() -> Result<ExitCode, Box<dyn std::error::Error>> {
    let format = match std::env::args().nth(1) {
        None => ReportFormat::Text,
        Some(arg) => match arg.parse::<ReportFormat>() {
            Ok(format) => format,
            Err(error) => {
                eprintln!(
                    "{error}\nusage: cargo run --example compliance_report -- [text|markdown|json]"
                );
                return Ok(ExitCode::from(2));
            }
        },
    };

    // The same configuration as the example site in offline mode (`site::simulator_config`).
    let simulator = Simulator::start().await?;
    let config = simulator
        .config_builder(SITE_REDIRECT_URI)
        .email(true)
        .bot_prompt(BotPrompt::Normal)
        .build()?;
    // The site's layer: member links (SQLite there; the store does not change the report) with
    // the layer's own link and unlink routes.
    let layer = LineLoginLayer::new(config)?.member_links(
        MemoryLinks::<String>::default(),
        MemberInSession("member_id"),
    );
    let report = layer.compliance().build();

    print!("{}", report.render(format));
    Ok(if report.worst() == Status::ActionNeeded {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
