//! The LINE API client against the simulator on loopback: every call succeeding, each error
//! kind (LINE error, 429, 5xx, HTML, malformed and truncated JSON, timeout, no connection) and
//! the per-call log records, which must never contain a token or a code.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use line_login::api::{
    AccessTokenError, ApiCallRecord, ApiError, ApiLogSink, ApiOutcome, Endpoint, LineApi,
    TokenResponse,
};
use line_login::{
    AccessToken, AuthorizationCode, ChannelAccessToken, Config, PkceVerifier, RefreshToken,
};
use line_login_simulator::{ConsentChoice, Fault, Simulator};
use url::Url;

const REDIRECT_URI: &str = "http://127.0.0.1:9/auth/line/callback";

struct Setup {
    sim: Simulator,
    config: Config,
    api: LineApi,
}

async fn setup() -> Setup {
    let sim = Simulator::start().await.expect("simulator starts");
    let config = sim
        .config_builder(REDIRECT_URI)
        .build()
        .expect("valid config");
    let api = LineApi::new(&config).expect("client builds");
    Setup { sim, config, api }
}

fn brown(sim: &Simulator) -> String {
    sim.user("Brown").expect("test user Brown").user_id
}

/// The authorize URL a login would send the browser to.
fn authorize_url(config: &Config, nonce: &str, code_challenge: Option<&str>) -> String {
    let mut url = config.authorize_endpoint();
    {
        let mut query = url.query_pairs_mut();
        query
            .append_pair("response_type", "code")
            .append_pair("client_id", config.channel_id().as_str())
            .append_pair("redirect_uri", config.redirect_uri().as_str())
            .append_pair("state", "state-0123456789abcdef")
            .append_pair("scope", &config.scopes().to_string())
            .append_pair("nonce", nonce);
        if let Some(challenge) = code_challenge {
            query
                .append_pair("code_challenge", challenge)
                .append_pair("code_challenge_method", "S256");
        }
    }
    url.to_string()
}

/// Consents as `user_id` and returns the code from the callback.
async fn login_code(
    sim: &Simulator,
    config: &Config,
    user_id: &str,
    nonce: &str,
    code_challenge: Option<&str>,
) -> AuthorizationCode {
    let callback: Url = sim
        .consent(
            &authorize_url(config, nonce, code_challenge),
            ConsentChoice::allow(user_id),
        )
        .await
        .expect("the simulator redirects to the callback");
    let code = callback
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .expect("the callback carries a code");
    AuthorizationCode::new(code)
}

async fn login(s: &Setup, nonce: &str) -> TokenResponse {
    let code = login_code(&s.sim, &s.config, &brown(&s.sim), nonce, None).await;
    s.api
        .exchange_code(&code, s.config.redirect_uri(), None)
        .await
        .expect("code exchange succeeds")
}

fn pkce_pair() -> (String, String) {
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-0123456789".to_owned();
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes());
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref());
    (verifier, challenge)
}

#[derive(Default)]
struct Capture(Mutex<Vec<ApiCallRecord>>);

impl ApiLogSink for Capture {
    fn record(&self, record: &ApiCallRecord) {
        self.0.lock().unwrap().push(record.clone());
    }
}

impl Capture {
    fn records(&self) -> Vec<ApiCallRecord> {
        self.0.lock().unwrap().clone()
    }
}

#[tokio::test]
async fn code_exchange_returns_tokens_and_refresh_keeps_the_refresh_token() {
    let s = setup().await;
    let tokens = login(&s, "nonce-exchange-1").await;
    assert_eq!(tokens.token_type, "Bearer");
    assert_eq!(tokens.expires_in, 2_592_000);
    assert!(
        tokens.scope.split(' ').any(|w| w == "profile"),
        "{}",
        tokens.scope
    );
    assert!(tokens.id_token.is_some(), "openid was requested");
    let refresh_token = tokens.refresh_token.clone().expect("a refresh token");

    let refreshed = s
        .api
        .refresh(&refresh_token)
        .await
        .expect("refresh succeeds");
    assert_eq!(refreshed.refresh_token.as_ref(), Some(&refresh_token));
    assert!(
        refreshed.id_token.is_none(),
        "a refresh returns no ID token"
    );
    assert_ne!(refreshed.access_token, tokens.access_token);
    assert!(refreshed.expires_in > 0);
    let info = s
        .api
        .verify_access_token(&refreshed.access_token)
        .await
        .unwrap();
    assert_eq!(info.client_id, s.sim.channel_id());
}

