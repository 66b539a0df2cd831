//! What a scenario file says, once parsed.

use std::fmt;

/// RFC 2119 requirement level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Level {
    /// MUST: a violation is a failure.
    Must,
    /// SHOULD: a deviation is a warning.
    Should,
    /// MAY: optional; its absence is "unsupported".
    May,
}

impl Level {
    /// `MUST`, `SHOULD` or `MAY`.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Must => "MUST",
            Level::Should => "SHOULD",
            Level::May => "MAY",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One RFC requirement a scenario checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Requirement {
    /// RFC number.
    pub rfc: u16,
    /// Section, e.g. `5.4`.
    pub section: String,
    /// Level.
    pub level: Level,
    /// The requirement, quoted from the RFC.
    pub quote: String,
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RFC {} §{} {}", self.rfc, self.section, self.level)
    }
}

/// Something a case needs from the target; without it the case is not run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Need {
    /// Permission to create files (a scratch directory is made for the case).
    Write,
    /// A named (non-anonymous) login.
    User,
    /// A FEAT feature, e.g. `MLST` or `REST STREAM`.
    Feature(String),
    /// A TLS target (`ftpes://`, `ftps://`) whose TLS the probe could set up.
    Tls,
}

/// How a data connection is set up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DataMode {
    /// PASV, 227 (RFC 959).
    Pasv,
    /// EPSV, 229 (RFC 2428).
    Epsv,
    /// PORT (RFC 959).
    Port,
    /// EPRT (RFC 2428).
    Eprt,
}

impl DataMode {
    /// Every mode.
    pub const ALL: [DataMode; 4] = [
        DataMode::Pasv,
        DataMode::Epsv,
        DataMode::Port,
        DataMode::Eprt,
    ];

    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            DataMode::Pasv => "pasv",
            DataMode::Epsv => "epsv",
            DataMode::Port => "port",
            DataMode::Eprt => "eprt",
        }
    }

    /// Whether the mode works over `family` (PASV and PORT carry IPv4 only).
    pub fn supports(self, family: Family) -> bool {
        family == Family::V4 || matches!(self, DataMode::Epsv | DataMode::Eprt)
    }

    /// Whether the server connects to us.
    pub fn is_active(self) -> bool {
        matches!(self, DataMode::Port | DataMode::Eprt)
    }
}

/// Address family of the control connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    /// IPv4.
    V4,
    /// IPv6.
    V6,
}

impl Family {
    /// `ipv4` or `ipv6`.
    pub fn as_str(self) -> &'static str {
        match self {
            Family::V4 => "ipv4",
            Family::V6 => "ipv6",
        }
    }
}

/// The mode a data-bearing case runs in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Mode {
    /// Data connection setup.
    pub data: DataMode,
    /// Control connection family.
    pub family: Family,
    /// Data connections under PROT P (TLS), after PBSZ 0 in set-up; on
    /// TLS targets only.
    pub tls: bool,
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.data.as_str(), self.family.as_str())?;
        if self.tls {
            f.write_str("-tls")?;
        }
        Ok(())
    }
}

/// Reply codes an `expect` accepts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeSpec(pub Vec<CodeAlt>);

/// One alternative of a [`CodeSpec`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodeAlt {
    /// `230`
    Exact(u16),
    /// `2xx`: any code with this first digit.
    Class(u8),
    /// `25x`: any code with these first two digits.
    Group(u8),
}

impl CodeSpec {
    /// Whether `code` is accepted.
    pub fn accepts(&self, code: u16) -> bool {
        self.0.iter().any(|a| match *a {
            CodeAlt::Exact(c) => c == code,
            CodeAlt::Class(d) => code / 100 == u16::from(d),
            CodeAlt::Group(g) => code / 10 == u16::from(g),
        })
    }
}

