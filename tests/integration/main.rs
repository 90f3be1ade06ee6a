//! The integration tests, one binary (one link of the crate instead of one per file): each
//! module is one area, named like the file it lives in (`layer::replayed_callback_is_rejected`).
//! Shared helpers: `common` (the test app, a cookie-keeping browser), `driver` (the load driver
//! and private Redis servers, shared with `benches/login_load.rs`) and `site` (the example site).

mod common;
#[path = "../../benches/login_load/driver.rs"]
mod driver;
#[path = "../../examples/login_site/site.rs"]
mod site;

mod api;
mod api_log;
mod axum_login;
mod browser;
mod channel_token;
mod channels;
mod compliance;
mod email;
mod friendship;
mod i18n;
mod id_token;
mod in_app_browser;
mod instances;
mod layer;
mod line_session;
mod link;
mod link_sql;
mod login_logs;
mod login_site;
mod logs;
mod profile_plus;
mod simulator;
mod site_i18n;
mod token_doors;
mod token_login;
