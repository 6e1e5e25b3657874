//! The workflow on top of the transform core and the runner: environments,
//! the plan script, and the rollout.

mod cli_model;
mod config;
mod console;
mod edits;
mod error;
mod plan;
mod preflight;
mod prepare;
mod run;
mod secret_arns;
mod service;

pub use cli_model::{InstalledCli, fit_to_cli, inspect_cli};
pub use config::{Config, Environment, SecretArnSource};
pub use console::Console;
pub use edits::ChangeRequest;
pub use error::DeployError;
pub use plan::{PlanRequest, plan};
pub use run::{EnvironmentReport, EnvironmentResult, RunRequest, needs_confirmation, run};
pub use service::short_name;
