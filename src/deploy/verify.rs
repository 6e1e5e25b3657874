//! Verifying a completed deployment: the service runs the new revision, the
//! health URL responds as expected, and recent logs are scanned for errors.
//! Every step has a deadline, so nothing follows logs or waits forever.

use std::time::Duration;

use serde_json::Value;

use crate::aws::{AwsCall, Runner};
use crate::masking::mask_secret_values;

use super::clock::{Cancel, Clock};
use super::config::Environment;
use super::console::Console;
use super::health_expect::HealthExpectation;
use super::service::{parse_answer, short_name};
use super::wait::{Completed, Started};

/// How to verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifySettings {
    /// How long the health URL may take to pass.
    pub health_timeout: Duration,
    /// The limit for one health request.
    pub request_timeout: Duration,
    pub retry_interval: Duration,
    /// The maximum number of log events read.
    pub max_log_events: u32,
}

impl Default for VerifySettings {
    fn default() -> Self {
        Self {
            health_timeout: Duration::from_secs(120),
            request_timeout: Duration::from_secs(10),
            retry_interval: Duration::from_secs(5),
            max_log_events: 20,
        }
    }
}

/// The reason a completed deployment is not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyFailure {
    #[error("the service runs {running}, not {target}")]
    WrongRevision { target: String, running: String },

    #[error("health check of {url} did not pass within {} s: {last_problem}", .waited.as_secs())]
    Unhealthy {
        url: String,
        waited: Duration,
        last_problem: String,
    },

    #[error("interrupted during the health check of {url}")]
    Interrupted { url: String },
}

/// The collaborators of a verification.
pub struct VerifyContext<'a> {
    pub runner: &'a mut Runner,
    pub console: &'a dyn Console,
    pub clock: &'a dyn Clock,
    pub cancel: &'a Cancel,
    pub settings: &'a VerifySettings,
    /// Secret names whose values are masked in printed log lines.
    pub secret_names: &'a [String],
    /// The environment's name, for messages.
    pub environment: &'a str,
}

/// Verifies a completed deployment.
///
/// Fails with a [`VerifyFailure`] when the service runs another revision or
/// the health check does not pass in time. Log errors are reported, not failed on.
pub fn verify(
    environment: &Environment,
    started: &Started,
    completed: &Completed,
    context: &mut VerifyContext,
) -> anyhow::Result<()> {
    if completed.service_task_definition != started.target_arn {
        return Err(VerifyFailure::WrongRevision {
            target: short_name(&started.target_arn).to_string(),
            running: short_name(&completed.service_task_definition).to_string(),
        }
        .into());
    }

    if let Some(url) = &environment.health_url {
        check_health(url, &environment.health_expectation()?, context)?;
        context.console.progress(&format!(
            "{}: health check of {url} passed",
            environment.name
        ));
    }

    let start = started.created_at_millis.or(completed.created_at_millis);
    if let (Some(log_group), Some(start)) = (&environment.log_group, start) {
        scan_logs(environment, log_group, start, context);
    }
    Ok(())
}

fn check_health(
    url: &str,
    expectation: &HealthExpectation,
    context: &mut VerifyContext,
) -> anyhow::Result<()> {
    let deadline = context.clock.elapsed() + context.settings.health_timeout;
    let mut last_shown: Option<String> = None;
    loop {
        let answer = context
            .runner
            .http_get(url, context.settings.request_timeout)?;
        let problem = match (answer.status, &answer.error) {
            (Some(status), _) if (200..300).contains(&status) => {
                match expectation.is_met(answer.body.as_bytes()) {
                    Ok(true) => return Ok(()),
                    Ok(false) => format!(
                        "HTTP {status}, but the response does not satisfy {}: {}",
                        expectation.code(),
                        mask_secret_values(&one_line(&answer.body, 200), context.secret_names)
                    ),
                    Err(reason) => format!("HTTP {status}, but {reason}"),
                }
            }
            (Some(status), _) => format!("HTTP {status}"),
            (None, error) => error.clone().unwrap_or_else(|| "no answer".to_string()),
        };

        let remaining = deadline.saturating_sub(context.clock.elapsed());
        if remaining.is_zero() {
            return Err(VerifyFailure::Unhealthy {
                url: url.to_string(),
                waited: context.settings.health_timeout,
                last_problem: problem,
            }
            .into());
        }
        // One line per distinct problem: a retry every few seconds would flood the output.
        if last_shown.as_deref() != Some(problem.as_str()) {
            context.console.progress(&format!(
                "{}: health check of {url}: {problem}; retrying",
                context.environment
            ));
            last_shown = Some(problem);
        }
        if !context.clock.sleep(
            context.settings.retry_interval.min(remaining),
            context.cancel,
        ) {
            return Err(VerifyFailure::Interrupted {
                url: url.to_string(),
            }
            .into());
        }
    }
}

/// Returns `text` on one line, cut to `limit` characters.
fn one_line(text: &str, limit: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= limit {
        return flat;
    }
    let cut: String = flat.chars().take(limit).collect();
    format!("{cut}…")
}

/// Prints the log lines matching the environment's error pattern since the
/// deployment started, with secret values masked. A failed read is a warning.
pub(super) fn scan_logs(
    environment: &Environment,
    log_group: &str,
    start: i64,
    context: &mut VerifyContext,
) {
    let call = AwsCall::filter_log_events(
        log_group,
        start,
        environment.log_error_pattern(),
        context.settings.max_log_events,
        context.secret_names.to_vec(),
    );
    let answer = match context.runner.run(&call) {
        Ok(answer) => answer,
        Err(err) => {
            context
                .console
                .warning(&format!("{}: {err}", environment.name));
            return;
        }
    };
    let Ok(answer) = parse_answer(&answer, "filter-log-events") else {
        context.console.warning(&format!(
            "{}: the filter-log-events response is not JSON",
            environment.name
        ));
        return;
    };

    let events = answer["events"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    if events.is_empty() {
        context.console.progress(&format!(
            "{}: no log lines match {:?} since the deployment started",
            environment.name,
            environment.log_error_pattern()
        ));
        return;
    }
    context.console.warning(&format!(
        "{}: {} log line(s) in {log_group} match {:?} since the deployment started:",
        environment.name,
        events.len(),
        environment.log_error_pattern()
    ));
    for event in events {
        let message = event["message"]
            .as_str()
            .map(str::trim_end)
            .unwrap_or_default();
        let stream = event
            .get("logStreamName")
            .and_then(Value::as_str)
            .unwrap_or("?");
        context.console.warning(&format!(
            "  [{stream}] {}",
            mask_secret_values(message, context.secret_names)
        ));
    }
}
