//! A real browser walks the example login site: headless Chromium driven through chromedriver
//! (fantoccini), the site and the LINE simulator in this process. Log in with LINE on the consent
//! page, see the profile and `/me`, log out, cancel a login, sign in as a demo member, link,
//! conflict, unlink, log out; then the same login once in Japanese (switched with `?lang=ja`),
//! with LINE's button, the consent screen's `ui_locales` and every page in Japanese. Every step
//! saves a screenshot under `target/browser-screenshots/`
//! and fails on a browser console error.

use crate::site;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, MouseActions, PointerAction};
use fantoccini::wd::{Capabilities, WebDriverCompatibleCommand};
use fantoccini::{Client, ClientBuilder, Locator};
use futures_util::FutureExt;
use line_login_simulator::{Simulator, SimulatorOptions};
use serde_json::{Value, json};

/// chromedriver, as Debian's `chromium-driver` installs it (`.ci/setup`).
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// Chromium, as Debian's `chromium` installs it.
const CHROMIUM: &str = "/usr/bin/chromium";
/// How long a page may take to appear.
const PAGE_TIMEOUT: Duration = Duration::from_secs(20);
/// How long chromedriver may take to start.
const DRIVER_START_TIMEOUT: Duration = Duration::from_secs(30);
/// The browser window, also the screenshots' size.
const WINDOW_WIDTH_PX: u32 = 1200;
const WINDOW_HEIGHT_PX: u32 = 860;

/// A running chromedriver, killed (with the browser it started) when dropped.
struct ChromeDriver {
    child: Child,
    port: u16,
}

