//! Commands on the wire: a [`Verb`] and an optional [`Arg`] (RFC 959 §5.3).
//!
//! This layer checks syntax only; whether `PWD foo` makes sense is the typed
//! layer's business ([`crate::codec::Request`]). Deliberately malformed input
//! goes through [`RawCommand`], which is sent byte for byte.

use super::leniency::{Deviation, Deviations, Leniency, Parsed};
use super::line::{LineError, strip_eol};
use super::verb::Verb;
use std::fmt;

/// Why an argument or verb was refused at construction.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ArgError {
    /// CR, LF or NUL would split or truncate the command line.
    #[error(
        "byte {byte:#04x} at offset {offset} is not allowed in an argument (CR, LF and NUL are refused; use a raw command for malformed input)"
    )]
    ForbiddenByte {
        /// The byte.
        byte: u8,
        /// Its offset in the argument.
        offset: usize,
    },
    /// An empty argument: `<string> ::= <char> | <char><string>`.
    #[error("an argument must not be empty (RFC 959 §5.3.2: <string> ::= <char> | <char><string>)")]
    Empty,
    /// A verb that is not one or more ASCII letters.
    #[error("command code {0:?} is not made of ASCII letters (RFC 959 §5.3)")]
    InvalidVerb(String),
}

/// Why a command line could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    /// The line does not end in LF.
    #[error("command line is not terminated by CRLF")]
    Unterminated,
    /// CR or LF inside the line.
    #[error("CR or LF inside the command line at byte {offset}")]
    EmbeddedEol {
        /// Offset in the line.
        offset: usize,
    },
    /// Nothing before the line end.
    #[error("empty command line")]
    Empty,
    /// Bad verb or argument.
    #[error(transparent)]
    Arg(#[from] ArgError),
    /// A deviation that the parse's [`Leniency`] does not tolerate.
    #[error("{0}")]
    Disallowed(Deviation),
}

impl From<LineError> for CommandError {
    fn from(e: LineError) -> Self {
        match e {
            LineError::Unterminated => CommandError::Unterminated,
            LineError::EmbeddedEol { offset } => CommandError::EmbeddedEol { offset },
            LineError::Disallowed(d) => CommandError::Disallowed(d),
        }
    }
}

/// A command argument: one or more bytes, none of them CR, LF or NUL.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Arg(Box<[u8]>);

impl Arg {
    /// An argument from text.
    pub fn new(text: &str) -> Result<Arg, ArgError> {
        Arg::from_bytes(text.as_bytes())
    }

    /// An argument from bytes that need not be UTF-8 (RFC 959 predates RFC 2640).
    pub fn from_bytes(bytes: &[u8]) -> Result<Arg, ArgError> {
        if bytes.is_empty() {
            return Err(ArgError::Empty);
        }
        if let Some(offset) = bytes.iter().position(|b| matches!(b, b'\r' | b'\n' | 0)) {
            return Err(ArgError::ForbiddenByte {
                byte: bytes[offset],
                offset,
            });
        }
        Ok(Arg(bytes.into()))
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The text, if it is UTF-8.
    pub fn as_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.0).ok()
    }
}

impl fmt::Debug for Arg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Arg({:?})", String::from_utf8_lossy(&self.0))
    }
}

impl fmt::Display for Arg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.0))
    }
}

/// A syntactically valid command line.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Command {
    verb: Verb,
    arg: Option<Arg>,
}

fn check_verb(verb: &Verb) -> Result<(), ArgError> {
    let s = verb.as_str();
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(ArgError::InvalidVerb(s.to_owned()));
    }
    Ok(())
}

impl Command {
    /// A command from a verb and an optional argument.
    pub fn new(verb: Verb, arg: Option<Arg>) -> Result<Command, ArgError> {
        check_verb(&verb)?;
        Ok(Command { verb, arg })
    }

    /// A command from a verb and argument text (`None` or `Some("")` mean no argument).
    pub fn with_text(verb: &str, arg: Option<&str>) -> Result<Command, ArgError> {
        let arg = arg.filter(|a| !a.is_empty()).map(Arg::new).transpose()?;
        Command::new(Verb::new(verb), arg)
    }

    /// The verb.
    pub fn verb(&self) -> &Verb {
        &self.verb
    }

    /// The argument, if any.
    pub fn arg(&self) -> Option<&Arg> {
        self.arg.as_ref()
    }

    /// Parse one CRLF-terminated line strictly.
    pub fn parse(line: &[u8]) -> Result<Command, CommandError> {
        Command::parse_with(line, Leniency::STRICT).map(|p| p.value)
    }

