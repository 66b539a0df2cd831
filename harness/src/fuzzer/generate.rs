//! Structure-aware generation on [`arbitrary::Unstructured`]: verbs from the
//! codec, arguments shaped for each verb (paths, numbers at the edges, PORT
//! and EPRT fields, TYPE codes), then malformed on purpose: CR, LF, NUL and
//! IAC inside arguments, long lines, odd separators and terminators, lines
//! split or pipelined, and RFC 959 §6 command orders kept or broken.

use super::session::{Action, DataKind, Session};
use crate::codec::Verb;
use arbitrary::{Result, Unstructured};

/// Bounds on what is generated.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    /// Actions a fresh session starts from (chains may take it to twice that).
    pub max_actions: usize,
    /// Longest argument.
    pub max_arg: usize,
}

impl Default for Shape {
    fn default() -> Self {
        Shape {
            max_actions: 10,
            max_arg: 8192,
        }
    }
}

/// Verbs servers know but the codec's table may not, and a few nobody knows.
const EXTRA_VERBS: &[&str] = &[
    "XMKD", "XRMD", "XPWD", "XCUP", "XCWD", "MFMT", "MFCT", "HOST", "CLNT", "LPRT", "LPSV", "XYZZ",
    "A", "",
];

/// Verbs the fuzzer never sends as commands (none now: an AUTH TLS that
/// gets 234 is followed into TLS, and CCC out of it).
const NEVER: &[&str] = &[];

const PATHS: &[&[u8]] = &[
    b".",
    b"..",
    b"/",
    b"~",
    b"*",
    b"-la",
    b"fuzz",
    b"fuzz/a",
    b"fuzz-file",
    b"a b",
    b"../../../../../../etc/passwd",
    b"//",
    b"\\",
    b"%s%s%n%x",
    b"{}",
    b"?",
    b"~root",
    b"\xc3\xa9t\xc3\xa9",
    b"fuzz/../..",
    b".ftpspec-fuzz",
];

/// Numbers where parsers break: signs, widths, overflow boundaries.
const NUMBERS: &[&[u8]] = &[
    b"0",
    b"1",
    b"-1",
    b"+1",
    b"255",
    b"256",
    b"65535",
    b"65536",
    b"2147483647",
    b"2147483648",
    b"4294967295",
    b"4294967296",
    b"9223372036854775807",
    b"9223372036854775808",
    b"18446744073709551615",
    b"18446744073709551616",
    b"99999999999999999999999999",
    b"0x10",
    b"1e9",
    b" 5",
    b"5 ",
    b"007",
    b"",
    b"-0",
];

const BAD_BYTES: &[&[u8]] = &[
    b"\r",
    b"\n",
    b"\r\n",
    b"\0",
    b"\xff",
    b"\xff\xf4\xff\xf2",
    b"\xff\xff",
    b"\xff\xfa",
    b"\x1b[2J",
    b"\x80",
    b"\t",
    b"%n",
    b"%s",
    b"\xc0\xaf",
];

/// Every verb generation draws from.
pub fn verbs() -> Vec<String> {
    Verb::KNOWN
        .iter()
        .map(|v| v.as_str().to_owned())
        .filter(|v| !NEVER.contains(&v.as_str()))
        .chain(EXTRA_VERBS.iter().map(|s| (*s).to_owned()))
        .collect()
}

/// Builds sessions, actions and arguments from unstructured bytes.
pub struct Generator {
    verbs: Vec<String>,
    shape: Shape,
    login: Vec<Vec<u8>>,
    /// The hostile tokens every verb's arguments draw on (`tokens.rs`).
    tokens: Vec<Vec<u8>>,
    /// Values learnt from the server so far.
    learned: Vec<Vec<u8>>,
}

fn pick<'a, T>(u: &mut Unstructured, items: &'a [T]) -> Result<&'a T> {
    u.choose(items)
}

impl Generator {
    /// A generator over the codec's verbs.
    pub fn new(shape: Shape) -> Generator {
        Generator {
            verbs: verbs(),
            shape,
            login: Vec::new(),
            tokens: super::tokens::pool(),
            learned: Vec::new(),
        }
    }

    /// Use the real login name and password for most USER and PASS
    /// arguments: a re-login that succeeds reaches new states, while a
    /// failed one mostly meets the server's deliberate delay (vsftpd 1 s,
    /// pyftpdlib 3 s), which would eat the run.
    pub fn with_login(mut self, user: &str, pass: &str) -> Generator {
        self.login = vec![user.as_bytes().to_vec(), pass.as_bytes().to_vec()];
        self
    }

