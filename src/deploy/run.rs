//! `bcos-taskdef run`: the rollout, one environment after the other, in the
//! order given. Read top to bottom, this file is the list of steps.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::aws::{AwsCall, Runner};
use crate::exit_code::UsageError;

use super::DeployError;
use super::cli_model::inspect_cli;
use super::clock::{Cancel, Clock};
use super::config::Environment;
use super::console::Console;
use super::edits::ChangeRequest;
use super::finish::{FinishSettings, finish_rollout, secret_names};
use super::journal::{Journal, JournalEntry, JournalOutcome};
use super::prepare::{PrepareOptions, Prepared, prepare, read_service_task_definition};
use super::secret_arns::resolve_secret_arns;
use super::service::{short_name, task_definition_arn};
use super::wait::{Started, started_deployment};

/// Everything a run needs, validated.
#[derive(Debug, Clone)]
pub struct RunRequest {
    pub environments: Vec<Environment>,
    pub change: ChangeRequest,
    /// Confirms every environment in advance.
    pub yes: bool,
    pub check_secret_keys: bool,
    pub drop_keys: Vec<String>,
    pub finish: FinishSettings,
}

/// The collaborators of a run: how it calls AWS, talks to the user, keeps
/// time, learns of Ctrl-C and records what it did.
pub struct Session<'a> {
    pub runner: &'a mut Runner,
    pub console: &'a dyn Console,
    pub clock: &'a dyn Clock,
    pub cancel: &'a Cancel,
    pub journal: &'a mut Journal,
}

/// The end of one environment's rollout.
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
/// `reports` as each environment succeeds, so a caller can show what was done
/// before a failure.
///
/// Stops at the first failure, before any write of the environments after
/// it; a failed deployment is rolled back first (unless disabled). Fails
/// before any AWS call when a confirmation would be needed but cannot be asked.
pub fn run(
    request: &RunRequest,
    session: &mut Session,
    reports: &mut Vec<EnvironmentReport>,
) -> anyhow::Result<()> {
    check_confirmations_possible(request, session.console)?;

    // 0. What the installed CLI accepts (once per run).
    let cli = inspect_cli(session.runner)?;

    // 1. Secret ARNs: one describe-stacks per stack for all environments.
    let secret_arns = resolve_secret_arns(
        &request.environments,
        request.change.uses_secret_arn(),
        session.runner,
    )?;

    let (run_id, _) = new_run_id();
    for (index, environment) in request.environments.iter().enumerate() {
        let options = PrepareOptions {
            change: &request.change,
            secret_arn: secret_arns[&environment.name].as_deref(),
            cli: &cli,
            drop_keys: &request.drop_keys,
            check_secret_keys: request.check_secret_keys,
        };
        let report = roll_out_environment(request, index, environment, &options, &run_id, session)
            .map_err(|err| record_failure(err, environment, &run_id, &request.finish, session))?;
        reports.push(report);
    }
    Ok(())
}

