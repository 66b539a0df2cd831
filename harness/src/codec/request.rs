//! Typed commands: every verb of RFC 959 §5.3.1, RFC 2228 (the security
//! commands FTP over TLS uses), RFC 2428, RFC 2389 and RFC 3659 with its
//! argument checked against its syntax line. Unknown verbs
//! stay [`Request::Other`].

use super::addr_error::AddrError;
use super::command::{Arg, ArgError, Command, CommandError};
use super::extaddr::{ExtAddr, NetProtocol};
use super::hostport::HostPort;
use super::verb::Verb;

/// `<form-code> ::= N | T | C` (RFC 959 §5.3.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FormCode {
    /// `N`: non-print.
    NonPrint,
    /// `T`: Telnet format effectors.
    Telnet,
    /// `C`: carriage control (ASA).
    Carriage,
}

/// `<type-code>` (RFC 959 §5.3.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TypeCode {
    /// `A [<sp> <form-code>]`
    Ascii(Option<FormCode>),
    /// `E [<sp> <form-code>]`
    Ebcdic(Option<FormCode>),
    /// `I`
    Image,
    /// `L <sp> <byte-size>`
    Local(u8),
}

/// `<structure-code> ::= F | R | P`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StructureCode {
    /// `F`: file.
    File,
    /// `R`: record.
    Record,
    /// `P`: page.
    Page,
}

/// `<mode-code> ::= S | B | C`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ModeCode {
    /// `S`: stream.
    Stream,
    /// `B`: block.
    Block,
    /// `C`: compressed.
    Compressed,
}

/// `<prot-code> ::= C | S | E | P` (RFC 2228 §8.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProtLevel {
    /// `C`: clear.
    Clear,
    /// `S`: safe (integrity).
    Safe,
    /// `E`: confidential.
    Confidential,
    /// `P`: private (TLS, RFC 4217 §9).
    Private,
}

/// The argument of EPSV (RFC 2428 §3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EpsvArg {
    /// `EPSV <net-prt>`
    Protocol(NetProtocol),
    /// `EPSV ALL`
    All,
}

/// Why a command's argument does not fit its verb.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// The line itself is malformed.
    #[error(transparent)]
    Command(#[from] CommandError),
    /// A required argument is missing.
    #[error("{0} requires an argument")]
    MissingArgument(Verb),
    /// An argument where the syntax allows none.
    #[error("{0} takes no argument")]
    UnexpectedArgument(Verb),
    /// An argument that does not follow the verb's syntax.
    #[error("bad argument to {verb}: {reason}")]
    BadArgument {
        /// The verb.
        verb: Verb,
        /// What is wrong.
        reason: &'static str,
    },
    /// A bad PORT or EPRT address.
    #[error(transparent)]
    Addr(#[from] AddrError),
}

/// A command with its argument typed.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum Request {
    User(Arg),
    Pass(Arg),
    Acct(Arg),
    Cwd(Arg),
    Cdup,
    Smnt(Arg),
    Rein,
    Quit,
    Port(HostPort),
    Pasv,
    Type(TypeCode),
    Stru(StructureCode),
    Mode(ModeCode),
    Retr(Arg),
    Stor(Arg),
    Stou,
    Appe(Arg),
    Allo {
        size: u64,
        record: Option<u64>,
    },
    /// `REST <SP> <marker>`; in stream mode the marker is a byte offset
    /// (RFC 3659 §5), see [`Request::rest_offset`].
    Rest(Arg),
    Rnfr(Arg),
    Rnto(Arg),
    Abor,
    Dele(Arg),
    Rmd(Arg),
    Mkd(Arg),
    Pwd,
    List(Option<Arg>),
    Nlst(Option<Arg>),
    Site(Arg),
    Syst,
    Stat(Option<Arg>),
    Help(Option<Arg>),
    Noop,
    Eprt(ExtAddr),
    Epsv(Option<EpsvArg>),
    Feat,
    Opts(Arg),
    Size(Arg),
    Mdtm(Arg),
    Mlst(Option<Arg>),
    Mlsd(Option<Arg>),
    /// `AUTH <SP> <mechanism-name>` (RFC 2228 §3): `TLS` for RFC 4217.
    Auth(Arg),
    Adat(Arg),
    /// `PBSZ <SP> <decimal-integer>`: RFC 2228's grammar starts at 1, but
    /// RFC 4217 §9 sends 0 ("a reasonable use of '0'"), so 0 is accepted.
    Pbsz(u32),
    Prot(ProtLevel),
    Ccc,
    /// A verb this codec does not know, kept as received. (A known verb here
    /// would come back typed after a round trip.)
    Other(Command),
}

