//! The whole suite against real FTP servers (vsftpd, pyftpdlib, inetutils
//! ftpd, ftp-srv, LightFTP, and libunftp in-process), in clear and over TLS,
//! compared with the checked-in verdicts in `tests/expectations/<name>.tsv`:
//! the verdict, and for a fail or warn the ids of the checks that gave it.
//!
//! The embedded libunftp needs nothing outside this process and is always
//! compared. The others are ignored unless asked for (or in CI); they need `FTPSPEC_TARGETS` to name a file of
//! `name<TAB>url` lines (and, for TLS, `FTPSPEC_TLS_TARGETS` with
//! `ftpes://`/`ftps://` URLs and `FTPSPEC_TLS_CA`), which
//! `scripts/ci/real-servers.sh` writes after starting the servers inside a
//! private network namespace:
//!
//! ```sh
//! cargo test --no-run --test real_servers          # outside: may need the network
//! scripts/ci/real-servers.sh cargo test --offline --test real_servers -- --include-ignored --nocapture
//! # after a deliberate change of behaviour or of the suite:
//! FTPSPEC_UPDATE_EXPECTATIONS=1 scripts/ci/real-servers.sh cargo test --offline --test real_servers -- --include-ignored --nocapture
//! ```
//!
//! All targets run at once (each with 4 cases in parallel); every target is
//! judged even when another one mismatches, and all the mismatches are
//! reported together. A case with verdict `error` (harness trouble) always
//! fails the test, even one listed in `nondeterministic.tsv`, and is never
//! written as an expectation.

use ftpspec_harness::driver::Limits;
use ftpspec_harness::runner::{self, Filter, RunConfig};
use ftpspec_harness::scenario::{Scenario, load_dir};
use ftpspec_harness::target::Target;
use ftpspec_harness::verdict::Verdict;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// One case's outcome: verdict string, the case's one-line message, and
/// for a fail or warn the sentence that decided it.
struct Outcome {
    verdict: String,
    message: String,
    /// For a fail or warn: the ids of the checks that gave that verdict,
    /// sorted, comma-separated (`expect,reply-code`).
    checks: String,
    deciding: String,
}

/// One expectation line: the verdict and, for a fail or warn, the checks
/// that must give it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Expected {
    verdict: String,
    checks: String,
}

impl Expected {
    fn of(o: &Outcome) -> Expected {
        Expected {
            verdict: o.verdict.clone(),
            checks: o.checks.clone(),
        }
    }
}

impl std::fmt::Display for Expected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.checks.is_empty() {
            write!(f, "{}", self.verdict)
        } else {
            write!(f, "{} ({})", self.verdict, self.checks)
        }
    }
}

/// Whether a fail or warn verdict (the ones that name checks).
fn names_checks(verdict: &str) -> bool {
    verdict == "fail" || verdict == "warn"
}

fn header(name: &str) -> String {
    format!(
        "# expected ftpspec verdicts against {name}; regenerate with FTPSPEC_UPDATE_EXPECTATIONS=1\n\
         # case<TAB>verdict[<TAB>checks that gave a fail or warn<TAB>the sentence that decided it, and what the server sent]"
    )
}

fn expectation_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/expectations")
        .join(format!("{name}.tsv"))
}

/// `name<TAB>url` lines; blank lines and `#` comments skipped.
fn read_targets(path: &Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("FTPSPEC_TARGETS={}: {e}", path.display()));
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (name, url) = line
            .split_once(|c: char| c.is_ascii_whitespace())
            .unwrap_or_else(|| {
                panic!(
                    "{}:{}: want `name<TAB>url`, got {line:?}",
                    path.display(),
                    n + 1
                )
            });
        let name = name.trim();
        assert!(
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')),
            "{}:{}: bad target name {name:?}",
            path.display(),
            n + 1
        );
        out.push((name.to_owned(), url.trim().to_owned()));
    }
    out
}

