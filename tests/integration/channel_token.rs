//! Channel access tokens for LINE's deauthorize API, against the simulator: a stateless token is
//! issued when first needed, reused while valid (also by concurrent callers and clones), replaced
//! shortly before it expires, and the old one never sent again; a long-lived token only by opt-in.

use std::time::Duration;

use line_login::api::LineApi;

/// The client renews a channel token this long before LINE says it expires (the crate's rule).
const CHANNEL_TOKEN_RENEWAL_MARGIN_SECS: u64 = 60;
use line_login::compliance::{self, Status};
use line_login::{AccessToken, AuthorizationCode, Config, LineLoginLayer};
use line_login_simulator::{ConsentChoice, Endpoint, Fault, Simulator};
use url::Url;

const REDIRECT_URI: &str = "http://127.0.0.1:9/auth/line/callback";
/// LINE's stateless channel tokens live 15 minutes.
const STATELESS_TTL_SECS: u64 = 900;

/// A simulator and a client whose channel-token cache runs on the simulator's clock.
async fn setup() -> (Simulator, LineApi) {
    let sim = Simulator::start().await.unwrap();
    let config = sim.config_builder(REDIRECT_URI).build().unwrap();
    let clock = sim.clone();
    let api = LineApi::new(&config)
        .unwrap()
        .with_channel_token_clock(move || clock.now());
    (sim, api)
}

/// Logs `user` in through the simulator and returns their access token.
async fn user_token(sim: &Simulator, api: &LineApi, name: &str) -> AccessToken {
    let config = api.config();
    let user = sim.user(name).unwrap().user_id;
    let mut authorize = config.authorize_endpoint();
    authorize
        .query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", config.channel_id().as_str())
        .append_pair("redirect_uri", config.redirect_uri().as_str())
        .append_pair("state", "state-channel-token-tests")
        .append_pair("scope", "profile openid")
        .append_pair("nonce", "nonce-channel-token-tests");
    let callback: Url = sim
        .consent(authorize.as_str(), ConsentChoice::allow(user))
        .await
        .unwrap();
    let code = callback
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    api.exchange_code(&AuthorizationCode::new(code), config.redirect_uri(), None)
        .await
        .unwrap()
        .access_token
}

#[tokio::test]
async fn a_channel_token_is_reused_while_valid() {
    let (sim, api) = setup().await;
    let first = api.channel_access_token().await.unwrap();
    assert_eq!(sim.requests(Endpoint::ChannelToken), 1);
    // Still valid one second before the renewal margin: the same token, no new request, also
    // through a clone of the client.
    sim.advance_clock(Duration::from_secs(
        STATELESS_TTL_SECS - CHANNEL_TOKEN_RENEWAL_MARGIN_SECS - 1,
    ));
    assert_eq!(api.channel_access_token().await.unwrap(), first);
    assert_eq!(api.clone().channel_access_token().await.unwrap(), first);
    assert_eq!(sim.requests(Endpoint::ChannelToken), 1);
    // Deauthorizing two users uses the cached token both times.
    let brown = user_token(&sim, &api, "Brown").await;
    let cony = user_token(&sim, &api, "Cony").await;
    api.deauthorize_user(&brown).await.unwrap();
    api.deauthorize_user(&cony).await.unwrap();
    assert_eq!(sim.requests(Endpoint::ChannelToken), 1);
    let sent: Vec<String> = sim
        .deauthorizations()
        .into_iter()
        .map(|d| d.channel_access_token)
        .collect();
    assert_eq!(sent, [first.expose_secret(), first.expose_secret()]);
}

#[tokio::test]
async fn a_new_channel_token_is_issued_after_expiry_and_the_old_one_is_not_used_again() {
    let (sim, api) = setup().await;
    let old = api.channel_access_token().await.unwrap();
    let brown = user_token(&sim, &api, "Brown").await;
    api.deauthorize_user(&brown).await.unwrap();

    // Into the last minute of the old token's life: it is not handed out any more.
    sim.advance_clock(Duration::from_secs(
        STATELESS_TTL_SECS - CHANNEL_TOKEN_RENEWAL_MARGIN_SECS,
    ));
    let new = api.channel_access_token().await.unwrap();
    assert_ne!(new, old);
    assert_eq!(sim.requests(Endpoint::ChannelToken), 2);

    // And after the old one expired, only the new one is ever sent.
    sim.advance_clock(Duration::from_secs(CHANNEL_TOKEN_RENEWAL_MARGIN_SECS + 1));
    let cony = user_token(&sim, &api, "Cony").await;
    api.deauthorize_user(&cony).await.unwrap();
    assert_eq!(sim.requests(Endpoint::ChannelToken), 2);
    let records = sim.deauthorizations();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0].channel_access_token, old.expose_secret());
    assert_eq!(records[1].channel_access_token, new.expose_secret());
    assert!(
        records[1..]
            .iter()
            .all(|r| r.channel_access_token != old.expose_secret())
    );
}

#[tokio::test]
async fn concurrent_callers_share_one_issuance() {
    let (sim, api) = setup().await;
    // Slow issuance, so every caller arrives while the first one is still waiting for LINE.
    sim.inject(
        Endpoint::ChannelToken,
        Fault::Delay(Duration::from_millis(300)),
        Some(1),
    );
    let calls = (0..16).map(|_| {
        let api = api.clone();
        tokio::spawn(async move { api.channel_access_token().await.unwrap() })
    });
    let tokens = futures_util::future::join_all(calls).await;
    let first = tokens[0].as_ref().unwrap().clone();
    assert!(tokens.iter().all(|t| t.as_ref().unwrap() == &first));
    assert_eq!(sim.requests(Endpoint::ChannelToken), 1);
}

