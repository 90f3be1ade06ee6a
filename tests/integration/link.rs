//! ID linking through the layer, against the LINE simulator, with the in-memory store: link and
//! unlink routes, every spoofing attempt we could think of (each changes nothing), the
//! `LinkedMember` extractor, back-office unlink with deauthorize, and the consent sweep.

use crate::common;

use line_login::extract::LinkedMember;

use axum::routing::{get, post};
use axum::{Json, Router};
use common::{Browser, TestApp};
use line_login::extract::LineSession;
use line_login::link::{
    AuditAction, Consent, Deauthorization, LinkCause, LinkKey, MemberInSession, MemberLinks,
    MemoryLinks, SweepAction, check_links, unlink_and_deauthorize,
};
use line_login::{LineApi, LineLoginLayer, LineUser};
use line_login_simulator::{Endpoint, Fault, Simulator};
use reqwest::StatusCode;
use tower_sessions::{MemoryStore, Session};

type Links = MemoryLinks<String>;

#[derive(serde::Deserialize)]
struct SignIn {
    member: String,
}

/// The app under test: the layer with member links, the app's own member sign-in (kept in the
/// session under `member_id`), and handlers for the extractors.
async fn start(links: &Links) -> TestApp {
    let sim = Simulator::start().await.expect("simulator starts");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let config = sim
        .config_builder(&format!("http://127.0.0.1:{port}/auth/line/callback"))
        .build()
        .unwrap();
    let layer = LineLoginLayer::new(config.clone())
        .unwrap()
        .member_links(links.clone(), MemberInSession("member_id"));
    let app = Router::new()
        .route("/me", get(|user: LineUser| async move { Json(user) }))
        .route(
            "/member/signin",
            post(
                |session: Session, axum::extract::Query(q): axum::extract::Query<SignIn>| async move {
                    session.insert("member_id", q.member).await.unwrap();
                    "signed in"
                },
            ),
        )
        .route(
            "/member/signout",
            post(|session: Session| async move {
                session.remove_value("member_id").await.unwrap();
                "signed out"
            }),
        )
        .route(
            "/linked",
            get(|member: Option<LinkedMember>| async move {
                Json(serde_json::json!({ "member": member.map(|m| m.0) }))
            }),
        )
        .route(
            "/linked/required",
            get(|LinkedMember(id): LinkedMember<String>| async move { id }),
        )
        .route(
            "/consent",
            get(|line: LineSession| async move { line.check_consent().await.map(|()| "ok") }),
        )
        .layer(layer)
        .layer(line_login::session::session_layer(
            MemoryStore::default(),
            &config,
        ));
    tokio::spawn(async move {
        axum::serve(listener, app).await.ok();
    });
    TestApp {
        sim,
        base: format!("http://127.0.0.1:{port}"),
        config,
        browser: Browser::new(),
    }
}

fn user(app: &TestApp, index: usize) -> String {
    app.sim.users()[index].user_id.clone()
}

fn api(app: &TestApp) -> LineApi {
    LineApi::new(&app.config).unwrap()
}

async fn sign_in(app: &TestApp, browser: &Browser, member: &str) {
    let answer = browser
        .post(&app.url(&format!("/member/signin?member={member}")))
        .await;
    assert_eq!(answer.status, StatusCode::OK);
}

/// `POST /auth/line/link`, consent on LINE as `line_user`; returns LINE's redirect back.
async fn start_link(app: &TestApp, browser: &Browser, line_user: &str) -> String {
    let answer = browser.post(&app.url("/auth/line/link")).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    let authorize = answer.location().expect("link redirects to LINE");
    app.consent(&authorize, app.choice(line_user)).await
}

/// A whole link of the signed-in member to `line_user`; returns the callback's answer.
async fn link(app: &TestApp, browser: &Browser, line_user: &str) -> common::Answer {
    let callback = start_link(app, browser, line_user).await;
    browser.get_cross_site(&callback).await
}

/// Signs `member` in on a new browser and links it to `line_user`.
async fn linked_browser(app: &TestApp, member: &str, line_user: &str) -> Browser {
    let browser = Browser::new();
    sign_in(app, &browser, member).await;
    let answer = link(app, &browser, line_user).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    browser
}

