//! Rolling a service back to the revision recorded before the update, never
//! to "revision minus one": that may be an attempt that never ran.

use crate::aws::AwsCall;

use super::DeployError;
use super::config::Environment;
use super::journal::JournalOutcome;
use super::prepare::read_service_task_definition;
use super::run::{Session, new_run_id};
use super::service::short_name;
use super::wait::{Completed, WaitContext, WaitSettings, started_deployment, wait_for_deployment};

/// Updates the service to `previous_arn` and waits for that deployment the
/// same way as for the rollout.
///
/// Fails with the failed call or the failed wait.
pub fn roll_back(
    environment: &Environment,
    previous_arn: &str,
    context: &mut WaitContext,
) -> anyhow::Result<Completed> {
    context.console.progress(&format!(
        "{}: rolling service `{}` back to {}",
        environment.name,
        environment.service,
        short_name(previous_arn)
    ));
    let answer = context.runner.run(&AwsCall::update_service(
        &environment.cluster,
        &environment.service,
        previous_arn,
    ))?;
    let started = started_deployment(&answer, previous_arn)?;
    wait_for_deployment(environment, &started, context)
}

/// The result of `bcos-taskdef rollback`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RollbackResult {
    RolledBack {
        from: String,
        to: String,
    },
    /// The service already runs the revision from before the run.
    NothingToDo {
        current: String,
    },
}

/// Rolls an environment back to the previous revision that the journal
/// recorded for its newest run, and records the rollback.
///
/// Fails when the journal has no run of the environment, when the service
/// runs a revision that run did not deploy (someone deployed since), or when
/// the rollback fails.
pub fn roll_back_from_journal(
    environment: &Environment,
    settings: &WaitSettings,
    session: &mut Session,
) -> anyhow::Result<RollbackResult> {
    let (run_id, started_at) = new_run_id();
    let journal_path = session.journal.path().display().to_string();
    // The newest run that changed the service: later runs that found it up to
    // date, or stopped before the update, changed nothing to roll back.
    let entry = session
        .journal
        .entries_for(&environment.name)
        .find(|entry| {
            let changed = entry
                .steps
                .iter()
                .any(|step| step == "updated" || step == "rollback");
            changed && entry.previous_arn.is_some()
        })
        .cloned()
        .ok_or_else(|| {
            DeployError::Aws(format!(
                "the journal {journal_path} records no run that changed environment {}",
                environment.name
            ))
        })?;
    let previous = entry.previous_arn.clone().expect("filtered above");

    let current = read_service_task_definition(environment, session.runner)?;
    if current == previous {
        return Ok(RollbackResult::NothingToDo { current });
    }
    if entry.new_arn.as_deref() != Some(current.as_str()) {
        return Err(DeployError::Aws(format!(
            "service `{}` runs {}, which the last run ({}) did not deploy; someone deployed since, so rolling back to {} could undo their change. Roll back by hand if that is what you want",
            environment.service,
            short_name(&current),
            entry.run_id,
            short_name(&previous)
        ))
        .into());
    }

    let mut record = entry.clone();
    record.run_id = run_id;
    record.started_at = started_at;
    record.deployment_id = None;
    record.registered_content = None;
    record.steps = vec!["rollback".to_string()];
    record.outcome = JournalOutcome::InProgress;
    session.journal.add(record).map_err(DeployError::Journal)?;

    let mut context = WaitContext {
        runner: session.runner,
        console: session.console,
        clock: session.clock,
        cancel: session.cancel,
        settings,
    };
    let outcome = roll_back(environment, &previous, &mut context);
    let journal_outcome = match &outcome {
        Ok(_) => JournalOutcome::RolledBack,
        Err(err) => JournalOutcome::Failed {
            reason: format!("{err:#}"),
            rolled_back: false,
        },
    };
    session
        .journal
        .update(|entry| entry.outcome = journal_outcome)
        .map_err(DeployError::Journal)?;

    outcome?;
    Ok(RollbackResult::RolledBack {
        from: current,
        to: previous,
    })
}