fn roll_out_environment(
    request: &RunRequest,
    index: usize,
    environment: &Environment,
    options: &PrepareOptions,
    run_id: &str,
    session: &mut Session,
) -> anyhow::Result<EnvironmentReport> {
    let unfinished = unfinished_rollout(session.journal, environment);

    // 2-4. Describe the service and what it runs, transform, pre-flight.
    let prepared = prepare(environment, options, session.runner, session.console)?;
    journal_start(session.journal, run_id, &prepared)?;

    // A run that stopped while waiting for this same change: wait for it again.
    let input = serde_json::to_string(&prepared.request).expect("a JSON map always serialises");
    let waiting = unfinished.as_ref().filter(|entry| {
        let updated = entry.steps.iter().any(|step| step == "updated");
        let same_content =
            entry.registered_content.as_deref() == Some(content_hash(&input).as_str());
        updated && same_content && entry.new_arn.as_deref() == Some(prepared.current_arn.as_str())
    });
    if let Some(entry) = waiting {
        return resume(request, environment, &prepared, entry, session);
    }

    // Changing (or calling "up to date") a service between deployments would
    // build on, or wave through, a revision that may never have worked.
    check_settled(environment, &prepared, session.journal, &request.finish)?;

    // 5. Nothing changed: no new revision.
    if !prepared.changed {
        session
            .console
            .progress(&format!("{}: already up to date", environment.name));
        session
            .journal
            .update(|entry| entry.outcome = JournalOutcome::Unchanged)
            .map_err(DeployError::Journal)?;
        return Ok(EnvironmentReport {
            environment: environment.name.clone(),
            result: EnvironmentResult::Unchanged {
                current: prepared.current_arn,
            },
        });
    }

    if needs_confirmation(index, environment) && !request.yes {
        confirm_environment(&prepared, session.console)?;
    }

    // 6-8. Register (unless an interrupted run did), compare-and-swap, update.
    let registered = registered_not_deployed(unfinished.as_ref(), &prepared);
    let started = register_and_update(&prepared, registered, session)?;

    // 9-11. Wait for this deployment, verify it, roll back on failure.
    let names = secret_names(&prepared.request);
    finish_rollout(
        environment,
        &started,
        &prepared.current_arn,
        &names,
        &request.finish,
        session,
    )?;
    Ok(EnvironmentReport {
        environment: environment.name.clone(),
        result: EnvironmentResult::Updated {
            previous: prepared.current_arn,
            new: started.target_arn,
        },
    })
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
/// the service still runs the revision read at first.
///
/// `registered` is a revision of the same content that an interrupted run
/// registered but never deployed; it is used instead of registering again.
fn register_and_update(
    prepared: &Prepared,
    registered: Option<&JournalEntry>,
    session: &mut Session,
) -> anyhow::Result<Started> {
    let environment = &prepared.environment;
    let input = serde_json::to_string(&prepared.request).expect("a JSON map always serialises");
    let hash = content_hash(&input);

    let new_arn = match registered.and_then(|entry| entry.new_arn.clone()) {
        Some(arn) => {
            session.console.progress(&format!(
                "{}: using {}, which the interrupted run {} registered with the same content",
                environment.name,
                short_name(&arn),
                registered
                    .map(|entry| entry.run_id.as_str())
                    .unwrap_or_default()
            ));
            arn
        }
        None => {
            let answer = session.runner.run(&AwsCall::register_task_definition(
                &environment.family,
                &input,
            ))?;
            task_definition_arn(&answer, "register-task-definition")?
        }
    };
    // The journal is written first, so the message is never ahead of it.
    journal_step(session.journal, "registered", |entry| {
        entry.new_arn = Some(new_arn.clone());
        entry.registered_content = Some(hash);
    })?;
    if registered.is_none() {
        session.console.progress(&format!(
            "{}: registered {}",
            environment.name,
            short_name(&new_arn)
        ));
    }

    // Compare-and-swap: a deploy that landed since the first read must not be reverted.
    let now = read_service_task_definition(environment, session.runner)?;
    if now != prepared.current_arn {
        return Err(DeployError::ConcurrentChange {
            service: environment.service.clone(),
            before: short_name(&prepared.current_arn).to_string(),
            now: short_name(&now).to_string(),
            registered: short_name(&new_arn).to_string(),
        }
        .into());
    }

    let answer = session.runner.run(&AwsCall::update_service(
        &environment.cluster,
        &environment.service,
        &new_arn,
    ))?;
    let started = started_deployment(&answer, &new_arn)?;
    session.console.progress(&format!(
        "{}: service `{}` updated to {}{}",
        environment.name,
        environment.service,
        short_name(&new_arn),
        started
            .deployment_id
            .as_deref()
            .map(|id| format!(" (deployment {id})"))
            .unwrap_or_default()
    ));
    journal_step(session.journal, "updated", |entry| {
        entry.deployment_id = started.deployment_id.clone()
    })?;
    Ok(started)
}

/// Returns the environment's newest journal entry when that run stopped
/// (Ctrl-C or a crash) before its end.
fn unfinished_rollout(journal: &Journal, environment: &Environment) -> Option<JournalEntry> {
    let entry = journal.last_for(&environment.name)?;
    let unfinished = matches!(
        entry.outcome,
        JournalOutcome::InProgress | JournalOutcome::Interrupted { .. }
    );
    (unfinished && entry.previous_arn.is_some() && entry.service == environment.service)
        .then(|| entry.clone())
}

/// Fails when the service is between deployments, or when the last run left
/// it on a revision whose deployment failed and was not rolled back.
fn check_settled(
    environment: &Environment,
    prepared: &Prepared,
    journal: &Journal,
    settings: &FinishSettings,
) -> Result<(), DeployError> {
    let rollback = settings.rollback_command(&environment.name);
    if let Some(why) = &prepared.unsteady {
        return Err(DeployError::Unsettled(format!(
            "{}: service `{}` is not steady: {why}. Wait for that deployment to end, or roll it back ({rollback}), then run again",
            environment.name, environment.service
        )));
    }

    let failed_here = journal
        .entries_for(&environment.name)
        .find(|entry| entry.steps.iter().any(|step| step == "updated"));
    if let Some(entry) = failed_here
        && let JournalOutcome::Failed {
            reason,
            rolled_back: false,
        } = &entry.outcome
        && entry.new_arn.as_deref() == Some(prepared.current_arn.as_str())
    {
        return Err(DeployError::Unsettled(format!(
            "{}: service `{}` still runs {}, whose deployment by run {} failed and was not rolled back ({reason}). Roll back ({rollback}) or deploy a fix by hand, then run again",
            environment.name,
            environment.service,
            short_name(&prepared.current_arn),
            entry.run_id
        )));
    }
    Ok(())
}

/// Returns the entry of an interrupted run that registered this very content
/// from the revision the service still runs, and stopped before the update.
fn registered_not_deployed<'a>(
    unfinished: Option<&'a JournalEntry>,
    prepared: &Prepared,
) -> Option<&'a JournalEntry> {
    let entry = unfinished?;
    let input = serde_json::to_string(&prepared.request).expect("a JSON map always serialises");
    let same_base = entry.previous_arn.as_deref() == Some(prepared.current_arn.as_str());
    let same_content = entry.registered_content.as_deref() == Some(content_hash(&input).as_str());
    let not_updated = !entry.steps.iter().any(|step| step == "updated");
    (same_base && same_content && not_updated && entry.new_arn.is_some()).then_some(entry)
}

