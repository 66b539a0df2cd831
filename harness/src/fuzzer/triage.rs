//! Triage of a hit: verify that it reproduces on a healthy server, move
//! the blame to the command before when a NOOP in its place fares the same,
//! minimise the session, and write the finding. Triage holds the gate
//! alone, so no other session runs while it re-runs.

use super::config::FindingOut;
use super::execute::{Execution, Spare, execute, execute_with};
use super::findings::{self, FindingFile};
use super::hit::{Hit, Sighting};
use super::minimise::minimise;
use super::session::{Action, Session};
use super::shared::Shared;
use super::step::{alone, in_step_cause};
use crate::driver::Direction;
use crate::oracle::Check;
use std::time::Instant;

/// Run a worker's session; `spare`: the connection opened for it during
/// the session before, and where this one leaves the next one's.
pub(super) async fn run_session(
    shared: &Shared,
    session: &Session,
    spare: &mut Option<Spare>,
) -> (Execution, Vec<Hit>, bool) {
    let exec = {
        let _g = shared.gate.read().await;
        execute_with(session, &shared.exec, spare).await
    };
    let (hits, down) = shared.judge(&exec, shared.defers_probes()).await;
    (exec, hits, down)
}

/// Re-run `session` on a healthy server; the action index if a hit
/// `wanted` accepts fires.
pub(super) async fn reproduces(
    shared: &Shared,
    session: &Session,
    wanted: &(impl Fn(&Hit, &Session) -> bool + ?Sized),
    transcript: bool,
) -> Option<(Hit, Execution)> {
    if !shared.ensure_up().await {
        return None;
    }
    let mut cfg = shared.exec.clone();
    cfg.transcript = transcript;
    cfg.await_quit = true;
    shared.count_rerun();
    let exec = execute(session, &cfg).await;
    let (hits, _) = shared.judge(&exec, false).await;
    let hit = hits.into_iter().find(|h| wanted(h, session))?;
    Some((hit, exec))
}

pub(super) fn noop() -> Action {
    Action::Command {
        verb: "NOOP".into(),
        arg: None,
    }
}

/// The message of an effect seen at a NOOP (`witnessed`: "after NOOP:
/// the target process exited") once blamed on the command before it
/// (`culprit`, as sent): the culprit first.
fn blamed_back(witnessed: &str, culprit: &str) -> String {
    let effect = witnessed
        .split_once(" (a NOOP in its place")
        .map_or(witnessed, |(b, _)| b);
    let effect = effect.split_once(": ").map_or(effect, |(_, e)| e);
    format!(
        "after {culprit}, at the next command: {effect} (a NOOP in its place fares no better: \
         the cause is {culprit})"
    )
}

/// Whether a connection-level effect (a close, a crash, silence) at
/// action `at` is the doing of the command before: the same effect with a
/// NOOP in place of the command blamed so far (and nothing after it)
/// means so. The blame moves back as far as that holds, so that an
/// over-long line is blamed, not the harmless command after it. `moved`:
/// how far it has moved already (`hit` is seen at the NOOP after the
/// command it is blamed on). Returns how far it moved in all.
pub(super) async fn blame_back(
    shared: &Shared,
    session: &mut Session,
    hit: &mut Hit,
    mut moved: usize,
) -> usize {
    let check = hit.check();
    if !matches!(check, Check::Closed | Check::Crash | Check::Hang) {
        return moved;
    }
    loop {
        // After a move the effect shows at a NOOP that witnesses the
        // command before it.
        let culprit = if moved > 0 {
            hit.action - 1
        } else {
            hit.action
        };
        // Each probe of a hang costs the reply timeout: once the run's
        // time is spent, a hang's blame stays where it is (a close's or a
        // crash's probe costs milliseconds, and a restart).
        if culprit == 0
            || culprit >= session.actions.len()
            || (check == Check::Hang && shared.out_of_time())
        {
            break;
        }
        let mut probe = session.clone();
        probe.actions.truncate(culprit);
        probe.actions.push(noop());
        let same = move |h: &Hit, _: &Session| h.check() == check && h.action == culprit;
        let Some((_, exec)) = reproduces(shared, &probe, &same, false).await else {
            break;
        };
        *hit = moved_back(hit, &probe, &exec, culprit);
        *session = probe;
        moved += 1;
        // A cause already reported absorbs this sighting: looking further
        // back would cost a re-run for a finding that is not written.
        // (Against vsftpd, which closes the connection at the command after
        // some 500s, this was two re-runs for every new verb it closed on.)
        // Not a mere claim: this hit holds one under the key it came with,
        // and a session that ran STOR twice, then crashed at its QUIT for
        // an earlier SYST, had its blame stopped at the first STOR.
        if shared.is_reported(&hit.key()) {
            break;
        }
    }
    moved
}

