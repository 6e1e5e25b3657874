//! Writing a command's result: to stdout, or to a file replaced atomically so
//! that a failure or an interruption never leaves half a file behind.

use std::fs::Permissions;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use anyhow::Context;

/// Writes `text` to `path` atomically, or to stdout when `path` is `None`.
///
/// A new file gets mode 0644; a replaced file keeps its mode.
pub fn write_output(path: Option<&Path>, text: &str) -> anyhow::Result<()> {
    let Some(path) = path else {
        let mut stdout = std::io::stdout().lock();
        stdout
            .write_all(text.as_bytes())
            .context("writing to stdout")?;
        return stdout.flush().context("writing to stdout");
    };

    write_atomically(path, text.as_bytes()).with_context(|| format!("writing {}", path.display()))
}

fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
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
        let cause = err.raw_os_error().map_or(err.kind().into(), std::io::Error::from_raw_os_error);
        anyhow::anyhow!("cannot create a file in {}: {cause}", directory.display())
    })?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    file.as_file().set_permissions(permissions)?;
    file.persist(path)?;
    Ok(())
}
