//! Reply syntax (RFC 959 §4.2): what the reply decoder tolerated to read a
//! reply, a first digit outside 1–5, and a reply stream it could not read
//! at all.

use super::rule::{Rule, Violation};
use crate::codec::{Deviation, Parsed, Reply};
use crate::driver::DriverError;
use crate::verdict::Check;

/// RFC 1123 §4.1.2.11: the one sentence every malformed reply breaks.
pub const FORMAT: Rule = Rule::must(
    1123,
    "4.1.2.11",
    "A Server-FTP MUST send only correctly formatted replies on the control connection.",
);

/// RFC 959 §4.2: the single-line form.
pub const LINE: Rule = Rule::must(
    959,
    "4.2",
    "A reply is defined to contain the 3-digit code, followed by Space <SP>, followed by one line of text (where some maximum line length has been specified), and terminated by the Telnet end-of-line code.",
);

/// RFC 959 §4.2: the inner lines of a multi-line reply.
pub const PAD: Rule = Rule::must(
    959,
    "4.2",
    "If an intermediary line begins with a 3-digit number, the Server must pad the front to avoid confusion.",
);

/// RFC 959 §4.2: the last line of a multi-line reply.
pub const LAST_LINE: Rule = Rule::must(
    959,
    "4.2",
    "The last line will begin with the same code, followed immediately by Space <SP>, optionally some text, and the Telnet end-of-line code.",
);

/// RFC 959 §4.2.1: the first digit of a code.
pub const FIRST_DIGIT: Rule = Rule::must(
    959,
    "4.2.1",
    "There are five values for the first digit of the reply code:",
);

/// Every rule this family enforces.
pub const RULES: &[Rule] = &[FORMAT, LINE, PAD, LAST_LINE, FIRST_DIGIT];

/// The rule a tolerated reply deviation departs from, if it is one that
/// concerns the reply grammar (227/229 and FEAT deviations are judged by
/// their own families).
fn rule_for(d: Deviation) -> Option<Rule> {
    match d {
        Deviation::BareLf | Deviation::CodeWithoutText => Some(LINE),
        Deviation::UnpaddedInnerNumber => Some(PAD),
        _ => None,
    }
}

/// Judge one decoded reply: every grammar deviation the decoder tolerated,
/// and a first digit outside 1–5.
pub fn reply(reply: &Parsed<Reply>) -> Vec<Violation> {
    let r = &reply.value;
    let mut out: Vec<Violation> = reply
        .deviations
        .iter()
        .filter_map(|d| {
            rule_for(d).map(|rule| {
                Violation::broken(
                    Check::ReplySyntax,
                    rule,
                    "the RFC form",
                    format!("{}: {r}", d.describe()),
                )
            })
        })
        .collect();
    if !r.code().has_defined_class() {
        out.push(Violation::broken(
            Check::ReplySyntax,
            FIRST_DIGIT,
            "1yz to 5yz",
            r.code().to_string(),
        ));
    }
    out
}

/// A reply stream that could not be read: a line without a code, a bad
/// separator, a bare CR, or a multi-line reply whose last line never came.
/// `None` when the error is not the server breaking the grammar (silence,
/// a closed connection, a harness limit such as the line length).
pub fn stream(error: &DriverError) -> Option<Violation> {
    if !error.is_malformed_reply() {
        return None;
    }
    let rule = match error {
        DriverError::Unterminated(..) => LAST_LINE,
        _ => FORMAT,
    };
    Some(Violation::broken(
        Check::ReplySyntax,
        rule,
        "a well-formed reply",
        error.to_string(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{Leniency, ReplyOptions};
    use crate::verdict::Verdict;

    fn parse(bytes: &[u8]) -> Parsed<Reply> {
        Reply::parse_with(
            bytes,
            ReplyOptions {
                leniency: Leniency::PERMISSIVE,
                ..Default::default()
            },
        )
        .unwrap()
    }

    #[test]
    fn a_conformant_reply_has_no_violation() {
        assert!(reply(&parse(b"211-a\r\n b\r\n211 end\r\n")).is_empty());
    }

    #[test]
    fn bare_lf_and_bad_first_digit_fail() {
        let v = reply(&parse(b"200 ok\n"));
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].rule, LINE);
        assert_eq!(v[0].verdict(), Verdict::Fail);
        let v = reply(&parse(b"600 odd\r\n"));
        assert_eq!(v[0].rule, FIRST_DIGIT);
    }

    #[test]
    fn continuation_lines_repeating_the_code_pass() {
        assert!(reply(&parse(b"220-Welcome\r\n220-to the server\r\n220 ready\r\n")).is_empty());
    }

    #[test]
    fn unpadded_inner_line_fails() {
        let v = reply(&parse(b"211-a\r\n234 b\r\n211 end\r\n"));
        assert_eq!(v[0].rule, PAD);
    }
}
