//! `data download [CHECK]`: the bytes are checked while they stream (exact
//! content, size, SHA-256, and the built-in TYPE I round trip), so memory
//! stays flat whatever the server sends; only `match` and `lines` patterns
//! keep the text, and that at most [`MATCH_LIMIT`] bytes.

use super::Stop;
use super::data::source_bytes;
use super::steps::Exec;
use crate::driver::{Direction, DriverError, Transfer};
use crate::oracle::{self, Check, image};
use crate::scenario::{DownloadCheck, Step};
use sha2::{Digest, Sha256};

/// Most bytes of a download kept for a `match` pattern (listings are
/// small; a server sending more fails the match rather than filling memory).
pub(super) const MATCH_LIMIT: usize = 1 << 20;

fn hex(digest: &[u8]) -> String {
    digest.iter().map(|x| format!("{x:02x}")).collect()
}

/// Everything a download is checked against, fed chunk by chunk.
struct Checks {
    /// The step's `exact SOURCE`.
    exact: Option<image::ByteComparison>,
    /// The built-in TYPE I round trip: the path stored, and its bytes.
    round_trip: Option<(String, image::ByteComparison)>,
    /// A running SHA-256, for the checks that show or compare one.
    sha: Option<Sha256>,
    /// The text kept for a `match` pattern, if the step has one.
    text: Option<Vec<u8>>,
    /// More than [`MATCH_LIMIT`] bytes came for a `match`.
    text_overflow: bool,
}

impl Checks {
    fn feed(&mut self, chunk: &[u8]) {
        if let Some(c) = &mut self.exact {
            c.feed(chunk);
        }
        if let Some((_, c)) = &mut self.round_trip {
            c.feed(chunk);
        }
        if let Some(sha) = &mut self.sha {
            sha.update(chunk);
        }
        if let Some(text) = &mut self.text {
            let room = MATCH_LIMIT.saturating_sub(text.len());
            text.extend_from_slice(&chunk[..chunk.len().min(room)]);
            self.text_overflow |= chunk.len() > room;
        }
    }

    /// Fewest bytes the download must hold to pass, when the checks know
    /// it exactly: the step's `exact` bytes, its `size`, or the file this
    /// case stored.
    fn known_length(&self, check: &DownloadCheck) -> Option<u64> {
        let size = match check {
            DownloadCheck::Size(n) => Some(*n),
            _ => None,
        };
        self.exact
            .as_ref()
            .map(image::ByteComparison::expected_len)
            .or(size)
            .or(self.round_trip.as_ref().map(|(_, c)| c.expected_len()))
    }
}

