//! Blame for a server found down when no session's own judgement explains
//! it: the session the same job ran before, and with several jobs the
//! session each job ended last.
//!
//! A session's QUIT is not waited for, so a server that dies of a session
//! once it has ended (in its clean-up, at QUIT) shows it to whoever comes
//! next. With one job that is the same job's next connection, and the
//! session before is to blame. With several, it is as likely another
//! job's session: reset mid-session, or refused at its next connection
//! once the monitor has seen the process exit (a disturbed session, no
//! one's finding). Re-running those alone shows nothing; the sessions the
//! jobs ended last are the candidates, each re-run alone in turn (waiting
//! for the reply to its QUIT) until one reproduces the crash.

use super::hit::Hit;
use super::session::Session;
use super::shared::Shared;
use super::triage::report;
use crate::oracle::fate;

/// A session that ended, for a refusal or an exit after it to blame.
#[derive(Clone, Debug)]
pub(super) struct Previous {
    pub session: Session,
    /// The last action it ran, its verb and the action as sent.
    pub action: usize,
    pub verb: String,
    pub shown: String,
    /// Its end was not probed ([`Shared::judge`]): this refusal is that probe.
    pub probe_deferred: bool,
}

/// The server is down (`why`) after `prev`: `prev`'s last action did it.
/// Said as the liveness probe after it would have said it when that probe
/// was left to the next connection; otherwise the session looked whole,
/// and the effect came after it. False if a re-run of `prev` alone did
/// not show it.
pub(super) async fn blame_previous(
    shared: &Shared,
    prev: Previous,
    why: &str,
    found_at: (u64, f64),
) -> bool {
    let effect = if prev.probe_deferred {
        why.to_owned()
    } else {
        format!("after the session ended: {why}")
    };
    let hit = Hit::new(fate::crash(&prev.shown, &effect), &prev.verb, prev.action);
    if shared.claim(&hit) {
        report(shared, prev.session, hit, None, found_at).await
    } else {
        true
    }
}

/// With several jobs: the server exited during restart epoch `epoch` and
/// no session seen by job `job` explains it. Unless another job took this
/// exit up already, try the session each job ended last in that epoch
/// (job `job`'s first) until one reproduces the crash alone.
pub(super) async fn explain_exit(shared: &Shared, epoch: u64, job: u64, found_at: (u64, f64)) {
    if !shared.takes_up_exit(epoch) {
        return;
    }
    let why = shared
        .down()
        .await
        .unwrap_or_else(|| "the target process exited".to_owned());
    for prev in shared.ended_in(epoch, job) {
        if blame_previous(shared, prev, &why, found_at).await {
            return;
        }
    }
}
