//! Issue 17: several callback URLs and several web-login channels in one layer, against the
//! simulator.

use line_login::link::MemoryLinks;
use line_login::{ChannelId, ConfigBuilder, LineLoginLayer};
use line_login_simulator::{
    ConsentChoice, Endpoint, Fault, Simulator, SimulatorOptions, WebChannelOptions,
};
use reqwest::StatusCode;
use url::Url;

use crate::common::{AppOptions, Browser, TestApp, start_app_on, start_app_with};

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

/// The second web channel of the channel tests.
const SECOND: &str = "2000000002";

/// An app with two web channels of one simulator: the default one (label `first`, provider
/// `acme`) on `127.0.0.1`, the second (label `second`, `email` requested, provider
/// `second_provider`) on `localhost`.
async fn two_channel_app(
    second_provider: &'static str,
    layer: impl FnOnce(LineLoginLayer) -> LineLoginLayer + Send + 'static,
    links: Option<MemoryLinks<String>>,
) -> TestApp {
    let sim = Simulator::start_with(SimulatorOptions {
        web_channels: vec![WebChannelOptions::new(SECOND)],
        ..SimulatorOptions::default()
    })
    .await
    .unwrap();
    let for_config = sim.clone();
    let mut options = AppOptions {
        config_with_port: Some(Box::new(move |builder: ConfigBuilder, port: u16| {
            let second = for_config
                .channel_builder(
                    SECOND,
                    &format!("http://localhost:{port}/auth/line/callback"),
                )
                .unwrap()
                .label("second")
                .provider(second_provider)
                .email(true);
            builder.label("first").provider("acme").channel(second)
        })),
        ..AppOptions::default()
    }
    .layer(layer);
    if let Some(links) = links {
        options = options.links(links);
    }
    start_app_on(sim, options).await
}

/// Starts a login on `host` and returns the authorize URL.
async fn start_on(app: &TestApp, browser: &Browser, host: &str, path: &str) -> String {
    let login = browser.get(&app.url_on(host, path)).await;
    assert_eq!(login.status, StatusCode::SEE_OTHER, "{}", login.body);
    login.location().unwrap()
}

/// Item 1 and 7: a login on each channel. The default selector maps the request's host to the
/// channel with a callback there; each login is authorized, exchanged and verified with its own
/// channel (client ID, secret, options), and the user says which channel it came through.
#[tokio::test]
async fn a_login_on_each_channel_uses_that_channel_only() {
    let app = two_channel_app("acme", |layer| layer, None).await;
    let user = app.first_user();
    for (host, channel, scope) in [
        (
            "127.0.0.1",
            app.sim.channel_id().to_owned(),
            "profile openid",
        ),
        ("localhost", SECOND.to_owned(), "profile openid email"),
    ] {
        let browser = Browser::new();
        let authorize = start_on(&app, &browser, host, "/auth/line/login").await;
        assert_eq!(
            query_param(&authorize, "client_id").as_deref(),
            Some(channel.as_str())
        );
        assert_eq!(query_param(&authorize, "scope").as_deref(), Some(scope));
        let callback = app.consent(&authorize, ConsentChoice::allow(&user)).await;
        let answer = browser.get_cross_site(&callback).await;
        assert_eq!(
            answer.status,
            StatusCode::SEE_OTHER,
            "{host}: {}",
            answer.body
        );
        let me = browser.as_json().get(&app.url_on(host, "/me")).await.json();
        assert_eq!(me["user_id"], user.as_str());
        assert_eq!(me["channel_id"], channel.as_str(), "{host}");
    }
}

/// Item 1: the callback verifies against the attempt's channel only. The token endpoint
/// answers with a valid ID token of the other configured channel (its `aud`, its secret): it
/// is refused, on either channel.
#[tokio::test]
async fn a_callback_whose_token_comes_from_the_other_channel_is_refused() {
    let app = two_channel_app("acme", |layer| layer, None).await;
    let user = app.first_user();
    for host in ["localhost", "127.0.0.1"] {
        let browser = Browser::new().as_json();
        let authorize = start_on(&app, &browser, host, "/auth/line/login").await;
        let callback = app.consent(&authorize, ConsentChoice::allow(&user)).await;
        app.sim
            .inject(Endpoint::Token, Fault::OtherChannel, Some(1));
        let answer = browser.get_cross_site(&callback).await;
        assert_eq!(
            answer.status,
            StatusCode::UNAUTHORIZED,
            "{host}: {}",
            answer.body
        );
        assert_eq!(answer.json()["error"], "invalid_id_token", "{host}");
        let me = browser.get(&app.url_on(host, "/me")).await;
        assert_eq!(
            me.status,
            StatusCode::UNAUTHORIZED,
            "{host}: nobody logged in"
        );
    }
}

