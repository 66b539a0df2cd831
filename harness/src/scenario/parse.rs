//! The scenario parser. Errors carry `file:line`.

use super::escape::{unquote, unquote_prefix};
use super::model::*;
use super::pattern::{Pattern, source_of};
use crate::fixtures::fixture;
use std::collections::BTreeSet;
use std::fmt;
use std::path::Path;

/// A scenario file error, located.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ScenarioError {
    /// The file.
    pub file: String,
    /// 1-based line; 0 for the whole file.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{}:{}: {}", self.file, self.line, self.message)
        }
    }
}

struct Ctx<'a> {
    file: &'a str,
    line: usize,
}

impl Ctx<'_> {
    fn err(&self, message: impl Into<String>) -> ScenarioError {
        ScenarioError {
            file: self.file.to_owned(),
            line: self.line,
            message: message.into(),
        }
    }
}

fn parse_codes(ctx: &Ctx, s: &str) -> Result<CodeSpec, ScenarioError> {
    let mut alts = Vec::new();
    for alt in s.split('|') {
        let b = alt.as_bytes();
        let bad = || {
            ctx.err(format!(
                "bad reply code {alt:?}: write 230, 2xx, 25x, or alternatives like 125|150"
            ))
        };
        if b.len() != 3 || !(b'1'..=b'5').contains(&b[0]) {
            return Err(bad());
        }
        alts.push(match (b[1], b[2]) {
            (b'x', b'x') => CodeAlt::Class(b[0] - b'0'),
            (d, b'x') if d.is_ascii_digit() => CodeAlt::Group((b[0] - b'0') * 10 + (d - b'0')),
            (d, e) if d.is_ascii_digit() && e.is_ascii_digit() => {
                CodeAlt::Exact(alt.parse().map_err(|_| bad())?)
            }
            _ => return Err(bad()),
        });
    }
    Ok(CodeSpec(alts))
}

fn parse_source(ctx: &Ctx, s: &str) -> Result<DataSource, ScenarioError> {
    if let Some(name) = s.strip_prefix("fixture ") {
        let name = name.trim();
        if fixture(name).is_none() {
            let known: Vec<&str> = crate::fixtures::FIXTURES.iter().map(|f| f.0).collect();
            return Err(ctx.err(format!(
                "unknown fixture {name:?}; known: {}",
                known.join(", ")
            )));
        }
        return Ok(DataSource::Fixture(name.to_owned()));
    }
    unquote(s)
        .map(DataSource::Text)
        .map_err(|e| ctx.err(format!("{e}: expected \"text\" or fixture NAME")))
}

fn parse_ref(ctx: &Ctx, s: &str) -> Result<Requirement, ScenarioError> {
    let usage = "expected: ref: RFC <number> §<section> MUST|SHOULD|MAY \"<quoted requirement>\"";
    let rest = s.strip_prefix("RFC ").ok_or_else(|| ctx.err(usage))?;
    let (num, rest) = rest.split_once(' ').ok_or_else(|| ctx.err(usage))?;
    let rfc: u16 = num.parse().map_err(|_| ctx.err(usage))?;
    let (section, rest) = rest.split_once(' ').ok_or_else(|| ctx.err(usage))?;
    let section = section.strip_prefix('§').ok_or_else(|| ctx.err(usage))?;
    let (level, rest) = rest.split_once(' ').ok_or_else(|| ctx.err(usage))?;
    let level = match level {
        "MUST" => Level::Must,
        "SHOULD" => Level::Should,
        "MAY" => Level::May,
        _ => return Err(ctx.err(usage)),
    };
    let quote = unquote(rest).map_err(|e| ctx.err(format!("{e}; {usage}")))?;
    Ok(Requirement {
        rfc,
        section: section.to_owned(),
        level,
        quote: String::from_utf8_lossy(&quote).into_owned(),
    })
}

