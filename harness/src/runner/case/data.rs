//! Data connections in a case: `data open` in the case's mode (PASV and
//! EPSV connect to the control connection's peer, PORT and EPRT listen on
//! its local address), the bounce targets, the negative checks (`data
//! none`, `data refused`) and uploads.

use super::Stop;
use super::steps::Exec;
use crate::codec::{ExtAddr, HostPort, ReplyCode};
use crate::driver::{DataConn, Direction, DriverError, TlsFailure};
use crate::fixtures;
use crate::oracle;
use crate::oracle::Check;
use crate::scenario::{BounceTarget, DataMode, DataSource, Mode, Step};
use crate::verdict::Verdict;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// Ports the third-party check tries on 127.0.0.2: privileged, rarely used.
const BOUNCE_PORTS: std::ops::RangeInclusive<u16> = 1000..=1023;

/// The bytes a data source stands for.
pub(super) fn source_bytes(src: &DataSource) -> Arc<Vec<u8>> {
    match src {
        DataSource::Text(b) => Arc::new(b.clone()),
        DataSource::Fixture(n) => fixtures::shared(n).unwrap_or_default(),
    }
}

/// The PORT or EPRT line naming `addr`, as `mode` needs.
fn active_command(mode: DataMode, addr: SocketAddr) -> Result<String, Stop> {
    match (mode, addr.ip()) {
        (DataMode::Port, IpAddr::V4(ip)) => Ok(format!("PORT {}", HostPort::new(ip, addr.port()))),
        (DataMode::Eprt, _) => Ok(format!("EPRT {}", ExtAddr::from_socket(addr))),
        _ => Err(Stop::new(
            Verdict::Error,
            "PORT needs an IPv4 address; use EPRT over IPv6",
        )),
    }
}

