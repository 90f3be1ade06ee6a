//! The login layer's rules, one test each, against the LINE simulator. Every rejection also
//! checks that nobody is logged in and, where the rule says "before any token request", that the
//! simulator's token endpoint was never called.

use crate::common;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use common::{AppOptions, Browser, TestApp, start_app, start_app_with};
use line_login::compliance::Status;
use line_login::store::StoreKind;
use line_login::token_crypto::{TokenKey, TokenKeyRing};
use line_login::{BotPrompt, ConfigError, LineLoginLayer};
use line_login_simulator::{Endpoint, Fault};
use reqwest::StatusCode;
use tower_sessions::cookie::SameSite;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store;
use tower_sessions::{MemoryStore, SessionStore};
use url::Url;

fn query(url: &str) -> HashMap<String, String> {
    Url::parse(url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

fn with_query(url: &str, key: &str, value: Option<&str>) -> String {
    let mut parsed = Url::parse(url).unwrap();
    let pairs: Vec<(String, String)> = parsed
        .query_pairs()
        .into_owned()
        .filter(|(k, _)| k != key)
        .collect();
    {
        let mut q = parsed.query_pairs_mut();
        q.clear();
        for (k, v) in &pairs {
            q.append_pair(k, v);
        }
        if let Some(value) = value {
            q.append_pair(key, value);
        }
    }
    parsed.to_string()
}

async fn assert_nobody_logged_in(app: &TestApp, browser: &Browser) {
    assert_eq!(app.who(browser).await, None, "nobody may be logged in");
}

fn assert_no_token_request(app: &TestApp) {
    assert_eq!(
        app.sim.requests(Endpoint::Token),
        0,
        "the token endpoint must not be called"
    );
}

#[tokio::test]
async fn login_redirects_to_line_with_state_nonce_pkce_and_every_option() {
    let app = start_app_with(AppOptions::default().config(|c| {
        c.bot_prompt(BotPrompt::Normal)
            .ui_locales("ja-JP")
            .max_age(Duration::from_secs(3600))
    }))
    .await;
    let browser = Browser::new();
    let authorize = app.start_login(&browser, "?return_to=/orders").await;
    assert!(authorize.starts_with(&format!("{}oauth2/v2.1/authorize?", app.sim.base_url())));
    let q = query(&authorize);
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["client_id"], app.sim.channel_id());
    assert_eq!(q["redirect_uri"], app.config.redirect_uri().as_str());
    assert_eq!(q["scope"], "profile openid");
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["bot_prompt"], "normal");
    assert_eq!(q["ui_locales"], "ja-JP");
    assert_eq!(q["max_age"], "3600");
    assert!(q["state"].len() >= 22, "state has at least 128 bits");
    assert!(q["nonce"].len() >= 22, "nonce has at least 128 bits");
    assert_ne!(q["state"], q["nonce"]);
    let second = query(&app.start_login(&browser, "").await);
    assert_ne!(second["state"], q["state"], "a new state per attempt");
    assert_ne!(second["nonce"], q["nonce"], "a new nonce per attempt");
}

#[tokio::test]
async fn full_login_stores_the_user_and_redirects_to_return_to() {
    let app = start_app().await;
    let browser = Browser::new();
    let user = app.first_user();
    let authorize = app
        .start_login(&browser, "?return_to=/orders%3Fpage%3D2")
        .await;
    let callback = app.consent(&authorize, app.choice(&user)).await;
    let answer = browser.get_cross_site(&callback).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(answer.location().as_deref(), Some("/orders?page=2"));
    assert_eq!(app.who(&browser).await, Some(user.clone()));
    let me = browser.as_json().get(&app.url("/me")).await.json();
    assert_eq!(me["user_id"], user.as_str());
    assert!(me["display_name"].is_string());
    assert!(me.get("access_token").is_none(), "tokens stay server-side");
    assert_eq!(app.sim.requests(Endpoint::Token), 1);
}

#[tokio::test]
async fn two_tabs_can_log_in_from_one_session() {
    let app = start_app().await;
    let browser = Browser::new();
    let user = app.first_user();
    let first = app.start_login(&browser, "?return_to=/a").await;
    let second = app.start_login(&browser, "?return_to=/b").await;
    let second_callback = app.consent(&second, app.choice(&user)).await;
    let first_callback = app.consent(&first, app.choice(&user)).await;
    let answer = browser.get_cross_site(&second_callback).await;
    assert_eq!(answer.location().as_deref(), Some("/b"));
    let answer = browser.get_cross_site(&first_callback).await;
    assert_eq!(answer.location().as_deref(), Some("/a"));
    assert_eq!(app.who(&browser).await, Some(user));
}

#[tokio::test]
async fn pending_attempts_are_bounded_and_the_oldest_is_evicted() {
    let app = start_app().await;
    let browser = Browser::new();
    let oldest = app.start_login(&browser, "").await;
    for _ in 0..line_login::store::attempts::PENDING_ATTEMPTS_MAX {
        app.start_login(&browser, "").await;
    }
    let callback = app.consent(&oldest, app.choice(&app.first_user())).await;
    let answer = browser.get_cross_site(&callback).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_no_token_request(&app);
    assert_nobody_logged_in(&app, &browser).await;
}

#[tokio::test]
async fn callback_with_state_from_another_session_is_rejected() {
    let app = start_app().await;
    let victim = Browser::new();
    let attacker = Browser::new();
    // The attacker starts a login in their own session and feeds its callback to the victim.
    app.start_login(&victim, "").await;
    let authorize = app.start_login(&attacker, "").await;
    let callback = app.consent(&authorize, app.choice(&app.first_user())).await;
    let answer = victim.get_cross_site(&callback).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(answer.body.contains("Try again"), "offers a retry");
    assert_no_token_request(&app);
    assert_nobody_logged_in(&app, &victim).await;
}

#[tokio::test]
async fn callback_without_state_is_rejected() {
    let app = start_app().await;
    let browser = Browser::new();
    let authorize = app.start_login(&browser, "").await;
    let callback = app.consent(&authorize, app.choice(&app.first_user())).await;
    let answer = browser
        .get_cross_site(&with_query(&callback, "state", None))
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_no_token_request(&app);
    assert_nobody_logged_in(&app, &browser).await;
}

#[tokio::test]
async fn callback_without_code_is_rejected() {
    let app = start_app().await;
    let browser = Browser::new();
    let authorize = app.start_login(&browser, "").await;
    let callback = app.consent(&authorize, app.choice(&app.first_user())).await;
    let answer = browser
        .get_cross_site(&with_query(&callback, "code", None))
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_no_token_request(&app);
    assert_nobody_logged_in(&app, &browser).await;
}