impl Exec<'_> {
    pub(super) async fn data_download(
        &mut self,
        step: &Step,
        check: &DownloadCheck,
    ) -> Result<(), Stop> {
        let conn = self.take_data(step).await?;
        let expected = self.conv.image.expected_download();
        let mut checks = Checks {
            exact: match check {
                DownloadCheck::Exact(src) => Some(image::ByteComparison::new(source_bytes(src))),
                _ => None,
            },
            round_trip: expected.map(|(path, bytes)| (path, image::ByteComparison::new(bytes))),
            sha: matches!(check, DownloadCheck::Exact(_) | DownloadCheck::Sha256(_))
                .then(Sha256::new),
            text: matches!(
                check,
                DownloadCheck::Match(_) | DownloadCheck::Lines(_) | DownloadCheck::Only(_)
            )
            .then(Vec::new),
            text_overflow: false,
        };
        let limits = self.spec.limits;
        let mut fed = 0u64;
        let transfer = match conn
            .stream(&limits, &mut self.conv.t, |chunk| {
                fed += chunk.len() as u64;
                checks.feed(chunk)
            })
            .await
        {
            Ok(t) => t,
            // Past the cap, with fewer bytes expected: the server has
            // already sent what the file does not hold. That is judged
            // below, as any wrong content is, not left as harness trouble.
            Err(DriverError::TransferTooLarge(cap))
                if checks.known_length(check).is_some_and(|n| n < fed) =>
            {
                self.conv.t.push(
                    Direction::Note,
                    format!("data: more than the {cap}-byte cap arrived; stopped reading"),
                );
                Transfer {
                    bytes: fed,
                    tls: None,
                }
            }
            Err(e) => match self.data_failed(step, e).await {
                Some(stop) => return Err(stop),
                None => Default::default(),
            },
        };
        if let Some(v) = transfer.tls.as_ref().and_then(oracle::tls::data_close) {
            self.conv.find(&v, Some(step.line));
        }
        let total = transfer.bytes;
        let digest = checks.sha.take().map(|s| hex(&s.finalize()));
        // The built-in round trip, unless the step checks the same bytes itself.
        if let Some((path, c)) = &checks.round_trip {
            if checks.exact.is_none() {
                if let Some(v) = image::round_trip(path, c) {
                    self.conv.find(&v, Some(step.line));
                }
            }
        }
        let describe = match &digest {
            Some(d) => format!("{total} bytes, sha256 {d}"),
            None => format!("{total} bytes"),
        };
        let (ok, acceptable, received) = match check {
            DownloadCheck::Any => (true, String::new(), describe),
            DownloadCheck::Exact(_) => {
                let c = checks.exact.as_ref().expect("set for exact");
                let received = match c.first_difference() {
                    Some(at) => format!("{describe}, first difference at offset {at}"),
                    None => describe,
                };
                (
                    c.first_difference().is_none(),
                    format!("exactly the {} bytes expected", c.expected_len()),
                    received,
                )
            }
            DownloadCheck::Size(n) => (total == *n, format!("{n} bytes"), describe),
            DownloadCheck::Sha256(h) => (
                digest.as_deref() == Some(h.as_str()),
                format!("sha256 {h}"),
                describe,
            ),
            DownloadCheck::Match(p) => {
                let (src, pat) = self.pattern(p)?;
                let text = checks.text.as_deref().unwrap_or_default();
                let ok = !checks.text_overflow && pat.matches_bytes(text).is_some();
                let received = if checks.text_overflow {
                    format!("{describe} (more than {MATCH_LIMIT} bytes: not matched)")
                } else {
                    describe
                };
                (ok, format!("text matching \"{src}\""), received)
            }
            DownloadCheck::Lines(patterns) | DownloadCheck::Only(patterns) => {
                let text = checks.text.as_deref().unwrap_or_default();
                let lines: Vec<&[u8]> = text
                    .split(|b| *b == b'\n')
                    .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
                    .filter(|l| !l.is_empty())
                    .collect();
                let mut compiled = Vec::new();
                for p in patterns {
                    compiled.push(self.pattern(p)?);
                }
                let (ok, acceptable, problem) = if matches!(check, DownloadCheck::Lines(_)) {
                    let missing: Vec<String> = compiled
                        .iter()
                        .filter(|(_, pat)| !lines.iter().any(|l| pat.matches_bytes(l).is_some()))
                        .map(|(src, _)| format!("\"{src}\""))
                        .collect();
                    (
                        missing.is_empty(),
                        format!("a line matching each of {} (in any order)", patterns.len()),
                        format!("no line matches {}", missing.join(", ")),
                    )
                } else {
                    let other = lines.iter().find(|l| {
                        !compiled
                            .iter()
                            .any(|(_, pat)| pat.matches_bytes(l).is_some())
                    });
                    let shown: Vec<String> = compiled
                        .iter()
                        .map(|(src, _)| format!("\"{src}\""))
                        .collect();
                    (
                        other.is_none(),
                        format!("only lines matching {}", shown.join(" or ")),
                        format!(
                            "the line \"{}\"",
                            crate::codec::escape_bytes(other.copied().unwrap_or_default())
                        ),
                    )
                };
                let ok = ok && !checks.text_overflow;
                let received = if checks.text_overflow {
                    format!("{describe} (more than {MATCH_LIMIT} bytes: not matched)")
                } else {
                    format!("{describe}; {problem}")
                };
                (ok, acceptable, received)
            }
        };
        if ok {
            return Ok(());
        }
        self.mismatch(step, Check::Data, acceptable, received)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn match_text_is_bounded() {
        let mut c = Checks {
            exact: None,
            round_trip: None,
            sha: None,
            text: Some(Vec::new()),
            text_overflow: false,
        };
        c.feed(&vec![b'a'; MATCH_LIMIT - 1]);
        assert!(!c.text_overflow);
        c.feed(b"bc");
        assert!(c.text_overflow);
        assert_eq!(c.text.unwrap().len(), MATCH_LIMIT);
    }
}