#[tokio::test]
async fn code_exchange_sends_the_pkce_verifier() {
    let s = setup().await;
    let user = brown(&s.sim);
    let (verifier, challenge) = pkce_pair();
    let code = login_code(&s.sim, &s.config, &user, "nonce-pkce", Some(&challenge)).await;
    let tokens = s
        .api
        .exchange_code(
            &code,
            s.config.redirect_uri(),
            Some(&PkceVerifier::new(verifier.clone())),
        )
        .await
        .expect("exchange with the right verifier succeeds");
    assert!(tokens.id_token.is_some());

    let code = login_code(&s.sim, &s.config, &user, "nonce-pkce-2", Some(&challenge)).await;
    let err = s
        .api
        .exchange_code(&code, s.config.redirect_uri(), None)
        .await
        .expect_err("a missing verifier is refused");
    assert_eq!(err.status(), Some(400));
    assert_eq!(err.error_code(), Some("invalid_grant"));
}

#[tokio::test]
async fn remote_id_token_verification_returns_the_claims() {
    let s = setup().await;
    let user = brown(&s.sim);
    let tokens = login(&s, "nonce-verify-1").await;
    let id_token = tokens.id_token.expect("an ID token");
    let claims = s
        .api
        .verify_id_token_remote(&id_token, Some("nonce-verify-1"), Some(&user))
        .await
        .expect("LINE accepts the ID token");
    assert_eq!(claims.sub, user);
    assert_eq!(claims.aud, s.sim.channel_id());
    assert_eq!(claims.iss, s.sim.issuer());
    assert_eq!(claims.nonce.as_deref(), Some("nonce-verify-1"));
    assert_eq!(claims.name.as_deref(), Some("Brown"));
    assert!(claims.exp > claims.iat);

    let err = s
        .api
        .verify_id_token_remote(&id_token, Some("another-nonce"), None)
        .await
        .expect_err("a wrong nonce is refused");
    let ApiError::Line {
        status,
        error,
        description,
        request_id,
        ..
    } = &err
    else {
        panic!("expected a LINE error, got {err:?}");
    };
    assert_eq!(*status, 400);
    assert_eq!(error.as_deref(), Some("invalid_request"));
    assert_eq!(description.as_deref(), Some("Invalid IdToken Nonce."));
    assert!(request_id.is_some());
    assert!(err.is_token_revoked_or_invalid());
}

#[tokio::test]
async fn access_token_verification_checks_the_channel() {
    let s = setup().await;
    let tokens = login(&s, "nonce-channel").await;
    let info = s
        .api
        .verify_access_token(&tokens.access_token)
        .await
        .unwrap();
    assert_eq!(info.client_id, s.sim.channel_id());
    assert!(info.expires_in > 0 && info.expires_in <= 2_592_000);
    assert!(info.scope.contains("profile"));

    // The same LINE, seen from another channel: the token is valid but not ours.
    let other = Config::builder("9876543210", "other-secret", REDIRECT_URI)
        .access_base(s.sim.base_url().as_str())
        .api_base(s.sim.base_url().as_str())
        .issuer(s.sim.issuer())
        .build()
        .unwrap();
    let other_api = LineApi::new(&other).unwrap();
    match other_api.verify_access_token(&tokens.access_token).await {
        Err(AccessTokenError::WrongChannel { got }) => assert_eq!(got, s.sim.channel_id()),
        other => panic!("expected WrongChannel, got {other:?}"),
    }
}