/// `case-id<TAB>verdict[<TAB>checks<TAB>why]` lines; `None` if the file
/// does not exist. A fail or warn without its checks, or an `error`, is
/// refused: neither can be compared as it should.
fn read_expectations(path: &Path) -> Option<BTreeMap<String, Expected>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => panic!("{}: {e}", path.display()),
    };
    let mut map = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let at = format!("{}:{}", path.display(), n + 1);
        let mut fields = line.split('\t');
        let (Some(id), Some(verdict)) = (fields.next(), fields.next()) else {
            panic!("{at}: want `case-id<TAB>verdict`");
        };
        let verdict = verdict.trim().to_owned();
        assert!(
            verdict != "error",
            "{at}: `error` is harness trouble, never an expectation"
        );
        let checks = if names_checks(&verdict) {
            let checks = fields.next().unwrap_or("").trim();
            assert!(
                !checks.is_empty()
                    && checks.chars().all(|c| c.is_ascii_lowercase()
                        || c.is_ascii_digit()
                        || c == '-'
                        || c == ','),
                "{at}: a {verdict} names the checks that gave it (regenerate with FTPSPEC_UPDATE_EXPECTATIONS=1)"
            );
            checks.to_owned()
        } else {
            String::new()
        };
        map.insert(id.to_owned(), Expected { verdict, checks });
    }
    Some(map)
}

fn write_expectations(name: &str, actual: &BTreeMap<String, Outcome>) -> PathBuf {
    let path = expectation_path(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut text = header(name);
    text.push('\n');
    for (id, o) in actual {
        if names_checks(&o.verdict) {
            writeln!(text, "{id}\t{}\t{}\t{}", o.verdict, o.checks, o.deciding).unwrap();
        } else {
            writeln!(text, "{id}\t{}", o.verdict).unwrap();
        }
    }
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    path
}

fn load_suite() -> Result<Vec<Scenario>, String> {
    load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")).map_err(|errs| {
        let errs: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
        format!("scenario errors:\n  {}", errs.join("\n  "))
    })
}

async fn run_target(
    name: &str,
    scenarios: Vec<Scenario>,
    target: Target,
    jobs: usize,
) -> Result<BTreeMap<String, Outcome>, String> {
    run_filtered(name, scenarios, target, jobs, Filter::default()).await
}

