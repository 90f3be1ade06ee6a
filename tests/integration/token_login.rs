//! `POST {prefix}/token-login`: logging a session in with an ID token from the LIFF SDK or a
//! native SDK (ES256, keys from LINE's JWKS), against the simulator.

use crate::common;

use common::{Browser, TestApp, start_app};
use reqwest::StatusCode;

async fn token_login(app: &TestApp, browser: &Browser, body: serde_json::Value) -> common::Answer {
    browser
        .as_json()
        .post_with(&app.url("/auth/line/token-login"), |r| r.json(&body))
        .await
}

#[tokio::test]
async fn liff_id_token_logs_the_session_in() {
    let app = start_app().await;
    let browser = Browser::new();
    let user = app.first_user();
    let token = app.sim.issue_es256_id_token(&user, None);
    let answer = token_login(&app, &browser, serde_json::json!({ "id_token": token })).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.json()["user_id"], user.as_str());
    assert_eq!(app.who(&browser).await, Some(user));
}

#[tokio::test]
async fn token_login_cycles_the_session_id() {
    let app = start_app().await;
    let browser = Browser::new();
    let other = app.sim.users()[1].user_id.clone();
    app.login(&browser, &other).await;
    let before = browser.cookie("line_login_session").unwrap();
    let token = app.sim.issue_es256_id_token(&app.first_user(), None);
    token_login(&app, &browser, serde_json::json!({ "id_token": token })).await;
    assert_ne!(browser.cookie("line_login_session").unwrap(), before);
    let stale = Browser::json_client();
    stale.set_cookie("line_login_session", &before);
    assert_eq!(app.who(&stale).await, None, "the old id is gone");
}

#[tokio::test]
async fn token_login_checks_the_nonce_when_given() {
    let app = start_app().await;
    let token = app
        .sim
        .issue_es256_id_token(&app.first_user(), Some("n-123"));
    let browser = Browser::new();
    let wrong = token_login(
        &app,
        &browser,
        serde_json::json!({ "id_token": token, "nonce": "n-999" }),
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.who(&browser).await, None);
    let right = token_login(
        &app,
        &browser,
        serde_json::json!({ "id_token": token, "nonce": "n-123" }),
    )
    .await;
    assert_eq!(right.status, StatusCode::OK, "{}", right.body);
}

#[tokio::test]
async fn token_from_another_channel_is_refused() {
    let app = start_app().await;
    let other =
        line_login::simulator::Simulator::start_with(line_login::simulator::SimulatorOptions {
            channel_id: "9999999999".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let token = other.issue_es256_id_token(&other.users()[0].user_id, None);
    let browser = Browser::new();
    let answer = token_login(&app, &browser, serde_json::json!({ "id_token": token })).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.who(&browser).await, None);
}

#[tokio::test]
async fn web_login_hs256_token_is_refused_on_token_login() {
    let app = start_app().await;
    // An HS256 token signed with the channel secret is the web flow's; token login takes ES256.
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let claims = serde_json::json!({
        "iss": app.sim.issuer(), "sub": app.first_user(), "aud": app.sim.channel_id(),
        "iat": now, "exp": now + 3600,
    });
    let token = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(app.sim.channel_secret().as_bytes()),
    )
    .unwrap();
    let browser = Browser::new();
    let answer = token_login(&app, &browser, serde_json::json!({ "id_token": token })).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.who(&browser).await, None);
}

#[tokio::test]
async fn garbage_token_is_refused_without_a_panic() {
    let app = start_app().await;
    let browser = Browser::new();
    for token in ["", "a.b.c", "not a token", &"x".repeat(17_000)] {
        let answer = token_login(&app, &browser, serde_json::json!({ "id_token": token })).await;
        assert!(
            answer.status == StatusCode::UNAUTHORIZED || answer.status == StatusCode::BAD_REQUEST,
            "{}: {}",
            answer.status,
            answer.body
        );
    }
    assert_eq!(app.who(&browser).await, None);
}

#[tokio::test]
async fn token_login_takes_only_json_bodies() {
    let app = start_app().await;
    let token = app.sim.issue_es256_id_token(&app.first_user(), None);
    let browser = Browser::new();
    let answer = browser
        .post_with(&app.url("/auth/line/token-login"), |r| {
            r.header("content-type", "application/x-www-form-urlencoded")
                .body(format!("id_token={token}"))
        })
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.who(&browser).await, None);
}

#[tokio::test]
async fn cross_site_token_login_is_refused() {
    let app = start_app().await;
    let token = app.sim.issue_es256_id_token(&app.first_user(), None);
    let browser = Browser::new();
    for (name, value) in [
        ("sec-fetch-site", "cross-site"),
        ("origin", "https://evil.example"),
    ] {
        let answer = browser
            .post_with(&app.url("/auth/line/token-login"), |r| {
                r.header(name, value)
                    .json(&serde_json::json!({ "id_token": token }))
            })
            .await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{name}");
    }
    assert_eq!(app.who(&browser).await, None);
}

#[tokio::test]
async fn token_login_by_get_is_refused() {
    let app = start_app().await;
    let answer = Browser::new().get(&app.url("/auth/line/token-login")).await;
    assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
}

/// Issue 15 item 4: with LINE's certs endpoint failing, a good token is not "invalid": the
/// answer is a retryable 503 (with LINE's `Retry-After` when it sent one), and nobody is logged
/// in. A token that is itself bad is still refused with 401 during the outage.
#[tokio::test]
async fn a_jwks_outage_is_a_retryable_503_not_an_invalid_token() {
    use line_login::simulator::{Endpoint, Fault};

    for (fault, retry_after) in [
        (Fault::Status(500), None),
        (
            Fault::RateLimited {
                retry_after_secs: 30,
            },
            Some("30"),
        ),
    ] {
        let app = start_app().await;
        app.sim.inject(Endpoint::Certs, fault.clone(), None);
        let browser = Browser::new();
        let token = app.sim.issue_es256_id_token(&app.first_user(), None);
        let answer = token_login(&app, &browser, serde_json::json!({ "id_token": token })).await;
        assert_eq!(
            answer.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{fault:?}: {}",
            answer.body
        );
        assert_eq!(
            answer.json()["error"],
            "line_unavailable",
            "{}",
            answer.body
        );
        assert!(answer.json()["retry_url"].is_string(), "{}", answer.body);
        assert_eq!(
            answer
                .headers
                .get(reqwest::header::RETRY_AFTER)
                .map(|v| v.to_str().unwrap()),
            retry_after,
            "{fault:?}"
        );
        assert_eq!(app.who(&browser).await, None);

        let bad = token_login(
            &app,
            &browser,
            serde_json::json!({ "id_token": "not.a.token" }),
        )
        .await;
        assert_eq!(bad.status, StatusCode::UNAUTHORIZED, "{}", bad.body);
        assert_eq!(bad.json()["error"], "invalid_id_token");
    }
}
