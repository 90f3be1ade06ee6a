//! The claims of an ID token: the borrowed, parse-once view used during verification, and the
//! owned [`VerifiedIdToken`] that only a successful verification builds.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::IdTokenAlgorithm;

/// An authentication method reference (`amr`): how the user logged in to LINE.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Amr {
    /// `pwd`: email and password.
    Pwd,
    /// `lineautologin`: LINE's auto login (including the LINE SDK).
    LineAutoLogin,
    /// `lineqr`: QR code login.
    LineQr,
    /// `linesso`: single sign-on.
    LineSso,
    /// `mfa`: two-factor authentication.
    Mfa,
    /// A value this crate does not know yet, kept as sent.
    Other(String),
}

impl Amr {
    /// The value as LINE spells it.
    pub fn as_str(&self) -> &str {
        match self {
            Amr::Pwd => "pwd",
            Amr::LineAutoLogin => "lineautologin",
            Amr::LineQr => "lineqr",
            Amr::LineSso => "linesso",
            Amr::Mfa => "mfa",
            Amr::Other(other) => other,
        }
    }

    /// Reads one `amr` value; unknown values become [`Amr::Other`].
    pub fn parse(value: &str) -> Self {
        match value {
            "pwd" => Amr::Pwd,
            "lineautologin" => Amr::LineAutoLogin,
            "lineqr" => Amr::LineQr,
            "linesso" => Amr::LineSso,
            "mfa" => Amr::Mfa,
            other => Amr::Other(other.to_owned()),
        }
    }
}

impl fmt::Display for Amr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Amr {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Amr {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct AmrVisitor;
        impl Visitor<'_> for AmrVisitor {
            type Value = Amr;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an amr string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Amr, E> {
                Ok(Amr::parse(v))
            }
        }
        deserializer.deserialize_str(AmrVisitor)
    }
}

/// The `amr` values of a token, without a heap allocation for the usual single value.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) enum AmrList {
    #[default]
    Empty,
    One(Amr),
    Many(Vec<Amr>),
}

impl AmrList {
    pub(crate) fn push(self, amr: Amr) -> Self {
        match self {
            AmrList::Empty => AmrList::One(amr),
            AmrList::One(first) => AmrList::Many(vec![first, amr]),
            AmrList::Many(mut all) => {
                all.push(amr);
                AmrList::Many(all)
            }
        }
    }

    pub(crate) fn as_slice(&self) -> &[Amr] {
        match self {
            AmrList::Empty => &[],
            AmrList::One(one) => std::slice::from_ref(one),
            AmrList::Many(many) => many,
        }
    }
}

impl FromIterator<Amr> for AmrList {
    fn from_iter<I: IntoIterator<Item = Amr>>(iter: I) -> Self {
        iter.into_iter().fold(AmrList::Empty, AmrList::push)
    }
}

impl<'de> Deserialize<'de> for AmrList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ListVisitor;
        impl<'de> Visitor<'de> for ListVisitor {
            type Value = AmrList;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of amr strings")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<AmrList, A::Error> {
                let mut list = AmrList::Empty;
                while let Some(amr) = seq.next_element::<Amr>()? {
                    list = list.push(amr);
                }
                Ok(list)
            }
        }
        deserializer.deserialize_seq(ListVisitor)
    }
}

/// Where one text claim sits in [`VerifiedIdToken`]'s text buffer.
#[derive(Clone, Copy, Debug)]
struct Span {
    start: usize,
    end: usize,
}

/// What a verification hands over to build a [`VerifiedIdToken`].
pub(crate) struct Parts<'a> {
    pub(crate) algorithm: IdTokenAlgorithm,
    pub(crate) sub: &'a str,
    /// The accepted channel found in `aud`.
    pub(crate) audience: &'a str,
    pub(crate) name: Option<&'a str>,
    pub(crate) picture: Option<&'a str>,
    pub(crate) email: Option<&'a str>,
    pub(crate) nonce: Option<&'a str>,
    pub(crate) amr: AmrList,
    /// Dates in UNIX seconds, already checked with [`super::check_date`].
    pub(crate) auth_time: Option<i64>,
    pub(crate) iat: i64,
    pub(crate) exp: i64,
    pub(crate) extra: Map<String, Value>,
}

