//! axum-login: an app keeps its password login, `AuthSession`, `login_required!` and permission
//! checks, and adds "Log in with LINE" through `LineBackend`, whose LINE credentials are a
//! verified LINE login (the layer's callback, or a verified LIFF/native ID token).

use crate::common;

use axum_login::AuthnBackend as _;
use common::Browser;
use line_login::LineApi;
use line_login::axum_backend::{Credentials, LineBackend, LineLogin};
use line_login::id_token::IdTokenVerifier;
use line_login::link::{LinkCause, MemberLinks as _, MemoryLinks};
use line_login_simulator::Simulator;
use reqwest::StatusCode;

#[path = "../../examples/axum_login/app.rs"]
#[allow(dead_code)]
mod example;

struct Site {
    sim: Simulator,
    base: String,
    links: MemoryLinks<String>,
}

/// The example app on loopback over a fresh simulator; Brown (the first test user) is linked
/// to `alice`.
async fn start() -> Site {
    let sim = Simulator::start().await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let config = sim
        .config_builder(&format!("{base}/auth/line/callback"))
        .build()
        .unwrap();
    let links = MemoryLinks::<String>::default();
    let brown = sim.users()[0].user_id.clone();
    links
        .link(&"alice".to_owned(), &brown, None, &LinkCause::member())
        .await
        .unwrap();
    let app = example::app(&config, links.clone()).unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    Site { sim, base, links }
}

impl Site {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// "Log in with LINE" as test user `index`; returns the answer of the app's done page.
    async fn line_login(&self, browser: &Browser, index: usize) -> common::Answer {
        let start = browser.get(&self.url("/login/line")).await;
        let login = start.location().unwrap();
        let to_line = browser.get(&self.url(&login)).await;
        let authorize = to_line.location().unwrap();
        let user = self.sim.users()[index].user_id.clone();
        let callback = self
            .sim
            .consent(&authorize, line_login_simulator::ConsentChoice::allow(user))
            .await
            .unwrap();
        let back = browser.get_cross_site(callback.as_str()).await;
        assert_eq!(
            back.location().as_deref(),
            Some("/login/line/done"),
            "{}",
            back.body
        );
        browser.get(&self.url("/login/line/done")).await
    }
}

#[tokio::test]
async fn axum_login_line_login_signs_in_the_linked_user_with_guards_and_permissions() {
    let site = start().await;
    let browser = Browser::new();
    assert_eq!(
        browser.get(&site.url("/account")).await.status,
        StatusCode::UNAUTHORIZED
    );
    let done = site.line_login(&browser, 0).await;
    assert_eq!(
        done.location().as_deref(),
        Some("/account"),
        "{}",
        done.body
    );
    let account = browser.get(&site.url("/account")).await;
    assert_eq!(account.status, StatusCode::OK);
    assert_eq!(account.body, "account of alice");
    // axum-login's permission check sees Alice's permissions.
    assert_eq!(browser.get(&site.url("/admin")).await.body, "admin area");
    // And its logout ends the login.
    browser.post(&site.url("/logout")).await;
    assert_eq!(
        browser.get(&site.url("/account")).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn axum_login_password_login_keeps_working_beside_line() {
    let site = start().await;
    let browser = Browser::new();
    let wrong = browser
        .post_with(&site.url("/login/password"), |r| {
            r.form(&[("username", "bob"), ("password", "alice-pw")])
        })
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let ok = browser
        .post_with(&site.url("/login/password"), |r| {
            r.form(&[("username", "bob"), ("password", "bob-pw")])
        })
        .await;
    assert_eq!(ok.location().as_deref(), Some("/account"));
    assert_eq!(
        browser.get(&site.url("/account")).await.body,
        "account of bob"
    );
    // Bob is no admin.
    assert_eq!(
        browser.get(&site.url("/admin")).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn axum_login_unlinked_line_user_authenticates_nobody_until_linked() {
    let site = start().await;
    let browser = Browser::new();
    let done = site.line_login(&browser, 1).await;
    assert_eq!(done.status, StatusCode::FORBIDDEN, "{}", done.body);
    assert_eq!(
        browser.get(&site.url("/account")).await.status,
        StatusCode::UNAUTHORIZED
    );
    // Bob links Cony through the layer's link route while signed in with his password.
    browser
        .post_with(&site.url("/login/password"), |r| {
            r.form(&[("username", "bob"), ("password", "bob-pw")])
        })
        .await;
    let link = browser
        .post_with(&site.url("/auth/line/link"), |r| {
            r.header("origin", site.base.as_str())
        })
        .await;
    let authorize = link.location().expect("link redirects to LINE");
    let cony = site.sim.users()[1].user_id.clone();
    let callback = site
        .sim
        .consent(
            &authorize,
            line_login_simulator::ConsentChoice::allow(cony.clone()),
        )
        .await
        .unwrap();
    browser.get_cross_site(callback.as_str()).await;
    assert_eq!(
        site.links.member_for(&cony).await.unwrap().as_deref(),
        Some("bob")
    );
    let other = Browser::new();
    let done = site.line_login(&other, 1).await;
    assert_eq!(done.location().as_deref(), Some("/account"));
    assert_eq!(
        other.get(&site.url("/account")).await.body,
        "account of bob"
    );
}

#[tokio::test]
async fn axum_login_accepts_a_verified_liff_token_as_line_credentials() {
    let sim = Simulator::start().await.unwrap();
    let config = sim
        .config_builder("http://127.0.0.1:9/auth/line/callback")
        .build()
        .unwrap();
    let links = MemoryLinks::<String>::default();
    let brown = sim.users()[0].user_id.clone();
    links
        .link(&"alice".to_owned(), &brown, None, &LinkCause::member())
        .await
        .unwrap();
    let backend = LineBackend::new(example::Users::demo(), links);
    let verifier = IdTokenVerifier::new(LineApi::new(&config).unwrap());
    let token = line_login::RawIdToken::new(sim.issue_es256_id_token(&brown, None));
    let verified = verifier.verify_liff(&token, None).await.unwrap();
    let user = backend
        .authenticate(Credentials::Line(LineLogin::from(&verified)))
        .await
        .unwrap()
        .expect("Alice");
    assert_eq!(user.id, "alice");
    // A LINE user nobody linked gives no user.
    let cony = sim.users()[1].user_id.clone();
    let token = line_login::RawIdToken::new(sim.issue_es256_id_token(&cony, None));
    let verified = verifier.verify_liff(&token, None).await.unwrap();
    let nobody = backend
        .authenticate(Credentials::Line(LineLogin::from(&verified)))
        .await
        .unwrap();
    assert!(nobody.is_none());
}