fn check_vars(ctx: &Ctx, template: &str, known: &BTreeSet<String>) -> Result<(), ScenarioError> {
    for v in variables(template) {
        let fixture_size = v
            .strip_prefix("fixture.")
            .and_then(|r| r.strip_suffix(".size"))
            .is_some_and(|n| fixture(n).is_some());
        if !fixture_size && !known.contains(&v) {
            return Err(ctx.err(format!(
                "unknown variable {{{v}}}: use {}, {{fixture.NAME.size}}, or a name captured earlier with {{=name}}",
                BUILTIN_VARS.iter().map(|b| format!("{{{b}}}")).collect::<Vec<_>>().join(", ")
            )));
        }
    }
    Ok(())
}

fn captures_of(pattern: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = pattern;
    while let Some(i) = rest.find("{=") {
        rest = &rest[i + 2..];
        if let Some(end) = rest.find('}') {
            out.push(rest[..end].to_owned());
        }
    }
    out
}

/// `90s`, `15m` or `2h`, in seconds.
fn parse_tolerance(s: &str) -> Option<u64> {
    let s = s.trim();
    let (n, unit) = s.split_at(s.len().checked_sub(1)?);
    let n: u64 = n.parse().ok()?;
    match unit {
        "s" => Some(n),
        "m" => n.checked_mul(60),
        "h" => n.checked_mul(3_600),
        _ => None,
    }
}

/// The level words a step may start with (`policy` is a MAY that warns).
const LEVELS: [(&str, Level); 4] = [
    ("must", Level::Must),
    ("should", Level::Should),
    ("may", Level::May),
    ("policy", Level::May),
];

/// `CODES [~ "PATTERN"]`, as `expect` and `check` take them.
fn parse_expectation(
    ctx: &Ctx,
    rest: &str,
    known: &mut BTreeSet<String>,
) -> Result<(CodeSpec, Option<String>), ScenarioError> {
    let (codes, pat) = match rest.split_once('~') {
        Some((c, p)) => (c.trim(), Some(p.trim())),
        None => (rest, None),
    };
    if codes.is_empty() {
        return Err(
            ctx.err("expect needs reply codes, e.g. `expect 230` or `expect 2xx ~ \"pattern\"`")
        );
    }
    let codes = parse_codes(ctx, codes)?;
    let pattern = match pat {
        None => None,
        Some(p) => {
            let text = unquote(p).map_err(|e| ctx.err(format!("pattern: {e}")))?;
            let text = source_of(&text);
            check_vars(ctx, &text, known)?;
            Pattern::new(&text).map_err(|e| ctx.err(format!("pattern: {e}")))?;
            known.extend(captures_of(&text));
            Some(text)
        }
    };
    Ok((codes, pattern))
}

/// The rules that tie steps to each other and to the `ref:` lines: a step
/// that fails quotes a requirement of its own level (a `should` step never
/// quotes a MUST, nor a `must` step a SHOULD); `expect greeting` comes
/// first, without a login; `check` re-judges a reply an `expect` read.
fn validate_steps(sc: &Scenario, file: &str) -> Result<(), ScenarioError> {
    let at = |line: usize| Ctx { file, line };
    let mut read_a_reply = false;
    for (i, step) in sc.steps.iter().enumerate() {
        let ctx = at(step.line);
        if let Some(n) = step.cites {
            let r = sc.refs.get(n - 1).ok_or_else(|| {
                ctx.err(format!(
                    "cites ref {n}, but the scenario has {} ref: line(s)",
                    sc.refs.len()
                ))
            })?;
            // A `should:N` step may cite a MUST where the text leaves room
            // for doubt: a suspected breach, a warning (Scenario::suspects).
            let suspected = step.level == Level::Should && r.level == Level::Must;
            if r.level != step.level && !suspected {
                return Err(ctx.err(format!(
                    "a {} step cites ref {n}, a {} requirement: a step quotes a sentence of its own level (or, `should:N` only, a MUST it merely suspects is broken)",
                    step.level.as_str().to_ascii_lowercase(),
                    r.level
                )));
            }
        } else if step.policy && sc.cited_by(step).is_none() {
            return Err(ctx.err(
                "a policy step needs a MAY ref: to quote, the sentence that gives the server its choice",
            ));
        } else if judges(&step.kind) && step.level != Level::May && sc.cited_by(step).is_none() {
            return Err(ctx.err(format!(
                "a {} step needs a {} ref: to quote when it fails (add one, give the step the level of the sentence it checks, or write should:N for a MUST whose breach the text leaves in doubt)",
                step.level.as_str().to_ascii_lowercase(),
                step.level
            )));
        }
        match &step.kind {
            StepKind::ExpectGreeting if i > 0 || sc.login => {
                return Err(
                    ctx.err("`expect greeting` must be the first step of a `login: no` scenario")
                );
            }
            StepKind::Check { .. } if !read_a_reply => {
                return Err(ctx
                    .err("`check` judges the last reply an `expect` read: put an `expect` first"));
            }
            StepKind::Expect { .. } => read_a_reply = true,
            _ => {}
        }
    }
    Ok(())
}

