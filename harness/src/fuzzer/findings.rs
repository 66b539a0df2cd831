//! Findings as runnable scenario files: `ftpspec run --suite DIR` replays
//! the minimised session and fails where the fuzzer saw the problem.

use super::hit::Hit;
use super::safety::make_safe;
use super::session::{Action, DataKind, Session, command_line, is_clean_line};
use crate::oracle::{Check, Rule};
use crate::scenario::{
    CodeAlt, CodeSpec, DataMode, DataSource, DownloadCheck, Level, Requirement, Scenario, Step,
    StepKind, render,
};
use std::path::{Path, PathBuf};

/// A finding: the oracle that fired, on which command, and the minimised
/// session that makes it fire.
#[derive(Clone, Debug)]
pub struct FindingFile {
    /// What fired.
    pub hit: Hit,
    /// The session, minimised.
    pub session: Session,
    /// Reply codes per action in the last run of the session.
    pub replies: Vec<Vec<u16>>,
    /// The session as first found, before minimisation (number of actions).
    pub original_actions: usize,
    /// Sessions run before it was found (in this run).
    pub after_sessions: u64,
    /// Seconds into the run.
    pub after_secs: f64,
    /// Transcript of the last run, as text lines.
    pub transcript: Vec<String>,
    /// The session ran over TLS and set up PROT P after its login (as
    /// every fuzz session on an `ftpes://`/`ftps://` target does).
    pub protected: bool,
    /// Its number among the run's findings of the same oracle and command
    /// (distinct causes): from 2 on it is in the file name and the id, so
    /// that no finding overwrites another.
    pub number: usize,
}

impl FindingFile {
    /// The file name: [`file_name`], numbered from the second on.
    pub fn name(&self) -> String {
        numbered(&file_name(&self.hit), self.number)
    }
}

/// `name` (`x.ftpspec` or `fuzz.a.b`) with `-n` before its extension, or
/// at the end, for `n` above 1.
pub fn numbered(name: &str, n: usize) -> String {
    if n <= 1 {
        return name.to_owned();
    }
    match name.strip_suffix(".ftpspec") {
        Some(stem) => format!("{stem}-{n}.ftpspec"),
        None => format!("{name}-{n}"),
    }
}

/// The requirement a finding file cites: the rule of the check that fired.
fn requirement(rule: &Rule) -> Requirement {
    Requirement {
        rfc: rule.rfc,
        section: rule.section.to_owned(),
        level: rule.level,
        quote: rule.quote.to_owned(),
    }
}

/// The requirements a finding file cites: the rule of the check that
/// fired, and, for its MUST-level `expect any`/`expect alive` steps when
/// that rule is not a MUST, RFC 959 §4.2's "at least one reply".
fn refs(rule: &Rule, steps: &[Step]) -> Vec<Requirement> {
    let mut out = vec![requirement(rule)];
    let must_steps = steps.iter().any(|s| s.level == Level::Must);
    if must_steps && rule.level != Level::Must {
        out.push(requirement(&crate::oracle::sequence::AT_LEAST_ONE));
    }
    out
}

/// The file name for a finding: `<oracle>-<verb>.ftpspec`.
pub fn file_name(hit: &Hit) -> String {
    let verb: String = hit
        .verb
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    let verb = if verb.is_empty() {
        "raw".to_owned()
    } else {
        verb
    };
    format!("{}-{verb}.ftpspec", hit.check())
}

fn step(kind: StepKind) -> Step {
    Step {
        line: 0,
        level: Level::Must,
        policy: false,
        cites: None,
        kind,
    }
}

fn any() -> Step {
    step(StepKind::ExpectAny)
}

fn refused() -> Step {
    Step {
        line: 0,
        level: Level::Should,
        policy: false,
        cites: None,
        kind: StepKind::Expect {
            codes: CodeSpec(vec![CodeAlt::Class(4), CodeAlt::Class(5)]),
            pattern: None,
            after_preliminary: false,
        },
    }
}

/// `send` when the line is plain UTF-8, `raw` otherwise (and always for
/// bytes `send` would read as a `{variable}` or an escape).
fn send(bytes: &[u8]) -> Step {
    let plain = is_clean_line(bytes)
        && !bytes.contains(&b'{')
        && !bytes.contains(&b'\\')
        && std::str::from_utf8(bytes).is_ok()
        && !bytes[..bytes.len() - 2].ends_with(b" ");
    if plain {
        let text = String::from_utf8_lossy(&bytes[..bytes.len() - 2]).into_owned();
        step(StepKind::Send(text))
    } else {
        step(StepKind::Raw(bytes.to_vec()))
    }
}

