//! Replacing a file atomically: a temporary file in the same directory,
//! synced, then renamed over the target, so that a failure or an interruption
//! never leaves half a file behind.

use std::fs::Permissions;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// Writes `bytes` to `path` atomically. A new file gets mode 0644; a replaced
/// file keeps its mode.
///
/// Fails with a message naming the directory or the file.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let permissions = match std::fs::metadata(path) {
        Ok(metadata) => metadata.permissions(),
        Err(_) => Permissions::from_mode(0o644),
    };

    // tempfile's own error names the random temporary path, which means nothing to the user.
    let mut file = tempfile::NamedTempFile::new_in(directory).map_err(|err| {
        let cause = err
            .raw_os_error()
            .map_or(err.kind().into(), std::io::Error::from_raw_os_error);
        anyhow::anyhow!("cannot create a file in {}: {cause}", directory.display())
    })?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    file.as_file().set_permissions(permissions)?;
    file.persist(path)?;
    Ok(())
}