/// Whether a failing step of this kind produces a finding that quotes a requirement.
fn judges(kind: &StepKind) -> bool {
    !matches!(
        kind,
        StepKind::Send(_)
            | StepKind::Raw(_)
            | StepKind::Pause(_)
            | StepKind::DataAbandon
            | StepKind::DataOpenBounce(_)
    )
}

/// One line of a scenario file, into `sc`.
fn parse_line(
    ctx: &Ctx,
    raw: &str,
    sc: &mut Scenario,
    known: &mut BTreeSet<String>,
    in_steps: &mut bool,
) -> Result<(), ScenarioError> {
    let i = ctx.line - 1;
    let line = raw.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(());
    }
    if let Some((key, value)) = line
        .split_once(':')
        .filter(|(k, _)| !k.contains(' ') && !k.is_empty() && !LEVELS.iter().any(|(w, _)| w == k))
    {
        if *in_steps {
            return Err(ctx.err(format!(
                "metadata `{key}:` after the first step; put it at the top"
            )));
        }
        let value = value.trim();
        match key {
            "id" => {
                if value.is_empty()
                    || !value
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
                {
                    return Err(ctx.err("id must be letters, digits, '.', '_' or '-'"));
                }
                sc.id = value.to_owned();
            }
            "title" => sc.title = value.to_owned(),
            "ref" => sc.refs.push(parse_ref(ctx, value)?),
            "tags" => sc.tags.extend(
                value
                    .split(',')
                    .map(|t| t.trim().to_owned())
                    .filter(|t| !t.is_empty()),
            ),
            "covers" => {
                for c in value.split(',').map(str::trim).filter(|c| !c.is_empty()) {
                    if !c
                        .chars()
                        .all(|ch| ch.is_ascii_alphanumeric() || "._-".contains(ch))
                    {
                        return Err(ctx.err(format!("bad requirement id {c:?} in covers:")));
                    }
                    sc.covers.push(c.to_owned());
                }
            }
            "needs" => {
                for n in value.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                    sc.needs.push(match n {
                        "write" => Need::Write,
                        "user" => Need::User,
                        "tls" => Need::Tls,
                        _ => match n.strip_prefix("feat ") {
                            Some(f) => Need::Feature(f.trim().to_ascii_uppercase()),
                            None => {
                                return Err(ctx.err(format!(
                                    "unknown need {n:?}: use write, user, tls, or feat NAME"
                                )));
                            }
                        },
                    });
                }
            }
            "modes" => {
                for m in value
                    .split(|c: char| c == ',' || c.is_whitespace())
                    .filter(|m| !m.is_empty())
                {
                    match m {
                        "all" => sc.modes.extend(DataMode::ALL),
                        _ => sc.modes.push(
                            DataMode::ALL
                                .into_iter()
                                .find(|d| d.as_str() == m)
                                .ok_or_else(|| {
                                    ctx.err(format!(
                                        "unknown mode {m:?}: use all, pasv, epsv, port or eprt"
                                    ))
                                })?,
                        ),
                    }
                }
                sc.modes.sort();
                sc.modes.dedup();
            }
            "login" => {
                sc.login = match value {
                    "yes" => true,
                    "no" => false,
                    _ => return Err(ctx.err("login: takes yes or no")),
                }
            }
            "tls" => {
                sc.tls_setup = match value {
                    "auto" => true,
                    "none" => false,
                    _ => return Err(ctx.err("tls: takes auto (the default) or none")),
                }
            }
            "family" => {
                sc.family = Some(match value {
                    "ipv4" => Family::V4,
                    "ipv6" => Family::V6,
                    _ => return Err(ctx.err("family: takes ipv4 or ipv6")),
                })
            }
            _ => {
                return Err(ctx.err(format!(
                    "unknown metadata key {key:?}: use id, title, ref, covers, tags, needs, modes, login, tls or family"
                )));
            }
        }
        return Ok(());
    }
    *in_steps = true;
    let policy = line.starts_with("policy ") || line.starts_with("policy:");
    let (level, cites, body) = match line.split_once(' ') {
        Some((prefix, b))
            if LEVELS
                .iter()
                .any(|(w, _)| prefix.split(':').next() == Some(*w)) =>
        {
            let (word, n) = prefix
                .split_once(':')
                .map_or((prefix, None), |(w, n)| (w, Some(n)));
            let level = LEVELS
                .iter()
                .find(|(w, _)| *w == word)
                .map(|(_, l)| *l)
                .unwrap_or(Level::Must);
            let cites = match n {
                None => None,
                Some(n) => Some(n.parse::<usize>().ok().filter(|n| *n >= 1).ok_or_else(|| {
                    ctx.err(format!(
                        "`{prefix}`: write {word}:N, N the number of a ref: line (1 for the first)"
                    ))
                })?),
            };
            (level, cites, b.trim())
        }
        _ => (Level::Must, None, line),
    };
    let (word, rest) = body
        .split_once(' ')
        .map(|(w, r)| (w, r.trim()))
        .unwrap_or((body, ""));
    let kind = match word {
        "send" => {
            if rest.is_empty() {
                return Err(ctx.err("send needs a command, e.g. `send NOOP`"));
            }
            check_vars(ctx, rest, known)?;
            // Escapes are checked now; variables get their values later.
            send_bytes(rest, |_| Some(String::new())).map_err(|e| ctx.err(e))?;
            StepKind::Send(rest.to_owned())
        }
        "raw" => StepKind::Raw(unquote(rest).map_err(|e| ctx.err(format!("raw: {e}")))?),
        "pause" => {
            let ms = rest
                .strip_suffix("ms")
                .and_then(|n| n.trim().parse::<u64>().ok())
                .filter(|ms| (1..=5000).contains(ms))
                .ok_or_else(|| ctx.err("pause takes 1ms to 5000ms, e.g. `pause 200ms`"))?;
            StepKind::Pause(ms)
        }
        "expect" if rest == "close" => StepKind::ExpectClose,
        "expect" if rest == "greeting" => StepKind::ExpectGreeting,
        "check" if rest.starts_with('{') => {
            let usage = "write check {VAR} near now TOLERANCE, e.g. check {mtime} near now 15m";
            let (var, rest) = rest
                .strip_prefix('{')
                .and_then(|r| r.split_once('}'))
                .ok_or_else(|| ctx.err(usage))?;
            if !known.contains(var) {
                return Err(ctx.err(format!(
                    "unknown variable {{{var}}}: capture it first with {{={var}}}"
                )));
            }
            let tolerance = rest
                .trim()
                .strip_prefix("near now ")
                .and_then(parse_tolerance)
                .ok_or_else(|| ctx.err(usage))?;
            StepKind::CheckNearNow {
                var: var.to_owned(),
                tolerance_secs: tolerance,
            }
        }
        "check" => {
            let (codes, pattern) = parse_expectation(ctx, rest, known)?;
            StepKind::Check { codes, pattern }
        }
        "tls" if rest == "legacy-refused" => StepKind::TlsLegacyRefused,
        "tls" => return Err(ctx.err("tls takes: legacy-refused")),
        "expect" if rest == "any" => StepKind::ExpectAny,
        "expect" if rest == "alive" => StepKind::ExpectAlive,
        "expect" => {
            let (after_preliminary, rest) = match rest.strip_prefix("final ") {
                Some(r) => (true, r.trim()),
                None => (false, rest),
            };
            let (codes, pattern) = parse_expectation(ctx, rest, known)?;
            StepKind::Expect {
                codes,
                pattern,
                after_preliminary,
            }
        }
        "data" => {
            let (verb, arg) = rest
                .split_once(' ')
                .map(|(v, a)| (v, a.trim()))
                .unwrap_or((rest, ""));
            match (verb, arg) {
                ("open", "") => StepKind::DataOpen,
                ("open", "held") => StepKind::DataOpenHeld,
                ("open", "third-party") => StepKind::DataOpenBounce(BounceTarget::ThirdParty),
                ("open", "low-port") => StepKind::DataOpenBounce(BounceTarget::LowPort),
                ("none", "") => StepKind::DataNone,
                ("abandon", "") => StepKind::DataAbandon,
                ("refused", "") => StepKind::DataRefused,
                ("upload", src) => StepKind::DataUpload(parse_source(ctx, src)?),
                ("either", src) => StepKind::DataEither(parse_source(ctx, src)?),
                ("download", "") => StepKind::DataDownload(DownloadCheck::Any),
                ("download", check) => StepKind::DataDownload(match check.split_once(' ') {
                    Some(("exact", src)) => DownloadCheck::Exact(parse_source(ctx, src.trim())?),
                    Some(("size", n)) => DownloadCheck::Size(
                        n.trim()
                            .parse()
                            .map_err(|_| ctx.err("size needs a number"))?,
                    ),
                    Some(("sha256", h))
                        if h.trim().len() == 64
                            && h.trim().bytes().all(|b| b.is_ascii_hexdigit()) =>
                    {
                        DownloadCheck::Sha256(h.trim().to_ascii_lowercase())
                    }
                    Some((kind @ ("lines" | "only"), ps)) => {
                        let mut patterns = Vec::new();
                        let mut rest = ps.trim();
                        while !rest.is_empty() {
                            let (text, after) = unquote_prefix(rest)
                                .map_err(|e| ctx.err(format!("{kind}: {e}")))?;
                            let text = source_of(&text);
                            check_vars(ctx, &text, known)?;
                            Pattern::new(&text).map_err(|e| ctx.err(format!("pattern: {e}")))?;
                            patterns.push(text);
                            rest = after.trim();
                        }
                        if patterns.is_empty() {
                            return Err(ctx.err(format!("{kind} needs at least one \"pattern\"")));
                        }
                        if kind == "lines" {
                            DownloadCheck::Lines(patterns)
                        } else {
                            DownloadCheck::Only(patterns)
                        }
                    }
                    Some(("match", p)) => {
                        let (text, rest) =
                            unquote_prefix(p.trim()).map_err(|e| ctx.err(format!("match: {e}")))?;
                        if !rest.trim().is_empty() {
                            return Err(ctx.err("match: text after the pattern"));
                        }
                        let text = source_of(&text);
                        check_vars(ctx, &text, known)?;
                        Pattern::new(&text).map_err(|e| ctx.err(format!("pattern: {e}")))?;
                        DownloadCheck::Match(text)
                    }
                    _ => {
                        return Err(ctx.err(
                            "data download takes: nothing, exact \"text\"|fixture NAME, size N, sha256 HEX, match \"pattern\", lines \"pattern\" ..., or only \"pattern\" ...",
                        ));
                    }
                }),
                _ => {
                    return Err(
                        ctx.err("data takes: open [held|third-party|low-port], upload SOURCE, download [CHECK], none, refused or abandon")
                    );
                }
            }
        }
        _ => {
            return Err(ctx.err(format!(
                "unknown step {word:?}: use send, raw, expect, check, data or tls (optionally after must/should/may/policy)"
            )));
        }
    };
    sc.steps.push(Step {
        line: i + 1,
        level,
        policy,
        cites,
        kind,
    });
    Ok(())
}