impl ChromeDriver {
    fn start() -> Self {
        assert!(
            Path::new(CHROMEDRIVER).exists(),
            "chromedriver is missing at {CHROMEDRIVER}: the browser test needs Debian's `chromium` \
             and `chromium-driver` (run `bash .ci/setup` or `apt-get install chromium chromium-driver`)"
        );
        assert!(
            Path::new(CHROMIUM).exists(),
            "Chromium is missing at {CHROMIUM}: run `bash .ci/setup` or `apt-get install chromium`"
        );
        let port = free_port();
        let mut command = Command::new(CHROMEDRIVER);
        command
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // Its own process group, so dropping the guard also ends the browser it started.
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {CHROMEDRIVER}: {e}"));
        Self { child, port }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    async fn wait_ready(&mut self) {
        let started = Instant::now();
        let status = format!("{}/status", self.url());
        loop {
            if let Ok(Some(exit)) = self.child.try_wait() {
                panic!("chromedriver exited at start: {exit}");
            }
            if let Ok(response) = reqwest::get(&status).await
                && response.status().is_success()
            {
                return;
            }
            assert!(
                started.elapsed() < DRIVER_START_TIMEOUT,
                "chromedriver did not answer on {status} within {DRIVER_START_TIMEOUT:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        // The group (chromedriver and the browser it started) has chromedriver's pid as its id.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A directory removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let dir =
            std::env::temp_dir().join(format!("line-login-{name}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// chromedriver's log endpoint: the browser console entries since the last call.
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/se/log",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(r#"{"type":"browser"}"#.to_owned()))
    }
}

/// The site, the simulator and the browser, plus the step counter for screenshots.
struct Walk {
    client: Client,
    sim: Simulator,
    base: String,
    shots: PathBuf,
    step: usize,
}

impl Walk {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Console entries of level SEVERE since the last call.
    async fn severe_console_entries(&self) -> Vec<String> {
        let log = self
            .client
            .issue_cmd(BrowserLog)
            .await
            .expect("chromedriver returns the browser log");
        log.as_array()
            .expect("the browser log is a list")
            .iter()
            .filter(|e| e["level"] == "SEVERE")
            .map(|e| e["message"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// Saves a screenshot as `NN-name.png` and fails on any browser console error except the
    /// failed loads listed in `expected` as `(path, status)` (a page that is meant to be a 401).
    async fn step(&mut self, name: &str, expected: &[(&str, u16)]) -> PathBuf {
        self.step += 1;
        // Every page of the site says it runs on the simulator (`/me` is JSON, not a page).
        let url = self.client.current_url().await.unwrap();
        if url.as_str().starts_with(&self.base) && url.path() != "/me" {
            let banner = self.client.find(Locator::Id("simulator-banner")).await;
            assert!(banner.is_ok(), "no simulator banner on {url}");
        }
        let png = self.client.screenshot().await.expect("screenshot");
        let path = self.shots.join(format!("{:02}-{name}.png", self.step));
        std::fs::write(&path, png).unwrap();
        let errors: Vec<String> = self
            .severe_console_entries()
            .await
            .into_iter()
            .filter(|m| {
                !expected.iter().any(|(path, status)| {
                    m.starts_with(&format!("{}{path}", self.base))
                        && m.contains(&format!("the server responded with a status of {status} "))
                })
            })
            .collect();
        assert!(
            errors.is_empty(),
            "browser console errors at step {name}: {errors:#?}"
        );
        path
    }

    async fn wait_for(&self, id: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(PAGE_TIMEOUT)
            .for_element(Locator::Id(id))
            .await
            .unwrap_or_else(|e| {
                panic!("#{id} did not appear: {e}");
            })
    }

    /// Waits until the address contains `part` and the element `id` is on the page.
    async fn wait_for_page(&self, part: &str, id: &str) -> fantoccini::elements::Element {
        let started = Instant::now();
        loop {
            let url = self.client.current_url().await.unwrap();
            if url.as_str().contains(part) {
                return self.wait_for(id).await;
            }
            assert!(
                started.elapsed() < PAGE_TIMEOUT,
                "never reached a page with {part:?} in its address; at {url}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn text(&self, id: &str) -> String {
        self.wait_for(id).await.text().await.unwrap()
    }

    async fn click(&self, id: &str) {
        self.wait_for(id).await.click().await.unwrap();
    }

    /// The JSON document the browser shows at `path`.
    async fn json_at(&self, path: &str) -> Value {
        self.client.goto(&self.url(path)).await.unwrap();
        let body = self
            .client
            .find(Locator::Css("body"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path} is not JSON ({e}): {body}"))
    }

    /// On the simulator's consent page: pick `user`, tick the options, and press Allow.
    async fn consent_as(&mut self, user: &str, add_friend: bool, email: bool, shot: &str) {
        self.wait_for_page("/oauth2/v2.1/authorize", "consent-form")
            .await;
        let user = self.sim.user(user).expect("a simulator test user");
        self.click(&format!("user-{}", user.user_id)).await;
        if add_friend {
            self.click("add-friend").await;
        }
        if email {
            self.click("grant-email").await;
        }
        self.step(shot, &[]).await;
        self.click("allow").await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_logs_in_links_and_logs_out_on_the_example_site() {
    // The site on a free port over the simulator, with a fresh SQLite file.
    let data = TempDir::new("login-site-db");
    let sim = Simulator::start_with(SimulatorOptions::default())
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let config = site::simulator_config(&sim, &format!("{base}/auth/line/callback")).unwrap();
    let app = site::router(site::SiteOptions {
        config,
        database_url: format!("sqlite://{}", data.0.join("members.db").display()),
        session_store_url: None,
        simulator: Some(sim.clone()),
    })
    .await
    .unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });

    // chromedriver and a headless Chromium with a fresh profile.
    let mut driver = ChromeDriver::start();
    driver.wait_ready().await;
    let profile = TempDir::new("chromium-profile");
    let mut caps = Capabilities::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": CHROMIUM,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
                "--disable-dev-shm-usage", "--hide-scrollbars", "--force-device-scale-factor=1",
                format!("--user-data-dir={}", profile.0.display()),
            ],
        }),
    );
    caps.insert("goog:loggingPrefs".into(), json!({ "browser": "ALL" }));
    let client = ClientBuilder::rustls()
        .unwrap()
        .capabilities(caps)
        .connect(&driver.url())
        .await
        .unwrap_or_else(|e| panic!("chromedriver could not start Chromium: {e}"));
    client
        .set_window_size(WINDOW_WIDTH_PX, WINDOW_HEIGHT_PX)
        .await
        .unwrap();

    let shots = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/browser-screenshots");
    let _ = std::fs::remove_dir_all(&shots);
    std::fs::create_dir_all(&shots).unwrap();
    let mut walk = Walk {
        client: client.clone(),
        sim,
        base,
        shots,
        step: 0,
    };
    let outcome = std::panic::AssertUnwindSafe(async {
        walk_the_site(&mut walk).await;
        walk_the_second_host(&mut walk).await;
        walk_in_japanese(&mut walk).await;
        walk_the_liff_page(&mut walk).await;
    })
    .catch_unwind()
    .await;
    let _ = client.close().await;
    drop(driver);
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

/// Issue 17: the site also answers on `localhost` with the same channel and a second registered
/// callback. A login started there goes to LINE with the `localhost` callback, comes back to
/// it (the attempt cookie is `localhost`'s), and the session is `localhost`'s own.
async fn walk_the_second_host(walk: &mut Walk) {
    let cony = walk.sim.user("Cony").unwrap();
    let other = walk.base.replace("127.0.0.1", "localhost");
    assert_ne!(other, walk.base);
    walk.client.goto(&format!("{other}/")).await.unwrap();
    walk.click("line-login").await;
    walk.wait_for_page("/oauth2/v2.1/authorize", "consent-form")
        .await;
    let authorize = walk.client.current_url().await.unwrap();
    let redirect_uri = authorize
        .query_pairs()
        .find(|(k, _)| k == "redirect_uri")
        .map(|(_, v)| v.into_owned());
    assert_eq!(
        redirect_uri,
        Some(format!("{other}/auth/line/callback")),
        "the login on localhost names localhost's callback"
    );
    walk.consent_as("Cony", false, false, "consent-on-localhost")
        .await;
    walk.wait_for_page(&format!("{other}/profile"), "profile")
        .await;
    assert_eq!(walk.text("profile-name").await, "Cony");
    assert_eq!(walk.text("profile-user-id").await, cony.user_id);
    walk.step("profile-on-localhost", &[]).await;
    walk.client.goto(&format!("{other}/me")).await.unwrap();
    let body = walk
        .client
        .find(Locator::Css("body"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let me: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(me["user_id"], cony.user_id.as_str());
    walk.client.goto(&walk.url("/")).await.unwrap();
}

async fn walk_the_site(walk: &mut Walk) {
    let brown = walk.sim.user("Brown").unwrap();

    // Home: the LINE button in LINE's colours, and the offline banner.
    walk.client.goto(&walk.url("/")).await.unwrap();
    let button = walk.wait_for("line-login").await;
    let label = button.find(Locator::Css(".line-label")).await.unwrap();
    assert_eq!(label.text().await.unwrap(), "Log in with LINE");
    assert_eq!(
        button.css_value("background-color").await.unwrap(),
        "rgba(6, 199, 85, 1)"
    );
    assert_eq!(
        button.css_value("color").await.unwrap(),
        "rgba(255, 255, 255, 1)"
    );
    assert!(
        walk.text("simulator-banner")
            .await
            .contains(walk.sim.base_url().as_str())
    );
    walk.step("home", &[]).await;
    // Hovering lays #000000 at 10% over the green.
    walk.client
        .perform_actions(
            MouseActions::new("mouse".into()).then(PointerAction::MoveToElement {
                element: button.clone(),
                duration: None,
                x: 0.0,
                y: 0.0,
            }),
        )
        .await
        .unwrap();
    assert_eq!(
        button.css_value("background-image").await.unwrap(),
        "linear-gradient(rgba(0, 0, 0, 0.1), rgba(0, 0, 0, 0.1))"
    );
    walk.client.release_actions().await.unwrap();

    // Log in as Brown, adding the Official Account as a friend and sharing the email.
    button.click().await.unwrap();
    walk.consent_as("Brown", true, true, "consent").await;
    walk.wait_for_page("/profile", "profile").await;
    assert_eq!(walk.text("profile-name").await, "Brown");
    assert_eq!(walk.text("profile-user-id").await, brown.user_id);
    assert_eq!(walk.text("profile-email").await, "brown@example.com");
    assert!(!walk.text("profile-amr").await.is_empty());
    assert_eq!(walk.text("friend-status").await, "Friend");
    assert!(walk.text("friend-changed").await.starts_with("Yes"));
    assert!(walk.text("became-friend").await.starts_with("Yes"));
    assert!(walk.text("linked-member").await.contains("Not linked"));
    let picture = walk.wait_for("profile-picture").await;
    assert_eq!(
        picture.attr("src").await.unwrap().as_deref(),
        Some(brown.picture_url.as_str())
    );
    assert!(
        walk.sim.is_friend(&brown.user_id),
        "the simulator saw the add-friend tick"
    );
    walk.step("profile", &[]).await;

    // /me as JSON, with the browser's session.
    let me = walk.json_at("/me").await;
    assert_eq!(me["user_id"], brown.user_id.as_str());
    assert_eq!(me["display_name"], "Brown");
    assert_eq!(me["picture_url"], brown.picture_url.as_str());
    assert_eq!(me["email"], "brown@example.com");
    assert!(me["amr"].as_array().is_some_and(|a| !a.is_empty()));
    assert_eq!(me["friend_flag"], "yes");
    assert_eq!(me["friendship_status_changed"], true);
    assert_eq!(me["became_friend"], true);
    assert_eq!(me["member"], Value::Null);
    walk.step("me-json", &[]).await;

    // Log out (a POST form): back home, and /me answers 401.
    walk.client.goto(&walk.url("/profile")).await.unwrap();
    walk.click("profile-logout").await;
    walk.wait_for_page("notice=logged_out", "notice").await;
    assert!(walk.text("notice").await.contains("logged out"));
    walk.step("logged-out", &[]).await;
    let anonymous = walk.json_at("/me").await;
    assert_eq!(anonymous["error"], "not_logged_in");
    walk.step("me-401", &[("/me - ", 401)]).await;

    // Cancel on the consent page: the site's own page, in plain words.
    walk.client.goto(&walk.url("/")).await.unwrap();
    walk.click("line-login").await;
    walk.wait_for_page("/oauth2/v2.1/authorize", "consent-form")
        .await;
    walk.click("cancel").await;
    let failure = walk.wait_for_page("/auth/line/callback", "failure").await;
    assert_eq!(
        failure.attr("data-code").await.unwrap().as_deref(),
        Some("access_denied")
    );
    assert_eq!(walk.text("failure-title").await, "Login cancelled");
    assert!(walk.text("failure-message").await.contains("You cancelled"));
    walk.wait_for("retry").await;
    walk.step("cancelled", &[("/auth/line/callback?", 403)])
        .await;

    // The member area: sign in as Aiko, link LINE (Brown), see the link.
    walk.click("nav-members").await;
    walk.wait_for("signin-1001").await;
    walk.step("members", &[]).await;
    walk.click("signin-1001").await;
    walk.wait_for_page("notice=signed_in", "member-name").await;
    assert_eq!(walk.text("member-name").await, "Aiko Tanaka");
    assert!(walk.text("link-status").await.contains("Not linked"));
    walk.step("member-signed-in", &[]).await;
    walk.click("link").await;
    walk.consent_as("Brown", false, false, "link-consent").await;
    walk.wait_for_page("notice=linked", "linked-line-user")
        .await;
    assert_eq!(walk.text("linked-line-user").await, "Linked to Brown");
    assert!(walk.text("link-status").await.contains(&brown.user_id));
    walk.step("linked", &[]).await;
    let me = walk.json_at("/me").await;
    assert_eq!(me["member"]["id"], "1001");
    assert_eq!(me["member"]["name"], "Aiko Tanaka");

    // Another member cannot take the same LINE account: a notice, nothing changed.
    walk.client.goto(&walk.url("/members")).await.unwrap();
    walk.click("member-signout").await;
    walk.wait_for_page("notice=signed_out", "signin-1002").await;
    walk.click("signin-1002").await;
    walk.wait_for_page("notice=signed_in", "link").await;
    walk.click("link").await;
    walk.consent_as("Brown", false, false, "conflict-consent")
        .await;
    walk.wait_for_page("notice=link_conflict", "notice").await;
    assert!(walk.text("notice").await.contains("already linked"));
    assert!(walk.text("link-status").await.contains("Not linked"));
    walk.step("link-conflict", &[]).await;

    // Back as Aiko: unlink, which also tells LINE (deauthorize) and ends Brown's LINE login here.
    walk.click("member-signout").await;
    walk.wait_for_page("notice=signed_out", "signin-1001").await;
    walk.click("signin-1001").await;
    walk.wait_for_page("notice=signed_in", "unlink").await;
    walk.click("unlink").await;
    walk.wait_for_page("notice=unlinked", "link").await;
    assert!(walk.text("link-status").await.contains("Not linked"));
    assert_eq!(walk.text("member-name").await, "Aiko Tanaka");
    assert!(walk.client.find(Locator::Id("who")).await.is_err());
    assert_eq!(walk.sim.deauthorizations().len(), 1);
    walk.step("unlinked", &[]).await;
    let anonymous = walk.json_at("/me").await;
    assert_eq!(anonymous["error"], "not_logged_in");
    walk.step("me-401-after-unlink", &[("/me - ", 401)]).await;

    // Log in as Cony without ticking anything, then log out from the header.
    let cony = walk.sim.user("Cony").unwrap();
    walk.client.goto(&walk.url("/")).await.unwrap();
    walk.click("line-login").await;
    walk.consent_as("Cony", false, false, "cony-consent").await;
    walk.wait_for_page("/profile", "profile").await;
    assert_eq!(walk.text("profile-user-id").await, cony.user_id);
    assert!(walk.text("profile-email").await.contains("Not shared"));
    assert_eq!(walk.text("friend-status").await, "Not a friend");
    assert_eq!(walk.text("friend-changed").await, "No change");
    walk.step("cony-profile", &[]).await;
    walk.click("logout").await;
    walk.wait_for_page("notice=logged_out", "line-login").await;
    assert!(walk.client.find(Locator::Id("who")).await.is_err());
    let anonymous = walk.json_at("/me").await;
    assert_eq!(anonymous["error"], "not_logged_in");
    walk.client
        .goto(&walk.url("/?notice=logged_out"))
        .await
        .unwrap();
    walk.wait_for("line-login").await;
    walk.step("final-logout", &[("/me - ", 401)]).await;
}

/// The LINE button's overlay (`background-image`) while it is pressed (`:active`).
async fn pressed_overlay(walk: &Walk, button: &fantoccini::elements::Element) -> String {
    let press = MouseActions::new("mouse".into())
        .then(PointerAction::MoveToElement {
            element: button.clone(),
            duration: None,
            x: 0.0,
            y: 0.0,
        })
        .then(PointerAction::Down {
            button: fantoccini::actions::MOUSE_BUTTON_LEFT,
        });
    walk.client.perform_actions(press).await.unwrap();
    let overlay = button.css_value("background-image").await.unwrap();
    // Releasing elsewhere than on the button does not follow the link.
    let release = MouseActions::new("mouse".into())
        .then(PointerAction::MoveTo {
            duration: None,
            x: 5.0,
            y: 5.0,
        })
        .then(PointerAction::Up {
            button: fantoccini::actions::MOUSE_BUTTON_LEFT,
        });
    walk.client.perform_actions(release).await.unwrap();
    walk.client.release_actions().await.unwrap();
    overlay
}

/// The login once more in Japanese: the switch, LINE's Japanese button (pressed state too), the
/// consent screen asked for Japanese, the profile, the logout notice and the cancelled page.
/// Issue 16 item 8: the LIFF-style page asks for a nonce, gets a token from the simulator,
/// logs in through `/auth/line/token-login` and calls `GET /api/me` with the token as Bearer;
/// an expired token (as the LIFF SDK's cache hands it back) says so, and a fresh one works.
async fn walk_the_liff_page(walk: &mut Walk) {
    walk.client.goto(&walk.url("/liff?lang=en")).await.unwrap();
    walk.wait_for("liff").await;
    walk.step("liff-page", &[]).await;

    walk.click("liff-stale").await;
    let (status, me) = liff_outcome(walk, "token_expired").await;
    assert!(status.contains("expired"), "{status}");
    assert_eq!(me["error"], "token_expired");
    walk.step("liff-expired", &[("/auth/line/token-login", 401)])
        .await;

    let brown = walk.sim.user("Brown").unwrap();
    walk.click("liff-id-token").await;
    let (_, me) = liff_outcome(walk, "ok").await;
    assert_eq!(me["user_id"], brown.user_id.as_str());
    assert_eq!(me["door"], "id_token");
    assert_eq!(me["channel_id"], walk.sim.liff_channel_id());
    assert_eq!(me["display_name"], "Brown");
    walk.step("liff-id-token", &[]).await;

    walk.click("liff-access-token").await;
    let (_, me) = liff_outcome(walk, "ok").await;
    assert_eq!(me["door"], "access_token");
    assert_eq!(me["scopes"], json!(["profile", "openid"]));
    walk.step("liff-access-token", &[]).await;
    // The last token login left this browser logged in, as `/me` shows.
    let me = walk.json_at("/me").await;
    assert_eq!(me["user_id"], brown.user_id.as_str());
}

/// Waits until the LIFF page shows an outcome with `code`; its status text and JSON.
async fn liff_outcome(walk: &Walk, code: &str) -> (String, Value) {
    let started = Instant::now();
    loop {
        let status = walk.wait_for("liff-status").await;
        let current = status.attr("data-code").await.unwrap().unwrap_or_default();
        if current == code {
            let text = status.text().await.unwrap();
            let me = walk.text("liff-me").await;
            let json = serde_json::from_str(&me).unwrap_or_else(|e| panic!("{e}: {me}"));
            // Ready for the next click.
            walk.client
                .execute(
                    "document.getElementById('liff-status').dataset.code = '';",
                    vec![],
                )
                .await
                .unwrap();
            return (text, json);
        }
        assert!(
            started.elapsed() < PAGE_TIMEOUT,
            "the LIFF page never showed {code:?} (it shows {current:?}: {})",
            status.text().await.unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn walk_in_japanese(walk: &mut Walk) {
    let fonts = Command::new("fc-list").arg(":lang=ja").output();
    assert!(
        fonts.is_ok_and(|out| !out.stdout.is_empty()),
        "no Japanese font for Chromium: run `bash .ci/setup` (installs fonts-ipafont-gothic)"
    );
    walk.client.goto(&walk.url("/?lang=ja")).await.unwrap();
    let button = walk.wait_for("line-login").await;
    let html = walk.client.find(Locator::Css("html")).await.unwrap();
    assert_eq!(html.attr("lang").await.unwrap().as_deref(), Some("ja"));
    let label = button.find(Locator::Css(".line-label")).await.unwrap();
    assert_eq!(label.text().await.unwrap(), "LINEでログイン");
    assert_eq!(
        button.css_value("background-color").await.unwrap(),
        "rgba(6, 199, 85, 1)"
    );
    assert_eq!(
        pressed_overlay(walk, &button).await,
        "linear-gradient(rgba(0, 0, 0, 0.3), rgba(0, 0, 0, 0.3))",
        "pressing lays #000000 at 30% over the green"
    );
    walk.step("ja-home", &[]).await;

    // The choice is remembered without `?lang=`; the consent screen is asked for Japanese.
    walk.client.goto(&walk.url("/")).await.unwrap();
    walk.click("line-login").await;
    walk.wait_for_page("/oauth2/v2.1/authorize", "consent-form")
        .await;
    let authorize = walk.client.current_url().await.unwrap();
    let ui_locales = authorize
        .query_pairs()
        .find(|(name, _)| name == "ui_locales")
        .map(|(_, value)| value.into_owned());
    assert_eq!(ui_locales.as_deref(), Some("ja"), "{authorize}");
    assert_eq!(
        walk.text("ui-locale").await,
        "ja",
        "the simulator shows what LINE got"
    );
    walk.consent_as("Brown", false, true, "ja-consent").await;
    walk.wait_for_page("/profile", "profile").await;
    assert_eq!(walk.text("profile-name").await, "Brown");
    assert_eq!(walk.text("friend-status").await, "友だち");
    assert!(
        walk.text("linked-member")
            .await
            .contains("連携していません")
    );
    walk.step("ja-profile", &[]).await;

    walk.click("profile-logout").await;
    walk.wait_for_page("notice=logged_out", "notice").await;
    assert!(walk.text("notice").await.contains("ログアウトしました"));
    walk.step("ja-logged-out", &[]).await;

    // Cancelling: the site's failure page with the crate's Japanese words.
    walk.click("line-login").await;
    walk.wait_for_page("/oauth2/v2.1/authorize", "consent-form")
        .await;
    walk.click("cancel").await;
    walk.wait_for_page("/auth/line/callback", "failure").await;
    assert_eq!(
        walk.text("failure-title").await,
        "ログインがキャンセルされました"
    );
    assert!(
        walk.text("failure-message")
            .await
            .contains("キャンセルしました")
    );
    assert_eq!(walk.text("retry").await, "もう一度試す");
    walk.step("ja-cancelled", &[("/auth/line/callback?", 403)])
        .await;
}