async fn stored_access_token(links: &Links, line_user: &str) -> String {
    links
        .find(LinkKey::LineUser(line_user))
        .await
        .unwrap()
        .expect("linked")
        .tokens
        .expect("tokens kept with the link")
        .access_token
        .expose_secret()
        .to_owned()
}

async fn member_of(links: &Links, line_user: &str) -> Option<String> {
    links.member_for(line_user).await.unwrap()
}

async fn linked_member(app: &TestApp, browser: &Browser) -> Option<String> {
    let answer = browser.as_json().get(&app.url("/linked")).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    answer.json()["member"].as_str().map(str::to_owned)
}

#[tokio::test]
async fn linking_a_signed_in_member_links_the_verified_line_user() {
    let links = Links::default();
    let app = start(&links).await;
    let brown = user(&app, 0);
    let browser = linked_browser(&app, "m1", &brown).await;
    assert_eq!(member_of(&links, &brown).await.as_deref(), Some("m1"));
    assert_eq!(
        links.line_user_for(&"m1".to_owned()).await.unwrap(),
        Some(brown.clone())
    );
    let me = browser.as_json().get(&app.url("/me")).await.json();
    assert_eq!(me["user_id"], brown.as_str());
    assert_eq!(me["member_id"], "m1");
    let trail = links.audit();
    assert_eq!(trail.len(), 1);
    assert_eq!(trail[0].action, AuditAction::Link);
    assert_eq!(
        (
            trail[0].member_id.as_str(),
            trail[0].line_user_id.as_str(),
            trail[0].cause.as_str()
        ),
        ("m1", brown.as_str(), "member")
    );
    let stored = links.find(LinkKey::Member(&"m1".to_owned())).await.unwrap();
    let tokens = stored.unwrap().tokens.expect("tokens kept with the link");
    assert!(tokens.refresh_token.is_some());
    assert!(tokens.refresh_expires_at.is_some());
    api(&app)
        .verify_access_token(&tokens.access_token)
        .await
        .expect("the stored access token is the live one LINE issued");
}

#[tokio::test]
async fn linking_while_signed_out_is_refused_and_starts_nothing() {
    let links = Links::default();
    let app = start(&links).await;
    let answer = Browser::json_client()
        .post(&app.url("/auth/line/link"))
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(answer.json()["error"], "no_member");
    assert!(links.is_empty());
    assert_eq!(app.sim.requests(Endpoint::Authorize), 0);
}

/// A member ID everywhere a client can write one.
fn spoofed(request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
    request
        .header("x-member-id", "victim")
        .header("member", "victim")
        .header(
            reqwest::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .body("member_id=victim&member=victim")
}

#[tokio::test]
async fn member_id_in_query_form_or_header_never_links_anyone() {
    let links = Links::default();
    let app = start(&links).await;
    let brown = user(&app, 0);
    let url = app.url("/auth/line/link?member_id=victim&member=victim");

    // Signed out: refused whatever the request says.
    let browser = Browser::new().as_json();
    let answer = browser.post_with(&url, spoofed).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(answer.json()["error"], "no_member");
    assert!(links.is_empty());

    // Signed in as m1: the link is m1's, never the victim's.
    sign_in(&app, &browser, "m1").await;
    let answer = browser.post_with(&url, spoofed).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    let callback = app
        .consent(&answer.location().unwrap(), app.choice(&brown))
        .await;
    let spoofed_callback = format!("{callback}&member_id=victim&member=victim");
    let answer = browser.get_cross_site(&spoofed_callback).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    assert_eq!(member_of(&links, &brown).await.as_deref(), Some("m1"));
    assert_eq!(
        links.line_user_for(&"victim".to_owned()).await.unwrap(),
        None
    );
}

#[tokio::test]
async fn member_id_in_query_form_or_header_never_unlinks_anyone() {
    let links = Links::default();
    let app = start(&links).await;
    let brown = user(&app, 0);
    linked_browser(&app, "victim", &brown).await;
    let url = app.url("/auth/line/unlink?member_id=victim&member=victim");

    let stranger = Browser::json_client();
    let answer = stranger.post_with(&url, spoofed).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);

    let other_member = Browser::json_client();
    sign_in(&app, &other_member, "m2").await;
    let answer = other_member.post_with(&url, spoofed).await;
    assert_eq!(
        answer.status,
        StatusCode::SEE_OTHER,
        "m2 unlinks its own (absent) link"
    );

    assert_eq!(member_of(&links, &brown).await.as_deref(), Some("victim"));
    assert_eq!(links.audit().len(), 1, "only the original link");
    assert_eq!(app.sim.requests(Endpoint::Deauthorize), 0);
}