#[tokio::test]
async fn revoked_token_fails_verification_and_profile() {
    let s = setup().await;
    let tokens = login(&s, "nonce-revoke").await;
    s.api
        .revoke(&tokens.access_token)
        .await
        .expect("revoke succeeds");

    let err = s
        .api
        .verify_access_token(&tokens.access_token)
        .await
        .expect_err("a revoked token is refused");
    assert!(err.is_token_revoked_or_invalid());
    let AccessTokenError::Api(ApiError::Line {
        status,
        error,
        description,
        ..
    }) = &err
    else {
        panic!("expected LINE's refusal, got {err:?}");
    };
    assert_eq!((*status, error.as_deref()), (400, Some("invalid_request")));
    assert_eq!(description.as_deref(), Some("The access token revoked"));

    let err = s.api.profile(&tokens.access_token).await.unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert!(err.is_token_revoked_or_invalid());
}

#[tokio::test]
async fn profile_friendship_and_userinfo_describe_the_user() {
    let s = setup().await;
    let user = brown(&s.sim);
    let tokens = login(&s, "nonce-profile").await;

    let profile = s.api.profile(&tokens.access_token).await.unwrap();
    assert_eq!(profile.user_id, user);
    assert_eq!(profile.display_name, "Brown");
    assert_eq!(profile.status_message.as_deref(), Some("Hello, LINE!"));
    assert!(profile.picture_url.is_some());

    assert!(!s.api.friendship_status(&tokens.access_token).await.unwrap());
    s.sim.set_friend(&user, true);
    assert!(s.api.friendship_status(&tokens.access_token).await.unwrap());

    let info = s.api.userinfo(&tokens.access_token).await.unwrap();
    assert_eq!(info.sub, user);
    assert_eq!(info.name.as_deref(), Some("Brown"));
}

#[tokio::test]
async fn channel_token_deauthorizes_the_user_once() {
    let s = setup().await;
    let tokens = login(&s, "nonce-deauth").await;
    let channel = s.api.issue_stateless_channel_token().await.unwrap();
    assert_eq!(channel.expires_in, 900);
    assert_eq!(channel.token_type, "Bearer");

    s.api
        .deauthorize(&channel.access_token, &tokens.access_token)
        .await
        .expect("deauthorize succeeds");
    let record = s.sim.last_deauthorize().expect("the simulator saw it");
    assert_eq!(record.user_id, brown(&s.sim));
    assert_eq!(
        record.user_access_token,
        tokens.access_token.expose_secret()
    );
    assert_eq!(
        record.channel_access_token,
        channel.access_token.expose_secret()
    );

    let again = s
        .api
        .deauthorize(&channel.access_token, &tokens.access_token)
        .await
        .expect_err("already deauthorized");
    assert_eq!(again.status(), Some(400));
    assert_eq!(
        again.to_string(),
        "LINE's deauthorize endpoint answered HTTP 400: invalid token"
    );
    assert!(again.is_token_revoked_or_invalid());

    let bad_channel = s
        .api
        .deauthorize(
            &ChannelAccessToken::new("not-a-channel-token"),
            &tokens.access_token,
        )
        .await
        .unwrap_err();
    assert_eq!(bad_channel.status(), Some(401));
}

#[tokio::test]
async fn jwks_has_the_current_key_and_its_cache_lifetime() {
    let s = setup().await;
    let jwks = s.api.jwks().await.unwrap();
    let kid = s.sim.current_kid();
    assert!(
        jwks.keys.find(&kid).is_some(),
        "kid {kid} in {:?}",
        jwks.keys
    );
    assert_eq!(jwks.max_age, Some(Duration::from_secs(600)));

    s.sim.rotate_jwks_key();
    let rotated = s.api.jwks().await.unwrap();
    assert!(rotated.keys.find(&kid).is_none());
    assert!(rotated.keys.find(&s.sim.current_kid()).is_some());
}

