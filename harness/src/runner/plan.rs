//! Turning scenarios into cases.

use crate::events::Capabilities;
use crate::scenario::{Family, Mode, Need, Scenario};
use crate::target::{Security, Target};
use crate::verdict::{Finding, Verdict};
use std::net::SocketAddr;
use std::sync::Arc;

/// One `--only` selector: a glob over case ids in which `[` and `]` are
/// literal (case ids contain them: `transfer.list[epsv-ipv6]`).
#[derive(Clone, Debug)]
pub struct Selector {
    raw: String,
    glob: globset::GlobMatcher,
}

impl Selector {
    /// Compile a selector; `*` and `?` are wildcards, everything else literal.
    pub fn new(pattern: &str) -> Result<Selector, globset::Error> {
        let escaped: String = pattern
            .chars()
            .map(|c| match c {
                '[' => "[[]".to_owned(),
                ']' => "[]]".to_owned(),
                '{' => "[{]".to_owned(),
                '}' => "[}]".to_owned(),
                c => c.to_string(),
            })
            .collect();
        Ok(Selector {
            raw: pattern.to_owned(),
            glob: globset::Glob::new(&escaped)?.compile_matcher(),
        })
    }

    fn matches(&self, id: &str) -> bool {
        self.raw == id || self.glob.is_match(id)
    }
}

/// Which cases to run.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Selectors over case ids (`transfer.*`, `*[epsv-ipv6]`, an exact id); any match selects.
    pub only: Vec<Selector>,
    /// Tags; a case with any of them is selected.
    pub tags: Vec<String>,
}

impl Filter {
    /// Whether a case is selected.
    pub fn selects(&self, case_id: &str, scenario: &Scenario) -> bool {
        let by_id = self.only.is_empty()
            || self
                .only
                .iter()
                .any(|g| g.matches(case_id) || g.matches(&scenario.id));
        let by_tag = self.tags.is_empty() || self.tags.iter().any(|t| scenario.tags.contains(t));
        by_id && by_tag
    }
}

/// One case: a scenario in one mode over one family.
#[derive(Clone, Debug)]
pub struct Case {
    /// `scenario-id` or `scenario-id[mode]`.
    pub id: String,
    /// The scenario.
    pub scenario: Arc<Scenario>,
    /// The data mode, for data-bearing scenarios.
    pub mode: Option<Mode>,
    /// The control address.
    pub addr: SocketAddr,
    /// A verdict known before running (skip, unsupported, or a fail the
    /// probe saw), with the reason.
    pub pre_verdict: Option<Known>,
}

/// A case's verdict, known before it runs.
#[derive(Clone, Debug)]
pub struct Known {
    /// The verdict.
    pub verdict: Verdict,
    /// Why, in a sentence.
    pub why: String,
    /// For a fail: the rule broken, as the probe saw it.
    pub findings: Vec<Finding>,
}

impl From<(Verdict, String)> for Known {
    fn from((verdict, why): (Verdict, String)) -> Known {
        Known {
            verdict,
            why,
            findings: Vec::new(),
        }
    }
}

/// A breach the probe saw that a case would meet before its own steps,
/// so it fails now with what the probe saw: skipped, the server's breach
/// would let a run without the case that judges it pass.
/// - A greeting that breaks a rule (not 220, unreadable), for every case
///   but the one that judges greetings.
/// - A 234 to AUTH TLS, then no part in TLS, on two connections, for a
///   case that sets up TLS: its own set-up would meet it and judge it
///   (`case/security.rs`); run, a server silent after its 234 would cost
///   every case two handshake timeouts.
fn seen_by_probe(sc: &Scenario, probe: &Capabilities) -> Option<Known> {
    if let (Some(why), Some(breach)) = (&probe.greeting_problem, &probe.greeting_breach) {
        return (!sc.judges_greeting()).then(|| Known {
            verdict: Verdict::Fail,
            why: format!(
                "the server's greeting opens no session ({why}); basic.greeting judges it, and this case would meet it first"
            ),
            findings: vec![breach.clone()],
        });
    }
    let tls = probe.tls.as_ref()?;
    let breach = tls.breach.as_ref()?;
    (sc.tls_setup && sc.login && probe.greeting_problem.is_none()).then(|| Known {
        verdict: Verdict::Fail,
        why: format!(
            "AUTH TLS in set-up (seen by the probe, on two connections): {}",
            breach.received
        ),
        findings: vec![breach.clone()],
    })
}

