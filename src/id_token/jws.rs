//! The compact JWS layer: size bound, the three base64url parts, the header (`alg`, `kid`,
//! `crit`) and the signature bytes. Claims are not touched here.

use std::borrow::Cow;

use aws_lc_rs::hmac;
use aws_lc_rs::signature::ParsedPublicKey;
use serde::{Deserialize, Serialize};

use super::IdTokenError;
use super::b64;
use super::error::echo;

/// Largest ID token accepted, in bytes. Longer input is refused before any other work.
pub const ID_TOKEN_MAX_BYTES: usize = 16 * 1024;

/// Largest decoded header accepted, in bytes (LINE's are under 120).
const HEADER_MAX_BYTES: usize = 512;
/// Size of an HS256 signature.
const HS256_SIGNATURE_BYTES: usize = 32;
/// Size of an ES256 signature (R || S, fixed width).
const ES256_SIGNATURE_BYTES: usize = 64;

/// Headers of HS256 tokens as LINE and common libraries encode them. A header equal to one of
/// these byte for byte is exactly `{"alg":"HS256"...}`, so decoding and parsing it is skipped.
const KNOWN_HS256_HEADERS: [&[u8]; 3] = [
    // {"alg":"HS256","typ":"JWT"}
    b"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9",
    // {"alg":"HS256"}
    b"eyJhbGciOiJIUzI1NiJ9",
    // {"typ":"JWT","alg":"HS256"}
    b"eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9",
];

/// The signature algorithms an ID token may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum IdTokenAlgorithm {
    /// HMAC-SHA256 keyed with the channel secret: web login.
    #[serde(rename = "HS256")]
    Hs256,
    /// ECDSA P-256 SHA-256 with a key from LINE's JWKS: LIFF and native apps.
    #[serde(rename = "ES256")]
    Es256,
}

/// Which algorithms a verification accepts.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Allowed {
    pub(crate) hs256: bool,
    pub(crate) es256: bool,
}

/// Payloads decoded on the stack up to this size (LINE's are ~300 bytes).
const PAYLOAD_STACK_BYTES: usize = 512;

/// Room for a decoded payload: on the stack when small, on the heap otherwise.
pub(crate) struct Scratch {
    stack: [u8; PAYLOAD_STACK_BYTES],
    heap: Vec<u8>,
}

impl Scratch {
    pub(crate) fn new() -> Self {
        Self {
            stack: [0; PAYLOAD_STACK_BYTES],
            heap: Vec::new(),
        }
    }
}

/// A compact JWS split, its header checked and its payload decoded (not parsed); the signature
/// is decoded but not verified.
pub(crate) struct Jws<'a> {
    pub(crate) alg: IdTokenAlgorithm,
    pub(crate) kid: Option<Cow<'a, str>>,
    /// `header.payload`, the signed bytes.
    pub(crate) signing_input: &'a [u8],
    /// The payload, decoded but not parsed: claims are read only after the signature check.
    pub(crate) payload: &'a [u8],
    signature: [u8; ES256_SIGNATURE_BYTES],
    signature_len: usize,
}

#[derive(Deserialize)]
struct RawHeader<'a> {
    #[serde(borrow)]
    alg: Cow<'a, str>,
    #[serde(borrow, default)]
    kid: Option<Cow<'a, str>>,
    #[serde(default)]
    crit: Option<serde::de::IgnoredAny>,
}

/// Refuses input longer than [`ID_TOKEN_MAX_BYTES`].
#[inline]
pub(crate) fn check_size(raw: &str) -> Result<(), IdTokenError> {
    if raw.len() > ID_TOKEN_MAX_BYTES {
        return Err(IdTokenError::TooLarge {
            len: raw.len(),
            max: ID_TOKEN_MAX_BYTES,
        });
    }
    Ok(())
}

