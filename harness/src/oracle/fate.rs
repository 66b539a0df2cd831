//! Connection fate: what became of the control connection instead of a
//! reply. The server closed it, stayed silent, or went down altogether;
//! each leaves a command without the reply RFC 959 §4.2 requires.
//!
//! Telling these apart needs a second connection (is the server still
//! greeting?), which the caller makes; the judgement is here.

use super::rule::Violation;
use super::sequence::AT_LEAST_ONE;
use crate::verdict::Check;
use std::time::Duration;

/// The server closed the control connection without replying to `command`
/// (shown as sent).
pub fn closed(command: &str) -> Violation {
    Violation::broken(
        Check::Closed,
        AT_LEAST_ONE,
        format!("a reply to {command}"),
        format!("the connection was closed without a reply to {command}"),
    )
}

/// No reply to `command` within `waited`, while a new connection is still
/// greeted: the server is up but does not answer.
pub fn hang(command: &str, waited: Duration) -> Violation {
    Violation::broken(
        Check::Hang,
        AT_LEAST_ONE,
        format!("a reply to {command} within {waited:?}"),
        format!("no reply to {command} within {waited:?} (a new connection is still greeted)"),
    )
}

/// After `command`, the server stopped accepting or greeting connections
/// (`why` says how it showed).
pub fn crash(command: &str, why: &str) -> Violation {
    Violation::broken(
        Check::Crash,
        AT_LEAST_ONE,
        format!("a reply to {command}, and the server still up"),
        format!("after {command}: {why}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::Verdict;

    #[test]
    fn all_fail_with_the_at_least_one_reply_sentence() {
        for v in [
            closed("NOOP"),
            hang("NOOP", Duration::from_secs(5)),
            crash("NOOP", "refused"),
        ] {
            assert_eq!(v.verdict(), Verdict::Fail);
            assert_eq!(v.rule, AT_LEAST_ONE);
        }
    }
}
