//! "Why is there no email?": a login that asked for `email` and got none says so on the user,
//! many in a row warn (once per interval), the simulator can play a channel without the email
//! permission, and email is never an identity key.

use crate::common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::{AppOptions, Browser, TestApp, start_app_with};
use line_login::email_watch::EMAIL_MISSING_LOGINS_BEFORE_WARNING;
use line_login::link::MemoryLinks;
use reqwest::StatusCode;

async fn email_app() -> TestApp {
    start_app_with(AppOptions::default().config(|c| c.email(true))).await
}

/// Logs `browser` in as `user_id`, ticking the email permission or not; returns `/me`.
async fn login(
    app: &TestApp,
    browser: &Browser,
    user_id: &str,
    tick_email: bool,
) -> serde_json::Value {
    let authorize = app.start_login(browser, "").await;
    let choice = app.choice(user_id).with_email(tick_email);
    let callback = app.consent(&authorize, choice).await;
    let answer = browser.get_cross_site(&callback).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    browser.as_json().get(&app.url("/me")).await.json()
}

#[tokio::test]
async fn email_requested_but_not_granted_is_on_the_user() {
    let app = email_app().await;
    let user = app.first_user();
    let me = login(&app, &Browser::new(), &user, false).await;
    assert_eq!(me["email"], serde_json::Value::Null, "{me}");
    assert_eq!(me["email_not_granted"], true, "{me}");

    let me = login(&app, &Browser::new(), &user, true).await;
    assert_eq!(me["email"], "brown@example.com", "{me}");
    assert_eq!(me["email_not_granted"], false, "{me}");

    // Not asked for: not "not granted".
    let plain = common::start_app().await;
    let me = login(&plain, &Browser::new(), &plain.first_user(), true).await;
    assert_eq!(me["email"], serde_json::Value::Null);
    assert_eq!(me["email_not_granted"], false, "{me}");
}

#[tokio::test]
async fn simulator_channel_without_email_permission_never_gives_an_email() {
    let app = email_app().await;
    app.sim.set_email_permission(false);
    let me = login(&app, &Browser::new(), &app.first_user(), true).await;
    assert_eq!(me["email"], serde_json::Value::Null, "{me}");
    assert_eq!(me["email_not_granted"], true, "{me}");
    // The consent page offers no email checkbox.
    let authorize = app.start_login(&Browser::new(), "").await;
    let page = Browser::new().get(&authorize).await;
    assert!(page.body.contains("user ID"), "{}", page.body);
    assert!(!page.body.contains("grant_email"), "{}", page.body);

    app.sim.set_email_permission(true);
    let me = login(&app, &Browser::new(), &app.first_user(), true).await;
    assert_eq!(me["email"], "brown@example.com", "{me}");
}

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn warnings(&self) -> usize {
        String::from_utf8_lossy(&self.0.lock().unwrap())
            .lines()
            .filter(|l| l.contains("WARN") && l.contains("email permission"))
            .count()
    }
}

#[tokio::test]
async fn many_logins_without_email_warn_once_about_the_channels_email_permission() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let app = email_app().await;
    app.sim.set_email_permission(false);
    let user = app.first_user();
    for _ in 1..EMAIL_MISSING_LOGINS_BEFORE_WARNING {
        login(&app, &Browser::new(), &user, true).await;
    }
    assert_eq!(captured.warnings(), 0, "no warning before the threshold");
    login(&app, &Browser::new(), &user, true).await;
    assert_eq!(captured.warnings(), 1);
    for _ in 0..5 {
        login(&app, &Browser::new(), &user, true).await;
    }
    assert_eq!(captured.warnings(), 1, "rate-limited");
    let text = String::from_utf8_lossy(&captured.0.lock().unwrap()).into_owned();
    assert!(
        text.contains("LINE Developers Console, Basic settings, OpenID Connect"),
        "{text}"
    );
}

#[tokio::test]
async fn email_is_never_an_identity_key() {
    let links = MemoryLinks::<String>::default();
    let app = start_app_with(
        AppOptions::default()
            .config(|c| c.email(true))
            .links(links.clone()),
    )
    .await;
    let user = app.first_user();
    // Brown links member 7 while granting the email.
    let browser = Browser::new();
    browser.post(&app.url("/member/signin?member=7")).await;
    let answer = browser.post(&app.url("/auth/line/link")).await;
    let authorize = answer.location().expect("link redirects to LINE");
    let callback = app
        .consent(&authorize, app.choice(&user).with_email(true))
        .await;
    browser.get_cross_site(&callback).await;
    // Later, without the email (unticked, or the permission gone), Brown is still member 7.
    app.sim.set_email_permission(false);
    let me = login(&app, &Browser::new(), &user, true).await;
    assert_eq!(me["user_id"], user.as_str());
    assert_eq!(me["member_id"], "7", "{me}");
    assert_eq!(me["email"], serde_json::Value::Null);
    // The compliance report says so.
    let report = line_login::compliance::report(&app.config);
    let item = report.item("id_linking").unwrap();
    assert!(
        item.how.contains("email is never an identity key"),
        "{}",
        item.how
    );
}
