//! Waiting for the deployment this run created, not for "the service is
//! stable": a circuit-breaker rollback also ends stable, on the old revision.
//! One `describe-services` per poll; stopped tasks are looked up only when
//! the deployment's `failedTasks` grows.

use std::collections::HashSet;
use std::fmt;
use std::time::Duration;

use serde_json::Value;

use crate::aws::{AwsCall, Runner};

use super::clock::{Cancel, Clock};
use super::config::Environment;
use super::console::Console;
use super::service::{parse_answer, short_name};
use super::timing::timestamp_millis;

/// How to poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitSettings {
    pub poll_interval: Duration,
    pub timeout: Duration,
    /// Stop after this many failed tasks of the deployment; 0 never stops early.
    pub max_failed_tasks: u64,
}

impl Default for WaitSettings {
    fn default() -> Self {
        Self {
            poll_interval: Duration::from_secs(5),
            timeout: Duration::from_secs(15 * 60),
            max_failed_tasks: 3,
        }
    }
}

/// The collaborators of a wait.
pub struct WaitContext<'a> {
    pub runner: &'a mut Runner,
    pub console: &'a dyn Console,
    pub clock: &'a dyn Clock,
    pub cancel: &'a Cancel,
    pub settings: &'a WaitSettings,
}

/// A deployment that `update-service` started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Started {
    pub target_arn: String,
    pub deployment_id: Option<String>,
    /// When the deployment was created, in milliseconds since the epoch.
    pub created_at_millis: Option<i64>,
    /// Event ids the service had already; only newer events are shown.
    pub seen_events: HashSet<String>,
    /// Treats every event of the first poll as seen, for a wait resumed
    /// without the `update-service` response that lists the older events.
    pub skip_first_events: bool,
}

/// A deployment that completed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completed {
    pub deployment_id: String,
    /// When the deployment was created, in milliseconds since the epoch.
    pub created_at_millis: Option<i64>,
    /// The task definition the service runs at the end.
    pub service_task_definition: String,
}

/// The reason a deployment did not complete.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WaitFailure {
    /// ECS itself rolled back: the service already runs another revision.
    RolledBackByEcs {
        deployment: String,
        target: String,
        running: String,
    },
    RolloutFailed {
        deployment: String,
        target: String,
        reason: String,
    },
    TasksFailed {
        deployment: String,
        count: u64,
        last_reason: Option<String>,
    },
    ServiceInactive {
        service: String,
        status: String,
    },
    TimedOut {
        elapsed: Duration,
        state: String,
    },
    Interrupted {
        deployment: String,
    },
}

impl fmt::Display for WaitFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::RolledBackByEcs {
                deployment,
                target,
                running,
            } => write!(
                f,
                "deployment {deployment} ({}) was rolled back by the circuit breaker; service runs {}",
                short_name(target),
                short_name(running)
            ),
            Self::RolloutFailed {
                deployment,
                target,
                reason,
            } => {
                write!(
                    f,
                    "deployment {deployment} ({}) failed: {}",
                    short_name(target),
                    reason.trim_end_matches('.')
                )
            }
            Self::TasksFailed {
                deployment,
                count,
                last_reason,
            } => {
                let tasks = if *count == 1 { "task" } else { "tasks" };
                write!(f, "{count} {tasks} of deployment {deployment} stopped")?;
                if let Some(reason) = last_reason {
                    write!(f, "; last reason: {reason}")?;
                    if reason.contains("unable to pull secrets")
                        || reason.contains("unable to retrieve secret")
                    {
                        write!(
                            f,
                            " (the tasks could not fetch their secrets: check the execution role's permissions and the secret's JSON keys)"
                        )?;
                    }
                }
                Ok(())
            }
            Self::ServiceInactive { service, status } => {
                write!(f, "service `{service}` is {status}, not ACTIVE")
            }
            Self::TimedOut { elapsed, state } => {
                write!(f, "timed out after {} s; {state}", elapsed.as_secs())
            }
            Self::Interrupted { deployment } => {
                write!(f, "interrupted while waiting for deployment {deployment}")
            }
        }
    }
}

impl WaitFailure {
    /// Tells whether ECS already put the service back on its previous revision.
    pub fn rolled_back_by_ecs(&self) -> bool {
        matches!(self, Self::RolledBackByEcs { .. })
    }
}