    /// Use `learned` (values the server showed: paths, names, sizes) in
    /// arguments from now on.
    pub fn set_learned(&mut self, learned: Vec<Vec<u8>>) {
        self.learned = learned;
    }

    /// The login's user (0) or password (1), for chains that log in again.
    pub(super) fn login_value(&self, i: usize) -> Vec<u8> {
        self.login
            .get(i)
            .cloned()
            .unwrap_or_else(|| b"ftpspec".to_vec())
    }

    /// A value a chain shares between its steps: one the server showed,
    /// a hostile token, a path, or a fresh name.
    pub(super) fn value(&self, u: &mut Unstructured) -> Result<Vec<u8>> {
        Ok(match u.int_in_range(0..=9u8)? {
            0..=3 if !self.learned.is_empty() => pick(u, &self.learned)?.clone(),
            0..=1 => pick(u, &self.tokens)?.clone(),
            2..=4 => pick(u, PATHS)?.to_vec(),
            5 => self.long(u)?,
            _ => format!("fz{}", u.int_in_range(0..=999u16)?).into_bytes(),
        })
    }

    /// A fresh session. `favoured` are verbs that recently found new
    /// states; they are drawn more often. A third of what is added is a
    /// stateful chain (`chains.rs`).
    pub fn session(&self, u: &mut Unstructured, favoured: &[String]) -> Result<Session> {
        let n = u.int_in_range(1..=self.shape.max_actions)?;
        let mut actions = Vec::with_capacity(n);
        while actions.len() < n {
            if u.ratio(1, 3)? {
                actions.extend(self.chain(u, favoured)?);
            } else {
                actions.push(self.action(u, favoured)?);
            }
        }
        actions.truncate(self.shape.max_actions.max(1) * 2);
        Ok(Session { actions })
    }

    /// One action of any kind.
    pub fn action(&self, u: &mut Unstructured, favoured: &[String]) -> Result<Action> {
        Ok(match u.int_in_range(0..=19u8)? {
            0 => Action::DataOpen(*pick(u, &DataKind::ALL)?),
            // Held connections are dear on some servers (a LightFTP
            // session waits seconds in its worker's clean-up): now and then.
            1 if u.ratio(1, 8)? => Action::DataHeld(*pick(u, &DataKind::ALL)?),
            1 => Action::DataOpen(*pick(u, &DataKind::ALL)?),
            2 => Action::DataAbandon,
            3 => {
                let verb = pick(u, &["RETR", "STOR", "APPE", "LIST"])?.to_string();
                Action::HangUp {
                    verb: verb.clone(),
                    arg: Some(self.arg(u, &verb)?),
                }
            }
            4..=5 => self.malformed(u, favoured)?,
            6..=8 if !favoured.is_empty() => {
                let v = pick(u, favoured)?.clone();
                self.command(u, &v)?
            }
            _ => {
                let v = pick(u, &self.verbs)?.clone();
                self.command(u, &v)?
            }
        })
    }

    /// A well-formed command with an argument shaped for its verb (or none).
    pub fn command(&self, u: &mut Unstructured, verb: &str) -> Result<Action> {
        let verb = match u.int_in_range(0..=15u8)? {
            0 => verb.to_ascii_lowercase(),
            1 => verb
                .chars()
                .enumerate()
                .map(|(i, c)| {
                    if i % 2 == 0 {
                        c.to_ascii_lowercase()
                    } else {
                        c
                    }
                })
                .collect(),
            _ => verb.to_owned(),
        };
        let arity = Verb::new(&verb).arity();
        let with_arg = match arity {
            Some(crate::codec::Arity::None) => u.ratio(1, 8)?,
            Some(crate::codec::Arity::Required) => !u.ratio(1, 10)?,
            _ => u.ratio(1, 2)?,
        };
        let arg = if with_arg {
            Some(self.arg(u, &verb)?)
        } else {
            None
        };
        Ok(Action::Command { verb, arg })
    }