/// `hit`, seen at the NOOP at `culprit` of `probe` (run as `exec`),
/// blamed on the command before it.
pub(super) fn moved_back(hit: &Hit, probe: &Session, exec: &Execution, culprit: usize) -> Hit {
    let before = culprit - 1;
    let prev = probe.actions[before].verb();
    let mut violation = hit.violation.clone();
    violation.received = blamed_back(&hit.violation.received, &exec.sent(before));
    let cause = match hit.check() {
        Check::Closed => super::step::closed_cause(exec, before),
        _ => format!("on {prev}"),
    };
    Hit::new(violation, &prev, culprit).with_cause(cause)
}

/// After `hit` came to stand for another cause than the one it was claimed
/// under (`old`): claim the new one. False if it was claimed already (this
/// sighting is absorbed into it).
fn rekeyed(shared: &Shared, old: &(Check, String), hit: &Hit) -> bool {
    if &hit.key() == old {
        return true;
    }
    shared.unclaim(old);
    shared.claim(hit)
}

/// Verify, minimise and write one finding (`sighting`: the hit with what
/// came before it, if it is about the connection). Holds the gate alone.
/// False if a re-run on a healthy server did not show it (nothing is
/// written then).
pub(super) async fn report(
    shared: &Shared,
    session: Session,
    hit: Hit,
    sighting: Option<Sighting>,
    found_at: (u64, f64),
) -> bool {
    let _g = shared.gate.write().await;
    let t0 = Instant::now();
    let runs_before = {
        let mut s = shared.state();
        s.progress.triaged += 1;
        s.progress.reruns
    };
    let original_actions = session.actions.len();
    // Seen at the login: none of the session's actions is the cause, and
    // a session of none is the whole reproduction.
    let session = if hit.at_login {
        Session::default()
    } else {
        session
    };
    let (mut session, mut hit) = (session, hit);
    let restartable = shared.monitor.lock().await.is_some();
    let server_was_down = shared.down().await.is_some();
    // Without a way to restart it, a server that crashed cannot be asked again.
    let can_rerun = restartable || !server_was_down;
    let first_key = hit.key();
    let moved = if can_rerun {
        blame_back(shared, &mut session, &mut hit, 0).await
    } else {
        0
    };
    let mut after_reply = moved > 0;
    if can_rerun {
        if let Some((s, h, a)) = alone(shared, &session, &hit, after_reply).await {
            (session, hit, after_reply) = (s, h, a);
        }
    }
    // The command just before did it: the next such sighting is known.
    if let (1, Some(s)) = (moved, sighting) {
        shared.absorb(s, hit.key());
    }
    // Re-keyed: a cause already claimed absorbs this one.
    if !rekeyed(shared, &first_key, &hit) {
        debug_cost(shared, "ABSORBED", t0, runs_before, &hit, "");
        return true;
    }
    let mut key = hit.key();
    let mut wanted = same_finding(&hit, after_reply);
    // With a transcript: once the run's time is spent, this re-run is
    // the last, and its transcript goes into the file.
    let verified = if can_rerun {
        reproduces(shared, &session, &wanted, true).await
    } else {
        None
    };
    let (min, last) = match verified {
        // The run's time is spent: the finding as verified, not shrunk
        // (a hang's every re-run costs the reply timeout; `--duration` is
        // the user's budget for the whole run).
        Some((h, e)) if shared.out_of_time() => {
            described(&mut hit, h, &e, after_reply);
            (session.clone(), Some(e))
        }
        Some((h, _)) => {
            let budget = shared.cfg.minimise_budget;
            // Re-runs of a hang cost the reply timeout each: shrinking
            // stops at `minimise_time`, or once the run's time is spent.
            let shrinking = Instant::now();
            let mut min = {
                let wanted = &wanted;
                minimise(&session, h.action, budget, |c| async move {
                    if shared.out_of_time() || shrinking.elapsed() >= shared.cfg.minimise_time {
                        return None;
                    }
                    reproduces(shared, &c, wanted, false)
                        .await
                        .map(|(h, _)| h.action)
                })
                .await
            };
            // Blame once more, on the minimised session: the one first
            // blamed may have been out of step (a data connection held, a
            // reply late), where a NOOP in the command's place showed
            // nothing, while the few actions left are in step. Against
            // the embedded libunftp, which closes the connection at the
            // command after any 501, a 10-minute run reported that close
            // under PORT, STOR, MDTM, CDUP, EPSV and EPRT, each minimised
            // to a 501-drawing command and the one after it.
            if !shared.out_of_time() && !min.actions.is_empty() {
                let mut again = hit.clone();
                again.action = min.actions.len() - 1;
                let mut again_reply = after_reply;
                if !after_reply && blame_back(shared, &mut min, &mut again, 0).await > 0 {
                    again_reply = true;
                }
                // Still out of step: the few actions left, in step. (A
                // fragment, `\xfd`, then `PASS \r\n`, which libunftp reads
                // as one line and answers 500, came through the first
                // `alone` joined to other actions, and shrank to those two.)
                if let Some((s, h, a)) = alone(shared, &min, &again, again_reply).await {
                    (min, again, again_reply) = (s, h, a);
                }
                if again.key() != key || again_reply != after_reply {
                    if !rekeyed(shared, &key, &again) {
                        debug_cost(shared, "ABSORBED", t0, runs_before, &again, "");
                        return true;
                    }
                    hit = again;
                    after_reply = again_reply;
                    key = hit.key();
                    wanted = same_finding(&hit, after_reply);
                }
            }
            let wanted = &wanted;
            // Once more with a transcript, for the file; the hit's detail
            // then names the minimised command.
            match reproduces(shared, &min, wanted, true).await {
                Some((h, e)) => {
                    described(&mut hit, h, &e, after_reply);
                    // Shrunk, the session may have come into step: its
                    // close is then keyed as it shows there.
                    if let Some(cause) = in_step_cause(&hit, &e, after_reply) {
                        hit.cause = cause;
                        if !rekeyed(shared, &key, &hit) {
                            debug_cost(shared, "ABSORBED", t0, runs_before, &hit, "");
                            return true;
                        }
                        key = hit.key();
                    }
                    (min, Some(e))
                }
                None => (min, None),
            }
        }
        None if can_rerun => {
            shared.state().progress.flaky += 1;
            shared.unclaim(&key);
            let detail = shared.cfg.target.redactor().text(hit.detail());
            let detail: String = detail.chars().take(200).collect();
            debug_cost(shared, "UNREPRODUCED", t0, runs_before, &hit, &detail);
            return false;
        }
        None => (session.clone(), None),
    };
    let redactor = shared.cfg.target.redactor();
    redactor.apply(&mut hit.violation.received);
    let hit_final = hit.clone();
    let (replies, transcript) = match &last {
        Some(e) => (
            e.replies.clone(),
            e.transcript
                .entries()
                .iter()
                .map(|en| {
                    let d = match en.dir {
                        Direction::Client => ">",
                        Direction::Server => "<",
                        _ => "#",
                    };
                    redactor.text(&format!("{d} {}", en.text))
                })
                .collect(),
        ),
        None => (Vec::new(), Vec::new()),
    };
    let f = FindingFile {
        hit: hit_final.clone(),
        session: min.clone(),
        replies,
        original_actions,
        after_sessions: found_at.0,
        after_secs: found_at.1,
        transcript,
        protected: shared.cfg.target.security.is_tls(),
        number: shared.number(&findings::file_name(&hit)),
    };
    let file = match shared
        .cfg
        .findings
        .as_ref()
        .map(|dir| findings::write(dir, &f))
    {
        Some(Ok(path)) => Some(path),
        Some(Err(e)) => {
            shared.harness_error(format!("cannot write the finding {}: {e}", f.name()));
            None
        }
        None => None,
    };
    let out = FindingOut {
        oracle: hit.check().as_str(),
        verb: hit.verb.clone(),
        detail: hit.detail().to_owned(),
        after_sessions: found_at.0,
        after_secs: found_at.1,
        actions: (min.actions.len(), original_actions),
        file,
        scenario: findings::text(&f),
        cause: hit.cause.clone(),
        commands: Vec::new(),
        key: key.clone(),
    };
    {
        let mut st = shared.state();
        let mut out = out;
        out.commands = st
            .claimed
            .get(&key)
            .map(|c| c.iter().cloned().collect())
            .unwrap_or_else(|| vec![hit.verb.clone()]);
        st.findings.push(out);
    }
    debug_cost(shared, "REPORT", t0, runs_before, &hit, "");
    // Holding the gate alone already: not `Shared::restore`.
    shared
        .keep_up(|| super::shared::NO_RESTART.to_owned())
        .await;
    true
}

