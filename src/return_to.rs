//! Where to send the user after login: only a path on this site. Anything that could leave the
//! site (absolute URLs, `//host`, backslash tricks, encoded slashes, `javascript:`) or that does
//! not parse becomes `/`. This is what stops the login routes from being an open redirect.

/// The longest return-to path kept; longer ones fall back to `/`.
pub const RETURN_TO_MAX_BYTES: usize = 1024;

/// Returns `raw` if it is a same-site path (with optional query), otherwise `/`.
pub fn sanitize_return_to(raw: Option<&str>) -> String {
    match raw {
        Some(path) if is_same_site_path(path) => path.to_owned(),
        _ => "/".to_owned(),
    }
}

fn is_same_site_path(path: &str) -> bool {
    if path.is_empty() || path.len() > RETURN_TO_MAX_BYTES || !path.starts_with('/') {
        return false;
    }
    // Browsers treat `\` as `/`, and any control or whitespace character can be stripped by them,
    // turning `/\t/evil` into `//evil`.
    if path
        .chars()
        .any(|c| c == '\\' || c.is_control() || c.is_whitespace())
    {
        return false;
    }
    if path.starts_with("//") {
        return false;
    }
    // Encoded slashes, backslashes or percent signs (double encoding) in the path part could be
    // decoded by a proxy or framework into one of the shapes above.
    let path_part = path.split(['?', '#']).next().unwrap_or("");
    let lowered = path_part.to_ascii_lowercase();
    if lowered.contains("%2f") || lowered.contains("%5c") || lowered.contains("%25") {
        return false;
    }
    if lowered.contains("%00") || lowered.contains("%09") || lowered.contains("%0a") {
        return false;
    }
    // Last line of defence: resolved against a dummy origin, it must stay on that origin.
    let Ok(base) = url::Url::parse("https://same-site.invalid/") else {
        return false;
    };
    match base.join(path) {
        Ok(joined) => joined.origin() == base.origin(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_examples_hold() {
        assert_eq!(sanitize_return_to(Some("/orders?page=2")), "/orders?page=2");
        assert_eq!(sanitize_return_to(Some("https://evil.example/")), "/");
        assert_eq!(sanitize_return_to(Some("//evil.example")), "/");
        assert_eq!(sanitize_return_to(Some("/\\evil.example")), "/");
        assert_eq!(sanitize_return_to(None), "/");
    }

    #[test]
    fn same_site_paths_are_kept() {
        for ok in ["/", "/orders", "/orders?id=1&x=%20", "/a/b/c#frag", "/日本"] {
            assert_eq!(sanitize_return_to(Some(ok)), ok, "{ok}");
        }
    }

    #[test]
    fn anything_that_could_leave_the_site_falls_back_to_root() {
        for bad in [
            "",
            "orders",
            "https://evil.example/",
            "http:evil.example",
            "//evil.example",
            "///evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/%2f%2fevil.example",
            "/%2F/evil.example",
            "/%5cevil.example",
            "/%252f%252fevil.example",
            "javascript:alert(1)",
            "/\t/evil.example",
            "/\n/evil.example",
            " /x",
            "data:text/html,hi",
        ] {
            assert_eq!(sanitize_return_to(Some(bad)), "/", "{bad:?}");
        }
        let long = format!("/{}", "a".repeat(RETURN_TO_MAX_BYTES));
        assert_eq!(sanitize_return_to(Some(&long)), "/");
    }

    #[test]
    fn the_length_limit_is_exactly_return_to_max_bytes() {
        let longest = format!("/{}", "a".repeat(RETURN_TO_MAX_BYTES - 1));
        assert_eq!(sanitize_return_to(Some(&longest)), longest);
        let one_more = format!("/{}", "a".repeat(RETURN_TO_MAX_BYTES));
        assert_eq!(sanitize_return_to(Some(&one_more)), "/");
    }

    // Each guard alone: these paths would stay on the site once a browser or a proxy is done
    // with them only if that one guard is there, so the later checks cannot hide a removed one.
    #[test]
    fn a_backslash_anywhere_falls_back_to_root() {
        assert_eq!(sanitize_return_to(Some("/orders\\2")), "/");
    }

    #[test]
    fn a_control_character_that_is_not_whitespace_falls_back_to_root() {
        assert_eq!(sanitize_return_to(Some("/orders\u{1}2")), "/");
        assert_eq!(sanitize_return_to(Some("/orders\u{7f}")), "/");
    }

    #[test]
    fn whitespace_that_is_not_a_control_character_falls_back_to_root() {
        assert_eq!(sanitize_return_to(Some("/orders 2")), "/");
        assert_eq!(sanitize_return_to(Some("/orders\u{3000}2")), "/");
    }

    #[test]
    fn each_encoded_slash_backslash_or_percent_falls_back_to_root() {
        for bad in ["/%2fevil.example", "/%5Cevil.example", "/%25evil.example"] {
            assert_eq!(sanitize_return_to(Some(bad)), "/", "{bad}");
        }
    }

    #[test]
    fn each_encoded_nul_tab_or_newline_falls_back_to_root() {
        for bad in [
            "/%00/evil.example",
            "/%09/evil.example",
            "/%0A/evil.example",
        ] {
            assert_eq!(sanitize_return_to(Some(bad)), "/", "{bad}");
        }
    }

    #[test]
    fn encoded_characters_in_the_query_are_kept() {
        let kept = "/search?q=%2F%00%09";
        assert_eq!(sanitize_return_to(Some(kept)), kept);
    }

    proptest::proptest! {
        #[test]
        fn whatever_comes_in_the_result_stays_on_this_site(raw in ".{0,200}") {
            let kept = sanitize_return_to(Some(&raw));
            let base = url::Url::parse("https://shop.example/").unwrap();
            let joined = base.join(&kept).unwrap();
            proptest::prop_assert_eq!(joined.origin(), base.origin());
            proptest::prop_assert!(kept == "/" || kept == raw);
        }
    }
}