    /// An argument for `verb`.
    pub fn arg(&self, u: &mut Unstructured, verb: &str) -> Result<Vec<u8>> {
        let v = verb.to_ascii_uppercase();
        // Every verb, whatever its own shapes: a hostile token (alone or
        // in the verb's shape), or a value the server showed.
        match u.int_in_range(0..=19u8)? {
            0..=5 => {
                let token = pick(u, &self.tokens)?.clone();
                let mut a = if u.ratio(1, 2)? {
                    Vec::new()
                } else {
                    self.shaped(u, &v)?
                };
                let at = u.int_in_range(0..=a.len())?;
                a.splice(at..at, token);
                a.truncate(self.shape.max_arg);
                return Ok(a);
            }
            6..=7 if !self.learned.is_empty() => {
                return Ok(pick(u, &self.learned)?.clone());
            }
            _ => {}
        }
        let mut a = self.shaped(u, &v)?;
        // Sometimes grow, corrupt or replace the argument.
        match u.int_in_range(0..=9u8)? {
            0 => a = self.long(u)?,
            1 => {
                let at = u.int_in_range(0..=a.len())?;
                let bad = pick(u, BAD_BYTES)?;
                a.splice(at..at, bad.iter().copied());
            }
            2 => a = pick(u, NUMBERS)?.to_vec(),
            3 => {
                let n = u.int_in_range(0..=32usize)?;
                a = u.bytes(n)?.to_vec();
            }
            _ => {}
        }
        a.truncate(self.shape.max_arg);
        Ok(a)
    }

    /// A long run of one unit, at the lengths buffers tend to have.
    fn long(&self, u: &mut Unstructured) -> Result<Vec<u8>> {
        let len = *pick(u, &[100usize, 255, 256, 511, 1024, 4096, 8192])?;
        let unit = *pick(u, &[&b"A"[..], b"%n", b"/", b"../", b"9", b"\xff"])?;
        Ok(unit
            .iter()
            .copied()
            .cycle()
            .take(len.min(self.shape.max_arg))
            .collect())
    }

    /// An argument in `verb`'s own shapes (upper case verb).
    fn shaped(&self, u: &mut Unstructured, v: &str) -> Result<Vec<u8>> {
        Ok(match v {
            "REST" | "ALLO" | "PBSZ" | "SIZE" if u.ratio(3, 4)? => pick(u, NUMBERS)?.to_vec(),
            "PORT" => port_arg(u)?,
            "EPRT" => eprt_arg(u)?,
            "EPSV" => pick(u, &[&b"1"[..], b"2", b"ALL", b"3", b"0", b"all"])?.to_vec(),
            "AUTH" => pick(
                u,
                &[
                    &b"TLS"[..],
                    b"TLS",
                    b"TLS",
                    b"tls",
                    b"TLS-C",
                    b"SSL",
                    b"GSSAPI",
                    b"X",
                ],
            )?
            .to_vec(),
            "PROT" => pick(u, &[&b"P"[..], b"P", b"C", b"S", b"E", b"p", b"X"])?.to_vec(),
            "TYPE" => pick(
                u,
                &[
                    &b"A"[..],
                    b"I",
                    b"E",
                    b"L 8",
                    b"L 0",
                    b"A N",
                    b"A T",
                    b"A C",
                    b"X",
                    b"a",
                ],
            )?
            .to_vec(),
            "MODE" => pick(u, &[&b"S"[..], b"B", b"C", b"Z", b"X"])?.to_vec(),
            "STRU" => pick(u, &[&b"F"[..], b"R", b"P", b"X"])?.to_vec(),
            "SITE" => pick(
                u,
                &[
                    &b"HELP"[..],
                    b"CHMOD 777 fuzz",
                    b"UMASK 022",
                    b"IDLE 0",
                    b"IDLE 99999999",
                    b"EXEC ls",
                    b"ZONE",
                    b"CHMOD",
                ],
            )?
            .to_vec(),
            "OPTS" => pick(
                u,
                &[
                    &b"UTF8 ON"[..],
                    b"UTF8",
                    b"MLST type;size;",
                    b"MLST",
                    b"X Y",
                ],
            )?
            .to_vec(),
            "USER" | "PASS" | "ACCT" => {
                pick(u, &[&b"ftpspec"[..], b"anonymous", b"root", b""])?.to_vec()
            }
            "MDTM" | "MFMT" if u.ratio(1, 2)? => {
                let mut t = pick(
                    u,
                    &[&b"20200101000000"[..], b"99999999999999", b"0", b"2020"],
                )?
                .to_vec();
                t.extend_from_slice(b" fuzz-file");
                t
            }
            "HELP" | "STAT" if u.ratio(1, 2)? => pick(u, &self.verbs)?.as_bytes().to_vec(),
            // The `ls` options clients send and servers special-case
            // (RFC 959 leaves LIST's argument to the server: a path, or
            // options some servers strip).
            "LIST" | "NLST" | "STAT" if u.ratio(1, 3)? => pick(
                u,
                &[
                    &b"-a"[..],
                    b"-l",
                    b"-la",
                    b"-al",
                    b"-R",
                    b"-a fuzz",
                    b"-l /",
                    b"--",
                    b"-",
                ],
            )?
            .to_vec(),
            _ => pick(u, PATHS)?.to_vec(),
        })
    }