#[tokio::test]
async fn callback_with_duplicated_state_is_rejected() {
    let app = start_app().await;
    let browser = Browser::new();
    let authorize = app.start_login(&browser, "").await;
    let callback = app.consent(&authorize, app.choice(&app.first_user())).await;
    let state = query(&callback)["state"].clone();
    let answer = browser
        .get_cross_site(&format!("{callback}&state={state}"))
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_no_token_request(&app);
    assert_nobody_logged_in(&app, &browser).await;
}

#[tokio::test]
async fn callback_with_oversized_state_is_rejected() {
    let app = start_app().await;
    let browser = Browser::new();
    let authorize = app.start_login(&browser, "").await;
    let callback = app.consent(&authorize, app.choice(&app.first_user())).await;
    let huge = "A".repeat(10_000);
    let answer = browser
        .get_cross_site(&with_query(&callback, "state", Some(&huge)))
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_no_token_request(&app);
    assert_nobody_logged_in(&app, &browser).await;
}

#[tokio::test]
async fn replayed_callback_is_rejected() {
    let app = start_app().await;
    let browser = Browser::new();
    let authorize = app.start_login(&browser, "").await;
    let callback = app.consent(&authorize, app.choice(&app.first_user())).await;
    assert_eq!(
        browser.get_cross_site(&callback).await.status,
        StatusCode::SEE_OTHER
    );
    // Log out, then replay the same callback: the attempt was used up.
    browser.forget_cookies();
    app.start_login(&browser, "").await;
    let answer = browser.get_cross_site(&callback).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        app.sim.requests(Endpoint::Token),
        1,
        "no second token request"
    );
    assert_nobody_logged_in(&app, &browser).await;
}

#[tokio::test]
async fn callback_for_an_expired_attempt_is_rejected() {
    let clock = Arc::new(std::sync::atomic::AtomicI64::new(0));
    let offset = clock.clone();
    let app = start_app_with(AppOptions::default().layer(move |layer: LineLoginLayer| {
        layer.clock(move || {
            std::time::SystemTime::from(
                time::OffsetDateTime::now_utc()
                    + time::Duration::seconds(offset.load(Ordering::SeqCst)),
            )
        })
    }))
    .await;
    let browser = Browser::new();
    let authorize = app.start_login(&browser, "").await;
    let callback = app.consent(&authorize, app.choice(&app.first_user())).await;
    clock.store(11 * 60, Ordering::SeqCst);
    let answer = browser.get_cross_site(&callback).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(answer.body.contains("expired"), "{}", answer.body);
    assert_no_token_request(&app);
    assert_nobody_logged_in(&app, &browser).await;
}

#[tokio::test]
async fn callback_whose_session_is_gone_offers_a_retry_without_auto_login() {
    let app = start_app().await;
    let browser = Browser::new();
    let authorize = app.start_login(&browser, "").await;
    let callback = app.consent(&authorize, app.choice(&app.first_user())).await;
    // The phone switched from the LINE app to another browser: no cookie comes back.
    browser.forget_cookies();
    let answer = browser.get_cross_site(&callback).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(answer.body.contains("Try again"));
    assert!(
        answer
            .body
            .contains("/auth/line/login?disable_auto_login=true")
    );
    assert_no_token_request(&app);
    assert_nobody_logged_in(&app, &browser).await;
    // The retry link starts a login with auto login disabled, as LINE advises.
    let retry = browser
        .get(&app.url("/auth/line/login?disable_auto_login=true"))
        .await;
    assert_eq!(
        query(&retry.location().unwrap())["disable_auto_login"],
        "true"
    );
}

#[tokio::test]
async fn failed_auto_login_with_a_useless_code_gets_a_try_again_page() {
    let app = start_app().await;
    let browser = Browser::new();
    app.start_login(&browser, "").await;
    // LINE's failed auto login: a code that is no good and a state that matches nothing.
    let answer = browser
        .get_cross_site(&app.url("/auth/line/callback?code=abcd1234&state=0987poi"))
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(answer.body.contains("Try again"));
    assert!(answer.body.contains("disable_auto_login=true"));
    assert_no_token_request(&app);
    assert_nobody_logged_in(&app, &browser).await;
}

#[tokio::test]
async fn strict_session_cookie_is_reported_as_a_misconfiguration() {
    let app = start_app_with(AppOptions {
        same_site: SameSite::Strict,
        ..AppOptions::default()
    })
    .await;
    let browser = Browser::new();
    // A browser that has a session: its cookie (SameSite=Strict) stays behind on LINE's
    // cross-site redirect back, while the attempt cookie (Lax) comes.
    app.login(&browser, &app.first_user()).await;
    let tokens_before = app.sim.requests(Endpoint::Token);
    let authorize = app.start_login(&browser, "").await;
    let callback = app.consent(&authorize, app.choice(&app.first_user())).await;
    let answer = browser.as_json().get_cross_site(&callback).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.json()["error"], "session_cookie_misconfigured");
    assert!(answer.json()["retry_url"].is_string());
    assert_eq!(app.sim.requests(Endpoint::Token), tokens_before);
}

#[tokio::test]
async fn head_of_the_callback_is_refused_and_leaves_the_attempt_usable() {
    let app = start_app().await;
    let browser = Browser::new();
    let authorize = app.start_login(&browser, "").await;
    let callback = app.consent(&authorize, app.choice(&app.first_user())).await;
    for url in [callback.clone(), app.url("/auth/line/login")] {
        let answer = browser.send_head(&url).await;
        assert_eq!(answer, StatusCode::METHOD_NOT_ALLOWED, "HEAD {url}");
    }
    assert_no_token_request(&app);
    let answer = browser.get_cross_site(&callback).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    assert_eq!(app.who(&browser).await, Some(app.first_user()));
}

#[tokio::test]
async fn an_error_callback_spends_its_attempt() {
    let app = start_app().await;
    let browser = Browser::new();
    let authorize = app.start_login(&browser, "").await;
    let callback = app.consent(&authorize, app.choice(&app.first_user())).await;
    let state = query(&callback)["state"].clone();
    let error = app.url(&format!(
        "/auth/line/callback?error=ACCESS_DENIED&state={state}"
    ));
    assert_eq!(
        browser.get_cross_site(&error).await.status,
        StatusCode::FORBIDDEN
    );
    let answer = browser.get_cross_site(&callback).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_no_token_request(&app);
    assert_nobody_logged_in(&app, &browser).await;
}

