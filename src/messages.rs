//! The user-facing text of the crate in every language it speaks, and the choice of language for
//! one request. Owns the message catalogue (one Fluent file per language under `locales/`) and
//! the `Accept-Language` negotiation; it does not render pages (see [`crate::LoginError`]).
//!
//! English (`en`), Japanese (`ja`), Traditional Chinese (`zh-Hant`), Thai (`th`) and Indonesian
//! (`id`) are built in. A request's language is, in order: a [`Language`] the app put in the
//! request's extensions, the language the app forced with [`MessagesBuilder::force`], the
//! visitor's best match from `Accept-Language` (quality values honoured), and English.
//!
//! ```
//! use line_login::messages::{Language, Messages};
//!
//! let messages = Messages::builtin();
//! let language = messages.negotiate("th-TH, ja;q=0.9, en;q=0.8");
//! assert_eq!(language, Language::thai());
//! assert_eq!(messages.get(&Language::japanese(), "page-try-again"), "もう一度試す");
//!
//! // A company overriding one message and adding a language of its own:
//! let messages = Messages::builder()
//!     .builtin()
//!     .resource("ja", "page-try-again = 再試行")?
//!     .resource("ko", "page-try-again = 다시 시도")?
//!     .build();
//! assert_eq!(messages.get(&Language::japanese(), "page-try-again"), "再試行");
//! assert_eq!(messages.negotiate("ko-KR").to_string(), "ko");
//! # Ok::<(), line_login::messages::MessagesError>(())
//! ```

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, OnceLock};

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};
use fluent_langneg::{NegotiationStrategy, negotiate_languages};
use http::HeaderMap;
use unic_langid::LanguageIdentifier;

/// The built-in catalogues: (language tag, Fluent source).
pub const BUILTIN_CATALOGUES: &[(&str, &str)] = &[
    ("en", include_str!("../locales/en/line_login.ftl")),
    ("ja", include_str!("../locales/ja/line_login.ftl")),
    ("zh-Hant", include_str!("../locales/zh-Hant/line_login.ftl")),
    ("th", include_str!("../locales/th/line_login.ftl")),
    ("id", include_str!("../locales/id/line_login.ftl")),
];

/// Longest `Accept-Language` header considered; a longer one is ignored (English).
pub(crate) const ACCEPT_LANGUAGE_MAX_BYTES: usize = 1024;
/// Language ranges of one `Accept-Language` header considered; the rest are ignored.
pub(crate) const ACCEPT_LANGUAGE_RANGES_MAX: usize = 32;

/// A language: a BCP 47 language identifier such as `ja` or `zh-Hant`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Language(LanguageIdentifier);

impl Language {
    /// Parses a BCP 47 tag (`"ja"`, `"zh-Hant-TW"`); `None` if it is not one.
    pub fn parse(tag: &str) -> Option<Self> {
        tag.parse::<LanguageIdentifier>().ok().map(Self)
    }

    fn builtin(tag: &str) -> Self {
        Self(tag.parse().unwrap_or_default())
    }

    /// English (`en`), the fallback.
    pub fn english() -> Self {
        Self::builtin("en")
    }

    /// Japanese (`ja`).
    pub fn japanese() -> Self {
        Self::builtin("ja")
    }

    /// Traditional Chinese (`zh-Hant`), as written in Taiwan and Hong Kong.
    pub fn traditional_chinese() -> Self {
        Self::builtin("zh-Hant")
    }

    /// Thai (`th`).
    pub fn thai() -> Self {
        Self::builtin("th")
    }

    /// Indonesian (`id`).
    pub fn indonesian() -> Self {
        Self::builtin("id")
    }

    /// The value for the HTML `lang` attribute (the BCP 47 tag).
    pub fn html_lang(&self) -> String {
        self.0.to_string()
    }

    /// The tag sent to LINE as `ui_locales` for this language: the BCP 47 tag, except
    /// Traditional Chinese, sent as `zh-TW` (the tag LINE's own apps use for it).
    pub fn ui_locale(&self) -> String {
        if self.0.language.as_str() == "zh" && self.0.script.is_some_and(|s| s.as_str() == "Hant") {
            match self.0.region {
                Some(region) => format!("zh-{}", region.as_str()),
                None => "zh-TW".to_owned(),
            }
        } else {
            self.0.to_string()
        }
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Language({})", self.0)
    }
}