/// An ID token whose signature and claims were checked. Only verification builds one.
///
/// Serializes as a claims object (`sub`, `name`, `picture`, `email`, `amr`, `auth_time`, `iat`,
/// `exp` in UNIX seconds, then the extra claims); the nonce, already used, is left out. `Debug`
/// redacts the nonce and the personal fields (name, picture, email).
#[derive(Clone)]
pub struct VerifiedIdToken {
    algorithm: IdTokenAlgorithm,
    /// `sub`, `name`, `picture`, `email` and `nonce` in one allocation.
    text: String,
    sub: Span,
    audience: Span,
    name: Option<Span>,
    picture: Option<Span>,
    email: Option<Span>,
    nonce: Option<Span>,
    amr: AmrList,
    /// Dates in UNIX seconds, in `OffsetDateTime`'s range (checked at verification).
    auth_time: Option<i64>,
    iat: i64,
    exp: i64,
    extra: Map<String, Value>,
}

impl VerifiedIdToken {
    /// Builds the token from verified parts (crate-internal: only verification calls it).
    pub(crate) fn assemble(parts: Parts<'_>) -> Self {
        let fields = [parts.name, parts.picture, parts.email, parts.nonce];
        // Only a capacity hint: a wrong sum (say `*` for `+`) changes no result.
        let len = parts.sub.len()
            + parts.audience.len()
            + fields.iter().flatten().map(|s| s.len()).sum::<usize>();
        let mut text = String::with_capacity(len);
        let mut push = |value: &str| {
            let start = text.len();
            text.push_str(value);
            Span {
                start,
                end: text.len(),
            }
        };
        let sub = push(parts.sub);
        let audience = push(parts.audience);
        let [name, picture, email, nonce] = fields.map(|f| f.map(&mut push));
        Self {
            algorithm: parts.algorithm,
            text,
            sub,
            audience,
            name,
            picture,
            email,
            nonce,
            amr: parts.amr,
            auth_time: parts.auth_time,
            iat: parts.iat,
            exp: parts.exp,
            extra: parts.extra,
        }
    }

    pub(crate) fn exp_secs(&self) -> i64 {
        self.exp
    }

    pub(crate) fn iat_secs(&self) -> i64 {
        self.iat
    }

    fn text(&self, span: Span) -> &str {
        self.text.get(span.start..span.end).unwrap_or_default()
    }

    /// The LINE user ID (`sub`), `U` followed by 32 hex digits for LINE's tokens.
    pub fn sub(&self) -> &str {
        self.text(self.sub)
    }
    /// The channel the token was verified for: the accepted channel ID found in its `aud` (the
    /// configured channel, or an extra token audience such as a LIFF or MINI App channel).
    pub fn audience(&self) -> &str {
        self.text(self.audience)
    }
    /// The display name (`name`, with the `profile` scope).
    pub fn name(&self) -> Option<&str> {
        self.name.map(|s| self.text(s))
    }
    /// The profile picture URL (`picture`, with the `profile` scope).
    pub fn picture(&self) -> Option<&str> {
        self.picture.map(|s| self.text(s))
    }
    /// The email address: `Some` only when the `email` scope was requested, the channel has the
    /// email permission and the user granted it; `None` means it was not granted.
    pub fn email(&self) -> Option<&str> {
        self.email.map(|s| self.text(s))
    }
    /// How the user authenticated; empty when the token has no `amr`.
    pub fn amr(&self) -> &[Amr] {
        self.amr.as_slice()
    }
    /// When the user authenticated (`auth_time`, present when `max_age` was requested).
    pub fn auth_time(&self) -> Option<OffsetDateTime> {
        self.auth_time.map(date)
    }
    /// When the token was issued (`iat`).
    pub fn issued_at(&self) -> OffsetDateTime {
        date(self.iat)
    }
    /// When the token expires (`exp`).
    pub fn expires_at(&self) -> OffsetDateTime {
        date(self.exp)
    }
    /// The token's `nonce`, already compared with the expected one when one was expected.
    pub fn nonce(&self) -> Option<&str> {
        self.nonce.map(|s| self.text(s))
    }
    /// The signature algorithm the token was verified with.
    pub fn algorithm(&self) -> IdTokenAlgorithm {
        self.algorithm
    }
    /// The LINE Profile+ claims (real name, gender, birth date, phone number, address), typed;
    /// `None` when the token carries none. They stay in [`Self::extra_claims`] too.
    pub fn profile_plus(&self) -> Option<crate::profile_plus::ProfilePlus> {
        crate::profile_plus::ProfilePlus::from_claims(&self.extra)
    }
    /// Claims this crate has no field for, kept as sent (`iss` and `aud`, which verification
    /// compared with the expected values, are not kept).
    pub fn extra_claims(&self) -> &Map<String, Value> {
        &self.extra
    }
}