#[tokio::test]
async fn a_failed_issuance_caches_nothing_and_the_next_call_retries() {
    let (sim, api) = setup().await;
    sim.inject(Endpoint::ChannelToken, Fault::Status(500), Some(1));
    let err = api.channel_access_token().await.unwrap_err();
    assert_eq!(err.status(), Some(500));
    let token = api.channel_access_token().await.unwrap();
    assert_eq!(api.channel_access_token().await.unwrap(), token);
    assert_eq!(sim.requests(Endpoint::ChannelToken), 2);
}

#[tokio::test]
async fn a_channel_token_line_refuses_is_replaced_once() {
    // The cache runs on the system clock while the simulator's clock jumps past the token's
    // expiry: the cache still believes in the token, LINE answers 401.
    let sim = Simulator::start().await.unwrap();
    let config = sim.config_builder(REDIRECT_URI).build().unwrap();
    let api = LineApi::new(&config).unwrap();
    let stale = api.channel_access_token().await.unwrap();
    sim.advance_clock(Duration::from_secs(STATELESS_TTL_SECS + 1));
    let brown = user_token(&sim, &api, "Brown").await;
    api.deauthorize_user(&brown).await.unwrap();
    assert_eq!(sim.requests(Endpoint::ChannelToken), 2);
    assert_eq!(sim.requests(Endpoint::Deauthorize), 2);
    let fresh = api.channel_access_token().await.unwrap();
    assert_ne!(fresh, stale);
    assert_eq!(
        sim.last_deauthorize().unwrap().channel_access_token,
        fresh.expose_secret()
    );
    // A forgotten token that is not the cached one changes nothing.
    api.forget_channel_access_token(&stale).await;
    assert_eq!(api.channel_access_token().await.unwrap(), fresh);
    assert_eq!(sim.requests(Endpoint::ChannelToken), 2);
}

#[tokio::test]
async fn a_long_lived_token_is_used_only_when_opted_in_and_is_flagged() {
    let sim = Simulator::start().await.unwrap();
    // Without the opt-in: stateless tokens, and the report is fine with them.
    let default = sim.config_builder(REDIRECT_URI).build().unwrap();
    assert!(default.long_lived_channel_token().is_none());
    let item = compliance::report(&default);
    assert_eq!(item.item("channel_tokens").unwrap().status, Status::Ok);

    // With it: the configured token is used as it is, never a stateless one.
    let configured = "configured-long-lived-channel-token";
    let config = sim
        .config_builder(REDIRECT_URI)
        .long_lived_channel_token(configured)
        .build()
        .unwrap();
    assert!(!format!("{config:?}").contains(configured));
    let api = LineApi::new(&config).unwrap();
    assert_eq!(
        api.channel_access_token().await.unwrap().expose_secret(),
        configured
    );
    assert_eq!(sim.requests(Endpoint::ChannelToken), 0);
    // The simulator accepts only its own stateless tokens: LINE's 401 is passed on, without a
    // stateless token issued behind the app's back.
    let brown = user_token(&sim, &api, "Brown").await;
    let err = api.deauthorize_user(&brown).await.unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert_eq!(sim.requests(Endpoint::ChannelToken), 0);

    // The report says "action needed", and the strict layer refuses to start.
    let report = compliance::report(&config);
    assert_eq!(
        report.item("channel_tokens").unwrap().status,
        Status::ActionNeeded
    );
    let refused = LineLoginLayer::with_api(api.clone())
        .compliance()
        .build()
        .check()
        .unwrap_err();
    assert_eq!(refused.item_ids(), ["channel_tokens"]);
    assert!(!refused.to_string().contains(configured));

    // A blank value is no opt-in (e.g. an empty environment variable).
    let blank = Config::from_lookup(|name| match name {
        "LINE_LOGIN_CHANNEL_ID" => Some("1234567890".into()),
        "LINE_LOGIN_CHANNEL_SECRET" => Some("secret".into()),
        "LINE_LOGIN_REDIRECT_URI" => Some(REDIRECT_URI.into()),
        "LINE_LOGIN_LONG_LIVED_CHANNEL_TOKEN" => Some("  ".into()),
        _ => None,
    })
    .unwrap();
    assert!(blank.long_lived_channel_token().is_none());
    let from_env = Config::from_lookup(|name| match name {
        "LINE_LOGIN_CHANNEL_ID" => Some("1234567890".into()),
        "LINE_LOGIN_CHANNEL_SECRET" => Some("secret".into()),
        "LINE_LOGIN_REDIRECT_URI" => Some(REDIRECT_URI.into()),
        "LINE_LOGIN_LONG_LIVED_CHANNEL_TOKEN" => Some(configured.into()),
        _ => None,
    })
    .unwrap();
    assert_eq!(
        from_env
            .long_lived_channel_token()
            .map(|t| t.expose_secret()),
        Some(configured)
    );
}

#[tokio::test]
async fn a_new_log_sink_keeps_the_cache_and_a_new_clock_starts_empty() {
    let (sim, api) = setup().await;
    let first = api.channel_access_token().await.unwrap();
    let logged = api
        .clone()
        .with_log_sink(std::sync::Arc::new(line_login::api::TracingSink));
    assert_eq!(logged.channel_access_token().await.unwrap(), first);
    assert_eq!(sim.requests(Endpoint::ChannelToken), 1);
    let reclocked = api.with_channel_token_clock(std::time::SystemTime::now);
    assert_ne!(reclocked.channel_access_token().await.unwrap(), first);
    assert_eq!(sim.requests(Endpoint::ChannelToken), 2);
}