impl Exec<'_> {
    fn mode(&self) -> Result<Mode, Stop> {
        self.spec
            .mode
            .ok_or_else(|| Stop::new(Verdict::Error, "data open in a case without a mode"))
    }

    /// The data connection `data open` set up; after `data open held`,
    /// connected now.
    async fn data_conn(&mut self) -> Result<Option<DataConn>, Stop> {
        if let Some(conn) = self.data.take() {
            return Ok(Some(conn));
        }
        let Some(port) = self.held_port.take() else {
            return Ok(None);
        };
        self.conv
            .t
            .push(Direction::Note, "data: connecting the held connection");
        self.conv
            .connect_passive(port)
            .await
            .map(Some)
            .map_err(|e| {
                Stop::new(
                    Verdict::Fail,
                    format!("the server's passive port {port} did not accept a connection: {e}"),
                )
            })
    }

    /// The data connection `data open` set up, protected as PROT now
    /// says (it may have changed since: RFC 4217 §8).
    pub(super) async fn take_data(&mut self, step: &Step) -> Result<DataConn, Stop> {
        let mut conn = self.data_conn().await?.ok_or_else(|| {
            Stop::new(
                Verdict::Error,
                format!(
                    "{}:{}: no data connection is open (add `data open` before the transfer command)",
                    self.spec.scenario.path, step.line
                ),
            )
        })?;
        conn.protect(self.conv.control().data_tls());
        Ok(conn)
    }

    /// A transfer that could not complete. A TLS data connection the
    /// server did not take part in (after PROT P was accepted) fails the
    /// case. One it closed or refused is told apart by the transfer's
    /// reply, read now: a refusal (522, say) is the server's policy (RFC
    /// 4217 §10.2), so the case is unsupported; a 2yz claims a transfer
    /// that never had TLS, and fails. Anything else is the harness unable
    /// to go on.
    /// `None`: the case sent ABOR or QUIT since the transfer began, which
    /// may cut the data connection off at any point (its TLS handshake
    /// included): the data ended there, and the replies judge the rest.
    pub(super) async fn data_failed(&mut self, step: &Step, e: DriverError) -> Option<Stop> {
        if self.conv.ending_transfer() {
            self.conv.t.push(
                crate::driver::Direction::Note,
                format!("data: ended by the ABOR or QUIT sent before: {e}"),
            );
            return None;
        }
        Some(self.data_failed_now(step, e).await)
    }

    async fn data_failed_now(&mut self, step: &Step, e: DriverError) -> Stop {
        let DriverError::Tls { failure, .. } = &e else {
            return Stop::driver(e);
        };
        let line = Some(step.line);
        if let Some(v) = oracle::tls::data_connection(failure) {
            self.conv.find(&v, line);
            return Stop::new(Verdict::Fail, format!("line {}: {}", step.line, v.received));
        }
        if matches!(failure, TlsFailure::Certificate(_)) {
            return Stop::driver(e);
        }
        let reply = match self.reply(line).await {
            Ok(a) if a.reply.code().is_preliminary() => self.reply(line).await,
            other => other,
        };
        match reply {
            Ok(a) if a.reply.code().is_completion() => {
                let v = oracle::tls::claimed_without_tls(failure, &a.reply);
                self.conv.find(&v, line);
                Stop::new(Verdict::Fail, format!("line {}: {}", step.line, v.received))
            }
            Ok(a) => Stop::new(
                Verdict::Unsupported,
                format!(
                    "the server refused the protected data connection ({failure}), then replied {}: RFC 4217 §10.2 leaves that to its policy",
                    a.reply
                ),
            ),
            Err(stop) => stop,
        }
    }

    /// `data open`: set up a data connection in the case's mode.
    /// `data open` (`held`: `data open held`).
    pub(super) async fn data_open(&mut self, step: &Step, held: bool) -> Result<(), Stop> {
        let mode = self.mode()?;
        self.held_port = None;
        self.held_sent = false;
        match mode.data {
            DataMode::Pasv | DataMode::Epsv => self.open_passive(step, mode.data, held).await,
            DataMode::Port | DataMode::Eprt => self.open_active(step, mode.data).await,
        }
    }

    /// A refusal of EPSV/EPRT with 500 or 502: RFC 2428 is optional.
    fn unimplemented(mode: DataMode, cmd: &str, code: ReplyCode, reply: &str) -> Option<Stop> {
        let optional = matches!(mode, DataMode::Epsv | DataMode::Eprt);
        (optional && matches!(code.get(), 500 | 502)).then(|| {
            Stop::new(
                Verdict::Unsupported,
                format!("the server does not implement {cmd} (RFC 2428 is optional): {reply}"),
            )
        })
    }

    /// `cmd` did not get the `want` a data connection needs: the end of
    /// the case (a transfer cannot follow). A fail only where the refusal
    /// itself breaks a sentence: PASV answered as unimplemented (RFC 1123
    /// §4.1.2.6). Any other refusal (LightFTP's "550 Another action is in
    /// progress" right after a 226, a PORT disabled as RFC 2577 §3
    /// allows, 421) breaks none, and the case's own rule, which needed
    /// the transfer, went untested: a skip, raised to a warning or a fail
    /// by the reply-code check's finding when the code is not one RFC 959
    /// §5.4 gives the command.
    fn setup_refused(
        &mut self,
        step: &Step,
        cmd: &str,
        want: u16,
        reply: &crate::codec::Reply,
    ) -> Stop {
        let unimplemented = (cmd == "PASV")
            .then(|| oracle::passive::pasv_unimplemented(reply))
            .flatten();
        if let Some(v) = unimplemented {
            self.conv.find(&v, Some(step.line));
            return Stop::new(
                Verdict::Fail,
                format!("line {}: {} ({})", step.line, v.received, v.rule),
            );
        }
        Stop::new(
            Verdict::Skip,
            format!(
                "line {}: {cmd} answered {}, not {want}: no data connection, so the transfer this case checks could not be made",
                step.line,
                reply.to_string().trim_end_matches("\\r\\n")
            ),
        )
    }

    async fn open_passive(&mut self, step: &Step, mode: DataMode, held: bool) -> Result<(), Stop> {
        let line = Some(step.line);
        let (cmd, want) = if mode == DataMode::Pasv {
            ("PASV", 227)
        } else {
            ("EPSV", 229)
        };
        self.conv.send_text(cmd, line).await?;
        let answer = self.reply(line).await?;
        let reply = answer.reply;
        if let Some(stop) = Self::unimplemented(mode, cmd, reply.code(), &reply.to_string()) {
            return Err(stop);
        }
        if reply.code().get() != want {
            return Err(self.setup_refused(step, cmd, want, &reply));
        }
        // The passive check has judged the reply (a malformed one, or port
        // 0, is already a finding).
        let Some(port) = answer.passive_port else {
            return Err(Stop::new(
                Verdict::Fail,
                format!(
                    "line {}: the {want} names no usable port: {reply}",
                    step.line
                ),
            ));
        };
        if held {
            self.data = None;
            self.held_port = Some(port);
            return Ok(());
        }
        let conn = self.conv.connect_passive(port).await.map_err(|e| {
            Stop::new(
                Verdict::Fail,
                format!("the server's {cmd} port {port} did not accept a connection: {e}"),
            )
        })?;
        self.data = Some(conn);
        Ok(())
    }

    async fn open_active(&mut self, step: &Step, mode: DataMode) -> Result<(), Stop> {
        let line = Some(step.line);
        let (conn, addr) = self.conv.listen_active().await.map_err(Stop::driver)?;
        let text = active_command(mode, addr)?;
        let cmd = if mode == DataMode::Port {
            "PORT"
        } else {
            "EPRT"
        };
        self.conv.send_text(&text, line).await?;
        let reply = self.reply(line).await?.reply;
        if let Some(stop) = Self::unimplemented(mode, cmd, reply.code(), &reply.to_string()) {
            return Err(stop);
        }
        if reply.code() != ReplyCode::COMMAND_OK {
            return Err(self.setup_refused(step, cmd, 200, &reply));
        }
        self.data = Some(conn);
        Ok(())
    }

    /// `data open third-party|low-port`: send PORT/EPRT naming an address
    /// the server should refuse; its reply is left for the next `expect`.
    pub(super) async fn data_open_bounce(
        &mut self,
        step: &Step,
        target: BounceTarget,
    ) -> Result<(), Stop> {
        let mode = self.mode()?;
        let addr = match target {
            BounceTarget::ThirdParty => {
                let (conn, addr) = self.bounce_listener().await?;
                self.data = Some(conn);
                addr
            }
            BounceTarget::LowPort => SocketAddr::new(self.conv.control().local().ip(), 1023),
        };
        if !mode.data.is_active() {
            return Err(Stop::new(
                Verdict::Error,
                "third-party and low-port checks need PORT or EPRT",
            ));
        }
        let text = active_command(mode.data, addr)?;
        self.conv.send_text(&text, Some(step.line)).await
    }

    /// A listener on 127.0.0.2 at a privileged port, the first free one of
    /// [`BOUNCE_PORTS`]: the bounce RFC 2577 §3 warns of is a connection to a
    /// well-known service on another host.
    async fn bounce_listener(&mut self) -> Result<(DataConn, SocketAddr), Stop> {
        let mut last = None;
        for port in BOUNCE_PORTS.rev() {
            match self.conv.listen_bounce_target(port).await {
                Ok(x) => return Ok(x),
                Err(e) => last = Some(e),
            }
        }
        let why = last.map(|e| e.to_string()).unwrap_or_default();
        Err(Stop::new(
            Verdict::Skip,
            format!(
                "the third-party check cannot run here: it needs the control connection on 127.0.0.1 and to listen on 127.0.0.2 below port 1024 (root or CAP_NET_BIND_SERVICE): {why}"
            ),
        ))
    }

    /// The verdict of a negative data check: `seen` is what the server did
    /// on the data connection when it should have done nothing.
    fn nothing_seen(
        &mut self,
        step: &Step,
        seen: Option<String>,
        acceptable: &str,
    ) -> Result<(), Stop> {
        match seen {
            None => Ok(()),
            Some(seen) => self.mismatch(step, Check::Data, acceptable.into(), seen),
        }
    }

    /// `data refused`: the server must not connect at all (active modes);
    /// in passive modes no bytes may flow.
    pub(super) async fn data_refused(&mut self, step: &Step) -> Result<(), Stop> {
        let Some(conn) = self.data_conn().await? else {
            // Nothing listening: nothing the server could have reached.
            return Ok(());
        };
        let seen = conn
            .expect_no_connection(&self.spec.limits, &mut self.conv.t)
            .await
            .map_err(Stop::driver)?;
        self.nothing_seen(step, seen, "no data connection at all")
    }

    /// `data none`: no bytes on the data connection for the quiet period.
    pub(super) async fn data_none(&mut self, step: &Step) -> Result<(), Stop> {
        if self.data.is_none() {
            if let Some(seen) = self.drained.take() {
                return self.nothing_seen(step, seen, "no use of the data connection");
            }
        }
        let conn = self.take_data(step).await?;
        let seen = conn
            .expect_unused(&self.spec.limits, &mut self.conv.t)
            .await
            .map_err(Stop::driver)?;
        self.nothing_seen(step, seen, "no use of the data connection")
    }

    /// `data upload SOURCE`.
    pub(super) async fn data_upload(&mut self, step: &Step, src: &DataSource) -> Result<(), Stop> {
        let conn = self.take_data(step).await?;
        let bytes = source_bytes(src);
        if let Err(e) = conn
            .upload(&bytes, &self.spec.limits, &mut self.conv.t)
            .await
        {
            if let Some(stop) = self.data_failed(step, e).await {
                return Err(stop);
            }
        }
        self.conv.image.uploaded(bytes);
        Ok(())
    }

    /// `data either SOURCE`: download if the server sends within
    /// [`EITHER_WAIT`], else upload SOURCE ([`StepKind::DataEither`]).
    ///
    /// [`StepKind::DataEither`]: crate::scenario::StepKind::DataEither
    pub(super) async fn data_either(&mut self, step: &Step, src: &DataSource) -> Result<(), Stop> {
        let conn = self.take_data(step).await?;
        let bytes = source_bytes(src);
        let wait = EITHER_WAIT.min(self.spec.limits.step_timeout);
        if let Err(e) = conn
            .either(&bytes, wait, &self.spec.limits, &mut self.conv.t, |_| {})
            .await
        {
            if let Some(stop) = self.data_failed(step, e).await {
                return Err(stop);
            }
        }
        Ok(())
    }
}

/// How long `data either` waits for the server's first bytes before it
/// takes the transfer for an upload.
const EITHER_WAIT: std::time::Duration = std::time::Duration::from_secs(1);