#[tokio::test]
async fn user_cancelling_on_line_gets_a_friendly_page_and_no_session() {
    let app = start_app().await;
    let browser = Browser::new();
    let authorize = app.start_login(&browser, "").await;
    let mut choice = app.choice(&app.first_user());
    choice.grant = false;
    let callback = app.consent(&authorize, choice).await;
    assert_eq!(query(&callback)["error"], "ACCESS_DENIED");
    let answer = browser.get_cross_site(&callback).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert!(answer.body.contains("You cancelled the login"));
    assert_no_token_request(&app);
    assert_nobody_logged_in(&app, &browser).await;
    // The attempt is over: its state cannot be used again.
    let state = query(&callback)["state"].clone();
    let replay = browser
        .get_cross_site(&app.url(&format!("/auth/line/callback?code=x&state={state}")))
        .await;
    assert_eq!(replay.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn error_codes_from_line_compare_case_insensitively() {
    let app = start_app_with(
        AppOptions::default().layer(|layer: LineLoginLayer| layer.on_cancel_redirect("/cancelled")),
    )
    .await;
    let browser = Browser::new();
    for code in ["ACCESS_DENIED", "access_denied", "Access_Denied"] {
        let authorize = app.start_login(&browser, "").await;
        let state = query(&authorize)["state"].clone();
        let answer = browser
            .get_cross_site(&app.url(&format!(
                "/auth/line/callback?error={code}&error_description=denied&state={state}"
            )))
            .await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{code}");
        assert_eq!(answer.location().as_deref(), Some("/cancelled"));
    }
    assert_nobody_logged_in(&app, &browser).await;
}

async fn token_failure(fault: Fault, expected: StatusCode) -> (TestApp, Browser, common::Answer) {
    let app =
        start_app_with(AppOptions::default().config(|c| c.http_timeout(Duration::from_secs(1))))
            .await;
    let browser = Browser::json_client();
    app.sim.inject(Endpoint::Token, fault, Some(1));
    let authorize = app.start_login(&browser, "").await;
    let callback = app.consent(&authorize, app.choice(&app.first_user())).await;
    let answer = browser.get_cross_site(&callback).await;
    assert_eq!(answer.status, expected, "{}", answer.body);
    assert_nobody_logged_in(&app, &browser).await;
    (app, browser, answer)
}

#[tokio::test]
async fn token_endpoint_answering_4xx_fails_the_login() {
    let (_, _, answer) = token_failure(Fault::Status(400), StatusCode::BAD_REQUEST).await;
    assert_eq!(answer.json()["error"], "token_exchange_failed");
}

#[tokio::test]
async fn token_endpoint_answering_5xx_fails_the_login() {
    token_failure(Fault::Status(500), StatusCode::BAD_GATEWAY).await;
}

#[tokio::test]
async fn token_endpoint_answering_429_fails_with_retry_after() {
    let (_, _, answer) = token_failure(
        Fault::RateLimited {
            retry_after_secs: 7,
        },
        StatusCode::SERVICE_UNAVAILABLE,
    )
    .await;
    assert_eq!(answer.headers["retry-after"], "7");
}

#[tokio::test]
async fn token_endpoint_answering_malformed_json_fails_the_login() {
    token_failure(Fault::MalformedJson, StatusCode::BAD_GATEWAY).await;
}

#[tokio::test]
async fn token_endpoint_answering_html_fails_the_login() {
    token_failure(Fault::Html, StatusCode::BAD_GATEWAY).await;
}

#[tokio::test]
async fn token_response_without_id_token_fails_the_login() {
    let (_, _, answer) = token_failure(Fault::MissingIdToken, StatusCode::BAD_GATEWAY).await;
    assert_eq!(answer.json()["error"], "missing_id_token");
}

#[tokio::test]
async fn token_endpoint_timing_out_fails_the_login() {
    token_failure(
        Fault::Delay(Duration::from_secs(3)),
        StatusCode::GATEWAY_TIMEOUT,
    )
    .await;
}

#[tokio::test]
async fn id_token_with_bad_signature_fails_the_login() {
    let (_, _, answer) = token_failure(Fault::BadSignature, StatusCode::UNAUTHORIZED).await;
    assert_eq!(answer.json()["error"], "invalid_id_token");
}

#[tokio::test]
async fn id_token_with_wrong_nonce_fails_the_login() {
    token_failure(Fault::WrongNonce, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn id_token_with_wrong_audience_fails_the_login() {
    token_failure(Fault::WrongAudience, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn id_token_with_wrong_issuer_fails_the_login() {
    token_failure(Fault::WrongIssuer, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn expired_id_token_fails_the_login() {
    token_failure(Fault::Expired, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn id_token_issued_in_the_future_fails_the_login() {
    token_failure(Fault::IssuedInFuture, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn failures_render_html_for_browsers() {
    let app = start_app().await;
    let browser = Browser::new();
    app.sim.inject(Endpoint::Token, Fault::Status(500), Some(1));
    let answer = app.login(&browser, &app.first_user()).await;
    assert_eq!(answer.status, StatusCode::BAD_GATEWAY);
    assert!(
        answer.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(answer.body.contains("LINE did not complete the login"));
}

#[tokio::test]
async fn an_error_handler_hook_renders_the_apps_own_page() {
    let app = start_app_with(AppOptions::default().layer(|layer: LineLoginLayer| {
        layer.on_error(|error, _parts| {
            Some((error.status(), format!("our own page: {}", error.code())).into_response())
        })
    }))
    .await;
    let browser = Browser::new();
    let answer = browser
        .get_cross_site(&app.url("/auth/line/callback?code=a&state=b"))
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.body, "our own page: session_gone");
}

use axum::response::IntoResponse as _;

/// A session store that can be switched off, to act out an outage.
#[derive(Clone, Debug, Default)]
struct SwitchableStore {
    inner: MemoryStore,
    down: Arc<AtomicBool>,
}

impl SwitchableStore {
    fn check(&self) -> session_store::Result<()> {
        if self.down.load(Ordering::SeqCst) {
            Err(session_store::Error::Backend("store is down".into()))
        } else {
            Ok(())
        }
    }
}

#[async_trait]
impl SessionStore for SwitchableStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        self.check()?;
        self.inner.create(record).await
    }
    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.check()?;
        self.inner.save(record).await
    }
    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        self.check()?;
        self.inner.load(id).await
    }
    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.check()?;
        self.inner.delete(id).await
    }
}

#[tokio::test]
async fn session_store_outage_fails_closed_with_503() {
    let store = SwitchableStore::default();
    let app = start_app_with(AppOptions::default().store(store.clone())).await;
    let browser = Browser::json_client();
    let other = app.sim.users()[1].user_id.clone();
    app.login(&browser, &other).await;
    let tokens_before = app.sim.requests(Endpoint::Token);
    let authorize = app.start_login(&browser, "").await;
    let callback = app.consent(&authorize, app.choice(&app.first_user())).await;
    store.down.store(true, Ordering::SeqCst);
    let answer = browser.get_cross_site(&callback).await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(answer.json()["error"], "session_store_unavailable");
    // The attempt (in its own store) was taken and its code spent once; nothing was stored.
    assert_eq!(app.sim.requests(Endpoint::Token), tokens_before + 1);
    assert!(
        !answer
            .set_cookies()
            .iter()
            .any(|c| c.starts_with("line_login_session=")),
        "no session cookie for a session that was never stored"
    );
    let me = browser.get(&app.url("/me")).await;
    assert_eq!(
        me.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "protected routes fail closed"
    );
    store.down.store(false, Ordering::SeqCst);
    assert_eq!(
        app.who(&browser).await,
        Some(other),
        "the failed login changed nothing"
    );
}

/// Issue 14 item 5 and issue 15 item 8: a login from a fresh browser writes its session once
/// (tower-sessions' second save on the way out is skipped as unchanged), so no second write can
/// fail after the layer answered, and starting the login wrote no session at all.
#[tokio::test]
async fn a_login_writes_its_session_once_and_its_start_writes_none() {
    let sessions = line_login::store::AnySessionStore::memory();
    let app = start_app_with(AppOptions::default().store(sessions.clone())).await;
    let browser = Browser::new();
    let authorize = app.start_login(&browser, "").await;
    assert_eq!(sessions.operations(), 0, "a login start touches no session");
    let callback = app.consent(&authorize, app.choice(&app.first_user())).await;
    let answer = browser.get_cross_site(&callback).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    assert_eq!(sessions.operations(), 1, "one create, no second save");
    assert_eq!(app.who(&browser).await, Some(app.first_user()));
}

#[tokio::test]
async fn session_id_is_cycled_at_login() {
    let app = start_app().await;
    let browser = Browser::new();
    let other = app.sim.users()[1].user_id.clone();
    app.login(&browser, &other).await;
    let authorize = app.start_login(&browser, "").await;
    let before = browser
        .cookie("line_login_session")
        .expect("session cookie");
    let callback = app.consent(&authorize, app.choice(&app.first_user())).await;
    browser.get_cross_site(&callback).await;
    let after = browser
        .cookie("line_login_session")
        .expect("session cookie");
    assert_ne!(before, after, "the session id changes at login");
    // The old id is worthless now.
    let stale = Browser::json_client();
    stale.set_cookie("line_login_session", &before);
    assert_eq!(app.who(&stale).await, None);
}

#[tokio::test]
async fn unsafe_return_to_falls_back_to_root() {
    let app = start_app().await;
    for bad in [
        "https://evil.example/",
        "//evil.example",
        "/%2F%2Fevil.example",
        "/\\evil",
        "javascript:alert(1)",
    ] {
        let browser = Browser::new();
        let encoded: String = url::form_urlencoded::byte_serialize(bad.as_bytes()).collect();
        let authorize = app
            .start_login(&browser, &format!("?return_to={encoded}"))
            .await;
        let callback = app.consent(&authorize, app.choice(&app.first_user())).await;
        let answer = browser.get_cross_site(&callback).await;
        assert_eq!(answer.location().as_deref(), Some("/"), "{bad}");
    }
}

#[tokio::test]
async fn logout_by_get_is_refused_and_logs_nobody_out() {
    let app = start_app().await;
    let browser = Browser::new();
    app.login(&browser, &app.first_user()).await;
    let answer = browser.get(&app.url("/auth/line/logout")).await;
    assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(app.who(&browser).await, Some(app.first_user()));
}

#[tokio::test]
async fn logout_revokes_the_token_and_ends_the_session() {
    let app = start_app().await;
    let browser = Browser::new();
    app.login(&browser, &app.first_user()).await;
    let answer = browser.post(&app.url("/auth/line/logout")).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(answer.location().as_deref(), Some("/"));
    assert_eq!(app.sim.requests(Endpoint::Revoke), 1);
    assert_nobody_logged_in(&app, &browser).await;
}

#[tokio::test]
async fn logout_still_happens_when_revoke_fails() {
    let app = start_app().await;
    let browser = Browser::new();
    app.login(&browser, &app.first_user()).await;
    app.sim.inject(Endpoint::Revoke, Fault::Status(500), None);
    let answer = browser.post(&app.url("/auth/line/logout")).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_nobody_logged_in(&app, &browser).await;
}

#[tokio::test]
async fn cross_site_logout_is_refused() {
    let app = start_app().await;
    let browser = Browser::new();
    app.login(&browser, &app.first_user()).await;
    let answer = browser
        .post_with(&app.url("/auth/line/logout"), |r| {
            r.header("origin", "https://evil.example")
        })
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(app.who(&browser).await, Some(app.first_user()));
}

#[tokio::test]
async fn line_user_extractor_rejects_api_clients_with_401_json() {
    let app = start_app().await;
    let answer = Browser::json_client().get(&app.url("/me")).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.json()["error"], "not_logged_in");
}

#[tokio::test]
async fn line_user_extractor_redirects_browsers_to_login_with_return_to() {
    let app = start_app().await;
    let answer = Browser::new().get(&app.url("/me?x=1")).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(
        answer.location().as_deref(),
        Some("/auth/line/login?return_to=%2Fme%3Fx%3D1")
    );
}

#[tokio::test]
async fn optional_line_user_is_none_when_anonymous_and_some_after_login() {
    let app = start_app().await;
    let browser = Browser::new();
    assert_eq!(browser.get(&app.url("/maybe")).await.body, "anonymous");
    app.login(&browser, &app.first_user()).await;
    assert_eq!(
        browser.get(&app.url("/maybe")).await.body,
        format!("user {}", app.first_user())
    );
}

#[tokio::test]
async fn guard_layer_protects_a_whole_router() {
    let app = start_app().await;
    let browser = Browser::new();
    let answer = browser.get(&app.url("/protected/area")).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    let answer = Browser::json_client()
        .get(&app.url("/protected/area"))
        .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    app.login(&browser, &app.first_user()).await;
    let answer = browser.get(&app.url("/protected/area")).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body, "secret area");
}

#[tokio::test]
async fn unauthenticated_behaviour_is_configurable() {
    let app =
        start_app_with(AppOptions::default().layer(|layer: LineLoginLayer| {
            layer.unauthenticated(line_login::Unauthenticated::Json)
        }))
        .await;
    let answer = Browser::new().get(&app.url("/me")).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn session_cookie_is_httponly_lax_and_not_secure_over_http() {
    let app = start_app().await;
    let browser = Browser::new();
    app.start_login(&browser, "").await;
    assert!(
        browser.cookie("line_login_session").is_none(),
        "starting a login writes no session"
    );
    let (same_site, http_only, secure) = browser.cookie_attributes("line_login_attempt").unwrap();
    assert_eq!(same_site.as_deref(), Some("Lax"));
    assert!(http_only);
    assert!(!secure);
    app.login(&browser, &app.first_user()).await;
    let (same_site, http_only, secure) = browser.cookie_attributes("line_login_session").unwrap();
    assert_eq!(same_site.as_deref(), Some("Lax"));
    assert!(http_only);
    assert!(!secure);
}

/// The names of the sealed attempt cookies `browser` holds.
fn sealed_attempt_cookies(browser: &Browser) -> Vec<String> {
    browser
        .cookie_names()
        .into_iter()
        .filter(|name| name.starts_with("line_login_attempt_"))
        .collect()
}

/// Each pending attempt rides in a sealed cookie of its own; the callback that spends it
/// removes it, a refused `HEAD` does not, and other tabs' attempts stay.
#[tokio::test]
async fn a_callback_removes_the_cookie_of_the_attempt_it_spent_and_only_that() {
    let app = start_app().await;
    let browser = Browser::new();
    let first = app.start_login(&browser, "?return_to=/a").await;
    let second = app.start_login(&browser, "?return_to=/b").await;
    assert_eq!(sealed_attempt_cookies(&browser).len(), 2);
    let user = app.first_user();
    let callback = app.consent(&first, app.choice(&user)).await;
    browser.send_head(&callback).await;
    assert_eq!(
        sealed_attempt_cookies(&browser).len(),
        2,
        "HEAD changes nothing"
    );
    let answer = browser.get_cross_site(&callback).await;
    assert_eq!(answer.location().as_deref(), Some("/a"));
    assert_eq!(sealed_attempt_cookies(&browser).len(), 1);
    // A refused replay of the spent callback removes nothing more.
    let before = sealed_attempt_cookies(&browser);
    let answer = browser.get_cross_site(&callback).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(sealed_attempt_cookies(&browser), before);
    let callback = app.consent(&second, app.choice(&user)).await;
    let answer = browser.get_cross_site(&callback).await;
    assert_eq!(answer.location().as_deref(), Some("/b"));
    assert!(sealed_attempt_cookies(&browser).is_empty());
}

/// What the browser carries reveals nothing of the attempt: no nonce, PKCE verifier or return
/// path in any cookie (the state is in LINE's URL anyway, but not in the cookies either).
#[tokio::test]
async fn the_attempt_cookies_reveal_nothing_of_the_attempt() {
    let app = start_app().await;
    let browser = Browser::new();
    let answer = browser
        .get(&app.url("/auth/line/login?return_to=/secret-return-path"))
        .await;
    let authorize = url::Url::parse(&answer.location().unwrap()).unwrap();
    let query: std::collections::HashMap<_, _> = authorize.query_pairs().into_owned().collect();
    let cookies = answer.set_cookies().join("\n");
    assert!(cookies.contains("line_login_attempt_"), "{cookies}");
    for secret in [
        query["state"].as_str(),
        query["nonce"].as_str(),
        "secret-return-path",
    ] {
        assert!(!cookies.contains(secret), "{secret} in {cookies}");
    }
}

/// Login CSRF by cookie tossing: a sibling subdomain can plant cookies for the whole domain,
/// but not `__Host-` ones. With https the browser key is a `__Host-` cookie and a planted
/// plain-named key with its sealed attempt (the attacker's own login) finishes nothing in the
/// victim's browser.
#[tokio::test]
async fn with_https_a_browser_key_planted_by_a_sibling_subdomain_is_ignored() {
    let app = start_app_with(AppOptions {
        https_redirect: true,
        ..AppOptions::default()
    })
    .await;
    let attacker = Browser::new();
    let authorize = app.start_login(&attacker, "").await;
    let callback = app.consent(&authorize, app.choice(&app.first_user())).await;
    let callback = callback.replacen("https://", "http://", 1);
    let victim = Browser::new();
    for name in attacker.cookie_names() {
        let value = attacker.cookie(&name).unwrap();
        // What a sibling subdomain can set: the same names, except the `__Host-` prefix.
        let planted = name.strip_prefix("__Host-").unwrap_or(&name).to_owned();
        victim.set_cookie(&planted, &value);
    }
    let answer = victim.get_cross_site(&callback).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.body);
    assert_no_token_request(&app);
    // The same cookies under their real names (which no other site can set) would finish it:
    // what refused the planted ones is the prefix.
    for name in attacker.cookie_names() {
        victim.set_cookie(&name, &attacker.cookie(&name).unwrap());
    }
    let answer = victim.get_cross_site(&callback).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
}

#[tokio::test]
async fn session_cookie_is_secure_when_the_redirect_uri_is_https() {
    let app = start_app_with(AppOptions {
        https_redirect: true,
        ..AppOptions::default()
    })
    .await;
    let browser = Browser::new();
    let answer = browser.get(&app.url("/auth/line/login")).await;
    let cookies = answer.set_cookies();
    let attempt = cookies
        .iter()
        .find(|c| c.starts_with("__Host-line_login_attempt="))
        .expect("attempt cookie, __Host- with https");
    for attribute in [
        "Secure",
        "HttpOnly",
        "SameSite=Lax",
        "Path=/;",
        "Max-Age=600",
    ] {
        assert!(format!("{attempt};").contains(attribute), "{attempt}");
    }
    assert!(!attempt.contains("Domain"), "{attempt}");
    let sealed = cookies
        .iter()
        .find(|c| c.starts_with("line_login_attempt_"))
        .expect("sealed attempt cookie");
    for attribute in [
        "Secure",
        "HttpOnly",
        "SameSite=Lax",
        "Path=/auth/line",
        "Max-Age=600",
    ] {
        assert!(sealed.contains(attribute), "{sealed}");
    }
    let authorize = app.start_login(&browser, "").await;
    let callback = app.consent(&authorize, app.choice(&app.first_user())).await;
    // The test server speaks plain http; the cookie attributes follow the configured https.
    let answer = browser
        .get_cross_site(&callback.replacen("https://", "http://", 1))
        .await;
    let cookies = answer.set_cookies();
    let session = cookies
        .iter()
        .find(|c| c.starts_with("__Host-line_login_session="))
        .expect("session cookie");
    assert!(session.contains("Secure"), "{session}");
    assert!(session.contains("HttpOnly"));
    assert!(session.contains("SameSite=Lax"));
}

/// Issue 15 item 6: with an https redirect URI the session cookie takes the `__Host-` prefix,
/// with what browsers demand of it: `Secure`, `Path=/`, no `Domain`. Over plain http (local
/// development) it keeps its plain name, since browsers refuse `__Host-` without `Secure`.
#[tokio::test]
async fn https_session_cookie_has_the_host_prefix_and_its_attributes() {
    use line_login::session::{HOST_SESSION_COOKIE_NAME, SESSION_COOKIE_NAME, session_cookie_name};

    let app = start_app_with(AppOptions {
        https_redirect: true,
        ..AppOptions::default()
    })
    .await;
    assert_eq!(session_cookie_name(&app.config), HOST_SESSION_COOKIE_NAME);
    // A login start writes no session: the cookie comes with the first login.
    let first = Browser::new();
    let authorize = app.start_login(&first, "").await;
    let callback = app.consent(&authorize, app.choice(&app.first_user())).await;
    let answer = first
        .get_cross_site(&callback.replacen("https://", "http://", 1))
        .await;
    let cookie = answer
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("__Host-line_login_session="))
        .expect("a __Host- session cookie");
    let parsed = cookie::Cookie::parse(cookie.clone()).unwrap();
    assert_eq!(parsed.secure(), Some(true), "{cookie}");
    assert_eq!(parsed.path(), Some("/"), "{cookie}");
    assert_eq!(parsed.domain(), None, "{cookie}");
    assert!(
        !answer
            .set_cookies()
            .iter()
            .any(|c| c.starts_with("line_login_session=")),
        "no cookie under the old name"
    );
    // Logins work with it (the test app is served over http behind the https redirect URI).
    let browser = Browser::new();
    let authorize = app.start_login(&browser, "").await;
    let callback = app
        .consent(&authorize, app.choice(&app.first_user()))
        .await
        .replacen("https://", "http://", 1);
    let login = browser.get_cross_site(&callback).await;
    assert_eq!(login.status, StatusCode::SEE_OTHER, "{}", login.body);
    assert_eq!(app.who(&browser).await, Some(app.first_user()));

    let http = start_app().await;
    assert_eq!(session_cookie_name(&http.config), SESSION_COOKIE_NAME);
}

/// Issue 15 item 6: the callback URL carries the code, so every answer on the layer's routes
/// (redirects, HTML and JSON error pages, the app's own error page, token-login answers) says
/// `Referrer-Policy: no-referrer` and `Cache-Control: no-store`.
#[tokio::test]
async fn every_answer_on_the_layers_routes_is_no_referrer_and_no_store() {
    fn check(what: &str, answer: &common::Answer) {
        let header = |name: &str| {
            answer
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        assert_eq!(
            header("referrer-policy").as_deref(),
            Some("no-referrer"),
            "{what} ({})",
            answer.status
        );
        assert_eq!(
            header("cache-control").as_deref(),
            Some("no-store"),
            "{what} ({})",
            answer.status
        );
    }

    let app = start_app().await;
    let user = app.first_user();
    let browser = Browser::new();
    let json = Browser::json_client();

    check(
        "login redirect",
        &browser.get(&app.url("/auth/line/login")).await,
    );
    let long = format!("/auth/line/login?return_to={}", "x".repeat(5000));
    check("login 400", &browser.get(&app.url(&long)).await);
    check(
        "login 405",
        &browser.post(&app.url("/auth/line/login")).await,
    );
    let authorize = app.start_login(&browser, "").await;
    let callback = app.consent(&authorize, app.choice(&user)).await;
    let answer = browser.get_cross_site(&callback).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    check("callback redirect after login", &answer);
    check(
        "replayed callback, HTML",
        &browser.get_cross_site(&callback).await,
    );
    check(
        "forged callback, JSON",
        &json
            .get_cross_site(&app.url("/auth/line/callback?code=a&state=b"))
            .await,
    );
    check(
        "cancelled on LINE",
        &Browser::new()
            .get_cross_site(&app.url("/auth/line/callback?error=ACCESS_DENIED&state=s"))
            .await,
    );
    check(
        "logout by GET",
        &browser.get(&app.url("/auth/line/logout")).await,
    );
    check("logout", &browser.post(&app.url("/auth/line/logout")).await);
    check(
        "link disabled",
        &browser.post(&app.url("/auth/line/link")).await,
    );
    let token = app.sim.issue_es256_id_token(&user, None);
    let token_login = |body: serde_json::Value| {
        let json = json.clone();
        let url = app.url("/auth/line/token-login");
        async move { json.post_with(&url, |r| r.json(&body)).await }
    };
    let ok = token_login(serde_json::json!({ "id_token": token })).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    check("token login", &ok);
    check(
        "token login, bad token",
        &token_login(serde_json::json!({ "id_token": "x.y.z" })).await,
    );
    check(
        "token login, not JSON",
        &json
            .post_with(&app.url("/auth/line/token-login"), |r| r.body("id_token=x"))
            .await,
    );

    // The app's own error page gets them too, whatever it set.
    let custom = start_app_with(AppOptions::default().layer(|layer: LineLoginLayer| {
        layer.on_error(|error, _parts| {
            Some(
                (
                    error.status(),
                    [("cache-control", "public, max-age=600")],
                    "our own page",
                )
                    .into_response(),
            )
        })
    }))
    .await;
    let answer = Browser::new()
        .get_cross_site(&custom.url("/auth/line/callback?code=a&state=b"))
        .await;
    assert_eq!(answer.body, "our own page");
    check("the app's own error page", &answer);
}

#[tokio::test]
async fn redirect_uri_with_extra_query_is_repeated_exactly_in_the_token_request() {
    // The simulator refuses a token request whose redirect_uri differs from the authorize
    // request's; a redirect URI with its own query must survive both unchanged.
    let app = start_app_with(AppOptions {
        redirect_suffix: "?site=shop&lang=ja",
        ..AppOptions::default()
    })
    .await;
    let browser = Browser::new();
    let authorize = app.start_login(&browser, "").await;
    assert!(query(&authorize)["redirect_uri"].ends_with("/auth/line/callback?site=shop&lang=ja"));
    let callback = app.consent(&authorize, app.choice(&app.first_user())).await;
    assert!(callback.contains("site=shop"), "{callback}");
    let answer = browser.get_cross_site(&callback).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    assert_eq!(app.who(&browser).await, Some(app.first_user()));
}

#[tokio::test]
async fn login_route_rejects_other_methods() {
    let app = start_app().await;
    let answer = Browser::new().post(&app.url("/auth/line/login")).await;
    assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
}

/// Issue 15 item 7: behind `Router::nest`, an anonymous browser bounced to the login comes back
/// to the page it asked for, nest prefix included, from both the `LineUser` extractor and the
/// `RequireLogin` guard.
#[tokio::test]
async fn return_to_keeps_the_nest_prefix() {
    use axum::Router;
    use axum::routing::get;
    use line_login::LineUser;
    use line_login::extract::RequireLogin;

    let sim = line_login_simulator::Simulator::start().await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let config = sim
        .config_builder(&format!("{base}/auth/line/callback"))
        .build()
        .unwrap();
    let shop = Router::new()
        .route("/orders", get(|user: LineUser| async move { user.user_id }))
        .merge(
            Router::new()
                .route("/cart", get(|| async { "cart" }))
                .route_layer(RequireLogin),
        );
    let app = Router::new()
        .nest("/shop", shop)
        .layer(LineLoginLayer::new(config.clone()).unwrap())
        .layer(line_login::session::session_layer(
            MemoryStore::default(),
            &config,
        ));
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    let app = TestApp {
        sim,
        base,
        config,
        browser: Browser::new(),
    };

    for page in ["/shop/orders?tab=open", "/shop/cart"] {
        let browser = Browser::new();
        let bounced = browser.get(&app.url(page)).await;
        assert_eq!(bounced.status, StatusCode::SEE_OTHER, "{page}");
        let login = bounced.location().unwrap();
        assert_eq!(query(&app.url(&login))["return_to"], page);
        // And the login lands there.
        let authorize = browser.get(&app.url(&login)).await.location().unwrap();
        let callback = app.consent(&authorize, app.choice(&app.first_user())).await;
        let landed = browser.get_cross_site(&callback).await;
        assert_eq!(landed.location().as_deref(), Some(page));
        assert_eq!(browser.get(&app.url(page)).await.status, StatusCode::OK);
    }
}

/// An app with the layer on a loopback port: `/signin` behind the `SameOrigin` extractor,
/// `/settings` (answered by `settings`) behind the `RequireSameOrigin` layer. Returns its base
/// URL and the simulator its configuration names (kept alive by the caller).
async fn same_origin_app(
    settings: axum::routing::MethodRouter,
) -> (String, line_login_simulator::Simulator) {
    use axum::Router;
    use axum::routing::post;
    use line_login::same_origin::{RequireSameOrigin, SameOrigin};

    let sim = line_login_simulator::Simulator::start().await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let config = sim
        .config_builder(&format!("{base}/auth/line/callback"))
        .build()
        .unwrap();
    let app = Router::new()
        .route("/signin", post(|_: SameOrigin| async { "signed in" }))
        .merge(
            Router::new()
                .route("/settings", settings)
                .route_layer(RequireSameOrigin),
        )
        .layer(LineLoginLayer::new(config.clone()).unwrap())
        .layer(line_login::session::session_layer(
            MemoryStore::default(),
            &config,
        ));
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    (base, sim)
}

/// Issue 15 item 9: the crate's same-origin check, offered to apps as the `SameOrigin`
/// extractor and the `RequireSameOrigin` layer, refuses cross-site posts to the app's own
/// routes with 403 and lets same-origin ones (and safe methods, for the layer) through.
#[tokio::test]
async fn apps_same_origin_extractor_and_layer_refuse_cross_site_posts() {
    use axum::routing::get;

    let (base, _sim) = same_origin_app(get(|| async { "form" }).post(|| async { "saved" })).await;

    let browser = Browser::new();
    for path in ["/signin", "/settings"] {
        let url = format!("{base}{path}");
        for (origin, fetch_site) in [
            ("https://attacker.example", "cross-site"),
            ("https://attacker.example", "same-origin"),
            (base.as_str(), "same-site"),
        ] {
            let answer = browser
                .post_with(&url, |r| {
                    r.header("origin", origin)
                        .header("sec-fetch-site", fetch_site)
                })
                .await;
            assert_eq!(
                answer.status,
                StatusCode::FORBIDDEN,
                "{path} {origin} {fetch_site}"
            );
            assert!(answer.body.contains("another site"), "{}", answer.body);
        }
        let answer = browser
            .post_with(&url, |r| {
                r.header("origin", base.as_str())
                    .header("sec-fetch-site", "same-origin")
            })
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{path}");
        assert_eq!(browser.post(&url).await.status, StatusCode::OK, "{path}");
    }
    // Safe methods pass the layer even from another site (a link to the page).
    let page = reqwest::Client::new()
        .get(format!("{base}/settings"))
        .header("origin", "https://attacker.example")
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(page, StatusCode::OK, "GET passes the layer");
}

/// A session store that keeps, beside the records, every record it was given as JSON text: what
/// a shared store (Redis, PostgreSQL) would hold.
#[derive(Clone, Debug, Default)]
struct RecordingStore {
    inner: MemoryStore,
    written: Arc<std::sync::Mutex<Vec<String>>>,
}

impl RecordingStore {
    fn keep(&self, record: &Record) {
        let text = serde_json::to_string(&record.data).unwrap();
        self.written.lock().unwrap().push(text);
    }

    /// The issued tokens found in any record written so far.
    fn tokens_at_rest(&self, issued: &[String]) -> Vec<String> {
        let written = self.written.lock().unwrap();
        issued
            .iter()
            .filter(|token| written.iter().any(|record| record.contains(token.as_str())))
            .cloned()
            .collect()
    }
}

#[async_trait]
impl SessionStore for RecordingStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        self.keep(record);
        self.inner.create(record).await
    }
    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.keep(record);
        self.inner.save(record).await
    }
    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        self.inner.load(id).await
    }
    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.inner.delete(id).await
    }
}

