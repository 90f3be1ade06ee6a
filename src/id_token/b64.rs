//! Strict base64url decoding for JWS parts, tuned for short inputs: no padding, canonical
//! trailing bits, exactly what `base64`'s `URL_SAFE_NO_PAD` accepts (a test checks that).

/// Marks a byte outside the base64url alphabet; valid values are below 64.
const INVALID: u8 = 0xFF;

const TABLE: [u8; 256] = {
    let mut table = [INVALID; 256];
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut i = 0;
    while i < 64 {
        table[alphabet[i] as usize] = i as u8;
        i += 1;
    }
    table
};

/// Size of the decoding of `len` base64url characters; `None` for an impossible length.
#[inline]
pub(crate) fn decoded_len(len: usize) -> Option<usize> {
    match len % 4 {
        0 => Some(len / 4 * 3),
        2 => Some(len / 4 * 3 + 1),
        3 => Some(len / 4 * 3 + 2),
        _ => None,
    }
}

/// Decodes `input` into the start of `out`, returning the decoded length; `None` when `input`
/// is not canonical unpadded base64url or `out` is too small.
#[inline]
pub(crate) fn decode(input: &[u8], out: &mut [u8]) -> Option<usize> {
    let len = decoded_len(input.len())?;
    let out = out.get_mut(..len)?;
    let mut bad = 0u8;
    // Eight characters (six bytes) at a time, then the remaining whole quads.
    let mut octets = input.chunks_exact(8);
    let mut sextets = out.chunks_exact_mut(6);
    for (octet, sextet) in (&mut octets).zip(&mut sextets) {
        let v = |i: usize| TABLE[usize::from(octet[i])];
        let (a, b, c, d, e, f, g, h) = (v(0), v(1), v(2), v(3), v(4), v(5), v(6), v(7));
        bad |= (a | b | c | d) | (e | f | g | h);
        // Two independent 24-bit halves, so they are computed in parallel. Each is its four
        // base-64 digits as a number (`* 64` is a shift): written with `+` rather than `|` on
        // the disjoint bit fields, so that no change of an operator leaves the bytes the same.
        // An invalid character (table value 0xFF) cannot overflow a u64 here, and its bytes are
        // never returned.
        let hi = ((u64::from(a) * 64 + u64::from(b)) * 64 + u64::from(c)) * 64 + u64::from(d);
        let lo = ((u64::from(e) * 64 + u64::from(f)) * 64 + u64::from(g)) * 64 + u64::from(h);
        sextet.copy_from_slice(&(hi * (1 << 24) + lo).to_be_bytes()[2..]);
    }
    let done_in = input.len() - octets.remainder().len();
    let done_out = done_in / 4 * 3;
    let mut quads = octets.remainder().chunks_exact(4);
    let mut triples = out.get_mut(done_out..)?.chunks_exact_mut(3);
    for (quad, triple) in (&mut quads).zip(&mut triples) {
        let (a, b, c, d) = (
            TABLE[usize::from(quad[0])],
            TABLE[usize::from(quad[1])],
            TABLE[usize::from(quad[2])],
            TABLE[usize::from(quad[3])],
        );
        bad |= a | b | c | d;
        // As above; 0xFF digits stay below 2^32.
        let n = ((u32::from(a) * 64 + u32::from(b)) * 64 + u32::from(c)) * 64 + u32::from(d);
        triple[0] = (n >> 16) as u8;
        triple[1] = (n >> 8) as u8;
        triple[2] = n as u8;
    }
    let rest = quads.remainder();
    let tail = triples.into_remainder();
    match (rest, tail) {
        ([], []) => {}
        ([a, b], [x]) => {
            let (a, b) = (TABLE[usize::from(*a)], TABLE[usize::from(*b)]);
            bad |= a | b;
            // The last character's unused low 4 bits must be zero (so an invalid last
            // character, whose table value has them set, is refused here already).
            if b & 0x0F != 0 {
                return None;
            }
            *x = byte((u32::from(a) << 2) + (u32::from(b) >> 4));
        }
        ([a, b, c], [x, y]) => {
            let (a, b, c) = (
                TABLE[usize::from(*a)],
                TABLE[usize::from(*b)],
                TABLE[usize::from(*c)],
            );
            bad |= a | b | c;
            // The last character's unused low 2 bits must be zero (an invalid one is refused
            // here too).
            if c & 0x03 != 0 {
                return None;
            }
            *x = byte((u32::from(a) << 2) + (u32::from(b) >> 4));
            *y = byte((u32::from(b) << 4) + (u32::from(c) >> 2));
        }
        _ => return None,
    }
    ((bad & 0xC0) == 0).then_some(len)
}

/// The low eight bits of `n`: the byte a digit sum computed in `u32` (so that an invalid
/// character's 0xFF digit cannot overflow) ends in.
#[inline]
fn byte(n: u32) -> u8 {
    n.to_be_bytes()[3]
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use proptest::prelude::*;

    fn ours(input: &str) -> Option<Vec<u8>> {
        let mut out = vec![0u8; input.len()];
        decode(input.as_bytes(), &mut out).map(|n| out[..n].to_vec())
    }

    #[test]
    fn decodes_like_the_base64_crate() {
        for input in [
            "",
            "QQ",
            "QUI",
            "QUJD",
            "eyJhbGciOiJIUzI1NiJ9",
            "-_-_",
            "QR",
            "QUJ",
            "Q",
            "QUJD=",
            "QQ==",
            "QU.D",
            "QUJD+/",
            "a b",
            "é",
        ] {
            assert_eq!(ours(input), URL_SAFE_NO_PAD.decode(input).ok(), "{input:?}");
        }
    }

    #[test]
    fn a_character_outside_the_alphabet_is_refused_at_every_position() {
        // Each character's table value is checked on its own: one invalid character anywhere,
        // and two invalid ones (whose markers must not cancel out), in the eight-character
        // loop, the four-character loop and the tail, are refused.
        for len in 2..=16 {
            for i in 0..len {
                for j in i..len {
                    let mut input = vec![b'Q'; len];
                    input[i] = b'.';
                    input[j] = b'=';
                    let input = String::from_utf8(input).unwrap();
                    assert_eq!(ours(&input), None, "{input:?}");
                    assert!(URL_SAFE_NO_PAD.decode(&input).is_err(), "{input:?}");
                }
            }
        }
    }

    #[test]
    fn refuses_a_too_small_output() {
        let mut out = [0u8; 2];
        assert_eq!(decode(b"QUJD", &mut out), None);
    }

    proptest! {
        #[test]
        fn agrees_with_the_base64_crate(input in "[A-Za-z0-9_=+/.-]{0,40}") {
            prop_assert_eq!(ours(&input), URL_SAFE_NO_PAD.decode(&input).ok());
        }

        #[test]
        fn agrees_on_long_inputs(input in "[A-Za-z0-9_-]{0,90}[=.]?[A-Za-z0-9_-]{0,30}") {
            prop_assert_eq!(ours(&input), URL_SAFE_NO_PAD.decode(&input).ok());
        }

        #[test]
        fn round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..100)) {
            prop_assert_eq!(ours(&URL_SAFE_NO_PAD.encode(&bytes)), Some(bytes));
        }
    }
}
