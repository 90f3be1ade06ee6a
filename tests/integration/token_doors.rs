//! Issue 16 items 2, 3, 5, 6 and 7: the access-token door at `POST {prefix}/token-login`, the
//! accepted channels (LIFF / MINI App audiences), sessions no longer than their proof or
//! `max_age`, the stateless bearer guard, `openid`-only tokens, and the simulator playing LIFF
//! and LINE MINI App.

use std::time::Duration;

use line_login_simulator::{Endpoint, Fault, LiffLogin, LiffTokens};
use reqwest::StatusCode;

use crate::common::{self, AppOptions, Browser, TestApp};

async fn token_login(app: &TestApp, browser: &Browser, body: serde_json::Value) -> common::Answer {
    browser
        .as_json()
        .post_with(&app.url("/auth/line/token-login"), |r| r.json(&body))
        .await
}

/// An app accepting the simulator's LIFF channel as an extra token audience.
async fn liff_app() -> TestApp {
    let sim = line_login_simulator::Simulator::start().await.unwrap();
    let liff = sim.liff_channel_id().to_owned();
    common::start_app_on(
        sim,
        AppOptions::default().config(move |c| c.token_audiences([liff])),
    )
    .await
}

fn liff(app: &TestApp, login: LiffLogin) -> LiffTokens {
    app.sim
        .liff_login(&login)
        .expect("the simulator issues LIFF tokens")
}

async fn bearer(app: &TestApp, path: &str, token: &str) -> common::Answer {
    let client = Browser::new();
    client
        .get_with(&app.url(path), |r| r.bearer_auth(token))
        .await
}

fn session_max_age(answer: &common::Answer) -> time::Duration {
    let cookie = answer
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("line_login_session="))
        .expect("a session cookie");
    cookie::Cookie::parse(cookie.clone())
        .unwrap()
        .max_age()
        .expect("the session cookie expires")
}

