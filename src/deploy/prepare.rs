//! The read-only part of one environment's rollout: find what the service
//! runs, describe it, apply the change and check the secrets. `plan --live`
//! stops here; `run` goes on to register and update.

use serde_json::{Map, Value};

use crate::aws::{AwsCall, Runner};
use crate::taskdef::{ContainerChanges, transform};

use super::DeployError;
use super::cli_model::{InstalledCli, fit_to_cli};
use super::config::Environment;
use super::console::Console;
use super::edits::ChangeRequest;
use super::preflight::check_secrets;
use super::service::{ServiceState, find_service, short_name, task_definition_arn};

/// One environment, read and changed in memory.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub environment: Environment,
    /// The task definition ARN the service ran when it was read.
    pub current_arn: String,
    /// The reason the service was not steady when it was read, if it was not.
    pub unsteady: Option<String>,
    /// The register input of the new revision.
    pub request: Map<String, Value>,
    pub secret_changes: Vec<ContainerChanges>,
    /// Tells whether the new revision differs from the current one.
    pub changed: bool,
}

/// Options that shape the read-only steps.
pub struct PrepareOptions<'a> {
    pub change: &'a ChangeRequest,
    pub secret_arn: Option<&'a str>,
    pub cli: &'a InstalledCli,
    pub drop_keys: &'a [String],
    pub check_secret_keys: bool,
}

/// Reads the service and its task definition and computes the new revision.
///
/// Fails when the service is missing or not active, when the task definition
/// cannot be changed as asked, or when a referenced secret is missing.
pub fn prepare(
    environment: &Environment,
    options: &PrepareOptions,
    runner: &mut Runner,
    console: &dyn Console,
) -> anyhow::Result<Prepared> {
    let name = &environment.name;

    let state = read_service(environment, runner)?;
    let (current_arn, unsteady) = (state.task_definition, state.unsteady);
    console.progress(&format!(
        "{name}: service `{}` runs {}",
        environment.service,
        short_name(&current_arn)
    ));

    let describe = describe_base(environment, &current_arn, runner, console)?;

    let edits = options.change.edits_for(environment, options.secret_arn);
    let unchanged = transform(describe.as_bytes(), &[])?;
    let transformed = transform(describe.as_bytes(), &edits)?;
    for changes in &transformed.secret_changes {
        console.progress(&format!("{name}: {changes}"));
    }

    let mut request = transformed.request;
    let mut unchanged_request = unchanged.request;
    for notice in fit_to_cli(&mut request, options.cli, options.drop_keys)? {
        console.warning(&format!("{name}: {notice}"));
    }
    fit_to_cli(&mut unchanged_request, options.cli, options.drop_keys)?;

    let checked = check_secrets(&request, options.check_secret_keys, runner)?;
    if checked > 0 {
        let what = if options.check_secret_keys {
            "exist and have the JSON keys used"
        } else {
            "exist"
        };
        console.progress(&format!(
            "{name}: the {checked} Secrets Manager secret(s) referenced {what}"
        ));
    }

    Ok(Prepared {
        environment: environment.clone(),
        current_arn,
        unsteady,
        changed: request != unchanged_request,
        request,
        secret_changes: transformed.secret_changes,
    })
}

/// Returns the ARN of the task definition the service runs.
pub fn read_service_task_definition(
    environment: &Environment,
    runner: &mut Runner,
) -> anyhow::Result<String> {
    Ok(read_service(environment, runner)?.task_definition)
}

/// Returns the service's state from one `describe-services`.
pub fn read_service(
    environment: &Environment,
    runner: &mut Runner,
) -> anyhow::Result<ServiceState> {
    let answer = runner.run(&AwsCall::describe_services(
        &environment.cluster,
        &[&environment.service],
    ))?;
    Ok(find_service(
        &answer,
        &environment.cluster,
        &environment.service,
    )?)
}

/// Describes the family's latest revision and, when the service runs another
/// one, that revision too: the change is always based on what runs.
fn describe_base(
    environment: &Environment,
    current_arn: &str,
    runner: &mut Runner,
    console: &dyn Console,
) -> anyhow::Result<String> {
    let running_family = short_name(current_arn)
        .rsplit_once(':')
        .map_or(current_arn, |(family, _)| family);
    if running_family != environment.family {
        return Err(DeployError::Aws(format!(
            "{}: service `{}` runs {}, which is not a revision of family `{}`; fix family in the config",
            environment.name,
            environment.service,
            short_name(current_arn),
            environment.family
        ))
        .into());
    }

    let latest = runner.run(&AwsCall::describe_task_definition(&environment.family))?;
    let latest_arn = task_definition_arn(&latest, "describe-task-definition")?;
    if latest_arn == current_arn {
        return Ok(latest);
    }

    console.warning(&format!(
        "{}: the family's latest revision is {}, but the service runs {}; the change is based on {}",
        environment.name,
        short_name(&latest_arn),
        short_name(current_arn),
        short_name(current_arn),
    ));
    Ok(runner.run(&AwsCall::describe_task_definition(current_arn))?)
}
