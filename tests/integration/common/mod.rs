//! Test harness: the LINE simulator, an axum app wrapped in `LineLoginLayer` served on loopback,
//! and a tiny browser (a reqwest client with a cookie jar that follows SameSite the way browsers
//! do on LINE's cross-site redirect back).
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::routing::{get, post};
use axum::{Json, Router};
use line_login::extract::{LineSession, RequireLogin};
use line_login::link::{MemberInSession, MemoryLinks};
use line_login::store::AnySessionStore;
use line_login::store::attempts::AttemptStore;
use line_login::{Config, ConfigBuilder, Friendship, LineLoginLayer, LineUser};
use line_login_simulator::{ConsentChoice, Simulator};
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};
use tower_sessions::cookie::SameSite;
use tower_sessions::{Session, SessionStore};
use url::Url;

#[derive(Clone, Debug)]
struct StoredCookie {
    value: String,
    same_site: Option<String>,
    path: String,
    http_only: bool,
    secure: bool,
}

/// A browser-like HTTP client: keeps cookies, follows no redirects by itself.
#[derive(Clone)]
pub struct Browser {
    client: reqwest::Client,
    jar: Arc<Mutex<HashMap<String, StoredCookie>>>,
    pub accept: &'static str,
    /// Sent as `Accept-Language` when not empty.
    pub accept_language: &'static str,
    /// Sent as `User-Agent` when not empty.
    pub user_agent: &'static str,
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn location(&self) -> Option<String> {
        self.headers
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect()
    }
}

impl Default for Browser {
    fn default() -> Self {
        Self::new()
    }
}