#[tokio::test]
async fn callback_from_another_session_links_nothing() {
    let links = Links::default();
    let app = start(&links).await;
    let brown = user(&app, 0);
    let owner = Browser::new();
    sign_in(&app, &owner, "m1").await;
    let callback = start_link(&app, &owner, &brown).await;

    // Another browser (signed in as another member) replays the callback.
    let attacker = Browser::new();
    sign_in(&app, &attacker, "m2").await;
    let answer = attacker.get_cross_site(&callback).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.body);
    assert!(links.is_empty());
    assert_eq!(app.sim.requests(Endpoint::Token), 0);
    assert_eq!(app.who(&attacker).await, None);

    // The owner's own callback still works, for the owner's member.
    let answer = owner.get_cross_site(&callback).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(member_of(&links, &brown).await.as_deref(), Some("m1"));
}

#[tokio::test]
async fn callback_after_the_member_signed_out_links_nothing() {
    let links = Links::default();
    let app = start(&links).await;
    let browser = Browser::new();
    sign_in(&app, &browser, "m1").await;
    let callback = start_link(&app, &browser, &user(&app, 0)).await;
    browser.post(&app.url("/member/signout")).await;
    let answer = browser.as_json().get_cross_site(&callback).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(answer.json()["error"], "no_member");
    assert!(links.is_empty());
    assert_eq!(app.who(&browser).await, None);
}

#[tokio::test]
async fn callback_after_another_member_signed_in_links_nothing() {
    let links = Links::default();
    let app = start(&links).await;
    let browser = Browser::new();
    sign_in(&app, &browser, "m1").await;
    let callback = start_link(&app, &browser, &user(&app, 0)).await;
    sign_in(&app, &browser, "m2").await;
    let answer = browser.as_json().get_cross_site(&callback).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert!(links.is_empty());
    assert!(links.audit().is_empty());
}

#[tokio::test]
async fn line_user_linked_to_another_member_is_a_conflict_and_changes_nothing() {
    let links = Links::default();
    let app = start(&links).await;
    let brown = user(&app, 0);
    linked_browser(&app, "m1", &brown).await;
    let before = stored_access_token(&links, &brown).await;
    let revokes = app.sim.requests(Endpoint::Revoke);

    let browser = Browser::new();
    sign_in(&app, &browser, "m2").await;
    let answer = link(&app, &browser.as_json(), &brown).await;
    assert_eq!(answer.status, StatusCode::CONFLICT);
    assert_eq!(answer.json()["error"], "link_conflict");
    assert!(
        answer.json()["message"]
            .as_str()
            .unwrap()
            .contains("already linked"),
        "{}",
        answer.body
    );
    assert_eq!(member_of(&links, &brown).await.as_deref(), Some("m1"));
    assert_eq!(links.line_user_for(&"m2".to_owned()).await.unwrap(), None);
    assert_eq!(stored_access_token(&links, &brown).await, before);
    assert_eq!(links.audit().len(), 1);
    assert_eq!(app.who(&browser).await, None, "no LINE login either");
    assert_eq!(
        app.sim.requests(Endpoint::Revoke),
        revokes + 1,
        "the unused fresh token is revoked"
    );
}