/// Returns a stable fingerprint of a register request (64-bit FNV-1a), so a
/// later run can tell that it would register the same content again.
fn content_hash(input: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in input.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("fnv1a64:{hash:016x}")
}

/// Carries on with a rollout that an earlier run left while waiting.
fn resume(
    request: &RunRequest,
    environment: &Environment,
    prepared: &Prepared,
    entry: &JournalEntry,
    session: &mut Session,
) -> anyhow::Result<EnvironmentReport> {
    let previous = entry
        .previous_arn
        .clone()
        .expect("checked by unfinished_rollout");
    session.console.progress(&format!(
        "{}: the run {} stopped while deploying {}; waiting for that deployment again",
        environment.name,
        entry.run_id,
        short_name(&prepared.current_arn)
    ));
    journal_step(session.journal, "resumed", |new_entry| {
        new_entry.previous_arn = Some(previous.clone());
        new_entry.new_arn = entry.new_arn.clone();
        new_entry.deployment_id = entry.deployment_id.clone();
    })?;

    let started = Started {
        target_arn: prepared.current_arn.clone(),
        deployment_id: entry.deployment_id.clone(),
        created_at_millis: None,
        seen_events: Default::default(),
        skip_first_events: true,
    };
    finish_rollout(
        environment,
        &started,
        &previous,
        &secret_names(&prepared.request),
        &request.finish,
        session,
    )?;
    Ok(EnvironmentReport {
        environment: environment.name.clone(),
        result: EnvironmentResult::Updated {
            previous,
            new: started.target_arn,
        },
    })
}

/// Records in the journal how this run's attempt at `environment` ended, and
/// turns the error into an interruption when Ctrl-C was pressed, since a child
/// `aws` killed by the same signal fails in its own way.
fn record_failure(
    error: anyhow::Error,
    environment: &Environment,
    run_id: &str,
    settings: &FinishSettings,
    session: &mut Session,
) -> anyhow::Error {
    let already_interrupted = matches!(
        error.downcast_ref::<DeployError>(),
        Some(DeployError::Interrupted { .. })
    );
    if already_interrupted {
        return error;
    }

    if !session.cancel.is_cancelled() {
        let reason = format!("{error:#}");
        let _ = session
            .journal
            .update_run_entry(run_id, &environment.name, |entry| {
                if entry.outcome == JournalOutcome::InProgress {
                    entry.outcome = JournalOutcome::Failed {
                        reason,
                        rolled_back: false,
                    };
                }
            });
        return error;
    }

    let mut step = String::new();
    let mut updated = false;
    let _ = session
        .journal
        .update_run_entry(run_id, &environment.name, |entry| {
            step = entry.steps.last().cloned().unwrap_or_default();
            updated = entry.steps.iter().any(|done| done == "updated");
            entry.outcome = JournalOutcome::Interrupted { step: step.clone() };
        });
    let during = if step.is_empty() {
        "before any change".to_string()
    } else {
        format!("after step {step:?}")
    };
    let advice = if updated {
        format!(
            "To roll back: {}",
            settings.rollback_command(&environment.name)
        )
    } else {
        "The service was not changed, so there is nothing to roll back".to_string()
    };
    DeployError::Interrupted {
        environment: environment.name.clone(),
        during,
        advice,
    }
    .into()
}

fn journal_start(journal: &mut Journal, run_id: &str, prepared: &Prepared) -> anyhow::Result<()> {
    let environment = &prepared.environment;
    journal
        .add(JournalEntry {
            run_id: run_id.to_string(),
            started_at: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |since| since.as_secs()),
            environment: environment.name.clone(),
            cluster: environment.cluster.clone(),
            service: environment.service.clone(),
            family: environment.family.clone(),
            previous_arn: Some(prepared.current_arn.clone()),
            new_arn: None,
            deployment_id: None,
            registered_content: None,
            steps: vec!["read".to_string()],
            outcome: JournalOutcome::InProgress,
        })
        .map_err(DeployError::Journal)?;
    Ok(())
}

/// Records a finished step, with `change` to the entry.
pub fn journal_step(
    journal: &mut Journal,
    step: &str,
    change: impl FnOnce(&mut JournalEntry),
) -> anyhow::Result<()> {
    journal
        .update(|entry| {
            entry.steps.push(step.to_string());
            change(entry);
        })
        .map_err(|reason| DeployError::Journal(reason).into())
}

/// Returns a run id unique enough to distinguish runs in one journal, and
/// the start time in seconds since the epoch.
pub fn new_run_id() -> (String, u64) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    (
        format!("{}-{}", now.as_secs(), std::process::id()),
        now.as_secs(),
    )
}
