//! LINE's two other logs: every authorization request and every callback reach the API log
//! sink (tracing by default, SQL with retention), codes and states only as keyed hashes, raw
//! values only on an opt-in the compliance report flags.

use crate::common;

use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{AppOptions, Browser, TestApp, start_app_with};
use line_login::LineLoginLayer;
use line_login::api::{ApiCallRecord, ApiLogSink};
use line_login::api_log::{ApiLogOptions, SqlApiLogSink};
use line_login::compliance::Status;
use line_login::login_log::{AuthorizationRecord, CallbackRecord, LogHasher};
use line_login_simulator::ConsentChoice;
use url::Url;

#[derive(Default)]
struct Collect {
    authorizations: Mutex<Vec<AuthorizationRecord>>,
    callbacks: Mutex<Vec<CallbackRecord>>,
    calls: Mutex<usize>,
}

impl ApiLogSink for Collect {
    fn record(&self, _record: &ApiCallRecord) {
        *self.calls.lock().unwrap() += 1;
    }
    fn record_authorization(&self, record: &AuthorizationRecord) {
        self.authorizations.lock().unwrap().push(record.clone());
    }
    fn record_callback(&self, record: &CallbackRecord) {
        self.callbacks.lock().unwrap().push(record.clone());
    }
}

fn param(url: &str, name: &str) -> String {
    Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

async fn app_with_sink(sink: Arc<dyn ApiLogSink>, raw: bool) -> TestApp {
    start_app_with(AppOptions::default().layer(move |layer| {
        LineLoginLayer::with_api(layer.api().clone().with_log_sink(sink)).log_raw_login_values(raw)
    }))
    .await
}

#[tokio::test]
async fn the_layer_logs_every_authorization_request_and_callback_to_the_sink() {
    let sink = Arc::new(Collect::default());
    let app = app_with_sink(sink.clone(), false).await;
    let hasher = LogHasher::new(&app.config);
    let browser = Browser::new();
    let authorize = app.start_login(&browser, "").await;
    let state = param(&authorize, "state");
    let callback = app.consent(&authorize, app.choice(&app.first_user())).await;
    let code = param(&callback, "code");
    browser.get_cross_site(&callback).await;
    // A cancelled login and a forged callback are logged too.
    let authorize2 = app.start_login(&browser, "").await;
    let cancel = app.consent(&authorize2, ConsentChoice::deny()).await;
    browser.get_cross_site(&cancel).await;
    browser
        .get(&app.url("/auth/line/callback?code=x%0Aforged&state=y"))
        .await;

    let authorizations = sink.authorizations.lock().unwrap().clone();
    assert_eq!(authorizations.len(), 2);
    let first = &authorizations[0];
    assert_eq!(first.state_hash, hasher.hash(&state));
    assert_eq!(first.purpose, "login");
    assert!(
        first
            .url
            .starts_with(&format!("{}oauth2/v2.1/authorize?", app.sim.base_url()))
    );
    assert!(
        first.url.contains("client_id=") && first.url.contains("redirect_uri="),
        "{}",
        first.url
    );
    for secret in [
        &state,
        &param(&authorize, "nonce"),
        &param(&authorize, "code_challenge"),
    ] {
        assert!(!first.url.contains(secret.as_str()), "{}", first.url);
    }
    assert_eq!(first.raw_url, None);

    let callbacks = sink.callbacks.lock().unwrap().clone();
    assert_eq!(callbacks.len(), 3);
    assert_eq!(callbacks[0].method, "GET");
    assert_eq!(callbacks[0].parameters, "code,state");
    assert_eq!(
        callbacks[0].code_hash.as_deref(),
        Some(hasher.hash(&code).as_str())
    );
    assert_eq!(
        callbacks[0].state_hash.as_deref(),
        Some(hasher.hash(&state).as_str())
    );
    assert_eq!(callbacks[1].error.as_deref(), Some("ACCESS_DENIED"));
    assert!(
        callbacks[1].parameters.starts_with("error,"),
        "{}",
        callbacks[1].parameters
    );
    let shown = format!("{callbacks:?}");
    assert!(!shown.contains(&code) && !shown.contains(&state), "{shown}");
    assert!(!shown.contains("forged"), "{shown}");
    // The API calls still reach the same sink.
    assert!(*sink.calls.lock().unwrap() >= 1);
}

#[tokio::test]
async fn raw_login_values_are_an_opt_in_the_report_flags() {
    let sink = Arc::new(Collect::default());
    let app = app_with_sink(sink.clone(), true).await;
    let browser = Browser::new();
    let authorize = app.start_login(&browser, "").await;
    let callback = app.consent(&authorize, app.choice(&app.first_user())).await;
    browser.get_cross_site(&callback).await;
    let code = param(&callback, "code");
    let authorizations = sink.authorizations.lock().unwrap().clone();
    assert_eq!(
        authorizations[0].raw_url.as_deref(),
        Some(authorize.as_str())
    );
    let callbacks = sink.callbacks.lock().unwrap().clone();
    assert!(callbacks[0].raw_query.as_deref().unwrap().contains(&code));

    let api = line_login::LineApi::new(&app.config).unwrap();
    let raw = LineLoginLayer::with_api(api.clone()).log_raw_login_values(true);
    let report = raw.compliance().build();
    for id in ["authorization_logs", "callback_logs"] {
        assert_eq!(
            report.item(id).unwrap().status,
            Status::ActionNeeded,
            "{id}"
        );
    }
    assert!(raw.compliance().build().check().is_err());
    let report = LineLoginLayer::with_api(api).compliance().build();
    for id in ["authorization_logs", "callback_logs", "api_logs"] {
        assert_eq!(report.item(id).unwrap().status, Status::Warning, "{id}");
    }
}

/// A whole login and a cancel through a layer whose API log sink is `sink`; returns the state
/// and code of the login.
async fn login_through(sink: SqlApiLogSink) -> (TestApp, String, String) {
    let app = app_with_sink(Arc::new(sink.clone()), false).await;
    let browser = Browser::new();
    let authorize = app.start_login(&browser, "").await;
    let callback = app.consent(&authorize, app.choice(&app.first_user())).await;
    browser.get_cross_site(&callback).await;
    let state = param(&authorize, "state");
    let code = param(&callback, "code");
    sink.flush().await.unwrap();
    (app, state, code)
}

async fn check_stored(sink: &SqlApiLogSink, app: &TestApp, state: &str, code: &str) {
    let hasher = LogHasher::new(&app.config);
    let authorizations = sink.recent_authorizations(10).await.unwrap();
    assert_eq!(authorizations.len(), 1);
    assert_eq!(authorizations[0].state_hash, hasher.hash(state));
    assert!(!authorizations[0].url.contains(state));
    assert_eq!(authorizations[0].raw_url, None);
    let callbacks = sink.recent_callbacks(10).await.unwrap();
    assert_eq!(callbacks.len(), 1);
    assert_eq!(callbacks[0].parameters, "code,state");
    assert_eq!(
        callbacks[0].code_hash.as_deref(),
        Some(hasher.hash(code).as_str())
    );
    assert_eq!(callbacks[0].raw_query, None);
    assert!(
        !sink.recent(10).await.unwrap().is_empty(),
        "API calls kept beside them"
    );
    // The retention purge removes all three logs.
    let purged = sink
        .purge_before(time::OffsetDateTime::now_utc() + time::Duration::seconds(5))
        .await
        .unwrap();
    assert!(purged >= 3, "{purged}");
    assert!(sink.recent_authorizations(10).await.unwrap().is_empty());
    assert!(sink.recent_callbacks(10).await.unwrap().is_empty());
}

#[tokio::test]
async fn sqlite_keeps_authorization_and_callback_records_and_purges_them() {
    let sink = SqlApiLogSink::connect("sqlite::memory:", ApiLogOptions::default())
        .await
        .unwrap();
    // The report sees the three logs kept by a persistent sink.
    let config = line_login::Config::builder("1234567890", "s", "https://example.com/cb")
        .build()
        .unwrap();
    let api = line_login::LineApi::new(&config)
        .unwrap()
        .with_log_sink(Arc::new(sink.clone()));
    let report = LineLoginLayer::with_api(api).compliance().build();
    for id in ["authorization_logs", "callback_logs", "api_logs"] {
        assert_eq!(report.item(id).unwrap().status, Status::Ok, "{id}");
    }
    let (app, state, code) = login_through(sink.clone()).await;
    check_stored(&sink, &app, &state, &code).await;
}

#[tokio::test]
async fn postgres_keeps_authorization_and_callback_records_and_purges_them() {
    use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
    let url = std::env::var("LINE_LOGIN_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres:postgres@127.0.0.1:5432/postgres".into());
    let connect = PgConnectOptions::from_str(&url).unwrap();
    let admin = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(connect.clone())
        .await
        .expect("PostgreSQL is reachable");
    let schema = format!(
        "line_login_login_logs_{}_{}",
        std::process::id(),
        rand::random::<u32>()
    );
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&admin)
        .await
        .unwrap();
    let pool = PgPoolOptions::new()
        .max_connections(2)
        .connect_with(connect.options([("search_path", schema.as_str())]))
        .await
        .unwrap();
    let sink = SqlApiLogSink::postgres(pool.clone(), ApiLogOptions::default())
        .await
        .unwrap();
    let (app, state, code) = login_through(sink.clone()).await;
    check_stored(&sink, &app, &state, &code).await;
    pool.close().await;
    sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
        .execute(&admin)
        .await
        .unwrap();
}