    /// A command broken at the line level.
    fn malformed(&self, u: &mut Unstructured, favoured: &[String]) -> Result<Action> {
        let verb = if !favoured.is_empty() && u.ratio(1, 2)? {
            pick(u, favoured)?.clone()
        } else {
            pick(u, &self.verbs)?.clone()
        };
        let arg = self.arg(u, &verb)?;
        let mut line = verb.as_bytes().to_vec();
        let raw = match u.int_in_range(0..=7u8)? {
            // Bare LF terminator.
            0 => {
                line.push(b' ');
                line.extend_from_slice(&arg);
                line.push(b'\n');
                line
            }
            // No separator, tab, or several spaces.
            1 => {
                line.extend_from_slice(pick(u, &[&b""[..], b"\t", b"   "])?);
                line.extend_from_slice(&arg);
                line.extend_from_slice(b"\r\n");
                line
            }
            // Telnet interrupt before the command, as ABOR is sent.
            2 => {
                let mut l = b"\xff\xf4\xff\xf2".to_vec();
                l.extend_from_slice(&line);
                l.extend_from_slice(b"\r\n");
                l
            }
            // Two commands in one write.
            3 => {
                line.extend_from_slice(b"\r\nNOOP\r\n");
                line
            }
            // A line cut in the middle: the rest follows in the next action.
            4 => {
                line.push(b' ');
                line.extend_from_slice(&arg);
                line
            }
            // An empty line, or only spaces.
            5 => pick(u, &[&b"\r\n"[..], b"   \r\n", b"\n", b"\r"])?.to_vec(),
            // Trailing junk after CRLF-less text, then CRLF.
            6 => {
                line.push(b' ');
                line.extend_from_slice(&arg);
                line.extend_from_slice(b" \r\r\n");
                line
            }
            _ => {
                let n = u.int_in_range(0..=64usize)?;
                let mut l = u.bytes(n)?.to_vec();
                l.extend_from_slice(b"\r\n");
                l
            }
        };
        Ok(Action::Raw(raw))
    }
}

/// PORT h1,h2,h3,h4,p1,p2 near the edges. The address is 127.0.0.1 or
/// 127.0.0.2 (a third party on loopback); [`super::safety`] enforces it.
fn port_arg(u: &mut Unstructured) -> Result<Vec<u8>> {
    let host = pick(u, &["127,0,0,1", "127,0,0,2", "127,0,0,1,", "127,0,0"])?;
    let p1 = pick(u, &["0", "3", "4", "8", "255", "256", "-1", "", "00004"])?;
    let p2 = pick(u, &["0", "1", "21", "255", "256", "65535", "x"])?;
    let mut s = format!("{host},{p1},{p2}");
    if u.ratio(1, 6)? {
        s.push_str(",7");
    }
    if u.ratio(1, 8)? {
        s = format!("({s})");
    }
    Ok(s.into_bytes())
}

/// EPRT |proto|addr|port| with odd delimiters, protocols and ports.
fn eprt_arg(u: &mut Unstructured) -> Result<Vec<u8>> {
    let d = *pick(u, &['|', '!', ' ', '1', '|'])?;
    let (proto, addr) = *pick(
        u,
        &[
            ("1", "127.0.0.1"),
            ("1", "127.0.0.2"),
            ("2", "::1"),
            ("3", "127.0.0.1"),
            ("", "127.0.0.1"),
            ("1", "::1"),
            ("2", "127.0.0.1"),
        ],
    )?;
    let port = pick(
        u,
        &["0", "1", "21", "1023", "1024", "65535", "65536", "-1", ""],
    )?;
    let mut s = format!("{d}{proto}{d}{addr}{d}{port}{d}");
    if u.ratio(1, 8)? {
        s.pop();
    }
    Ok(s.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzzer::rng::Rng;

    #[test]
    fn sessions_are_bounded_and_deterministic() {
        let g = Generator::new(Shape::default());
        let mut rng = Rng::new(1);
        let mut first = Vec::new();
        for _ in 0..200 {
            let data = rng.bytes(4096);
            let s = g.session(&mut Unstructured::new(&data), &[]).unwrap();
            // Chains may run a session past max_actions, to twice at most.
            assert!(!s.actions.is_empty() && s.actions.len() <= 2 * 10);
            assert!(s.weight() < 2 * 10 * (8192 + 64) + 200);
            first.push(s);
        }
        let mut rng = Rng::new(1);
        let data = rng.bytes(4096);
        assert_eq!(
            g.session(&mut Unstructured::new(&data), &[]).unwrap(),
            first[0]
        );
    }
}