/// A catalogue could not be added.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MessagesError {
    /// The tag is not a BCP 47 language identifier.
    #[error("{0:?} is not a BCP 47 language tag")]
    InvalidTag(String),
    /// The Fluent source does not parse.
    #[error("the messages for {language} do not parse: {errors}")]
    Syntax {
        /// The catalogue's language.
        language: String,
        /// The parser's complaints.
        errors: String,
    },
}

struct Catalogue {
    language: Language,
    bundle: FluentBundle<FluentResource>,
}

struct Inner {
    catalogues: Vec<Catalogue>,
    available: Vec<LanguageIdentifier>,
    forced: Option<Language>,
}

/// A message catalogue in several languages, with the negotiation of a request's language.
/// Cheap to clone.
#[derive(Clone)]
pub struct Messages(Arc<Inner>);

impl fmt::Debug for Messages {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Messages")
            .field("languages", &self.languages())
            .field("forced", &self.0.forced)
            .finish()
    }
}

impl Default for Messages {
    fn default() -> Self {
        Self::builtin()
    }
}

impl Messages {
    /// The crate's own catalogue in every built-in language, negotiated per request.
    pub fn builtin() -> Self {
        static BUILTIN: OnceLock<Messages> = OnceLock::new();
        BUILTIN
            .get_or_init(|| Messages::builder().builtin().build())
            .clone()
    }

    /// An empty builder; call [`MessagesBuilder::builtin`] to start from the crate's messages.
    pub fn builder() -> MessagesBuilder {
        MessagesBuilder::default()
    }

    /// The languages with a catalogue, English first.
    pub fn languages(&self) -> Vec<Language> {
        self.0
            .catalogues
            .iter()
            .map(|c| c.language.clone())
            .collect()
    }

    /// The language forced with [`MessagesBuilder::force`], if any.
    pub fn forced(&self) -> Option<&Language> {
        self.0.forced.as_ref()
    }

    /// The best language for an `Accept-Language` header value: the visitor's ranges in order of
    /// quality (ranges with `q=0` excluded), each matched to the available languages by
    /// [`fluent_langneg`] (so `zh-TW` finds `zh-Hant` and `th-TH` finds `th`); English when
    /// nothing matches, for `*`, and for a malformed or over-long header
    /// (over 1,024 bytes).
    pub fn negotiate(&self, accept_language: &str) -> Language {
        let requested = requested_languages(accept_language);
        let default = Language::english().0;
        negotiate_languages(
            &requested,
            &self.0.available,
            Some(&default),
            NegotiationStrategy::Lookup,
        )
        .first()
        .map(|id| Language((*id).clone()))
        .unwrap_or_else(Language::english)
    }

    /// The language of one request: a [`Language`] in its extensions (the app's choice, e.g. from
    /// a cookie), else the forced language, else [`Self::negotiate`] on its `Accept-Language`.
    pub fn language_for(&self, parts: &http::request::Parts) -> Language {
        if let Some(language) = parts.extensions.get::<Language>() {
            return language.clone();
        }
        self.language_for_headers(&parts.headers)
    }