fn pre_verdict(sc: &Scenario, target: &Target, probe: &Capabilities) -> Option<(Verdict, String)> {
    if let Some(why) = &probe.greeting_problem {
        if !sc.judges_greeting() {
            return Some((
                Verdict::Skip,
                format!("the server's greeting opens no session ({why}); basic.greeting judges it"),
            ));
        }
    }
    let tls = probe.tls.as_ref();
    let tls_problem = tls.and_then(|t| t.problem.as_deref());
    if sc.tls_setup && sc.login {
        if let Some(why) = tls_problem {
            return Some((
                Verdict::Skip,
                format!("no TLS session could be set up ({why}); the tls cases judge it"),
            ));
        }
    }
    if !sc.tls_setup && target.security == Security::Implicit {
        return Some((
            Verdict::Skip,
            "the case needs a session in clear, which an implicit-TLS (ftps://) target never has; run it against the server's ftp:// or ftpes:// port".into(),
        ));
    }
    for need in &sc.needs {
        match need {
            Need::Tls if !target.security.is_tls() => {
                let offered = if probe.has_feature("AUTH") {
                    " (the server announces AUTH in FEAT)"
                } else {
                    ""
                };
                return Some((
                    Verdict::Skip,
                    format!(
                        "needs a TLS target: rerun against ftpes://host/ (explicit) or ftps://host/ (implicit){offered}"
                    ),
                ));
            }
            Need::Write if !probe.writable => {
                return Some((Verdict::Skip, "the target is read-only for this login (the probe could not create a directory)".into()));
            }
            Need::User if target.user.is_none() => {
                return Some((
                    Verdict::Skip,
                    "needs a named login; the target URL has none".into(),
                ));
            }
            Need::Feature(f) if !probe.has_feature(f) => {
                return Some((
                    Verdict::Unsupported,
                    format!("the server does not announce {f} in FEAT"),
                ));
            }
            _ => {}
        }
    }
    None
}

/// Why `mode` cannot run on this target, by what the probe learnt: the
/// server refuses data connections at that protection level, which RFC
/// 4217 §10.2 leaves to its policy.
fn mode_verdict(mode: Mode, probe: &Capabilities) -> Option<(Verdict, String)> {
    let tls = probe.tls.as_ref()?;
    let (refused, level) = if mode.tls {
        (tls.private_refused.as_ref(), "PROT P (TLS)")
    } else {
        (tls.clear_refused.as_ref(), "PROT C (in clear)")
    };
    refused.map(|why| {
        (
            Verdict::Unsupported,
            format!("the server refuses data connections under {level}: {why}"),
        )
    })
}

/// Expand and filter. Data-bearing scenarios run once per mode and family
/// (PASV and PORT over IPv4 only), and on a TLS target once more with the
/// data connections under PROT P; the others once, over the first family.
/// A scenario with `family:` runs over that family only; on a target
/// without it, its case is a skip that says so.
pub fn plan(
    scenarios: &[Scenario],
    target: &Target,
    probe: &Capabilities,
    filter: &Filter,
) -> Vec<Case> {
    let families = target.families();
    let mut out = Vec::new();
    for sc in scenarios {
        let sc_arc = Arc::new(sc.clone());
        let pre =
            seen_by_probe(sc, probe).or_else(|| pre_verdict(sc, target, probe).map(Known::from));
        let wanted: Vec<Family> = match sc.family {
            Some(f) => vec![f],
            None => families.clone(),
        };
        let mut push = |id: String, mode: Option<Mode>, family: Family| {
            if !filter.selects(&id, sc) {
                return;
            }
            let (addr, pre) = match target.addr(family) {
                Some(addr) => (addr, pre.clone()),
                // Only for `family:` scenarios: name the first address so
                // that the case is listed, as a skip.
                None => (
                    target.addrs[0],
                    Some(Known::from((
                        Verdict::Skip,
                        format!(
                            "the scenario needs an {} control connection; the target has none",
                            family.as_str()
                        ),
                    ))),
                ),
            };
            let pre = pre.or_else(|| mode.and_then(|m| mode_verdict(m, probe).map(Known::from)));
            out.push(Case {
                id,
                scenario: sc_arc.clone(),
                mode,
                addr,
                pre_verdict: pre,
            });
        };
        if sc.is_data_bearing() {
            let protections: &[bool] = if target.security.is_tls() {
                &[false, true]
            } else {
                &[false]
            };
            for &family in wanted.iter().filter(|f| target.addr(**f).is_some()) {
                for &data in &sc.modes {
                    for &tls in protections {
                        if data.supports(family) {
                            let mode = Mode { data, family, tls };
                            let id = format!("{}[{mode}]", sc.id);
                            push(id, Some(mode), family);
                        }
                    }
                }
            }
        } else if let Some(&family) = wanted.first() {
            push(sc.id.clone(), None, family);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brackets_are_literal() {
        let s = Selector::new("*[epsv-ipv6]").unwrap();
        assert!(s.matches("transfer.list[epsv-ipv6]"));
        assert!(!s.matches("transfer.list[epsv-ipv4]"));
        assert!(
            Selector::new("transfer.list[pasv-ipv4]")
                .unwrap()
                .matches("transfer.list[pasv-ipv4]")
        );
        assert!(
            Selector::new("transfer.*")
                .unwrap()
                .matches("transfer.list[pasv-ipv4]")
        );
    }
}
