//! The example site in the visitor's language: pages, notices, the LINE button, the failure pages
//! and LINE's consent screen follow `Accept-Language` or the `?lang=` switch (remembered in a
//! cookie), and the site's catalogue has every message in every language.

use crate::common;
use crate::site;

use common::Browser;
use line_login::messages::{BUILTIN_CATALOGUES, message_ids};
use line_login_simulator::{ConsentChoice, Simulator};
use reqwest::StatusCode;
use url::Url;

/// Starts the site over a fresh simulator with its members in a SQLite file of its own.
async fn start_site() -> (Simulator, String) {
    let sim = Simulator::start().await.unwrap();
    let file = std::env::temp_dir().join(format!(
        "line_login_site_i18n_{}_{:08x}.db",
        std::process::id(),
        rand::random::<u32>()
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let config = site::simulator_config(&sim, &format!("{base}/auth/line/callback")).unwrap();
    let app = site::router(site::SiteOptions {
        config,
        database_url: format!("sqlite://{}", file.display()),
        session_store_url: None,
        simulator: Some(sim.clone()),
    })
    .await
    .unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (sim, base)
}

#[tokio::test]
async fn site_pages_follow_accept_language_and_the_language_switch() {
    let (_sim, base) = start_site().await;
    let cases = [
        ("ja,en;q=0.5", "ja", "LINEでログイン"),
        ("zh-TW", "zh-Hant", "使用LINE登入"),
        ("th-TH", "th", "เข้าสู่ระบบด้วย LINE"),
        ("id", "id", "Masuk dengan LINE"),
        ("de", "en", "Log in with LINE"),
    ];
    for (accept_language, lang, button) in cases {
        let home = Browser::new()
            .speaking(accept_language)
            .get(&format!("{base}/"))
            .await;
        assert!(
            home.body.contains(&format!(r#"<html lang="{lang}">"#)),
            "{}",
            home.body
        );
        assert!(
            home.body
                .contains(&format!(r#"<span class="line-label">{button}</span>"#)),
            "{accept_language}: {}",
            home.body
        );
    }

    // The switch wins over Accept-Language and is remembered.
    let browser = Browser::new().speaking("ja");
    let switched = browser.get(&format!("{base}/members?lang=th")).await;
    assert!(switched.body.contains(r#"<html lang="th">"#));
    assert!(switched.body.contains("พื้นที่สมาชิก"), "{}", switched.body);
    let cookie = switched.set_cookies().join("\n");
    assert!(
        cookie.contains(&format!("{}=th", site::LANGUAGE_COOKIE)),
        "{cookie}"
    );
    let later = browser.get(&format!("{base}/?notice=logged_out")).await;
    assert!(later.body.contains(r#"<html lang="th">"#), "{}", later.body);
    assert!(
        later.body.contains("คุณออกจากระบบแล้ว"),
        "notices are translated"
    );
    // A language the site does not have is ignored.
    let unknown = Browser::new()
        .speaking("ja")
        .get(&format!("{base}/?lang=xx"))
        .await;
    assert!(unknown.body.contains(r#"<html lang="ja">"#));
    assert!(unknown.set_cookies().is_empty());
    // JSON speaks it too.
    let me = Browser::json_client()
        .speaking("ja")
        .get(&format!("{base}/me"))
        .await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED);
    assert!(
        me.json()["message"]
            .as_str()
            .unwrap()
            .contains("ログインしていません")
    );
}

#[tokio::test]
async fn a_japanese_visitor_gets_a_japanese_consent_screen_and_failure_page() {
    let (sim, base) = start_site().await;
    let browser = Browser::new().speaking("ja-JP,ja;q=0.9,en;q=0.8");
    let answer = browser.get(&format!("{base}/auth/line/login")).await;
    let authorize = answer.location().expect("a redirect to LINE");
    let ui_locales = Url::parse(&authorize)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "ui_locales")
        .map(|(_, v)| v.into_owned());
    assert_eq!(ui_locales.as_deref(), Some("ja"));
    let cancel = ConsentChoice {
        user_id: sim.users()[0].user_id.clone(),
        grant: false,
        add_friend: false,
        grant_email: false,
    };
    let callback = sim.consent(&authorize, cancel).await.unwrap();
    let page = browser.get_cross_site(callback.as_str()).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.body.contains(r#"<html lang="ja">"#), "{}", page.body);
    assert!(
        page.body.contains("ログインがキャンセルされました"),
        "{}",
        page.body
    );
    assert!(page.body.contains("もう一度試す"), "{}", page.body);
}

#[test]
fn every_site_message_exists_in_every_language() {
    let english = message_ids(site::SITE_CATALOGUES[0].1);
    for (tag, source) in &site::SITE_CATALOGUES[1..] {
        let ids = message_ids(source);
        let missing: Vec<_> = english.iter().filter(|id| !ids.contains(id)).collect();
        let extra: Vec<_> = ids.iter().filter(|id| !english.contains(id)).collect();
        assert!(missing.is_empty(), "{tag} lacks {missing:?}");
        assert!(
            extra.is_empty(),
            "{tag} has messages English lacks: {extra:?}"
        );
    }
    assert!(site::catalogue().is_ok(), "every catalogue parses");
}

#[test]
fn every_text_the_templates_and_the_site_use_is_in_the_catalogue() {
    let mut known = message_ids(site::SITE_CATALOGUES[0].1);
    known.extend(message_ids(BUILTIN_CATALOGUES[0].1));
    let sources = [
        include_str!("../../examples/login_site/templates/base.html"),
        include_str!("../../examples/login_site/templates/home.html"),
        include_str!("../../examples/login_site/templates/profile.html"),
        include_str!("../../examples/login_site/templates/members.html"),
        include_str!("../../examples/login_site/templates/failure.html"),
        include_str!("../../examples/login_site/site.rs"),
    ];
    let mut used = 0;
    for source in sources {
        let quotes = [
            "{{ t(\"",
            "(t(\"",
            "or t(\"",
            ".get(&language, \"",
            "=> (\"ok\", \"",
            "=> (\"error\", \"",
            "=> \"amr-",
        ];
        for quote in quotes {
            for (at, _) in source.match_indices(quote) {
                let rest = &source[at + quote.len()..];
                let id = rest.split('"').next().unwrap();
                let id = if quote.ends_with("amr-") {
                    format!("amr-{id}")
                } else {
                    id.to_owned()
                };
                assert!(known.contains(&id), "{id} is used but not in the catalogue");
                used += 1;
            }
        }
    }
    assert!(used > 60, "found only {used} uses");
}