/// A date already checked to be in range (the fallback is never taken).
fn date(secs: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(secs).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

impl Serialize for VerifiedIdToken {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("sub", self.sub())?;
        for (key, value) in [
            ("name", self.name()),
            ("picture", self.picture()),
            ("email", self.email()),
        ] {
            if let Some(value) = value {
                map.serialize_entry(key, value)?;
            }
        }
        if !self.amr().is_empty() {
            map.serialize_entry("amr", self.amr())?;
        }
        if let Some(auth_time) = self.auth_time {
            map.serialize_entry("auth_time", &auth_time)?;
        }
        map.serialize_entry("iat", &self.iat)?;
        map.serialize_entry("exp", &self.exp)?;
        for (key, value) in &self.extra {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl fmt::Debug for VerifiedIdToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = |present: bool| if present { "Some([redacted])" } else { "None" };
        f.debug_struct("VerifiedIdToken")
            .field("algorithm", &self.algorithm)
            .field("sub", &self.sub())
            .field("name", &format_args!("{}", redacted(self.name.is_some())))
            .field(
                "picture",
                &format_args!("{}", redacted(self.picture.is_some())),
            )
            .field("email", &format_args!("{}", redacted(self.email.is_some())))
            .field("amr", &self.amr())
            .field("auth_time", &self.auth_time)
            .field("iat", &self.iat)
            .field("exp", &self.exp)
            .field("nonce", &format_args!("{}", redacted(self.nonce.is_some())))
            .field(
                "extra_claims",
                &self.extra.keys().map(String::as_str).collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// `aud`: one string or an array of strings.
#[derive(Debug)]
pub(crate) enum Audience<'a> {
    One(Cow<'a, str>),
    Many(Vec<Cow<'a, str>>),
}

impl Audience<'_> {
    pub(crate) fn contains(&self, audience: &str) -> bool {
        match self {
            Audience::One(one) => one == audience,
            Audience::Many(many) => many.iter().any(|a| a == audience),
        }
    }
}

/// The payload, parsed once, borrowing its strings from the decoded payload when they have no
/// escapes.
#[derive(Debug, Default)]
pub(crate) struct RawClaims<'a> {
    pub(crate) iss: Option<Cow<'a, str>>,
    pub(crate) sub: Option<Cow<'a, str>>,
    pub(crate) aud: Option<Audience<'a>>,
    pub(crate) exp: Option<i64>,
    pub(crate) iat: Option<i64>,
    pub(crate) auth_time: Option<i64>,
    pub(crate) nonce: Option<Cow<'a, str>>,
    pub(crate) name: Option<Cow<'a, str>>,
    pub(crate) picture: Option<Cow<'a, str>>,
    pub(crate) email: Option<Cow<'a, str>>,
    pub(crate) amr: Option<AmrList>,
    pub(crate) extra: Map<String, Value>,
}

/// A string that borrows from the input when it can.
struct Str<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Str<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StrVisitor;
        impl<'de> Visitor<'de> for StrVisitor {
            type Value = Str<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(StrVisitor)
    }
}

/// A NumericDate: integer seconds (a fractional value is truncated).
struct NumericDate(i64);

impl<'de> Deserialize<'de> for NumericDate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DateVisitor;
        impl Visitor<'_> for DateVisitor {
            type Value = NumericDate;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number of seconds since 1970")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<NumericDate, E> {
                Ok(NumericDate(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<NumericDate, E> {
                i64::try_from(v)
                    .map(NumericDate)
                    .map_err(|_| E::custom("a date out of range"))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<NumericDate, E> {
                // i64 bounds as f64; `as` saturates but we refuse instead of clamping.
                if v.is_finite() && (-9.0e18..9.0e18).contains(&v) {
                    Ok(NumericDate(v.trunc() as i64))
                } else {
                    Err(E::custom("a date out of range"))
                }
            }
        }
        deserializer.deserialize_any(DateVisitor)
    }
}

impl<'de> Deserialize<'de> for Audience<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct AudVisitor;
        impl<'de> Visitor<'de> for AudVisitor {
            type Value = Audience<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or an array of strings")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Audience::One(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Audience::One(Cow::Owned(v.to_owned())))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut all = Vec::with_capacity(seq.size_hint().unwrap_or(1).min(8));
                while let Some(Str(one)) = seq.next_element()? {
                    all.push(one);
                }
                Ok(Audience::Many(all))
            }
        }
        deserializer.deserialize_any(AudVisitor)
    }
}

