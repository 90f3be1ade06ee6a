//! LINE Profile+: its scopes are accepted, the simulator mints their claims, the user carries
//! them as typed fields, and the example site's `/me` shows whichever are present.

use crate::common;
use crate::site;

use common::{AppOptions, Browser, start_app_with};
use line_login::token_crypto::{TokenKey, TokenKeyRing};
use line_login_simulator::Simulator;
use reqwest::StatusCode;

#[tokio::test]
async fn profile_plus_claims_become_typed_fields_of_the_user() {
    let app = start_app_with(
        AppOptions::default().config(|c| c.scopes("profile openid real_name phone address")),
    )
    .await;
    app.sim.set_profile_plus(true);
    let browser = Browser::new();
    let answer = app.login(&browser, &app.first_user()).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    let me = browser.as_json().get(&app.url("/me")).await.json();
    let plus = &me["profile_plus"];
    assert_eq!(plus["given_name"], "Brown", "{me}");
    assert_eq!(plus["family_name"], "Line");
    assert_eq!(plus["given_name_pronunciation"], "ブラウン");
    assert_eq!(plus["phone_number"], "+81 90-0000-0001");
    assert_eq!(plus["address"]["region"], "東京都");
    // Not requested: not there.
    assert_eq!(plus["gender"], serde_json::Value::Null);
    assert_eq!(plus["birthdate"], serde_json::Value::Null);
}

#[tokio::test]
async fn without_profile_plus_scopes_the_user_has_none_and_a_plain_channel_refuses_them() {
    let app = start_app_with(AppOptions::default()).await;
    app.sim.set_profile_plus(true);
    let browser = Browser::new();
    app.login(&browser, &app.first_user()).await;
    let me = browser.as_json().get(&app.url("/me")).await.json();
    assert_eq!(me["profile_plus"], serde_json::Value::Null, "{me}");

    // A channel without Profile+ answers INVALID_SCOPE, as LINE does for scopes not granted.
    let plain = start_app_with(AppOptions::default().config(|c| c.scopes("openid gender"))).await;
    let authorize = plain.start_login(&Browser::new(), "").await;
    let page = Browser::new().get(&authorize).await;
    let location = page.location().unwrap_or_default();
    assert!(
        location.contains("error=INVALID_SCOPE"),
        "{location} {}",
        page.body
    );
}

#[tokio::test]
async fn the_sites_me_shows_the_profile_plus_fields_present() {
    let sim = Simulator::start().await.unwrap();
    sim.set_profile_plus(true);
    let file = std::env::temp_dir().join(format!(
        "line_login_profile_plus_{}_{:08x}.db",
        std::process::id(),
        rand::random::<u32>()
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let config = sim
        .config_builder(&format!("{base}/auth/line/callback"))
        .scopes("profile openid email gender birthdate")
        .token_keys(TokenKeyRing::new(TokenKey::generate().unwrap()))
        .build()
        .unwrap();
    let app = site::router(site::SiteOptions {
        config,
        database_url: format!("sqlite://{}", file.display()),
        session_store_url: None,
        simulator: Some(sim.clone()),
    })
    .await
    .unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });

    let browser = Browser::new();
    let start = browser.get(&format!("{base}/auth/line/login")).await;
    let authorize = start.location().unwrap();
    let user = sim.users()[1].user_id.clone();
    let callback = sim
        .consent(&authorize, line_login_simulator::ConsentChoice::allow(user))
        .await
        .unwrap();
    browser.get_cross_site(callback.as_str()).await;
    let me = browser.as_json().get(&format!("{base}/me")).await.json();
    assert_eq!(
        me["profile_plus"],
        serde_json::json!({"gender": "female", "birthdate": "2011-08-16"}),
        "{me}"
    );
    assert_eq!(me["email_not_granted"], true, "{me}");
}
