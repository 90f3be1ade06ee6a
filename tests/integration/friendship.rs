//! Friendship with the company's LINE Official Account: the add-friend result on the callback, the
//! friendship status fetched from LINE, and the live profile, against the simulator.

use crate::common;

use std::sync::{Arc, Mutex};

use common::{AppOptions, Browser, TestApp, start_app_with};
use line_login::{BotPrompt, FriendshipFetch, LineLoginLayer, LineUser};
use line_login_simulator::{Endpoint, Fault};
use reqwest::StatusCode;

async fn bot_prompt_app() -> TestApp {
    start_app_with(AppOptions::default().config(|c| c.bot_prompt(BotPrompt::Normal))).await
}

async fn login(app: &TestApp, browser: &Browser, user: &str, add_friend: bool) {
    let authorize = app.start_login(browser, "").await;
    let mut choice = app.choice(user);
    choice.add_friend = add_friend;
    let callback = app.consent(&authorize, choice).await;
    let answer = browser.get_cross_site(&callback).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
}

async fn me(app: &TestApp, browser: &Browser) -> serde_json::Value {
    let answer = browser.as_json().get(&app.url("/me")).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    answer.json()
}

#[tokio::test]
async fn add_friend_ticked_gives_changed_true_and_friend_flag_yes() {
    let app = bot_prompt_app().await;
    let browser = Browser::new();
    let user = app.first_user();
    login(&app, &browser, &user, true).await;
    let me = me(&app, &browser).await;
    assert_eq!(me["friendship"]["changed_at_login"], true);
    assert_eq!(me["friendship"]["friend_flag"], "yes");
    assert!(me["friendship"]["fetched_at"].is_number());
    assert_eq!(app.sim.requests(Endpoint::Friendship), 1);
}

#[tokio::test]
async fn add_friend_not_ticked_gives_changed_false_and_friend_flag_no() {
    let app = bot_prompt_app().await;
    let browser = Browser::new();
    login(&app, &browser, &app.first_user(), false).await;
    let me = me(&app, &browser).await;
    assert_eq!(me["friendship"]["changed_at_login"], false);
    assert_eq!(me["friendship"]["friend_flag"], "no");
}

#[tokio::test]
async fn without_bot_prompt_the_change_is_absent() {
    let app = start_app_with(AppOptions::default()).await;
    let browser = Browser::new();
    login(&app, &browser, &app.first_user(), true).await;
    let me = me(&app, &browser).await;
    assert!(me["friendship"]["changed_at_login"].is_null());
    assert_eq!(me["friendship"]["friend_flag"], "no");
}

#[tokio::test]
async fn friendship_api_failing_leaves_status_unknown_and_login_succeeds() {
    let app = bot_prompt_app().await;
    app.sim
        .inject(Endpoint::Friendship, Fault::Status(500), None);
    let browser = Browser::new();
    login(&app, &browser, &app.first_user(), true).await;
    let me = me(&app, &browser).await;
    assert_eq!(me["friendship"]["friend_flag"], "unknown");
    assert_eq!(me["friendship"]["changed_at_login"], true);
    assert!(me["friendship"]["fetched_at"].is_null());
}

#[tokio::test]
async fn refresh_reads_the_status_changed_since_login() {
    let app = bot_prompt_app().await;
    let browser = Browser::new();
    let user = app.first_user();
    login(&app, &browser, &user, false).await;
    assert_eq!(me(&app, &browser).await["friendship"]["friend_flag"], "no");
    app.sim.set_friend(&user, true);
    let answer = browser
        .as_json()
        .post(&app.url("/friendship/refresh"))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.json()["friend_flag"], "yes");
    // Cached in the session with its new fetch time.
    assert_eq!(me(&app, &browser).await["friendship"]["friend_flag"], "yes");
}

#[tokio::test]
async fn lazy_fetch_happens_on_first_use_only() {
    let app = start_app_with(
        AppOptions::default()
            .config(|c| c.bot_prompt(BotPrompt::Normal))
            .layer(|l: LineLoginLayer| l.friendship_fetch(FriendshipFetch::Lazily)),
    )
    .await;
    let browser = Browser::new();
    login(&app, &browser, &app.first_user(), true).await;
    assert_eq!(app.sim.requests(Endpoint::Friendship), 0, "not at login");
    let first = browser.as_json().get(&app.url("/friendship")).await.json();
    assert_eq!(first["friend_flag"], "yes");
    assert_eq!(first["changed_at_login"], true);
    browser.as_json().get(&app.url("/friendship")).await;
    assert_eq!(
        app.sim.requests(Endpoint::Friendship),
        1,
        "cached after first use"
    );
}

#[tokio::test]
async fn never_fetch_keeps_only_the_callback_result() {
    let app = start_app_with(
        AppOptions::default()
            .config(|c| c.bot_prompt(BotPrompt::Aggressive))
            .layer(|l: LineLoginLayer| l.friendship_fetch(FriendshipFetch::Never)),
    )
    .await;
    let browser = Browser::new();
    login(&app, &browser, &app.first_user(), true).await;
    let friendship = browser.as_json().get(&app.url("/friendship")).await.json();
    assert_eq!(friendship["friend_flag"], "unknown");
    assert_eq!(friendship["changed_at_login"], true);
    assert_eq!(app.sim.requests(Endpoint::Friendship), 0);
}