#[tokio::test]
async fn member_linked_to_another_line_user_is_a_conflict_and_changes_nothing() {
    let links = Links::default();
    let app = start(&links).await;
    let (brown, cony) = (user(&app, 0), user(&app, 1));
    let browser = linked_browser(&app, "m1", &brown).await;
    let answer = link(&app, &browser.as_json(), &cony).await;
    assert_eq!(answer.status, StatusCode::CONFLICT);
    assert_eq!(member_of(&links, &brown).await.as_deref(), Some("m1"));
    assert_eq!(member_of(&links, &cony).await, None);
    assert_eq!(links.len(), 1);
}

#[tokio::test]
async fn relinking_the_same_pair_succeeds_and_refreshes_the_tokens() {
    let links = Links::default();
    let app = start(&links).await;
    let brown = user(&app, 0);
    let browser = linked_browser(&app, "m1", &brown).await;
    let first = stored_access_token(&links, &brown).await;
    let answer = link(&app, &browser, &brown).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_ne!(stored_access_token(&links, &brown).await, first);
    assert_eq!(links.audit().len(), 1, "nothing changed, nothing audited");
}

#[tokio::test]
async fn plain_login_of_a_linked_user_exposes_the_member_and_refreshes_the_tokens() {
    let links = Links::default();
    let app = start(&links).await;
    let brown = user(&app, 0);
    linked_browser(&app, "m1", &brown).await;
    let at_link = stored_access_token(&links, &brown).await;

    let phone = Browser::new();
    app.login(&phone, &brown).await;
    assert_eq!(linked_member(&app, &phone).await.as_deref(), Some("m1"));
    let required = phone.get(&app.url("/linked/required")).await;
    assert_eq!(
        (required.status, required.body.as_str()),
        (StatusCode::OK, "m1")
    );
    let me = phone.as_json().get(&app.url("/me")).await.json();
    assert_eq!(me["member_id"], "m1");
    assert_ne!(
        stored_access_token(&links, &brown).await,
        at_link,
        "the link keeps the latest tokens"
    );
}

#[tokio::test]
async fn plain_login_of_an_unlinked_user_has_no_member() {
    let links = Links::default();
    let app = start(&links).await;
    let browser = Browser::new();
    app.login(&browser, &user(&app, 2)).await;
    assert_eq!(linked_member(&app, &browser).await, None);
    let required = browser.as_json().get(&app.url("/linked/required")).await;
    assert_eq!(required.status, StatusCode::FORBIDDEN);
    let anonymous = Browser::json_client()
        .get(&app.url("/linked/required"))
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(linked_member(&app, &Browser::new()).await, None);
}

#[tokio::test]
async fn unlink_removes_the_link_deauthorizes_with_the_users_token_and_is_idempotent() {
    let links = Links::default();
    let app = start(&links).await;
    let brown = user(&app, 0);
    let browser = linked_browser(&app, "m1", &brown).await;
    let token = stored_access_token(&links, &brown).await;

    let answer = browser
        .post(&app.url("/auth/line/unlink?return_to=/account"))
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(answer.location().as_deref(), Some("/account"));
    assert!(links.is_empty());
    let records = app.sim.deauthorizations();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].user_id, brown);
    assert_eq!(records[0].user_access_token, token);
    assert!(!records[0].channel_access_token.is_empty());
    let trail = links.audit();
    assert_eq!(trail.len(), 2);
    assert_eq!(trail[1].action, AuditAction::Unlink);
    assert_eq!(trail[1].cause, "member");
    // The LINE login ends with the authorization; the member stays signed in.
    assert_eq!(app.who(&browser).await, None);
    assert_eq!(
        browser.post(&app.url("/auth/line/link")).await.status,
        StatusCode::SEE_OTHER
    );

    let again = browser.post(&app.url("/auth/line/unlink")).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    assert_eq!(app.sim.requests(Endpoint::Deauthorize), 1);
    assert_eq!(app.sim.requests(Endpoint::ChannelToken), 1);
    assert_eq!(links.audit().len(), 2);
}

