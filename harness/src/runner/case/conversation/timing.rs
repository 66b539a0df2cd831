//! How long a reply may take: a step's timeout, and more for the replies
//! to login commands, which a server may delay on purpose (RFC 2577 §5).

use super::{Awaited, Conversation};
use crate::codec::Verb;
use crate::driver::Direction;
use std::time::Duration;

impl Conversation {
    /// How long the next reply may take: the step timeout, and more for a
    /// reply to a login command, which a server may delay on purpose (RFC
    /// 2577 §5 suggests 5 seconds after a wrong password).
    pub(super) fn deadline(&self) -> Duration {
        let step = self.limits.step_timeout;
        match self.awaiting.front() {
            Some(a) if [Verb::USER, Verb::PASS, Verb::ACCT].contains(&a.verb) => {
                step + self.limits.login_delay.max(self.login_delay_seen * 2)
            }
            _ => step,
        }
    }

    /// After a reply to a login command: remember how long it took, and
    /// say so when it took longer than a reply normally may.
    pub(super) fn timed_login_reply(&mut self, took: Duration) {
        let Some(Awaited { verb, .. }) = self.awaiting.front() else {
            return;
        };
        if ![Verb::USER, Verb::PASS, Verb::ACCT].contains(verb) {
            return;
        }
        self.login_delay_seen = self.login_delay_seen.max(took);
        if took > self.limits.step_timeout {
            let note = format!(
                "the reply to {verb} took {:.1} s, longer than the {:?} step timeout: taken as a deliberate delay (RFC 2577 §5 suggests a 5 second delay before replying to an invalid PASS); later login replies may take up to {:.1} s",
                took.as_secs_f64(),
                self.limits.step_timeout,
                (self.limits.step_timeout + self.limits.login_delay.max(self.login_delay_seen * 2))
                    .as_secs_f64()
            );
            self.t.push(Direction::Note, note.clone());
            self.notes.push(note);
        }
    }
}
