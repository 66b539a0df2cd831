//! Closes seen out of step: once a line has gone without its end, or a
//! transfer waits for a data connection we hold back, the reply recorded
//! for a command may answer an earlier one, and a NOOP in a command's
//! place is no fair test of blame. Such a close is keyed "closed while
//! replies were out of step" (`cause.rs`) until a run in step shows what
//! it is; what none shows stays under that one key.

use super::execute::Execution;
use super::hit::Hit;
use super::session::{Session, joined};
use super::shared::Shared;
use super::triage::{blame_back, moved_back, noop, reproduces};
use crate::oracle::Check;

/// The cause of a close after the `i`th action of `exec`: the code it
/// drew. Unless that code may answer an earlier command (one was still
/// owed a reply as it was sent), or the action was a malformed line that
/// drew nothing within the short wait such a line gets (whether a reply
/// was on its way is unknown): then nothing recorded tells the cause.
pub(super) fn closed_cause(exec: &Execution, i: usize) -> String {
    use super::cause;
    let code = exec.replies.get(i).and_then(|r| r.last()).copied();
    // Nothing owed before it: what was recorded for it answers it.
    let owed_before = exec.out_of_step.is_some_and(|o| o < i);
    match (owed_before, code) {
        (false, Some(_)) => cause::closed_after(code),
        (false, None) if exec.in_step_at(i) => cause::closed_after(None),
        _ => cause::closed_out_of_step(),
    }
}

/// A close seen out of step ([`super::cause::closed_out_of_step`]), blamed
/// on command `X` (`after_reply`: seen at the NOOP after it), re-run in
/// step: `X` alone after the login, then a NOOP; failing that, with one,
/// two, … of the commands before it, up to [`ALONE_BACK`], a fragment
/// joined to the line after it ([`joined`]); failing that, each of those
/// commands alone, without `X`. The first run that shows a
/// close in step is blamed again, where blame holds (a NOOP in a
/// command's place is a fair test only in step). The session and hit so
/// blamed, or `None` if no such run shows a close (the key stays).
///
/// Against a server whose replies come late, blame out of step stopped at
/// a `REST 65535` the server answered with 350: the close was the doing
/// of the 502-drawing command before it, and this finds it. A malformed
/// line that the server closes the connection at without a reply
/// (libunftp at `USER \xef`) shows the close at that line itself, which
/// is no finding: such closes stay under the one out-of-step key.
pub(super) async fn alone(
    shared: &Shared,
    session: &Session,
    hit: &Hit,
    after_reply: bool,
) -> Option<(Session, Hit, bool)> {
    use super::cause::closed_out_of_step;
    if hit.check() != Check::Closed || hit.cause != closed_out_of_step() {
        return None;
    }
    let at = if after_reply {
        hit.action.checked_sub(1)?
    } else {
        hit.action
    };
    session.actions.get(at)?;
    let closed = |h: &Hit, _: &Session| h.check() == Check::Closed;
    // Windows ending at the command blamed, widest last; then each of the
    // commands before it alone, nearest first: a window that holds a
    // transfer whose data we hold back is out of step however wide, while
    // the line that did it (`\xaa\n`, answered 500 by libunftp, which
    // then closes) may be in step alone.
    let back = ALONE_BACK.min(at);
    let windows = (0..=back)
        .map(|b| at - b..=at)
        .chain((1..=back).map(|b| at - b..=at - b));
    for window in windows {
        let mut probe = Session {
            actions: joined(&session.actions[window]),
        };
        probe.actions.push(noop());
        let Some((mut h, exec)) = reproduces(shared, &probe, &closed, false).await else {
            continue;
        };
        // Seen at the NOOP put last: a NOOP in its place is this very
        // session, and needs no re-run to say the command before did it.
        let mut moved = 0;
        if h.action > 0 && h.action + 1 == probe.actions.len() {
            h = moved_back(&h, &probe, &exec, h.action);
            moved = 1;
        }
        if h.cause == closed_out_of_step() {
            continue;
        }
        if !shared.is_reported(&h.key()) {
            moved = blame_back(shared, &mut probe, &mut h, moved).await;
        }
        if h.cause != closed_out_of_step() {
            return Some((probe, h, moved > 0));
        }
    }
    None
}

/// The cause of a close keyed out of step, as the run `e` shows it once
/// in step at the command blamed; `None` if it is not.
pub(super) fn in_step_cause(hit: &Hit, e: &Execution, after_reply: bool) -> Option<String> {
    use super::cause::closed_out_of_step;
    if hit.check() != Check::Closed || hit.cause != closed_out_of_step() {
        return None;
    }
    let cause = if after_reply {
        let before = hit.action.checked_sub(1)?;
        closed_cause(e, before)
    } else if e.in_step_at(hit.action) {
        format!("on {}", hit.verb)
    } else {
        return None;
    };
    (cause != closed_out_of_step()).then_some(cause)
}

/// How many commands before the one blamed [`alone`] tries.
const ALONE_BACK: usize = 3;