#[tokio::test]
async fn unlink_needs_a_signed_in_member_and_a_post() {
    let links = Links::default();
    let app = start(&links).await;
    let brown = user(&app, 0);
    let browser = linked_browser(&app, "m1", &brown).await;
    let answer = browser.get(&app.url("/auth/line/unlink")).await;
    assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
    let answer = browser
        .post_with(&app.url("/auth/line/unlink"), |r| {
            r.header("origin", "https://evil.example")
        })
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    browser.post(&app.url("/member/signout")).await;
    let answer = browser.post(&app.url("/auth/line/unlink")).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(member_of(&links, &brown).await.as_deref(), Some("m1"));
}

#[tokio::test]
async fn back_office_unlinks_by_member_or_by_line_user() {
    let links = Links::default();
    let app = start(&links).await;
    let (brown, cony) = (user(&app, 0), user(&app, 1));
    linked_browser(&app, "m1", &brown).await;
    linked_browser(&app, "m2", &cony).await;
    let (brown_token, cony_token) = (
        stored_access_token(&links, &brown).await,
        stored_access_token(&links, &cony).await,
    );
    let api = api(&app);
    let ops = LinkCause::back_office("leaver job");

    let m1 = "m1".to_owned();
    let done = unlink_and_deauthorize(&links, &api, LinkKey::Member(&m1), &ops)
        .await
        .unwrap()
        .expect("m1 was linked");
    assert_eq!(done.link.line_user_id, brown);
    assert_eq!(done.deauthorization, Deauthorization::Deauthorized);
    let done = unlink_and_deauthorize(&links, &api, LinkKey::LineUser(&cony), &ops)
        .await
        .unwrap()
        .expect("cony was linked");
    assert_eq!(done.link.member, "m2");
    assert_eq!(done.deauthorization, Deauthorization::Deauthorized);
    assert_eq!(app.sim.deauthorized_tokens(), [brown_token, cony_token]);

    let again = unlink_and_deauthorize(&links, &api, LinkKey::Member(&m1), &ops)
        .await
        .unwrap();
    assert!(again.is_none(), "idempotent");
    assert_eq!(app.sim.requests(Endpoint::Deauthorize), 2);
    let causes: Vec<_> = links.audit().into_iter().map(|e| e.cause).collect();
    assert_eq!(
        causes,
        [
            "member",
            "member",
            "back-office:leaver job",
            "back-office:leaver job"
        ]
    );
}

#[tokio::test]
async fn back_office_unlink_after_a_logout_deauthorizes_with_a_refreshed_token() {
    let links = Links::default();
    let app = start(&links).await;
    let brown = user(&app, 0);
    let browser = linked_browser(&app, "m1", &brown).await;
    let revoked = stored_access_token(&links, &brown).await;
    browser.post(&app.url("/auth/line/logout")).await; // revokes the stored access token
    let done = unlink_and_deauthorize(
        &links,
        &api(&app),
        LinkKey::LineUser(&brown),
        &LinkCause::back_office("ops"),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(done.deauthorization, Deauthorization::Deauthorized);
    let records = app.sim.deauthorizations();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].user_id, brown);
    assert_ne!(records[0].user_access_token, revoked);
}