    /// The forced language, else [`Self::negotiate`] on the headers' `Accept-Language`.
    pub fn language_for_headers(&self, headers: &HeaderMap) -> Language {
        if let Some(forced) = &self.0.forced {
            return forced.clone();
        }
        let header = headers
            .get(http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        self.negotiate(header)
    }

    /// The message `id` in `language`, else in English, else the id itself.
    pub fn get(&self, language: &Language, id: &str) -> String {
        self.format(language, id, None, None)
    }

    /// The attribute `attribute` of message `id` (e.g. an error's `.title`), with the same
    /// fallbacks as [`Self::get`].
    pub fn attribute(&self, language: &Language, id: &str, attribute: &str) -> String {
        self.format(language, id, Some(attribute), None)
    }

    /// The message `id` with its `{ $name }` placeables filled from `args`.
    pub fn get_with(&self, language: &Language, id: &str, args: &[(&str, &str)]) -> String {
        let mut fluent_args = FluentArgs::new();
        for (name, value) in args {
            fluent_args.set(*name, *value);
        }
        self.format(language, id, None, Some(&fluent_args))
    }

    fn format(
        &self,
        language: &Language,
        id: &str,
        attribute: Option<&str>,
        args: Option<&FluentArgs<'_>>,
    ) -> String {
        let english = Language::english();
        [language, &english]
            .into_iter()
            .filter_map(|lang| self.0.catalogues.iter().find(|c| &c.language == lang))
            .find_map(|catalogue| {
                let message = catalogue.bundle.get_message(id)?;
                let pattern = match attribute {
                    Some(name) => message.get_attribute(name)?.value(),
                    None => message.value()?,
                };
                let mut errors = Vec::new();
                let text = catalogue.bundle.format_pattern(pattern, args, &mut errors);
                Some(text.into_owned())
            })
            .unwrap_or_else(|| id.to_owned())
    }
}

/// The visitor's languages from an `Accept-Language` value, best first (RFC 9110 §12.5.4).
fn requested_languages(header: &str) -> Vec<LanguageIdentifier> {
    if header.len() > ACCEPT_LANGUAGE_MAX_BYTES {
        return Vec::new();
    }
    let mut ranges: Vec<(u16, LanguageIdentifier)> = header
        .split(',')
        .take(ACCEPT_LANGUAGE_RANGES_MAX)
        .filter_map(|item| {
            let mut params = item.split(';');
            let range = params.next()?.trim();
            let mut quality = 1000;
            for param in params {
                let (name, value) = param.split_once('=')?;
                if name.trim().eq_ignore_ascii_case("q") {
                    quality = parse_quality(value.trim())?;
                }
            }
            if quality == 0 || range == "*" {
                return None;
            }
            Some((quality, range.parse::<LanguageIdentifier>().ok()?))
        })
        .collect();
    // Stable: ranges of equal quality keep the visitor's order.
    ranges.sort_by_key(|(quality, _)| std::cmp::Reverse(*quality));
    ranges.into_iter().map(|(_, id)| id).collect()
}

/// A `qvalue` (`0`, `0.5`, `1.000`) in thousandths; `None` if malformed.
fn parse_quality(value: &str) -> Option<u16> {
    let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths: u16 = format!("{fraction:0<3}").parse().ok()?;
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// Collects catalogues; see [`Messages`].
#[derive(Default)]
pub struct MessagesBuilder {
    catalogues: Vec<Catalogue>,
    forced: Option<Language>,
}

impl fmt::Debug for MessagesBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MessagesBuilder")
            .field("forced", &self.forced)
            .finish_non_exhaustive()
    }
}

impl MessagesBuilder {
    /// Adds the crate's catalogues in every built-in language.
    pub fn builtin(mut self) -> Self {
        for (tag, source) in BUILTIN_CATALOGUES {
            // The built-in sources parse (a test checks it); a partial parse is still kept.
            let resource = FluentResource::try_new((*source).to_owned()).unwrap_or_else(|(r, _)| r);
            self.add(Language::builtin(tag), resource);
        }
        self
    }

    /// Adds the Fluent `source` to the catalogue of language `tag` (creating it if needed); its
    /// messages replace those of the same id added before, so a company can override any
    /// built-in message or add a language.
    pub fn resource(mut self, tag: &str, source: &str) -> Result<Self, MessagesError> {
        let language =
            Language::parse(tag).ok_or_else(|| MessagesError::InvalidTag(tag.to_owned()))?;
        let resource = FluentResource::try_new(source.to_owned()).map_err(|(_, errors)| {
            MessagesError::Syntax {
                language: language.to_string(),
                errors: errors
                    .iter()
                    .map(|e| e.to_string())
                    .collect::<Vec<_>>()
                    .join("; "),
            }
        })?;
        self.add(language, resource);
        Ok(self)
    }

    /// Always answers in `language` (ignores `Accept-Language`); a [`Language`] in a request's
    /// extensions still wins.
    pub fn force(mut self, language: Language) -> Self {
        self.forced = Some(language);
        self
    }

    fn add(&mut self, language: Language, resource: FluentResource) {
        let index = match self.catalogues.iter().position(|c| c.language == language) {
            Some(index) => index,
            None => {
                let mut bundle = FluentBundle::new_concurrent(vec![language.0.clone()]);
                // Text goes into HTML and JSON: no Unicode isolation marks around placeables.
                bundle.set_use_isolating(false);
                self.catalogues.push(Catalogue { language, bundle });
                self.catalogues.len() - 1
            }
        };
        self.catalogues[index]
            .bundle
            .add_resource_overriding(resource);
    }