#[tokio::test]
async fn login_hook_receives_the_friendship() {
    let seen: Arc<Mutex<Vec<LineUser>>> = Arc::default();
    let record = seen.clone();
    let app = start_app_with(
        AppOptions::default()
            .config(|c| c.bot_prompt(BotPrompt::Normal))
            .layer(move |l: LineLoginLayer| {
                l.on_login(move |user| {
                    let record = record.clone();
                    async move { record.lock().unwrap().push(user) }
                })
            }),
    )
    .await;
    let browser = Browser::new();
    login(&app, &browser, &app.first_user(), true).await;
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].user_id, app.first_user());
    assert_eq!(seen[0].friendship.changed_at_login, Some(true));
    assert_eq!(seen[0].friendship.friend_flag, line_login::FriendFlag::Yes);
}

#[tokio::test]
async fn line_user_carries_name_and_picture_and_the_live_profile_has_a_status_message() {
    let app = start_app_with(AppOptions::default()).await;
    let browser = Browser::new();
    let user = app.sim.users()[0].clone();
    login(&app, &browser, &user.user_id, false).await;
    let me = me(&app, &browser).await;
    assert_eq!(me["display_name"], user.name.as_str());
    assert_eq!(me["picture_url"], user.picture_url.as_str());
    let profile = browser.as_json().get(&app.url("/profile")).await;
    assert_eq!(profile.status, StatusCode::OK, "{}", profile.body);
    let profile = profile.json();
    assert_eq!(profile["user_id"], user.user_id.as_str());
    assert_eq!(profile["display_name"], user.name.as_str());
    assert!(profile["status_message"].is_string(), "{profile}");
}

#[tokio::test]
async fn consent_withdrawn_in_line_logs_the_session_out() {
    let app = bot_prompt_app().await;
    let browser = Browser::new();
    let user = app.first_user();
    login(&app, &browser, &user, false).await;
    app.sim.revoke_consent(&user);
    let answer = browser
        .as_json()
        .post(&app.url("/friendship/refresh"))
        .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{}", answer.body);
    assert_eq!(app.who(&browser).await, None);
}

/// Logs in with LINE's callback rewritten by the user: `edit` gets the real callback URL.
async fn login_with_edited_callback(
    app: &TestApp,
    browser: &Browser,
    user: &str,
    add_friend: bool,
    edit: impl FnOnce(String) -> String,
) {
    let authorize = app.start_login(browser, "").await;
    let mut choice = app.choice(user);
    choice.add_friend = add_friend;
    let callback = edit(app.consent(&authorize, choice).await);
    let answer = browser.get_cross_site(&callback).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
}

/// Issue 15 item 3: `became_friend` is true when the user adds the friend on the consent page
/// and LINE's friendship API confirms it.
#[tokio::test]
async fn became_friend_is_true_when_line_confirms_the_new_friendship() {
    let app = bot_prompt_app().await;
    let browser = Browser::new();
    login(&app, &browser, &app.first_user(), true).await;
    let me = me(&app, &browser).await;
    assert_eq!(me["became_friend"], true);
}

/// Issue 15 item 3: a user who did not add the friend and appends (or flips)
/// `friendship_status_changed=true` on their own callback still has the unverified hint, but
/// `became_friend` stays false: LINE's friendship API says they are not a friend.
#[tokio::test]
async fn a_forged_friendship_status_changed_does_not_make_a_new_friend() {
    // The option was shown and not ticked: LINE sent `false`; the user flips it.
    let app = bot_prompt_app().await;
    let browser = Browser::new();
    login_with_edited_callback(&app, &browser, &app.first_user(), false, |callback| {
        assert!(
            callback.contains("friendship_status_changed=false"),
            "{callback}"
        );
        callback.replace(
            "friendship_status_changed=false",
            "friendship_status_changed=true",
        )
    })
    .await;
    let answer = me(&app, &browser).await;
    assert_eq!(
        answer["friendship"]["changed_at_login"], true,
        "the hint is kept"
    );
    assert_eq!(answer["friendship"]["friend_flag"], "no");
    assert_eq!(answer["became_friend"], false);

    // The option was not shown at all: the user appends the parameter.
    let app = start_app_with(AppOptions::default()).await;
    let browser = Browser::new();
    login_with_edited_callback(&app, &browser, &app.first_user(), false, |callback| {
        assert!(
            !callback.contains("friendship_status_changed"),
            "{callback}"
        );
        format!("{callback}&friendship_status_changed=true")
    })
    .await;
    let answer = me(&app, &browser).await;
    assert_eq!(answer["friendship"]["changed_at_login"], true);
    assert_eq!(answer["became_friend"], false);
}

/// Issue 15 item 3: `became_friend` is verified only: with the fetch off, lazy, or failing, it
/// is false even when the user really added the friend.
#[tokio::test]
async fn became_friend_is_false_when_it_cannot_be_verified() {
    for fetch in [FriendshipFetch::Never, FriendshipFetch::Lazily] {
        let app = start_app_with(
            AppOptions::default()
                .config(|c| c.bot_prompt(BotPrompt::Normal))
                .layer(move |l: LineLoginLayer| l.friendship_fetch(fetch)),
        )
        .await;
        let browser = Browser::new();
        login(&app, &browser, &app.first_user(), true).await;
        let answer = me(&app, &browser).await;
        assert_eq!(answer["friendship"]["changed_at_login"], true);
        assert_eq!(answer["became_friend"], false, "{fetch:?}");
    }
    let app = bot_prompt_app().await;
    app.sim
        .inject(Endpoint::Friendship, Fault::Status(500), None);
    let browser = Browser::new();
    login(&app, &browser, &app.first_user(), true).await;
    assert_eq!(me(&app, &browser).await["became_friend"], false);
}
