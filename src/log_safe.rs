//! Text a client or LINE controls, made safe for a log line: every control character (CR, LF,
//! ESC and the rest of C0/C1), Unicode line and paragraph separators and bidirectional overrides
//! are escaped, and the text is cut at [`LOG_TEXT_MAX_CHARS`]. The `fmt` subscriber writes
//! `Display` fields (`%field`) as they are, so errors that quote outside text are logged through
//! [`Escaped`]; `&str` and `Debug` fields are already escaped by the subscriber.

use std::fmt::{self, Write as _};

/// Longest text one log field carries; the rest is replaced by `...`.
pub(crate) const LOG_TEXT_MAX_CHARS: usize = 512;

/// Displays the wrapped value escaped and bounded (see the module docs).
pub(crate) struct Escaped<'a, T: ?Sized>(pub(crate) &'a T);

impl<T: fmt::Display + ?Sized> fmt::Display for Escaped<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut writer = EscapingWriter {
            out: f,
            chars: 0,
            full: false,
        };
        let result = write!(writer, "{}", self.0);
        let full = writer.full;
        match result {
            Err(_) if full => f.write_str("..."),
            other => other,
        }
    }
}

struct EscapingWriter<'a, 'b> {
    out: &'a mut fmt::Formatter<'b>,
    chars: usize,
    full: bool,
}

impl fmt::Write for EscapingWriter<'_, '_> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        for c in text.chars() {
            if self.chars == LOG_TEXT_MAX_CHARS {
                self.full = true;
                return Err(fmt::Error);
            }
            self.chars += 1;
            if needs_escape(c) {
                for e in c.escape_default() {
                    self.out.write_char(e)?;
                }
            } else {
                self.out.write_char(c)?;
            }
        }
        Ok(())
    }
}

fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_breaks_and_terminal_escapes_are_escaped() {
        let forged =
            "denied\r\n2026-01-01T00:00:00Z  INFO forged line\x1b[31m\u{85}\u{2028}\u{202E}";
        let logged = Escaped(forged).to_string();
        assert!(!logged.chars().any(needs_escape), "{logged}");
        assert!(logged.contains("\\r\\n"), "{logged}");
        assert!(logged.contains("\\u{1b}[31m"), "{logged}");
        assert_eq!(
            Escaped("plain text, ünïcode").to_string(),
            "plain text, ünïcode"
        );
    }

    #[test]
    fn long_text_is_cut() {
        let logged = Escaped(&"x".repeat(10_000)).to_string();
        assert_eq!(logged.len(), LOG_TEXT_MAX_CHARS + 3);
        assert!(logged.ends_with("..."));
    }
}
