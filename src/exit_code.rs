//! The exit-code table, in one place.
//!
//! | code | meaning |
//! |------|---------|
//! | 0    | success |
//! | 1    | a run failed (an AWS call, a deployment, writing the output) |
//! | 2    | bad input or usage; nothing was written anywhere |
//! | 130  | interrupted |

use crate::aws::CallError;
use crate::deploy::DeployError;
use crate::taskdef::TaskDefError;

pub const SUCCESS: u8 = 0;
pub const FAILURE: u8 = 1;
pub const BAD_INPUT: u8 = 2;
pub const INTERRUPTED: u8 = 130;

/// A mistake in what the user gave (a missing file, a flag that does not fit),
/// as opposed to a failure while doing the work.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Returns the exit code for an error that ended a command.
pub fn for_error(error: &anyhow::Error) -> u8 {
    let interrupted = error.chain().any(|cause| {
        matches!(
            cause.downcast_ref::<DeployError>(),
            Some(DeployError::Interrupted { .. })
        )
    });
    if interrupted {
        return INTERRUPTED;
    }

    let bad_input = error.chain().any(|cause| {
        cause.is::<TaskDefError>()
            || cause.is::<UsageError>()
            || matches!(
                cause.downcast_ref::<CallError>(),
                Some(CallError::Replay(_))
            )
    });
    if bad_input { BAD_INPUT } else { FAILURE }
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn core_errors_are_bad_input_even_with_context() {
        let error = Err::<(), _>(TaskDefError::EmptyInput)
            .context("reading stdin")
            .unwrap_err();

        assert_eq!(for_error(&error), BAD_INPUT);
    }

    #[test]
    fn usage_errors_are_bad_input() {
        let error = anyhow::Error::new(UsageError("no secret names given".into()));

        assert_eq!(for_error(&error), BAD_INPUT);
    }

    #[test]
    fn other_errors_are_failures() {
        let error = anyhow::anyhow!("disk full");

        assert_eq!(for_error(&error), FAILURE);
    }
}