/// Issue 16 item 7: a second channel with ES256 ID tokens and 12-hour access tokens, tokens with
/// only `openid`, and the permission upgrade that revokes the old access token, through the
/// Rust and the HTTP test APIs.
#[tokio::test]
async fn the_simulator_plays_liff_and_mini_app_channels() {
    let sim = line_login_simulator::Simulator::start().await.unwrap();
    let user = sim.users()[0].user_id.clone();
    assert_ne!(sim.liff_channel_id(), sim.channel_id());
    let tokens = sim.liff_login(&LiffLogin::new(&user)).unwrap();
    assert_eq!(tokens.channel_id, sim.liff_channel_id());
    assert_eq!(tokens.expires_in, 12 * 3600);
    let id_token = tokens.id_token.clone().unwrap();
    let header = jsonwebtoken::decode_header(&id_token).unwrap();
    assert_eq!(header.alg, jsonwebtoken::Algorithm::ES256);
    let claims: serde_json::Value = serde_json::from_slice(
        &base64::Engine::decode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            id_token.split('.').nth(1).unwrap(),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["aud"], sim.liff_channel_id());
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        3600
    );
    assert_eq!(claims["name"], "Brown");

    let http = reqwest::Client::new();
    let verify = |token: String| {
        let http = http.clone();
        let url = sim.base_url().join("oauth2/v2.1/verify").unwrap();
        async move {
            let answer = http
                .get(url)
                .query(&[("access_token", token)])
                .send()
                .await
                .unwrap();
            (
                answer.status(),
                answer.json::<serde_json::Value>().await.unwrap(),
            )
        }
    };
    let (status, info) = verify(tokens.access_token.clone()).await;
    assert_eq!(status, 200);
    assert_eq!(info["client_id"], sim.liff_channel_id());
    assert_eq!(info["scope"], "profile openid");

    // MINI App consent simplification: openid only, no name or picture, no profile API.
    let mini = sim
        .liff_login(&LiffLogin::new(&user).scope("openid"))
        .unwrap();
    assert_eq!(mini.scope, "openid");
    let profile = http
        .get(sim.base_url().join("v2/profile").unwrap())
        .bearer_auth(&mini.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(profile.status(), 403);
    // Granting more permissions refreshes the access token and revokes the old one.
    let upgraded = sim
        .upgrade_permissions(&mini.access_token, "profile")
        .unwrap();
    assert_eq!(upgraded.scope, "profile openid");
    let (status, old) = verify(mini.access_token.clone()).await;
    assert_eq!(status, 400);
    assert_eq!(old["error_description"], "The access token revoked");
    assert_eq!(verify(upgraded.access_token.clone()).await.0, 200);
    // Stale tokens, as the LIFF SDK's cache hands them back.
    let stale = sim.liff_login(&LiffLogin::new(&user).stale(true)).unwrap();
    assert_eq!(stale.expires_in, 0);
    assert_eq!(verify(stale.access_token).await.0, 400);

    // The HTTP test API, callable from a page of another origin without a preflight.
    let answer = http
        .post(sim.base_url().join("__sim/liff-login").unwrap())
        .header("content-type", "text/plain")
        .body(serde_json::json!({ "user_id": user, "scope": "openid", "nonce": "n-1" }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.headers()["access-control-allow-origin"], "*");
    let body: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(body["channel_id"], sim.liff_channel_id());
    assert!(body["id_token"].is_string());
    let answer = http
        .post(sim.base_url().join("__sim/upgrade-permissions").unwrap())
        .body(
            serde_json::json!({ "access_token": body["access_token"], "scope": "profile" })
                .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let refused = http
        .post(sim.base_url().join("__sim/liff-login").unwrap())
        .body(serde_json::json!({ "user_id": "Unobody" }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
}

/// Issue 16 item 2: an access token of an accepted channel logs in; LINE says who the user is;
/// the session says which channel it came through and ends with the access token (12 hours).
#[tokio::test]
async fn an_access_token_of_an_accepted_channel_logs_in() {
    let app = liff_app().await;
    let user = app.first_user();
    let tokens = liff(&app, LiffLogin::new(&user));
    let browser = Browser::new();
    let answer = token_login(
        &app,
        &browser,
        serde_json::json!({ "access_token": tokens.access_token }),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let json = answer.json();
    assert_eq!(json["user_id"], user.as_str());
    assert_eq!(json["display_name"], "Brown");
    assert_eq!(json["channel_id"], app.sim.liff_channel_id());
    assert_eq!(json["door"], "access_token");
    assert_eq!(json["scopes"], serde_json::json!(["profile", "openid"]));
    let left = session_max_age(&answer);
    assert!(
        left <= time::Duration::hours(12) && left > time::Duration::hours(11),
        "the session ends with the access token: {left}"
    );
    assert_eq!(app.who(&browser).await, Some(user));
    assert_eq!(app.sim.requests(Endpoint::VerifyAccessToken), 1);
    assert_eq!(app.sim.requests(Endpoint::Profile), 1);
}

/// Issue 16 item 2 / issue 17 item 3: a token of a channel that is not accepted logs nobody in,
/// and a refused verify makes no profile call. Fails without the `client_id` check.
#[tokio::test]
async fn an_access_token_of_another_channel_is_refused_without_a_profile_call() {
    let app = common::start_app().await; // the LIFF channel is not accepted here
    let tokens = liff(&app, LiffLogin::new(app.first_user()));
    let browser = Browser::new();
    let answer = token_login(
        &app,
        &browser,
        serde_json::json!({ "access_token": tokens.access_token }),
    )
    .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{}", answer.body);
    assert_eq!(answer.json()["error"], "token_for_another_channel");
    assert_eq!(app.who(&browser).await, None);
    assert_eq!(app.sim.requests(Endpoint::VerifyAccessToken), 1);
    assert_eq!(app.sim.requests(Endpoint::Profile), 0);
    assert_eq!(app.sim.requests(Endpoint::UserInfo), 0);
    // The LIFF channel's ID token is refused here too, and over the bearer guard.
    let id_token = tokens.id_token.unwrap();
    let answer = token_login(&app, &browser, serde_json::json!({ "id_token": id_token })).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.json()["error"], "invalid_id_token");
    let answer = bearer(&app, "/api/me", &id_token).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.json()["error"], "invalid_token");
}

/// Issue 16 item 2: revoked, expired and unknown tokens are refused by LINE's verify, and no
/// profile is asked for.
#[tokio::test]
async fn a_refused_verify_makes_no_profile_call() {
    let app = liff_app().await;
    let user = app.first_user();
    let revoked = liff(&app, LiffLogin::new(&user));
    app.sim
        .upgrade_permissions(&revoked.access_token, "profile")
        .unwrap();
    let stale = liff(&app, LiffLogin::new(&user).stale(true));
    let browser = Browser::new();
    for (token, code) in [
        (revoked.access_token.as_str(), "invalid_token"),
        (stale.access_token.as_str(), "token_expired"),
        ("eyJhbGciOiJIUzI1NiJ9.bm90LWlzc3VlZA.c2ln", "token_expired"),
        ("not a token", "invalid_token"),
    ] {
        let answer =
            token_login(&app, &browser, serde_json::json!({ "access_token": token })).await;
        assert_eq!(
            answer.status,
            StatusCode::UNAUTHORIZED,
            "{token}: {}",
            answer.body
        );
        assert_eq!(answer.json()["error"], code, "{token}");
        assert!(
            answer.headers["www-authenticate"]
                .to_str()
                .unwrap()
                .starts_with(r#"Bearer error="invalid_token""#)
        );
    }
    assert_eq!(app.who(&browser).await, None);
    assert_eq!(app.sim.requests(Endpoint::Profile), 0);
    assert_eq!(app.sim.requests(Endpoint::UserInfo), 0);
    assert_eq!(
        app.sim.requests(Endpoint::VerifyAccessToken),
        3,
        "garbage costs no request"
    );
}

/// Issue 16 item 2: a `user_id` or profile sent by the client is never used.
#[tokio::test]
async fn a_user_id_sent_by_the_client_is_never_used() {
    let app = liff_app().await;
    let brown = app.first_user();
    let cony = app.sim.users()[1].user_id.clone();
    let tokens = liff(&app, LiffLogin::new(&brown));
    let browser = Browser::new();
    let answer = token_login(
        &app,
        &browser,
        serde_json::json!({
            "access_token": tokens.access_token,
            "user_id": cony,
            "display_name": "Cony",
            "profile": { "userId": cony },
        }),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.json()["user_id"], brown.as_str());
    assert_eq!(answer.json()["display_name"], "Brown");
    assert_eq!(app.who(&browser).await, Some(brown));
    // Both tokens at once is not a thing: refused.
    let both = token_login(
        &app,
        &Browser::new(),
        serde_json::json!({ "access_token": "a", "id_token": "b" }),
    )
    .await;
    assert_eq!(both.status, StatusCode::BAD_REQUEST);
}

/// Issue 16 (replay): an access token logs in once, like a nonce-less ID token; where a nonce is
/// required it does not log in at all (it cannot carry one), and LINE is not asked.
#[tokio::test]
async fn an_access_token_logs_in_once() {
    let app = liff_app().await;
    let tokens = liff(&app, LiffLogin::new(app.first_user()));
    let body = serde_json::json!({ "access_token": tokens.access_token });
    let first = token_login(&app, &Browser::new(), body.clone()).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let thief = Browser::new();
    let again = token_login(&app, &thief, body.clone()).await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED, "{}", again.body);
    assert_eq!(again.json()["error"], "token_already_used");
    assert_eq!(app.who(&thief).await, None);

    let sim = line_login_simulator::Simulator::start().await.unwrap();
    let liff_channel = sim.liff_channel_id().to_owned();
    let strict = common::start_app_on(
        sim,
        AppOptions::default()
            .config(move |c| c.token_audiences([liff_channel]))
            .layer(|layer| layer.token_nonce(line_login::TokenNonce::Require)),
    )
    .await;
    let tokens = liff(&strict, LiffLogin::new(strict.first_user()));
    let answer = token_login(
        &strict,
        &Browser::new(),
        serde_json::json!({ "access_token": tokens.access_token }),
    )
    .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.json()["error"], "nonce_required");
    assert_eq!(strict.sim.requests(Endpoint::VerifyAccessToken), 0);
}

/// Issue 17 item 3: an ID token of an accepted LIFF / MINI App channel logs in and says its
/// channel; the web channel's still does.
#[tokio::test]
async fn an_id_token_of_an_accepted_channel_logs_in_and_says_its_channel() {
    let app = liff_app().await;
    let tokens = liff(&app, LiffLogin::new(app.first_user()));
    let answer = token_login(
        &app,
        &Browser::new(),
        serde_json::json!({ "id_token": tokens.id_token.unwrap() }),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.json()["channel_id"], app.sim.liff_channel_id());
    assert_eq!(answer.json()["door"], "id_token");
    let web = app.sim.issue_es256_id_token(&app.first_user(), None);
    let answer = token_login(
        &app,
        &Browser::new(),
        serde_json::json!({ "id_token": web }),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.json()["channel_id"], app.sim.channel_id());
}

/// Issue 16 item 3: a configured `max_age` caps sessions at both token doors.
#[tokio::test]
async fn max_age_caps_the_sessions_of_both_token_doors() {
    let sim = line_login_simulator::Simulator::start().await.unwrap();
    let liff_channel = sim.liff_channel_id().to_owned();
    let app = common::start_app_on(
        sim,
        AppOptions::default().config(move |c| {
            c.token_audiences([liff_channel])
                .max_age(Duration::from_secs(120))
        }),
    )
    .await;
    let user = app.first_user();
    let id_token = liff(&app, LiffLogin::new(&user)).id_token.unwrap();
    let access_token = liff(&app, LiffLogin::new(&user)).access_token;
    for body in [
        serde_json::json!({ "id_token": id_token }),
        serde_json::json!({ "access_token": access_token }),
    ] {
        let answer = token_login(&app, &Browser::new(), body.clone()).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        let left = session_max_age(&answer);
        assert!(left <= time::Duration::seconds(120), "{body}: {left}");
    }
    // Even where token sessions may outlive their tokens, max_age holds.
    let sim = line_login_simulator::Simulator::start().await.unwrap();
    let app = common::start_app_on(
        sim,
        AppOptions::default()
            .config(|c| c.max_age(Duration::from_secs(120)))
            .layer(|l| l.token_sessions_outlive_tokens(true)),
    )
    .await;
    let token = app.sim.issue_es256_id_token(&app.first_user(), None);
    let answer = token_login(
        &app,
        &Browser::new(),
        serde_json::json!({ "id_token": token }),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert!(session_max_age(&answer) <= time::Duration::seconds(120));
}

/// Issue 16 item 5: the bearer guard takes an ID token or an access token of an accepted
/// channel, hands the handler the same `LineUser`, creates no session and sets no cookie; a
/// repeated access token is served from the cache (LINE is asked once).
#[tokio::test]
async fn the_bearer_guard_takes_id_and_access_tokens_without_a_session() {
    let app = liff_app().await;
    let user = app.first_user();
    let tokens = liff(&app, LiffLogin::new(&user));
    for token in [
        tokens.id_token.clone().unwrap(),
        tokens.access_token.clone(),
    ] {
        for _ in 0..2 {
            let answer = bearer(&app, "/api/me", &token).await;
            assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
            assert_eq!(answer.json()["user_id"], user.as_str());
            assert_eq!(answer.json()["channel_id"], app.sim.liff_channel_id());
            assert!(
                answer.set_cookies().is_empty(),
                "no session: {:?}",
                answer.set_cookies()
            );
        }
    }
    assert_eq!(app.sim.requests(Endpoint::VerifyAccessToken), 1, "cached");
    assert_eq!(app.sim.requests(Endpoint::Profile), 1);
    // The bearer's tokens are not spent: they still log in once at the token door.
    let answer = token_login(
        &app,
        &Browser::new(),
        serde_json::json!({ "id_token": tokens.id_token.unwrap() }),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
}

/// Issue 16 item 5: RFC 6750 answers. No credentials: 401 with a bare `Bearer` challenge (never
/// a redirect, even for a browser); a bad token: 401 `invalid_token`; an expired one: 401
/// `token_expired`; a missing scope: 403 `insufficient_scope`.
#[tokio::test]
async fn the_bearer_guard_answers_rfc_6750_errors() {
    let app = liff_app().await;
    let user = app.first_user();
    let anonymous = Browser::new().get(&app.url("/api/me")).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(anonymous.headers["www-authenticate"], "Bearer");
    assert_eq!(anonymous.json()["error"], "not_logged_in");

    let garbage = bearer(&app, "/api/me", "not-a-jws").await;
    assert_eq!(garbage.status, StatusCode::UNAUTHORIZED);
    assert_eq!(garbage.json()["error"], "invalid_token");
    assert_eq!(
        garbage.headers["www-authenticate"],
        r#"Bearer error="invalid_token""#
    );

    let stale = liff(&app, LiffLogin::new(&user).stale(true));
    let expired = bearer(&app, "/api/me", &stale.id_token.unwrap()).await;
    assert_eq!(expired.status, StatusCode::UNAUTHORIZED);
    assert_eq!(expired.json()["error"], "token_expired");
    assert!(
        expired.headers["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with(r#"Bearer error="invalid_token""#)
    );

    let mini = liff(&app, LiffLogin::new(&user).scope("openid"));
    for token in [mini.id_token.unwrap(), mini.access_token] {
        let answer = bearer(&app, "/api/name", &token).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.body);
        assert_eq!(answer.json()["error"], "insufficient_scope");
        assert_eq!(
            answer.headers["www-authenticate"],
            r#"Bearer error="insufficient_scope", scope="profile""#
        );
    }
    let full = liff(&app, LiffLogin::new(&user));
    let answer = bearer(&app, "/api/name", &full.access_token).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body, "Brown");
}

/// Issue 16 item 6: an `openid`-only token (MINI App consent simplification) is first-class: it
/// logs in at both doors and passes the bearer guard with no name, picture or email, the granted
/// scopes say `openid`, and the profile is only asked for when the app wants it.
#[tokio::test]
async fn openid_only_tokens_are_first_class() {
    let app = liff_app().await;
    let user = app.first_user();
    let mini = liff(&app, LiffLogin::new(&user).scope("openid"));
    let browser = Browser::new();
    let answer = token_login(
        &app,
        &browser,
        serde_json::json!({ "access_token": mini.access_token }),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let json = answer.json();
    assert_eq!(json["user_id"], user.as_str());
    assert_eq!(json["display_name"], serde_json::Value::Null);
    assert_eq!(json["picture_url"], serde_json::Value::Null);
    assert_eq!(json["scopes"], serde_json::json!(["openid"]));
    assert_eq!(app.sim.requests(Endpoint::UserInfo), 1);
    assert_eq!(app.sim.requests(Endpoint::Profile), 0);
    assert_eq!(app.who(&browser).await, Some(user.clone()));
    // The lazy profile of an openid-only session: refused without calling LINE.
    let profile = browser.as_json().get(&app.url("/profile")).await;
    assert_eq!(profile.status, StatusCode::FORBIDDEN, "{}", profile.body);
    assert_eq!(profile.json()["error"], "insufficient_scope");
    assert_eq!(app.sim.requests(Endpoint::Profile), 0);

    let other = liff(&app, LiffLogin::new(&user).scope("openid"));
    let id_login = token_login(
        &app,
        &Browser::new(),
        serde_json::json!({ "id_token": other.id_token.clone().unwrap() }),
    )
    .await;
    assert_eq!(id_login.status, StatusCode::OK, "{}", id_login.body);
    assert_eq!(id_login.json()["scopes"], serde_json::json!(["openid"]));
    let answer = bearer(&app, "/api/me", &other.id_token.unwrap()).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.json()["display_name"], serde_json::Value::Null);

    // With `profile`, the bearer's profile is fetched when the handler asks.
    let full = liff(&app, LiffLogin::new(&user));
    let before = app.sim.requests(Endpoint::Profile);
    let lazy = bearer(&app, "/api/profile", &full.access_token).await;
    assert_eq!(lazy.status, StatusCode::OK, "{}", lazy.body);
    assert_eq!(lazy.json()["display_name"], "Brown");
    assert!(app.sim.requests(Endpoint::Profile) > before);
    let lazy = bearer(&app, "/api/profile", &other.access_token).await;
    assert_eq!(lazy.status, StatusCode::FORBIDDEN);
}

/// Issue 16 item 6: a permission upgrade in a MINI App revokes the old access token; to the app
/// that means "log in again": the bearer guard answers `invalid_token`, a session made with the
/// old token ends at its next LINE call, and nothing is deauthorized or revoked at LINE.
#[tokio::test]
async fn a_permission_upgrade_means_log_in_again_not_consent_withdrawn() {
    let app = liff_app().await;
    let user = app.first_user();
    let tokens = liff(&app, LiffLogin::new(&user));
    let browser = Browser::new();
    let answer = token_login(
        &app,
        &browser,
        serde_json::json!({ "access_token": tokens.access_token }),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let upgraded = app
        .sim
        .upgrade_permissions(&tokens.access_token, "profile")
        .unwrap();

    let old = bearer(&app, "/api/me", &tokens.access_token).await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
    assert_eq!(old.json()["error"], "invalid_token");
    let new = bearer(&app, "/api/me", &upgraded.access_token).await;
    assert_eq!(new.status, StatusCode::OK, "{}", new.body);

    let profile = browser.as_json().get(&app.url("/profile")).await;
    assert_eq!(profile.status, StatusCode::UNAUTHORIZED, "{}", profile.body);
    assert_eq!(profile.json()["error"], "invalid_token");
    assert_eq!(app.who(&browser).await, None, "the session ended");
    assert!(app.sim.deauthorizations().is_empty());
    assert_eq!(app.sim.requests(Endpoint::Deauthorize), 0);
    assert_eq!(app.sim.requests(Endpoint::Revoke), 0);
}

/// Issue 16 item 6 / issue 17 item 3: a session made with a LIFF channel's access token passes
/// `LineSession::check_consent` (its channel is accepted); once the token is revoked by a
/// permission upgrade the session ends with "log in again", and nothing is deauthorized.
#[tokio::test]
async fn check_consent_accepts_the_liff_channel_and_a_revoked_token_means_log_in_again() {
    let app = liff_app().await;
    let tokens = liff(&app, LiffLogin::new(app.first_user()));
    let browser = Browser::new();
    let answer = token_login(
        &app,
        &browser,
        serde_json::json!({ "access_token": tokens.access_token }),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let consent = browser.as_json().get(&app.url("/line/consent")).await;
    assert_eq!(consent.status, StatusCode::OK, "{}", consent.body);
    assert!(app.who(&browser).await.is_some());
    app.sim
        .upgrade_permissions(&tokens.access_token, "profile")
        .unwrap();
    let consent = browser.as_json().get(&app.url("/line/consent")).await;
    assert_eq!(consent.status, StatusCode::UNAUTHORIZED, "{}", consent.body);
    assert_eq!(consent.json()["error"], "invalid_token");
    assert_eq!(app.who(&browser).await, None);
    assert!(app.sim.deauthorizations().is_empty());
}

/// The bearer guard: an ID token that fails verification is `invalid_token` like any bad bearer
/// token (never `invalid_id_token`), while LINE's keys being unreachable is LINE's failure: 503.
#[tokio::test]
async fn the_bearer_guard_refuses_a_forged_id_token_but_not_for_an_unreachable_jwks() {
    let app = liff_app().await;
    let user = app.first_user();
    let id_token = liff(&app, LiffLogin::new(&user)).id_token.unwrap();
    let (signed, signature) = id_token.rsplit_once('.').unwrap();
    let mut forged_signature = signature.to_owned().into_bytes();
    forged_signature[10] = if forged_signature[10] == b'A' {
        b'B'
    } else {
        b'A'
    };
    let forged = format!("{signed}.{}", String::from_utf8(forged_signature).unwrap());
    let answer = bearer(&app, "/api/me", &forged).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{}", answer.body);
    assert_eq!(answer.json()["error"], "invalid_token");
    assert_eq!(
        answer.headers["www-authenticate"],
        r#"Bearer error="invalid_token""#
    );

    let unreachable = liff_app().await;
    let user = unreachable.first_user();
    let id_token = liff(&unreachable, LiffLogin::new(&user)).id_token.unwrap();
    unreachable
        .sim
        .inject(Endpoint::Certs, Fault::Status(500), None);
    let answer = bearer(&unreachable, "/api/me", &id_token).await;
    assert_eq!(
        answer.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        answer.body
    );
}
