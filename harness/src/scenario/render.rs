//! Writing a [`Scenario`] back as text that [`parse`](super::parse) reads
//! to an equal scenario (line numbers aside).

use super::model::*;
use std::fmt::Write;

/// Runs of one ASCII byte at least this long are written `b\{N}`.
const RUN: usize = 16;

/// Quote bytes as a scenario string: `\\`, `\"`, `\r`, `\n`, `\t`, `\0` and
/// `\xNN` for other control bytes and for bytes that are not UTF-8, and
/// `b\{N}` for a long run of one ASCII byte.
pub fn quote(bytes: &[u8]) -> String {
    let mut out = String::from("\"");
    let mut rest = bytes;
    while !rest.is_empty() {
        let run = rest.iter().take_while(|b| **b == rest[0]).count();
        if rest[0].is_ascii() && run >= RUN {
            quote_chunk(&rest[..1], &mut out);
            let _ = write!(out, "\\{{{run}}}");
            rest = &rest[run..];
            continue;
        }
        // Up to the next long ASCII run, as text.
        let mut end = 1;
        while end < rest.len() {
            let b = rest[end];
            if b.is_ascii() && rest[end..].iter().take_while(|x| **x == b).count() >= RUN {
                break;
            }
            end += 1;
        }
        quote_chunk(&rest[..end], &mut out);
        rest = &rest[end..];
    }
    out.push('"');
    out
}

fn quote_chunk(bytes: &[u8], out: &mut String) {
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '"' => out.push_str("\\\""),
                '\r' => out.push_str("\\r"),
                '\n' => out.push_str("\\n"),
                '\t' => out.push_str("\\t"),
                '\0' => out.push_str("\\0"),
                c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                    let _ = write!(out, "\\x{:02x}", c as u32);
                }
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
}

fn source(s: &DataSource) -> String {
    match s {
        DataSource::Text(b) => quote(b),
        DataSource::Fixture(n) => format!("fixture {n}"),
    }
}

/// The scenario as text.
pub fn render(sc: &Scenario) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "id: {}", sc.id);
    let _ = writeln!(o, "title: {}", sc.title);
    for r in &sc.refs {
        let _ = writeln!(
            o,
            "ref: RFC {} §{} {} {}",
            r.rfc,
            r.section,
            r.level,
            quote(r.quote.as_bytes())
        );
    }
    if !sc.covers.is_empty() {
        let _ = writeln!(o, "covers: {}", sc.covers.join(", "));
    }
    if !sc.tags.is_empty() {
        let _ = writeln!(o, "tags: {}", sc.tags.join(", "));
    }
    if !sc.needs.is_empty() {
        let needs: Vec<String> = sc
            .needs
            .iter()
            .map(|n| match n {
                Need::Write => "write".to_owned(),
                Need::User => "user".to_owned(),
                Need::Feature(f) => format!("feat {f}"),
                Need::Tls => "tls".to_owned(),
            })
            .collect();
        let _ = writeln!(o, "needs: {}", needs.join(", "));
    }
    if !sc.modes.is_empty() {
        let modes: Vec<&str> = sc.modes.iter().map(|m| m.as_str()).collect();
        let _ = writeln!(o, "modes: {}", modes.join(" "));
    }
    if !sc.tls_setup {
        o.push_str("tls: none\n");
    }
    if !sc.login {
        o.push_str("login: no\n");
    }
    if let Some(f) = sc.family {
        let _ = writeln!(o, "family: {}", f.as_str());
    }
    o.push('\n');
    for step in &sc.steps {
        let word = if step.policy {
            "policy".to_owned()
        } else {
            step.level.as_str().to_ascii_lowercase()
        };
        match (step.level, step.cites) {
            (Level::Must, None) => {}
            (_, None) => {
                let _ = write!(o, "{word} ");
            }
            (_, Some(n)) => {
                let _ = write!(o, "{word}:{n} ");
            }
        }
        let _ = match &step.kind {
            StepKind::Send(t) => writeln!(o, "send {t}"),
            StepKind::Raw(b) => writeln!(o, "raw {}", quote(b)),
            StepKind::Pause(ms) => writeln!(o, "pause {ms}ms"),
            StepKind::Expect {
                codes,
                pattern,
                after_preliminary,
            } => {
                let codes = codes.to_string().replace(" or ", "|");
                let fin = if *after_preliminary { "final " } else { "" };
                match pattern {
                    Some(p) => writeln!(o, "expect {fin}{codes} ~ {}", quote(p.as_bytes())),
                    None => writeln!(o, "expect {fin}{codes}"),
                }
            }
            StepKind::Check { codes, pattern } => {
                let codes = codes.to_string().replace(" or ", "|");
                match pattern {
                    Some(p) => writeln!(o, "check {codes} ~ {}", quote(p.as_bytes())),
                    None => writeln!(o, "check {codes}"),
                }
            }
            StepKind::CheckNearNow {
                var,
                tolerance_secs,
            } => writeln!(o, "check {{{var}}} near now {tolerance_secs}s"),
            StepKind::ExpectGreeting => writeln!(o, "expect greeting"),
            StepKind::ExpectClose => writeln!(o, "expect close"),
            StepKind::ExpectAny => writeln!(o, "expect any"),
            StepKind::ExpectAlive => writeln!(o, "expect alive"),
            StepKind::TlsLegacyRefused => writeln!(o, "tls legacy-refused"),
            StepKind::DataOpen => writeln!(o, "data open"),
            StepKind::DataOpenHeld => writeln!(o, "data open held"),
            StepKind::DataNone => writeln!(o, "data none"),
            StepKind::DataAbandon => writeln!(o, "data abandon"),
            StepKind::DataRefused => writeln!(o, "data refused"),
            StepKind::DataOpenBounce(BounceTarget::ThirdParty) => {
                writeln!(o, "data open third-party")
            }
            StepKind::DataOpenBounce(BounceTarget::LowPort) => writeln!(o, "data open low-port"),
            StepKind::DataUpload(s) => writeln!(o, "data upload {}", source(s)),
            StepKind::DataEither(s) => writeln!(o, "data either {}", source(s)),
            StepKind::DataDownload(c) => match c {
                DownloadCheck::Any => writeln!(o, "data download"),
                DownloadCheck::Exact(s) => writeln!(o, "data download exact {}", source(s)),
                DownloadCheck::Size(n) => writeln!(o, "data download size {n}"),
                DownloadCheck::Sha256(h) => writeln!(o, "data download sha256 {h}"),
                DownloadCheck::Match(p) => {
                    writeln!(o, "data download match {}", quote(p.as_bytes()))
                }
                DownloadCheck::Lines(ps) | DownloadCheck::Only(ps) => {
                    let kind = if matches!(c, DownloadCheck::Lines(_)) {
                        "lines"
                    } else {
                        "only"
                    };
                    let ps: Vec<String> = ps.iter().map(|p| quote(p.as_bytes())).collect();
                    writeln!(o, "data download {kind} {}", ps.join(" "))
                }
            },
        };
    }
    o
}

/// The scenario with every step's line number zeroed, for comparisons.
pub fn without_lines(sc: &Scenario) -> Scenario {
    let mut sc = sc.clone();
    for s in &mut sc.steps {
        s.line = 0;
    }
    sc
}
