//! Issue 17: several callback URLs and several web-login channels in one layer, against the
//! simulator.

use line_login_simulator::ConsentChoice;
use reqwest::StatusCode;
use url::Url;

use crate::common::{AppOptions, Browser, start_app_with};

fn query_param(url: &str, name: &str) -> Option<String> {
    Url::parse(url)
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Item 2: one site on two hosts (`127.0.0.1` and `localhost`) with one channel and two
/// registered callbacks. Each host's login is sent back to its own callback (so its attempt
/// cookie comes back), and the token request repeats that exact URL (the simulator refuses any
/// other).
#[tokio::test]
async fn two_hosts_of_one_site_each_return_to_their_own_callback() {
    let app = start_app_with(AppOptions {
        extra_hosts: vec!["localhost"],
        ..AppOptions::default()
    })
    .await;
    let user = app.first_user();
    for host in ["127.0.0.1", "localhost"] {
        let browser = Browser::new();
        let login = browser.get(&app.url_on(host, "/auth/line/login")).await;
        assert_eq!(login.status, StatusCode::SEE_OTHER, "{}", login.body);
        let authorize = login.location().unwrap();
        let redirect_uri = query_param(&authorize, "redirect_uri").unwrap();
        assert_eq!(
            Url::parse(&redirect_uri).unwrap().host_str(),
            Some(host),
            "{host} got {redirect_uri}"
        );
        let callback = app.consent(&authorize, ConsentChoice::allow(&user)).await;
        assert!(callback.starts_with(&app.url_on(host, "/auth/line/callback")));
        let answer = browser.get_cross_site(&callback).await;
        assert_eq!(
            answer.status,
            StatusCode::SEE_OTHER,
            "{host}: {}",
            answer.body
        );
        let me = browser.as_json().get(&app.url_on(host, "/me")).await;
        assert_eq!(me.json()["user_id"], user.as_str(), "{host}");
    }
    // A host outside the registered list gets the default callback, never one built from it.
    let browser = Browser::new();
    let login = browser
        .get_with(&app.url("/auth/line/login"), |r| {
            r.header("host", "evil.example")
        })
        .await;
    let redirect_uri = query_param(&login.location().unwrap(), "redirect_uri").unwrap();
    assert_eq!(redirect_uri, app.config.redirect_uri().as_str());
}
