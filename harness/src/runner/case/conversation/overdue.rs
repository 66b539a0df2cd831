//! The overdue-reply probe ([`crate::driver::Limits::overdue_probe`]): a reply owed after
//! ABOR that is late gets one NOOP, and the order of what comes back tells
//! a late reply (the owed reply, then NOOP's 200) from a lost one (NOOP's
//! 200 while the owed reply is still awaited).

use super::Conversation;
use crate::codec::{Reply, Verb};
use crate::driver::Direction;
use crate::oracle::sequence;
use crate::runner::case::Stop;
use crate::verdict::Verdict;

/// The overdue-reply probe ([`crate::driver::Limits::overdue_probe`]): at most one per case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum OverdueProbe {
    Unused,
    /// The NOOP is sent and its reply not yet read.
    Pending,
    Done,
}

/// Commands whose replies never include 200, so that a 200 while only
/// these are awaited can only be the probe's NOOP being answered.
const NO_200: [Verb; 8] = [
    Verb::ABOR,
    Verb::RETR,
    Verb::STOR,
    Verb::STOU,
    Verb::APPE,
    Verb::LIST,
    Verb::NLST,
    Verb::MLSD,
];

impl Conversation {
    /// Whether a reply now awaited may be probed for: it is owed after an
    /// ABOR, no data connection is being read (`data_open`), and no awaited
    /// command could itself be answered 200.
    pub(super) fn may_probe(&self, data_open: bool) -> bool {
        self.overdue == OverdueProbe::Unused
            && !data_open
            && self.awaiting.iter().any(|a| a.verb == Verb::ABOR)
            && self.awaiting.iter().all(|a| NO_200.contains(&a.verb))
    }

    /// A 200 while the probe's NOOP and older replies are awaited: the NOOP
    /// was answered first, so an older reply was skipped.
    pub(super) fn probe_overtaken(
        &mut self,
        reply: &Reply,
        line: Option<usize>,
    ) -> Result<(), Stop> {
        if self.overdue != OverdueProbe::Pending || reply.code().get() != 200 {
            return Ok(());
        }
        let owed: Vec<Verb> = self.awaiting.iter().map(|a| a.verb.clone()).collect();
        self.find(
            &sequence::skipped(&owed, reply, self.limits.overdue_probe),
            line,
        );
        let owed: Vec<String> = owed.iter().map(|v| v.to_string()).collect();
        Err(Stop::new(
            Verdict::Fail,
            format!(
                "line {}: a reply is missing: {} still owed a reply when the probe NOOP got {}",
                line.unwrap_or_default(),
                owed.join(" and "),
                reply.code()
            ),
        ))
    }

    /// Once every owed reply is in, read the probe NOOP's own reply.
    pub(super) async fn settle_probe(&mut self, line: Option<usize>) -> Result<(), Stop> {
        if self.overdue != OverdueProbe::Pending || !self.awaiting.is_empty() {
            return Ok(());
        }
        self.overdue = OverdueProbe::Done;
        let r = match self.control.read_reply(&mut self.t).await {
            Ok(r) => r,
            Err(e) => return Err(self.read_failed(e, line)),
        };
        self.t.push(
            Direction::Note,
            format!(
                "probe: the late reply came; NOOP answered {}",
                r.value.code()
            ),
        );
        Ok(())
    }
}