/// Parse one scenario file's text. `file` names it in errors; the first
/// error, if any (`parse_all` gives all of them).
pub fn parse(file: &str, text: &str) -> Result<Scenario, ScenarioError> {
    parse_all(file, text).map_err(|mut errs| errs.remove(0))
}

/// Parse one scenario file's text, reporting every error it has.
pub fn parse_all(file: &str, text: &str) -> Result<Scenario, Vec<ScenarioError>> {
    let mut sc = Scenario {
        path: file.to_owned(),
        id: String::new(),
        title: String::new(),
        refs: Vec::new(),
        tags: Vec::new(),
        covers: Vec::new(),
        needs: Vec::new(),
        modes: Vec::new(),
        login: true,
        tls_setup: true,
        family: None,
        steps: Vec::new(),
    };
    let mut known: BTreeSet<String> = BUILTIN_VARS.iter().map(|s| s.to_string()).collect();
    let mut in_steps = false;
    let mut errors = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let ctx = Ctx { file, line: i + 1 };
        // A bad line is reported and skipped: every error of the file at once.
        if let Err(e) = parse_line(&ctx, raw, &mut sc, &mut known, &mut in_steps) {
            errors.push(e);
        }
    }
    let whole = Ctx { file, line: 0 };
    let mut require = |ok: bool, message: &str| {
        if !ok {
            errors.push(whole.err(message));
        }
    };
    require(!sc.id.is_empty(), "missing `id:`");
    require(!sc.title.is_empty(), "missing `title:`");
    require(
        !sc.refs.is_empty(),
        "missing `ref:`: every case cites the RFC requirement it checks",
    );
    require(!sc.steps.is_empty(), "no steps");
    let uses_data = sc.steps.iter().any(|s| {
        matches!(
            s.kind,
            StepKind::DataOpen | StepKind::DataOpenHeld | StepKind::DataOpenBounce(_)
        )
    });
    let probes = sc
        .steps
        .iter()
        .any(|s| matches!(s.kind, StepKind::DataOpenBounce(_)));
    require(
        !(probes && sc.modes.iter().any(|m| !m.is_active())),
        "`data open third-party|low-port` needs active modes only: `modes: port eprt`",
    );
    require(
        !(uses_data && sc.modes.is_empty()),
        "`data open` needs `modes:` (e.g. `modes: all`)",
    );
    if errors.is_empty() {
        if let Err(e) = validate_steps(&sc, file) {
            errors.push(e);
        }
    }
    if errors.is_empty() {
        Ok(sc)
    } else {
        Err(errors)
    }
}

