//! The session model: after login, a list of actions on one control
//! connection. Everything the generator, the mutator, the executor and the
//! finding writer exchange is a [`Session`].

use std::fmt;

/// How a data connection is set up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DataKind {
    /// PASV; the fuzzer connects to the control peer at once.
    Pasv,
    /// EPSV; likewise.
    Epsv,
    /// PORT naming a listener on our own (loopback) address.
    Port,
    /// EPRT naming a listener on our own address.
    Eprt,
}

impl DataKind {
    /// Every kind.
    pub const ALL: [DataKind; 4] = [
        DataKind::Pasv,
        DataKind::Epsv,
        DataKind::Port,
        DataKind::Eprt,
    ];

    /// The command that sets it up.
    pub fn verb(self) -> &'static str {
        match self {
            DataKind::Pasv => "PASV",
            DataKind::Epsv => "EPSV",
            DataKind::Port => "PORT",
            DataKind::Eprt => "EPRT",
        }
    }
}

/// One thing a session does.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// `VERB[ SP arg]` and CRLF. The argument may hold anything, CR, LF,
    /// NUL and IAC included: then the line is "dirty" and the number of
    /// replies it deserves is unknown.
    Command {
        /// Command code as sent (case, junk and all).
        verb: String,
        /// Argument bytes, if any.
        arg: Option<Vec<u8>>,
    },
    /// Bytes as they are, no CRLF added.
    Raw(Vec<u8>),
    /// Set up a data connection the harness can actually use.
    DataOpen(DataKind),
    /// Set up a data connection and hold our end back: a passive one is
    /// connected, an active one's connection read or written, only when
    /// the session ends, so that the commands after a transfer command
    /// reach a server whose transfer still waits (LightFTP's
    /// CVE-2023-24042: a LIST worker reads a buffer that a later USER
    /// overwrites).
    DataHeld(DataKind),
    /// Close the data connection without using it.
    DataAbandon,
    /// Send a command and close the control connection without waiting for
    /// its reply (a client vanishing mid-transfer). Ends the session.
    HangUp {
        /// The command sent just before hanging up.
        verb: String,
        /// Its argument.
        arg: Option<Vec<u8>>,
    },
}

/// Commands whose 1yz is followed by data from the server.
pub const DOWNLOADS: &[&str] = &["RETR", "LIST", "NLST", "MLSD"];
/// Commands whose 1yz is followed by data from us.
pub const UPLOADS: &[&str] = &["STOR", "STOU", "APPE"];