impl<'a> Jws<'a> {
    /// Splits `raw`, reads the header, refuses algorithms not in `allowed`, decodes the
    /// signature and the payload (into `scratch`). Order: size, parts, header, alg, signature,
    /// payload.
    pub(crate) fn parse(
        raw: &'a str,
        allowed: Allowed,
        scratch: &'a mut Scratch,
    ) -> Result<Self, IdTokenError> {
        check_size(raw)?;
        let bytes = raw.as_bytes();
        // `str::find`/`rfind` with a char run core's word-at-a-time memchr. A dot inside the
        // payload (more than three parts) is refused by the payload's base64url decoding.
        let first = raw.find('.').ok_or(IdTokenError::Malformed(
            "expected three dot-separated parts, found one",
        ))?;
        let last = raw.rfind('.').unwrap_or(first);
        if last == first {
            return Err(IdTokenError::Malformed(
                "expected three dot-separated parts, found two",
            ));
        }
        let header_b64 = &bytes[..first];
        let payload_b64 = &bytes[first + 1..last];
        let signature_b64 = &bytes[last + 1..];
        if header_b64.is_empty() || payload_b64.is_empty() {
            return Err(IdTokenError::Malformed(
                "the header or payload part is empty",
            ));
        }

        let (alg, kid) = if KNOWN_HS256_HEADERS.contains(&header_b64) {
            (Ok(IdTokenAlgorithm::Hs256), None)
        } else {
            parse_header(header_b64)?
        };
        let alg = match alg {
            Ok(IdTokenAlgorithm::Hs256) if allowed.hs256 => IdTokenAlgorithm::Hs256,
            Ok(IdTokenAlgorithm::Es256) if allowed.es256 => IdTokenAlgorithm::Es256,
            Ok(IdTokenAlgorithm::Hs256) => {
                return Err(IdTokenError::AlgorithmNotAllowed("HS256".to_owned()));
            }
            Ok(IdTokenAlgorithm::Es256) => {
                return Err(IdTokenError::AlgorithmNotAllowed("ES256".to_owned()));
            }
            Err(other) => return Err(IdTokenError::AlgorithmNotAllowed(other)),
        };

        let payload = decode_payload(payload_b64, scratch)?;
        let expected_len = match alg {
            IdTokenAlgorithm::Hs256 => HS256_SIGNATURE_BYTES,
            IdTokenAlgorithm::Es256 => ES256_SIGNATURE_BYTES,
        };
        // base64url without padding: 4 characters per 3 bytes, rounded up.
        if signature_b64.len() != (expected_len * 4).div_ceil(3) {
            return Err(IdTokenError::BadSignature);
        }
        let mut signature = [0u8; ES256_SIGNATURE_BYTES];
        let signature_len = b64::decode(signature_b64, &mut signature)
            .ok_or(IdTokenError::Malformed("the signature is not base64url"))?;
        if signature_len != expected_len {
            return Err(IdTokenError::BadSignature);
        }

        Ok(Jws {
            alg,
            kid,
            signing_input: &bytes[..last],
            payload,
            signature,
            signature_len,
        })
    }

    /// Checks an HS256 signature (constant-time comparison inside aws-lc).
    #[inline]
    pub(crate) fn verify_hs256(&self, key: &hmac::Key) -> Result<(), IdTokenError> {
        hmac::verify(
            key,
            self.signing_input,
            &self.signature[..self.signature_len],
        )
        .map_err(|_| IdTokenError::BadSignature)
    }

    /// Checks an ES256 signature.
    #[inline]
    pub(crate) fn verify_es256(&self, key: &ParsedPublicKey) -> Result<(), IdTokenError> {
        key.verify_sig(self.signing_input, &self.signature[..self.signature_len])
            .map_err(|_| IdTokenError::BadSignature)
    }
}

/// The header's algorithm: a supported one, or the name of an unsupported one.
type HeaderAlg = Result<IdTokenAlgorithm, String>;