fn token_keys() -> TokenKeyRing {
    TokenKeyRing::new(TokenKey::generate().unwrap())
}

#[tokio::test]
async fn session_records_hold_no_line_token_when_a_token_key_is_configured() {
    let store = RecordingStore::default();
    let app = start_app_with(
        AppOptions::default()
            .store(store.clone())
            .config(|c| c.token_keys(token_keys())),
    )
    .await;
    let browser = Browser::json_client();
    app.login(&browser, &app.first_user()).await;
    // The sealed tokens work: refreshed (written again), then used for the profile.
    let refreshed = browser.post(&app.url("/line/refresh")).await;
    assert_eq!(refreshed.status, StatusCode::OK, "{}", refreshed.body);
    let profile = browser.get(&app.url("/profile")).await;
    assert_eq!(profile.status, StatusCode::OK, "{}", profile.body);
    let issued = app.sim.issued_tokens();
    assert!(issued.len() >= 3, "{issued:?}");
    assert_eq!(store.tokens_at_rest(&issued), Vec::<String>::new());
    // Logout still revokes the (decrypted) access token at LINE.
    let answer = browser.post(&app.url("/auth/line/logout")).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(app.sim.requests(Endpoint::Revoke), 1);

    // The same walk without a key stores them as they are: what the key prevents.
    let plain = RecordingStore::default();
    let app = start_app_with(AppOptions::default().store(plain.clone())).await;
    app.login(&browser, &app.first_user()).await;
    assert!(!plain.tokens_at_rest(&app.sim.issued_tokens()).is_empty());
}

