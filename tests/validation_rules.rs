//! Each validation rule, one test apiece, through the public `validate` API.

use bcos_taskdef::taskdef::{Finding, MAX_JSON_BYTES, validate};
use serde_json::{Value, json};

const SM: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:web-app/db-AbCdEf";

fn valid_task() -> Value {
    json!({
        "family": "web-app",
        "executionRoleArn": "arn:aws:iam::123456789012:role/exec",
        "cpu": "256",
        "memory": "512",
        "containerDefinitions": [{
            "name": "app", "image": "web:1", "cpu": 256, "memory": 512, "memoryReservation": 256,
            "environment": [{"name": "MODE", "value": "prod"}],
            "secrets": [{"name": "DB_PASSWORD", "valueFrom": format!("{SM}:password::")}],
            "logConfiguration": {"logDriver": "awsfirelens", "secretOptions": [{"name": "apikey", "valueFrom": SM}]}
        }],
        "tags": [{"key": "team", "value": "payments"}]
    })
}

fn findings(task: &Value) -> Vec<Finding> {
    validate(task.as_object().unwrap())
}

#[track_caller]
fn assert_one_finding(task: &Value, field: &str, reason_part: &str) {
    let found = findings(task);
    assert_eq!(found.len(), 1, "expected one finding, got {found:#?}");
    assert_eq!(found[0].field, field);
    assert!(found[0].reason.contains(reason_part), "{}", found[0]);
}

#[test]
fn valid_task_has_no_findings() {
    assert_eq!(findings(&valid_task()), []);
}

#[test]
fn secrets_need_execution_role() {
    let mut task = valid_task();
    task.as_object_mut().unwrap().remove("executionRoleArn");

    assert_one_finding(
        &task,
        "executionRoleArn",
        "container app has secrets but the task definition has no executionRoleArn",
    );
}

#[test]
fn log_secret_options_need_execution_role() {
    let mut task = valid_task();
    task.as_object_mut().unwrap().remove("executionRoleArn");
    task["containerDefinitions"][0]["secrets"] = json!([]);

    assert_one_finding(
        &task,
        "executionRoleArn",
        "has logConfiguration.secretOptions",
    );
}

#[test]
fn empty_secret_name_is_a_finding() {
    let mut task = valid_task();
    task["containerDefinitions"][0]["secrets"][0]["name"] = json!("");

    assert_one_finding(&task, "secrets[0].name", "must not be empty");
}

#[test]
fn repeated_secret_name_is_a_finding() {
    let mut task = valid_task();
    task["containerDefinitions"][0]["secrets"] =
        json!([{"name": "A", "valueFrom": "/a"}, {"name": "A", "valueFrom": "/b"}]);

    assert_one_finding(&task, "secrets[1].name", "is repeated");
}

#[test]
fn secret_shared_with_environment_is_a_finding() {
    let mut task = valid_task();
    task["containerDefinitions"][0]["environment"] =
        json!([{"name": "DB_PASSWORD", "value": "hunter2"}]);

    let found = findings(&task);

    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].container.as_deref(), Some("app"));
    assert_eq!(found[0].field, "environment[0].name");
    assert!(
        !found[0].to_string().contains("hunter2"),
        "an environment value was shown: {}",
        found[0]
    );
}

#[test]
fn empty_environment_name_is_a_finding() {
    let mut task = valid_task();
    task["containerDefinitions"][0]["environment"][0]["name"] = json!("");

    assert_one_finding(&task, "environment[0].name", "must not be empty");
}

#[test]
fn malformed_value_from_names_container_field_and_value() {
    let mut task = valid_task();
    task["containerDefinitions"][0]["secrets"][0]["valueFrom"] = json!(format!("{SM}:password"));

    let found = findings(&task);

    assert_eq!(found.len(), 1, "{found:#?}");
    let line = found[0].to_string();
    assert!(
        line.starts_with("container app: secrets[0].valueFrom = \"arn:aws:secretsmanager:"),
        "{line}"
    );
    assert!(line.contains("has 2 fields after \"secret:\""), "{line}");
}

#[test]
fn malformed_secret_option_is_a_finding() {
    let mut task = valid_task();
    task["containerDefinitions"][0]["logConfiguration"]["secretOptions"][0]["valueFrom"] =
        json!("/a//b");

    assert_one_finding(
        &task,
        "logConfiguration.secretOptions[0].valueFrom",
        "empty path segment",
    );
}

#[test]
fn repository_credentials_take_a_whole_secret() {
    let mut task = valid_task();
    task["containerDefinitions"][0]["repositoryCredentials"] =
        json!({"credentialsParameter": format!("{SM}:user::")});

    assert_one_finding(
        &task,
        "repositoryCredentials.credentialsParameter",
        "whole secret",
    );
}

#[test]
fn task_level_sizes_must_be_strings() {
    let mut task = valid_task();
    task["cpu"] = json!(256);
    task["memory"] = json!(512);

    let fields: Vec<String> = findings(&task)
        .into_iter()
        .map(|finding| finding.field)
        .collect();

    assert_eq!(fields, ["cpu", "memory"]);
}

#[test]
fn container_level_sizes_must_be_integers() {
    let mut task = valid_task();
    task["containerDefinitions"][0]["cpu"] = json!("256");
    task["containerDefinitions"][0]["memory"] = json!(512.5);
    task["containerDefinitions"][0]["memoryReservation"] = json!("256");

    let fields: Vec<String> = findings(&task)
        .into_iter()
        .map(|finding| finding.field)
        .collect();

    assert_eq!(fields, ["cpu", "memory", "memoryReservation"]);
}

#[test]
fn eleven_containers_are_too_many() {
    let mut task = valid_task();
    let containers: Vec<Value> = (0..11)
        .map(|i| json!({"name": format!("c{i}"), "image": "x"}))
        .collect();
    task["containerDefinitions"] = json!(containers);

    assert_one_finding(&task, "containerDefinitions", "at most 10");
}

#[test]
fn repeated_container_names_are_a_finding() {
    let mut task = valid_task();
    task["containerDefinitions"] =
        json!([{"name": "a", "image": "x:1"}, {"name": "a", "image": "x:1"}]);

    assert_one_finding(&task, "containerDefinitions[1].name", "unique");
}

#[test]
fn fifty_one_tags_are_too_many() {
    let mut task = valid_task();
    let tags: Vec<Value> = (0..51)
        .map(|i| json!({"key": format!("k{i}"), "value": "v"}))
        .collect();
    task["tags"] = json!(tags);

    assert_one_finding(&task, "tags", "at most 50");
}

#[test]
fn size_over_64_kib_is_a_finding() {
    let mut task = valid_task();
    let filler = "x".repeat(MAX_JSON_BYTES);
    task["containerDefinitions"][0]["environment"] = json!([{"name": "FILLER", "value": filler}]);

    assert_one_finding(&task, "(whole task definition)", "at most 65536");
}

#[test]
fn missing_family_is_a_finding() {
    let mut task = valid_task();
    task.as_object_mut().unwrap().remove("family");

    assert_one_finding(&task, "family", "non-empty string");
}