fn parse_header(header_b64: &[u8]) -> Result<(HeaderAlg, Option<Cow<'static, str>>), IdTokenError> {
    let mut buf = [0u8; HEADER_MAX_BYTES];
    if header_b64.len() > HEADER_MAX_BYTES / 3 * 4 {
        return Err(IdTokenError::Malformed("the header is too large"));
    }
    let len = b64::decode(header_b64, &mut buf)
        .ok_or(IdTokenError::Malformed("the header is not base64url"))?;
    let header: RawHeader<'_> = serde_json::from_slice(&buf[..len])
        .map_err(|_| IdTokenError::Malformed("the header is not a JSON object with an alg"))?;
    if header.crit.is_some() {
        return Err(IdTokenError::Malformed(
            "the header has critical extensions (crit), which are not supported",
        ));
    }
    let alg = match &*header.alg {
        "HS256" => Ok(IdTokenAlgorithm::Hs256),
        "ES256" => Ok(IdTokenAlgorithm::Es256),
        other => Err(echo(other)),
    };
    // The header buffer is local: the kid (a short public string) is copied out.
    let kid = header.kid.map(|kid| Cow::Owned(kid.into_owned()));
    Ok((alg, kid))
}

/// Decodes the payload into `scratch`: on the stack when it fits, on the heap otherwise.
fn decode_payload<'s>(
    payload_b64: &[u8],
    scratch: &'s mut Scratch,
) -> Result<&'s [u8], IdTokenError> {
    let malformed = || {
        if payload_b64.contains(&b'.') {
            IdTokenError::Malformed(
                "expected three dot-separated parts, found more (an encrypted JWE?)",
            )
        } else {
            IdTokenError::Malformed("the payload is not base64url")
        }
    };
    let needed = b64::decoded_len(payload_b64.len()).ok_or_else(malformed)?;
    let buf: &mut [u8] = if needed <= PAYLOAD_STACK_BYTES {
        &mut scratch.stack
    } else {
        scratch.heap.resize(needed, 0);
        &mut scratch.heap
    };
    let len = b64::decode(payload_b64, buf).ok_or_else(malformed)?;
    Ok(&buf[..len])
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    const BOTH: Allowed = Allowed {
        hs256: true,
        es256: true,
    };

    #[test]
    fn known_headers_decode_to_hs256() {
        for header in KNOWN_HS256_HEADERS {
            let json = URL_SAFE_NO_PAD.decode(header).unwrap();
            let value: serde_json::Value = serde_json::from_slice(&json).unwrap();
            assert_eq!(value["alg"], "HS256");
            let (alg, kid) = parse_header(header).unwrap();
            assert_eq!(alg, Ok(IdTokenAlgorithm::Hs256));
            assert!(kid.is_none());
        }
    }

    #[test]
    fn part_count_is_exact() {
        let sig = "A".repeat(43);
        let hs = "eyJhbGciOiJIUzI1NiJ9";
        for raw in [
            "abc".to_owned(),
            "abc.def".to_owned(),
            format!("{hs}.e30.e30.{sig}"),
            format!("{hs}.e30.{sig}.e30"),
        ] {
            assert!(
                matches!(
                    Jws::parse(&raw, BOTH, &mut Scratch::new()),
                    Err(IdTokenError::Malformed(_))
                ),
                "{raw}"
            );
        }
    }

    #[test]
    fn crit_header_is_refused() {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","crit":["exp"]}"#);
        let raw = format!("{header}.e30.{}", "A".repeat(43));
        assert!(matches!(
            Jws::parse(&raw, BOTH, &mut Scratch::new()),
            Err(IdTokenError::Malformed(m)) if m.contains("crit")
        ));
    }

    #[test]
    fn kid_is_read_from_es256_headers() {
        let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"ES256","kid":"k1"}"#);
        let raw = format!("{header}.e30.{}", "A".repeat(86));
        let mut scratch = Scratch::new();
        let jws = Jws::parse(&raw, BOTH, &mut scratch).unwrap();
        assert_eq!(jws.alg, IdTokenAlgorithm::Es256);
        assert_eq!(jws.kid.as_deref(), Some("k1"));
    }

    #[test]
    fn large_payloads_decode_on_the_heap() {
        let payload = vec![b'x'; 5000];
        let encoded = URL_SAFE_NO_PAD.encode(&payload);
        let mut scratch = Scratch::new();
        let decoded = decode_payload(encoded.as_bytes(), &mut scratch).unwrap();
        assert_eq!(decoded, &payload[..]);
    }
}
