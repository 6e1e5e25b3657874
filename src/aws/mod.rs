//! The runner: AWS calls as values, carried out live through the user's own
//! `aws` CLI, recorded, or served from a recording.

mod call;
mod failure;
mod recording;
mod runner;
mod version;

pub use call::{Access, AwsCall, Redaction, shell_quote};
pub use failure::{AwsFailure, FailureKind};
pub use recording::{REDACTED, RecordedCall, Recording, redact_secret_value};
pub use runner::{
    AwsOptions, CallError, CallObserver, HttpAnswer, Outcome, Runner, Silent, Transport,
};
pub use version::{CliVersion, parse_cli_version};