/// [`run_target`] for the cases `filter` selects; the JSON report is kept
/// (FTPSPEC_REPORTS_DIR) only for a whole run.
async fn run_filtered(
    name: &str,
    scenarios: Vec<Scenario>,
    target: Target,
    jobs: usize,
    filter: Filter,
) -> Result<BTreeMap<String, Outcome>, String> {
    let whole = filter.only.is_empty();
    let config = RunConfig {
        target,
        jobs,
        limits: Limits::default(),
        case_timeout: Duration::from_secs(60),
        filter,
    };
    let report = runner::run(scenarios, config, |_| {})
        .await
        .map_err(|e| format!("run failed: {e}"))?;
    // FTPSPEC_REPORTS_DIR=<dir> keeps each target's JSON report (for
    // reading the findings, or `ftpspec matrix`).
    if let Some(dir) = std::env::var_os("FTPSPEC_REPORTS_DIR").filter(|_| whole) {
        let path = Path::new(&dir).join(format!("{name}.json"));
        let text = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    let mut map = BTreeMap::new();
    for c in report.cases {
        let dup = map.insert(
            c.id.clone(),
            Outcome {
                verdict: c.verdict.as_str().to_owned(),
                checks: checks(&c),
                deciding: deciding(&c),
                message: c.message,
            },
        );
        assert!(dup.is_none(), "case id {} appears twice", c.id);
    }
    Ok(map)
}

/// For a fail or warn: the checks whose findings have that verdict.
fn checks(c: &ftpspec_harness::runner::CaseResult) -> String {
    if !matches!(c.verdict, Verdict::Fail | Verdict::Warn) {
        return String::new();
    }
    let ids: std::collections::BTreeSet<&str> = c
        .findings
        .iter()
        .filter(|f| f.verdict == c.verdict)
        .map(|f| f.check.as_str())
        .collect();
    ids.into_iter().collect::<Vec<_>>().join(",")
}

/// For a fail or warn: the sentence of the first finding of that verdict,
/// and what the server sent (one line).
fn deciding(c: &ftpspec_harness::runner::CaseResult) -> String {
    if !matches!(c.verdict, Verdict::Fail | Verdict::Warn) {
        return String::new();
    }
    let Some(f) = c.findings.iter().find(|f| f.verdict == c.verdict) else {
        return c.message.replace(['\t', '\n'], " ");
    };
    let mut received = f.received.replace(['\t', '\n'], " ");
    if received.len() > 160 {
        let mut cut = 157;
        while !received.is_char_boundary(cut) {
            cut -= 1;
        }
        received.truncate(cut);
        received.push_str("...");
    }
    format!(
        "{} {} -- received {received}",
        f.rfc.as_deref().unwrap_or(f.check.as_str()),
        f.required.replace(['\t', '\n'], " ")
    )
}

fn counts(actual: &BTreeMap<String, Outcome>) -> String {
    let mut by: BTreeMap<&str, usize> = BTreeMap::new();
    for o in actual.values() {
        *by.entry(o.verdict.as_str()).or_default() += 1;
    }
    let parts: Vec<String> = by.iter().map(|(v, n)| format!("{n} {v}")).collect();
    format!("{} cases: {}", actual.len(), parts.join(", "))
}

/// `got <verdict>[ (harness trouble)][: message]`.
fn got(o: &Outcome) -> String {
    let mut s = format!("got {}", Expected::of(o));
    if o.verdict == "error" {
        s.push_str(" (harness trouble)");
    }
    if !o.message.is_empty() {
        write!(s, ": {}", o.message).unwrap();
    }
    s
}

/// Cases at a time for a target: libunftp shares one root between
/// concurrent cases (its LIST fails when an entry vanishes mid-listing);
/// LightFTP over TLS crashes now and then under concurrent sessions (its
/// gnutls use is not thread-safe), and plain LightFTP went down once in a
/// run of four cases at a time (first refused at rfc959.rnfr-no-argument):
/// they run one case at a time.
fn jobs_for(name: &str) -> usize {
    if name == "libunftp" || name.starts_with("lightftp") {
        1
    } else {
        4
    }
}

/// Only the case `id`.
fn only(id: &str) -> Filter {
    Filter {
        only: vec![runner::Selector::new(id).expect("a case id is a selector")],
        tags: Vec::new(),
    }
}

/// A case whose verdict differs from its expectation runs again, alone,
/// up to four times more: a server race (ABOR against a transfer that has just
/// ended, a worker thread still finishing the previous transfer) can give
/// either verdict, and a change that is real gives the new verdict every
/// time. A rerun that matches is printed as flaky and kept out of the diff.
async fn rerun_mismatches(
    name: &str,
    suite: &[Scenario],
    target: Target,
    expected: &BTreeMap<String, Expected>,
    racy: &[(String, String, String)],
    actual: &mut BTreeMap<String, Outcome>,
) {
    // A nondeterministic case is only printed, so it runs again only for
    // an `error`, which it must not end in.
    let differing: Vec<String> = actual
        .iter()
        .filter(|(id, o)| {
            expected
                .get(*id)
                .is_some_and(|want| *want != Expected::of(o))
        })
        .filter(|(id, o)| o.verdict == "error" || listed_racy(racy, name, id).is_none())
        .map(|(id, _)| id.clone())
        .collect();
    if differing.len() > 20 {
        // Not races: a change in the server or in ftpspec. Report them.
        return;
    }
    for id in differing {
        let want = &expected[&id];
        for attempt in 1..=4 {
            let again = run_filtered(name, suite.to_vec(), target.clone(), 1, only(&id)).await;
            let Some(o) = again.ok().and_then(|mut m| m.remove(&id)) else {
                break;
            };
            if Expected::of(&o) == *want {
                println!(
                    "{name}: {id}: FLAKY: {} then, on rerun {attempt}, {want} as expected",
                    got(&actual[&id])
                );
                actual.insert(id.clone(), o);
                break;
            }
        }
    }
}

/// Before expectations are written: a case that ended in `error`, or
/// failed because its set-up lost a race (libunftp's AUTH TLS now and
/// then reads the ClientHello as a command), runs again up to twice, and
/// the first verdict not of that kind is recorded, so that an unlucky
/// update does not write a rare outcome that later runs cannot match.
/// The whole target runs twice, and cases that differ a third time.
async fn settle_races(
    name: &str,
    suite: &[Scenario],
    target: Target,
    actual: &mut BTreeMap<String, Outcome>,
) {
    let unlucky = |o: &Outcome| {
        o.verdict == "error" || (o.verdict == "fail" && o.message.contains("AUTH TLS in set-up"))
    };
    // Then the whole suite once more: a case whose verdict differs between
    // the two runs runs a third time, and the verdict two runs agree on is
    // recorded (LightFTP, say, now and then refuses the command after a 226
    // with "550 Another action is in progress").
    let jobs = jobs_for(name);
    if let Ok(second) = run_target(name, suite.to_vec(), target.clone(), jobs).await {
        let differing: Vec<String> = actual
            .iter()
            .filter(|(id, o)| second.get(*id).is_some_and(|s| s.verdict != o.verdict))
            .map(|(id, _)| id.clone())
            .collect();
        for id in differing {
            let third = run_filtered(name, suite.to_vec(), target.clone(), 1, only(&id)).await;
            let Some(third) = third.ok().and_then(|mut m| m.remove(&id)) else {
                continue;
            };
            println!(
                "{name}: {id}: RACY: {}, then {}, then {} (recorded: {})",
                actual[&id].verdict,
                second[&id].verdict,
                third.verdict,
                if third.verdict == second[&id].verdict {
                    &third.verdict
                } else {
                    &actual[&id].verdict
                }
            );
            if third.verdict == second[&id].verdict {
                actual.insert(id.clone(), third);
            }
        }
    }
    let ids: Vec<String> = actual
        .iter()
        .filter(|(_, o)| unlucky(o))
        .map(|(id, _)| id.clone())
        .collect();
    for id in ids {
        for _ in 0..2 {
            let again = run_filtered(name, suite.to_vec(), target.clone(), 1, only(&id)).await;
            match again.ok().and_then(|mut m| m.remove(&id)) {
                Some(o) if !unlucky(&o) => {
                    println!(
                        "{name}: {id}: {} at first, then {}",
                        actual[&id].verdict, o.verdict
                    );
                    actual.insert(id.clone(), o);
                    break;
                }
                Some(_) => {}
                None => break,
            }
        }
    }
}

/// Cases whose verdict depends on the server's timing, from
/// `tests/expectations/nondeterministic.tsv` (`server<TAB>scenario<TAB>reason`):
/// their changes are printed, not failed.
fn nondeterministic() -> Vec<(String, String, String)> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/expectations/nondeterministic.tsv");
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            let mut f = l.splitn(3, '\t');
            Some((
                f.next()?.to_owned(),
                f.next()?.to_owned(),
                f.next()?.to_owned(),
            ))
        })
        .collect()
}

