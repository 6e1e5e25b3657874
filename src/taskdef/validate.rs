//! Checks a register request for the mistakes ECS reports late or not at all:
//! some only when register is called, others only as tasks that fail to start.

use serde_json::{Map, Value};

use super::document::json_type;
use super::error::Finding;
use super::value_from::{parse_value_from, parse_whole_secret};

/// ECS's quotas for one task definition.
pub const MAX_CONTAINERS: usize = 10;
pub const MAX_TAGS: usize = 50;
pub const MAX_JSON_BYTES: usize = 65_536;

/// Returns every problem found in `request`, a task definition after
/// conversion to register input; an empty list means it passed.
pub fn validate(request: &Map<String, Value>) -> Vec<Finding> {
    let mut findings = Vec::new();

    check_task_level(request, &mut findings);
    check_tags(request, &mut findings);

    let containers = request
        .get("containerDefinitions")
        .and_then(Value::as_array);
    let containers = containers.map(Vec::as_slice).unwrap_or_default();
    check_container_list(containers, &mut findings);
    for (index, container) in containers.iter().enumerate() {
        if let Value::Object(container) = container {
            check_container(index, container, &mut findings);
        }
    }

    check_execution_role(request, containers, &mut findings);
    check_size(request, &mut findings);
    findings
}

fn task_finding(field: &str, value: Option<&Value>, reason: impl Into<String>) -> Finding {
    Finding {
        container: None,
        field: field.to_string(),
        value: value.cloned(),
        reason: reason.into(),
    }
}

fn check_task_level(request: &Map<String, Value>, findings: &mut Vec<Finding>) {
    match request.get("family") {
        Some(Value::String(family)) if !family.is_empty() => {}
        value => findings.push(task_finding("family", value, "must be a non-empty string")),
    }

    // Register takes the task-level sizes as strings ("256", "1 vCPU", "0.5 GB").
    for field in ["cpu", "memory"] {
        if let Some(value) = request.get(field)
            && !value.is_string()
        {
            findings.push(task_finding(
                field,
                Some(value),
                format!(
                    "task-level {field} must be a string such as \"512\", not a {}",
                    json_type(value)
                ),
            ));
        }
    }

    let role = request.get("executionRoleArn");
    if let Some(value) = role
        && value.as_str().is_none_or(str::is_empty)
    {
        findings.push(task_finding(
            "executionRoleArn",
            Some(value),
            "must be a non-empty string",
        ));
    }
}

fn check_tags(request: &Map<String, Value>, findings: &mut Vec<Finding>) {
    let Some(tags) = request.get("tags") else {
        return;
    };
    let Some(tags) = tags.as_array() else {
        findings.push(task_finding(
            "tags",
            Some(tags),
            "must be an array of {\"key\", \"value\"} objects",
        ));
        return;
    };

    if tags.len() > MAX_TAGS {
        findings.push(task_finding(
            "tags",
            None,
            format!("has {} tags; ECS allows at most {MAX_TAGS}", tags.len()),
        ));
    }

    let mut keys = Vec::new();
    for (index, tag) in tags.iter().enumerate() {
        let field = format!("tags[{index}].key");
        match tag.get("key").and_then(Value::as_str) {
            Some("") => findings.push(task_finding(&field, tag.get("key"), "must not be empty")),
            Some(key) if keys.contains(&key) => findings.push(task_finding(
                &field,
                tag.get("key"),
                "is repeated; each tag key may appear once",
            )),
            Some(key) => keys.push(key),
            None => findings.push(task_finding(&field, tag.get("key"), "must be a string")),
        }
    }
}