impl fmt::Display for CodeSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, a) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" or ")?;
            }
            match a {
                CodeAlt::Exact(c) => write!(f, "{c:03}")?,
                CodeAlt::Class(d) => write!(f, "{d}xx")?,
                CodeAlt::Group(g) => write!(f, "{g:02}x")?,
            }
        }
        Ok(())
    }
}

/// Bytes to upload or compare with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DataSource {
    /// Literal bytes from a quoted string.
    Text(Vec<u8>),
    /// A generated fixture by name (see [`crate::fixtures`]).
    Fixture(String),
}

/// What a download is checked against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DownloadCheck {
    /// Anything (the bytes are still bounded and recorded).
    Any,
    /// Exactly these bytes.
    Exact(DataSource),
    /// This many bytes.
    Size(u64),
    /// This SHA-256, in hex.
    Sha256(String),
    /// The text matches a pattern (variables substituted first).
    Match(String),
    /// Each pattern matches at least one line (CRLF or LF ends a line):
    /// the listing as a set of lines, in whatever order the server sends.
    Lines(Vec<String>),
    /// Every line matches one of the patterns (nothing else was sent;
    /// no lines at all passes).
    Only(Vec<String>),
}

/// What a step does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StepKind {
    /// Send a command line; the text is a template with `{variables}`.
    Send(String),
    /// Send bytes exactly as given.
    Raw(Vec<u8>),
    /// Wait this many milliseconds before the next step (at most 5 s): so
    /// that two writes reach the server as two, not one.
    Pause(u64),
    /// Expect a reply with one of these codes, and optionally text matching a pattern template.
    Expect {
        /// Accepted codes.
        codes: CodeSpec,
        /// Pattern template for the reply text (lines joined by `\n`).
        pattern: Option<String>,
        /// `expect final`: one positive preliminary reply (1yz) may come
        /// first; the codes apply to the reply after it.
        after_preliminary: bool,
    },
    /// Judge the last reply an `expect` read again, at this step's own
    /// level (a reply whose code one step requires at MUST level and whose
    /// exact code and text another asks for at SHOULD level).
    Check {
        /// Accepted codes.
        codes: CodeSpec,
        /// Pattern template for the reply text.
        pattern: Option<String>,
    },
    /// A captured RFC 3659 time value (`YYYYMMDDHHMMSS[.sss]`, UTC) lies
    /// within this many seconds of the client's clock: a file just stored
    /// has a modification time of now, in UTC.
    CheckNearNow {
        /// The variable holding the time value.
        var: String,
        /// The tolerance, in seconds.
        tolerance_secs: u64,
    },
    /// The greeting of a new connection (RFC 959 §5.4, Connection
    /// Establishment): the first step of a `login: no` scenario, which is
    /// then the one case judging the greeting (every other case only
    /// reads it).
    ExpectGreeting,
    /// Expect the server to close the control connection.
    ExpectClose,
    /// Expect one reply with any code (after at most one 1yz); the server
    /// closing the connection or staying silent for the step timeout fails
    /// the case instead of being a harness error. Written by `ftpspec fuzz`
    /// into findings, where a crash or hang is the thing being reproduced.
    ExpectAny,
    /// A new control connection must be greeted with 220 within the step
    /// timeout: the server survived what came before (fuzz crash findings).
    ExpectAlive,
    /// On a new connection (after AUTH TLS for `ftpes://`), a ClientHello
    /// offering only TLS 1.0 and 1.1: the server must not choose either
    /// (RFC 8996). `tls legacy-refused`.
    TlsLegacyRefused,
    /// Set up a data connection in the case's mode.
    DataOpen,
    /// The same, with the harness's end held back: in passive modes the
    /// harness connects only at the next data step, so that commands sent
    /// in between reach a server whose transfer waits for the connection
    /// (LightFTP's CVE-2023-24042 race). In active modes the same as
    /// `DataOpen` (the server's connection is taken at the data step anyway).
    DataOpenHeld,
    /// Active modes only: send PORT/EPRT naming an address other than the
    /// harness's own (see [`BounceTarget`]); the reply is left for the next `expect`.
    DataOpenBounce(BounceTarget),
    /// Close the data connection without reading or writing.
    DataAbandon,
    /// The server must not open a data connection at all (active modes);
    /// in passive modes, no bytes may flow.
    DataRefused,
    /// Send bytes over the data connection, then close it.
    DataUpload(DataSource),
    /// Receive over the data connection until the server closes it, and check.
    DataDownload(DownloadCheck),
    /// A transfer whose direction the server decides: bytes from it within
    /// a second make it a download (read to the end, not checked);
    /// silence makes it an upload of the source, then a close. What a fuzz
    /// session did when it could not know which command a 1yz answered
    /// (lines merged out of step, a held connection given late): its
    /// findings replay it so.
    DataEither(DataSource),
    /// No bytes may flow on the data connection (the server may still
    /// open it in active mode, as a 1yz announces).
    DataNone,
}