/// Item 1: the app's selector chooses the channel (here by a query parameter); `None` falls
/// back to the host rule; a channel that is not configured is a 500, never another channel.
#[tokio::test]
async fn the_apps_channel_selector_chooses_the_channel() {
    let app = two_channel_app(
        "acme",
        |layer| {
            layer.channel_selector(|parts, _config| match parts.uri.query() {
                Some(q) if q.contains("country=th") => ChannelId::parse(SECOND).ok(),
                Some(q) if q.contains("country=xx") => ChannelId::parse("3000000003").ok(),
                _ => None,
            })
        },
        None,
    )
    .await;
    let browser = Browser::new();
    let authorize = start_on(&app, &browser, "127.0.0.1", "/auth/line/login?country=th").await;
    assert_eq!(
        query_param(&authorize, "client_id").as_deref(),
        Some(SECOND)
    );
    // The second channel has no callback on 127.0.0.1: its default one is used.
    let redirect = query_param(&authorize, "redirect_uri").unwrap();
    assert!(redirect.starts_with("http://localhost:"), "{redirect}");
    let authorize = start_on(&app, &browser, "127.0.0.1", "/auth/line/login").await;
    assert_eq!(
        query_param(&authorize, "client_id").as_deref(),
        Some(app.sim.channel_id())
    );
    let unknown = browser
        .as_json()
        .get(&app.url("/auth/line/login?country=xx"))
        .await;
    assert_eq!(unknown.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(unknown.json()["error"], "unknown_channel");
}

/// Item 4: member links hold LINE user IDs of the default channel's provider. LINE gives one
/// person another user ID under another provider, so a link through a channel of another
/// provider is refused (409, before LINE is asked anything), and a login through it is not
/// matched with the links; the channel of the links' provider links as usual.
#[tokio::test]
async fn linking_refuses_a_channel_of_another_provider() {
    let links = MemoryLinks::<String>::default();
    let app = two_channel_app("globex", |layer| layer, Some(links.clone())).await;
    let user = app.first_user();

    let browser = Browser::new().as_json();
    let signed_in = browser
        .post(&app.url_on("localhost", "/member/signin?member=m1"))
        .await;
    assert_eq!(signed_in.status, StatusCode::OK);
    let refused = browser
        .post(&app.url_on("localhost", "/auth/line/link"))
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    assert_eq!(refused.json()["error"], "link_conflict");
    assert_eq!(links.len(), 0, "nothing linked");

    // Through the default channel (the links' provider) the member links.
    let browser = Browser::new();
    browser.post(&app.url("/member/signin?member=m1")).await;
    let answer = browser.post(&app.url("/auth/line/link")).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    let callback = app
        .consent(&answer.location().unwrap(), ConsentChoice::allow(&user))
        .await;
    let linked = browser.get_cross_site(&callback).await;
    assert_eq!(linked.status, StatusCode::SEE_OTHER, "{}", linked.body);
    let me = browser.as_json().get(&app.url("/me")).await.json();
    assert_eq!(me["member_id"], "m1");

    // A plain login through the other provider's channel is not matched with that link.
    let other = Browser::new();
    let authorize = start_on(&app, &other, "localhost", "/auth/line/login").await;
    let callback = app.consent(&authorize, ConsentChoice::allow(&user)).await;
    let answer = other.get_cross_site(&callback).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    let me = other
        .as_json()
        .get(&app.url_on("localhost", "/me"))
        .await
        .json();
    assert_eq!(me["channel_id"], SECOND);
    assert!(me["member_id"].is_null(), "{me}");
}

/// Item 6: the compliance report covers every configured channel: the header names each
/// channel and callback URL, and an item that differs between channels says which channel
/// needs what.
#[test]
fn the_compliance_report_covers_every_channel() {
    use line_login::compliance::{ReportFormat, Status, report};
    use line_login::{BotPrompt, Channel, Config};
    let config = Config::builder(
        "1111111111",
        "jp-secret",
        "https://jp.example.com/auth/line/callback",
    )
    .label("jp")
    .provider("acme")
    .bot_prompt(BotPrompt::Normal)
    .channel(
        Channel::builder(
            "2222222222",
            "th-secret",
            "https://th.example.com/auth/line/callback",
        )
        .label("th")
        .provider("acme")
        .scopes("openid")
        .bot_prompt(BotPrompt::Normal),
    )
    .build()
    .unwrap();
    let report = report(&config);
    let add_friend = report.item("add_friend").unwrap();
    assert_eq!(add_friend.status, Status::Warning, "{}", add_friend.detail);
    assert!(
        add_friend.detail.contains("channel th: warning"),
        "{}",
        add_friend.detail
    );
    assert!(
        add_friend.detail.contains("channel jp: ok"),
        "{}",
        add_friend.detail
    );
    let text = report.render(ReportFormat::Text);
    for expected in [
        "1111111111 (jp)",
        "2222222222 (th)",
        "https://jp.example.com/auth/line/callback",
        "https://th.example.com/auth/line/callback",
    ] {
        assert!(text.contains(expected), "{expected} missing from\n{text}");
    }
    let json = report.to_json();
    assert_eq!(json["channels"][1]["label"], "th");
    assert_eq!(json["channels"][1]["provider"], "acme");
    assert!(!text.contains("th-secret") && !json.to_string().contains("th-secret"));
    // One channel: the report reads as before.
    let single = line_login::compliance::report(
        &Config::builder(
            "1111111111",
            "s",
            "https://jp.example.com/auth/line/callback",
        )
        .build()
        .unwrap(),
    );
    assert!(
        single.render(ReportFormat::Text).contains(
            "Channel 1111111111, redirect URI https://jp.example.com/auth/line/callback\n"
        )
    );
}

/// Items 1 and 4: a member linked through the second channel (same provider) is unlinked with
/// that channel's credentials: LINE's deauthorize takes the user's token with the channel
/// token of the channel that issued it (the simulator refuses another channel's, and a refresh
/// token refreshes at its own channel only).
#[tokio::test]
async fn unlinking_ends_the_authorization_through_the_users_own_channel() {
    let links = MemoryLinks::<String>::default();
    let app = two_channel_app("acme", |layer| layer, Some(links.clone())).await;
    let user = app.first_user();
    let browser = Browser::new();
    let signed_in = browser
        .post(&app.url_on("localhost", "/member/signin?member=m1"))
        .await;
    assert_eq!(signed_in.status, StatusCode::OK);
    let answer = browser
        .post(&app.url_on("localhost", "/auth/line/link"))
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    let authorize = answer.location().unwrap();
    assert_eq!(
        query_param(&authorize, "client_id").as_deref(),
        Some(SECOND)
    );
    let callback = app.consent(&authorize, ConsentChoice::allow(&user)).await;
    let linked = browser.get_cross_site(&callback).await;
    assert_eq!(linked.status, StatusCode::SEE_OTHER, "{}", linked.body);
    assert_eq!(links.len(), 1);

    let unlinked = browser
        .post(&app.url_on("localhost", "/auth/line/unlink"))
        .await;
    assert_eq!(unlinked.status, StatusCode::SEE_OTHER, "{}", unlinked.body);
    assert_eq!(links.len(), 0);
    let records = app.sim.deauthorizations();
    assert_eq!(records.len(), 1, "deauthorized through the second channel");
    assert_eq!(records[0].user_id, user);
}

/// The consent sweep judges a user linked through the second channel with that channel: its
/// access token is that channel's (verify names it) and its refresh token works only there, so
/// neither may read as "consent withdrawn" and unlink the user, fresh or a month later.
#[tokio::test]
async fn the_consent_sweep_keeps_a_user_linked_through_another_channel() {
    use line_login::link::{SweepAction, check_links};
    let links = MemoryLinks::<String>::default();
    let app = two_channel_app("acme", |layer| layer, Some(links.clone())).await;
    let user = app.first_user();
    let browser = Browser::new();
    browser
        .post(&app.url_on("localhost", "/member/signin?member=m1"))
        .await;
    let answer = browser
        .post(&app.url_on("localhost", "/auth/line/link"))
        .await;
    let authorize = answer.location().unwrap();
    assert_eq!(
        query_param(&authorize, "client_id").as_deref(),
        Some(SECOND)
    );
    let callback = app.consent(&authorize, ConsentChoice::allow(&user)).await;
    let linked = browser.get_cross_site(&callback).await;
    assert_eq!(linked.status, StatusCode::SEE_OTHER, "{}", linked.body);
    assert_eq!(links.len(), 1);

    let api = line_login::LineApi::new(&app.config).unwrap();
    // A live access token of the second channel.
    let report = check_links(&links, &api, |_| SweepAction::Unlink)
        .await
        .unwrap();
    assert!(report.withdrawn.is_empty(), "{report:?}");
    assert_eq!(links.len(), 1);

    // A month later the access token is dead; only the second channel can refresh.
    app.sim
        .advance_clock(std::time::Duration::from_secs(31 * 24 * 3600));
    let report = check_links(&links, &api, |_| SweepAction::Unlink)
        .await
        .unwrap();
    assert!(report.withdrawn.is_empty(), "{report:?}");
    assert_eq!(report.refreshed, 1, "{report:?}");
    assert_eq!(links.len(), 1);

    // Withdrawn for real: every channel refuses, and the policy applies.
    app.sim.revoke_consent(&user);
    let report = check_links(&links, &api, |_| SweepAction::Unlink)
        .await
        .unwrap();
    assert_eq!(report.withdrawn.len(), 1, "{report:?}");
    assert_eq!(links.len(), 0);
}
