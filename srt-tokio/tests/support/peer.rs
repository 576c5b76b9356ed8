//! Whether a peer program the interop cases run is installed.

use std::process::{Command, Stdio};

/// Whether `program` (a peer the interop cases run, with `-version`) is
/// installed; if not, says so and skips, unless `CI` is set (then the peer
/// is required and this panics).
pub fn peer_installed(program: &str) -> bool {
    let found = Command::new(program)
        .arg("-version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "{program} is required in CI"
        );
        eprintln!("{program} not installed: skipping");
    }
    found
}