/// A claim name: the known ones without allocating, others kept for `extra`.
enum Field<'a> {
    Iss,
    Sub,
    Aud,
    Exp,
    Iat,
    AuthTime,
    Nonce,
    Name,
    Picture,
    Email,
    Amr,
    Other(Cow<'a, str>),
}

impl<'a> Field<'a> {
    fn known(name: &str) -> Option<Field<'a>> {
        Some(match name {
            "iss" => Field::Iss,
            "sub" => Field::Sub,
            "aud" => Field::Aud,
            "exp" => Field::Exp,
            "iat" => Field::Iat,
            "auth_time" => Field::AuthTime,
            "nonce" => Field::Nonce,
            "name" => Field::Name,
            "picture" => Field::Picture,
            "email" => Field::Email,
            "amr" => Field::Amr,
            _ => return None,
        })
    }
}

impl<'de> Deserialize<'de> for Field<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FieldVisitor;
        impl<'de> Visitor<'de> for FieldVisitor {
            type Value = Field<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a claim name")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Field::known(v).unwrap_or(Field::Other(Cow::Borrowed(v))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Field::known(v).unwrap_or_else(|| Field::Other(Cow::Owned(v.to_owned()))))
            }
        }
        deserializer.deserialize_identifier(FieldVisitor)
    }
}

impl<'de> Deserialize<'de> for RawClaims<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ClaimsVisitor;
        impl<'de> Visitor<'de> for ClaimsVisitor {
            type Value = RawClaims<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object of claims")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut c = RawClaims::default();
                // A claim twice is refused: two `iss` could be read differently by different
                // parsers. `null` counts as absent.
                let mut seen = [false; 11];
                while let Some(field) = map.next_key::<Field<'de>>()? {
                    let (index, name) = match &field {
                        Field::Iss => (0, "iss"),
                        Field::Sub => (1, "sub"),
                        Field::Aud => (2, "aud"),
                        Field::Exp => (3, "exp"),
                        Field::Iat => (4, "iat"),
                        Field::AuthTime => (5, "auth_time"),
                        Field::Nonce => (6, "nonce"),
                        Field::Name => (7, "name"),
                        Field::Picture => (8, "picture"),
                        Field::Email => (9, "email"),
                        Field::Amr => (10, "amr"),
                        Field::Other(_) => (usize::MAX, ""),
                    };
                    if index != usize::MAX {
                        if seen[index] {
                            return Err(de::Error::custom(format_args!("duplicate claim {name}")));
                        }
                        seen[index] = true;
                    }
                    let s = |v: Option<Str<'de>>| v.map(|Str(s)| s);
                    let d = |v: Option<NumericDate>| v.map(|NumericDate(d)| d);
                    match field {
                        Field::Iss => c.iss = s(map.next_value()?),
                        Field::Sub => c.sub = s(map.next_value()?),
                        Field::Aud => c.aud = map.next_value()?,
                        Field::Exp => c.exp = d(map.next_value()?),
                        Field::Iat => c.iat = d(map.next_value()?),
                        Field::AuthTime => c.auth_time = d(map.next_value()?),
                        Field::Nonce => c.nonce = s(map.next_value()?),
                        Field::Name => c.name = s(map.next_value()?),
                        Field::Picture => c.picture = s(map.next_value()?),
                        Field::Email => c.email = s(map.next_value()?),
                        Field::Amr => c.amr = map.next_value()?,
                        Field::Other(name) => {
                            let value: Value = map.next_value()?;
                            let name = name.into_owned();
                            if c.extra.contains_key(&name) {
                                return Err(de::Error::custom("duplicate claim"));
                            }
                            c.extra.insert(name, value);
                        }
                    }
                }
                Ok(c)
            }
        }
        deserializer.deserialize_map(ClaimsVisitor)
    }
}

