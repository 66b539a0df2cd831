//! A worker: generate or mutate a session, run it, feed the state
//! coverage back into the corpus, and hand every new hit to triage.

use super::execute::{End, execute};
use super::feedback;
use super::generate::Generator;
use super::hit::Hit;
use super::mutate;
use super::rng::Rng;
use super::session::{Action, Session};
use super::shared::Shared;
use super::triage::{report, run_session};
use crate::oracle::fate;
use arbitrary::Unstructured;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Sessions between two looks at what the server has shown.
const LEARN_EVERY: u64 = 32;

pub(super) async fn worker(shared: Arc<Shared>, index: u64) {
    let mut rng = Rng::new(shared.cfg.seed ^ index.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let mut g = Generator::new(shared.cfg.shape).with_login(&shared.exec.user, &shared.exec.pass);
    let mut previous: Option<Session> = None;
    let mut round = 0u64;
    while !shared.done() {
        // Now and then, take up what the server has shown so far.
        if round % LEARN_EVERY == 0 {
            g.set_learned(shared.state().learnt.values());
        }
        round += 1;
        let data = rng.bytes(4096);
        let mut u = Unstructured::new(&data);
        let session = {
            let s = shared.state();
            let favoured = s.corpus.favoured();
            let fresh = s.corpus.is_empty() || rng.below(5) == 0;
            let made = if fresh {
                g.session(&mut u, &favoured)
            } else {
                let a = s
                    .corpus
                    .pick(rng.next_u64())
                    .map(|e| e.session.clone())
                    .unwrap_or_default();
                let b = s.corpus.pick(rng.next_u64()).map(|e| e.session.clone());
                mutate::mutate(
                    &g,
                    &mut u,
                    &a,
                    b.as_ref(),
                    &favoured,
                    shared.cfg.shape.max_actions * 2,
                )
            };
            made.unwrap_or_else(|_| Session {
                actions: vec![Action::Command {
                    verb: "NOOP".into(),
                    arg: None,
                }],
            })
        };
        let t0 = Instant::now();
        let epoch = shared.epoch.load(std::sync::atomic::Ordering::SeqCst);
        let (exec, mut hits, down) = run_session(&shared, &session).await;
        // With several jobs, a crash caused by one session resets the
        // others: what they saw is collateral, not a finding or an error.
        let mut collateral = shared.disturbed(epoch, down).await;
        if !collateral
            && shared.cfg.jobs > 1
            && matches!(
                exec.end,
                End::Refused(_) | End::NoGreeting(_) | End::LoginFailed(_)
            )
        {
            // Another job's crash may be under way (the process dying, not
            // yet reaped or restarted): look again after a pause, and
            // count an error only if a plain login still fails.
            tokio::time::sleep(Duration::from_millis(50)).await;
            collateral = shared.disturbed(epoch, down).await
                || !matches!(
                    execute(&Session::default(), &shared.exec).await.end,
                    End::Refused(_) | End::NoGreeting(_) | End::LoginFailed(_)
                );
        }
        if collateral {
            hits.clear();
            shared.state().progress.collateral += 1;
        }
        // FTPSPEC_FUZZ_DEBUG=<ms> names the sessions slower than that: what eats
        // the throughput against a given server.
        let slow_ms = std::env::var("FTPSPEC_FUZZ_DEBUG")
            .ok()
            .and_then(|v| v.parse::<u64>().ok());
        if slow_ms.is_some_and(|ms| t0.elapsed() > Duration::from_millis(ms)) {
            eprintln!(
                "\nSLOW {:?} {:?}: {}",
                t0.elapsed(),
                exec.end,
                exec.shown.join(" | ").chars().take(600).collect::<String>()
            );
        }
        let found_at = {
            let mut s = shared.state();
            s.progress.sessions += 1;
            s.progress.commands += exec.sent as u64;
            for v in &exec.learned {
                s.learnt.add(v);
            }
            let new_verbs = feedback::new_verbs(&s.coverage, &exec.path);
            let new = s.coverage.add(&exec.path);
            if new > 0 {
                s.corpus.add(session.clone(), new, new_verbs);
            }
            (s.progress.sessions, shared.started.elapsed().as_secs_f64())
        };
        match &exec.end {
            _ if collateral => {}
            End::Refused(e) | End::NoGreeting(e) if !down => {
                // The server is gone: the session before this one did it.
                if let (Some(why), Some(prev)) = (shared.down().await, previous.clone()) {
                    let last = prev.actions.last();
                    let verb = last.map(Action::verb).unwrap_or_default();
                    let shown = last.map(|a| a.to_string()).unwrap_or_default();
                    let hit = Hit::new(
                        fate::crash(&shown, &format!("after the session ended: {why}")),
                        &verb,
                        prev.actions.len().saturating_sub(1),
                    );
                    if shared.claim(&hit) {
                        report(&shared, prev, hit, found_at).await;
                    }
                } else if shared.down().await.is_none() {
                    shared.harness_error(format!("session {}: {e}", found_at.0));
                } else if !shared.ensure_up().await {
                    let mut s = shared.state();
                    s.stopped
                        .get_or_insert_with(|| format!("target unreachable: {e}"));
                }
            }
            End::LoginFailed(e) => {
                shared.harness_error(format!("session {}: login refused: {e}", found_at.0))
            }
            _ => {}
        }
        for hit in hits {
            if shared.claim(&hit) {
                report(&shared, session.clone(), hit, found_at).await;
            }
        }
        if down && !shared.ensure_up().await {
            let mut s = shared.state();
            s.stopped.get_or_insert_with(|| {
                "the target is down and there is no --target-cmd to restart it".into()
            });
        }
        previous = Some(session);
    }
}