/// Load every `*.ftpspec` file under `dir`, sorted by path. Ids must be unique.
pub fn load_dir(dir: &Path) -> Result<Vec<Scenario>, Vec<ScenarioError>> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    let mut errors = Vec::new();
    while let Some(d) = stack.pop() {
        let entries = match std::fs::read_dir(&d) {
            Ok(e) => e,
            Err(e) => {
                errors.push(ScenarioError {
                    file: d.display().to_string(),
                    line: 0,
                    message: e.to_string(),
                });
                continue;
            }
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "ftpspec") {
                files.push(p);
            }
        }
    }
    files.sort();
    let mut texts = Vec::new();
    for f in files {
        let name = f.display().to_string();
        match std::fs::read_to_string(&f) {
            Ok(text) => texts.push((name, text)),
            Err(e) => errors.push(ScenarioError {
                file: name,
                line: 0,
                message: e.to_string(),
            }),
        }
    }
    match load_texts(texts) {
        Ok(out) if errors.is_empty() => Ok(out),
        Ok(_) => Err(errors),
        Err(more) => {
            errors.extend(more);
            Err(errors)
        }
    }
}

/// Parse scenario files given as `(name, text)`, in that order; ids must
/// be unique. Every error of every file is returned, not only the first.
pub fn load_texts(
    files: impl IntoIterator<Item = (String, String)>,
) -> Result<Vec<Scenario>, Vec<ScenarioError>> {
    let mut errors = Vec::new();
    let mut out: Vec<Scenario> = Vec::new();
    for (name, text) in files {
        match parse_all(&name, &text) {
            Ok(sc) => {
                if let Some(other) = out.iter().find(|o| o.id == sc.id) {
                    errors.push(ScenarioError {
                        file: name,
                        line: 0,
                        message: format!("id {:?} is also used by {}", sc.id, other.path),
                    });
                } else {
                    out.push(sc);
                }
            }
            Err(e) => errors.extend(e),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
# comment
id: transfer.demo
title: demo
ref: RFC 959 §5.4 MUST "the server responds with a prompt primary reply"
covers: R959-5.4-STOR, R959-5.4-RETR
tags: transfer, data
needs: write, feat REST STREAM
modes: pasv epsv

send TYPE I
expect 200
data open
send STOR {dir}/x
expect 125|150
data upload fixture random-64k
expect 2xx ~ "{=msg}"
should send NOOP
expect final 200 ~ "*{msg}*"
data open
send RETR {dir}/x
expect 1xx
data download exact fixture random-64k
raw "NOOP\r\n"
expect close
"#;

    #[test]
    fn parses_a_full_scenario() {
        let sc = parse("demo.ftpspec", GOOD).unwrap();
        assert_eq!(sc.id, "transfer.demo");
        assert_eq!(sc.modes, [DataMode::Pasv, DataMode::Epsv]);
        assert_eq!(sc.needs, [Need::Write, Need::Feature("REST STREAM".into())]);
        assert_eq!(sc.refs[0].level, Level::Must);
        assert_eq!(sc.steps.len(), 15);
        assert_eq!(sc.steps[7].level, Level::Should);
        assert!(matches!(
            sc.steps[8].kind,
            StepKind::Expect {
                after_preliminary: true,
                ..
            }
        ));
        assert_eq!(sc.steps[0].line, 11);
        assert_eq!(sc.covers, ["R959-5.4-STOR", "R959-5.4-RETR"]);
    }

    #[test]
    fn a_held_data_connection_is_a_step_of_its_own() {
        let text = "id: a\ntitle: t\nref: RFC 959 §4.2 MUST \"x\"\nmodes: pasv\ndata open held\nsend LIST\ndata download\n";
        let sc = parse("f.ftpspec", text).unwrap();
        assert_eq!(sc.steps[0].kind, StepKind::DataOpenHeld);
        assert!(crate::scenario::render(&sc).contains("\ndata open held\n"));
    }

    #[test]
    fn a_transfer_either_way_names_what_it_would_upload() {
        let text = "id: a\ntitle: t\nref: RFC 959 §4.2 MUST \"x\"\nmodes: pasv\ndata open\nsend STOU\ndata either \"x\\r\\n\"\n";
        let sc = parse("f.ftpspec", text).unwrap();
        assert_eq!(
            sc.steps[2].kind,
            StepKind::DataEither(DataSource::Text(b"x\r\n".to_vec()))
        );
        let again = parse("f.ftpspec", &crate::scenario::render(&sc)).unwrap();
        assert_eq!(again.steps[2].kind, sc.steps[2].kind);
        assert!(
            err("id: a\ntitle: t\nref: RFC 959 §4.2 MUST \"x\"\nmodes: pasv\ndata either\n")
                .contains("double quotes")
        );
    }

    fn err(text: &str) -> String {
        parse("f.ftpspec", text).unwrap_err().to_string()
    }

    #[test]
    fn errors_name_file_and_line() {
        let head = "id: a\ntitle: t\nref: RFC 959 §4.2 MUST \"x\"\n";
        assert_eq!(
            err(&format!("{head}send\n")),
            "f.ftpspec:4: send needs a command, e.g. `send NOOP`"
        );
        assert!(err(&format!("{head}expect 2x\n")).starts_with("f.ftpspec:4: bad reply code"));
        assert!(err(&format!("{head}expect 600\n")).contains("bad reply code"));
        assert!(err(&format!("{head}send CWD {{nope}}\n")).contains("unknown variable {nope}"));
        assert!(err(&format!("{head}data upload fixture nope\n")).contains("unknown fixture"));
        assert!(err(&format!("{head}data open\n")).contains("needs `modes:`"));
        assert!(err(&format!("{head}frobnicate\n")).contains("unknown step"));
        assert!(err(&format!("{head}send NOOP\nid: b\n")).contains("f.ftpspec:5: metadata"));
        assert!(err("id: a\ntitle: t\nsend NOOP\n").contains("missing `ref:`"));
        assert!(
            err("id: a\ntitle: t\nref: RFC x\nsend NOOP\n").contains("f.ftpspec:3: expected: ref:")
        );
    }
}
