//! The process's file descriptors: its limit, raised to what the system
//! allows, and how many are open.
//!
//! The embedded libunftp shares ftpspec's process, so its descriptors
//! count against ftpspec's limit. libunftp 0.24 keeps a session (its
//! control socket, its data socket and a handle on the root directory)
//! for five minutes once a client has connected to a passive port and
//! left without a transfer: a fuzz run makes such sessions by the
//! thousand. With Debian's default soft limit of 1,024, `ftpspec fuzz`
//! against the embedded server ran out of descriptors within 30 seconds,
//! and its own connections then failed.

/// Raise the soft limit on open descriptors to the hard limit. Returns
/// the soft limit in force afterwards (`None` where it cannot be read).
pub fn raise_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        let mut l = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit and setrlimit only read and write the struct
        // passed, which lives on this stack frame.
        unsafe {
            if libc::getrlimit(libc::RLIMIT_NOFILE, &mut l) != 0 {
                return None;
            }
            if l.rlim_cur < l.rlim_max {
                let raised = libc::rlimit {
                    rlim_cur: l.rlim_max,
                    rlim_max: l.rlim_max,
                };
                if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                    l = raised;
                }
            }
        }
        Some(as_u64(l.rlim_cur))
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// The soft limit on open descriptors, if it can be read.
pub fn limit() -> Option<u64> {
    #[cfg(unix)]
    {
        let mut l = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: as in `raise_limit`.
        let ok = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut l) } == 0;
        ok.then_some(as_u64(l.rlim_cur))
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// `rlim_t` is `u64` on Linux, another width on some other systems.
#[cfg(unix)]
#[allow(clippy::unnecessary_cast)]
fn as_u64(n: libc::rlim_t) -> u64 {
    n as u64
}

/// How many descriptors the process has open (Linux: `/proc/self/fd`).
pub fn open() -> Option<u64> {
    let dir = std::fs::read_dir("/proc/self/fd").ok()?;
    Some(dir.count() as u64)
}

/// Whether more than half the limit is in use: time to let go of what a
/// server in this process holds, while there is room to do it.
pub fn under_pressure() -> bool {
    match (open(), limit()) {
        (Some(n), Some(l)) => n > l / 2,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_is_raised_and_descriptors_are_counted() {
        let raised = raise_limit();
        assert_eq!(raised, limit());
        let before = open().expect("/proc/self/fd is readable on Linux");
        let files: Vec<_> = (0..8)
            .map(|_| std::fs::File::open("/proc/self/status").unwrap())
            .collect();
        assert!(open().unwrap() >= before + 8);
        drop(files);
    }
}
