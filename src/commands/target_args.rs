//! `--target` and the TLS options that go with it, shared by `run` and
//! `fuzz`: the URL parsed, the trust settings attached, and every mistake
//! reported before anything connects.

use clap::Args;
use ftpspec_harness::driver::TlsClient;
use ftpspec_harness::target::{Target, Trust};
use std::path::PathBuf;

#[derive(Args, Clone, Debug)]
pub struct TargetArgs {
    /// Server to test: ftp://[user[:pass]@]host[:port]/[dir/] (anonymous
    /// without a user; IPv6 as [::1]); ftpes://… for FTP over TLS with
    /// AUTH TLS (explicit), ftps://… for TLS from the first byte (implicit,
    /// port 990 by default). A user without a password takes it from
    /// FTPSPEC_PASSWORD. Default: an embedded libunftp server on loopback
    /// (explicit TLS, with its own certificate).
    #[arg(long, value_name = "URL")]
    pub target: Option<String>,
    /// Trust the CA certificate(s) in this PEM file for the server's TLS
    /// certificate, instead of the system's store (for a self-signed
    /// certificate, the certificate itself).
    #[arg(long, value_name = "FILE")]
    pub tls_ca: Option<PathBuf>,
    /// Accept any TLS certificate (like curl -k): the session is still
    /// encrypted, but nothing proves who is at the other end.
    #[arg(long)]
    pub insecure: bool,
}

impl TargetArgs {
    /// The target, or `None` for the embedded server; the error is the
    /// message to print (a usage error).
    pub fn resolve(&self) -> Result<Option<Target>, String> {
        let Some(url) = &self.target else {
            if self.tls_ca.is_some() || self.insecure {
                return Err(
                    "--tls-ca and --insecure go with a --target ftpes://… or ftps://… (the embedded server's certificate is trusted already)"
                        .into(),
                );
            }
            return Ok(None);
        };
        let mut t = Target::parse(url).map_err(|e| format!("--target: {e}"))?;
        if !t.security.is_tls() && (self.tls_ca.is_some() || self.insecure) {
            return Err(format!(
                "--tls-ca and --insecure apply to TLS targets; {} is plain FTP (use ftpes:// for AUTH TLS, ftps:// for implicit TLS)",
                t.name
            ));
        }
        t.trust = Trust {
            ca: self.tls_ca.clone(),
            insecure: self.insecure,
        };
        // A CA file that cannot be read is reported now, not after the probe.
        TlsClient::for_target(&t).map_err(|e| e.to_string())?;
        Ok(Some(t))
    }
}