#[tokio::test]
async fn session_tokens_under_a_key_no_longer_configured_mean_logging_in_again() {
    let store = RecordingStore::default();
    let sim = line_login_simulator::Simulator::start().await.unwrap();
    let before = common::start_app_on(
        sim.clone(),
        AppOptions::default()
            .store(store.clone())
            .config(|c| c.token_keys(token_keys())),
    )
    .await;
    let browser = Browser::json_client();
    before.login(&browser, &before.first_user()).await;
    assert_eq!(
        browser.get(&before.url("/profile")).await.status,
        StatusCode::OK
    );
    // Another instance on the same sessions with another key: the user is known, the tokens
    // are not; LINE calls answer "log in again", never a crash.
    let after = common::start_app_on(
        sim,
        AppOptions::default()
            .store(store)
            .config(|c| c.token_keys(token_keys())),
    )
    .await;
    let cookie = browser.cookie("line_login_session").unwrap();
    let other = Browser::json_client();
    other.set_cookie("line_login_session", &cookie);
    let me = other.get(&after.url("/me")).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    let profile = other.get(&after.url("/profile")).await;
    assert_eq!(profile.status, StatusCode::UNAUTHORIZED, "{}", profile.body);
    assert_eq!(profile.json()["error"], "not_logged_in");
}