/// Whether a re-run's hit shows the finding `hit` is about: the same
/// check at the same command and, for a cause read off the server's
/// behaviour (a reply's shape, a TLS failure's kind), the same cause.
/// LightFTP, re-run, may answer a ClientHello after a 234 with silence
/// where the session had seen a "500 Syntax error": that re-run does not
/// verify the "not TLS but a 500 reply" finding, nor lend it its words
/// (the file then named the one cause and told of the other, and the
/// silence, reported again, was written twice). After the blame moved
/// back (`after_reply`), the effect shows at the NOOP put in place of
/// the command it showed at, right after the one blamed.
fn same_finding(hit: &Hit, after_reply: bool) -> impl Fn(&Hit, &Session) -> bool + use<> {
    let (check, blamed, cause) = (hit.check(), hit.verb.clone(), hit.cause.clone());
    move |h: &Hit, s: &Session| {
        h.check() == check
            && if after_reply {
                h.action > 0
                    && s.actions.get(h.action) == Some(&noop())
                    && s.actions[h.action - 1].verb() == blamed
            } else {
                h.verb == blamed && h.cause == cause
            }
    }
}

/// Describe `hit` as the re-run `e` saw it (`h`): its detail then names
/// the command as that run sent it.
fn described(hit: &mut Hit, h: Hit, e: &Execution, after_reply: bool) {
    hit.violation.received = if after_reply {
        blamed_back(h.detail(), &e.sent(h.action - 1))
    } else {
        h.detail().to_owned()
    };
    hit.action = h.action;
}