    /// The catalogue.
    pub fn build(self) -> Messages {
        let available = self
            .catalogues
            .iter()
            .map(|c| c.language.0.clone())
            .collect();
        Messages(Arc::new(Inner {
            catalogues: self.catalogues,
            available,
            forced: self.forced,
        }))
    }
}

/// Every message id of a Fluent source, with its attribute names (`id` and `id.attr`).
pub fn message_ids(source: &str) -> Vec<String> {
    let resource = FluentResource::try_new(source.to_owned()).unwrap_or_else(|(r, _)| r);
    let mut ids = Vec::new();
    for entry in resource.entries() {
        if let fluent_syntax::ast::Entry::Message(message) = entry {
            ids.push(message.id.name.to_owned());
            for attribute in &message.attributes {
                ids.push(format!("{}.{}", message.id.name, attribute.id.name));
            }
        }
    }
    ids
}

/// The English text of message `id` as a `&'static str`, for [`crate::LoginError::user_message`].
pub(crate) fn english_static(id: &str) -> &'static str {
    static ENGLISH: OnceLock<HashMap<String, &'static str>> = OnceLock::new();
    let table = ENGLISH.get_or_init(|| {
        let messages = Messages::builtin();
        message_ids(BUILTIN_CATALOGUES[0].1)
            .into_iter()
            .filter(|id| !id.contains('.'))
            .map(|id| {
                let text: &'static str = Box::leak(messages.get(&Language::english(), &id).into());
                (id, text)
            })
            .collect()
    });
    table.get(id).copied().unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn negotiate(header: &str) -> String {
        Messages::builtin().negotiate(header).to_string()
    }

    #[test]
    fn negotiation_honours_quality_values() {
        assert_eq!(negotiate("ja;q=0.9, en;q=0.8"), "ja");
        assert_eq!(negotiate("en;q=0.8, ja;q=0.9"), "ja");
        assert_eq!(negotiate("en;q=0.5, th"), "th");
        assert_eq!(negotiate("fr, de;q=0.9, ja;q=0.1"), "ja");
        assert_eq!(
            negotiate("ja;q=0, en;q=0.1"),
            "en",
            "q=0 means not acceptable"
        );
        assert_eq!(negotiate("th;q=1.000, ja;q=0.999"), "th");
        assert_eq!(
            negotiate("th;Q=0.2, ja;q=0.3"),
            "ja",
            "q is case-insensitive"
        );
    }

    #[test]
    fn negotiation_matches_regions_and_scripts() {
        assert_eq!(negotiate("zh-TW"), "zh-Hant");
        assert_eq!(negotiate("zh-Hant-TW"), "zh-Hant");
        assert_eq!(negotiate("zh-HK,zh;q=0.9"), "zh-Hant");
        assert_eq!(negotiate("th-TH,th;q=0.9,en-US;q=0.8"), "th");
        assert_eq!(negotiate("ja-JP"), "ja");
        assert_eq!(negotiate("id-ID"), "id");
        assert_eq!(negotiate("en-GB"), "en");
    }

    #[test]
    fn negotiation_falls_back_to_english_on_wildcards_garbage_and_overlong_headers() {
        assert_eq!(negotiate("*"), "en");
        assert_eq!(negotiate(""), "en");
        assert_eq!(negotiate("fr-FR, de"), "en");
        for garbage in [
            ";;;,,=q=,😀",
            "ja;q=nan",
            "ja;q=inf",
            "ja;q=2",
            "ja;q=-1",
            "ja;q=0.5.5",
            "ja;q",
            "\u{0}ja",
            "ja;q=0.1234",
        ] {
            assert_eq!(negotiate(garbage), "en", "{garbage:?}");
        }
        // Quality values that float parsing would take as NaN never reach a sort.
        let many_nan = "ja;q=nan,th;q=0.5,".repeat(30);
        assert_eq!(negotiate(&many_nan), "th");
        let overlong = format!("{}ja", "x-private, ".repeat(200));
        assert!(overlong.len() > ACCEPT_LANGUAGE_MAX_BYTES);
        assert_eq!(negotiate(&overlong), "en");
        let many_ranges = format!("{}ja", "fr,".repeat(ACCEPT_LANGUAGE_RANGES_MAX));
        assert!(many_ranges.len() <= ACCEPT_LANGUAGE_MAX_BYTES);
        assert_eq!(
            negotiate(&many_ranges),
            "en",
            "ranges past the limit are ignored"
        );
    }

    #[test]
    fn forced_language_wins_over_accept_language_and_extension_wins_over_forced() {
        let messages = Messages::builder()
            .builtin()
            .force(Language::thai())
            .build();
        let (mut parts, ()) = http::Request::builder()
            .header("accept-language", "ja")
            .body(())
            .unwrap()
            .into_parts();
        assert_eq!(messages.language_for(&parts), Language::thai());
        parts.extensions.insert(Language::indonesian());
        assert_eq!(messages.language_for(&parts), Language::indonesian());
    }

    #[test]
    fn missing_messages_fall_back_to_english_then_to_the_id() {
        let messages = Messages::builder()
            .builtin()
            .resource("ko", "page-try-again = 다시 시도")
            .unwrap()
            .build();
        let korean = Language::parse("ko").unwrap();
        assert_eq!(messages.get(&korean, "page-try-again"), "다시 시도");
        assert_eq!(messages.get(&korean, "page-home"), "Back to the home page");
        assert_eq!(messages.get(&korean, "no-such-message"), "no-such-message");
    }

    #[test]
    fn overriding_a_message_keeps_the_others() {
        let messages = Messages::builder()
            .builtin()
            .resource("en", "page-home = Home")
            .unwrap()
            .build();
        assert_eq!(messages.get(&Language::english(), "page-home"), "Home");
        assert_eq!(
            messages.get(&Language::english(), "page-try-again"),
            "Try again"
        );
    }

    #[test]
    fn bad_catalogues_are_refused() {
        assert!(matches!(
            Messages::builder().resource("not a tag!", "a = b"),
            Err(MessagesError::InvalidTag(_))
        ));
        assert!(matches!(
            Messages::builder().resource("ja", "= no id"),
            Err(MessagesError::Syntax { .. })
        ));
    }

    #[test]
    fn placeables_are_filled_without_isolation_marks() {
        let messages = Messages::builtin();
        let title = messages.get_with(&Language::japanese(), "page-title", &[("title", "X")]);
        assert_eq!(title, "ログイン: X");
    }

    #[test]
    fn traditional_chinese_is_sent_to_line_as_zh_tw() {
        assert_eq!(Language::traditional_chinese().ui_locale(), "zh-TW");
        assert_eq!(Language::parse("zh-Hant-HK").unwrap().ui_locale(), "zh-HK");
        assert_eq!(Language::japanese().ui_locale(), "ja");
        assert_eq!(Language::thai().html_lang(), "th");
        assert_eq!(Language::traditional_chinese().html_lang(), "zh-Hant");
    }

    #[test]
    fn every_language_has_exactly_the_english_messages() {
        let english = message_ids(BUILTIN_CATALOGUES[0].1);
        assert!(english.len() > 40, "{english:?}");
        for (tag, source) in &BUILTIN_CATALOGUES[1..] {
            let ids = message_ids(source);
            let missing: Vec<_> = english.iter().filter(|id| !ids.contains(id)).collect();
            let extra: Vec<_> = ids.iter().filter(|id| !english.contains(id)).collect();
            assert!(missing.is_empty(), "{tag} lacks {missing:?}");
            assert!(
                extra.is_empty(),
                "{tag} has messages English lacks: {extra:?}"
            );
        }
    }

    #[test]
    fn builtin_catalogues_parse_without_errors() {
        for (tag, source) in BUILTIN_CATALOGUES {
            assert!(
                Messages::builder().resource(tag, source).is_ok(),
                "{tag} does not parse"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn negotiation_never_panics_and_always_answers_an_available_language(
            header in "[a-zA-Z0-9*;=.,\\- ]{0,1200}|\\PC{0,300}"
        ) {
            let messages = Messages::builtin();
            let language = messages.negotiate(&header);
            proptest::prop_assert!(messages.languages().contains(&language));
        }
    }
}
