//! `POST {prefix}/token-login`: logging a session in with an ID token from the LIFF SDK or a
//! native SDK (ES256, keys from LINE's JWKS), against the simulator.

use crate::common;

use common::{AppOptions, Browser, TestApp, start_app, start_app_with};
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

/// A nonce from `POST /auth/line/token-login/nonce`, bound to `browser`.
async fn issue_nonce(app: &TestApp, browser: &Browser) -> String {
    let answer = browser
        .as_json()
        .post(&app.url("/auth/line/token-login/nonce"))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.json()["expires_in"], 600);
    answer.json()["nonce"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn token_login_checks_the_nonce_when_given() {
    let app = start_app().await;
    let browser = Browser::new();
    let nonce = issue_nonce(&app, &browser).await;
    let token = app
        .sim
        .issue_es256_id_token(&app.first_user(), Some(&nonce));
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
        serde_json::json!({ "id_token": token, "nonce": nonce }),
    )
    .await;
    assert_eq!(right.status, StatusCode::OK, "{}", right.body);
}

/// Issue 16 item 1: a token whose nonce this server issued to this browser logs in once; the
/// same token again is refused (the nonce is spent), with or without the nonce in the body.
#[tokio::test]
async fn a_token_with_an_issued_nonce_logs_in_once() {
    let app = start_app().await;
    let browser = Browser::new();
    let nonce = issue_nonce(&app, &browser).await;
    let token = app
        .sim
        .issue_es256_id_token(&app.first_user(), Some(&nonce));
    let first = token_login(&app, &browser, serde_json::json!({ "id_token": token })).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    for body in [
        serde_json::json!({ "id_token": token }),
        serde_json::json!({ "id_token": token, "nonce": nonce }),
    ] {
        let again = token_login(&app, &Browser::new(), body.clone()).await;
        assert_eq!(again.status, StatusCode::UNAUTHORIZED, "{}", again.body);
        assert_eq!(again.json()["error"], "nonce_not_issued");
        let same_browser = token_login(&app, &browser, body).await;
        assert_eq!(same_browser.json()["error"], "nonce_not_issued");
    }
}

/// Issue 16: a stolen token that carries a nonce logs nobody in elsewhere, even when the thief
/// leaves the nonce out of the body (which used to skip the check), and a nonce this server
/// never issued is refused.
#[tokio::test]
async fn a_stolen_or_foreign_nonce_token_logs_nobody_in() {
    let app = start_app().await;
    let victim = Browser::new();
    let nonce = issue_nonce(&app, &victim).await;
    let stolen = app
        .sim
        .issue_es256_id_token(&app.first_user(), Some(&nonce));
    let thief = Browser::new();
    issue_nonce(&app, &thief).await; // the thief has an attempt cookie of their own
    let answer = token_login(&app, &thief, serde_json::json!({ "id_token": stolen })).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{}", answer.body);
    assert_eq!(answer.json()["error"], "nonce_not_issued");
    assert_eq!(app.who(&thief).await, None);
    let foreign = app
        .sim
        .issue_es256_id_token(&app.first_user(), Some("n-123"));
    let answer = token_login(&app, &thief, serde_json::json!({ "id_token": foreign })).await;
    assert_eq!(answer.json()["error"], "nonce_not_issued");
    // The victim's own login still works: the thief did not spend the nonce.
    let own = token_login(&app, &victim, serde_json::json!({ "id_token": stolen })).await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.body);
}

/// Issue 16: a token without a nonce (LIFF's default) logs in once under the default policy,
/// never twice; with `TokenNonce::Require` not at all.
#[tokio::test]
async fn a_token_without_a_nonce_logs_in_once_and_not_at_all_when_a_nonce_is_required() {
    let app = start_app().await;
    let token = app.sim.issue_es256_id_token(&app.first_user(), None);
    let first = token_login(
        &app,
        &Browser::new(),
        serde_json::json!({ "id_token": token }),
    )
    .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let again = token_login(
        &app,
        &Browser::new(),
        serde_json::json!({ "id_token": token }),
    )
    .await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED);
    assert_eq!(again.json()["error"], "token_already_used");

    let strict = start_app_with(
        AppOptions::default().layer(|layer| layer.token_nonce(line_login::TokenNonce::Require)),
    )
    .await;
    let token = strict.sim.issue_es256_id_token(&strict.first_user(), None);
    let answer = token_login(
        &strict,
        &Browser::new(),
        serde_json::json!({ "id_token": token }),
    )
    .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.json()["error"], "nonce_required");
}

/// Issue 16: 8 copies of one token login at once, 20 rounds: exactly one logs in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_copies_of_one_token_login_log_in_once() {
    let app = start_app().await;
    for round in 0..20 {
        let token = app.sim.issue_es256_id_token(&app.first_user(), None);
        let copies = (0..8).map(|_| {
            let body = serde_json::json!({ "id_token": token });
            let app = &app;
            async move { token_login(app, &Browser::new(), body).await.status }
        });
        let statuses = futures_util::future::join_all(copies).await;
        let ok = statuses.iter().filter(|s| **s == StatusCode::OK).count();
        assert_eq!(ok, 1, "round {round}: {statuses:?}");
    }
}

/// Issue 16 items 3 and 4: the session ends when the token does; an expired token answers 401
/// `token_expired` with an RFC 6750 challenge, distinct from `invalid_id_token`.
#[tokio::test]
async fn a_token_session_ends_with_the_token_and_an_expired_token_says_so() {
    use std::sync::atomic::{AtomicI64, Ordering};
    let offset = std::sync::Arc::new(AtomicI64::new(0));
    let clock = offset.clone();
    let app = start_app_with(AppOptions::default().layer(move |layer| {
        layer.clock(move || {
            std::time::SystemTime::from(
                time::OffsetDateTime::now_utc()
                    + time::Duration::seconds(clock.load(Ordering::SeqCst)),
            )
        })
    }))
    .await;
    let browser = Browser::new();
    let token = app.sim.issue_es256_id_token(&app.first_user(), None);
    let answer = token_login(&app, &browser, serde_json::json!({ "id_token": token })).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let cookie = answer
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("line_login_session="))
        .expect("a session cookie");
    let left = cookie::Cookie::parse(cookie.clone())
        .unwrap()
        .max_age()
        .expect("the session cookie expires with the token");
    assert!(
        left <= time::Duration::hours(1) + time::Duration::minutes(1),
        "the session outlives its token: {cookie}"
    );

    let later = app.sim.issue_es256_id_token(&app.first_user(), None);
    offset.store(2 * 3600, Ordering::SeqCst);
    let answer = token_login(
        &app,
        &Browser::new(),
        serde_json::json!({ "id_token": later }),
    )
    .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.json()["error"], "token_expired");
    assert_eq!(
        answer.headers["www-authenticate"],
        r#"Bearer error="invalid_token", error_description="The ID token expired""#
    );
}

#[tokio::test]
async fn token_from_another_channel_is_refused() {
    let app = start_app().await;
    let other =
        line_login_simulator::Simulator::start_with(line_login_simulator::SimulatorOptions {
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
    use line_login_simulator::{Endpoint, Fault};

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
