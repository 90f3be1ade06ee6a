//! A strict fast path for the common shape of ID token claims: one flat JSON object whose
//! strings have no escapes, whose dates are integers and whose arrays hold strings. Anything
//! else (escapes, floats, nested values, duplicates, any syntax doubt) returns `None` and the
//! caller parses with serde_json, so this path never accepts what serde_json would refuse and
//! never reads a value differently.

use std::borrow::Cow;

use serde_json::{Number, Value};

use super::claims::{Amr, AmrList, Audience, RawClaims};

struct Scanner<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Scanner<'a> {
    #[inline(always)]
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    #[inline(always)]
    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.at += 1;
        }
    }

    #[inline(always)]
    fn eat(&mut self, byte: u8) -> Option<()> {
        self.skip_ws();
        if self.peek()? == byte {
            self.at += 1;
            Some(())
        } else {
            None
        }
    }

    /// A string without escapes or control characters; the scanner is on its opening quote.
    #[inline(always)]
    fn string(&mut self) -> Option<&'a str> {
        self.skip_ws();
        if self.peek()? != b'"' {
            return None;
        }
        let start = self.at + 1;
        let len = string_len(self.bytes.get(start..)?)?;
        let end = start + len;
        if self.bytes[end] != b'"' {
            return None;
        }
        self.at = end + 1;
        // Both ends sit next to an ASCII quote, so they are char boundaries of valid UTF-8.
        self.text.get(start..end)
    }

    /// An integer as JSON writes it (`-?(0|[1-9][0-9]*)`), not followed by a fraction or an
    /// exponent, within i64.
    #[inline(always)]
    fn integer(&mut self) -> Option<i64> {
        self.skip_ws();
        let negative = self.peek()? == b'-';
        if negative {
            self.at += 1;
        }
        let first = self.peek()?;
        if !first.is_ascii_digit() {
            return None;
        }
        let mut value: i64 = 0;
        let mut digits = 0;
        while let Some(b @ b'0'..=b'9') = self.peek() {
            value = value.checked_mul(10)?.checked_add(i64::from(b - b'0'))?;
            digits += 1;
            self.at += 1;
        }
        if first == b'0' && digits > 1 {
            return None;
        }
        // serde_json reads `-0` as a float; a fraction or an exponent is a float too.
        if matches!(self.peek(), Some(b'.' | b'e' | b'E')) || (negative && value == 0) {
            return None;
        }
        Some(if negative { -value } else { value })
    }

    #[inline(always)]
    fn literal(&mut self, word: &[u8]) -> bool {
        if self.bytes.get(self.at..self.at + word.len()) == Some(word) {
            self.at += word.len();
            true
        } else {
            false
        }
    }

    /// `null` (then `None`) or what `f` reads.
    #[inline(always)]
    fn nullable<T>(&mut self, f: impl FnOnce(&mut Self) -> Option<T>) -> Option<Option<T>> {
        self.skip_ws();
        if self.peek()? == b'n' {
            return self.literal(b"null").then_some(None);
        }
        f(self).map(Some)
    }

    /// `null` (leaving `slot` as it is: `None`) or a string, written straight into `slot`.
    #[inline(always)]
    fn text_into(&mut self, slot: &mut Option<Cow<'a, str>>) -> Option<()> {
        self.skip_ws();
        if self.peek()? == b'n' {
            return self.literal(b"null").then_some(());
        }
        *slot = Some(Cow::Borrowed(self.string()?));
        Some(())
    }

    /// `null` (leaving `slot` as it is: `None`) or an integer, written straight into `slot`.
    #[inline(always)]
    fn integer_into(&mut self, slot: &mut Option<i64>) -> Option<()> {
        self.skip_ws();
        if self.peek()? == b'n' {
            return self.literal(b"null").then_some(());
        }
        *slot = Some(self.integer()?);
        Some(())
    }

    /// `[ "a", "b" ]`, each string handed to `f`.
    fn string_array(&mut self, mut f: impl FnMut(&'a str)) -> Option<()> {
        self.eat(b'[')?;
        self.skip_ws();
        if self.peek()? == b']' {
            self.at += 1;
            return Some(());
        }
        loop {
            f(self.string()?);
            self.skip_ws();
            match self.peek()? {
                b',' => self.at += 1,
                b']' => {
                    self.at += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// A scalar value of an unknown claim; arrays and objects go to serde_json.
    fn scalar(&mut self) -> Option<Value> {
        self.skip_ws();
        match self.peek()? {
            b'"' => self.string().map(|s| Value::String(s.to_owned())),
            b'-' | b'0'..=b'9' => self.integer().map(|n| Value::Number(Number::from(n))),
            b't' => self.literal(b"true").then_some(Value::Bool(true)),
            b'f' => self.literal(b"false").then_some(Value::Bool(false)),
            b'n' => self.literal(b"null").then_some(Value::Null),
            _ => None,
        }
    }
}

/// Bytes before the first `"`, `\\` or control character, eight bytes at a time; `None` when
/// there is none.
#[inline(always)]
fn string_len(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let stop = |b: u8| b == b'"' || b == b'\\' || b < 0x20;
    let mut chunks = bytes.chunks_exact(8);
    let mut offset = 0;
    for chunk in &mut chunks {
        let Ok(word) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        let x = u64::from_le_bytes(word);
        // A byte is flagged when it is zero after XOR with '"' or '\\', or below 0x20. Only the
        // first flag is exact (borrows may flag later bytes), and only the first is used. No
        // byte is exactly flagged by two terms, so `^` for the `|` joining them finds the same
        // first flag (mutation testing lists those changes as equivalent).
        let quote = x ^ (ONES * u64::from(b'"'));
        let backslash = x ^ (ONES * u64::from(b'\\'));
        let flags = ((quote.wrapping_sub(ONES) & !quote)
            | (backslash.wrapping_sub(ONES) & !backslash)
            | (x.wrapping_sub(ONES * 0x20) & !x))
            & HIGHS;
        if flags != 0 {
            return Some(offset + (flags.trailing_zeros() / 8) as usize);
        }
        offset += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| stop(b))
        .map(|i| offset + i)
}

/// The index of a known claim (the order of [`RawClaims`]' fields), 11 for others. A slice
/// pattern compiles to a length switch and byte compares, with no `memcmp` call.
#[inline(always)]
fn claim_bit(key: &[u8]) -> u32 {
    match *key {
        [b'i', b's', b's'] => 0,
        [b's', b'u', b'b'] => 1,
        [b'a', b'u', b'd'] => 2,
        [b'e', b'x', b'p'] => 3,
        [b'i', b'a', b't'] => 4,
        [b'a', b'u', b't', b'h', b'_', b't', b'i', b'm', b'e'] => 5,
        [b'n', b'o', b'n', b'c', b'e'] => 6,
        [b'n', b'a', b'm', b'e'] => 7,
        [b'p', b'i', b'c', b't', b'u', b'r', b'e'] => 8,
        [b'e', b'm', b'a', b'i', b'l'] => 9,
        [b'a', b'm', b'r'] => 10,
        _ => 11,
    }
}

/// Parses the common claims shape, or returns `None` to let serde_json decide.
#[cfg(test)]
pub(crate) fn parse(payload: &[u8]) -> Option<RawClaims<'_>> {
    let mut claims = RawClaims::default();
    parse_into(payload, &mut claims).map(|()| claims)
}

/// Parses the common claims shape into `c` (filled in place: the struct is large), or returns
/// `None` (with `c` partly filled, to be discarded) to let serde_json decide.
pub(crate) fn parse_into<'a>(payload: &'a [u8], c: &mut RawClaims<'a>) -> Option<()> {
    let text = std::str::from_utf8(payload).ok()?;
    let mut s = Scanner {
        text,
        bytes: payload,
        at: 0,
    };
    let mut seen = 0u16;
    s.eat(b'{')?;
    s.skip_ws();
    if s.peek()? == b'}' {
        s.at += 1;
    } else {
        loop {
            let key = s.string()?;
            s.eat(b':')?;
            let bit = claim_bit(key.as_bytes());
            if bit < 11 {
                if seen & (1 << bit) != 0 {
                    return None;
                }
                seen |= 1 << bit;
            }
            match bit {
                0 => s.text_into(&mut c.iss)?,
                1 => s.text_into(&mut c.sub)?,
                2 => {
                    s.skip_ws();
                    c.aud = match s.peek()? {
                        b'[' => {
                            let mut all = Vec::new();
                            s.string_array(|a| all.push(Cow::Borrowed(a)))?;
                            Some(Audience::Many(all))
                        }
                        _ => s.nullable(|s| s.string().map(|a| Audience::One(Cow::Borrowed(a))))?,
                    }
                }
                3 => s.integer_into(&mut c.exp)?,
                4 => s.integer_into(&mut c.iat)?,
                5 => s.integer_into(&mut c.auth_time)?,
                6 => s.text_into(&mut c.nonce)?,
                7 => s.text_into(&mut c.name)?,
                8 => s.text_into(&mut c.picture)?,
                9 => s.text_into(&mut c.email)?,
                10 => {
                    c.amr = s.nullable(|s| {
                        let mut list = AmrList::Empty;
                        s.string_array(|a| list = std::mem::take(&mut list).push(Amr::parse(a)))?;
                        Some(list)
                    })?
                }
                _ => {
                    let value = s.scalar()?;
                    if c.extra.insert(key.to_owned(), value).is_some() {
                        return None;
                    }
                }
            }
            s.skip_ws();
            match s.peek()? {
                b',' => s.at += 1,
                b'}' => {
                    s.at += 1;
                    break;
                }
                _ => return None,
            }
        }
    }
    s.skip_ws();
    (s.at == payload.len()).then_some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id_token::claims::parse_claims;
    use proptest::prelude::*;

    fn same(payload: &str) {
        let fast = parse(payload.as_bytes());
        let slow = parse_claims(payload.as_bytes());
        match (fast, slow) {
            (None, _) => {}
            (Some(f), Ok(s)) => assert_eq!(format!("{f:?}"), format!("{s:?}"), "{payload}"),
            (Some(f), Err(e)) => panic!("fast accepted what serde refuses ({e}): {payload} {f:?}"),
        }
    }

    #[test]
    fn line_shaped_claims_take_the_fast_path() {
        let payload = r#"{"iss":"https://access.line.me","sub":"U1","aud":"123","exp":1700003600,"iat":1700000000,"nonce":"n","amr":["linesso"],"name":"タロウ","picture":"https://p","x":true,"y":null,"z":-5}"#;
        let c = parse(payload.as_bytes()).expect("fast path");
        assert_eq!(c.exp, Some(1_700_003_600));
        assert_eq!(c.name.as_deref(), Some("タロウ"));
        assert_eq!(
            c.amr.as_ref().map(AmrList::as_slice),
            Some(&[Amr::LineSso][..])
        );
        assert_eq!(c.extra["z"], -5);
        same(payload);
    }

    #[test]
    fn whitespace_json_allows_stays_on_the_fast_path() {
        let payload = "\t{ \"iss\" :\r\n\"https://access.line.me\" , \"amr\" : [ \"pwd\" , \"mfa\" ] ,\n \"exp\" : 5 , \"x\" : true }\n";
        let c = parse(payload.as_bytes()).expect("fast path");
        assert_eq!(c.iss.as_deref(), Some("https://access.line.me"));
        assert_eq!(
            c.amr.as_ref().map(AmrList::as_slice),
            Some(&[Amr::Pwd, Amr::Mfa][..])
        );
        assert_eq!(c.exp, Some(5));
        assert_eq!(c.extra["x"], true);
        same(payload);
    }

    #[test]
    fn every_scalar_and_empty_arrays_stay_on_the_fast_path() {
        let payload =
            r#"{"amr":[],"aud":[],"s":"text","t":true,"f":false,"n":null,"z":0,"m":-7,"exp":0}"#;
        let c = parse(payload.as_bytes()).expect("fast path");
        assert_eq!(c.amr, Some(AmrList::Empty));
        assert!(matches!(&c.aud, Some(Audience::Many(all)) if all.is_empty()));
        assert_eq!(c.extra["s"], "text");
        assert_eq!(c.extra["t"], true);
        assert_eq!(c.extra["f"], false);
        assert!(c.extra["n"].is_null());
        assert_eq!(c.extra["z"], 0);
        assert_eq!(c.extra["m"], -7);
        assert_eq!(c.exp, Some(0));
        same(payload);
        let empty = parse(b" { } ").expect("an empty object takes the fast path");
        assert!(empty.iss.is_none() && empty.extra.is_empty());
    }

    #[test]
    fn every_known_claim_lands_in_its_own_field_on_the_fast_path() {
        let payload = r#"{"iss":"https://access.line.me","sub":"U1","aud":["123","456"],"exp":30,"iat":20,"auth_time":10,"nonce":"n-1","name":"Taro","picture":"https://p/1","email":"taro@example.com","amr":["mfa"]}"#;
        let c = parse(payload.as_bytes()).expect("fast path");
        assert_eq!(c.iss.as_deref(), Some("https://access.line.me"));
        assert_eq!(c.sub.as_deref(), Some("U1"));
        assert!(matches!(&c.aud, Some(Audience::Many(all)) if all == &["123", "456"]));
        assert_eq!((c.exp, c.iat, c.auth_time), (Some(30), Some(20), Some(10)));
        assert_eq!(c.nonce.as_deref(), Some("n-1"));
        assert_eq!(c.name.as_deref(), Some("Taro"));
        assert_eq!(c.picture.as_deref(), Some("https://p/1"));
        assert_eq!(c.email.as_deref(), Some("taro@example.com"));
        assert_eq!(c.amr.as_ref().map(AmrList::as_slice), Some(&[Amr::Mfa][..]));
        assert!(c.extra.is_empty(), "{:?}", c.extra);
        same(payload);
    }

    #[test]
    fn claim_names_map_to_their_fields() {
        let names = [
            "iss",
            "sub",
            "aud",
            "exp",
            "iat",
            "auth_time",
            "nonce",
            "name",
            "picture",
            "email",
            "amr",
        ];
        for (bit, name) in names.iter().enumerate() {
            assert_eq!(claim_bit(name.as_bytes()), bit as u32, "{name}");
        }
        for other in ["", "is", "issx", "auth_timex", "Iss", "picturex", "x"] {
            assert_eq!(claim_bit(other.as_bytes()), 11, "{other}");
        }
    }

    #[test]
    fn anything_unusual_falls_back() {
        for payload in [
            r#"{"name":"a\"b"}"#,              // escape
            r#"{"exp":1.5}"#,                  // fraction
            r#"{"exp":1e3}"#,                  // exponent
            r#"{"exp":012}"#,                  // leading zero (invalid JSON)
            r#"{"x":-0}"#,                     // negative zero (a float for serde_json)
            r#"{"x":{"a":1}}"#,                // nested object
            r#"{"x":[1]}"#,                    // array of an unknown claim
            r#"{"iss":"a","iss":"b"}"#,        // duplicate
            r#"{"x":1,"x":2}"#,                // duplicate unknown
            r#"{"a":1,}"#,                     // trailing comma
            r#"{"a":1} x"#,                    // trailing garbage
            r#"{"exp":99999999999999999999}"#, // beyond i64
            "{\"name\":\"a\u{1}b\"}",          // control character
            r#"{"aud":["a",1]}"#,              // mixed array
            r#"{"a":tru}"#,
            r#"{"a""#,
            "",
        ] {
            assert!(parse(payload.as_bytes()).is_none(), "{payload}");
            same(payload);
        }
    }

    proptest! {
        #[test]
        fn string_len_finds_the_first_stop_byte(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
            let expected = bytes.iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20);
            prop_assert_eq!(string_len(&bytes), expected);
        }

        #[test]
        fn fast_path_agrees_with_serde(
            entries in proptest::collection::vec(
                (
                    prop_oneof![
                        Just("iss".to_owned()), Just("sub".to_owned()), Just("aud".to_owned()),
                        Just("exp".to_owned()), Just("amr".to_owned()), Just("nonce".to_owned()),
                        "[a-z]{1,3}",
                    ],
                    prop_oneof![
                        "\"[ -~]{0,8}\"",
                        "-?[0-9]{1,20}",
                        "[0-9]\\.[0-9]",
                        Just("null".to_owned()), Just("true".to_owned()),
                        "\\[( ?\"[a-z]{0,3}\" ?,?){0,3}\\]",
                        Just("{}".to_owned()),
                    ],
                ),
                0..8,
            ),
            spacing in "[ \n]{0,2}",
        ) {
            let body = entries
                .iter()
                .map(|(k, v)| format!("{spacing}\"{k}\"{spacing}:{spacing}{v}"))
                .collect::<Vec<_>>()
                .join(",");
            same(&format!("{{{body}}}{spacing}"));
        }

        #[test]
        fn arbitrary_bytes_never_disagree(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            if let Some(f) = parse(&bytes) {
                let s = parse_claims(&bytes).expect("serde accepts what the fast path accepts");
                prop_assert_eq!(format!("{f:?}"), format!("{s:?}"));
            }
        }
    }
}