/// `VERB[ SP arg] CRLF`.
pub fn command_line(verb: &str, arg: Option<&[u8]>) -> Vec<u8> {
    let mut out = verb.as_bytes().to_vec();
    if let Some(a) = arg {
        out.push(b' ');
        out.extend_from_slice(a);
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// Whether `bytes` is exactly one well-formed line: a server owes it exactly
/// one reply, so silence is a finding and codes can be judged.
pub fn is_clean_line(bytes: &[u8]) -> bool {
    let Some(body) = bytes.strip_suffix(b"\r\n") else {
        return false;
    };
    body.len() <= 510
        && !body.is_empty()
        && body.iter().all(|&b| (0x20..0x7f).contains(&b))
        && body.first().is_some_and(|b| b.is_ascii_alphabetic())
}

/// The command code a line names, upper-cased (`""` if none): what replies
/// are attributed to and findings are keyed by.
pub fn verb_of(bytes: &[u8]) -> String {
    let start = bytes
        .iter()
        .position(|b| b.is_ascii_alphabetic())
        .unwrap_or(bytes.len());
    // Only leading spaces, IAC sequences and control bytes may come first.
    if bytes[..start]
        .iter()
        .any(|b| b.is_ascii_graphic() && !b.is_ascii_alphabetic())
    {
        return String::new();
    }
    bytes[start..]
        .iter()
        .take_while(|b| b.is_ascii_alphabetic())
        .take(8)
        .map(|b| b.to_ascii_uppercase() as char)
        .collect()
}

/// `actions` with every raw fragment that holds no line end joined to the
/// line after it: the server reads them as one line (`\xce`, then
/// `EPRT \n`, is the line `\xceEPRT \n`), and sent as one they leave no
/// reply in doubt.
pub fn joined(actions: &[Action]) -> Vec<Action> {
    let mut out: Vec<Action> = Vec::with_capacity(actions.len());
    let mut pending: Option<Vec<u8>> = None;
    for a in actions {
        let line = match a {
            Action::Raw(b) => Some(b.clone()),
            Action::Command { verb, arg } => Some(command_line(verb, arg.as_deref())),
            // A set-up after a fragment is read by the server as one line,
            // the fragment then the verb: its reply answers that line, not
            // a set-up, so the verb alone stands in for it. (PORT's and
            // EPRT's argument names our listener, made as they run, so it
            // cannot be written here; if the verb alone does not show the
            // effect, the close stays keyed as out of step.)
            Action::DataOpen(k) | Action::DataHeld(k) if pending.is_some() => {
                Some(command_line(k.verb(), None))
            }
            _ => None,
        };
        match (pending.take(), line) {
            (Some(mut head), Some(line)) => {
                head.extend_from_slice(&line);
                if head.contains(&b'\n') {
                    out.push(Action::Raw(head));
                } else {
                    pending = Some(head);
                }
            }
            (Some(head), None) => {
                out.push(Action::Raw(head));
                out.push(a.clone());
            }
            (None, Some(line)) if matches!(a, Action::Raw(_)) && !line.contains(&b'\n') => {
                pending = Some(line);
            }
            (None, _) => out.push(a.clone()),
        }
    }
    out.extend(pending.map(Action::Raw));
    out
}

impl Action {
    /// The command code this action is about, for attribution.
    pub fn verb(&self) -> String {
        match self {
            Action::Command { verb, .. } | Action::HangUp { verb, .. } => verb_of(verb.as_bytes()),
            Action::Raw(b) => verb_of(b),
            Action::DataOpen(k) | Action::DataHeld(k) => k.verb().to_owned(),
            Action::DataAbandon => "DATA-ABANDON".to_owned(),
        }
    }

    /// The argument, for the minimiser to shorten.
    pub fn arg_mut(&mut self) -> Option<&mut Vec<u8>> {
        match self {
            Action::Command { arg, .. } | Action::HangUp { arg, .. } => arg.as_mut(),
            Action::Raw(b) => Some(b),
            _ => None,
        }
    }

    /// How many bytes it sends (argument sizes), for "shortest" comparisons.
    pub fn weight(&self) -> usize {
        match self {
            Action::Command { verb, arg } | Action::HangUp { verb, arg } => {
                verb.len() + arg.as_ref().map_or(0, Vec::len)
            }
            Action::Raw(b) => b.len(),
            _ => 4,
        }
    }
}

/// A fuzz session: login, then these actions, then QUIT.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Session {
    /// In order.
    pub actions: Vec<Action>,
}

impl Session {
    /// Total bytes, for comparing minimised candidates.
    pub fn weight(&self) -> usize {
        self.actions.iter().map(Action::weight).sum()
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let q = |b: &[u8]| crate::scenario::quote(b);
        match self {
            Action::Command { verb, arg } => {
                write!(f, "{}", q(&command_line(verb, arg.as_deref())))
            }
            Action::Raw(b) => write!(f, "raw {}", q(b)),
            Action::DataOpen(k) => write!(f, "data open {}", k.verb()),
            Action::DataHeld(k) => write!(f, "data open {} held", k.verb()),
            Action::DataAbandon => f.write_str("data abandon"),
            Action::HangUp { verb, arg } => {
                write!(f, "{} then hang up", q(&command_line(verb, arg.as_deref())))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fragment_is_joined_to_the_line_after_it() {
        let raw = |b: &[u8]| Action::Raw(b.to_vec());
        let noop = Action::Command {
            verb: "NOOP".into(),
            arg: None,
        };
        assert_eq!(
            joined(&[raw(b"\xce"), raw(b"EPRT \n"), noop.clone()]),
            vec![raw(b"\xceEPRT \n"), noop.clone()]
        );
        assert_eq!(
            joined(&[raw(b"LIST %n"), noop.clone()]),
            vec![raw(b"LIST %nNOOP\r\n")]
        );
        assert_eq!(
            joined(&[raw(b"ab"), Action::DataAbandon, noop.clone()]),
            vec![raw(b"ab"), Action::DataAbandon, noop.clone()]
        );
        assert_eq!(
            joined(&[raw(b"\x8d"), Action::DataOpen(DataKind::Pasv), noop.clone()]),
            vec![raw(b"\x8dPASV\r\n"), noop.clone()]
        );
        assert_eq!(
            joined(&[raw(b"\xc1"), Action::DataOpen(DataKind::Eprt), noop.clone()]),
            vec![raw(b"\xc1EPRT\r\n"), noop.clone()]
        );
        assert_eq!(
            joined(&[raw(b"\xc1"), Action::DataHeld(DataKind::Port), noop.clone()]),
            vec![raw(b"\xc1PORT\r\n"), noop.clone()]
        );
        assert_eq!(
            joined(&[Action::DataOpen(DataKind::Eprt), noop.clone()]),
            vec![Action::DataOpen(DataKind::Eprt), noop.clone()]
        );
        assert_eq!(
            joined(&[Action::DataOpen(DataKind::Pasv), noop.clone()]),
            vec![Action::DataOpen(DataKind::Pasv), noop.clone()]
        );
        assert_eq!(joined(&[raw(b"ab")]), vec![raw(b"ab")]);
        assert_eq!(joined(std::slice::from_ref(&noop)), vec![noop]);
    }

    #[test]
    fn clean_lines_and_verbs() {
        assert!(is_clean_line(b"NOOP\r\n"));
        assert!(!is_clean_line(b"NOOP\n"));
        assert!(!is_clean_line(b"MKD a\r\nb\r\n"));
        assert!(!is_clean_line(b"MKD a\0b\r\n"));
        assert_eq!(verb_of(b"\xff\xf4\xff\xf2abor\r\n"), "ABOR");
        assert_eq!(verb_of(b"  port 1,2"), "PORT");
        assert_eq!(verb_of(b"1PORT"), "");
    }
}
