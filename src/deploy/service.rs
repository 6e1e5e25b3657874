//! Reading `describe-services` and `describe-task-definition` responses.

use serde_json::Value;

use super::DeployError;

/// The parts of a service that a rollout needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceState {
    pub service: String,
    pub status: String,
    /// The ARN of the task definition the service runs.
    pub task_definition: String,
    /// The reason the service is not steady (several deployments, or a rollout in
    /// progress or failed), or `None` when it is.
    pub unsteady: Option<String>,
}

/// Finds `service` in a `describe-services` response.
///
/// Fails when the response lists it under `failures` (for example `MISSING`),
/// or when it is not `ACTIVE`.
pub fn find_service(
    answer: &str,
    cluster: &str,
    service: &str,
) -> Result<ServiceState, DeployError> {
    let answer: Value = parse_answer(answer, "describe-services")?;

    let matches_name = |entry: &&Value| {
        entry.get("serviceName").and_then(Value::as_str) == Some(service)
            || entry
                .get("serviceArn")
                .and_then(Value::as_str)
                .is_some_and(|arn| arn.ends_with(&format!("/{service}")))
    };
    let found = answer
        .get("services")
        .and_then(Value::as_array)
        .and_then(|services| services.iter().find(matches_name));

    let Some(found) = found else {
        let reason = answer
            .get("failures")
            .and_then(Value::as_array)
            .and_then(|failures| failures.first())
            .and_then(|failure| failure.get("reason"))
            .and_then(Value::as_str)
            .unwrap_or("not in the answer");
        return Err(DeployError::Aws(format!(
            "service `{service}` not found in cluster `{cluster}` ({reason}); check the cluster and service names"
        )));
    };

    let status = found
        .get("status")
        .and_then(Value::as_str)
        .unwrap_or("UNKNOWN")
        .to_string();
    if status != "ACTIVE" {
        return Err(DeployError::Aws(format!(
            "service `{service}` in cluster `{cluster}` is {status}, not ACTIVE"
        )));
    }
    let task_definition = found
        .get("taskDefinition")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            DeployError::Aws(format!(
                "service `{service}` has no taskDefinition in the describe-services response"
            ))
        })?
        .to_string();

    Ok(ServiceState {
        service: service.to_string(),
        status,
        unsteady: unsteadiness(found),
        task_definition,
    })
}

/// Describes why a service is between deployments, or returns `None` when it
/// has one deployment whose rollout (where reported) is complete.
fn unsteadiness(service: &Value) -> Option<String> {
    let deployments = service
        .get("deployments")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let describe = |deployment: &Value| {
        format!(
            "{} of {} {}",
            deployment["id"].as_str().unwrap_or("?"),
            short_name(deployment["taskDefinition"].as_str().unwrap_or("?")),
            deployment["rolloutState"]
                .as_str()
                .unwrap_or(deployment["status"].as_str().unwrap_or("?"))
        )
    };
    if deployments.len() > 1 {
        let all: Vec<String> = deployments.iter().map(describe).collect();
        return Some(format!(
            "it has {} deployments ({})",
            deployments.len(),
            all.join(", ")
        ));
    }
    let rollout = deployments
        .first()
        .and_then(|deployment| deployment["rolloutState"].as_str());
    match rollout {
        Some("IN_PROGRESS") | Some("FAILED") => Some(format!(
            "its deployment {} is not complete",
            describe(&deployments[0])
        )),
        _ => None,
    }
}

/// Returns `taskDefinition.taskDefinitionArn` of a describe or register response.
pub fn task_definition_arn(answer: &str, command: &str) -> Result<String, DeployError> {
    let answer: Value = parse_answer(answer, command)?;
    answer
        .pointer("/taskDefinition/taskDefinitionArn")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| {
            DeployError::Aws(format!(
                "the {command} response has no taskDefinition.taskDefinitionArn"
            ))
        })
}

/// Parses an `aws` answer that must be JSON.
pub fn parse_answer(answer: &str, command: &str) -> Result<Value, DeployError> {
    serde_json::from_str(answer).map_err(|err| {
        DeployError::Aws(format!(
            "the {command} response is not JSON ({err}); is `output` set to text or yaml somewhere the CLI reads?"
        ))
    })
}

/// Shortens a task definition ARN to `family:revision` for messages.
pub fn short_name(task_definition_arn: &str) -> &str {
    task_definition_arn
        .rsplit_once(":task-definition/")
        .map_or(task_definition_arn, |(_, name)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:3";

    #[test]
    fn active_service_is_found_by_name() {
        let answer = format!(
            r#"{{"services":[{{"serviceName":"web","status":"ACTIVE","taskDefinition":"{ARN}"}}],"failures":[]}}"#
        );

        let state = find_service(&answer, "main", "web").unwrap();

        assert_eq!(state.task_definition, ARN);
    }

    #[test]
    fn missing_service_gives_the_failure_reason() {
        let answer = r#"{"services":[],"failures":[{"arn":"arn:aws:ecs:us-east-1:123456789012:service/main/web","reason":"MISSING"}]}"#;

        let err = find_service(answer, "main", "web").unwrap_err();

        assert_eq!(
            err.to_string(),
            "service `web` not found in cluster `main` (MISSING); check the cluster and service names"
        );
    }

    #[test]
    fn draining_service_is_rejected() {
        let answer = format!(
            r#"{{"services":[{{"serviceName":"web","status":"DRAINING","taskDefinition":"{ARN}"}}]}}"#
        );

        let err = find_service(&answer, "main", "web").unwrap_err();

        assert!(err.to_string().contains("is DRAINING, not ACTIVE"), "{err}");
    }

    #[test]
    fn short_name_is_family_and_revision() {
        assert_eq!(short_name(ARN), "web:3");
        assert_eq!(short_name("web:3"), "web:3");
    }
}
