//! Writing a command's result: to stdout, or atomically to a file.

use std::io::Write;
use std::path::Path;

use anyhow::Context;

use crate::atomic_file::write_atomically;

/// Writes `text` to `path` atomically, or to stdout when `path` is `None` or `-`.
pub fn write_output(path: Option<&Path>, text: &str) -> anyhow::Result<()> {
    let Some(path) = path.filter(|path| *path != Path::new("-")) else {
        let mut stdout = std::io::stdout().lock();
        stdout
            .write_all(text.as_bytes())
            .context("writing to stdout")?;
        return stdout.flush().context("writing to stdout");
    };

    write_atomically(path, text.as_bytes()).with_context(|| format!("writing {}", path.display()))
}
