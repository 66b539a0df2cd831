//! The state a run's workers share: coverage, corpus, counters and
//! findings behind one lock; the gate that lets triage re-run sessions
//! alone; the monitor of `--target-cmd`; and the judgement of how a
//! session ended (crash, hang, closed) with a liveness probe.

use super::blame::Previous;
use super::config::{FindingOut, FuzzConfig, Progress};
use super::execute::{End, ExecConfig, Execution, Liveness, liveness};
use super::feedback::{Corpus, TransitionSet};
use super::hit::{Hit, Sighting};
use super::monitor::Monitor;
use super::tokens::Learnt;
use crate::oracle::{Check, fate};
use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;
use std::time::Instant;
use tokio::sync::RwLock;

/// What the workers share, behind a lock.
pub(super) struct State {
    pub coverage: TransitionSet,
    pub corpus: Corpus,
    pub progress: Progress,
    /// Keys already reported or being minimised, with every command seen
    /// to trigger each.
    pub claimed: HashMap<(Check, String), BTreeSet<String>>,
    pub findings: Vec<FindingOut>,
    pub stopped: Option<String>,
    /// Values the server showed, for arguments ([`super::tokens`]).
    pub learnt: Learnt,
    /// Sightings whose blame triage moved onto the command before, and the
    /// cause they turned out to be ([`Sighting`]).
    pub absorbed: HashMap<Sighting, (Check, String)>,
    /// Findings per file name so far ([`super::findings::FindingFile::number`]).
    pub names: HashMap<String, usize>,
}

/// Why a run stops when its server is down for good.
pub(super) const NO_RESTART: &str = "the target is down and there is no --target-cmd to restart it";

/// Most sightings remembered: verbs are fuzzed, so their pairs are not
/// bounded by the protocol.
const MAX_SIGHTINGS: usize = 4096;

/// Everything a run's workers share.
pub(super) struct Shared {
    pub cfg: FuzzConfig,
    pub exec: ExecConfig,
    pub state: Mutex<State>,
    /// Sessions hold it shared; re-running and minimising a finding (which
    /// may restart the server) hold it alone.
    pub gate: RwLock<()>,
    pub monitor: tokio::sync::Mutex<Option<Monitor>>,
    pub started: Instant,
    /// Restarts so far. A session during which the server was restarted
    /// (another job crashed it) saw resets that are nobody's finding.
    pub epoch: std::sync::atomic::AtomicU64,
    /// With several jobs, the session each job ended last and the restart
    /// epoch it ran in ([`super::blame::explain_exit`]).
    pub ended: Mutex<HashMap<u64, (u64, Previous)>>,
    /// The first restart epoch whose exit no job has taken up yet.
    pub explained: std::sync::atomic::AtomicU64,
}