impl Browser {
    pub fn new() -> Self {
        Self {
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(20))
                .build()
                .unwrap(),
            jar: Arc::default(),
            accept: "text/html,application/xhtml+xml",
            accept_language: "",
            user_agent: "",
        }
    }

    /// The same browser (same cookies), sending `User-Agent: {user_agent}`.
    pub fn with_user_agent(&self, user_agent: &'static str) -> Self {
        Self {
            user_agent,
            ..self.clone()
        }
    }

    /// The same browser (same cookies), sending `Accept-Language: {languages}`.
    pub fn speaking(&self, languages: &'static str) -> Self {
        Self {
            accept_language: languages,
            ..self.clone()
        }
    }

    /// The same browser (same cookies), asking for JSON.
    pub fn as_json(&self) -> Self {
        Self {
            accept: "application/json",
            ..self.clone()
        }
    }

    pub fn json_client() -> Self {
        Self {
            accept: "application/json",
            ..Self::new()
        }
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        self.jar.lock().unwrap().get(name).map(|c| c.value.clone())
    }

    /// The names of the cookies the browser holds, sorted.
    pub fn cookie_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.jar.lock().unwrap().keys().cloned().collect();
        names.sort();
        names
    }

    pub fn cookie_attributes(&self, name: &str) -> Option<(Option<String>, bool, bool)> {
        self.jar
            .lock()
            .unwrap()
            .get(name)
            .map(|c| (c.same_site.clone(), c.http_only, c.secure))
    }

    pub fn forget_cookies(&self) {
        self.jar.lock().unwrap().clear();
    }

    pub fn set_cookie(&self, name: &str, value: &str) {
        self.jar.lock().unwrap().insert(
            name.to_owned(),
            StoredCookie {
                value: value.to_owned(),
                same_site: Some("Lax".into()),
                path: "/".into(),
                http_only: true,
                secure: false,
            },
        );
    }

    fn cookie_header(&self, url: &Url, cross_site: bool) -> String {
        self.jar
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, c)| url.path().starts_with(&c.path))
            .filter(|(_, c)| {
                // On a cross-site top-level navigation, browsers send Lax and None cookies only.
                !cross_site || !matches!(c.same_site.as_deref(), Some(s) if s.eq_ignore_ascii_case("strict"))
            })
            .map(|(name, c)| format!("{name}={}", c.value))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn store_cookies(&self, headers: &HeaderMap) {
        let mut jar = self.jar.lock().unwrap();
        for value in headers.get_all(SET_COOKIE) {
            let Ok(text) = value.to_str() else { continue };
            let Ok(cookie) = cookie::Cookie::parse(text.to_owned()) else {
                continue;
            };
            let expired = cookie.max_age().is_some_and(|age| age.is_zero())
                || cookie
                    .expires_datetime()
                    .is_some_and(|t| t < time::OffsetDateTime::now_utc());
            if expired {
                jar.remove(cookie.name());
                continue;
            }
            jar.insert(
                cookie.name().to_owned(),
                StoredCookie {
                    value: cookie.value().to_owned(),
                    same_site: cookie.same_site().map(|s| s.to_string()),
                    path: cookie.path().unwrap_or("/").to_owned(),
                    http_only: cookie.http_only().unwrap_or(false),
                    secure: cookie.secure().unwrap_or(false),
                },
            );
        }
    }

    async fn send(&self, request: reqwest::RequestBuilder, url: &Url, cross_site: bool) -> Answer {
        let cookies = self.cookie_header(url, cross_site);
        let mut request = request.header(reqwest::header::ACCEPT, self.accept);
        if !self.user_agent.is_empty() {
            request = request.header(reqwest::header::USER_AGENT, self.user_agent);
        }
        if !self.accept_language.is_empty() {
            request = request.header(reqwest::header::ACCEPT_LANGUAGE, self.accept_language);
        }
        if !cookies.is_empty() {
            request = request.header(reqwest::header::COOKIE, cookies);
        }
        let response = request.send().await.expect("request reaches the app");
        let status = response.status();
        let headers = response.headers().clone();
        self.store_cookies(&headers);
        let body = response.text().await.unwrap_or_default();
        Answer {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, url: &str) -> Answer {
        let url = Url::parse(url).unwrap();
        self.send(self.client.get(url.clone()), &url, false).await
    }

    /// A top-level navigation arriving from another site (LINE's redirect back).
    pub async fn get_cross_site(&self, url: &str) -> Answer {
        let url = Url::parse(url).unwrap();
        self.send(self.client.get(url.clone()), &url, true).await
    }

    /// A `HEAD` request with this browser's cookies; only the status matters.
    pub async fn send_head(&self, url: &str) -> StatusCode {
        let url = Url::parse(url).unwrap();
        self.send(self.client.head(url.clone()), &url, false)
            .await
            .status
    }

    pub async fn get_with(
        &self,
        url: &str,
        build: impl FnOnce(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
    ) -> Answer {
        let url = Url::parse(url).unwrap();
        self.send(build(self.client.get(url.clone())), &url, false)
            .await
    }

    pub async fn post(&self, url: &str) -> Answer {
        let url = Url::parse(url).unwrap();
        self.send(self.client.post(url.clone()), &url, false).await
    }

    pub async fn post_with(
        &self,
        url: &str,
        build: impl FnOnce(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
    ) -> Answer {
        let url = Url::parse(url).unwrap();
        self.send(build(self.client.post(url.clone())), &url, false)
            .await
    }
}

type LayerHook = Box<dyn FnOnce(LineLoginLayer) -> LineLoginLayer + Send>;
type ConfigHook = Box<dyn FnOnce(ConfigBuilder) -> ConfigBuilder + Send>;

/// How to build the app under test.
pub struct AppOptions<S = AnySessionStore> {
    pub store: S,
    pub attempts: Option<Arc<dyn AttemptStore>>,
    pub same_site: SameSite,
    pub https_redirect: bool,
    pub redirect_suffix: &'static str,
    pub config: Option<ConfigHook>,
    pub layer: Option<LayerHook>,
    pub links: Option<MemoryLinks<String>>,
    /// Further hosts of the site (e.g. `localhost`), each with its own registered callback URL
    /// on the app's port, after the default `127.0.0.1` one.
    pub extra_hosts: Vec<&'static str>,
    /// Like `config`, also given the app's port (to register callbacks on it).
    pub config_with_port: Option<Box<dyn FnOnce(ConfigBuilder, u16) -> ConfigBuilder + Send>>,
}

impl Default for AppOptions<AnySessionStore> {
    fn default() -> Self {
        Self {
            store: AnySessionStore::memory(),
            attempts: None,
            same_site: SameSite::Lax,
            https_redirect: false,
            redirect_suffix: "",
            config: None,
            layer: None,
            links: None,
            extra_hosts: Vec::new(),
            config_with_port: None,
        }
    }
}

impl<S> AppOptions<S> {
    pub fn store<T>(self, store: T) -> AppOptions<T> {
        AppOptions {
            store,
            attempts: self.attempts,
            same_site: self.same_site,
            https_redirect: self.https_redirect,
            redirect_suffix: self.redirect_suffix,
            config: self.config,
            layer: self.layer,
            links: self.links,
            extra_hosts: self.extra_hosts,
            config_with_port: self.config_with_port,
        }
    }
    pub fn config(
        mut self,
        f: impl FnOnce(ConfigBuilder) -> ConfigBuilder + Send + 'static,
    ) -> Self {
        self.config = Some(Box::new(f));
        self
    }
    pub fn layer(
        mut self,
        f: impl FnOnce(LineLoginLayer) -> LineLoginLayer + Send + 'static,
    ) -> Self {
        self.layer = Some(Box::new(f));
        self
    }
    /// Shares `store`'s sessions and attempts (several instances of one site).
    pub fn shared(self, store: AnySessionStore) -> AppOptions<AnySessionStore> {
        let mut options = self.store(store.clone());
        options.attempts = Some(store.attempts());
        options
    }
    pub fn links(mut self, links: MemoryLinks<String>) -> Self {
        self.links = Some(links);
        self
    }
}

pub struct TestApp {
    pub sim: Simulator,
    pub base: String,
    pub config: Config,
    pub browser: Browser,
}

#[derive(serde::Deserialize)]
struct SignIn {
    member: String,
}

pub async fn start_app() -> TestApp {
    start_app_with(AppOptions::default()).await
}

pub async fn start_app_with<S>(options: AppOptions<S>) -> TestApp
where
    S: SessionStore + Clone,
{
    let sim = Simulator::start().await.expect("simulator starts");
    start_app_on(sim, options).await
}

pub async fn start_app_on<S>(sim: Simulator, options: AppOptions<S>) -> TestApp
where
    S: SessionStore + Clone,
{
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let scheme = if options.https_redirect {
        "https"
    } else {
        "http"
    };
    let redirect_uri = format!(
        "{scheme}://127.0.0.1:{port}/auth/line/callback{}",
        options.redirect_suffix
    );
    let mut builder = sim.config_builder(&redirect_uri);
    if !options.extra_hosts.is_empty() {
        builder = builder.redirect_uris(options.extra_hosts.iter().map(|host| {
            format!(
                "{scheme}://{host}:{port}/auth/line/callback{}",
                options.redirect_suffix
            )
        }));
    }
    if let Some(f) = options.config {
        builder = f(builder);
    }
    if let Some(f) = options.config_with_port {
        builder = f(builder, port);
    }
    let config = builder.build().expect("valid test configuration");
    let mut layer = LineLoginLayer::new(config.clone()).expect("layer builds");
    if let Some(attempts) = options.attempts {
        layer = layer.attempt_store(attempts);
    }
    if let Some(links) = options.links {
        layer = layer.member_links(links, MemberInSession("member_id"));
    }
    if let Some(f) = options.layer {
        layer = f(layer);
    }
    let protected = Router::new()
        .route("/protected/area", get(|| async { "secret area" }))
        .route_layer(RequireLogin);
    // The stateless bearer API (issue 16 item 5).
    let bearer_api = Router::new()
        .route("/api/me", get(|user: LineUser| async move { Json(user) }))
        .route_layer(line_login::extract::RequireBearer::new());
    let bearer_profile_api = Router::new()
        .route(
            "/api/name",
            get(|user: LineUser| async move { user.display_name.unwrap_or_default() }),
        )
        .route_layer(line_login::extract::RequireBearer::new().scope(line_login::Scope::Profile));
    let bearer_lazy = Router::new().route(
        "/api/profile",
        get(|bearer: line_login::extract::Bearer| async move {
            bearer.profile().await.map(|p| {
                Json(serde_json::json!({
                    "user_id": p.user_id,
                    "display_name": p.display_name,
                }))
            })
        }),
    );
    let app = Router::new()
        .route("/", get(|| async { "home" }))
        .route("/orders", get(|| async { "orders" }))
        .route(
            "/touch",
            get(|session: Session| async move {
                // An app handler that writes to the session on every request.
                let touches: u64 = session.get("touches").await.ok().flatten().unwrap_or(0);
                let _ = session.insert("touches", touches + 1).await;
                "touched"
            }),
        )
        .route("/me", get(|user: LineUser| async move { Json(user) }))
        .route(
            "/typed-me",
            get(
                |user: Result<LineUser, line_login::extract::LoginRejection>| async move {
                    match user {
                        Ok(user) => user.user_id,
                        Err(rejection) => format!("refused: {}", rejection.error().code()),
                    }
                },
            ),
        )
        .route(
            "/maybe",
            get(|user: Option<LineUser>| async move {
                match user {
                    Some(user) => format!("user {}", user.user_id),
                    None => "anonymous".to_owned(),
                }
            }),
        )
        .route(
            "/friendship",
            get(|friendship: Friendship| async move { Json(friendship) }),
        )
        .route(
            "/friendship/refresh",
            post(|line: LineSession| async move {
                line.refresh_friendship().await.map(Json)
            }),
        )
        .route(
            "/line/refresh",
            post(|line: LineSession| async move {
                line.refresh_tokens().await.map(|_| "refreshed")
            }),
        )
        .route(
            "/line/consent",
            get(|line: LineSession| async move { line.check_consent().await.map(|()| "ok") }),
        )
        .route(
            "/profile",
            get(|line: LineSession| async move {
                line.profile().await.map(|p| {
                    Json(serde_json::json!({
                        "user_id": p.user_id,
                        "display_name": p.display_name,
                        "picture_url": p.picture_url,
                        "status_message": p.status_message,
                    }))
                })
            }),
        )
        .route(
            "/member/signin",
            post(
                |session: Session, axum::extract::Query(q): axum::extract::Query<SignIn>| async move {
                    session.insert("member_id", q.member).await.unwrap();
                    "signed in"
                },
            ),
        )
        .merge(protected)
        .merge(bearer_api)
        .merge(bearer_profile_api)
        .merge(bearer_lazy)
        .layer(layer)
        .layer(
            line_login::session::session_layer(options.store, &config)
                .with_same_site(options.same_site),
        );
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

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `path` on another host name of the app (same port), e.g. `localhost`.
    pub fn url_on(&self, host: &str, path: &str) -> String {
        let mut url = Url::parse(&self.base).unwrap();
        url.set_host(Some(host)).unwrap();
        format!("{}{path}", url.as_str().trim_end_matches('/'))
    }

    pub fn first_user(&self) -> String {
        self.sim.users()[0].user_id.clone()
    }

    /// Starts a login and returns the authorize URL the app redirected to.
    pub async fn start_login(&self, browser: &Browser, query: &str) -> String {
        let answer = browser
            .get(&self.url(&format!("/auth/line/login{query}")))
            .await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
        answer.location().expect("login redirects to LINE")
    }

    /// Consents on the simulator and returns LINE's redirect back to the callback.
    pub async fn consent(&self, authorize_url: &str, choice: ConsentChoice) -> String {
        self.sim
            .consent(authorize_url, choice)
            .await
            .expect("simulator consents")
            .to_string()
    }

    pub fn choice(&self, user_id: &str) -> ConsentChoice {
        ConsentChoice {
            user_id: user_id.to_owned(),
            grant: true,
            add_friend: false,
            grant_email: false,
        }
    }

    /// A whole login as `user_id`; returns the callback's answer.
    pub async fn login(&self, browser: &Browser, user_id: &str) -> Answer {
        let authorize = self.start_login(browser, "").await;
        let callback = self.consent(&authorize, self.choice(user_id)).await;
        browser.get_cross_site(&callback).await
    }

    /// Who `/me` says is logged in, or `None` on a 401.
    pub async fn who(&self, browser: &Browser) -> Option<String> {
        let json = browser.as_json();
        let answer = json.get(&self.url("/me")).await;
        match answer.status {
            StatusCode::OK => answer.json()["user_id"].as_str().map(str::to_owned),
            StatusCode::UNAUTHORIZED => None,
            other => panic!("/me answered {other}: {}", answer.body),
        }
    }
}