/// Returns the deployment of `target_arn` that an `update-service` response
/// shows, with the ids of the events the service had.
pub fn started_deployment(answer: &str, target_arn: &str) -> anyhow::Result<Started> {
    let answer = parse_answer(answer, "update-service")?;
    let service = &answer["service"];
    let deployment = deployments(service)
        .iter()
        .find(|deployment| {
            deployment["taskDefinition"] == target_arn && deployment["status"] == "PRIMARY"
        })
        .or_else(|| {
            deployments(service)
                .iter()
                .find(|deployment| deployment["taskDefinition"] == target_arn)
        });

    Ok(Started {
        target_arn: target_arn.to_string(),
        deployment_id: deployment
            .and_then(|deployment| deployment["id"].as_str())
            .map(str::to_string),
        created_at_millis: deployment
            .and_then(|deployment| timestamp_millis(&deployment["createdAt"])),
        seen_events: event_ids(service),
        skip_first_events: false,
    })
}

fn deployments(service: &Value) -> &[Value] {
    service["deployments"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
}

fn event_ids(service: &Value) -> HashSet<String> {
    let events = service["events"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    events
        .iter()
        .filter_map(|event| event["id"].as_str())
        .map(str::to_string)
        .collect()
}

/// Polls until the started deployment completes or fails.
///
/// Fails with a [`WaitFailure`] for a failed, rolled-back, timed-out or
/// interrupted deployment, and with the call's error when a poll fails.
pub fn wait_for_deployment(
    environment: &Environment,
    started: &Started,
    context: &mut WaitContext,
) -> anyhow::Result<Completed> {
    let mut poll = Poll::new(started);
    let deadline = context.clock.elapsed() + context.settings.timeout;

    loop {
        let answer = context.runner.run(&AwsCall::describe_services(
            &environment.cluster,
            &[&environment.service],
        ))?;
        let answer = parse_answer(&answer, "describe-services")?;
        let Some(service) = answer["services"].as_array().and_then(|services| {
            services
                .iter()
                .find(|service| service["serviceName"] == environment.service.as_str())
        }) else {
            return Err(WaitFailure::ServiceInactive {
                service: environment.service.clone(),
                status: "MISSING".into(),
            }
            .into());
        };

        poll.show_new_events(service, context.console);
        if let Some(outcome) = poll.judge(environment, service, context)? {
            return outcome;
        }

        let remaining = deadline.saturating_sub(context.clock.elapsed());
        if remaining.is_zero() {
            return Err(WaitFailure::TimedOut {
                elapsed: context.settings.timeout,
                state: poll.state_in_words(),
            }
            .into());
        }
        if !context.clock.sleep(
            context.settings.poll_interval.min(remaining),
            context.cancel,
        ) {
            return Err(WaitFailure::Interrupted {
                deployment: poll.deployment_name(),
            }
            .into());
        }
    }
}

/// The state a wait has seen so far.
struct Poll<'a> {
    started: &'a Started,
    deployment_id: Option<String>,
    seen_events: HashSet<String>,
    seen_tasks: HashSet<String>,
    failed_tasks: u64,
    last_stop_reason: Option<String>,
    last_state: String,
    skip_events: bool,
    created_at_millis: Option<i64>,
}

impl<'a> Poll<'a> {
    fn new(started: &'a Started) -> Self {
        Self {
            started,
            deployment_id: started.deployment_id.clone(),
            seen_events: started.seen_events.clone(),
            seen_tasks: HashSet::new(),
            failed_tasks: 0,
            last_stop_reason: None,
            last_state: String::new(),
            skip_events: started.skip_first_events,
            created_at_millis: started.created_at_millis,
        }
    }

    fn deployment_name(&self) -> String {
        self.deployment_id
            .clone()
            .unwrap_or_else(|| format!("of {}", short_name(&self.started.target_arn)))
    }

    fn state_in_words(&self) -> String {
        format!(
            "deployment {} still {}",
            self.deployment_name(),
            self.last_state
        )
    }

    /// Prints the service events that are new since the last poll, oldest first.
    fn show_new_events(&mut self, service: &Value, console: &dyn Console) {
        let events = service["events"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        for event in events.iter().rev() {
            let Some(id) = event["id"].as_str() else {
                continue;
            };
            if self.seen_events.insert(id.to_string())
                && !self.skip_events
                && let Some(message) = event["message"].as_str()
            {
                console.progress(&format!("event: {message}"));
            }
        }
        self.skip_events = false;
    }

    /// Decides from one poll whether the wait is over.
    fn judge(
        &mut self,
        environment: &Environment,
        service: &Value,
        context: &mut WaitContext,
    ) -> anyhow::Result<Option<anyhow::Result<Completed>>> {
        let status = service["status"].as_str().unwrap_or("UNKNOWN");
        if status != "ACTIVE" {
            return Ok(Some(Err(WaitFailure::ServiceInactive {
                service: environment.service.clone(),
                status: status.to_string(),
            }
            .into())));
        }

        let target = &self.started.target_arn;
        let running = service["taskDefinition"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let deployments = deployments(service);
        let ours = deployments
            .iter()
            .find(|deployment| match &self.deployment_id {
                Some(id) => deployment["id"] == id.as_str(),
                None => deployment["taskDefinition"] == target.as_str(),
            });

        let Some(ours) = ours else {
            // The deployment vanished: ECS replaced it, which after a failure
            // means the circuit breaker rolled the service back.
            if &running != target {
                return Ok(Some(Err(self.rolled_back(running).into())));
            }
            return Ok(None);
        };
        if self.deployment_id.is_none() {
            self.deployment_id = ours["id"].as_str().map(str::to_string);
        }
        if self.created_at_millis.is_none() {
            self.created_at_millis = timestamp_millis(&ours["createdAt"]);
        }

        let rollout_state = ours["rolloutState"].as_str();
        let (running_count, desired_count) =
            (count(ours, "runningCount"), count(ours, "desiredCount"));
        let failed = count(ours, "failedTasks");
        self.last_state = format!(
            "{} running {running_count}/{desired_count} failed {failed}",
            rollout_state.unwrap_or("(no rollout state)")
        );
        context.console.status(
            &format!(
                "{}: {} {} {}",
                environment.name,
                self.deployment_name(),
                short_name(target),
                self.last_state
            ),
            context.clock.elapsed(),
        );

        if failed > self.failed_tasks {
            self.failed_tasks = failed;
            self.show_stopped_tasks(environment, context)?;
        }

        if rollout_state == Some("FAILED") {
            if &running != target {
                return Ok(Some(Err(self.rolled_back(running).into())));
            }
            let reason = ours["rolloutStateReason"]
                .as_str()
                .unwrap_or("rollout state FAILED")
                .to_string();
            let reason = reason.trim_end_matches('.').to_string();
            return Ok(Some(Err(WaitFailure::RolloutFailed {
                deployment: self.deployment_name(),
                target: target.clone(),
                reason,
            }
            .into())));
        }
        let max = context.settings.max_failed_tasks;
        if max > 0 && failed >= max {
            return Ok(Some(Err(WaitFailure::TasksFailed {
                deployment: self.deployment_name(),
                count: failed,
                last_reason: self.last_stop_reason.clone(),
            }
            .into())));
        }

        let completed = ours["status"] == "PRIMARY"
            && rollout_state.is_none_or(|state| state == "COMPLETED")
            && deployments.len() == 1
            && running_count == desired_count;
        if completed {
            return Ok(Some(Ok(Completed {
                deployment_id: self.deployment_name(),
                created_at_millis: self.created_at_millis,
                service_task_definition: running,
            })));
        }
        Ok(None)
    }

    fn rolled_back(&self, running: String) -> WaitFailure {
        WaitFailure::RolledBackByEcs {
            deployment: self.deployment_name(),
            target: self.started.target_arn.clone(),
            running,
        }
    }

    /// Prints why this deployment's tasks stopped, once per task.
    fn show_stopped_tasks(
        &mut self,
        environment: &Environment,
        context: &mut WaitContext,
    ) -> anyhow::Result<()> {
        let answer = context.runner.run(&AwsCall::list_stopped_tasks(
            &environment.cluster,
            &environment.service,
        ))?;
        let answer = parse_answer(&answer, "list-tasks")?;
        let new_tasks: Vec<String> = answer["taskArns"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .filter_map(Value::as_str)
            .filter(|arn| !self.seen_tasks.contains(*arn))
            .take(100)
            .map(str::to_string)
            .collect();
        if new_tasks.is_empty() {
            return Ok(());
        }

        let arns: Vec<&str> = new_tasks.iter().map(String::as_str).collect();
        let answer = context
            .runner
            .run(&AwsCall::describe_tasks(&environment.cluster, &arns))?;
        let answer = parse_answer(&answer, "describe-tasks")?;
        self.seen_tasks.extend(new_tasks);

        for task in answer["tasks"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            let ours = match &self.deployment_id {
                Some(id) => task["startedBy"] == id.as_str(),
                None => task["taskDefinitionArn"] == self.started.target_arn.as_str(),
            };
            if ours {
                self.report_task(task, context.console);
            }
        }
        Ok(())
    }

    fn report_task(&mut self, task: &Value, console: &dyn Console) {
        let task_id = task["taskArn"]
            .as_str()
            .and_then(|arn| arn.rsplit('/').next())
            .unwrap_or("?");
        let stop_code = task["stopCode"].as_str().unwrap_or("(no stop code)");
        let reason = task["stoppedReason"]
            .as_str()
            .unwrap_or("(no reason given)");
        console.warning(&format!(
            "deployment {}: task {task_id} stopped: {stop_code}: {reason}",
            self.deployment_name()
        ));
        for container in task["containers"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            let name = container["name"].as_str().unwrap_or("?");
            let exit = container["exitCode"]
                .as_i64()
                .map(|code| format!(" (exit code {code})"))
                .unwrap_or_default();
            if let Some(container_reason) = container["reason"].as_str() {
                console.warning(&format!("  container {name}: {container_reason}{exit}"));
            } else if !exit.is_empty() {
                console.warning(&format!("  container {name}:{exit}"));
            }
        }
        self.last_stop_reason = Some(format!("{stop_code}: {reason}"));
    }
}

fn count(deployment: &Value, field: &str) -> u64 {
    deployment[field].as_u64().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::{AwsOptions, RecordedCall, Recording, Silent, Transport};
    use crate::deploy::clock::VirtualClock;
    use crate::deploy::config::Config;
    use crate::deploy::test_console::TestConsole;
    use serde_json::json;

    const NEW: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/bcos-staging:2";
    const OLD: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/bcos-staging:1";

    fn environment() -> Environment {
        Config::built_in().environments["staging"].clone()
    }

    fn deployment(
        id: &str,
        status: &str,
        task_definition: &str,
        rollout: &str,
        running: u64,
        failed: u64,
    ) -> Value {
        json!({"id": id, "status": status, "taskDefinition": task_definition, "rolloutState": rollout,
               "rolloutStateReason": format!("{rollout} reason"), "desiredCount": 2,
               "runningCount": running, "failedTasks": failed})
    }

    fn poll(running: &str, deployments: Vec<Value>, events: Vec<Value>) -> RecordedCall {
        let env = environment();
        RecordedCall {
            args: AwsCall::describe_services(&env.cluster, &[&env.service]).args,
            exit_code: 0,
            stdout: json!({"services": [{"serviceName": env.service, "status": "ACTIVE",
                "taskDefinition": running, "deployments": deployments, "events": events}], "failures": []}),
            stderr: String::new(),
            at_ms: None,
        }
    }

    fn started() -> Started {
        Started {
            target_arn: NEW.into(),
            deployment_id: Some("ecs-svc/2".into()),
            created_at_millis: Some(1_733_338_127_512),
            seen_events: HashSet::from(["old-event".to_string()]),
            skip_first_events: false,
        }
    }

    fn wait(
        calls: Vec<RecordedCall>,
        settings: WaitSettings,
    ) -> (anyhow::Result<Completed>, TestConsole, usize) {
        let recording = Recording {
            calls,
            ..Recording::default()
        };
        let mut runner = Runner::new(
            Transport::Replay { recording, next: 0 },
            AwsOptions::default(),
            Box::new(Silent),
        );
        let console = TestConsole::default();
        let clock = VirtualClock::default();
        let cancel = Cancel::default();
        let mut context = WaitContext {
            runner: &mut runner,
            console: &console,
            clock: &clock,
            cancel: &cancel,
            settings: &settings,
        };

        let result = wait_for_deployment(&environment(), &started(), &mut context);
        let calls = runner.calls_made();
        (result, console, calls)
    }

    fn failure(result: anyhow::Result<Completed>) -> WaitFailure {
        result
            .unwrap_err()
            .downcast::<WaitFailure>()
            .expect("a WaitFailure")
    }

    #[test]
    fn completes_when_primary_alone_and_running() {
        let calls = vec![
            poll(
                NEW,
                vec![
                    deployment("ecs-svc/2", "PRIMARY", NEW, "IN_PROGRESS", 0, 0),
                    deployment("ecs-svc/1", "ACTIVE", OLD, "COMPLETED", 2, 0),
                ],
                vec![],
            ),
            poll(
                NEW,
                vec![deployment("ecs-svc/2", "PRIMARY", NEW, "COMPLETED", 2, 0)],
                vec![],
            ),
        ];

        let (result, _, made) = wait(calls, WaitSettings::default());

        assert_eq!(
            result.unwrap(),
            Completed {
                deployment_id: "ecs-svc/2".into(),
                created_at_millis: Some(1_733_338_127_512),
                service_task_definition: NEW.into()
            }
        );
        assert_eq!(made, 2, "one describe-services per poll");
    }

    #[test]
    fn completed_rollout_with_old_deployment_still_waits() {
        let calls = vec![
            poll(
                NEW,
                vec![
                    deployment("ecs-svc/2", "PRIMARY", NEW, "COMPLETED", 2, 0),
                    deployment("ecs-svc/1", "ACTIVE", OLD, "COMPLETED", 1, 0),
                ],
                vec![],
            ),
            poll(
                NEW,
                vec![deployment("ecs-svc/2", "PRIMARY", NEW, "COMPLETED", 2, 0)],
                vec![],
            ),
        ];

        let (result, _, made) = wait(calls, WaitSettings::default());

        assert!(result.is_ok());
        assert_eq!(made, 2);
    }

    #[test]
    fn vanished_deployment_on_old_revision_is_ecs_rollback() {
        let calls = vec![poll(
            OLD,
            vec![deployment("ecs-svc/3", "PRIMARY", OLD, "COMPLETED", 2, 0)],
            vec![],
        )];

        let failure = failure(wait(calls, WaitSettings::default()).0);

        assert!(failure.rolled_back_by_ecs());
        assert_eq!(
            failure.to_string(),
            "deployment ecs-svc/2 (bcos-staging:2) was rolled back by the circuit breaker; service runs bcos-staging:1"
        );
    }

    #[test]
    fn failed_rollout_without_rollback_is_a_failure() {
        let calls = vec![poll(
            NEW,
            vec![deployment("ecs-svc/2", "PRIMARY", NEW, "FAILED", 0, 0)],
            vec![],
        )];

        let failure = failure(wait(calls, WaitSettings::default()).0);

        assert_eq!(
            failure.to_string(),
            "deployment ecs-svc/2 (bcos-staging:2) failed: FAILED reason"
        );
    }

    #[test]
    fn stopped_tasks_are_shown_once_then_fail() {
        let env = environment();
        let list = |arns: Vec<&str>| RecordedCall {
            args: AwsCall::list_stopped_tasks(&env.cluster, &env.service).args,
            exit_code: 0,
            stdout: json!({"taskArns": arns}),
            stderr: String::new(),
            at_ms: None,
        };
        let describe = |arns: &[&str], tasks: Value| RecordedCall {
            args: AwsCall::describe_tasks(&env.cluster, arns).args,
            exit_code: 0,
            stdout: json!({"tasks": tasks, "failures": []}),
            stderr: String::new(),
            at_ms: None,
        };
        let task = |id: &str| {
            json!({"taskArn": format!("arn:aws:ecs:us-east-1:123456789012:task/c/{id}"), "startedBy": "ecs-svc/2",
            "stopCode": "TaskFailedToStart", "stoppedReason": "ResourceInitializationError: unable to pull secrets or registry auth",
            "containers": [{"name": "bcos", "reason": "CannotStartContainerError", "exitCode": 1}]})
        };
        let arn = |id: &str| format!("arn:aws:ecs:us-east-1:123456789012:task/c/{id}");
        let (a, b, c) = (arn("aaa"), arn("bbb"), arn("ccc"));
        let calls = vec![
            poll(
                NEW,
                vec![deployment("ecs-svc/2", "PRIMARY", NEW, "IN_PROGRESS", 0, 1)],
                vec![],
            ),
            list(vec![&a]),
            describe(&[&a], json!([task("aaa")])),
            poll(
                NEW,
                vec![deployment("ecs-svc/2", "PRIMARY", NEW, "IN_PROGRESS", 0, 3)],
                vec![],
            ),
            list(vec![&a, &b, &c]),
            describe(&[&b, &c], json!([task("bbb"), task("ccc")])),
        ];

        let (result, console, _) = wait(calls, WaitSettings::default());

        let text = console.text();
        assert_eq!(
            text.matches("task aaa stopped: TaskFailedToStart").count(),
            1,
            "{text}"
        );
        assert_eq!(text.matches("task ccc stopped").count(), 1, "{text}");
        assert!(
            text.contains("container bcos: CannotStartContainerError (exit code 1)"),
            "{text}"
        );
        let message = failure(result).to_string();
        assert!(
            message.starts_with("3 tasks of deployment ecs-svc/2 stopped"),
            "{message}"
        );
        assert!(
            message.contains("could not fetch their secrets"),
            "{message}"
        );
    }

    #[test]
    fn timeout_names_the_state() {
        let in_progress = || {
            poll(
                NEW,
                vec![
                    deployment("ecs-svc/2", "PRIMARY", NEW, "IN_PROGRESS", 1, 0),
                    deployment("ecs-svc/1", "ACTIVE", OLD, "COMPLETED", 2, 0),
                ],
                vec![],
            )
        };
        let settings = WaitSettings {
            poll_interval: Duration::from_secs(5),
            timeout: Duration::from_secs(12),
            max_failed_tasks: 3,
        };

        let (result, _, made) = wait(
            vec![in_progress(), in_progress(), in_progress(), in_progress()],
            settings,
        );

        assert_eq!(
            failure(result).to_string(),
            "timed out after 12 s; deployment ecs-svc/2 still IN_PROGRESS running 1/2 failed 0"
        );
        assert_eq!(made, 4, "polls at 0, 5, 10 and 12 s");
    }

    #[test]
    fn new_events_are_shown_oldest_first_once() {
        let events = vec![
            json!({"id": "e2", "message": "second"}),
            json!({"id": "e1", "message": "first"}),
            json!({"id": "old-event", "message": "before the update"}),
        ];
        let calls = vec![
            poll(
                NEW,
                vec![deployment("ecs-svc/2", "PRIMARY", NEW, "IN_PROGRESS", 0, 0)],
                events.clone(),
            ),
            poll(
                NEW,
                vec![deployment("ecs-svc/2", "PRIMARY", NEW, "COMPLETED", 2, 0)],
                events,
            ),
        ];

        let (_, console, _) = wait(calls, WaitSettings::default());

        let events: Vec<String> = console
            .lines
            .borrow()
            .iter()
            .filter(|line| line.contains("event:"))
            .cloned()
            .collect();
        assert_eq!(
            events,
            ["progress: event: first", "progress: event: second"]
        );
    }

    #[test]
    fn inactive_service_fails_at_once() {
        let env = environment();
        let draining = RecordedCall {
            args: AwsCall::describe_services(&env.cluster, &[&env.service]).args,
            exit_code: 0,
            stdout: json!({"services": [{"serviceName": env.service, "status": "DRAINING", "taskDefinition": NEW, "deployments": []}]}),
            stderr: String::new(),
            at_ms: None,
        };

        let failure = failure(wait(vec![draining], WaitSettings::default()).0);

        assert_eq!(
            failure.to_string(),
            "service `bcos-staging-service` is DRAINING, not ACTIVE"
        );
    }

    #[test]
    fn update_answer_gives_deployment_and_start() {
        let answer = json!({"service": {"deployments": [
            {"id": "ecs-svc/2", "status": "PRIMARY", "taskDefinition": NEW, "createdAt": 1733338127.512},
            {"id": "ecs-svc/1", "status": "ACTIVE", "taskDefinition": OLD}],
            "events": [{"id": "x", "message": "m"}]}});

        let started = started_deployment(&answer.to_string(), NEW).unwrap();

        assert_eq!(started.deployment_id.as_deref(), Some("ecs-svc/2"));
        assert_eq!(started.created_at_millis, Some(1_733_338_127_512));
        assert!(started.seen_events.contains("x"));
    }
}
