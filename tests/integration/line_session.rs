//! `LineSession`: calls to LINE on the logged-in user's behalf, token refresh, and the session
//! ending when LINE says consent was withdrawn.

use crate::common;

use common::{Browser, start_app};
use line_login_simulator::Endpoint;
use reqwest::StatusCode;

#[tokio::test]
async fn refresh_gets_a_new_access_token_and_keeps_the_session() {
    let app = start_app().await;
    let browser = Browser::new();
    let user = app.first_user();
    app.login(&browser, &user).await;
    let answer = browser.as_json().post(&app.url("/line/refresh")).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(
        app.sim.requests(Endpoint::Token),
        2,
        "code exchange, then refresh"
    );
    // The refreshed token works for LINE calls.
    let profile = browser.as_json().get(&app.url("/profile")).await;
    assert_eq!(profile.status, StatusCode::OK, "{}", profile.body);
    assert_eq!(app.who(&browser).await, Some(user));
}

#[tokio::test]
async fn refused_refresh_logs_the_session_out() {
    let app = start_app().await;
    let browser = Browser::new();
    let user = app.first_user();
    app.login(&browser, &user).await;
    // The user unlinks the app inside LINE: every token dies, refresh included.
    app.sim.revoke_consent(&user);
    let answer = browser.as_json().post(&app.url("/line/refresh")).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{}", answer.body);
    assert_eq!(app.who(&browser).await, None);
}

#[tokio::test]
async fn revoked_token_seen_by_the_profile_api_logs_the_session_out() {
    let app = start_app().await;
    let browser = Browser::new();
    let user = app.first_user();
    app.login(&browser, &user).await;
    app.sim.revoke_consent(&user);
    let answer = browser.as_json().get(&app.url("/profile")).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{}", answer.body);
    assert_eq!(app.who(&browser).await, None);
}