/// A server column of nondeterministic.tsv: a target name, or a prefix
/// ending in `*` (`vsftpd-tls*`), or `*` for every target. (The scenario
/// column is a scenario id, or `*` for every scenario of that server.)
fn server_matches(pattern: &str, name: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => name.starts_with(prefix),
        None => pattern == name,
    }
}

/// Why case `id` of target `name` is listed in nondeterministic.tsv, if it is.
fn listed_racy<'a>(racy: &'a [(String, String, String)], name: &str, id: &str) -> Option<&'a str> {
    let scenario = id.split('[').next().unwrap_or(id);
    racy.iter()
        .find(|(s, c, _)| server_matches(s, name) && (c == scenario || c == "*"))
        .map(|(_, _, why)| why.as_str())
}

/// The readable diff for one target; empty if it matches: the verdict,
/// and for a fail or warn the checks that gave it. A case listed as
/// nondeterministic is printed, not compared, but an `error` there
/// (harness trouble, which no race excuses) is still a mismatch.
fn compare(
    name: &str,
    expected: &BTreeMap<String, Expected>,
    racy: &[(String, String, String)],
    actual: &BTreeMap<String, Outcome>,
) -> Vec<String> {
    let mut out = Vec::new();
    for (id, o) in actual {
        let matches = expected.get(id) == Some(&Expected::of(o));
        if let Some(why) = listed_racy(racy, name, id) {
            if o.verdict == "error" {
                out.push(format!(
                    "{name}: {id}: {} (listed as nondeterministic, but an error is never a race: {why})",
                    got(o)
                ));
            } else if !matches {
                println!(
                    "{name}: {id}: {} (listed as nondeterministic: {why})",
                    got(o)
                );
            }
            continue;
        }
        match expected.get(id) {
            Some(_) if matches => {}
            Some(want) => out.push(format!("{name}: {id}: expected {want}, {}", got(o))),
            None => out.push(format!(
                "{name}: {id}: new case (not in the expectations), {}",
                got(o)
            )),
        }
    }
    for (id, want) in expected {
        if !actual.contains_key(id) {
            out.push(format!(
                "{name}: {id}: expected {want}, but the case did not run"
            ));
        }
    }
    out
}