#[tokio::test]
async fn a_shared_session_store_without_a_token_key_refuses_to_start() {
    let sim = line_login_simulator::Simulator::start().await.unwrap();
    let uri = "http://127.0.0.1:3000/auth/line/callback";
    let plain = sim.config_builder(uri).build().unwrap();
    let layer = || LineLoginLayer::new(plain.clone()).unwrap();
    for kind in [StoreKind::Redis, StoreKind::Postgres] {
        let refused = layer().session_store(kind).unwrap_err();
        assert_eq!(refused, ConfigError::TokenKeyMissing);
        assert!(refused.to_string().contains("LINE_LOGIN_TOKEN_KEY"));
    }
    let memory = layer().session_store(StoreKind::Memory).unwrap();
    let status = |layer: &LineLoginLayer| {
        let report = layer.compliance().build();
        report.item("tokens_at_rest").unwrap().status
    };
    assert_eq!(status(&memory), Status::Ok);

    // Plain text only when chosen, and then flagged.
    let opted_in = sim
        .config_builder(uri)
        .plaintext_tokens(true)
        .build()
        .unwrap();
    let layer = LineLoginLayer::new(opted_in).unwrap();
    let layer = layer.session_store(StoreKind::Redis).unwrap();
    assert_eq!(status(&layer), Status::ActionNeeded);
    assert_eq!(
        layer.compliance().build().check().unwrap_err().item_ids(),
        ["tokens_at_rest"]
    );

    let keyed = sim
        .config_builder(uri)
        .token_keys(token_keys())
        .build()
        .unwrap();
    let layer = LineLoginLayer::new(keyed).unwrap();
    let layer = layer.session_store(StoreKind::Redis).unwrap();
    assert_eq!(status(&layer), Status::Ok);
}

