//! Logins started in an in-app browser: the interstitial page (the default), the
//! `disable_auto_login` policy, LINE's own in-app browser going straight on, and the decision in
//! the log.

use crate::common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::{AppOptions, Browser, start_app, start_app_with};
use line_login::InAppBrowserPolicy;
use reqwest::StatusCode;
use url::Url;

const FACEBOOK_IOS: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) \
    AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/455.0.0.35.104]";
const LINE_IOS: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) \
    AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Safari Line/14.4.0";
const LINE_ANDROID: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 8; wv) AppleWebKit/537.36 \
    (KHTML, like Gecko) Version/4.0 Chrome/124.0.0.0 Mobile Safari/537.36 Line/14.4.1/IAB";
const SAFARI_IOS: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) \
    AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1";

fn disables_auto_login(location: &str) -> bool {
    Url::parse(location)
        .unwrap()
        .query_pairs()
        .any(|(k, v)| k == "disable_auto_login" && v == "true")
}

/// The `href` of the interstitial's continue link, HTML-unescaped.
fn continue_link(body: &str) -> String {
    let start = body
        .find("id=\"in-app-continue\" href=\"")
        .expect("a continue link")
        + 27;
    let end = start + body[start..].find('"').unwrap();
    body[start..end].replace("&amp;", "&")
}

#[tokio::test]
async fn in_app_browser_gets_an_interstitial_with_a_plain_link_that_continues() {
    let app = start_app().await;
    let browser = Browser::new().with_user_agent(FACEBOOK_IOS);
    let answer = browser
        .get(&app.url("/auth/line/login?return_to=/orders"))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert!(answer.location().is_none());
    assert!(
        answer.body.contains("Open this page in your browser"),
        "{}",
        answer.body
    );
    assert!(answer.body.contains("Facebook"), "{}", answer.body);
    // A plain link, no script: iOS universal links fail on JavaScript redirects.
    assert!(!answer.body.contains("<script"), "{}", answer.body);
    // Nothing was started: no attempt cookie yet.
    assert!(
        answer.set_cookies().is_empty(),
        "{:?}",
        answer.set_cookies()
    );
    let link = continue_link(&answer.body);
    assert!(link.starts_with("/auth/line/login?"), "{link}");

    // Following the link goes on to LINE, asking for the password instead of auto login, and
    // keeps the return_to.
    let next = browser.get(&app.url(&link)).await;
    assert_eq!(next.status, StatusCode::SEE_OTHER, "{}", next.body);
    let authorize = next.location().unwrap();
    assert!(disables_auto_login(&authorize), "{authorize}");
    let callback = app.consent(&authorize, app.choice(&app.first_user())).await;
    let done = browser.get_cross_site(&callback).await;
    assert_eq!(done.location().as_deref(), Some("/orders"));
}

#[tokio::test]
async fn in_app_browser_interstitial_speaks_every_language() {
    let app = start_app().await;
    let expected = [
        ("en", "Open this page in your browser"),
        ("ja", "このページをブラウザで開いてください"),
        ("zh-TW", "請在瀏覽器中開啟此頁面"),
        ("th", "เปิดหน้านี้ในเบราว์เซอร์ของคุณ"),
        ("id", "Buka halaman ini di browser Anda"),
    ];
    for (language, title) in expected {
        let browser = Browser::new()
            .with_user_agent(FACEBOOK_IOS)
            .speaking(language);
        let answer = browser.get(&app.url("/auth/line/login")).await;
        assert_eq!(answer.status, StatusCode::OK);
        assert!(answer.body.contains(title), "{language}: {}", answer.body);
        assert!(answer.body.contains("id=\"in-app-continue\""), "{language}");
    }
}

#[tokio::test]
async fn line_in_app_browser_and_plain_browsers_go_straight_to_line() {
    let app = start_app().await;
    for user_agent in [LINE_IOS, LINE_ANDROID, SAFARI_IOS, ""] {
        let browser = Browser::new().with_user_agent(user_agent);
        let authorize = app.start_login(&browser, "").await;
        assert!(
            !disables_auto_login(&authorize),
            "{user_agent}: {authorize}"
        );
    }
}

#[tokio::test]
async fn in_app_policy_disable_auto_login_goes_on_to_line_without_auto_login() {
    let app = start_app_with(
        AppOptions::default().layer(|l| l.in_app_browser(InAppBrowserPolicy::DisableAutoLogin)),
    )
    .await;
    let browser = Browser::new().with_user_agent(FACEBOOK_IOS);
    let authorize = app.start_login(&browser, "").await;
    assert!(disables_auto_login(&authorize), "{authorize}");
    // LINE's own in-app browser still goes straight on.
    let line = Browser::new().with_user_agent(LINE_IOS);
    assert!(!disables_auto_login(&app.start_login(&line, "").await));

    let ignore = start_app_with(
        AppOptions::default().layer(|l| l.in_app_browser(InAppBrowserPolicy::Ignore)),
    )
    .await;
    assert!(!disables_auto_login(
        &ignore.start_login(&browser, "").await
    ));
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

#[tokio::test]
async fn in_app_browser_decision_is_logged() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let app = start_app().await;
    let browser = Browser::new().with_user_agent(FACEBOOK_IOS);
    browser.get(&app.url("/auth/line/login")).await;
    let text = String::from_utf8_lossy(&captured.0.lock().unwrap()).into_owned();
    let line = text
        .lines()
        .find(|l| l.contains("in-app browser"))
        .unwrap_or_else(|| panic!("no decision logged: {text}"));
    assert!(line.contains("in_app_browser=\"Facebook\""), "{line}");
    assert!(line.contains("in_app_decision=\"interstitial\""), "{line}");
    // LINE's own in-app browser: logged as going straight on.
    let line_browser = Browser::new().with_user_agent(LINE_IOS);
    app.start_login(&line_browser, "").await;
    let text = String::from_utf8_lossy(&captured.0.lock().unwrap()).into_owned();
    assert!(
        text.lines()
            .any(|l| l.contains("in_app_browser=\"LINE\"")
                && l.contains("in_app_decision=\"proceed\"")),
        "{text}"
    );
}
