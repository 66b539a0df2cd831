//! Which owed command a reply answers. First in, first out, with one
//! exception: a command sent while a transfer is under way (its 1yz came)
//! may be answered before the transfer's result. RFC 959 §4.1.1 on QUIT:
//! "If file transfer is in progress, the connection will remain open for
//! result response and the server will then close it": the result must
//! come, not that it comes first (LightFTP 5980ea1 sends the 221, then
//! the 426). Matched first in, first out, the 221 was judged as the
//! transfer's result and the 426 as QUIT's reply: a false fail.

use super::Awaited;
use crate::codec::ReplyCode;
use crate::oracle::codes::{self, SessionSecurity};
use std::collections::VecDeque;

/// Take the command `code` answers from `awaiting`: the first, unless
/// the first is a transfer under way that the table allows no such
/// final reply while a later command, not under way, has `code` in its
/// own table; then that one. A 1yz is always the first's.
pub(super) fn answered(
    awaiting: &mut VecDeque<Awaited>,
    code: ReplyCode,
    security: SessionSecurity,
) -> Option<Awaited> {
    let fits = |a: &Awaited| {
        codes::allowed(&a.verb).is_some()
            && codes::reply_code_in(&a.verb, code, a.after_preliminary, security).is_none()
    };
    let front = awaiting.front()?;
    if front.after_preliminary && !code.is_preliminary() && !fits(front) {
        let later = awaiting
            .iter()
            .skip(1)
            .position(|a| !a.after_preliminary && fits(a));
        if let Some(i) = later {
            return awaiting.remove(i + 1);
        }
    }
    awaiting.pop_front()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::Verb;

    fn owed(verb: &str, after_preliminary: bool) -> Awaited {
        Awaited {
            verb: Verb::new(verb),
            arg: String::new(),
            after_preliminary,
            line: verb.to_owned(),
        }
    }

    fn take(q: &mut VecDeque<Awaited>, code: u16) -> String {
        let code = ReplyCode::new(code).unwrap();
        answered(q, code, SessionSecurity::default())
            .map(|a| a.verb.as_str().to_owned())
            .unwrap_or_default()
    }

    #[test]
    fn quit_answered_before_the_transfer_result_is_matched_to_quit() {
        let mut q = VecDeque::from([owed("RETR", true), owed("QUIT", false)]);
        assert_eq!(take(&mut q, 221), "QUIT");
        assert_eq!(take(&mut q, 426), "RETR");
        assert!(q.is_empty());
    }

    #[test]
    fn in_order_replies_stay_in_order() {
        let mut q = VecDeque::from([owed("RETR", true), owed("QUIT", false)]);
        assert_eq!(take(&mut q, 226), "RETR");
        assert_eq!(take(&mut q, 221), "QUIT");
    }

    #[test]
    fn a_reply_no_owed_command_takes_goes_to_the_first() {
        // 200 fits neither RETR after its 150 nor QUIT: the first's, and
        // the reply-code check judges it there.
        let mut q = VecDeque::from([owed("RETR", true), owed("QUIT", false)]);
        assert_eq!(take(&mut q, 200), "RETR");
        // Not under way: never reordered.
        let mut q = VecDeque::from([owed("NOOP", false), owed("QUIT", false)]);
        assert_eq!(take(&mut q, 221), "NOOP");
    }
}