/// `expect 1yz`.
fn preliminary() -> Step {
    step(StepKind::Expect {
        codes: CodeSpec(vec![CodeAlt::Class(1)]),
        pattern: None,
        after_preliminary: false,
    })
}

/// What the fuzz session did with a data connection when it could not
/// know which command a 1yz answered: the server's bytes make it a
/// download, its silence an upload ([`crate::driver::DataConn::either`]).
fn either() -> StepKind {
    StepKind::DataEither(DataSource::Text(super::execute::UPLOAD.to_vec()))
}

/// What moves the data of a transfer by `verb`.
fn data_step(verb: &str) -> StepKind {
    if super::session::UPLOADS.contains(&verb) {
        StepKind::DataUpload(DataSource::Text(super::execute::UPLOAD.to_vec()))
    } else if super::session::DOWNLOADS.contains(&verb) {
        StepKind::DataDownload(DownloadCheck::Any)
    } else {
        StepKind::DataAbandon
    }
}

/// The scenario reproducing `f`.
pub fn scenario(f: &FindingFile) -> Scenario {
    let hit = &f.hit;
    let mode = f.session.actions.iter().find_map(|a| match a {
        Action::DataOpen(k) | Action::DataHeld(k) => Some(match k {
            DataKind::Pasv => DataMode::Pasv,
            DataKind::Epsv => DataMode::Epsv,
            DataKind::Port => DataMode::Port,
            DataKind::Eprt => DataMode::Eprt,
        }),
        _ => None,
    });
    let mut steps = Vec::new();
    if f.protected && mode.is_none() {
        // A data mode's `-tls` case sets this up itself; without one the
        // replay repeats the fuzz session's set-up.
        for line in ["PBSZ 0", "PROT P"] {
            steps.push(step(StepKind::Send(line.into())));
            steps.push(any());
        }
    }
    let mut data_open = false;
    // The data connection set up is held back (`data open held`).
    let mut held = false;
    // The data step of a transfer that waits for the held connection,
    // given at the end, and the replies the fuzz session read once it was
    // given (its `release` files them under the transfer). Replies read
    // before stay in place: the commands they answer must have been
    // processed before the connection is given.
    let mut pending: Option<StepKind> = None;
    let mut owed = 0;
    // Replies still matched to their commands, as the fuzz session kept
    // track (`Run::in_sync`): out of step it let the server decide a
    // transfer's direction.
    let mut in_sync = true;
    for (i, a) in f.session.actions.iter().enumerate() {
        let codes = f.replies.get(i).map(Vec::as_slice).unwrap_or_default();
        let primary = codes.iter().filter(|c| **c >= 200).count();
        let is_hit = i == hit.action;
        match a {
            Action::Command { verb, arg } | Action::HangUp { verb, arg } => {
                let line = make_safe(&command_line(verb, arg.as_deref()), false).into_owned();
                in_sync &= is_clean_line(&line);
                steps.push(send(&line));
                if matches!(a, Action::HangUp { .. }) {
                    break;
                }
                let verb = a.verb();
                if is_hit && hit.check() == Check::PortAccepted {
                    steps.push(refused());
                } else if held && data_open && codes.first().is_none_or(|c| *c < 200) {
                    // The transfer that waits for the held connection.
                    if !codes.is_empty() {
                        steps.push(preliminary());
                    }
                    // Given as the next set-up or the end came, either way;
                    // owed to a command that moves no data, abandoned (the
                    // replay's `data either` would wait the step timeout for
                    // an active end such a server never takes, where the
                    // session waited a settle time).
                    pending = Some(match data_step(&verb) {
                        StepKind::DataAbandon => StepKind::DataAbandon,
                        _ => either(),
                    });
                    owed += primary;
                    (data_open, held, in_sync) = (false, false, false);
                } else if codes.first().is_some_and(|c| *c < 200) && data_open {
                    // 1yz, then the data, then the final reply.
                    steps.push(preliminary());
                    steps.push(step(if in_sync { data_step(&verb) } else { either() }));
                    data_open = false;
                    steps.push(any());
                } else {
                    // A command with no reply before the held connection was
                    // given got it after (filed under the transfer).
                    let silent = codes.is_empty() && pending.is_none();
                    for _ in 0..primary.max(usize::from(is_hit || silent)) {
                        steps.push(any());
                    }
                }
            }
            Action::Raw(b) => {
                let bytes = make_safe(b, false).into_owned();
                in_sync &= is_clean_line(&bytes);
                steps.push(step(StepKind::Raw(bytes)));
                for _ in 0..primary.max(usize::from(is_hit)) {
                    steps.push(any());
                }
            }
            Action::DataOpen(_) | Action::DataHeld(_) | Action::DataAbandon => {
                // A new data set-up or an abandon gives a held end a
                // transfer waits for first (`Run::release`), and the
                // replies read then are filed under that transfer.
                if let Some(kind) = pending.take() {
                    steps.push(step(kind));
                    steps.extend(std::iter::repeat_with(any).take(owed));
                    owed = 0;
                }
                if matches!(a, Action::DataAbandon) {
                    if data_open {
                        steps.push(step(StepKind::DataAbandon));
                    }
                    (data_open, held) = (false, false);
                } else {
                    held = matches!(a, Action::DataHeld(_));
                    steps.push(step(if held {
                        StepKind::DataOpenHeld
                    } else {
                        StepKind::DataOpen
                    }));
                    data_open = true;
                }
            }
        }
        if is_hit && hit.check() != Check::PortAccepted {
            break;
        }
    }
    // The session gave the held connection as it ended.
    if let Some(kind) = pending {
        steps.push(step(kind));
    }
    for _ in 0..owed {
        steps.push(any());
    }
    if steps.is_empty() {
        // Only data steps that a scenario cannot hold without a transfer
        // (an abandon with nothing open): still a valid, runnable file.
        steps.push(step(StepKind::Send("NOOP".into())));
        steps.push(any());
    }
    // A server may die of a command only when the next line arrives (the
    // fuzzer's closing QUIT saw it): a NOOP witnesses it in the replay.
    let witnessed =
        matches!(f.session.actions.last(), Some(Action::Command { verb, .. }) if verb == "NOOP");
    if hit.check() == Check::Crash && !witnessed {
        steps.push(step(StepKind::Send("NOOP".into())));
        steps.push(any());
    }
    if matches!(hit.check(), Check::Crash | Check::Hang | Check::Closed) {
        steps.push(step(StepKind::ExpectAlive));
    }
    let verb = if hit.verb.is_empty() {
        "raw".to_owned()
    } else {
        hit.verb.to_ascii_lowercase()
    };
    let verb: String = verb.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    let mut title = format!(
        "fuzz {}: {}",
        hit.check(),
        hit.detail().replace(['\r', '\n'], " ")
    );
    if title.len() > 160 {
        let mut cut = 157;
        while !title.is_char_boundary(cut) {
            cut -= 1;
        }
        title.truncate(cut);
        title.push_str("...");
    }
    Scenario {
        path: String::new(),
        id: numbered(&format!("fuzz.{}.{verb}", hit.check()), f.number),
        title,
        refs: refs(&hit.violation.rule, &steps),
        tags: vec!["fuzz".to_owned(), hit.check().as_str().to_owned()],
        covers: Vec::new(),
        needs: Vec::new(),
        modes: mode.into_iter().collect(),
        login: true,
        tls_setup: true,
        family: None,
        steps,
    }
}