/// Run one target and judge it: in update mode, settle its races and
/// write its expectations (refusing any `error`); otherwise compare with
/// them, rerunning mismatches. The problems found, one line each.
async fn judge_target(
    name: &str,
    suite: &[Scenario],
    target: Target,
    actual: Result<BTreeMap<String, Outcome>, String>,
    took: Duration,
) -> Vec<String> {
    let mut actual = match actual {
        Ok(a) => a,
        Err(e) => return vec![format!("{name}: {e}")],
    };
    println!("{name}: {} in {took:.1?}", counts(&actual));
    if update_mode() {
        settle_races(name, suite, target, &mut actual).await;
        let errors: Vec<String> = actual
            .iter()
            .filter(|(_, o)| o.verdict == "error")
            .map(|(id, o)| format!("{name}: {id}: {} -- not recorded", got(o)))
            .collect();
        if !errors.is_empty() {
            // An error is harness trouble: recording it would make the
            // trouble the expected outcome. Nothing is written.
            return errors;
        }
        let path = write_expectations(name, &actual);
        println!("{name}: wrote {}", path.display());
        return Vec::new();
    }
    let path = expectation_path(name);
    let Some(expected) = read_expectations(&path) else {
        return vec![format!(
            "{name}: no expectation file {}; create it with FTPSPEC_UPDATE_EXPECTATIONS=1",
            path.display()
        )];
    };
    // Read once for the reruns and the comparison.
    let racy = nondeterministic();
    rerun_mismatches(name, suite, target, &expected, &racy, &mut actual).await;
    let diff = compare(name, &expected, &racy, &actual);
    if diff.is_empty() {
        println!("{name}: matches {}", path.display());
    }
    diff
}

fn update_mode() -> bool {
    std::env::var("FTPSPEC_UPDATE_EXPECTATIONS").is_ok_and(|v| v == "1")
}