/// Parses the decoded payload. Error messages say what kind of problem and where, never echo
/// claim values (a nonce is a secret), and never the visitors' `expecting` texts either (those
/// are for serde's own messages, tested on their own).
pub(crate) fn parse_claims(payload: &[u8]) -> Result<RawClaims<'_>, String> {
    serde_json::from_slice::<RawClaims<'_>>(payload).map_err(|e| {
        let kind = match e.classify() {
            serde_json::error::Category::Syntax => "the payload is not valid JSON",
            serde_json::error::Category::Eof => "the payload JSON is truncated",
            serde_json::error::Category::Io => "the payload could not be read",
            serde_json::error::Category::Data => {
                let text = e.to_string();
                if text.starts_with("duplicate claim") {
                    return format!("{} (column {})", short(&text), e.column());
                }
                "a claim has the wrong type or the payload is not an object"
            }
        };
        format!("{kind} (column {})", e.column())
    })
}

/// The part of a serde message before " at line", which only carries a claim name we wrote.
fn short(text: &str) -> &str {
    text.split(" at line").next().unwrap_or(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each visitor says what it expected in serde's own message (the text `parse_claims`
    /// replaces with its fixed one): a wrong type names the expected shape.
    #[test]
    fn each_claim_visitor_names_what_it_expected() {
        fn expected<T: for<'de> Deserialize<'de>>(json: &str) -> String {
            match serde_json::from_str::<T>(json) {
                Ok(_) => panic!("{json} should not parse"),
                Err(error) => error.to_string(),
            }
        }
        fn expected_borrowed<'a, T: Deserialize<'a>>(json: &'a str) -> String {
            match serde_json::from_str::<T>(json) {
                Ok(_) => panic!("{json} should not parse"),
                Err(error) => error.to_string(),
            }
        }
        assert!(expected::<Amr>("1").contains("an amr string"));
        assert!(expected::<AmrList>("1").contains("an array of amr strings"));
        assert!(expected_borrowed::<Str<'_>>("1").contains("a string"));
        assert!(expected::<NumericDate>("\"x\"").contains("a number of seconds since 1970"));
        assert!(expected_borrowed::<Audience<'_>>("1").contains("a string or an array of strings"));
        assert!(expected_borrowed::<Field<'_>>("1").contains("a claim name"));
        assert!(expected_borrowed::<RawClaims<'_>>("1").contains("a JSON object of claims"));
    }

    #[test]
    fn known_claims_are_typed_and_unknown_ones_kept() {
        let payload =
            br#"{"iss":"https://access.line.me","sub":"U1","aud":"123","exp":10,"iat":1.5,
            "amr":["pwd","faceid"],"name":"Ta\u0072o","custom":{"a":1}}"#;
        let c = parse_claims(payload).unwrap();
        assert!(matches!(
            c.iss,
            Some(Cow::Borrowed("https://access.line.me"))
        ));
        assert!(matches!(c.name.as_deref(), Some("Taro")));
        assert!(matches!(c.aud, Some(Audience::One(_))));
        assert_eq!(c.exp, Some(10));
        assert_eq!(c.iat, Some(1));
        assert_eq!(
            c.amr.unwrap().as_slice(),
            [Amr::Pwd, Amr::Other("faceid".to_owned())]
        );
        assert_eq!(c.extra["custom"]["a"], 1);
    }

    #[test]
    fn audience_array_is_searched() {
        let c = parse_claims(br#"{"aud":["1","2"]}"#).unwrap();
        assert!(c.aud.as_ref().unwrap().contains("2"));
        assert!(!c.aud.as_ref().unwrap().contains("3"));
    }

    #[test]
    fn duplicate_claims_are_refused() {
        let err = parse_claims(br#"{"iss":"a","iss":"b"}"#).unwrap_err();
        assert!(err.contains("duplicate claim iss"), "{err}");
        assert!(parse_claims(br#"{"x":1,"x":2}"#).is_err());
    }

    #[test]
    fn errors_never_echo_claim_values() {
        let err = parse_claims(br#"{"nonce":12345678901234}"#).unwrap_err();
        assert!(!err.contains("12345678901234"), "{err}");
        let err = parse_claims(br#"{"exp":"secret-nonce-like"}"#).unwrap_err();
        assert!(!err.contains("secret-nonce-like"), "{err}");
    }

    #[test]
    fn null_is_absent_and_non_objects_are_refused() {
        let c = parse_claims(br#"{"name":null,"exp":null}"#).unwrap();
        assert!(c.name.is_none() && c.exp.is_none());
        assert!(parse_claims(b"[1,2]").is_err());
        assert!(parse_claims(b"{\"exp\":1e300}").is_err());
    }

    #[test]
    fn amr_round_trips_as_strings() {
        let all = [
            "pwd",
            "lineautologin",
            "lineqr",
            "linesso",
            "mfa",
            "webauthn",
        ];
        for value in all {
            let amr = Amr::parse(value);
            assert_eq!(amr.as_str(), value);
            assert_eq!(serde_json::to_value(&amr).unwrap(), value);
        }
        assert_eq!(Amr::parse("linesso"), Amr::LineSso);
    }

    #[test]
    fn every_known_claim_lands_in_its_own_field() {
        let payload = br#"{"iss":"https://access.line.me","sub":"U1","aud":"123","exp":30,
            "iat":20,"auth_time":10,"nonce":"n-1","name":"Taro","picture":"https://p/1",
            "email":"taro@example.com","amr":["mfa"]}"#;
        let c = parse_claims(payload).unwrap();
        assert_eq!(c.iss.as_deref(), Some("https://access.line.me"));
        assert_eq!(c.sub.as_deref(), Some("U1"));
        assert!(matches!(&c.aud, Some(Audience::One(aud)) if aud == "123"));
        assert_eq!((c.exp, c.iat, c.auth_time), (Some(30), Some(20), Some(10)));
        assert_eq!(c.nonce.as_deref(), Some("n-1"));
        assert_eq!(c.name.as_deref(), Some("Taro"));
        assert_eq!(c.picture.as_deref(), Some("https://p/1"));
        assert_eq!(c.email.as_deref(), Some("taro@example.com"));
        assert_eq!(c.amr.unwrap().as_slice(), [Amr::Mfa]);
        assert!(c.extra.is_empty(), "{:?}", c.extra);
    }

    #[test]
    fn a_single_audience_matches_only_itself() {
        let c = parse_claims(br#"{"aud":"123"}"#).unwrap();
        let aud = c.aud.unwrap();
        assert!(aud.contains("123"));
        assert!(!aud.contains("1234"));
        assert!(!aud.contains("12"));
    }

    #[test]
    fn amr_displays_and_deserializes_as_line_spells_it() {
        assert_eq!(Amr::LineQr.to_string(), "lineqr");
        assert_eq!(Amr::Other("faceid".to_owned()).to_string(), "faceid");
        let amr: Amr = serde_json::from_value(serde_json::json!("lineautologin")).unwrap();
        assert_eq!(amr, Amr::LineAutoLogin);
        let err = serde_json::from_value::<Amr>(serde_json::json!(1)).unwrap_err();
        assert!(err.to_string().contains("an amr string"), "{err}");
    }

    fn full_token() -> VerifiedIdToken {
        let mut extra = Map::new();
        extra.insert("given_name".to_owned(), Value::from("Taro"));
        extra.insert("tier".to_owned(), Value::from(3));
        VerifiedIdToken::assemble(Parts {
            algorithm: IdTokenAlgorithm::Es256,
            sub: "U1",
            audience: "2000000001",
            name: Some("Taro"),
            // Longer than `sub` and `audience` together, as LINE's picture URLs are.
            picture: Some("https://profile.line-scdn.net/0h1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d"),
            email: Some("taro@example.com"),
            nonce: Some("nonce-secret"),
            amr: [Amr::LineSso].into_iter().collect(),
            auth_time: Some(1_700_000_000),
            iat: 1_700_000_100,
            exp: 1_700_003_700,
            extra,
        })
    }

    #[test]
    fn a_verified_token_reads_back_every_claim() {
        let token = full_token();
        assert_eq!(token.sub(), "U1");
        assert_eq!(token.audience(), "2000000001");
        assert_eq!(token.name(), Some("Taro"));
        assert_eq!(
            token.picture(),
            Some("https://profile.line-scdn.net/0h1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d")
        );
        assert_eq!(token.email(), Some("taro@example.com"));
        assert_eq!(token.nonce(), Some("nonce-secret"));
        assert_eq!(token.amr(), [Amr::LineSso]);
        assert_eq!(token.algorithm(), IdTokenAlgorithm::Es256);
        let at = |secs| OffsetDateTime::from_unix_timestamp(secs).unwrap();
        assert_eq!(token.auth_time(), Some(at(1_700_000_000)));
        assert_eq!(token.issued_at(), at(1_700_000_100));
        assert_eq!(token.expires_at(), at(1_700_003_700));
        assert_eq!(
            (token.iat_secs(), token.exp_secs()),
            (1_700_000_100, 1_700_003_700)
        );
        assert_eq!(token.extra_claims()["tier"], 3);
        assert_eq!(
            token.profile_plus().and_then(|p| p.given_name).as_deref(),
            Some("Taro")
        );
    }

    #[test]
    fn a_verified_token_serializes_its_claims_without_the_nonce() {
        assert_eq!(
            serde_json::to_value(full_token()).unwrap(),
            serde_json::json!({
                "sub": "U1",
                "name": "Taro",
                "picture": "https://profile.line-scdn.net/0h1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d",
                "email": "taro@example.com",
                "amr": ["linesso"],
                "auth_time": 1_700_000_000,
                "iat": 1_700_000_100,
                "exp": 1_700_003_700,
                "given_name": "Taro",
                "tier": 3,
            })
        );
        // No `amr`, no `auth_time`, no personal fields: those keys are left out.
        let bare = VerifiedIdToken::assemble(Parts {
            algorithm: IdTokenAlgorithm::Hs256,
            sub: "U2",
            audience: "1",
            name: None,
            picture: None,
            email: None,
            nonce: None,
            amr: AmrList::Empty,
            auth_time: None,
            iat: 5,
            exp: 6,
            extra: Map::new(),
        });
        assert_eq!(
            serde_json::to_value(bare).unwrap(),
            serde_json::json!({"sub": "U2", "iat": 5, "exp": 6})
        );
    }

    #[test]
    fn a_verified_tokens_debug_redacts_the_nonce_and_personal_fields() {
        let debug = format!("{:?}", full_token());
        assert!(debug.starts_with("VerifiedIdToken {"), "{debug}");
        assert!(debug.contains(r#"sub: "U1""#), "{debug}");
        assert!(debug.contains("Some([redacted])"), "{debug}");
        assert!(
            debug.contains(r#"extra_claims: ["given_name", "tier"]"#),
            "{debug}"
        );
        for secret in [
            "Taro",
            "profile.line-scdn",
            "taro@example.com",
            "nonce-secret",
        ] {
            assert!(!debug.contains(secret), "{secret} in {debug}");
        }
    }
}