fn check_container_list(containers: &[Value], findings: &mut Vec<Finding>) {
    if containers.is_empty() {
        findings.push(task_finding(
            "containerDefinitions",
            None,
            "must hold at least one container",
        ));
    }
    if containers.len() > MAX_CONTAINERS {
        findings.push(task_finding(
            "containerDefinitions",
            None,
            format!(
                "has {} containers; ECS allows at most {MAX_CONTAINERS}",
                containers.len()
            ),
        ));
    }

    let mut names = Vec::new();
    for (index, container) in containers.iter().enumerate() {
        let field = format!("containerDefinitions[{index}].name");
        match container.get("name").and_then(Value::as_str) {
            Some("") => findings.push(task_finding(
                &field,
                container.get("name"),
                "must not be empty",
            )),
            Some(name) if names.contains(&name) => findings.push(task_finding(
                &field,
                container.get("name"),
                "is repeated; container names must be unique in a task definition",
            )),
            Some(name) => names.push(name),
            None => findings.push(task_finding(
                &field,
                container.get("name"),
                "must be a string",
            )),
        }
    }
}

/// Collects findings for one container, naming it (or its index, when it has no name).
struct ContainerCheck<'a> {
    label: String,
    findings: &'a mut Vec<Finding>,
}

impl ContainerCheck<'_> {
    fn push(&mut self, field: &str, value: Option<&Value>, reason: impl Into<String>) {
        self.findings.push(Finding {
            container: Some(self.label.clone()),
            field: field.to_string(),
            value: value.cloned(),
            reason: reason.into(),
        });
    }
}

fn check_container(index: usize, container: &Map<String, Value>, findings: &mut Vec<Finding>) {
    let label = match container.get("name").and_then(Value::as_str) {
        Some(name) if !name.is_empty() => name.to_string(),
        _ => format!("#{index}"),
    };
    let mut check = ContainerCheck { label, findings };

    // Register rejects a container without an image ("Container.image should
    // not be null or empty").
    match container.get("image") {
        Some(Value::String(image)) if !image.trim().is_empty() => {}
        image => check.push(
            "image",
            image,
            "must be a non-empty image reference; ECS rejects a container without one",
        ),
    }

    // Container-level sizes are integers (CPU units and MiB), unlike the task's.
    for field in ["cpu", "memory", "memoryReservation"] {
        if let Some(value) = container.get(field)
            && !(value.is_u64() || value.is_i64())
        {
            check.push(
                field,
                Some(value),
                format!(
                    "container-level {field} must be an integer such as 512, not a {}",
                    json_type(value)
                ),
            );
        }
    }

    let secret_names = check_secret_list(&mut check, container.get("secrets"), "secrets");
    if let Some(log) = container.get("logConfiguration") {
        check_secret_list(
            &mut check,
            log.get("secretOptions"),
            "logConfiguration.secretOptions",
        );
    }
    check_environment(&mut check, container.get("environment"), &secret_names);
    check_repository_credentials(&mut check, container.get("repositoryCredentials"));
}

/// Checks a `secrets` or `secretOptions` list and returns the names it holds.
fn check_secret_list<'a>(
    check: &mut ContainerCheck,
    list: Option<&'a Value>,
    field: &str,
) -> Vec<&'a str> {
    let mut names = Vec::new();
    let Some(list) = list else {
        return names;
    };
    let Some(secrets) = list.as_array() else {
        check.push(
            field,
            Some(list),
            "must be an array of {\"name\", \"valueFrom\"} objects",
        );
        return names;
    };

    for (index, secret) in secrets.iter().enumerate() {
        let name_field = format!("{field}[{index}].name");
        match secret.get("name").and_then(Value::as_str) {
            Some("") => check.push(&name_field, secret.get("name"), "must not be empty"),
            Some(name) if names.contains(&name) => check.push(
                &name_field,
                secret.get("name"),
                "is repeated; each secret name may appear once in a container",
            ),
            Some(name) => names.push(name),
            None => check.push(&name_field, secret.get("name"), "must be a string"),
        }

        let value_field = format!("{field}[{index}].valueFrom");
        match secret.get("valueFrom") {
            Some(Value::String(value_from)) => {
                if let Err(reason) = parse_value_from(value_from) {
                    check.push(&value_field, secret.get("valueFrom"), reason);
                }
            }
            value => check.push(&value_field, value, "must be a string"),
        }
    }
    names
}