fn assert_no_problems(problems: &[String]) {
    assert!(
        problems.is_empty(),
        "{} problem(s) against real servers (if the change is intended, regenerate with \
         FTPSPEC_UPDATE_EXPECTATIONS=1, see scripts/servers/README.md):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// libunftp, embedded in this process (IPv4 and IPv6 on their own ports,
/// so one target with two addresses): it needs no external server, so
/// this comparison always runs, in and out of CI.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn embedded_libunftp_matches_expectations() {
    let embedded = ftpspec_harness::embedded::Embedded::start()
        .await
        .expect("embedded libunftp");
    let suite = load_suite().unwrap_or_else(|e| panic!("{e}"));
    let name = "libunftp";
    let started = Instant::now();
    let actual = run_target(name, suite.clone(), embedded.target(), jobs_for(name)).await;
    let problems = judge_target(name, &suite, embedded.target(), actual, started.elapsed()).await;
    assert_no_problems(&problems);
}

// Ignored unless asked for (`--include-ignored`, as .ci/run does inside
// scripts/ci/real-servers.sh) or in CI (`CI` set, see build.rs): without the
// servers there is nothing to run, and a test that passes without running
// would say otherwise. Run without FTPSPEC_TARGETS, it fails naming the fix.
#[cfg_attr(
    not(ftpspec_ci),
    ignore = "needs the real servers: scripts/ci/real-servers.sh cargo test --test real_servers -- --include-ignored"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn real_servers_match_expectations() {
    let Some(targets) = std::env::var_os("FTPSPEC_TARGETS") else {
        panic!(
            "FTPSPEC_TARGETS is not set: run this test through scripts/ci/real-servers.sh, which starts the servers and sets it"
        );
    };
    let mut listed = read_targets(Path::new(&targets));
    // FTP over TLS: FTPSPEC_TLS_TARGETS (ftpes:// and ftps:// URLs),
    // trusting FTPSPEC_TLS_CA, the CA that signed the servers' certificate.
    let tls_ca = std::env::var_os("FTPSPEC_TLS_CA").map(PathBuf::from);
    if let Some(tls) = std::env::var_os("FTPSPEC_TLS_TARGETS") {
        let tls = read_targets(Path::new(&tls));
        assert!(
            tls_ca.is_some(),
            "FTPSPEC_TLS_TARGETS without FTPSPEC_TLS_CA: scripts/ci/real-servers.sh sets both"
        );
        listed.extend(tls);
    }
    assert!(
        !listed.is_empty(),
        "no targets in FTPSPEC_TARGETS or FTPSPEC_TLS_TARGETS (FTPSPEC_SERVERS too narrow?)"
    );
    let targets: Vec<(String, Result<Target, String>)> = listed
        .into_iter()
        .map(|(name, url)| {
            let t = Target::parse(&url)
                .map_err(|e| format!("bad target URL {url}: {e}"))
                .map(|mut t| {
                    if t.security.is_tls() {
                        t.trust.ca = tls_ca.clone();
                    }
                    t
                });
            (name, t)
        })
        .collect();
    // libunftp, embedded, is judged by embedded_libunftp_matches_expectations.
    let mut problems: Vec<String> = Vec::new();
    // The targets are separate server processes: run them all at once (the
    // slowest case, login delays, takes seconds), then judge in file order.
    // One load for all targets, so they all run the same suite.
    let suite = load_suite().unwrap_or_else(|e| panic!("{e}"));
    // At most FTPSPEC_TARGETS_AT_ONCE targets run together (default 4): on
    // a 2-core machine twenty servers at once starve each other, and a
    // starved server's delays read as the server's own.
    let at_once = std::env::var("FTPSPEC_TARGETS_AT_ONCE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4usize)
        .max(1);
    let gate = std::sync::Arc::new(tokio::sync::Semaphore::new(at_once));
    let runs: Vec<_> = targets
        .iter()
        .map(|(name, target)| {
            let target = target.clone();
            let suite = suite.clone();
            let name = name.clone();
            let gate = gate.clone();
            tokio::spawn(async move {
                let _turn = gate.acquire_owned().await;
                let started = Instant::now();
                let result = match target {
                    Ok(t) => run_target(&name, suite, t, jobs_for(&name)).await,
                    Err(e) => Err(e),
                };
                (result, started.elapsed())
            })
        })
        .collect();
    for ((name, listed_target), run) in targets.iter().zip(runs) {
        let (result, took) = run.await.expect("target run panicked");
        match listed_target.clone() {
            Ok(target) => problems.extend(judge_target(name, &suite, target, result, took).await),
            Err(e) => problems.push(format!("{name}: {e}")),
        }
    }
    assert_no_problems(&problems);
}
