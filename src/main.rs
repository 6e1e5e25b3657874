//! The `bcos-taskdef` binary: parse the command line, run the command, and map
//! the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;

use bcos_taskdef::aws::{AwsFailure, CallError};
use bcos_taskdef::cli::Cli;
use bcos_taskdef::exit_code;
use bcos_taskdef::pipe::{self, Outcome};

fn main() -> ExitCode {
    let cli = Cli::parse();

    let code = match pipe::run(cli) {
        Ok(Outcome::Done) => exit_code::SUCCESS,
        Ok(Outcome::ProblemsFound) => exit_code::BAD_INPUT,
        Err(error) => {
            eprintln!("bcos-taskdef: error: {error:#}");
            if let Some(hint) = hint_for(&error) {
                eprintln!("\n{hint}");
            }
            exit_code::for_error(&error)
        }
    };
    ExitCode::from(code)
}

/// Returns the hint paragraph of a recognised AWS failure in the error chain.
fn hint_for(error: &anyhow::Error) -> Option<String> {
    error.chain().find_map(|cause| {
        let failure = cause.downcast_ref::<AwsFailure>().or_else(|| {
            match cause.downcast_ref::<CallError>() {
                Some(CallError::Failed(failure)) => Some(failure),
                _ => None,
            }
        })?;
        failure.hint()
    })
}