#[tokio::test]
async fn discovery_goes_through_openidconnect_on_our_client() {
    let s = setup().await;
    let capture = Arc::new(Capture::default());
    let api = s.api.clone().with_log_sink(capture.clone());
    let metadata = api.discovery().await.expect("discovery succeeds");
    assert_eq!(metadata.issuer().as_str(), s.sim.issuer());
    assert_eq!(
        metadata.token_endpoint().map(|u| u.as_str().to_owned()),
        Some(format!("{}/oauth2/v2.1/token", s.sim.issuer()))
    );
    assert_eq!(
        metadata.jwks_uri().as_str(),
        format!("{}/oauth2/v2.1/certs", s.sim.issuer())
    );
    assert_eq!(metadata.jwks().keys().len(), 1, "the JWKS came along");
    assert_eq!(s.sim.requests(Endpoint::Discovery), 1);
    assert_eq!(s.sim.requests(Endpoint::Certs), 1);
    let endpoints: Vec<_> = capture.records().iter().map(|r| r.endpoint).collect();
    assert_eq!(endpoints, [Endpoint::Discovery, Endpoint::Certs]);

    // A configured issuer the document does not name is refused (the document is still read
    // from the access base, the simulator).
    let config = s
        .sim
        .config_builder(REDIRECT_URI)
        .issuer("https://access.line.me")
        .build()
        .unwrap();
    let err = LineApi::new(&config)
        .unwrap()
        .discovery()
        .await
        .unwrap_err();
    let ApiError::UnexpectedBody {
        endpoint, detail, ..
    } = &err
    else {
        panic!("expected UnexpectedBody, got {err:?}");
    };
    assert_eq!(*endpoint, Endpoint::Discovery);
    assert!(detail.contains("issuer"), "{detail}");
    assert_eq!(s.sim.requests(Endpoint::Discovery), 2);
    assert_eq!(s.sim.requests(Endpoint::Certs), 1);
}

