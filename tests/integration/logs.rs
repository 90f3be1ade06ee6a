//! What the crate logs during logins, failures, LINE calls and logout: the events LINE's
//! guidelines ask for, and never a secret (channel secret, code, state, nonce, PKCE verifier,
//! access, refresh or ID token).

use crate::common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::{Browser, start_app};
use line_login_simulator::{Endpoint, Fault};
use url::Url;

/// Collects everything written by the tracing subscriber.
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
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

#[tokio::test]
async fn logins_failures_and_logout_log_no_secret() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let app = start_app().await;
    let browser = Browser::new();
    let user = app.first_user();
    let mut secrets = vec![app.sim.channel_secret().to_owned()];

    // A full login: collect its state, nonce, PKCE challenge and code.
    let authorize = app.start_login(&browser, "").await;
    let query: Vec<(String, String)> = Url::parse(&authorize)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect();
    for name in ["state", "nonce", "code_challenge"] {
        secrets.push(query.iter().find(|(k, _)| k == name).unwrap().1.clone());
    }
    let callback = app.consent(&authorize, app.choice(&user)).await;
    let code = Url::parse(&callback)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    secrets.push(code);
    browser.get_cross_site(&callback).await;
    assert_eq!(app.who(&browser).await, Some(user.clone()));

    // Failures: a LINE error answer, a bad ID token, a forged callback.
    for fault in [Fault::Status(400), Fault::BadSignature] {
        app.sim.inject(Endpoint::Token, fault, Some(1));
        let other = Browser::new();
        app.login(&other, &user).await;
    }
    Browser::new()
        .get_cross_site(&app.url("/auth/line/callback?code=forged-code&state=forged-state"))
        .await;
    // LINE calls on the user's behalf, then logout (revoke).
    browser
        .as_json()
        .post(&app.url("/friendship/refresh"))
        .await;
    browser.as_json().post(&app.url("/line/refresh")).await;
    browser.post(&app.url("/auth/line/logout")).await;
    // A LIFF token login.
    let liff = app.sim.issue_es256_id_token(&user, None);
    secrets.push(liff.clone());
    Browser::new()
        .as_json()
        .post_with(&app.url("/auth/line/token-login"), |r| {
            r.json(&serde_json::json!({ "id_token": liff }))
        })
        .await;

    let logs = captured.text();
    // The events the guidelines ask for are there.
    assert!(logs.contains("LINE login started"), "{logs}");
    assert!(logs.contains("LINE login completed"), "{logs}");
    assert!(logs.contains("LINE login request failed"), "{logs}");
    assert!(
        logs.contains("x-line-request-id") || logs.contains("request_id"),
        "{logs}"
    );
    // No secret is.
    for secret in &secrets {
        assert!(
            !logs.contains(secret.as_str()),
            "a secret reached the logs: {secret}"
        );
    }
    assert!(
        !logs.contains("forged-code"),
        "a callback code reached the logs"
    );
    assert!(
        !logs.contains("forged-state"),
        "a callback state reached the logs"
    );
    // Tokens are JWS (`eyJ...`) in the simulator, as at LINE: none may appear.
    assert!(!logs.contains("eyJ"), "a token reached the logs");
}

/// Issue 15 item 2: a callback's `error` and `error_description` are attacker text. With CR, LF
/// and ANSI escapes in them, no forged log line appears and no raw control character reaches the
/// output; the text is bounded.
#[tokio::test]
async fn callback_error_text_cannot_forge_a_log_line() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let app = start_app().await;
    let forged = "2026-01-01T00:00:00.000000Z  INFO line_login: LINE login completed admin=true";
    let attack = format!("x\r\n{forged}\x1b[2K\x1b[31m\u{85}\u{2028}");
    let long = "y".repeat(5_000);
    for (error, description) in [
        (attack.as_str(), attack.as_str()),
        ("ACCESS_DENIED", attack.as_str()),
        (long.as_str(), long.as_str()),
    ] {
        let query = serde_urlencoded::to_string([
            ("error", error),
            ("error_description", description),
            ("state", "s"),
        ])
        .unwrap();
        Browser::new()
            .get_cross_site(&app.url(&format!("/auth/line/callback?{query}")))
            .await;
    }

    let logs = captured.text();
    assert!(logs.contains("LINE login request failed"), "{logs}");
    for line in logs.lines() {
        assert!(
            !line.starts_with("2026-01-01T00:00:00"),
            "a forged log line: {line}"
        );
        assert!(line.len() < 2_000, "an unbounded log line: {line}");
    }
    assert!(
        !logs.contains(['\r', '\x1b', '\u{85}', '\u{2028}']),
        "a raw control character reached the logs: {logs:?}"
    );
}