fn upper(arg: &Arg) -> String {
    arg.to_string().to_ascii_uppercase()
}

fn bad(verb: &Verb, reason: &'static str) -> RequestError {
    RequestError::BadArgument {
        verb: verb.clone(),
        reason,
    }
}

fn form(s: Option<&str>, verb: &Verb) -> Result<Option<FormCode>, RequestError> {
    Ok(match s {
        None => None,
        Some("N") => Some(FormCode::NonPrint),
        Some("T") => Some(FormCode::Telnet),
        Some("C") => Some(FormCode::Carriage),
        Some(_) => return Err(bad(verb, "form code must be N, T or C")),
    })
}

fn decimal(s: &str) -> Option<u64> {
    (!s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

impl Request {
    /// Parse one CRLF-terminated line strictly and type it.
    pub fn parse(line: &[u8]) -> Result<Request, RequestError> {
        Request::from_command(&Command::parse(line)?)
    }

    /// Type a command.
    pub fn from_command(cmd: &Command) -> Result<Request, RequestError> {
        use super::verb::Arity;
        let verb = cmd.verb();
        let Some(arity) = verb.arity() else {
            return Ok(Request::Other(cmd.clone()));
        };
        let arg = cmd.arg().cloned();
        match (arity, &arg) {
            (Arity::None, Some(_)) => return Err(RequestError::UnexpectedArgument(verb.clone())),
            (Arity::Required, None) => return Err(RequestError::MissingArgument(verb.clone())),
            _ => {}
        }
        let req = |a: Option<Arg>| a.expect("arity checked");
        let v = verb.as_str();
        Ok(match v {
            "USER" => Request::User(req(arg)),
            "PASS" => Request::Pass(req(arg)),
            "ACCT" => Request::Acct(req(arg)),
            "CWD" => Request::Cwd(req(arg)),
            "CDUP" => Request::Cdup,
            "SMNT" => Request::Smnt(req(arg)),
            "REIN" => Request::Rein,
            "QUIT" => Request::Quit,
            "PORT" => Request::Port(HostPort::parse(req(arg).as_bytes())?),
            "PASV" => Request::Pasv,
            "TYPE" => Request::Type(Request::type_code(&req(arg), verb)?),
            "STRU" => Request::Stru(match upper(&req(arg)).as_str() {
                "F" => StructureCode::File,
                "R" => StructureCode::Record,
                "P" => StructureCode::Page,
                _ => return Err(bad(verb, "structure code must be F, R or P")),
            }),
            "MODE" => Request::Mode(match upper(&req(arg)).as_str() {
                "S" => ModeCode::Stream,
                "B" => ModeCode::Block,
                "C" => ModeCode::Compressed,
                _ => return Err(bad(verb, "mode code must be S, B or C")),
            }),
            "RETR" => Request::Retr(req(arg)),
            "STOR" => Request::Stor(req(arg)),
            "STOU" => Request::Stou,
            "APPE" => Request::Appe(req(arg)),
            "ALLO" => {
                let text = upper(&req(arg));
                let mut parts = text.split(' ');
                let size = parts
                    .next()
                    .and_then(decimal)
                    .ok_or_else(|| bad(verb, "size must be a decimal integer"))?;
                let record = match (parts.next(), parts.next(), parts.next()) {
                    (None, _, _) => None,
                    (Some("R"), Some(n), None) => Some(
                        decimal(n)
                            .ok_or_else(|| bad(verb, "record size must be a decimal integer"))?,
                    ),
                    _ => return Err(bad(verb, "expected ALLO <size> [R <record-size>]")),
                };
                Request::Allo { size, record }
            }
            "REST" => Request::Rest(req(arg)),
            "RNFR" => Request::Rnfr(req(arg)),
            "RNTO" => Request::Rnto(req(arg)),
            "ABOR" => Request::Abor,
            "DELE" => Request::Dele(req(arg)),
            "RMD" => Request::Rmd(req(arg)),
            "MKD" => Request::Mkd(req(arg)),
            "PWD" => Request::Pwd,
            "LIST" => Request::List(arg),
            "NLST" => Request::Nlst(arg),
            "SITE" => Request::Site(req(arg)),
            "SYST" => Request::Syst,
            "STAT" => Request::Stat(arg),
            "HELP" => Request::Help(arg),
            "NOOP" => Request::Noop,
            "EPRT" => Request::Eprt(ExtAddr::parse(req(arg).as_bytes())?),
            "EPSV" => Request::Epsv(match arg {
                None => None,
                Some(a) if upper(&a) == "ALL" => Some(EpsvArg::All),
                Some(a) => Some(EpsvArg::Protocol(NetProtocol(
                    a.as_str()
                        .and_then(decimal)
                        .and_then(|n| u16::try_from(n).ok())
                        .filter(|_| !a.as_bytes().starts_with(b"0") || a.as_bytes() == b"0")
                        .ok_or_else(|| bad(verb, "expected EPSV [<net-prt> | ALL]"))?,
                ))),
            }),
            "FEAT" => Request::Feat,
            "OPTS" => Request::Opts(req(arg)),
            "SIZE" => Request::Size(req(arg)),
            "MDTM" => Request::Mdtm(req(arg)),
            "MLST" => Request::Mlst(arg),
            "MLSD" => Request::Mlsd(arg),
            "AUTH" => Request::Auth(req(arg)),
            "ADAT" => Request::Adat(req(arg)),
            "PBSZ" => Request::Pbsz(
                req(arg)
                    .as_str()
                    .and_then(decimal)
                    .and_then(|n| u32::try_from(n).ok())
                    .ok_or_else(|| bad(verb, "PBSZ needs a decimal integer below 2^32"))?,
            ),
            "PROT" => Request::Prot(match upper(&req(arg)).as_str() {
                "C" => ProtLevel::Clear,
                "S" => ProtLevel::Safe,
                "E" => ProtLevel::Confidential,
                "P" => ProtLevel::Private,
                _ => return Err(bad(verb, "protection level must be C, S, E or P")),
            }),
            "CCC" => Request::Ccc,
            _ => unreachable!("every known verb is typed: {v}"),
        })
    }

    fn type_code(arg: &Arg, verb: &Verb) -> Result<TypeCode, RequestError> {
        let text = upper(arg);
        let mut parts = text.split(' ');
        let code = parts.next().unwrap_or_default();
        let second = parts.next();
        if parts.next().is_some() {
            return Err(bad(verb, "too many type parameters"));
        }
        Ok(match code {
            "A" => TypeCode::Ascii(form(second, verb)?),
            "E" => TypeCode::Ebcdic(form(second, verb)?),
            "I" if second.is_none() => TypeCode::Image,
            "L" => TypeCode::Local(
                second
                    .and_then(decimal)
                    .and_then(|n| u8::try_from(n).ok())
                    .filter(|n| *n > 0)
                    .ok_or_else(|| bad(verb, "TYPE L needs a byte size 1-255"))?,
            ),
            _ => return Err(bad(verb, "type code must be A, E, I or L")),
        })
    }

    /// The verb.
    pub fn verb(&self) -> Verb {
        self.to_command().verb().clone()
    }

    /// The byte offset of a stream-mode REST (RFC 3659 §5.2: "the marker
    /// ... is the decimal representation of the octet offset").
    pub fn rest_offset(&self) -> Option<u64> {
        match self {
            Request::Rest(a) => a.as_str().and_then(decimal),
            _ => None,
        }
    }

    /// The wire-level command.
    pub fn to_command(&self) -> Command {
        fn mk(verb: Verb, arg: Option<&Arg>) -> Command {
            Command::new(verb, arg.cloned()).expect("known verbs are alphabetic")
        }
        fn text(verb: Verb, s: String) -> Command {
            let arg = Arg::new(&s)
                .map_err(|e: ArgError| e)
                .expect("typed arguments have no CR, LF or NUL");
            Command::new(verb, Some(arg)).expect("known verbs are alphabetic")
        }
        fn form(f: Option<FormCode>) -> &'static str {
            match f {
                None => "",
                Some(FormCode::NonPrint) => " N",
                Some(FormCode::Telnet) => " T",
                Some(FormCode::Carriage) => " C",
            }
        }
        match self {
            Request::User(a) => mk(Verb::USER, Some(a)),
            Request::Pass(a) => mk(Verb::PASS, Some(a)),
            Request::Acct(a) => mk(Verb::ACCT, Some(a)),
            Request::Cwd(a) => mk(Verb::CWD, Some(a)),
            Request::Cdup => mk(Verb::CDUP, None),
            Request::Smnt(a) => mk(Verb::SMNT, Some(a)),
            Request::Rein => mk(Verb::REIN, None),
            Request::Quit => mk(Verb::QUIT, None),
            Request::Port(hp) => text(Verb::PORT, hp.to_string()),
            Request::Pasv => mk(Verb::PASV, None),
            Request::Type(t) => text(
                Verb::TYPE,
                match t {
                    TypeCode::Ascii(f) => format!("A{}", form(*f)),
                    TypeCode::Ebcdic(f) => format!("E{}", form(*f)),
                    TypeCode::Image => "I".into(),
                    TypeCode::Local(n) => format!("L {n}"),
                },
            ),
            Request::Stru(s) => text(
                Verb::STRU,
                match s {
                    StructureCode::File => "F",
                    StructureCode::Record => "R",
                    StructureCode::Page => "P",
                }
                .into(),
            ),
            Request::Mode(m) => text(
                Verb::MODE,
                match m {
                    ModeCode::Stream => "S",
                    ModeCode::Block => "B",
                    ModeCode::Compressed => "C",
                }
                .into(),
            ),
            Request::Retr(a) => mk(Verb::RETR, Some(a)),
            Request::Stor(a) => mk(Verb::STOR, Some(a)),
            Request::Stou => mk(Verb::STOU, None),
            Request::Appe(a) => mk(Verb::APPE, Some(a)),
            Request::Allo { size, record } => text(
                Verb::ALLO,
                match record {
                    Some(r) => format!("{size} R {r}"),
                    None => size.to_string(),
                },
            ),
            Request::Rest(a) => mk(Verb::REST, Some(a)),
            Request::Rnfr(a) => mk(Verb::RNFR, Some(a)),
            Request::Rnto(a) => mk(Verb::RNTO, Some(a)),
            Request::Abor => mk(Verb::ABOR, None),
            Request::Dele(a) => mk(Verb::DELE, Some(a)),
            Request::Rmd(a) => mk(Verb::RMD, Some(a)),
            Request::Mkd(a) => mk(Verb::MKD, Some(a)),
            Request::Pwd => mk(Verb::PWD, None),
            Request::List(a) => mk(Verb::LIST, a.as_ref()),
            Request::Nlst(a) => mk(Verb::NLST, a.as_ref()),
            Request::Site(a) => mk(Verb::SITE, Some(a)),
            Request::Syst => mk(Verb::SYST, None),
            Request::Stat(a) => mk(Verb::STAT, a.as_ref()),
            Request::Help(a) => mk(Verb::HELP, a.as_ref()),
            Request::Noop => mk(Verb::NOOP, None),
            Request::Eprt(e) => text(Verb::EPRT, e.to_string()),
            Request::Epsv(None) => mk(Verb::EPSV, None),
            Request::Epsv(Some(EpsvArg::All)) => text(Verb::EPSV, "ALL".into()),
            Request::Epsv(Some(EpsvArg::Protocol(p))) => text(Verb::EPSV, p.to_string()),
            Request::Feat => mk(Verb::FEAT, None),
            Request::Opts(a) => mk(Verb::OPTS, Some(a)),
            Request::Size(a) => mk(Verb::SIZE, Some(a)),
            Request::Mdtm(a) => mk(Verb::MDTM, Some(a)),
            Request::Mlst(a) => mk(Verb::MLST, a.as_ref()),
            Request::Mlsd(a) => mk(Verb::MLSD, a.as_ref()),
            Request::Auth(a) => mk(Verb::AUTH, Some(a)),
            Request::Adat(a) => mk(Verb::ADAT, Some(a)),
            Request::Pbsz(n) => text(Verb::PBSZ, n.to_string()),
            Request::Prot(p) => text(
                Verb::PROT,
                match p {
                    ProtLevel::Clear => "C",
                    ProtLevel::Safe => "S",
                    ProtLevel::Confidential => "E",
                    ProtLevel::Private => "P",
                }
                .into(),
            ),
            Request::Ccc => mk(Verb::CCC, None),
            Request::Other(c) => c.clone(),
        }
    }

    /// Append the encoded line, CRLF included.
    pub fn encode(&self, out: &mut Vec<u8>) {
        self.to_command().encode(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rt(line: &str) -> Request {
        let r = Request::parse(line.as_bytes()).unwrap_or_else(|e| panic!("{line}: {e}"));
        let mut out = Vec::new();
        r.encode(&mut out);
        assert_eq!(Request::parse(&out).unwrap(), r, "{line}");
        r
    }

    #[test]
    fn typed_arguments() {
        assert_eq!(
            rt("TYPE A N\r\n"),
            Request::Type(TypeCode::Ascii(Some(FormCode::NonPrint)))
        );
        assert_eq!(rt("type i\r\n"), Request::Type(TypeCode::Image));
        assert_eq!(rt("TYPE L 8\r\n"), Request::Type(TypeCode::Local(8)));
        assert_eq!(
            rt("ALLO 100 R 10\r\n"),
            Request::Allo {
                size: 100,
                record: Some(10)
            }
        );
        assert_eq!(rt("EPSV ALL\r\n"), Request::Epsv(Some(EpsvArg::All)));
        assert_eq!(
            rt("EPSV 2\r\n"),
            Request::Epsv(Some(EpsvArg::Protocol(NetProtocol::IPV6)))
        );
        assert_eq!(rt("REST 1024\r\n").rest_offset(), Some(1024));
        assert!(matches!(rt("PORT 127,0,0,1,4,1\r\n"), Request::Port(_)));
        assert!(matches!(rt("EPRT |2|::1|2121|\r\n"), Request::Eprt(_)));
        assert!(matches!(rt("XCUP\r\n"), Request::Other(_)));
        assert_eq!(rt("LIST\r\n"), Request::List(None));
    }

    #[test]
    fn arity_and_argument_errors() {
        assert_eq!(
            Request::parse(b"USER\r\n"),
            Err(RequestError::MissingArgument(Verb::USER))
        );
        assert_eq!(
            Request::parse(b"PWD x\r\n"),
            Err(RequestError::UnexpectedArgument(Verb::PWD))
        );
        for bad in [
            "TYPE X",
            "TYPE I N",
            "TYPE L 0",
            "STRU Q",
            "MODE Z",
            "ALLO x",
            "ALLO 1 Q 2",
            "EPSV x",
            "EPSV 01",
        ] {
            assert!(
                matches!(
                    Request::parse(format!("{bad}\r\n").as_bytes()),
                    Err(RequestError::BadArgument { .. })
                ),
                "{bad}"
            );
        }
        assert!(matches!(
            Request::parse(b"PORT 1,2,3\r\n"),
            Err(RequestError::Addr(_))
        ));
    }
}
