//! Replacing a file atomically: a temporary file in the same directory,
//! synced, then renamed over the target, so that a failure or an interruption
//! never leaves half a file behind.

use std::fs::Permissions;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// Writes `bytes` to `path` atomically. A new file gets mode 0644; a replaced
/// file keeps its mode. A symbolic link is followed, so the file it points to
/// is replaced and the link stays. A path that is not a regular file (a
/// device such as `/dev/null`, a FIFO) is written to directly, since renaming
/// over it would replace the device with a file.
///
/// Fails with a message naming the directory or the file.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let resolved;
    let path = match std::fs::canonicalize(path) {
        Ok(target) if path.is_symlink() => {
            resolved = target;
            resolved.as_path()
        }
        _ => path,
    };
    if let Ok(metadata) = std::fs::metadata(path)
        && !metadata.is_file()
    {
        if metadata.is_dir() {
            anyhow::bail!("{} is a directory", path.display());
        }
        let mut file = std::fs::OpenOptions::new().write(true).open(path)?;
        file.write_all(bytes)?;
        return Ok(());
    }

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

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn new_file_is_written_with_mode_644() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("out.json");

        write_atomically(&path, b"{}").unwrap();

        assert_eq!(std::fs::read(&path).unwrap(), b"{}");
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o644
        );
    }

    #[test]
    fn symlink_target_is_replaced_and_link_kept() {
        let directory = tempfile::tempdir().unwrap();
        let target = directory.path().join("target.json");
        let link = directory.path().join("link.json");
        std::fs::write(&target, b"old").unwrap();
        symlink(&target, &link).unwrap();

        write_atomically(&link, b"new").unwrap();

        assert!(link.is_symlink());
        assert_eq!(std::fs::read(&target).unwrap(), b"new");
    }

    #[test]
    fn device_is_written_not_replaced() {
        write_atomically(Path::new("/dev/null"), b"discarded").unwrap();

        let metadata = std::fs::metadata("/dev/null").unwrap();
        assert!(!metadata.is_file(), "/dev/null became a regular file");
    }

    #[test]
    fn directory_is_rejected() {
        let directory = tempfile::tempdir().unwrap();

        let err = write_atomically(directory.path(), b"x").unwrap_err();

        assert!(err.to_string().contains("is a directory"), "{err}");
    }
}