/// A PORT/EPRT address the server should refuse (RFC 2577 §3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BounceTarget {
    /// 127.0.0.2, where the harness listens to see whether the server connects.
    ThirdParty,
    /// The control connection's own address, port 1023.
    LowPort,
}

/// One step, with its source line and level.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// 1-based line in the scenario file.
    pub line: usize,
    /// A failing `should` step gives a warning; a `may` step, "unsupported".
    pub level: Level,
    /// A `policy` step: a MAY the RFC gives the server (level [`Level::May`])
    /// whose other choice users should hear about, a warning that explains
    /// the choice (a server that accepts USER in clear before AUTH TLS).
    pub policy: bool,
    /// Which `ref:` a failing step quotes (1-based, `must:2`); by default the
    /// first `ref:` of the step's level. Either way of the step's level.
    pub cites: Option<usize>,
    /// What it does.
    pub kind: StepKind,
}

/// A parsed scenario file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scenario {
    /// Path of the file, as given to the parser.
    pub path: String,
    /// Unique id, e.g. `transfer.stor-retr-binary`.
    pub id: String,
    /// One-line title.
    pub title: String,
    /// Requirements checked.
    pub refs: Vec<Requirement>,
    /// Tags for `--tag`.
    pub tags: Vec<String>,
    /// Ids of the catalogue rows (`scenarios/requirements.tsv`) this scenario covers.
    pub covers: Vec<String>,
    /// What the case needs.
    pub needs: Vec<Need>,
    /// Data modes to expand across; empty when the case carries no data.
    pub modes: Vec<DataMode>,
    /// Whether the runner logs in before the steps (default yes).
    pub login: bool,
    /// Whether the set-up secures the session as the target says (`tls:
    /// auto`, the default: AUTH TLS on an `ftpes://` target) or leaves it
    /// in clear (`tls: none`) for the steps to test what comes before AUTH
    /// or to send AUTH themselves. An `ftps://` session is TLS from the
    /// start either way.
    pub tls_setup: bool,
    /// The control connection's family the steps assume (`family:`), e.g.
    /// IPv4 for an EPRT naming `|1|{host}|`; `None`: any.
    pub family: Option<Family>,
    /// The steps.
    pub steps: Vec<Step>,
}

impl Scenario {
    /// Whether the case is expanded across data modes.
    pub fn is_data_bearing(&self) -> bool {
        !self.modes.is_empty()
    }

    /// Whether the scenario needs a scratch directory.
    pub fn needs_write(&self) -> bool {
        self.needs.contains(&Need::Write)
    }

    /// Whether this scenario is the one that judges the greeting.
    pub fn judges_greeting(&self) -> bool {
        self.steps
            .first()
            .is_some_and(|s| s.kind == StepKind::ExpectGreeting)
    }

    /// Whether a failing `step` is only a suspected breach: a `should:N`
    /// step citing a MUST, where the RFC text leaves room for doubt (the
    /// finding is then a warning that says so).
    pub fn suspects(&self, step: &Step) -> bool {
        step.level == Level::Should && self.cited_by(step).is_some_and(|r| r.level == Level::Must)
    }