#[tokio::test]
async fn back_office_unlink_after_consent_was_withdrawn_still_unlinks() {
    let links = Links::default();
    let app = start(&links).await;
    let brown = user(&app, 0);
    linked_browser(&app, "m1", &brown).await;
    app.sim.revoke_consent(&brown);
    let done = unlink_and_deauthorize(
        &links,
        &api(&app),
        LinkKey::Member(&"m1".to_owned()),
        &LinkCause::back_office("ops"),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(done.deauthorization, Deauthorization::AlreadyEnded);
    assert!(links.is_empty());
    assert!(app.sim.deauthorizations().is_empty());
}

#[tokio::test]
async fn sweep_detects_consent_revoked_in_the_simulator_and_applies_the_policy() {
    let links = Links::default();
    let app = start(&links).await;
    let (brown, cony) = (user(&app, 0), user(&app, 1));
    linked_browser(&app, "m1", &brown).await;
    linked_browser(&app, "m2", &cony).await;
    app.sim.revoke_consent(&brown); // Brown unlinks the app inside LINE

    let mut asked = Vec::new();
    let report = check_links(&links, &api(&app), |link| {
        asked.push(link.member.clone());
        SweepAction::Unlink
    })
    .await
    .unwrap();
    assert_eq!(
        asked,
        ["m1"],
        "the policy is asked about withdrawn consent only"
    );
    assert_eq!((report.checked, report.granted), (2, 1));
    assert_eq!(report.withdrawn.len(), 1);
    let swept = &report.withdrawn[0];
    assert_eq!(
        (swept.member.as_str(), swept.line_user_id.as_str()),
        ("m1", brown.as_str())
    );
    assert_eq!(swept.consent, Consent::Withdrawn);
    assert_eq!(swept.action, SweepAction::Unlink);
    assert!(report.undecided.is_empty());
    assert!(!report.interrupted);
    assert_eq!(member_of(&links, &brown).await, None);
    assert_eq!(member_of(&links, &cony).await.as_deref(), Some("m2"));
    let last = links.audit().pop().unwrap();
    assert_eq!(
        (last.action, last.cause.as_str()),
        (AuditAction::Unlink, "consent-withdrawn")
    );
    assert_eq!(
        app.sim.requests(Endpoint::Deauthorize),
        0,
        "consent is already gone"
    );
}

#[tokio::test]
async fn sweep_policy_can_keep_a_link_whose_consent_is_gone() {
    let links = Links::default();
    let app = start(&links).await;
    let brown = user(&app, 0);
    linked_browser(&app, "m1", &brown).await;
    app.sim.revoke_consent(&brown);
    let report = check_links(&links, &api(&app), |_| SweepAction::Keep)
        .await
        .unwrap();
    assert_eq!(report.withdrawn.len(), 1);
    assert_eq!(report.withdrawn[0].action, SweepAction::Keep);
    assert_eq!(member_of(&links, &brown).await.as_deref(), Some("m1"));
}

#[tokio::test]
async fn sweep_refreshes_an_expired_access_token_instead_of_unlinking() {
    let links = Links::default();
    let app = start(&links).await;
    let brown = user(&app, 0);
    linked_browser(&app, "m1", &brown).await;
    let old = stored_access_token(&links, &brown).await;
    app.sim
        .advance_clock(std::time::Duration::from_secs(31 * 86_400));
    let report = check_links(&links, &api(&app), |_| SweepAction::Unlink)
        .await
        .unwrap();
    assert_eq!((report.granted, report.refreshed), (1, 1));
    assert!(report.withdrawn.is_empty());
    let new = stored_access_token(&links, &brown).await;
    assert_ne!(new, old);
    api(&app)
        .verify_access_token(&line_login::AccessToken::new(new))
        .await
        .expect("the stored token is live again");
}

#[tokio::test]
async fn sweep_does_not_mistake_a_logout_for_withdrawn_consent() {
    let links = Links::default();
    let app = start(&links).await;
    let brown = user(&app, 0);
    let browser = linked_browser(&app, "m1", &brown).await;
    browser.post(&app.url("/auth/line/logout")).await; // revokes the access token only
    let report = check_links(&links, &api(&app), |_| SweepAction::Unlink)
        .await
        .unwrap();
    assert_eq!(report.granted, 1);
    assert!(report.withdrawn.is_empty());
    assert_eq!(member_of(&links, &brown).await.as_deref(), Some("m1"));
}

#[tokio::test]
async fn sweep_stops_when_line_rate_limits_it() {
    let links = Links::default();
    let app = start(&links).await;
    linked_browser(&app, "m1", &user(&app, 0)).await;
    linked_browser(&app, "m2", &user(&app, 1)).await;
    app.sim.inject(
        Endpoint::VerifyAccessToken,
        Fault::RateLimited {
            retry_after_secs: 60,
        },
        None,
    );
    let report = check_links(&links, &api(&app), |_| SweepAction::Unlink)
        .await
        .unwrap();
    assert!(report.interrupted);
    assert_eq!(report.checked, 1);
    assert!(matches!(
        report.undecided[0].consent,
        Consent::Unavailable(_)
    ));
    assert_eq!(links.len(), 2, "nothing removed on a guess");
}

#[tokio::test]
async fn consent_withdrawn_in_line_logs_the_session_out() {
    let links = Links::default();
    let app = start(&links).await;
    let brown = user(&app, 0);
    let browser = Browser::new();
    app.login(&browser, &brown).await;
    assert_eq!(
        browser.get(&app.url("/consent")).await.status,
        StatusCode::OK
    );
    app.sim.revoke_consent(&brown);
    let answer = browser.as_json().get(&app.url("/consent")).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.who(&browser).await, None);
}

