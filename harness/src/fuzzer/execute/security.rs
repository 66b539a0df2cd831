//! What an accepted AUTH, PROT, CCC or REIN does to the fuzz session's
//! connection: TLS started or ended, data protection switched.

use super::{End, Run};
use crate::driver::DriverError;
use crate::fuzzer::hit::Hit;

impl Run<'_> {
    /// A 234: TLS now, as the server said (RFC 4217 §4). A server that
    /// then takes no part in it is a finding (oracle::tls::after_234); a
    /// second AUTH inside TLS ends the session (TLS is not nested).
    pub(super) async fn start_tls(&mut self, i: usize, verb: &str) -> Result<(), End> {
        if self.control.is_tls() || self.control.tls_client().is_none() {
            return Err(End::ServerEnded(i));
        }
        match self.control.start_tls(&mut self.t).await {
            Ok(_) => Ok(()),
            Err(DriverError::Tls { failure, .. }) => {
                self.hits.extend(Hit::after_234(&failure, verb, i));
                Err(End::ServerEnded(i))
            }
            Err(_) => Err(End::ServerEnded(i)),
        }
    }

    /// What an accepted PROT, CCC or REIN does to the connection (as in a
    /// case: `runner/case/security.rs`).
    pub(super) async fn follow_security(
        &mut self,
        verb: &str,
        line: &[u8],
        code: u16,
    ) -> Result<(), End> {
        let v = verb.to_ascii_uppercase();
        let arg = line
            .strip_suffix(b"\r\n")
            .unwrap_or(line)
            .splitn(2, |b| *b == b' ')
            .nth(1)
            .unwrap_or_default();
        match (v.as_str(), code) {
            ("PROT", 200) => {
                let clear = arg.eq_ignore_ascii_case(b"C");
                self.control.set_private_data(!clear);
            }
            ("CCC", 200) | ("REIN", 220) => {
                if v == "REIN" {
                    self.control.set_private_data(false);
                }
                if self.control.clear_tls(&mut self.t).await.is_err() {
                    return Err(End::ServerEnded(self.sent));
                }
            }
            _ => {}
        }
        Ok(())
    }
}
