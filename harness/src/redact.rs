//! Keeping the password out of everything ftpspec writes: transcripts,
//! messages, findings and notes of reports (terminal, JSON, JUnit,
//! Markdown, HTML, snapshots), fuzz findings, rerun lines.

use crate::codec::escape_bytes;

/// What a redacted secret is shown as.
pub const MASK: &str = "********";

/// Below this length a password is only masked in `PASS` lines: masking
/// every occurrence of a two-letter password would garble the report.
const MIN_ANYWHERE: usize = 4;

/// Masks one secret wherever ftpspec writes text.
#[derive(Clone, Debug, Default)]
pub struct Redactor {
    /// The secret as text, and as a transcript shows its bytes.
    forms: Vec<String>,
    /// Mask it anywhere (long enough), or only after `PASS `.
    anywhere: bool,
}

impl Redactor {
    /// A redactor for `secret`; none for an empty one.
    pub fn new(secret: &str) -> Redactor {
        Redactor::for_login(secret, None)
    }

    /// A redactor for the password of `user`. A password that is the user
    /// name itself hides nothing the report does not already show, and
    /// masking the name everywhere would garble it: only `PASS` lines then.
    pub fn for_login(secret: &str, user: Option<&str>) -> Redactor {
        if secret.is_empty() {
            return Redactor::default();
        }
        let mut forms = vec![secret.to_owned()];
        let escaped = escape_bytes(secret.as_bytes());
        if escaped != secret {
            forms.push(escaped);
        }
        // Longest first, so that a form containing another is masked whole.
        forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
        Redactor {
            forms,
            anywhere: secret.len() >= MIN_ANYWHERE && user != Some(secret),
        }
    }

    /// `text` with the secret masked.
    pub fn text(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for form in &self.forms {
            if self.anywhere {
                out = out.replace(form.as_str(), MASK);
            }
            // A PASS command, as sent or as a transcript shows it.
            for cmd in ["PASS ", "pass ", "Pass "] {
                out = out.replace(&format!("{cmd}{form}"), &format!("{cmd}{MASK}"));
            }
        }
        out
    }

    /// Mask `text` in place.
    pub fn apply(&self, text: &mut String) {
        if !self.forms.is_empty() {
            *text = self.text(text);
        }
    }

    /// Whether there is anything to mask.
    pub fn is_empty(&self) -> bool {
        self.forms.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_everywhere_or_only_in_pass_lines() {
        let r = Redactor::new("s3cret!");
        assert_eq!(r.text("PASS s3cret!\\r\\n"), "PASS ********\\r\\n");
        assert_eq!(r.text("530 bad s3cret!"), "530 bad ********");
        let short = Redactor::new("ab");
        assert_eq!(short.text("PASS ab\\r\\n"), "PASS ********\\r\\n");
        assert_eq!(short.text("tab table"), "tab table");
        let odd = Redactor::new("p\\x\u{7}y");
        let shown = escape_bytes("PASS p\\x\u{7}y\r\n".as_bytes());
        assert!(!odd.text(&shown).contains("\\x07"), "{}", odd.text(&shown));
        assert_eq!(Redactor::new("").text("PASS "), "PASS ");
        let same = Redactor::for_login("ftpspec", Some("ftpspec"));
        assert_eq!(same.text("USER ftpspec"), "USER ftpspec");
        assert_eq!(same.text("PASS ftpspec"), "PASS ********");
    }
}
