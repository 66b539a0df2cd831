//! The FEAT reply (RFC 2389 §3.2):
//!
//! ```text
//! feature-listing = "211-" *TCHAR CRLF 1*( SP feature CRLF ) "211 End" CRLF
//! feature         = feature-label [ SP feature-parms ]
//! ```

use super::leniency::{Deviation, Deviations, Leniency, Parsed};
use super::reply::Reply;
use super::reply_code::ReplyCode;

/// One feature line: its label (upper-cased) and parameters.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Feature {
    /// The label, e.g. `MLST`, upper case ("feature-label" is case-insensitive).
    pub name: String,
    /// The parameters, e.g. `type*;size*;modify*;`, possibly empty.
    pub params: String,
}

/// The features a server announced.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Features(pub Vec<Feature>);

/// Why a FEAT reply could not be read as a feature list.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FeatError {
    /// The reply code is not 211.
    #[error("FEAT reply code {0} is not 211")]
    NotFeatures(ReplyCode),
    /// An empty feature line.
    #[error("empty feature line")]
    EmptyLine,
    /// A deviation that the parse's leniency does not tolerate.
    #[error("{0}")]
    Disallowed(Deviation),
}

impl Features {
    /// Read a 211 reply; a single-line 211 means no features.
    pub fn from_reply(reply: &Reply, leniency: Leniency) -> Result<Parsed<Features>, FeatError> {
        if reply.code() != ReplyCode::SYSTEM_STATUS {
            return Err(FeatError::NotFeatures(reply.code()));
        }
        let mut seen = Deviations::NONE;
        let lines: Vec<&[u8]> = reply.lines().collect();
        let inner = if lines.len() > 2 {
            &lines[1..lines.len() - 1]
        } else {
            &[][..]
        };
        let mut out = Vec::new();
        let code_hyphen = format!("{}-", reply.code());
        for line in inner {
            let text = String::from_utf8_lossy(line);
            let body = match text.strip_prefix(' ') {
                Some(b) if !b.starts_with(' ') => b,
                _ => {
                    leniency.tolerate(
                        Deviation::FeatLineIndent,
                        &mut seen,
                        FeatError::Disallowed,
                    )?;
                    // `211-MDTM` (the code repeated, as on other multi-line
                    // replies) or a wrong indent: the feature all the same.
                    text.strip_prefix(&code_hyphen)
                        .unwrap_or(&text)
                        .trim_start()
                }
            };
            if body.is_empty() {
                return Err(FeatError::EmptyLine);
            }
            let (name, params) = body.split_once(' ').unwrap_or((body, ""));
            out.push(Feature {
                name: name.to_ascii_uppercase(),
                params: params.to_owned(),
            });
        }
        Ok(Parsed::new(Features(out), seen))
    }

    /// The feature named `name` (any case).
    pub fn get(&self, name: &str) -> Option<&Feature> {
        self.0.iter().find(|f| f.name.eq_ignore_ascii_case(name))
    }

    /// Whether `name` was announced. `REST STREAM` and `TVFS`-style labels
    /// with parameters match on the label and, if given, the parameters.
    pub fn has(&self, name: &str) -> bool {
        let (label, params) = name.split_once(' ').unwrap_or((name, ""));
        self.get(label)
            .is_some_and(|f| params.is_empty() || f.params.eq_ignore_ascii_case(params))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{ReplyOptions, decode_all};

    #[test]
    fn rfc2389_example() {
        let input = b"211-Extensions supported:\r\n MLST size*;create;modify*;perm;media-type\r\n SIZE\r\n COMPRESSION\r\n MDTM\r\n REST STREAM\r\n211 END\r\n";
        let reply = Reply::parse(input).unwrap();
        let f = Features::from_reply(&reply, Leniency::STRICT)
            .unwrap()
            .value;
        assert!(f.has("MLST") && f.has("mdtm") && f.has("REST STREAM") && !f.has("EPSV"));
        assert_eq!(
            f.get("MLST").unwrap().params,
            "size*;create;modify*;perm;media-type"
        );
    }

    #[test]
    fn unindented_lines_are_a_deviation() {
        let (replies, _) = decode_all(b"211-F\r\nEPSV\r\n211 End\r\n", ReplyOptions::STRICT);
        let r = &replies[0].value;
        assert_eq!(
            Features::from_reply(r, Leniency::STRICT),
            Err(FeatError::Disallowed(Deviation::FeatLineIndent))
        );
        assert!(
            Features::from_reply(r, Leniency::PERMISSIVE)
                .unwrap()
                .value
                .has("EPSV")
        );
        let none = Reply::parse(b"211 no features\r\n").unwrap();
        assert!(
            Features::from_reply(&none, Leniency::STRICT)
                .unwrap()
                .value
                .0
                .is_empty()
        );
    }
}