#[tokio::test]
async fn linked_member_extractor_sees_a_back_office_unlink_at_once() {
    let links = Links::default();
    let app = start(&links).await;
    let brown = user(&app, 0);
    let browser = linked_browser(&app, "m1", &brown).await;
    assert_eq!(linked_member(&app, &browser).await.as_deref(), Some("m1"));
    unlink_and_deauthorize(
        &links,
        &api(&app),
        LinkKey::LineUser(&brown),
        &LinkCause::back_office("ops"),
    )
    .await
    .unwrap();
    assert_eq!(linked_member(&app, &browser).await, None);
}

#[tokio::test]
async fn the_layer_reuses_one_channel_token_for_several_unlinks() {
    let links = Links::default();
    let app = start(&links).await;
    let first = linked_browser(&app, "m1", &user(&app, 0)).await;
    let second = linked_browser(&app, "m2", &user(&app, 1)).await;
    first.post(&app.url("/auth/line/unlink")).await;
    second.post(&app.url("/auth/line/unlink")).await;
    assert!(links.is_empty());
    assert_eq!(app.sim.requests(Endpoint::Deauthorize), 2);
    assert_eq!(
        app.sim.requests(Endpoint::ChannelToken),
        1,
        "a stateless channel token lives 15 minutes"
    );
}

#[tokio::test]
async fn deauthorize_failing_still_unlinks_revokes_and_hands_back_the_tokens() {
    let links = Links::default();
    let app = start(&links).await;
    let brown = user(&app, 0);
    linked_browser(&app, "m1", &brown).await;
    let token = stored_access_token(&links, &brown).await;
    let revokes = app.sim.requests(Endpoint::Revoke);
    app.sim
        .inject(Endpoint::Deauthorize, Fault::Status(500), None);
    let done = unlink_and_deauthorize(
        &links,
        &api(&app),
        LinkKey::LineUser(&brown),
        &LinkCause::back_office("ops"),
    )
    .await
    .unwrap()
    .unwrap();
    assert!(matches!(done.deauthorization, Deauthorization::Failed(_)));
    assert!(links.is_empty(), "the company's unlink happened anyway");
    assert_eq!(app.sim.requests(Endpoint::Revoke), revokes + 1);
    let kept = done.link.tokens.expect("tokens handed back for a retry");
    assert_eq!(kept.access_token.expose_secret(), token);
    assert!(
        api(&app)
            .verify_access_token(&kept.access_token)
            .await
            .is_err(),
        "the access token was revoked"
    );
}

/// A link that kept no tokens (linked by the app's own code) is still deauthorized on unlink,
/// with the session's tokens, because the session's LINE user is the unlinked one.
#[tokio::test]
async fn unlink_of_a_link_without_tokens_deauthorizes_with_the_session_users_tokens() {
    let links = Links::default();
    let app = start(&links).await;
    let brown = user(&app, 0);
    let browser = linked_browser(&app, "m1", &brown).await;
    let token = stored_access_token(&links, &brown).await;
    // The app links the pair again through the store, without tokens.
    let m1 = "m1".to_owned();
    links
        .unlink(LinkKey::Member(&m1), &LinkCause::member())
        .await
        .unwrap();
    links
        .link(&m1, &brown, None, &LinkCause::member())
        .await
        .unwrap();

    let answer = browser.post(&app.url("/auth/line/unlink")).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    assert!(links.is_empty());
    let records = app.sim.deauthorizations();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].user_id, brown);
    assert_eq!(records[0].user_access_token, token);
}