    /// Parse one line, tolerating what `leniency` allows and reporting it.
    pub fn parse_with(line: &[u8], leniency: Leniency) -> Result<Parsed<Command>, CommandError> {
        let mut seen = Deviations::NONE;
        let body = &line[..strip_eol(line, leniency, &mut seen)?];
        if body.is_empty() {
            return Err(CommandError::Empty);
        }
        let (verb_bytes, rest) = match body.iter().position(|&b| b == b' ') {
            Some(sp) => (&body[..sp], Some(&body[sp + 1..])),
            None => (body, None),
        };
        let verb_text = std::str::from_utf8(verb_bytes)
            .map_err(|_| ArgError::InvalidVerb(String::from_utf8_lossy(verb_bytes).into_owned()))?;
        let verb = Verb::new(verb_text);
        check_verb(&verb)?;
        if verb_bytes.len() > 4 {
            leniency.tolerate(Deviation::LongVerb, &mut seen, CommandError::Disallowed)?;
        }
        let arg = match rest {
            None => None,
            Some([]) => {
                leniency.tolerate(
                    Deviation::TrailingSpace,
                    &mut seen,
                    CommandError::Disallowed,
                )?;
                None
            }
            Some(bytes) => {
                if bytes.contains(&0) {
                    leniency.tolerate(
                        Deviation::NulInArgument,
                        &mut seen,
                        CommandError::Disallowed,
                    )?;
                    // Kept verbatim so the caller sees what was sent.
                    Some(Arg(bytes.into()))
                } else {
                    if std::str::from_utf8(bytes).is_err() {
                        leniency.tolerate(
                            Deviation::NotUtf8,
                            &mut seen,
                            CommandError::Disallowed,
                        )?;
                    }
                    Some(Arg::from_bytes(bytes)?)
                }
            }
        };
        Ok(Parsed::new(Command { verb, arg }, seen))
    }

    /// Append the line, CRLF included.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.verb.as_str().as_bytes());
        if let Some(arg) = &self.arg {
            out.push(b' ');
            out.extend_from_slice(arg.as_bytes());
        }
        out.extend_from_slice(b"\r\n");
    }

    /// The encoded line.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.arg {
            Some(a) => write!(f, "{} {}", self.verb, a),
            None => write!(f, "{}", self.verb),
        }
    }
}

/// Bytes sent exactly as given, for deliberately malformed input: no CRLF is
/// added and nothing is checked.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RawCommand(pub Vec<u8>);

impl RawCommand {
    /// Append the bytes.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_verb_and_argument() {
        let c = Command::parse(b"user anonymous\r\n").unwrap();
        assert_eq!(c.verb(), &Verb::USER);
        assert_eq!(c.arg().unwrap().as_str(), Some("anonymous"));
        assert_eq!(c.to_bytes(), b"USER anonymous\r\n");
    }

    #[test]
    fn argument_keeps_inner_and_leading_spaces() {
        let c = Command::parse(b"CWD  a b \r\n").unwrap();
        assert_eq!(c.arg().unwrap().as_bytes(), b" a b ");
    }

    #[test]
    fn construction_refuses_line_breaks_and_nul() {
        for bad in ["a\rb", "a\nb", "a\0b"] {
            assert!(matches!(Arg::new(bad), Err(ArgError::ForbiddenByte { .. })));
        }
        assert_eq!(Arg::new(""), Err(ArgError::Empty));
        assert!(Command::with_text("US ER", None).is_err());
    }

    #[test]
    fn strict_refuses_and_lenient_reports() {
        let cases: &[(&[u8], Deviation)] = &[
            (b"NOOP\n", Deviation::BareLf),
            (b"XYZZY\r\n", Deviation::LongVerb),
            (b"PWD \r\n", Deviation::TrailingSpace),
            (b"CWD a\0b\r\n", Deviation::NulInArgument),
            (b"CWD \xff\r\n", Deviation::NotUtf8),
        ];
        for (line, dev) in cases {
            assert_eq!(
                Command::parse(line),
                Err(CommandError::Disallowed(*dev)),
                "{line:?}"
            );
            let p = Command::parse_with(line, Leniency::STRICT.allow(*dev)).unwrap();
            assert!(p.deviations.contains(*dev));
        }
    }

    #[test]
    fn framing_errors() {
        assert_eq!(Command::parse(b"NOOP"), Err(CommandError::Unterminated));
        assert_eq!(Command::parse(b"\r\n"), Err(CommandError::Empty));
        assert_eq!(
            Command::parse(b"NO\rOP\r\n"),
            Err(CommandError::EmbeddedEol { offset: 2 })
        );
        assert!(matches!(
            Command::parse(b"N0OP\r\n"),
            Err(CommandError::Arg(ArgError::InvalidVerb(_)))
        ));
    }
}
