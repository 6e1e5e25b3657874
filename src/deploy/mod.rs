//! The workflow on top of the transform core and the runner: environments,
//! the plan script, and the rollout.

mod cli_model;
mod clock;
mod config;
mod console;
mod edits;
mod error;
mod finish;
mod health_expect;
mod journal;
mod plan;
mod preflight;
mod prepare;
mod rollback;
mod run;
mod secret_arns;
mod service;
#[cfg(test)]
mod test_console;
mod timing;
mod verify;
mod wait;

pub use cli_model::{InstalledCli, fit_to_cli, inspect_cli};
pub use clock::{Cancel, Clock, RealClock, VirtualClock};
pub use config::{Config, Environment, SecretArnSource};
pub use console::Console;
pub use edits::ChangeRequest;
pub use error::DeployError;
pub use finish::FinishSettings;
pub use journal::{Journal, JournalEntry, JournalOutcome, default_state_dir};
pub use plan::{PlanRequest, plan};
pub use rollback::{RollbackResult, roll_back_from_journal};
pub use run::{EnvironmentReport, EnvironmentResult, RunRequest, Session, needs_confirmation, run};
pub use service::short_name;
pub use timing::parse_duration;
pub use verify::VerifySettings;
pub use wait::WaitSettings;
