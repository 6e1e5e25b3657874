//! Reading the input document from a file or stdin.

use std::io::{IsTerminal, Read};
use std::path::Path;

use crate::exit_code::UsageError;

/// Returns the name of a command's input, for messages.
pub fn describe_source(file: Option<&Path>) -> String {
    match file {
        Some(path) if path != Path::new("-") => path.display().to_string(),
        _ => "<stdin>".to_string(),
    }
}

/// Reads the whole input: the file, or stdin when `file` is absent or `-`.
///
/// Fails with a usage error when the file cannot be read, or when stdin is a
/// terminal, since waiting for typed JSON would look like a hang.
pub fn read_input(file: Option<&Path>) -> Result<Vec<u8>, UsageError> {
    match file {
        Some(path) if path != Path::new("-") => std::fs::read(path)
            .map_err(|err| UsageError(format!("cannot read {}: {err}", path.display()))),
        _ => read_stdin(),
    }
}

fn read_stdin() -> Result<Vec<u8>, UsageError> {
    let mut stdin = std::io::stdin();
    if stdin.is_terminal() {
        return Err(UsageError(
            "no input: pass a FILE, or pipe `aws ecs describe-task-definition --include TAGS` output on stdin".into(),
        ));
    }

    let mut bytes = Vec::new();
    stdin
        .read_to_end(&mut bytes)
        .map_err(|err| UsageError(format!("cannot read stdin: {err}")))?;
    Ok(bytes)
}