#[tokio::test]
async fn discovery_reports_faults_as_typed_errors() {
    let s = setup().await;
    s.sim
        .inject(Endpoint::Discovery, Fault::Status(503), Some(1));
    let err = s.api.discovery().await.unwrap_err();
    assert!(matches!(err, ApiError::Line { status: 503, .. }), "{err:?}");
    s.sim.inject(Endpoint::Certs, Fault::Html, Some(1));
    let err = s.api.discovery().await.unwrap_err();
    assert!(
        matches!(
            err,
            ApiError::UnexpectedBody {
                endpoint: Endpoint::Certs,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(s.api.discovery().await.is_ok());
}

#[tokio::test]
async fn line_error_answer_carries_status_error_and_request_id() {
    let s = setup().await;
    let err = s
        .api
        .exchange_code(
            &AuthorizationCode::new("no-such-code"),
            s.config.redirect_uri(),
            None,
        )
        .await
        .unwrap_err();
    let ApiError::Line {
        endpoint,
        status,
        error,
        description,
        request_id,
        retry_after,
    } = &err
    else {
        panic!("expected a LINE error, got {err:?}");
    };
    assert_eq!(*endpoint, Endpoint::Token);
    assert_eq!(*status, 400);
    assert_eq!(error.as_deref(), Some("invalid_grant"));
    assert!(description.is_some());
    assert!(request_id.as_deref().is_some_and(|r| !r.is_empty()));
    assert_eq!(*retry_after, None);
    assert!(!err.is_rate_limited());
    assert!(!err.is_transient());
    // A bad code is not a token problem.
    assert!(!err.is_token_revoked_or_invalid());

    let err = s
        .api
        .refresh(&RefreshToken::new("no-such-refresh-token"))
        .await
        .unwrap_err();
    assert_eq!(err.error_code(), Some("invalid_grant"));
    assert!(
        err.is_token_revoked_or_invalid(),
        "an unknown refresh token means log in again"
    );
}

#[tokio::test]
async fn rate_limit_gives_429_with_retry_after() {
    let s = setup().await;
    let tokens = login(&s, "nonce-429").await;
    s.sim.inject(
        Endpoint::Profile,
        Fault::RateLimited {
            retry_after_secs: 30,
        },
        Some(1),
    );
    let err = s.api.profile(&tokens.access_token).await.unwrap_err();
    assert_eq!(err.status(), Some(429));
    assert!(err.is_rate_limited());
    assert!(err.is_transient());
    assert_eq!(err.retry_after(), Some(Duration::from_secs(30)));
    assert!(err.request_id().is_some());
    assert!(!err.is_token_revoked_or_invalid());
    // The fault was for one request only.
    assert!(s.api.profile(&tokens.access_token).await.is_ok());
}

#[tokio::test]
async fn server_errors_are_line_errors_with_their_status() {
    let s = setup().await;
    let tokens = login(&s, "nonce-5xx").await;
    let refresh_token = tokens.refresh_token.unwrap();
    for status in [500, 503] {
        s.sim
            .inject(Endpoint::Token, Fault::Status(status), Some(1));
        let err = s.api.refresh(&refresh_token).await.unwrap_err();
        assert_eq!(err.status(), Some(status));
        assert!(matches!(err, ApiError::Line { .. }), "{err:?}");
        assert!(err.is_transient());
        assert!(!err.is_token_revoked_or_invalid());
    }
    s.sim
        .inject(Endpoint::Friendship, Fault::Status(502), Some(1));
    let err = s
        .api
        .friendship_status(&tokens.access_token)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(502));
    assert_eq!(
        err.error_code(),
        None,
        "gateway errors carry only a message"
    );
}

#[tokio::test]
async fn html_page_is_an_unexpected_body() {
    let s = setup().await;
    let tokens = login(&s, "nonce-html").await;
    s.sim.inject(Endpoint::Profile, Fault::Html, Some(1));
    let err = s.api.profile(&tokens.access_token).await.unwrap_err();
    let ApiError::UnexpectedBody {
        endpoint,
        status,
        request_id,
        detail,
    } = &err
    else {
        panic!("expected UnexpectedBody, got {err:?}");
    };
    assert_eq!((*endpoint, *status), (Endpoint::Profile, 200));
    assert!(request_id.is_some());
    assert!(
        detail.contains("not JSON") && detail.contains("text/html"),
        "{detail}"
    );
    assert!(
        !err.to_string().contains("maintenance"),
        "the body is not quoted"
    );
}

#[tokio::test]
async fn malformed_and_truncated_json_are_unexpected_bodies() {
    let s = setup().await;
    let tokens = login(&s, "nonce-json").await;
    let refresh_token = tokens.refresh_token.unwrap();

    s.sim.inject(Endpoint::Token, Fault::MalformedJson, Some(1));
    let err = s.api.refresh(&refresh_token).await.unwrap_err();
    assert!(
        matches!(err, ApiError::UnexpectedBody { status: 200, .. }),
        "{err:?}"
    );

    s.sim.inject(Endpoint::Token, Fault::TruncatedJson, Some(1));
    let err = s.api.refresh(&refresh_token).await.unwrap_err();
    let ApiError::UnexpectedBody { detail, .. } = &err else {
        panic!("expected UnexpectedBody, got {err:?}");
    };
    assert!(detail.contains("truncated JSON"), "{detail}");
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(refresh_token.expose_secret()));
    assert!(!err.is_token_revoked_or_invalid());
}

#[tokio::test]
async fn slow_answer_is_a_timeout() {
    let s = setup().await;
    let config = s
        .sim
        .config_builder(REDIRECT_URI)
        .http_timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    let api = LineApi::new(&config).unwrap();
    let tokens = login(&s, "nonce-timeout").await;
    s.sim.inject(
        Endpoint::Profile,
        Fault::Delay(Duration::from_secs(3)),
        Some(1),
    );
    let started = Instant::now();
    let err = api.profile(&tokens.access_token).await.unwrap_err();
    assert!(
        matches!(
            err,
            ApiError::Timeout {
                endpoint: Endpoint::Profile
            }
        ),
        "{err:?}"
    );
    assert!(started.elapsed() < Duration::from_millis(2_500));
    assert!(err.is_transient());
    assert_eq!(err.status(), None);
}

#[tokio::test]
async fn closed_port_is_a_transport_failure_without_the_url() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let base = format!("http://127.0.0.1:{port}/");
    let config = Config::builder("1234567890", "secret", REDIRECT_URI)
        .access_base(&base)
        .api_base(&base)
        .issuer(&base)
        .build()
        .unwrap();
    let capture = Arc::new(Capture::default());
    let api = LineApi::new(&config)
        .unwrap()
        .with_log_sink(capture.clone());
    let token = AccessToken::new("eyJ.transport-secret-token.sig");
    let err = api.verify_access_token(&token).await.unwrap_err();
    let AccessTokenError::Api(api_err) = &err else {
        panic!("expected an API error, got {err:?}");
    };
    assert!(
        matches!(
            api_err,
            ApiError::Transport {
                endpoint: Endpoint::VerifyAccessToken,
                ..
            }
        ),
        "{api_err:?}"
    );
    assert!(api_err.is_transient());
    // The token sits in the query string: no part of the error may show the URL.
    let mut shown = format!("{err} {err:?}");
    let mut source = std::error::Error::source(api_err);
    while let Some(cause) = source {
        shown.push_str(&format!(" {cause} {cause:?}"));
        source = cause.source();
    }
    assert!(!shown.contains("transport-secret-token"), "{shown}");
    let records = capture.records();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].outcome, ApiOutcome::Transport);
    assert_eq!(records[0].status, None);
    assert_eq!(records[0].request_id, None);
}

