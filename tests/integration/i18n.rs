//! The layer speaks the visitor's language: error pages and JSON messages from the catalogue in
//! the language negotiated from `Accept-Language` (or forced by the app), and, when the app opts
//! in, LINE's consent screen asked for the same language.

use crate::common;

use std::collections::HashMap;

use common::{AppOptions, Browser, TestApp, start_app, start_app_with};
use line_login::messages::{Language, Messages};
use reqwest::StatusCode;
use url::Url;

fn query(url: &str) -> HashMap<String, String> {
    Url::parse(url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

/// Starts a login in `browser`, cancels it on LINE and returns the layer's answer.
async fn cancelled_login(app: &TestApp, browser: &Browser) -> common::Answer {
    let authorize = app.start_login(browser, "").await;
    let mut choice = app.choice(&app.first_user());
    choice.grant = false;
    let callback = app.consent(&authorize, choice).await;
    browser.get_cross_site(&callback).await
}

#[tokio::test]
async fn cancelled_login_page_speaks_the_visitors_language() {
    let app = start_app().await;
    let cases = [
        (
            "ja;q=0.9, en;q=0.8",
            "ja",
            "ログインがキャンセルされました",
            "もう一度試す",
        ),
        ("zh-TW,zh;q=0.9", "zh-Hant", "已取消登入", "再試一次"),
        ("th-TH", "th", "ยกเลิกการเข้าสู่ระบบแล้ว", "ลองอีกครั้ง"),
        ("id-ID", "id", "Login dibatalkan", "Coba lagi"),
        ("fr-FR, *;q=0.1", "en", "Login cancelled", "Try again"),
    ];
    for (accept_language, lang, title, retry) in cases {
        let browser = Browser::new().speaking(accept_language);
        let answer = cancelled_login(&app, &browser).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN);
        assert!(
            answer.body.contains(&format!(r#"<html lang="{lang}">"#)),
            "{accept_language}: {}",
            answer.body
        );
        assert!(
            answer.body.contains(title),
            "{accept_language}: {}",
            answer.body
        );
        assert!(
            answer.body.contains(retry),
            "{accept_language}: {}",
            answer.body
        );
    }
}

#[tokio::test]
async fn json_errors_keep_their_code_and_gain_the_localized_message() {
    let app = start_app().await;
    let browser = Browser::new().speaking("zh-Hant-TW").as_json();
    let answer = cancelled_login(&app, &browser).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    let json = answer.json();
    assert_eq!(json["error"], "access_denied");
    assert_eq!(
        json["message"],
        "您已在 LINE 上取消登入。沒有分享任何資訊,您也沒有登入。"
    );
    // Extractors answer in the visitor's language too.
    let anonymous = Browser::json_client().speaking("ja");
    let answer = anonymous.get(&app.url("/me")).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.json()["error"], "not_logged_in");
    assert_eq!(answer.json()["message"], "まずLINEでログインしてください。");
}

#[tokio::test]
async fn consent_screen_follows_the_visitor_when_the_app_opts_in() {
    let app =
        start_app_with(AppOptions::default().config(|c| c.ui_locales_from_visitor(true))).await;
    let thai = Browser::new().speaking("th-TH,th;q=0.9,en;q=0.8");
    assert_eq!(query(&app.start_login(&thai, "").await)["ui_locales"], "th");
    let taiwanese = Browser::new().speaking("zh-TW");
    assert_eq!(
        query(&app.start_login(&taiwanese, "").await)["ui_locales"],
        "zh-TW"
    );
    let unknown = Browser::new().speaking("fr");
    assert_eq!(
        query(&app.start_login(&unknown, "").await)["ui_locales"],
        "en"
    );

    let not_opted_in = start_app().await;
    let url = not_opted_in.start_login(&thai, "").await;
    assert!(!query(&url).contains_key("ui_locales"), "{url}");
}

#[tokio::test]
async fn a_static_ui_locales_wins_over_the_visitor() {
    let app = start_app_with(
        AppOptions::default().config(|c| c.ui_locales("ja-JP").ui_locales_from_visitor(true)),
    )
    .await;
    let thai = Browser::new().speaking("th");
    assert_eq!(
        query(&app.start_login(&thai, "").await)["ui_locales"],
        "ja-JP"
    );
}

#[tokio::test]
async fn the_app_can_force_the_language_and_override_messages() {
    let messages = Messages::builder()
        .builtin()
        .resource(
            "ja",
            "error-cancelled = ログインを中止しました。\n    .title = 中止",
        )
        .unwrap()
        .force(Language::japanese())
        .build();
    let app = start_app_with(
        AppOptions::default()
            .config(|c| c.ui_locales_from_visitor(true))
            .layer(move |layer| layer.messages(messages)),
    )
    .await;
    let browser = Browser::new().speaking("en-US,en;q=0.9");
    assert_eq!(
        query(&app.start_login(&browser, "").await)["ui_locales"],
        "ja"
    );
    let answer = cancelled_login(&app, &browser).await;
    assert!(
        answer.body.contains(r#"<html lang="ja">"#),
        "{}",
        answer.body
    );
    assert!(
        answer.body.contains("ログインを中止しました。"),
        "{}",
        answer.body
    );
    assert!(
        answer.body.contains("もう一度試す"),
        "the other messages stay"
    );
}

#[tokio::test]
async fn malformed_and_overlong_accept_language_fall_back_to_english() {
    let app = start_app().await;
    let overlong: &'static str = "x-private;q=0.5, ".repeat(100).leak();
    for accept_language in ["ja;q=nan", ";;;,,=", overlong] {
        let browser = Browser::new().speaking(accept_language);
        let answer = cancelled_login(&app, &browser).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN);
        assert!(
            answer.body.contains(r#"<html lang="en">"#),
            "{}",
            answer.body
        );
    }
}
