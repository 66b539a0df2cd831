//! A worker: generate or mutate a session, run it, feed the state
//! coverage back into the corpus, and hand every new hit to triage.

use super::blame::{Previous, blame_previous, explain_exit};
use super::execute::{End, execute};
use super::feedback;
use super::generate::Generator;
use super::hit::Sighting;
use super::mutate;
use super::rng::Rng;
use super::session::{Action, Session};
use super::shared::{NO_RESTART, Shared};
use super::triage::{report, run_session};
use crate::oracle::Check;
use arbitrary::Unstructured;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Sessions between two looks at what the server has shown.
const LEARN_EVERY: u64 = 32;

pub(super) async fn worker(shared: Arc<Shared>, index: u64) {
    let mut rng = Rng::new(shared.cfg.seed ^ index.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let mut g = Generator::new(shared.cfg.shape).with_login(&shared.exec.user, &shared.exec.pass);
    let mut previous: Option<Previous> = None;
    let mut round = 0u64;
    let mut spare = None;
    while !shared.done() {
        // Now and then, take up what the server has shown so far.
        if round % LEARN_EVERY == 0 {
            shared.relieve(&mut spare).await;
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
        let (exec, mut hits, down) = run_session(&shared, &session, &mut spare).await;
        // With several jobs, a crash caused by one session resets the
        // others: what they saw is collateral, not a finding or an error.
        let mut collateral = shared.disturbed(epoch, down).await;
        // A login ended by the server's own breach (a 234, then no TLS)
        // carries its hit: that is the server's doing, whatever else runs.
        if !collateral
            && shared.cfg.jobs > 1
            && hits.is_empty()
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
        // An exit of the server that no session's judgement explains: a
        // session one job ended may have done it (`blame.rs`).
        let mut unexplained = collateral
            && epoch == shared.epoch.load(std::sync::atomic::Ordering::SeqCst)
            && shared.monitor_saw_exit().await;
        if collateral {
            hits.clear();
            shared.state().progress.collateral += 1;
        }
        // This session, for the next one's refusal to blame, and with
        // several jobs for an exit no session explains: left before its
        // own hits are triaged, as another job may meet that exit first.
        let action = exec.last_action();
        let ended = Previous {
            verb: exec.path_verb(action),
            shown: exec.sent(action),
            probe_deferred: shared.defers_probes()
                && exec.end.leaves_probe_to_next()
                && !collateral,
            action,
            session,
        };
        if exec.end.logged_in() && !collateral {
            shared.ended(index, epoch, &ended);
        }
        let session = &ended.session;
        debug_slow(&shared, &exec, t0.elapsed());
        let found_at = {
            let mut s = shared.state();
            s.progress.sessions += 1;
            s.progress.commands += exec.sent as u64;
            s.progress.opened_ahead += u64::from(exec.opened_ahead);
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
        let deferred_before = previous.as_ref().is_some_and(|p| p.probe_deferred);
        match &exec.end {
            _ if collateral => {}
            End::Refused(e) | End::NoGreeting(e) if !down => {
                // The server is gone: the session before this one did it.
                let down_now = shared.down().await;
                if let (Some(why), Some(prev)) = (&down_now, previous.take()) {
                    blame_previous(&shared, prev, why, found_at).await;
                } else if down_now.is_none() {
                    let what = format!("session {}: {e}", found_at.0);
                    if matches!(exec.end, End::NoGreeting(_)) {
                        shared.turned_away(what);
                    } else {
                        shared.harness_error(what);
                    }
                } else {
                    shared.restore(|| format!("target unreachable: {e}")).await;
                }
            }
            // The server broke a rule as the session logged in: a hit,
            // triaged below like any other.
            End::LoginFailed(_) if !hits.is_empty() => {}
            // A server dying of the session before may still take this
            // connection, then drop it at the login.
            End::LoginFailed(e) => match (deferred_before, previous.take()) {
                (true, Some(prev)) if let Some(why) = shared.down().await => {
                    blame_previous(&shared, prev, &why, found_at).await;
                }
                _ => shared.harness_error(format!("session {}: login refused: {e}", found_at.0)),
            },
            _ => {}
        }
        for hit in hits {
            let sighting = Sighting::of(&hit, &exec);
            if sighting.as_ref().is_some_and(|s| shared.absorbs(s)) {
                continue;
            }
            let crash = hit.check() == Check::Crash;
            if shared.claim(&hit)
                && !report(&shared, session.clone(), hit, sighting, found_at).await
            {
                unexplained |= crash && shared.cfg.jobs > 1;
            }
        }
        if unexplained {
            explain_exit(&shared, epoch, index, found_at).await;
        }
        if unexplained || down {
            shared.restore(|| NO_RESTART.into()).await;
        }
        previous = Some(ended);
    }
    // The last session's probe, if it left it to a next one.
    if let Some(prev) = previous.filter(|p| p.probe_deferred) {
        if let Some(why) = shared.down().await {
            let s = shared.snapshot();
            blame_previous(&shared, prev, &why, (s.sessions, s.elapsed_secs)).await;
        }
    }
}

/// `FTPSPEC_FUZZ_DEBUG=<ms>` names each session slower than that, with
/// the time each action took (what eats the throughput against a given
/// server); `FTPSPEC_FUZZ_TRANSCRIPT=1` adds its transcript. Passwords
/// are redacted.
fn debug_slow(shared: &Shared, exec: &super::execute::Execution, took: Duration) {
    static SLOW: std::sync::OnceLock<Option<Duration>> = std::sync::OnceLock::new();
    let slow = SLOW.get_or_init(|| {
        std::env::var("FTPSPEC_FUZZ_DEBUG")
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
            .map(Duration::from_millis)
    });
    if !slow.is_some_and(|ms| took > ms) {
        return;
    }
    let redactor = shared.cfg.target.redactor();
    let timeline: String = redactor.text(&exec.timeline()).chars().take(1200).collect();
    // The end may quote the server (a refused login's reply), which may
    // quote the password.
    let end = redactor.text(&format!("{:?}", exec.end));
    eprintln!("\nSLOW {took:?} {end}: {timeline}");
    for e in exec.transcript.entries() {
        let text: String = redactor.text(&e.text).chars().take(200).collect();
        eprintln!("  {:>5} {} {text}", e.ms, e.dir.arrow());
    }
}
