//! Logins started in an in-app browser: LINE's automatic login returns to the device's default
//! browser, so a login started in another app's in-app browser (mail, social and messaging
//! apps, QR readers) comes back to another cookie jar and fails; iOS universal links also fail
//! when the redirect to LINE is made by JavaScript. `GET {prefix}/login` recognizes such
//! browsers from the `User-Agent` with one list of markers, [`IN_APP_BROWSER_MARKERS`], and
//! applies the layer's [`InAppBrowserPolicy`]. LINE's own in-app browser goes straight on.
//!
//! ```
//! use line_login::in_app_browser::{BrowserKind, classify};
//! let facebook = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 \
//!                 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/440.0.0.0]";
//! assert_eq!(classify(facebook), BrowserKind::OtherInApp("Facebook"));
//! let line = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 \
//!             (KHTML, like Gecko) Mobile/15E148 Safari Line/14.1.0";
//! assert_eq!(classify(line), BrowserKind::LineInApp);
//! ```

/// The marker of LINE's own in-app browser (`... Safari Line/14.1.0`, `... Line/14.1.0/IAB`).
/// It is matched case-sensitively, so `LinkedIn` or `Linear` never match.
pub const LINE_IN_APP_MARKER: &str = " Line/";

/// User-agent markers of in-app browsers other than LINE's, with the app's name: a user agent
/// containing a marker (case-sensitively) is that app's in-app browser. The one list the layer
/// uses; checked in order, after [`LINE_IN_APP_MARKER`].
pub const IN_APP_BROWSER_MARKERS: &[(&str, &str)] = &[
    ("FBAN/", "Facebook"),
    ("FBAV/", "Facebook"),
    ("FB_IAB/", "Facebook"),
    ("Instagram ", "Instagram"),
    ("Barcelona ", "Threads"),
    ("MicroMessenger/", "WeChat"),
    ("KAKAOTALK", "KakaoTalk"),
    ("TwitterAndroid", "X"),
    ("Twitter for iPhone", "X"),
    ("musical_ly", "TikTok"),
    ("BytedanceWebview", "TikTok"),
    ("Snapchat/", "Snapchat"),
    ("Pinterest/", "Pinterest"),
    ("LinkedInApp", "LinkedIn"),
    ("GSA/", "Google app"),
    ("YJApp-", "Yahoo! JAPAN app"),
    ("Slack/", "Slack"),
    ("Discord/", "Discord"),
    ("Telegram", "Telegram"),
    ("WhatsApp", "WhatsApp"),
    // Android's WebView, which most other apps' in-app browsers are, marks itself `; wv)`.
    ("; wv)", "Android WebView"),
];

/// What [`classify`] found in a user agent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BrowserKind {
    /// LINE's own in-app browser: a login there goes straight on (LINE logs the user in).
    LineInApp,
    /// Another app's in-app browser, named after its marker in [`IN_APP_BROWSER_MARKERS`].
    OtherInApp(&'static str),
    /// A browser with no in-app marker (or no user agent at all).
    Regular,
}

/// Classifies a user agent with [`LINE_IN_APP_MARKER`] and [`IN_APP_BROWSER_MARKERS`]: a few
/// substring searches over one header, no allocation.
pub fn classify(user_agent: &str) -> BrowserKind {
    if user_agent.contains(LINE_IN_APP_MARKER) {
        return BrowserKind::LineInApp;
    }
    IN_APP_BROWSER_MARKERS
        .iter()
        .find(|(marker, _)| user_agent.contains(marker))
        .map_or(BrowserKind::Regular, |(_, app)| {
            BrowserKind::OtherInApp(app)
        })
}

/// What `GET {prefix}/login` does for a login started in an in-app browser other than LINE's
/// ([`BrowserKind::OtherInApp`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum InAppBrowserPolicy {
    /// Shows a page (in the visitor's language) advising to open the page in the device's
    /// browser, with a plain link that continues the login here (with `disable_auto_login`, so
    /// LINE asks for the password instead of returning to the default browser). The default.
    #[default]
    Interstitial,
    /// Goes on to LINE at once with `disable_auto_login=true`.
    DisableAutoLogin,
    /// Does nothing special (the login may fail on return; the error page offers a retry).
    Ignore,
}

/// What the login route decided for one request (logged as `in_app_decision`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Go on to LINE as asked.
    Proceed,
    /// Go on to LINE with `disable_auto_login=true`.
    DisableAutoLogin,
    /// Answer with the interstitial page.
    Interstitial,
}

impl Decision {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Decision::Proceed => "proceed",
            Decision::DisableAutoLogin => "disable_auto_login",
            Decision::Interstitial => "interstitial",
        }
    }
}

/// The decision for a browser of `kind` under `policy`; `continued` is set when the visitor
/// followed the interstitial's link.
pub(crate) fn decide(policy: InAppBrowserPolicy, kind: BrowserKind, continued: bool) -> Decision {
    match (kind, policy) {
        (BrowserKind::LineInApp | BrowserKind::Regular, _) => Decision::Proceed,
        (BrowserKind::OtherInApp(_), InAppBrowserPolicy::Ignore) => Decision::Proceed,
        (BrowserKind::OtherInApp(_), InAppBrowserPolicy::DisableAutoLogin) => {
            Decision::DisableAutoLogin
        }
        (BrowserKind::OtherInApp(_), InAppBrowserPolicy::Interstitial) if continued => {
            Decision::DisableAutoLogin
        }
        (BrowserKind::OtherInApp(_), InAppBrowserPolicy::Interstitial) => Decision::Interstitial,
    }
}