fn check_environment(
    check: &mut ContainerCheck,
    environment: Option<&Value>,
    secret_names: &[&str],
) {
    let Some(environment) = environment else {
        return;
    };
    let Some(variables) = environment.as_array() else {
        check.push(
            "environment",
            None,
            "must be an array of {\"name\", \"value\"} objects",
        );
        return;
    };

    // Values are never shown, because environment often contains plaintext credentials.
    for (index, variable) in variables.iter().enumerate() {
        let field = format!("environment[{index}].name");
        match variable.get("name").and_then(Value::as_str) {
            Some("") => check.push(&field, variable.get("name"), "must not be empty"),
            Some(name) if secret_names.contains(&name) => check.push(
                &field,
                variable.get("name"),
                format!("is also a secret of this container; ECS rejects a name in both, so remove {name} from environment or from secrets"),
            ),
            Some(_) => {}
            None => check.push(&field, None, "must be a string"),
        }
    }
}

fn check_repository_credentials(check: &mut ContainerCheck, credentials: Option<&Value>) {
    let Some(credentials) = credentials else {
        return;
    };
    let field = "repositoryCredentials.credentialsParameter";
    match credentials.get("credentialsParameter") {
        Some(Value::String(parameter)) => {
            if let Err(reason) = parse_whole_secret(parameter, true) {
                check.push(field, credentials.get("credentialsParameter"), reason);
            }
        }
        value => check.push(field, value, "must be the ARN of a Secrets Manager secret"),
    }
}

/// ECS fetches secrets, log secrets and registry credentials with the execution
/// role. Register rejects secrets without one, but a missing role for the
/// others only shows as tasks that fail to start.
fn check_execution_role(
    request: &Map<String, Value>,
    containers: &[Value],
    findings: &mut Vec<Finding>,
) {
    let has_role = request
        .get("executionRoleArn")
        .and_then(Value::as_str)
        .is_some_and(|role| !role.is_empty());
    if has_role {
        return;
    }

    for container in containers {
        let needs = needs_execution_role(container);
        let Some(what) = needs else {
            continue;
        };
        let name = container.get("name").and_then(Value::as_str).unwrap_or("?");
        findings.push(Finding {
            container: None,
            field: "executionRoleArn".to_string(),
            value: None,
            reason: format!(
                "container {name} has {what} but the task definition has no executionRoleArn (taskRoleArn is not used to fetch secrets)"
            ),
        });
    }
}

fn needs_execution_role(container: &Value) -> Option<&'static str> {
    let non_empty = |value: Option<&Value>| {
        value
            .and_then(Value::as_array)
            .is_some_and(|list| !list.is_empty())
    };
    if non_empty(container.get("secrets")) {
        Some("secrets")
    } else if non_empty(container.pointer("/logConfiguration/secretOptions")) {
        Some("logConfiguration.secretOptions")
    } else if container.get("repositoryCredentials").is_some() {
        Some("repositoryCredentials")
    } else {
        None
    }
}

fn check_size(request: &Map<String, Value>, findings: &mut Vec<Finding>) {
    // Counting the bytes as they are written avoids building the JSON text.
    struct ByteCount(usize);
    impl std::io::Write for ByteCount {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0 += bytes.len();
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    let mut count = ByteCount(0);
    let size = match serde_json::to_writer(&mut count, request) {
        Ok(()) => count.0,
        Err(_) => 0,
    };
    if size > MAX_JSON_BYTES {
        findings.push(task_finding(
            "(whole task definition)",
            None,
            format!("is {size} bytes as compact JSON; ECS allows at most {MAX_JSON_BYTES}"),
        ));
    }
}
