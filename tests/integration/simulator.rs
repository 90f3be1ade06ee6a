//! The LINE Login simulator's own rules, driven over HTTP with reqwest (not through the crate's
//! `api` module): codes, redirect URIs, PKCE, consent outcomes, tokens, keys and faults.

use std::collections::HashMap;
use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use line_login_simulator::{
    ConsentChoice, Endpoint, Fault, Simulator, SimulatorOptions, SimulatorRefusal,
    WebChannelOptions,
};
use serde_json::{Map, Value};
use url::Url;

const REDIRECT: &str = "http://localhost:3000/auth/line/callback";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .unwrap()
}

/// An authorize URL with LINE's required parameters; `extra` overrides or adds (an empty
/// value removes the parameter).
fn authorize_url(sim: &Simulator, extra: &[(&str, &str)]) -> String {
    let mut params: Vec<(String, String)> = [
        ("response_type", "code"),
        ("client_id", sim.channel_id()),
        ("redirect_uri", REDIRECT),
        ("state", "n5B9b9FR2BWjloDzEskZMmGysITRTYpjLkM6oD5qfmA"),
        ("scope", "profile openid"),
        ("nonce", "nonce-0123456789"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (key, value) in extra {
        params.retain(|(k, _)| k != key);
        if !value.is_empty() {
            params.push((key.to_string(), value.to_string()));
        }
    }
    let mut url = sim.base_url().join("oauth2/v2.1/authorize").unwrap();
    url.query_pairs_mut().extend_pairs(params);
    url.to_string()
}

fn query(url: &Url) -> HashMap<String, String> {
    url.query_pairs().into_owned().collect()
}

fn brown(sim: &Simulator) -> String {
    sim.user("Brown").unwrap().user_id
}

/// Logs Brown in with `extra` authorize parameters and returns the callback's parameters.
async fn login(
    sim: &Simulator,
    extra: &[(&str, &str)],
    choice: ConsentChoice,
) -> HashMap<String, String> {
    let callback = sim
        .consent(&authorize_url(sim, extra), choice)
        .await
        .unwrap();
    query(&callback)
}

async fn code_for(sim: &Simulator, extra: &[(&str, &str)]) -> String {
    let params = login(sim, extra, ConsentChoice::allow(brown(sim))).await;
    params["code"].clone()
}

async fn exchange(sim: &Simulator, form: &[(&str, &str)]) -> (u16, Value) {
    let mut body: Vec<(&str, &str)> = vec![
        ("grant_type", "authorization_code"),
        ("redirect_uri", REDIRECT),
        ("client_id", sim.channel_id()),
        ("client_secret", sim.channel_secret()),
    ];
    for (key, value) in form {
        body.retain(|(k, _)| k != key);
        if !value.is_empty() {
            body.push((key, value));
        }
    }
    let response = client()
        .post(sim.base_url().join("oauth2/v2.1/token").unwrap())
        .form(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn hs256_claims(sim: &Simulator, id_token: &str) -> Map<String, Value> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_audience(&[sim.channel_id()]);
    validation.set_issuer(&[sim.issuer()]);
    jsonwebtoken::decode::<Map<String, Value>>(
        id_token,
        &DecodingKey::from_secret(sim.channel_secret().as_bytes()),
        &validation,
    )
    .unwrap()
    .claims
}

async fn get_bearer(sim: &Simulator, path: &str, token: &str) -> reqwest::Response {
    client()
        .get(sim.base_url().join(path).unwrap())
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn verify_access_token(sim: &Simulator, token: &str) -> (u16, Value) {
    let response = client()
        .get(sim.base_url().join("oauth2/v2.1/verify").unwrap())
        .query(&[("access_token", token)])
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn verify_id_token(sim: &Simulator, form: &[(&str, &str)]) -> (u16, Value) {
    let response = client()
        .post(sim.base_url().join("oauth2/v2.1/verify").unwrap())
        .form(form)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test]
async fn a_code_is_single_use() {
    let sim = Simulator::start().await.unwrap();
    let code = code_for(&sim, &[]).await;
    let (status, first) = exchange(&sim, &[("code", &code)]).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["token_type"], "Bearer");
    assert_eq!(first["expires_in"], 2_592_000);
    assert_eq!(first["scope"], "profile openid");
    let (status, second) = exchange(&sim, &[("code", &code)]).await;
    assert_eq!(status, 400);
    assert_eq!(second["error"], "invalid_grant");
}

#[tokio::test]
async fn a_failed_exchange_burns_the_code() {
    let sim = Simulator::start().await.unwrap();
    let code = code_for(&sim, &[]).await;
    let (status, body) = exchange(
        &sim,
        &[
            ("code", &code),
            ("redirect_uri", "http://localhost:3000/other"),
        ],
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(body["error_description"], "redirect_uri does not match");
    let (status, body) = exchange(&sim, &[("code", &code)]).await;
    assert_eq!(status, 400, "the code must be spent by the failed exchange");
    assert_eq!(body["error"], "invalid_grant");
}

#[tokio::test]
async fn the_token_request_needs_the_exact_authorize_redirect_uri() {
    let sim = Simulator::start().await.unwrap();
    let with_query = "http://localhost:3000/auth/line/callback?tenant=a";
    let code = code_for(&sim, &[("redirect_uri", with_query)]).await;
    let (status, body) = exchange(&sim, &[("code", &code)]).await;
    assert_eq!(status, 400);
    assert_eq!(body["error_description"], "redirect_uri does not match");

    let code = code_for(&sim, &[("redirect_uri", with_query)]).await;
    let (status, _) = exchange(&sim, &[("code", &code), ("redirect_uri", with_query)]).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn client_secret_and_client_id_must_match() {
    let sim = Simulator::start().await.unwrap();
    let code = code_for(&sim, &[]).await;
    let (status, body) = exchange(&sim, &[("code", &code), ("client_secret", "wrong")]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let code = code_for(&sim, &[]).await;
    let (status, body) = exchange(&sim, &[("code", &code), ("client_id", "999")]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
}

#[tokio::test]
async fn pkce_needs_the_matching_verifier_and_only_when_a_challenge_was_sent() {
    let sim = Simulator::start().await.unwrap();
    let pkce = [
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];

    let code = code_for(&sim, &pkce).await;
    let (status, body) = exchange(&sim, &[("code", &code)]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "missing verifier"
    );

    let code = code_for(&sim, &pkce).await;
    let wrong = "Z".repeat(43);
    let (status, _) = exchange(&sim, &[("code", &code), ("code_verifier", &wrong)]).await;
    assert_eq!(status, 400, "wrong verifier");

    let code = code_for(&sim, &pkce).await;
    let (status, _) = exchange(&sim, &[("code", &code), ("code_verifier", VERIFIER)]).await;
    assert_eq!(status, 200, "right verifier");

    let code = code_for(&sim, &[]).await;
    let (status, _) = exchange(&sim, &[("code", &code), ("code_verifier", VERIFIER)]).await;
    assert_eq!(status, 400, "verifier without challenge");
}

#[tokio::test]
async fn plain_pkce_is_refused_at_authorize() {
    let sim = Simulator::start().await.unwrap();
    let params = login(
        &sim,
        &[
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "plain"),
        ],
        ConsentChoice::allow(brown(&sim)),
    )
    .await;
    assert_eq!(params["error"], "INVALID_REQUEST");
}

#[tokio::test]
async fn a_code_expires_after_ten_minutes() {
    let sim = Simulator::start().await.unwrap();
    let code = code_for(&sim, &[]).await;
    sim.advance_clock(Duration::from_secs(11 * 60));
    let (status, body) = exchange(&sim, &[("code", &code)]).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_grant");
}

#[tokio::test]
async fn unknown_client_id_gets_a_400_page_and_no_redirect() {
    let sim = Simulator::start().await.unwrap();
    let response = client()
        .get(authorize_url(&sim, &[("client_id", "999999")]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    assert!(response.headers().get("location").is_none());
    assert!(response.text().await.unwrap().contains("Invalid client_id"));
}

#[tokio::test]
async fn unregistered_or_fragment_redirect_uri_gets_a_400_page_and_no_redirect() {
    let sim = Simulator::start_with(SimulatorOptions {
        redirect_uris: vec!["https://example.com/cb".into()],
        ..SimulatorOptions::default()
    })
    .await
    .unwrap();
    for redirect in [
        "https://example.com/other",
        "https://evil.example/cb",
        "https://example.com/cb#frag",
        "http://localhost:3000/cb",
    ] {
        let response = client()
            .get(authorize_url(&sim, &[("redirect_uri", redirect)]))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 400, "{redirect}");
        assert!(response.headers().get("location").is_none(), "{redirect}");
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("Invalid redirect_uri value")
        );
    }
    let err: SimulatorRefusal = sim
        .consent(
            &authorize_url(&sim, &[("redirect_uri", "https://evil.example/cb")]),
            ConsentChoice::allow(brown(&sim)),
        )
        .await
        .unwrap_err();
    assert_eq!(err.status, 400);

    let ok = sim
        .consent(
            &authorize_url(&sim, &[("redirect_uri", "https://example.com/cb?extra=1")]),
            ConsentChoice::allow(brown(&sim)),
        )
        .await
        .unwrap();
    assert_eq!(ok.path(), "/cb");
    let params = query(&ok);
    assert_eq!(
        params["extra"], "1",
        "the registered URL's extra parameter is kept"
    );
    assert!(params.contains_key("code"));
}

#[tokio::test]
async fn missing_state_redirects_with_invalid_request() {
    let sim = Simulator::start().await.unwrap();
    let response = client()
        .get(authorize_url(&sim, &[("state", "")]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 302);
    let location = Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
    assert!(location.as_str().starts_with(REDIRECT));
    let params = query(&location);
    assert_eq!(params["error"], "INVALID_REQUEST");
    assert_eq!(params["error_description"], "'state' is not specified.");
    assert!(!params.contains_key("state"));
}

#[tokio::test]
async fn scope_rules_and_prompt_none_give_line_errors() {
    let sim = Simulator::start().await.unwrap();
    let user = ConsentChoice::allow(brown(&sim));
    for scope in ["profile email", "email", "openid phone", ""] {
        let params = login(&sim, &[("scope", scope)], user.clone()).await;
        assert_eq!(params["error"], "INVALID_SCOPE", "{scope:?}");
        assert_eq!(
            params["state"],
            "n5B9b9FR2BWjloDzEskZMmGysITRTYpjLkM6oD5qfmA"
        );
    }
    let params = login(&sim, &[("prompt", "none")], user.clone()).await;
    assert_eq!(params["error"], "LOGIN_REQUIRED");
    let params = login(&sim, &[("response_type", "token")], user).await;
    assert_eq!(params["error"], "UNSUPPORTED_RESPONSE_TYPE");
}

#[tokio::test]
async fn cancel_redirects_with_access_denied() {
    let sim = Simulator::start().await.unwrap();
    let callback = sim
        .consent(&authorize_url(&sim, &[]), ConsentChoice::deny())
        .await
        .unwrap();
    assert!(
        callback.as_str().ends_with(
            "?error=ACCESS_DENIED&error_description=The+resource+owner+denied+the+request.\
             &state=n5B9b9FR2BWjloDzEskZMmGysITRTYpjLkM6oD5qfmA"
        ),
        "{callback}"
    );
}

#[tokio::test]
async fn params_are_appended_to_a_redirect_uri_that_has_a_query() {
    let sim = Simulator::start().await.unwrap();
    let redirect = "http://localhost:3000/cb?key=value&x=a%20b";
    let callback = sim
        .consent(
            &authorize_url(&sim, &[("redirect_uri", redirect)]),
            ConsentChoice::allow(brown(&sim)),
        )
        .await
        .unwrap();
    assert!(
        callback
            .as_str()
            .starts_with("http://localhost:3000/cb?key=value&x=a%20b&code=")
    );
    let params = query(&callback);
    assert_eq!(params["key"], "value");
    assert_eq!(params["x"], "a b");
}

#[tokio::test]
async fn bot_prompt_with_add_friend_reports_the_change_and_the_friendship() {
    let sim = Simulator::start().await.unwrap();
    let brown = brown(&sim);
    let params = login(
        &sim,
        &[("bot_prompt", "normal")],
        ConsentChoice::allow(&brown).with_add_friend(true),
    )
    .await;
    assert_eq!(params["friendship_status_changed"], "true");
    assert!(sim.is_friend(&brown));

    let code = params["code"].clone();
    let (_, tokens) = exchange(&sim, &[("code", &code)]).await;
    let access = tokens["access_token"].as_str().unwrap();
    let response = get_bearer(&sim, "friendship/v1/status", access).await;
    assert_eq!(response.status().as_u16(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["friendFlag"], true);

    // Already a friend: a note instead of the option, and `false`.
    let params = login(
        &sim,
        &[("bot_prompt", "aggressive")],
        ConsentChoice::allow(&brown).with_add_friend(true),
    )
    .await;
    assert_eq!(params["friendship_status_changed"], "false");

    // Not added this time.
    let cony = sim.user("Cony").unwrap().user_id;
    let params = login(
        &sim,
        &[("bot_prompt", "normal")],
        ConsentChoice::allow(&cony),
    )
    .await;
    assert_eq!(params["friendship_status_changed"], "false");
    assert!(!sim.is_friend(&cony));

    // No bot_prompt: no parameter.
    let params = login(&sim, &[], ConsentChoice::allow(&cony).with_add_friend(true)).await;
    assert!(!params.contains_key("friendship_status_changed"));
    assert!(!sim.is_friend(&cony));

    // set_friend is what the friendship API reports.
    sim.set_friend(&brown, false);
    let body: Value = get_bearer(&sim, "friendship/v1/status", access)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["friendFlag"], false);
}

#[tokio::test]
async fn the_consent_page_has_stable_ids_and_its_form_works_without_the_helper() {
    let sim = Simulator::start().await.unwrap();
    let sally = sim.user("Sally").unwrap().user_id;
    sim.set_friend(&sally, true);
    let response = client()
        .get(authorize_url(
            &sim,
            &[("scope", "profile openid email"), ("bot_prompt", "normal")],
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let html = response.text().await.unwrap();
    for user in sim.users() {
        assert!(html.contains(&format!("id=\"user-{}\"", user.user_id)));
    }
    for id in [
        "add-friend",
        "grant-email",
        "allow",
        "cancel",
        &format!("friend-note-{sally}"),
    ] {
        assert!(html.contains(&format!("id=\"{id}\"")), "{id}");
    }
    let pending = html
        .split("name=\"pending\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    let cony = sim.user("Cony").unwrap().user_id;
    let form = [
        ("pending", pending.as_str()),
        ("user_id", cony.as_str()),
        ("grant_email", "true"),
        ("action", "allow"),
    ];
    let consent = sim
        .base_url()
        .join("oauth2/v2.1/authorize/consent")
        .unwrap();
    let response = client()
        .post(consent.clone())
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 302);
    let callback = Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
    let params = query(&callback);
    assert_eq!(params["friendship_status_changed"], "false");
    let (status, tokens) = exchange(&sim, &[("code", &params["code"])]).await;
    assert_eq!(status, 200);
    let claims = hs256_claims(&sim, tokens["id_token"].as_str().unwrap());
    assert_eq!(claims["sub"], cony.as_str());
    assert_eq!(claims["email"], "cony@example.com");
    assert_eq!(
        tokens["scope"], "profile openid",
        "email never appears in scope"
    );

    // The pending entry is single use.
    let response = client().post(consent).form(&form).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 400);
    assert!(response.headers().get("location").is_none());
}

#[tokio::test]
async fn the_hs256_id_token_verifies_with_the_channel_secret_and_has_line_claims() {
    let sim = Simulator::start().await.unwrap();
    let code = code_for(&sim, &[("max_age", "600")]).await;
    let (_, tokens) = exchange(&sim, &[("code", &code)]).await;
    let id_token = tokens["id_token"].as_str().unwrap();
    let header = jsonwebtoken::decode_header(id_token).unwrap();
    assert_eq!(header.alg, Algorithm::HS256);
    assert_eq!(header.typ.as_deref(), Some("JWT"));
    assert!(header.kid.is_none());
    let claims = hs256_claims(&sim, id_token);
    let user = sim.user("Brown").unwrap();
    assert_eq!(claims["iss"], sim.issuer());
    assert!(!sim.issuer().ends_with('/'));
    assert_eq!(claims["sub"], user.user_id.as_str());
    assert_eq!(claims["aud"], sim.channel_id());
    assert_eq!(claims["nonce"], "nonce-0123456789");
    assert_eq!(claims["name"], "Brown");
    assert_eq!(claims["picture"], user.picture_url.as_str());
    assert_eq!(claims["amr"], serde_json::json!(["linesso"]));
    let iat = claims["iat"].as_u64().unwrap();
    assert_eq!(claims["exp"].as_u64().unwrap(), iat + 3600);
    assert!(claims["auth_time"].as_u64().is_some());
    assert!(!claims.contains_key("email"), "no email scope");

    // openid only, no nonce, no max_age: no name, picture, nonce or auth_time.
    let code = code_for(&sim, &[("scope", "openid"), ("nonce", "")]).await;
    let (_, tokens) = exchange(&sim, &[("code", &code)]).await;
    let claims = hs256_claims(&sim, tokens["id_token"].as_str().unwrap());
    for absent in ["nonce", "auth_time", "name", "picture", "email"] {
        assert!(!claims.contains_key(absent), "{absent}");
    }
    assert_eq!(tokens["scope"], "openid");

    // email scope but not granted: no email.
    let code = code_for(&sim, &[("scope", "openid email")]).await;
    let (_, tokens) = exchange(&sim, &[("code", &code)]).await;
    assert!(!hs256_claims(&sim, tokens["id_token"].as_str().unwrap()).contains_key("email"));

    // profile only: no ID token at all.
    let code = code_for(&sim, &[("scope", "profile")]).await;
    let (_, tokens) = exchange(&sim, &[("code", &code)]).await;
    assert!(tokens.get("id_token").is_none());
}

#[tokio::test]
async fn the_verify_endpoint_uses_line_error_texts() {
    let sim = Simulator::start().await.unwrap();
    let code = code_for(&sim, &[]).await;
    let (_, tokens) = exchange(&sim, &[("code", &code)]).await;
    let id_token = tokens["id_token"].as_str().unwrap();
    let id = sim.channel_id();

    let (status, claims) =
        verify_id_token(&sim, &[("id_token", id_token), ("client_id", id)]).await;
    assert_eq!(status, 200);
    assert_eq!(claims["sub"], brown(&sim).as_str());

    let cases: [(&[(&str, &str)], &str); 5] = [
        (&[("client_id", "42")], "Invalid IdToken Audience."),
        (&[("nonce", "other")], "Invalid IdToken Nonce."),
        (
            &[("user_id", "U00000000000000000000000000000000")],
            "Invalid IdToken Subject Identifier.",
        ),
        (&[("id_token", "abc.def.ghi")], "Invalid IdToken."),
        (&[("id_token", &format!("{id_token}x"))], "Invalid IdToken."),
    ];
    for (changes, expected) in cases {
        let mut form = vec![("id_token", id_token), ("client_id", id)];
        for (k, v) in changes {
            form.retain(|(key, _)| key != k);
            form.push((k, v));
        }
        let (status, body) = verify_id_token(&sim, &form).await;
        assert_eq!(status, 400, "{expected}");
        assert_eq!(body["error"], "invalid_request");
        assert_eq!(body["error_description"], *expected);
    }

    sim.advance_clock(Duration::from_secs(3601));
    let (_, body) = verify_id_token(&sim, &[("id_token", id_token), ("client_id", id)]).await;
    assert_eq!(body["error_description"], "IdToken expired.");
}

#[tokio::test]
async fn access_token_verify_profile_and_userinfo() {
    let sim = Simulator::start().await.unwrap();
    let code = code_for(&sim, &[]).await;
    let (_, tokens) = exchange(&sim, &[("code", &code)]).await;
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(access.split('.').count(), 3, "JWS-shaped");

    let (status, info) = verify_access_token(&sim, access).await;
    assert_eq!(status, 200);
    assert_eq!(info["scope"], "profile openid");
    assert_eq!(info["client_id"], sim.channel_id());
    assert!(info["expires_in"].as_u64().unwrap() > 2_591_000);

    let profile: Value = get_bearer(&sim, "v2/profile", access)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(profile["userId"], brown(&sim).as_str());
    assert_eq!(profile["displayName"], "Brown");
    assert_eq!(profile["statusMessage"], "Hello, LINE!");

    let userinfo: Value = get_bearer(&sim, "oauth2/v2.1/userinfo", access)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(userinfo["sub"], brown(&sim).as_str());
    assert_eq!(userinfo["name"], "Brown");

    let (status, body) = verify_access_token(&sim, "garbage").await;
    assert_eq!(
        (status, body["error_description"].as_str()),
        (400, Some("The access token not JWS"))
    );

    // openid only: no profile, no friendship.
    let code = code_for(&sim, &[("scope", "openid")]).await;
    let (_, tokens) = exchange(&sim, &[("code", &code)]).await;
    let openid_only = tokens["access_token"].as_str().unwrap();
    assert_eq!(
        get_bearer(&sim, "v2/profile", openid_only)
            .await
            .status()
            .as_u16(),
        403
    );
    assert_eq!(
        get_bearer(&sim, "friendship/v1/status", openid_only)
            .await
            .status()
            .as_u16(),
        403
    );
    let userinfo: Value = get_bearer(&sim, "oauth2/v2.1/userinfo", openid_only)
        .await
        .json()
        .await
        .unwrap();
    assert!(userinfo.get("name").is_none());

    sim.advance_clock(Duration::from_secs(2_592_001));
    let (status, body) = verify_access_token(&sim, access).await;
    assert_eq!(
        (status, body["error_description"].as_str()),
        (400, Some("The access token expired"))
    );
}

#[tokio::test]
async fn refresh_returns_a_new_access_token_the_same_refresh_token_and_no_id_token() {
    let sim = Simulator::start().await.unwrap();
    let code = code_for(&sim, &[]).await;
    let (_, tokens) = exchange(&sim, &[("code", &code)]).await;
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let response = client()
        .post(sim.base_url().join("oauth2/v2.1/token").unwrap())
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh),
            ("client_id", sim.channel_id()),
            ("client_secret", sim.channel_secret()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let refreshed: Value = response.json().await.unwrap();
    assert_ne!(refreshed["access_token"], tokens["access_token"]);
    assert_eq!(refreshed["refresh_token"], refresh);
    assert!(refreshed.get("id_token").is_none());
    assert_eq!(refreshed["scope"], "profile openid");
    let (status, _) = verify_access_token(&sim, refreshed["access_token"].as_str().unwrap()).await;
    assert_eq!(status, 200);

    // The refresh token dies 90 days after the first access token.
    sim.advance_clock(Duration::from_secs(90 * 86_400 + 1));
    let response = client()
        .post(sim.base_url().join("oauth2/v2.1/token").unwrap())
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh),
            ("client_id", sim.channel_id()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(body["error_description"], "invalid refresh token");
}

#[tokio::test]
async fn a_revoked_access_token_fails_verify_and_profile() {
    let sim = Simulator::start().await.unwrap();
    let code = code_for(&sim, &[]).await;
    let (_, tokens) = exchange(&sim, &[("code", &code)]).await;
    let access = tokens["access_token"].as_str().unwrap();
    let response = client()
        .post(sim.base_url().join("oauth2/v2.1/revoke").unwrap())
        .form(&[
            ("access_token", access),
            ("client_id", sim.channel_id()),
            ("client_secret", sim.channel_secret()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert!(response.bytes().await.unwrap().is_empty());
    let (status, body) = verify_access_token(&sim, access).await;
    assert_eq!(
        (status, body["error_description"].as_str()),
        (400, Some("The access token revoked"))
    );
    assert_eq!(
        get_bearer(&sim, "v2/profile", access)
            .await
            .status()
            .as_u16(),
        401
    );
    assert_eq!(
        get_bearer(&sim, "oauth2/v2.1/userinfo", access)
            .await
            .status()
            .as_u16(),
        401
    );
}

#[tokio::test]
async fn revoke_consent_kills_every_token_of_the_user() {
    let sim = Simulator::start().await.unwrap();
    let code = code_for(&sim, &[]).await;
    let (_, tokens) = exchange(&sim, &[("code", &code)]).await;
    sim.revoke_consent(&brown(&sim));
    let (_, body) = verify_access_token(&sim, tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(body["error_description"], "The access token revoked");
    let response = client()
        .post(sim.base_url().join("oauth2/v2.1/token").unwrap())
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
            ("client_id", sim.channel_id()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
}

async fn channel_token(sim: &Simulator) -> String {
    let response = client()
        .post(sim.base_url().join("oauth2/v3/token").unwrap())
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", sim.channel_id()),
            ("client_secret", sim.channel_secret()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["expires_in"], 900);
    assert_eq!(body["token_type"], "Bearer");
    body["access_token"].as_str().unwrap().to_owned()
}

async fn deauthorize(sim: &Simulator, channel: &str, user: &str) -> reqwest::Response {
    client()
        .post(sim.base_url().join("user/v1/deauthorize").unwrap())
        .bearer_auth(channel)
        .json(&serde_json::json!({ "userAccessToken": user }))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn deauthorize_ends_the_users_tokens_and_records_what_it_got() {
    let sim = Simulator::start().await.unwrap();
    let code = code_for(&sim, &[]).await;
    let (_, tokens) = exchange(&sim, &[("code", &code)]).await;
    let access = tokens["access_token"].as_str().unwrap();
    let channel = channel_token(&sim).await;

    assert_eq!(
        deauthorize(&sim, "not-a-channel-token", access)
            .await
            .status()
            .as_u16(),
        401
    );
    assert!(sim.last_deauthorize().is_none());

    let response = deauthorize(&sim, &channel, access).await;
    assert_eq!(response.status().as_u16(), 204);
    let record = sim.last_deauthorize().unwrap();
    assert_eq!(record.user_id, brown(&sim));
    assert_eq!(record.user_access_token, access);
    assert_eq!(record.channel_access_token, channel);
    assert_eq!(sim.deauthorized_tokens(), vec![access.to_owned()]);

    let (_, body) = verify_access_token(&sim, access).await;
    assert_eq!(body["error_description"], "The access token revoked");

    let response = deauthorize(&sim, &channel, access).await;
    assert_eq!(response.status().as_u16(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body, serde_json::json!({ "message": "invalid token" }));

    // The stateless channel token lives 15 minutes.
    sim.advance_clock(Duration::from_secs(901));
    assert_eq!(
        deauthorize(&sim, &channel, access).await.status().as_u16(),
        401
    );
}

fn es256_claims(
    jwks: &jsonwebtoken::jwk::JwkSet,
    token: &str,
    sim: &Simulator,
) -> Map<String, Value> {
    let kid = jsonwebtoken::decode_header(token).unwrap().kid.unwrap();
    let jwk = jwks.find(&kid).expect("kid in the JWKS");
    let mut validation = Validation::new(Algorithm::ES256);
    validation.set_audience(&[sim.channel_id()]);
    validation.set_issuer(&[sim.issuer()]);
    jsonwebtoken::decode::<Map<String, Value>>(
        token,
        &DecodingKey::from_jwk(jwk).unwrap(),
        &validation,
    )
    .unwrap()
    .claims
}

async fn fetch_jwks(sim: &Simulator) -> jsonwebtoken::jwk::JwkSet {
    let response = client()
        .get(sim.base_url().join("oauth2/v2.1/certs").unwrap())
        .send()
        .await
        .unwrap();
    let cache = response.headers()["cache-control"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cache.contains("max-age="), "{cache}");
    response.json().await.unwrap()
}

#[tokio::test]
async fn es256_tokens_verify_with_the_jwks_and_rotation_removes_the_old_kid() {
    let sim = Simulator::start().await.unwrap();
    let brown = brown(&sim);
    let token = sim.issue_es256_id_token(&brown, Some("liff-nonce"));
    let jwks = fetch_jwks(&sim).await;
    assert_eq!(jwks.keys.len(), 1);
    let claims = es256_claims(&jwks, &token, &sim);
    assert_eq!(claims["sub"], brown.as_str());
    assert_eq!(claims["nonce"], "liff-nonce");
    let header = jsonwebtoken::decode_header(&token).unwrap();
    let old_kid = header.kid.unwrap();
    assert_eq!(old_kid, sim.current_kid());

    let (status, _) = verify_id_token(
        &sim,
        &[("id_token", &token), ("client_id", sim.channel_id())],
    )
    .await;
    assert_eq!(status, 200);

    sim.rotate_jwks_key();
    let jwks = fetch_jwks(&sim).await;
    assert!(jwks.find(&old_kid).is_none());
    assert_eq!(jwks.keys.len(), 1);
    let (_, body) = verify_id_token(
        &sim,
        &[("id_token", &token), ("client_id", sim.channel_id())],
    )
    .await;
    assert_eq!(body["error_description"], "Invalid IdToken.");
    let fresh = sim.issue_es256_id_token(&brown, None);
    assert!(!es256_claims(&jwks, &fresh, &sim).contains_key("nonce"));
}

#[tokio::test]
async fn status_and_rate_limit_faults_apply_the_given_number_of_times() {
    let sim = Simulator::start().await.unwrap();
    sim.inject(Endpoint::Token, Fault::Status(500), Some(1));
    let code = code_for(&sim, &[]).await;
    let (status, body) = exchange(&sim, &[("code", &code)]).await;
    assert_eq!(status, 500);
    assert_eq!(body["error"], "server_error");
    let (status, _) = exchange(&sim, &[("code", &code)]).await;
    assert_eq!(
        status, 200,
        "the fault was used up; the code was not consumed by it"
    );
    assert_eq!(sim.requests(Endpoint::Token), 2);

    sim.inject(
        Endpoint::Certs,
        Fault::RateLimited {
            retry_after_secs: 7,
        },
        None,
    );
    for _ in 0..2 {
        let response = client()
            .get(sim.base_url().join("oauth2/v2.1/certs").unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 429);
        assert_eq!(response.headers()["retry-after"], "7");
        assert!(response.headers().contains_key("x-line-request-id"));
    }
    sim.clear_faults();
    let jwks = fetch_jwks(&sim).await;
    assert_eq!(jwks.keys.len(), 1);
    assert_eq!(sim.requests(Endpoint::Certs), 3);
}

#[tokio::test]
async fn id_token_faults_change_the_token_endpoints_id_token() {
    let sim = Simulator::start().await.unwrap();
    let decode = |sim: &Simulator, token: &str| {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        validation.validate_aud = false;
        jsonwebtoken::decode::<Map<String, Value>>(
            token,
            &DecodingKey::from_secret(sim.channel_secret().as_bytes()),
            &validation,
        )
    };

    sim.inject(Endpoint::Token, Fault::WrongNonce, Some(1));
    let code = code_for(&sim, &[]).await;
    let (_, tokens) = exchange(&sim, &[("code", &code)]).await;
    let claims = decode(&sim, tokens["id_token"].as_str().unwrap())
        .unwrap()
        .claims;
    assert_ne!(claims["nonce"], "nonce-0123456789");

    sim.inject(Endpoint::Token, Fault::BadSignature, Some(1));
    let code = code_for(&sim, &[]).await;
    let (_, tokens) = exchange(&sim, &[("code", &code)]).await;
    assert!(decode(&sim, tokens["id_token"].as_str().unwrap()).is_err());

    sim.inject(Endpoint::Token, Fault::Expired, Some(1));
    let code = code_for(&sim, &[]).await;
    let (_, tokens) = exchange(&sim, &[("code", &code)]).await;
    let claims = decode(&sim, tokens["id_token"].as_str().unwrap())
        .unwrap()
        .claims;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(claims["exp"].as_u64().unwrap() + 600 < now);

    sim.inject(Endpoint::Token, Fault::MissingIdToken, Some(1));
    let code = code_for(&sim, &[]).await;
    let (status, tokens) = exchange(&sim, &[("code", &code)]).await;
    assert_eq!(status, 200);
    assert!(tokens.get("id_token").is_none());
    assert!(tokens.get("access_token").is_some());
}

#[tokio::test]
async fn body_faults_break_the_json() {
    let sim = Simulator::start().await.unwrap();
    let url = sim
        .base_url()
        .join(".well-known/openid-configuration")
        .unwrap();
    sim.inject(Endpoint::Discovery, Fault::TruncatedJson, Some(1));
    sim.inject(Endpoint::Discovery, Fault::Html, Some(1));
    let response = client().get(url.clone()).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    sim.clear_faults();

    sim.inject(Endpoint::Discovery, Fault::TruncatedJson, Some(1));
    let text = client()
        .get(url.clone())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(serde_json::from_str::<Value>(&text).is_err(), "{text}");
    sim.inject(Endpoint::Discovery, Fault::MalformedJson, Some(1));
    let text = client()
        .get(url.clone())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(serde_json::from_str::<Value>(&text).is_err(), "{text}");

    let discovery: Value = client()
        .get(url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(discovery["issuer"], sim.issuer());
    assert_eq!(
        discovery["token_endpoint"],
        format!("{}/oauth2/v2.1/token", sim.issuer())
    );
    assert_eq!(
        discovery["id_token_signing_alg_values_supported"],
        serde_json::json!(["ES256"])
    );
    assert_eq!(
        discovery["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
}

#[tokio::test]
async fn a_delay_fault_delays_the_answer() {
    let sim = Simulator::start().await.unwrap();
    sim.inject(
        Endpoint::Profile,
        Fault::Delay(Duration::from_millis(300)),
        Some(1),
    );
    let started = std::time::Instant::now();
    let response = get_bearer(&sim, "v2/profile", "x.y.z").await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(response.status().as_u16(), 401);
}

#[tokio::test]
async fn the_http_test_api_drives_faults_friends_clock_and_counters() {
    let sim = Simulator::start().await.unwrap();
    let http = client();
    let api = |path: &str| sim.base_url().join(path).unwrap();
    let fault = serde_json::json!({
        "endpoint": "verify_access_token",
        "fault": { "kind": "status", "status": 503 },
        "times": 1
    });
    assert_eq!(
        http.post(api("__sim/fault"))
            .json(&fault)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        204
    );
    let (status, _) = verify_access_token(&sim, "a.b.c").await;
    assert_eq!(status, 503);
    let (status, _) = verify_access_token(&sim, "a.b.c").await;
    assert_eq!(status, 400);

    let counts: Value = http
        .get(api("__sim/requests"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(counts["verify_access_token"], 2);
    assert_eq!(counts["token"], 0);

    let brown = brown(&sim);
    let body = serde_json::json!({ "user_id": brown, "friend": true });
    assert_eq!(
        http.post(api("__sim/friend"))
            .json(&body)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        204
    );
    assert!(sim.is_friend(&brown));
    let unknown = serde_json::json!({ "user_id": "Unobody", "friend": true });
    assert_eq!(
        http.post(api("__sim/friend"))
            .json(&unknown)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        404
    );

    let code = code_for(&sim, &[]).await;
    let clock = serde_json::json!({ "secs": 601 });
    assert_eq!(
        http.post(api("__sim/advance-clock"))
            .json(&clock)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        204
    );
    let (status, _) = exchange(&sim, &[("code", &code)]).await;
    assert_eq!(status, 400, "the code expired on the advanced clock");

    let token: Value = http
        .post(api("__sim/es256-id-token"))
        .json(&serde_json::json!({ "user_id": brown }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(token["id_token"].as_str().unwrap().split('.').count(), 3);
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_bodies_are_bounded() {
    let sim = Simulator::start().await.unwrap();
    let response = client()
        .post(sim.base_url().join("oauth2/v2.1/token").unwrap())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(vec![b'a'; 256 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 413);
    let id = response.headers()["x-line-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(id.len(), 32);
    assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));

    let response = client()
        .post(sim.base_url().join("oauth2/v2.1/token").unwrap())
        .json(&serde_json::json!({ "grant_type": "authorization_code" }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status().as_u16(),
        400,
        "JSON is not accepted by the token endpoint"
    );
    assert_ne!(
        response.headers()["x-line-request-id"].to_str().unwrap(),
        id
    );
}

#[tokio::test]
async fn the_simulator_refuses_non_loopback_binds_and_bad_options() {
    let err = Simulator::start_with(SimulatorOptions {
        bind: "0.0.0.0:0".parse().unwrap(),
        ..SimulatorOptions::default()
    })
    .await
    .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    let err = Simulator::start_with(SimulatorOptions {
        redirect_uris: vec!["https://example.com/cb#x".into()],
        ..SimulatorOptions::default()
    })
    .await
    .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}

#[tokio::test]
async fn config_builder_points_everything_at_the_simulator() {
    let sim = Simulator::start().await.unwrap();
    let config = sim.config_builder(REDIRECT).build().unwrap();
    assert_eq!(config.issuer(), sim.issuer());
    assert_eq!(config.channel_id().as_str(), sim.channel_id());
    assert_eq!(
        config.channel_secret().expose_secret(),
        sim.channel_secret()
    );
    assert_eq!(
        config.authorize_endpoint().as_str(),
        format!("{}oauth2/v2.1/authorize", sim.base_url())
    );
    assert_eq!(
        config.api_endpoint("oauth2/v2.1/token").as_str(),
        format!("{}oauth2/v2.1/token", sim.base_url())
    );
}

#[tokio::test]
async fn jwt_response_mode_carries_the_code_in_a_signed_response() {
    let sim = Simulator::start().await.unwrap();
    let callback = sim
        .consent(
            &authorize_url(&sim, &[("response_mode", "query.jwt")]),
            ConsentChoice::allow(brown(&sim)),
        )
        .await
        .unwrap();
    let params = query(&callback);
    assert!(!params.contains_key("code"));
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_audience(&[sim.channel_id()]);
    validation.set_issuer(&[sim.issuer()]);
    let claims = jsonwebtoken::decode::<Map<String, Value>>(
        &params["response"],
        &DecodingKey::from_secret(sim.channel_secret().as_bytes()),
        &validation,
    )
    .unwrap()
    .claims;
    let code = claims["code"].as_str().unwrap();
    assert_eq!(
        claims["state"],
        "n5B9b9FR2BWjloDzEskZMmGysITRTYpjLkM6oD5qfmA"
    );
    let (status, _) = exchange(&sim, &[("code", code)]).await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consent_can_run_on_spawned_tasks() {
    let sim = Simulator::start().await.unwrap();
    let url = authorize_url(&sim, &[]);
    let user = sim.users()[0].user_id.clone();
    let mut tasks = Vec::new();
    for i in 0..4 {
        let sim = sim.clone();
        let url = url.clone();
        let user = user.clone();
        // `tokio::spawn` needs a `Send` future: this compiles only if `consent` is one.
        tasks.push(tokio::spawn(async move {
            let callback = sim
                .consent(&url, ConsentChoice::allow(user))
                .await
                .expect("consent");
            (i, callback)
        }));
    }
    for task in tasks {
        let (_, callback) = task.await.unwrap();
        assert!(
            callback.query().unwrap_or("").contains("code="),
            "{callback}"
        );
    }
}

/// Issue 17 item 7: the simulator serves several web channels at once, each with its own
/// secret (the HS256 key of its ID tokens) and registered callbacks; a code is exchanged by the
/// channel it was issued to only.
#[tokio::test]
async fn the_simulator_serves_several_web_channels_at_once() {
    const SECOND: &str = "2000000002";
    const SECOND_REDIRECT: &str = "http://localhost:4000/auth/line/callback";
    let sim = Simulator::start_with(SimulatorOptions {
        web_channels: vec![WebChannelOptions {
            channel_id: SECOND.into(),
            channel_secret: "second-channel-secret".into(),
            redirect_uris: vec![SECOND_REDIRECT.into()],
        }],
        ..SimulatorOptions::default()
    })
    .await
    .unwrap();
    assert_eq!(sim.web_channel_ids(), [sim.channel_id(), SECOND]);
    assert_eq!(
        sim.web_channel_secret(SECOND),
        Some("second-channel-secret")
    );
    let second = [("client_id", SECOND), ("redirect_uri", SECOND_REDIRECT)];

    // The second channel's own callbacks only; an unknown channel gets the 400 page.
    for (client_id, redirect) in [(SECOND, REDIRECT), ("3000000003", SECOND_REDIRECT)] {
        let response = client()
            .get(authorize_url(
                &sim,
                &[("client_id", client_id), ("redirect_uri", redirect)],
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 400, "{client_id} {redirect}");
    }

    // A code of the second channel is refused with the first channel's credentials (and spent).
    let code = code_for(&sim, &second).await;
    let (status, body) =
        exchange(&sim, &[("code", &code), ("redirect_uri", SECOND_REDIRECT)]).await;
    assert_eq!(status, 400);
    assert_eq!(body["error_description"], "client_id does not match");
    // With the second channel's ID and the first channel's secret.
    let code = code_for(&sim, &second).await;
    let (status, body) = exchange(&sim, &[("code", &code), second[0], second[1]]).await;
    assert_eq!(status, 400);
    assert_eq!(body["error_description"], "invalid client_secret");
    // With its own credentials: its ID token, signed with its secret, for its `aud`.
    let code = code_for(&sim, &second).await;
    let (status, body) = exchange(
        &sim,
        &[
            ("code", &code),
            second[0],
            second[1],
            ("client_secret", "second-channel-secret"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_audience(&[SECOND]);
    validation.set_issuer(&[sim.issuer()]);
    let claims = jsonwebtoken::decode::<Map<String, Value>>(
        body["id_token"].as_str().unwrap(),
        &DecodingKey::from_secret(b"second-channel-secret"),
        &validation,
    )
    .expect("the second channel's ID token verifies with its own secret")
    .claims;
    assert_eq!(claims["sub"], brown(&sim).as_str());
    // Its access token verifies as the second channel's.
    let info = client()
        .get(sim.base_url().join("oauth2/v2.1/verify").unwrap())
        .query(&[("access_token", body["access_token"].as_str().unwrap())])
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(info["client_id"], SECOND);
}
