//! After `update-service`: wait for the deployment, verify it, and on failure
//! roll back to the revision recorded before the update.

use serde_json::{Map, Value};

use crate::aws::CallError;
use crate::taskdef::{SecretReference, parse_value_from};

use super::DeployError;
use super::config::Environment;
use super::journal::JournalOutcome;
use super::rollback::roll_back;
use super::run::{Session, journal_step};
use super::service::short_name;
use super::verify::{VerifyContext, VerifyFailure, VerifySettings, scan_logs, verify};
use super::wait::{Started, WaitContext, WaitFailure, WaitSettings, wait_for_deployment};

/// The settings of the steps after `update-service`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FinishSettings {
    pub wait: WaitSettings,
    pub verify: VerifySettings,
    /// Leave a failed deployment in place instead of rolling back.
    pub no_rollback: bool,
    /// The `rollback` command line without `--env`, for messages.
    pub rollback_command: String,
}

impl FinishSettings {
    /// Returns the command that rolls `environment` back from the journal.
    pub fn rollback_command(&self, environment: &str) -> String {
        format!(
            "{} --env {}",
            self.rollback_command,
            crate::aws::shell_quote(environment)
        )
    }
}

/// Returns the names and JSON keys of every secret in a task definition,
/// whose values are masked in log lines.
pub fn secret_names(request: &Map<String, Value>) -> Vec<String> {
    let containers = request
        .get("containerDefinitions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut names = Vec::new();
    for container in &containers {
        let lists = [
            container.get("secrets"),
            container.pointer("/logConfiguration/secretOptions"),
        ];
        for secret in lists
            .into_iter()
            .flatten()
            .filter_map(Value::as_array)
            .flatten()
        {
            let name = secret.get("name").and_then(Value::as_str);
            // The JSON key is masked too: applications often log it as the name.
            let json_key = secret
                .get("valueFrom")
                .and_then(Value::as_str)
                .and_then(|value_from| match parse_value_from(value_from) {
                    Ok(SecretReference::SecretsManager { json_key, .. }) => json_key,
                    _ => None,
                });
            for candidate in [name, json_key].into_iter().flatten() {
                if !candidate.is_empty() && !names.iter().any(|known| known == candidate) {
                    names.push(candidate.to_string());
                }
            }
        }
    }
    names
}

/// Waits for the started deployment and verifies it; on failure rolls back
/// to `previous_arn` unless ECS already did or rollback is disabled.
///
/// Fails with [`DeployError::Failed`] saying what failed and whether the
/// rollback succeeded, or [`DeployError::Interrupted`] on Ctrl-C.
pub fn finish_rollout(
    environment: &Environment,
    started: &Started,
    previous_arn: &str,
    secret_names: &[String],
    settings: &FinishSettings,
    session: &mut Session,
) -> anyhow::Result<()> {
    let outcome = wait_and_verify(environment, started, secret_names, settings, session);
    let Err(error) = outcome else {
        journal_step(session.journal, "verified", |entry| {
            entry.outcome = JournalOutcome::Succeeded
        })?;
        session.console.progress(&format!(
            "{}: {} is deployed and verified",
            environment.name,
            short_name(&started.target_arn)
        ));
        return Ok(());
    };

    if is_interruption(&error) || session.cancel.is_cancelled() {
        session
            .journal
            .update(|entry| {
                entry.outcome = JournalOutcome::Interrupted {
                    step: "waiting".into(),
                }
            })
            .map_err(DeployError::Journal)?;
        return Err(DeployError::Interrupted {
            environment: environment.name.clone(),
            during: format!("while waiting for {}", short_name(&started.target_arn)),
            advice: format!(
                "To roll back: {}",
                settings.rollback_command(&environment.name)
            ),
        }
        .into());
    }

    // A replay that stopped matching tells nothing about the deployment.
    if matches!(
        error.downcast_ref::<CallError>(),
        Some(CallError::Replay(_))
    ) {
        return Err(error);
    }

    // The logs explain a failure best, so they are scanned before the rollback.
    if let (Some(log_group), Some(start)) = (&environment.log_group, started.created_at_millis) {
        let mut context = VerifyContext {
            runner: session.runner,
            console: session.console,
            clock: session.clock,
            cancel: session.cancel,
            settings: &settings.verify,
            secret_names,
            environment: &environment.name,
        };
        scan_logs(environment, log_group, start, &mut context);
    }

    let reason = format!("{error:#}");
    let (rolled_back, rollback) = recover(environment, &error, previous_arn, settings, session);
    session
        .journal
        .update(|entry| {
            entry.outcome = JournalOutcome::Failed {
                reason: reason.clone(),
                rolled_back,
            }
        })
        .map_err(DeployError::Journal)?;
    Err(DeployError::Failed {
        environment: environment.name.clone(),
        reason,
        rollback,
    }
    .into())
}

fn wait_and_verify(
    environment: &Environment,
    started: &Started,
    secret_names: &[String],
    settings: &FinishSettings,
    session: &mut Session,
) -> anyhow::Result<()> {
    let mut wait = WaitContext {
        runner: session.runner,
        console: session.console,
        clock: session.clock,
        cancel: session.cancel,
        settings: &settings.wait,
    };
    let completed = wait_for_deployment(environment, started, &mut wait)?;
    journal_step(session.journal, "waited", |_| {})?;

    let mut verify_context = VerifyContext {
        runner: session.runner,
        console: session.console,
        clock: session.clock,
        cancel: session.cancel,
        settings: &settings.verify,
        secret_names,
        environment: &environment.name,
    };
    verify(environment, started, &completed, &mut verify_context)
}

fn is_interruption(error: &anyhow::Error) -> bool {
    matches!(
        error.downcast_ref::<WaitFailure>(),
        Some(WaitFailure::Interrupted { .. })
    ) || matches!(
        error.downcast_ref::<VerifyFailure>(),
        Some(VerifyFailure::Interrupted { .. })
    )
}

/// Puts the service back on `previous_arn` where that is this tool's job, and
/// returns whether it is back there with a sentence saying how.
fn recover(
    environment: &Environment,
    error: &anyhow::Error,
    previous_arn: &str,
    settings: &FinishSettings,
    session: &mut Session,
) -> (bool, String) {
    let previous = short_name(previous_arn);
    if error
        .downcast_ref::<WaitFailure>()
        .is_some_and(WaitFailure::rolled_back_by_ecs)
    {
        return (
            true,
            format!(
                "the ECS circuit breaker put the service back on {previous} (its rollback deployment may still be running); this tool changed nothing more"
            ),
        );
    }
    if settings.no_rollback {
        return (
            false,
            format!(
                "not rolled back (--no-rollback); to roll back: {}",
                settings.rollback_command(&environment.name)
            ),
        );
    }

    // The rollback gets at least the default timeout: a short --timeout is
    // about the new revision, and the old one must be given time to come back.
    let rollback_settings = WaitSettings {
        timeout: settings.wait.timeout.max(WaitSettings::default().timeout),
        ..settings.wait.clone()
    };
    let mut context = WaitContext {
        runner: session.runner,
        console: session.console,
        clock: session.clock,
        cancel: session.cancel,
        settings: &rollback_settings,
    };
    match roll_back(environment, previous_arn, &mut context) {
        Ok(_) => {
            let _ = journal_step(session.journal, "rolled-back", |_| {});
            session
                .console
                .progress(&format!("{}: rolled back to {previous}", environment.name));
            (true, format!("rolled back to {previous}"))
        }
        Err(rollback_error) => (
            false,
            format!(
                "the rollback to {previous} failed too: {rollback_error:#}; check the service, then run {}",
                settings.rollback_command(&environment.name)
            ),
        ),
    }
}