/// With FTPSPEC_FUZZ_DEBUG: what triage spent on `hit` (time and re-runs
/// since `t0` and `runs_before`), under `what` it came to.
fn debug_cost(shared: &Shared, what: &str, t0: Instant, runs_before: u64, hit: &Hit, detail: &str) {
    if std::env::var_os("FTPSPEC_FUZZ_DEBUG").is_some() {
        eprintln!(
            "\n{what} {:?} {} runs: {} {} [{}]{}{detail}",
            t0.elapsed(),
            shared.state().progress.reruns - runs_before,
            hit.check(),
            hit.verb,
            hit.cause,
            if detail.is_empty() { "" } else { ": " },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::driver::TlsFailure;

    fn tls_hit(failure: TlsFailure) -> Hit {
        Hit::after_234(&failure, "AUTH", 3).unwrap()
    }

    /// A re-run that shows another cause of the same check at the same
    /// command does not verify the finding.
    #[test]
    fn a_rerun_verifies_only_the_same_cause() {
        let session = Session::default();
        let seen = tls_hit(TlsFailure::NotTls(b"500 Syntax error\r\n".to_vec()));
        let wanted = same_finding(&seen, false);
        let silent = tls_hit(TlsFailure::Silent(std::time::Duration::from_secs(5)));
        assert!(!wanted(&silent, &session));
        let again = tls_hit(TlsFailure::NotTls(b"500 Other words\r\n".to_vec()));
        assert!(wanted(&again, &session));
    }
}
