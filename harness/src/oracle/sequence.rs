//! One reply per command (RFC 959 §4.2, §5.4): every command gets a reply,
//! in order, and nothing comes that no command asked for.

use super::codes::TABLE;
use super::rule::{Rule, Violation};
use crate::codec::{Reply, Verb};
use crate::verdict::Check;
use std::time::Duration;

/// RFC 959 §4.2: no command goes unanswered.
pub const AT_LEAST_ONE: Rule = Rule::must(
    959,
    "4.2",
    "Every command must generate at least one reply, although there may be more than one; in the latter case, the multiple replies must be easily distinguished.",
);

/// Every rule this family enforces (and [`TABLE`], whose "command reply
/// sequence cannot be altered" an unasked-for reply breaks).
pub const RULES: &[Rule] = &[AT_LEAST_ONE];

/// After a command line longer than this, a server may have read the line
/// as several (RFC 959 sets no limit), so an extra reply is a suspected
/// breach only.
pub const LONG_LINE: usize = 4096;

/// A reply nobody asked for, after a line that may have been read as
/// several commands ([`LONG_LINE`]): §4.2 allows "more than one" reply to a
/// command, and which commands the server saw cannot be known.
pub fn unsolicited_after_long_line(reply: &Reply) -> Violation {
    Violation::suspected(
        Check::OneReply,
        TABLE,
        "no reply until the next command (after an over-long line the server may have read several)",
        format!("a reply no command asked for: {reply}"),
    )
}

/// A reply that arrived when no command's reply was owed: duplicated, or
/// spontaneous (RFC 959 §5.4: "There is no provision in FTP for such
/// spontaneous information to be sent from the server to the user").
pub fn unsolicited(reply: &Reply) -> Violation {
    Violation::broken(
        Check::OneReply,
        TABLE,
        "no reply until the next command",
        format!("a reply no command asked for: {reply}"),
    )
}

/// The overdue-reply probe: a NOOP sent after `waited` of silence was
/// answered (`overtaking`) while replies to `owed` were still due, so the
/// server skipped them.
pub fn skipped(owed: &[Verb], overtaking: &Reply, waited: Duration) -> Violation {
    let owed: Vec<String> = owed.iter().map(|v| v.to_string()).collect();
    Violation::broken(
        Check::OneReply,
        AT_LEAST_ONE,
        format!(
            "a reply to {} before the probe NOOP's 200",
            owed.join(", then ")
        ),
        format!(
            "{}: the probe NOOP, sent after {waited:?} of silence, was answered while a reply to {} was still owed",
            overtaking.to_string().trim_end_matches("\\r\\n"),
            owed.join(" and ")
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::Verdict;

    #[test]
    fn both_fail() {
        let r = Reply::parse(b"200 NOOP ok\r\n").unwrap();
        assert_eq!(unsolicited(&r).verdict(), Verdict::Fail);
        let v = skipped(&[Verb::RETR, Verb::ABOR], &r, Duration::from_secs(1));
        assert_eq!(v.verdict(), Verdict::Fail);
        assert!(v.received.contains("RETR and ABOR"), "{v:?}");
    }
}
