//! `bcos-taskdef run`: the rollout, one environment after the other, in the
//! order given. Read top to bottom, this file is the list of steps.

use crate::aws::{AwsCall, Runner};
use crate::exit_code::UsageError;

use super::DeployError;
use super::cli_model::inspect_cli;
use super::config::Environment;
use super::console::Console;
use super::edits::ChangeRequest;
use super::prepare::{PrepareOptions, Prepared, prepare, read_service_task_definition};
use super::secret_arns::resolve_secret_arns;
use super::service::{short_name, task_definition_arn};

/// Everything a run needs, validated.
#[derive(Debug, Clone)]
pub struct RunRequest {
    pub environments: Vec<Environment>,
    pub change: ChangeRequest,
    /// Answers yes to every confirmation.
    pub yes: bool,
    pub check_secret_keys: bool,
    pub drop_keys: Vec<String>,
}

/// How one environment ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvironmentResult {
    Updated { previous: String, new: String },
    Unchanged { current: String },
}

/// The end of one environment's rollout, for the summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvironmentReport {
    pub environment: String,
    pub result: EnvironmentResult,
}

/// Rolls the change out to each environment in order, adding one report to
/// `reports` as each environment ends, so a caller can show what was done
/// before a failure.
///
/// Stops at the first failure, before any write of the environments after it.
/// Fails before any AWS call when a confirmation would be needed but cannot
/// be asked.
pub fn run(
    request: &RunRequest,
    runner: &mut Runner,
    console: &dyn Console,
    reports: &mut Vec<EnvironmentReport>,
) -> anyhow::Result<()> {
    check_confirmations_possible(request, console)?;

    // 0. What the installed CLI accepts (once per run).
    let cli = inspect_cli(runner)?;

    // 1. Secret ARNs: one describe-stacks per stack for all environments.
    let secret_arns = resolve_secret_arns(
        &request.environments,
        request.change.uses_secret_arn(),
        runner,
    )?;

    for (index, environment) in request.environments.iter().enumerate() {
        let options = PrepareOptions {
            change: &request.change,
            secret_arn: secret_arns[&environment.name].as_deref(),
            cli: &cli,
            drop_keys: &request.drop_keys,
            check_secret_keys: request.check_secret_keys,
        };

        // 2-4. Describe the service and what it runs, transform, pre-flight.
        let prepared = prepare(environment, &options, runner, console)?;

        // 5. Nothing changed: no new revision.
        if !prepared.changed {
            console.progress(&format!("{}: already up to date", environment.name));
            reports.push(EnvironmentReport {
                environment: environment.name.clone(),
                result: EnvironmentResult::Unchanged {
                    current: prepared.current_arn,
                },
            });
            continue;
        }

        if needs_confirmation(index, environment) && !request.yes {
            confirm_environment(&prepared, console)?;
        }

        // 6-8. Register, compare-and-swap, update.
        let new = register_and_update(&prepared, runner, console)?;
        reports.push(EnvironmentReport {
            environment: environment.name.clone(),
            result: EnvironmentResult::Updated {
                previous: prepared.current_arn,
                new,
            },
        });
    }
    Ok(())
}

/// Tells whether to ask before an environment: its `confirm` setting, which
/// defaults to asking before every environment after the first.
pub fn needs_confirmation(index: usize, environment: &Environment) -> bool {
    environment.confirm.unwrap_or(index > 0)
}

fn check_confirmations_possible(
    request: &RunRequest,
    console: &dyn Console,
) -> Result<(), UsageError> {
    if request.yes || console.can_confirm() {
        return Ok(());
    }
    let asking: Vec<&str> = request
        .environments
        .iter()
        .enumerate()
        .filter(|(index, environment)| needs_confirmation(*index, environment))
        .map(|(_, environment)| environment.name.as_str())
        .collect();
    if asking.is_empty() {
        return Ok(());
    }
    Err(UsageError(format!(
        "environment {} needs a confirmation, but there is no terminal to ask on; pass --yes to confirm in advance",
        asking.join(", ")
    )))
}

fn confirm_environment(prepared: &Prepared, console: &dyn Console) -> Result<(), DeployError> {
    let name = &prepared.environment.name;
    let changes: Vec<String> = prepared
        .secret_changes
        .iter()
        .map(ToString::to_string)
        .collect();
    let question = format!(
        "Deploy to {name} (service `{}`, now {}): {}?",
        prepared.environment.service,
        short_name(&prepared.current_arn),
        changes.join("; ")
    );
    if console.confirm(&question) {
        Ok(())
    } else {
        Err(DeployError::NotConfirmed(name.clone()))
    }
}

/// Registers the new revision, re-reads the service, and updates it only if
/// nobody changed it since it was first read. Returns the new ARN.
fn register_and_update(
    prepared: &Prepared,
    runner: &mut Runner,
    console: &dyn Console,
) -> anyhow::Result<String> {
    let environment = &prepared.environment;
    let input = serde_json::to_string(&prepared.request).expect("a JSON map always serialises");

    let answer = runner.run(&AwsCall::register_task_definition(
        &environment.family,
        &input,
    ))?;
    let new_arn = task_definition_arn(&answer, "register-task-definition")?;
    console.progress(&format!(
        "{}: registered {}",
        environment.name,
        short_name(&new_arn)
    ));

    // 7. Compare-and-swap: a deploy that landed since step 2 must not be reverted.
    let now = read_service_task_definition(environment, runner)?;
    if now != prepared.current_arn {
        return Err(DeployError::ConcurrentChange {
            service: environment.service.clone(),
            before: short_name(&prepared.current_arn).to_string(),
            now: short_name(&now).to_string(),
            registered: short_name(&new_arn).to_string(),
        }
        .into());
    }

    runner.run(&AwsCall::update_service(
        &environment.cluster,
        &environment.service,
        &new_arn,
    ))?;
    console.progress(&format!(
        "{}: service `{}` updated to {}",
        environment.name,
        environment.service,
        short_name(&new_arn)
    ));
    Ok(new_arn)
}