impl Shared {
    pub fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // A poisoned lock means a worker panicked; the counters are still usable.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn done(&self) -> bool {
        let s = self.state();
        s.stopped.is_some()
            || self.cfg.max_findings.is_some_and(|n| s.findings.len() >= n)
            || self.cfg.sessions.is_some_and(|n| s.progress.sessions >= n)
            || self.out_of_time()
    }

    /// The run's duration is spent: triage stops shrinking (a hang's
    /// every re-run costs the reply timeout, and a minute of them would
    /// run past `--duration`).
    pub fn out_of_time(&self) -> bool {
        self.cfg
            .duration
            .is_some_and(|d| self.started.elapsed() >= d)
    }

    /// Whether a session that started at restart `epoch` was disturbed by
    /// a crash another job caused (it did not see the server down itself).
    pub async fn disturbed(&self, epoch: u64, down: bool) -> bool {
        if epoch != self.epoch.load(std::sync::atomic::Ordering::SeqCst) {
            return true;
        }
        self.cfg.jobs > 1
            && !down
            && self
                .monitor
                .lock()
                .await
                .as_mut()
                .is_some_and(|m| m.exited().is_some())
    }

    /// Claim `hit`'s cause: true if it is new (the caller reports it);
    /// otherwise the hit's command joins the commands of the finding.
    pub fn claim(&self, hit: &Hit) -> bool {
        let mut s = self.state();
        let key = hit.key();
        let fresh = !s.claimed.contains_key(&key);
        let commands = s.claimed.entry(key.clone()).or_default();
        commands.insert(hit.verb.clone());
        let all: Vec<String> = commands.iter().cloned().collect();
        if let Some(f) = s.findings.iter_mut().find(|f| f.key == key) {
            f.commands = all;
        }
        fresh
    }

    /// Whether `sighting` is one triage has already traced to a cause that
    /// is still claimed: then it costs no re-run.
    pub fn absorbs(&self, sighting: &Sighting) -> bool {
        let mut s = self.state();
        let known = s
            .absorbed
            .get(sighting)
            .is_some_and(|k| s.claimed.contains_key(k));
        if known {
            s.progress.absorbed += 1;
        }
        known
    }

    /// Remember that `sighting` is `cause`'s doing.
    pub fn absorb(&self, sighting: Sighting, cause: (Check, String)) {
        let mut s = self.state();
        if s.absorbed.len() < MAX_SIGHTINGS {
            s.absorbed.insert(sighting, cause);
        }
    }

    /// The next number for a finding file called `name`: 1, 2, …
    pub fn number(&self, name: &str) -> usize {
        let mut s = self.state();
        let n = s.names.entry(name.to_owned()).or_default();
        *n += 1;
        *n
    }

    /// Count one re-run of a session by triage.
    pub fn count_rerun(&self) {
        self.state().progress.reruns += 1;
    }

    /// Whether a finding of `key`'s cause is written. (A claim alone is
    /// not enough: the hit in triage holds one, and so may a hit waiting
    /// for triage that will not reproduce.)
    pub fn is_reported(&self, key: &(Check, String)) -> bool {
        self.state().findings.iter().any(|f| &f.key == key)
    }

    /// Give `key` up (its hit did not reproduce, or was re-blamed).
    pub fn unclaim(&self, key: &(Check, String)) {
        self.state().claimed.remove(key);
    }

    pub fn harness_error(&self, what: String) {
        let mut s = self.state();
        s.progress.harness_errors += 1;
        if s.progress.error_messages.len() < 10 {
            s.progress.error_messages.push(what);
        }
    }

    /// A session's connection was not greeted while the server, asked
    /// again at once, greets ([`Progress::turned_away`]).
    pub fn turned_away(&self, what: String) {
        let mut s = self.state();
        s.progress.turned_away += 1;
        if s.progress.turned_away_messages.len() < 3 {
            s.progress.turned_away_messages.push(what);
        }
    }

    pub fn snapshot(&self) -> Progress {
        let s = self.state();
        let mut p = s.progress.clone();
        p.elapsed_secs = self.started.elapsed().as_secs_f64();
        p.corpus = s.corpus.len();
        p.transitions = s.coverage.transitions();
        p.codes = s.coverage.codes();
        p.findings = s.findings.len();
        p
    }

    /// Whether sessions leave their liveness probe to the next session
    /// ([`Shared::judge`]): with one job.
    pub fn defers_probes(&self) -> bool {
        self.cfg.jobs <= 1
    }

    /// Job `job` ended `prev` in restart epoch `epoch` (kept with several
    /// jobs only: one job's session before is its own).
    pub fn ended(&self, job: u64, epoch: u64, prev: &Previous) {
        if self.cfg.jobs > 1 {
            let mut ended = self.ended.lock().unwrap_or_else(|p| p.into_inner());
            ended.insert(job, (epoch, prev.clone()));
        }
    }

    /// The sessions the jobs ended last in restart epoch `epoch`, job
    /// `job`'s first.
    pub fn ended_in(&self, epoch: u64, job: u64) -> Vec<Previous> {
        let ended = self.ended.lock().unwrap_or_else(|p| p.into_inner());
        let mut jobs: Vec<_> = ended
            .iter()
            .filter(|(_, (e, _))| *e == epoch)
            .map(|(j, (_, p))| (*j != job, *j, p.clone()))
            .collect();
        jobs.sort_by_key(|(other, j, _)| (*other, *j));
        jobs.into_iter().map(|(_, _, p)| p).collect()
    }

    /// Whether the caller is the first to take up the exit of restart
    /// epoch `epoch` (each exit is explained once).
    pub fn takes_up_exit(&self, epoch: u64) -> bool {
        self.explained
            .fetch_max(epoch + 1, std::sync::atomic::Ordering::SeqCst)
            <= epoch
    }

    /// Whether `--target-cmd`'s process has exited (false without one).
    pub async fn monitor_saw_exit(&self) -> bool {
        match self.monitor.lock().await.as_mut() {
            Some(m) => m.exited().is_some(),
            None => false,
        }
    }

    /// Whether the server is down, and why (the monitor's word first).
    pub async fn down(&self) -> Option<String> {
        if let Some(m) = self.monitor.lock().await.as_mut() {
            if let Some(status) = m.exited() {
                return Some(format!("the target process exited ({status})"));
            }
        }
        let implicit = self.exec.security == crate::target::Security::Implicit;
        let tls = self.exec.tls.as_ref().filter(|_| implicit);
        match liveness(self.exec.addr, self.exec.limits, tls).await {
            Liveness::Up => None,
            Liveness::Refused(e) => Some(format!("a new connection is refused ({e})")),
            Liveness::Mute(e) => Some(format!("a new connection gets no greeting ({e})")),
        }
    }

    /// Between sessions: a server in this process that has more than
    /// half the process's descriptors open is emptied ([`FuzzConfig::recycle`]),
    /// alone, as a restart would (sessions that straddle it are disturbed
    /// by it). `spare`, a connection to what it was, goes.
    pub async fn relieve(&self, spare: &mut Option<super::execute::Spare>) {
        let Some(recycle) = &self.cfg.recycle else {
            return;
        };
        if !crate::descriptors::under_pressure() {
            return;
        }
        let _g = self.gate.write().await;
        // Another job may have seen to it meanwhile.
        if !crate::descriptors::under_pressure() {
            return;
        }
        *spare = None;
        match (recycle.0)() {
            Ok(()) => {
                self.epoch.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                self.state().progress.recycled += 1;
            }
            Err(e) => self.harness_error(format!("cannot empty the embedded server: {e}")),
        }
    }

    /// Between sessions: bring the server back if it is down, holding the
    /// gate shared as a session does (never while triage re-runs alone: a
    /// restart then would hide the crash a re-run reproduces). If it cannot
    /// be, the run stops, for `why`.
    pub async fn restore(&self, why: impl FnOnce() -> String) {
        let _g = self.gate.read().await;
        self.keep_up(why).await;
    }

    /// [`Shared::restore`] for a caller that holds the gate already (triage,
    /// alone).
    pub async fn keep_up(&self, why: impl FnOnce() -> String) {
        if !self.ensure_up().await {
            self.state().stopped.get_or_insert_with(why);
        }
    }

    /// Bring the server back if it is down. False if it cannot be.
    pub async fn ensure_up(&self) -> bool {
        let epoch = self.epoch.load(std::sync::atomic::Ordering::SeqCst);
        if self.down().await.is_none() {
            return true;
        }
        let mut m = self.monitor.lock().await;
        // Several jobs may find the same exit: one restart brings the
        // server back; a second would kill the server the first started
        // (and count as a restart in a row that served no one).
        if self.epoch.load(std::sync::atomic::Ordering::SeqCst) != epoch {
            return true;
        }
        match m.as_mut() {
            Some(m) => match m.restart().await {
                Ok(()) => {
                    self.state().progress.restarts = m.restarts;
                    self.epoch.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    true
                }
                Err(e) => {
                    self.state().stopped = Some(e.to_string());
                    false
                }
            },
            None => false,
        }
    }

    /// Oracle hits of one execution: the per-reply ones, plus crash, hang
    /// and closed-without-reply judged by a liveness probe.
    ///
    /// With `defer`, a session that ended in good order on the server's side
    /// (we hung up, or the server said goodbye or waits for a data
    /// connection: the connection was still there) costs no probe either:
    /// the next session's connection is the probe, and a refusal there is
    /// blamed on this session's last action ([`Execution::last_action`]).
    /// Only with one job: with several, another job's session could be the
    /// one to see the refusal.
    pub async fn judge(&self, exec: &Execution, defer: bool) -> (Vec<Hit>, bool) {
        if exec.end.logged_in() {
            if let Some(m) = self.monitor.lock().await.as_mut() {
                m.served();
            }
        }
        let mut hits = exec.hits.clone();
        let verb_at = |i: usize| exec.path_verb(i);
        let probe = match &exec.end {
            end if defer && end.leaves_probe_to_next() => {
                self.monitor_saw_exit().await.then_some(exec.last_action())
            }
            End::Closed { action, .. } | End::Silent(action) | End::HungUp(action) => Some(*action),
            End::Malformed(action) | End::ServerEnded(action) => Some(*action),
            // A QUIT left unanswered: did the last command kill it?
            End::Done if exec.quit_unanswered => Some(usize::MAX),
            // A normal end costs no probe; only the monitor is asked.
            End::Done => self.monitor_saw_exit().await.then_some(usize::MAX),
            _ => None,
        };
        let Some(action) = probe else {
            return (hits, false);
        };
        let down = self.down().await;
        let action_ix = if action == usize::MAX {
            exec.replies.len().saturating_sub(1)
        } else {
            action
        };
        let verb = verb_at(action_ix);
        let command = exec.sent(action_ix);
        match (down, &exec.end) {
            (Some(why), _) => {
                hits.push(Hit::new(fate::crash(&command, &why), &verb, action_ix));
                (hits, true)
            }
            (None, End::Silent(_)) => {
                let v = fate::hang(&command, self.exec.limits.step_timeout);
                let mut hit = Hit::new(v, &verb, action_ix);
                // Silence after a 1yz: a transfer that never ended, one
                // cause whatever command began it (`cause.rs`).
                let begun = exec
                    .replies
                    .get(action_ix)
                    .and_then(|r| r.iter().copied().find(|c| (100..200).contains(c)));
                if let Some(code) = begun {
                    hit = hit.with_cause(super::cause::no_final_reply_after(code));
                }
                hits.push(hit);
                (hits, false)
            }
            (None, End::Closed { clean: true, .. }) => {
                let mut hit = Hit::new(fate::closed(&command), &verb, action_ix);
                if !exec.in_step_at(action_ix) {
                    hit = hit.with_cause(super::cause::closed_out_of_step());
                }
                hits.push(hit);
                (hits, false)
            }
            _ => (hits, false),
        }
    }
}

impl Execution {
    /// The verb of action `i`, from the transcript-free record.
    pub(super) fn path_verb(&self, i: usize) -> String {
        self.verbs.get(i).cloned().unwrap_or_default()
    }

    /// Whether the replies recorded for action `i` are known to answer it
    /// ([`Execution::out_of_step`]).
    pub(super) fn in_step_at(&self, i: usize) -> bool {
        self.out_of_step.is_none_or(|o| i < o)
    }

    /// The last action the session ran.
    pub(super) fn last_action(&self) -> usize {
        match &self.end {
            End::HungUp(i) | End::ServerEnded(i) | End::Silent(i) | End::Malformed(i) => *i,
            End::Closed { action, .. } => *action,
            _ => self.replies.len().saturating_sub(1),
        }
    }

    /// The bytes of action `i`, quoted.
    pub(super) fn sent(&self, i: usize) -> String {
        self.shown
            .get(i)
            .cloned()
            .unwrap_or_else(|| "the last command".into())
    }
}