    /// The requirement a failing `step` quotes: its `must:N` choice, or the
    /// first `ref:` of its level.
    pub fn cited_by(&self, step: &Step) -> Option<&Requirement> {
        match step.cites {
            Some(n) => self.refs.get(n.checked_sub(1)?),
            None => self.refs.iter().find(|r| r.level == step.level),
        }
    }
}

/// Variables every scenario may use without capturing them.
pub const BUILTIN_VARS: &[&str] = &["user", "pass", "dir", "host", "af"];

/// Replace `{name}` with its value; `{=name}` (a capture) is left alone.
/// Returns the name of the first unknown variable on failure.
pub fn substitute(
    template: &str,
    mut lookup: impl FnMut(&str) -> Option<String>,
) -> Result<String, String> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let name_len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || "_-.".contains(c)))
            .unwrap_or(after.len());
        if name_len > 0 && after[name_len..].starts_with('}') {
            let name = &after[..name_len];
            out.push_str(&lookup(name).ok_or_else(|| name.to_owned())?);
            rest = &after[name_len + 1..];
        } else {
            out.push('{');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// A `send` line's bytes: `{variables}` substituted (their values as
/// they are), `\xNN` the byte NN, `\\` one backslash, everything else as
/// written (UTF-8). `Err` names a variable without a value, or the escape
/// that is not one.
pub fn send_bytes(
    template: &str,
    mut lookup: impl FnMut(&str) -> Option<String>,
) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(template.len());
    let mut rest = template;
    while let Some(i) = rest.find(['\\', '{']) {
        out.extend_from_slice(&rest.as_bytes()[..i]);
        let after = &rest[i + 1..];
        if rest[i..].starts_with('\\') {
            if let Some(r) = after.strip_prefix('\\') {
                out.push(b'\\');
                rest = r;
            } else if let Some(b) = after
                .strip_prefix('x')
                .and_then(|h| h.get(..2))
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(b);
                rest = &after[3..];
            } else {
                return Err(format!(
                    "bad escape in send: write \\xNN for a byte, \\\\ for a backslash (at {:?})",
                    &rest[i..rest.len().min(i + 4)]
                ));
            }
            continue;
        }
        let name_len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || "_-.".contains(c)))
            .unwrap_or(after.len());
        if name_len > 0 && after[name_len..].starts_with('}') {
            let name = &after[..name_len];
            out.extend_from_slice(lookup(name).ok_or_else(|| name.to_owned())?.as_bytes());
            rest = &after[name_len + 1..];
        } else {
            out.push(b'{');
            rest = after;
        }
    }
    out.extend_from_slice(rest.as_bytes());
    Ok(out)
}

/// The `{variables}` a template uses.
pub fn variables(template: &str) -> Vec<String> {
    let mut names = Vec::new();
    let _ = substitute(template, |n| {
        names.push(n.to_owned());
        Some(String::new())
    });
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitution() {
        let v = |n: &str| (n == "dir").then(|| "d1".to_owned());
        assert_eq!(substitute("STOR {dir}/x", v).unwrap(), "STOR d1/x");
        assert_eq!(substitute("{=cap} {dir}", v).unwrap(), "{=cap} d1");
        assert_eq!(substitute("{nope}", v), Err("nope".to_owned()));
        assert_eq!(substitute("a{b c}", v).unwrap(), "a{b c}");
        assert_eq!(variables("{a}{fixture.x.size}"), ["a", "fixture.x.size"]);
    }

    #[test]
    fn code_specs() {
        let s = CodeSpec(vec![
            CodeAlt::Exact(125),
            CodeAlt::Class(2),
            CodeAlt::Group(45),
        ]);
        assert!(s.accepts(125) && s.accepts(226) && s.accepts(451) && !s.accepts(150));
        assert_eq!(s.to_string(), "125 or 2xx or 45x");
    }
}