/// The interstitial page: advice to open the page in the device's browser, the address to copy,
/// and a plain link (no JavaScript) that continues the login here.
pub(crate) fn interstitial_page(
    messages: &crate::messages::Messages,
    language: &crate::messages::Language,
    app: &str,
    continue_url: &str,
) -> axum::response::Response {
    use html_escape::encode_quoted_attribute as html_escape;
    let text = |id: &str| html_escape(&messages.get(language, id)).into_owned();
    let html = format!(
        r#"<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:34rem;margin:4rem auto;padding:0 1rem;color:#222}}h1{{font-size:1.4rem}}.button{{display:inline-block;background:#06C755;color:#fff;padding:.6rem 1.2rem;border-radius:.4rem;text-decoration:none}}.help{{color:#666;font-size:.9rem}}</style></head>
<body><h1 id="in-app-title">{title}</h1><p id="in-app-advice">{advice}</p><p class="help">{app_line}</p><p><a class="button" id="in-app-continue" href="{continue_url}">{continue_text}</a></p></body></html>"#,
        lang = html_escape(&language.html_lang()),
        title = text("in-app-browser-title"),
        advice = text("in-app-browser-advice"),
        app_line = html_escape(&messages.get_with(language, "in-app-browser-app", &[("app", app)])),
        continue_url = html_escape(continue_url),
        continue_text = text("in-app-browser-continue"),
    );
    axum::response::IntoResponse::into_response(axum::response::Html(html))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Real user agents, one per app, with what they must be classified as.
    const USER_AGENTS: &[(&str, BrowserKind)] = &[
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Safari Line/14.4.0",
            BrowserKind::LineInApp,
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/124.0.0.0 Mobile Safari/537.36 Line/14.4.1/IAB",
            BrowserKind::LineInApp,
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBDV/iPhone15,2;FBMD/iPhone;FBSN/iOS;FBSV/17.4;FBSS/3;FBID/phone;FBLC/ja_JP;FBOP/5]",
            BrowserKind::OtherInApp("Facebook"),
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 327.0.0.0.0 (iPhone15,2; iOS 17_4; ja_JP; ja)",
            BrowserKind::OtherInApp("Instagram"),
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2f) NetType/WIFI Language/zh_TW",
            BrowserKind::OtherInApp("WeChat"),
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; SM-S918N Build/UP1A; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/124.0 Mobile Safari/537.36;KAKAOTALK 2410420",
            BrowserKind::OtherInApp("KakaoTalk"),
        ),
        (
            "Mozilla/5.0 (Linux; Android 13; SO-51C Build/67.1; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/124.0 Mobile Safari/537.36",
            BrowserKind::OtherInApp("Android WebView"),
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) GSA/310.0.0 Mobile/15E148 Safari/604.1",
            BrowserKind::OtherInApp("Google app"),
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 YJApp-IOS jp.co.yahoo.ipn.appli/4.60.0",
            BrowserKind::OtherInApp("Yahoo! JAPAN app"),
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
            BrowserKind::Regular,
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36",
            BrowserKind::Regular,
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36 LinkedInApp Linear/1.0",
            BrowserKind::OtherInApp("LinkedIn"),
        ),
        ("", BrowserKind::Regular),
    ];

    #[test]
    fn in_app_browser_markers_classify_real_user_agents() {
        for (user_agent, expected) in USER_AGENTS {
            assert_eq!(classify(user_agent), *expected, "{user_agent}");
        }
    }

    #[test]
    fn in_app_browser_markers_are_distinct_and_never_match_line_or_a_plain_browser() {
        let mut seen = std::collections::HashSet::new();
        for (marker, app) in IN_APP_BROWSER_MARKERS {
            assert!(!marker.is_empty() && !app.is_empty());
            assert!(seen.insert(*marker), "duplicate marker {marker}");
            assert!(!LINE_IN_APP_MARKER.contains(marker), "{marker}");
        }
        // Safari and Chrome on phones and desktops carry none of them.
        for (user_agent, kind) in USER_AGENTS {
            if *kind == BrowserKind::Regular {
                assert!(
                    IN_APP_BROWSER_MARKERS
                        .iter()
                        .all(|(marker, _)| !user_agent.contains(marker))
                );
            }
        }
    }

    #[test]
    fn in_app_policy_line_goes_straight_on_others_follow_the_policy() {
        let other = BrowserKind::OtherInApp("Facebook");
        for policy in [
            InAppBrowserPolicy::Interstitial,
            InAppBrowserPolicy::DisableAutoLogin,
            InAppBrowserPolicy::Ignore,
        ] {
            assert_eq!(
                decide(policy, BrowserKind::LineInApp, false),
                Decision::Proceed
            );
            assert_eq!(
                decide(policy, BrowserKind::Regular, false),
                Decision::Proceed
            );
        }
        assert_eq!(
            InAppBrowserPolicy::default(),
            InAppBrowserPolicy::Interstitial
        );
        assert_eq!(
            decide(InAppBrowserPolicy::Interstitial, other, false),
            Decision::Interstitial
        );
        assert_eq!(
            decide(InAppBrowserPolicy::Interstitial, other, true),
            Decision::DisableAutoLogin
        );
        assert_eq!(
            decide(InAppBrowserPolicy::DisableAutoLogin, other, false),
            Decision::DisableAutoLogin
        );
        assert_eq!(
            decide(InAppBrowserPolicy::Ignore, other, false),
            Decision::Proceed
        );
    }
}
