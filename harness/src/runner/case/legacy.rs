//! `tls legacy-refused`: on a connection of its own, a ClientHello that
//! offers only TLS 1.0 and 1.1 (after AUTH TLS on an `ftpes://` target,
//! at once on an `ftps://` one). A ServerHello choosing either is what
//! RFC 8996 forbids; a refusal of any kind passes.

use super::Stop;
use super::steps::Exec;
use crate::driver::legacy_hello;
use crate::driver::{Control, Direction, Transcript};
use crate::oracle::Check;
use crate::scenario::Step;
use crate::target::Security;
use crate::verdict::Verdict;
use std::net::IpAddr;

impl Exec<'_> {
    pub(super) async fn tls_legacy_refused(&mut self, step: &Step) -> Result<(), Stop> {
        let limits = self.spec.limits;
        let target = self.spec.target;
        let mut t = Transcript::default();
        let stop = |why: String| Stop::new(Verdict::Error, format!("tls legacy-refused: {why}"));
        let mut c = Control::connect(self.spec.addr, limits)
            .await
            .map_err(|e| stop(e.to_string()))?;
        if target.security == Security::Explicit {
            c.greeting(&mut t).await.map_err(|e| stop(e.to_string()))?;
            let r = c
                .ask("AUTH TLS", &mut t)
                .await
                .map_err(|e| stop(e.to_string()))?;
            if r.code().get() != 234 {
                return Err(stop(format!("AUTH TLS got {r}")));
            }
        }
        let mut tcp = c
            .into_plain_tcp()
            .ok_or_else(|| stop("the server sent more than its reply to AUTH TLS".into()))?;
        // Certificates name hosts, not addresses: no SNI for an address.
        let sni = (target.host.parse::<IpAddr>().is_err()).then_some(target.host.as_str());
        let answer = legacy_hello::ask(&mut tcp, sni, limits.step_timeout)
            .await
            .map_err(|e| stop(e.to_string()))?;
        self.conv.t.push(
            Direction::Note,
            format!("tls legacy-refused: a ClientHello offering TLS 1.0 and 1.1 only got {answer}"),
        );
        if answer.accepted_legacy() {
            self.mismatch(
                step,
                Check::Tls,
                "a refusal of a ClientHello offering only TLS 1.0 and 1.1".into(),
                answer.to_string(),
            )?;
        }
        Ok(())
    }
}
