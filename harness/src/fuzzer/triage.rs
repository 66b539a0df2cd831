//! Triage of a hit: verify that it reproduces on a healthy server, move
//! the blame to the command before when a NOOP in its place fares the same,
//! minimise the session, and write the finding. Triage holds the gate
//! alone, so no other session runs while it re-runs.

use super::config::FindingOut;
use super::execute::{Execution, execute};
use super::findings::{self, Finding};
use super::hit::Hit;
use super::minimise::minimise;
use super::session::{Action, Session};
use super::shared::Shared;
use crate::driver::Direction;
use crate::oracle::Check;
use std::time::Instant;

/// Re-runs spent on verification and minimisation (for FTPSPEC_FUZZ_DEBUG).
static RUNS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

pub(super) async fn run_session(shared: &Shared, session: &Session) -> (Execution, Vec<Hit>, bool) {
    let exec = {
        let _g = shared.gate.read().await;
        execute(session, &shared.exec).await
    };
    let (hits, down) = shared.judge(&exec).await;
    (exec, hits, down)
}

/// Re-run `session` on a healthy server; the action index if a hit
/// `wanted` accepts fires.
async fn reproduces(
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
    RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let exec = execute(session, &cfg).await;
    let (hits, _) = shared.judge(&exec).await;
    let hit = hits.into_iter().find(|h| wanted(h, session))?;
    Some((hit, exec))
}

fn noop() -> Action {
    Action::Command {
        verb: "NOOP".into(),
        arg: None,
    }
}

/// Verify, minimise and write one finding. Holds the gate alone.
pub(super) async fn report(shared: &Shared, session: Session, hit: Hit, found_at: (u64, f64)) {
    let _g = shared.gate.write().await;
    let t0 = Instant::now();
    let runs_before = RUNS.load(std::sync::atomic::Ordering::Relaxed);
    let (mut session, mut hit) = (session, hit);
    let original_actions = session.actions.len();
    let restartable = shared.monitor.lock().await.is_some();
    let server_was_down = shared.down().await.is_some();
    // Without a way to restart it, a server that crashed cannot be asked again.
    let can_rerun = restartable || !server_was_down;
    // A connection closed (or a server gone) at command N may be the doing
    // of command N-1, after its reply: if a NOOP in N's place fares the
    // same, the finding is about N-1 (deduplicated as such).
    let mut after_reply = false;
    let mut note = String::new();
    if can_rerun
        && matches!(hit.check(), Check::Closed | Check::Crash)
        && hit.action > 0
        && hit.action < session.actions.len()
        && session.actions[hit.action] != noop()
    {
        let mut probe = session.clone();
        probe.actions.truncate(hit.action);
        probe.actions.push(noop());
        let (check, at) = (hit.check(), hit.action);
        let same = move |h: &Hit, _: &Session| h.check() == check && h.action == at;
        if reproduces(shared, &probe, &same, false).await.is_some() {
            let prev = session.actions[at - 1].verb();
            let mut st = shared.state();
            st.claimed.remove(&hit.key());
            if !st.claimed.insert((check, prev.clone())) {
                return;
            }
            drop(st);
            note = format!(
                " (a NOOP in its place fares no better: the cause is the command before, {})",
                session.actions[at - 1]
            );
            let mut violation = hit.violation.clone();
            violation.received = format!("{}{note}", violation.received);
            hit = Hit::new(violation, &prev, at);
            session = probe;
            after_reply = true;
        }
    }
    let key = hit.key();
    let wanted = move |h: &Hit, s: &Session| {
        h.check() == key.0
            && if after_reply {
                h.action > 0
                    && s.actions.get(h.action) == Some(&noop())
                    && s.actions[h.action - 1].verb() == key.1
            } else {
                h.verb == key.1
            }
    };
    let verified = if can_rerun {
        reproduces(shared, &session, &wanted, false).await
    } else {
        None
    };
    let (min, last) = match verified {
        Some((h, _)) => {
            let budget = shared.cfg.minimise_budget;
            let wanted = &wanted;
            let min = minimise(&session, h.action, budget, |c| async move {
                reproduces(shared, &c, wanted, false)
                    .await
                    .map(|(h, _)| h.action)
            })
            .await;
            // Once more with a transcript, for the file; the hit's detail
            // then names the minimised command.
            match reproduces(shared, &min, wanted, true).await {
                Some((h, e)) => {
                    hit.violation.received = format!("{}{note}", h.detail());
                    hit.action = h.action;
                    (min, Some(e))
                }
                None => (min, None),
            }
        }
        None if can_rerun => {
            let mut st = shared.state();
            st.progress.flaky += 1;
            st.claimed.remove(&hit.key());
            return;
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
    let f = Finding {
        hit: hit_final.clone(),
        session: min.clone(),
        replies,
        original_actions,
        after_sessions: found_at.0,
        after_secs: found_at.1,
        transcript,
    };
    let file = match shared
        .cfg
        .findings
        .as_ref()
        .map(|dir| findings::write(dir, &f))
    {
        Some(Ok(path)) => Some(path),
        Some(Err(e)) => {
            shared.harness_error(format!(
                "cannot write the finding {}: {e}",
                findings::file_name(&hit)
            ));
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
    };
    shared.state().findings.push(out);
    if std::env::var_os("FTPSPEC_FUZZ_DEBUG").is_some() {
        eprintln!(
            "\nREPORT {:?} {} runs: {} {}",
            t0.elapsed(),
            RUNS.load(std::sync::atomic::Ordering::Relaxed) - runs_before,
            hit.check(),
            hit.verb
        );
    }
    if !shared.ensure_up().await {
        let mut s = shared.state();
        if s.stopped.is_none() {
            s.stopped =
                Some("the target is down and there is no --target-cmd to restart it".to_owned());
        }
    }
}