/// The file's text: a comment header saying what was found and how, then
/// the scenario.
pub fn text(f: &FindingFile) -> String {
    let shrunk = if f.hit.at_login {
        "Seen as the session logged in, before its first action: the replay's set-up meets it"
            .to_owned()
    } else {
        format!(
            "Minimised from {} to {} actions",
            f.original_actions,
            f.session.actions.len()
        )
    };
    let mut out = format!(
        "# Found by `ftpspec fuzz` after {} sessions ({:.1}s): {}\n# {shrunk}. Replay: ftpspec run --suite <this directory> --target URL\n# Transcript of the minimised session:\n",
        f.after_sessions,
        f.after_secs,
        f.hit.detail().replace(['\r', '\n'], " "),
    );
    for line in f.transcript.iter().take(60) {
        out.push_str("#   ");
        out.push_str(&line.replace(['\r', '\n'], " "));
        out.push('\n');
    }
    out.push_str(&render(&scenario(f)));
    out
}

/// Write the finding into `dir`; returns the path.
pub fn write(dir: &Path, f: &FindingFile) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(f.name());
    std::fs::write(&path, text(f))?;
    Ok(path)
}

/// Add to a finding file, once the run is over, every command that was
/// seen to trigger the same cause (the file replays one of them).
pub fn note_commands(path: &Path, commands: &[String]) {
    let Ok(text) = std::fs::read_to_string(path) else {
        return;
    };
    let line = format!(
        "# One cause, seen with {} commands: {}\n",
        commands.len(),
        commands.join(" ")
    );
    let _ = std::fs::write(path, format!("{line}{text}"));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{Reply, ReplyCode, Verb};
    use crate::fuzzer::generate::{Generator, Shape};
    use crate::fuzzer::rng::Rng;
    use crate::oracle::{codes, fate, port};
    use crate::scenario::parse;
    use arbitrary::Unstructured;

    /// Whatever a session holds, its finding file parses, and to the
    /// scenario it was rendered from.
    #[test]
    fn finding_files_always_parse() {
        let g = Generator::new(Shape::default());
        let mut rng = Rng::new(11);
        for n in 0..300 {
            let data = rng.bytes(4096);
            let session = g.session(&mut Unstructured::new(&data), &[]).unwrap();
            let detail = "a \"detail\"\r\nwith a line break";
            let violation = match n % 5 {
                0 => fate::crash("X", detail),
                1 => fate::hang("X", std::time::Duration::from_secs(1)),
                2 => fate::closed(detail),
                3 => codes::reply_code(&Verb::MKD, ReplyCode::new(150).unwrap(), false).unwrap(),
                _ => port::accepted(
                    "PORT",
                    "127.0.0.1:21".parse().unwrap(),
                    &Reply::parse(b"200 ok\r\n").unwrap(),
                )
                .unwrap(),
            };
            let f = FindingFile {
                hit: Hit::new(
                    violation,
                    &session.actions.last().unwrap().verb(),
                    session.actions.len() - 1,
                ),
                replies: session.actions.iter().map(|_| vec![150, 226]).collect(),
                original_actions: session.actions.len(),
                session,
                after_sessions: 1,
                after_secs: 0.5,
                transcript: vec!["> MKD \\x00\r\n".into()],
                protected: n % 2 == 0,
                number: 1,
            };
            let text = text(&f);
            let parsed = parse("f.ftpspec", &text).unwrap_or_else(|e| panic!("{e}\n{text}"));
            assert_eq!(
                crate::scenario::without_lines(&parsed),
                crate::scenario::without_lines(&Scenario {
                    path: "f.ftpspec".into(),
                    ..scenario(&f)
                }),
                "{text}"
            );
        }
    }

    /// A session that ran under PROT P replays under it: without a data
    /// mode (whose `-tls` case sets it up) the file repeats the set-up.
    #[test]
    fn a_second_finding_of_the_same_oracle_and_command_gets_its_own_name() {
        assert_eq!(numbered("crash-mkd.ftpspec", 1), "crash-mkd.ftpspec");
        assert_eq!(numbered("crash-mkd.ftpspec", 2), "crash-mkd-2.ftpspec");
        assert_eq!(numbered("fuzz.crash.mkd", 3), "fuzz.crash.mkd-3");
        let f = FindingFile {
            hit: Hit::new(fate::closed("gone"), "NOOP", 0),
            replies: vec![vec![200]],
            original_actions: 1,
            session: Session {
                actions: vec![Action::Command {
                    verb: "NOOP".into(),
                    arg: None,
                }],
            },
            after_sessions: 1,
            after_secs: 0.5,
            transcript: Vec::new(),
            protected: false,
            number: 2,
        };
        assert_eq!(f.name(), "closed-noop-2.ftpspec");
        assert_eq!(scenario(&f).id, "fuzz.closed.noop-2");
    }

    /// A finding of `actions` (which drew `replies`) closed at the last one,
    /// a NOOP.
    fn closed_at_last(actions: Vec<Action>, replies: Vec<Vec<u16>>) -> FindingFile {
        FindingFile {
            hit: Hit::new(fate::closed("gone"), "NOOP", actions.len() - 1),
            replies,
            original_actions: actions.len(),
            session: Session { actions },
            after_sessions: 1,
            after_secs: 0.5,
            transcript: Vec::new(),
            protected: false,
            number: 1,
        }
    }

    /// A held end that a transfer waits for is given when the next data
    /// connection is set up (`Run::data_open` releases it first), and the
    /// replies read then are filed under the transfer: the replay gives
    /// it there too, not at the end (where the crash it caused would come
    /// too late, or never).
    #[test]
    fn a_held_end_given_at_the_next_set_up_is_given_there_in_the_replay() {
        let cmd = |verb: &str| Action::Command {
            verb: verb.into(),
            arg: None,
        };
        let actions = vec![
            Action::DataHeld(DataKind::Pasv),
            cmd("LIST"),
            Action::DataOpen(DataKind::Pasv),
            cmd("NLST"),
            cmd("NOOP"),
        ];
        // LIST: 150, then its 226 once the held end was given.
        let replies = vec![vec![227], vec![150, 226], vec![227], vec![150, 226], vec![]];
        let f = closed_at_last(actions, replies);
        let kinds: Vec<&str> = scenario(&f)
            .steps
            .iter()
            .filter_map(|s| match &s.kind {
                StepKind::DataOpenHeld => Some("open held"),
                StepKind::DataOpen => Some("open"),
                StepKind::DataEither(_) => Some("either"),
                StepKind::Send(t) if t.starts_with("LIST") || t.starts_with("NLST") => Some("send"),
                _ => None,
            })
            .collect();
        // The fuzz session gave the held end either way, and, out of step
        // from then on, NLST's connection too.
        assert_eq!(
            kinds,
            ["open held", "send", "either", "open", "send", "either"]
        );
    }

    /// Out of step (a line without its end merged with the next), the
    /// fuzz session let the server decide a transfer's direction; in step
    /// it followed the verb. The replay does as it did.
    #[test]
    fn a_transfer_out_of_step_replays_either_way() {
        let data_steps = |first: Action| {
            let actions = vec![
                first,
                Action::DataOpen(DataKind::Pasv),
                Action::Command {
                    verb: "RETR".into(),
                    arg: Some(b"x".to_vec()),
                },
                Action::Command {
                    verb: "NOOP".into(),
                    arg: None,
                },
            ];
            let f = closed_at_last(actions, vec![vec![], vec![227], vec![150, 226], vec![]]);
            scenario(&f)
                .steps
                .into_iter()
                .filter_map(|s| match s.kind {
                    StepKind::DataDownload(_) => Some("download"),
                    StepKind::DataEither(_) => Some("either"),
                    StepKind::DataUpload(_) => Some("upload"),
                    _ => None,
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(data_steps(Action::Raw(b"STOU x".to_vec())), ["either"]);
        assert_eq!(data_steps(Action::Raw(b"NOOP\r\n".to_vec())), ["download"]);
    }

    #[test]
    fn a_protected_session_replays_its_set_up() {
        let cmd = |verb: &str| Action::Command {
            verb: verb.into(),
            arg: None,
        };
        let f = |actions: Vec<Action>, protected| FindingFile {
            hit: Hit::new(fate::closed("gone"), "NOOP", actions.len() - 1),
            replies: actions.iter().map(|_| vec![200]).collect(),
            original_actions: actions.len(),
            session: Session { actions },
            after_sessions: 1,
            after_secs: 0.5,
            transcript: Vec::new(),
            protected,
            number: 1,
        };
        let sends = |sc: &Scenario| -> Vec<String> {
            sc.steps
                .iter()
                .filter_map(|s| match &s.kind {
                    StepKind::Send(t) => Some(t.clone()),
                    _ => None,
                })
                .collect()
        };
        let sc = scenario(&f(vec![cmd("NOOP")], true));
        assert_eq!(sends(&sc)[..3], ["PBSZ 0", "PROT P", "NOOP"]);
        let sc = scenario(&f(vec![cmd("NOOP")], false));
        assert_eq!(sends(&sc)[0], "NOOP");
        let sc = scenario(&f(
            vec![Action::DataOpen(DataKind::Pasv), cmd("NOOP")],
            true,
        ));
        assert_eq!(sends(&sc)[0], "NOOP", "the -tls mode sets PROT P up itself");
    }
}