/// Issue 19 item 6: the extractors' rejection is typed, so an app can match on why a request was
/// refused and answer its own way.
#[tokio::test]
async fn extractor_rejections_are_typed_and_name_the_error() {
    let app = start_app().await;
    let browser = Browser::new();
    let anonymous = browser.get(&app.url("/typed-me")).await;
    assert_eq!(anonymous.body, "refused: not_logged_in");
    app.login(&browser, &app.first_user()).await;
    assert_eq!(
        browser.get(&app.url("/typed-me")).await.body,
        app.first_user()
    );
}

/// Issue 16 item 4: guards answer 401 JSON, never a redirect, to requests that carry an
/// `Authorization` header and on the paths the app marks as API or LIFF routes, even for a
/// browser; elsewhere a browser is still redirected to the login.
#[tokio::test]
async fn api_and_liff_requests_get_json_not_a_redirect() {
    let app = start_app_with(
        AppOptions::default().layer(|layer: LineLoginLayer| layer.api_paths(["/me"])),
    )
    .await;
    let browser = Browser::new(); // asks for text/html
    let api = browser.get(&app.url("/me")).await;
    assert_eq!(api.status, StatusCode::UNAUTHORIZED, "{}", api.body);
    assert_eq!(api.json()["error"], "not_logged_in");
    let page = browser.get(&app.url("/protected/area")).await;
    assert_eq!(
        page.status,
        StatusCode::SEE_OTHER,
        "other paths still redirect"
    );
    let bearer = browser
        .post_with(&app.url("/protected/area"), |r| {
            r.header("authorization", "Bearer abc")
        })
        .await;
    assert_eq!(bearer.status, StatusCode::UNAUTHORIZED, "{}", bearer.body);
    let bearer_get = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url("/protected/area"))
        .header("accept", "text/html")
        .header("authorization", "Bearer abc")
        .send()
        .await
        .unwrap();
    assert_eq!(bearer_get.status(), StatusCode::UNAUTHORIZED);
}

/// Issue 23: behind a proxy the `Host` a request carries is the proxy's upstream name, not the
/// site's; the same-origin check then trusts the origin of the configured redirect URI, for the
/// `SameOrigin` extractor and the `RequireSameOrigin` layer alike (and still refuses others).
#[tokio::test]
async fn same_origin_check_trusts_the_redirect_uri_origin_behind_a_proxy() {
    use axum::routing::post;

    let (base, _sim) = same_origin_app(post(|| async { "saved" })).await;

    let browser = Browser::new();
    for path in ["/signin", "/settings"] {
        let url = format!("{base}{path}");
        for (origin, expected) in [
            // The redirect URI's origin, though the Host header names the upstream.
            (base.as_str(), StatusCode::OK),
            // The request's own host still counts as ours.
            ("http://upstream.internal:8080", StatusCode::OK),
            ("https://attacker.example", StatusCode::FORBIDDEN),
        ] {
            let answer = browser
                .post_with(&url, |r| {
                    r.header("host", "upstream.internal:8080")
                        .header("origin", origin)
                        .header("sec-fetch-site", "same-origin")
                })
                .await;
            assert_eq!(answer.status, expected, "{path} {origin}");
        }
    }
}