#[tokio::test]
async fn every_call_logs_one_record_without_secrets() {
    let s = setup().await;
    let capture = Arc::new(Capture::default());
    let api = s.api.clone().with_log_sink(capture.clone());
    let user = brown(&s.sim);
    let code = login_code(&s.sim, &s.config, &user, "nonce-log-secret", None).await;

    let tokens = api
        .exchange_code(&code, s.config.redirect_uri(), None)
        .await
        .unwrap();
    let refresh_token = tokens.refresh_token.clone().unwrap();
    let id_token = tokens.id_token.clone().unwrap();
    api.refresh(&refresh_token).await.unwrap();
    api.verify_id_token_remote(&id_token, Some("nonce-log-secret"), Some(&user))
        .await
        .unwrap();
    api.verify_access_token(&tokens.access_token).await.unwrap();
    api.profile(&tokens.access_token).await.unwrap();
    api.friendship_status(&tokens.access_token).await.unwrap();
    api.userinfo(&tokens.access_token).await.unwrap();
    let channel = api.issue_stateless_channel_token().await.unwrap();
    api.jwks().await.unwrap();
    api.revoke(&tokens.access_token).await.unwrap();
    let failed = api
        .verify_access_token(&tokens.access_token)
        .await
        .unwrap_err();
    let reused = api
        .exchange_code(&code, s.config.redirect_uri(), None)
        .await
        .unwrap_err();

    let records = capture.records();
    let summary: Vec<(&str, &str, Option<u16>)> = records
        .iter()
        .map(|r| (r.endpoint.as_str(), r.method, r.status))
        .collect();
    assert_eq!(
        summary,
        [
            ("token", "POST", Some(200)),
            ("refresh", "POST", Some(200)),
            ("verify_id_token", "POST", Some(200)),
            ("verify_access_token", "GET", Some(200)),
            ("profile", "GET", Some(200)),
            ("friendship", "GET", Some(200)),
            ("userinfo", "GET", Some(200)),
            ("channel_token", "POST", Some(200)),
            ("certs", "GET", Some(200)),
            ("revoke", "POST", Some(200)),
            ("verify_access_token", "GET", Some(400)),
            ("token", "POST", Some(400)),
        ]
    );
    for record in &records[..10] {
        assert_eq!(record.outcome, ApiOutcome::Ok, "{record:?}");
    }
    assert_eq!(
        records[10].outcome,
        ApiOutcome::LineError("invalid_request".into())
    );
    assert_eq!(
        records[11].outcome,
        ApiOutcome::LineError("invalid_grant".into())
    );
    let AccessTokenError::Api(failed) = &failed else {
        panic!("expected LINE's refusal, got {failed:?}");
    };
    assert_eq!(records[10].request_id.as_deref(), failed.request_id());
    assert_eq!(records[11].request_id.as_deref(), reused.request_id());
    assert!(records.iter().all(|r| r.request_id.is_some()));
    assert!(records.iter().all(|r| r.latency < Duration::from_secs(10)));

    let secrets = [
        code.expose_secret(),
        tokens.access_token.expose_secret(),
        refresh_token.expose_secret(),
        id_token.expose_secret(),
        channel.access_token.expose_secret(),
        s.sim.channel_secret(),
        "nonce-log-secret",
        user.as_str(),
        "Brown",
    ];
    for record in &records {
        let shown = format!("{record:?}");
        for secret in secrets {
            assert!(!shown.contains(secret), "{shown} shows a secret");
        }
    }
}
