//! `validate` through the binary: exit codes, the text and `--json` findings,
//! and one test per validation rule, including the edges of the ECS quotas.

#[path = "cli_common/mod.rs"]
mod support;

use serde_json::{Value, json};

use support::{
    EXECUTION_ROLE, Run, assert_bad_input, assert_stderr_has, assert_success, case_input, fixture,
    parse, run, to_bytes,
};

const SECRET: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:web-app/db-AbCdEf";

/// Builds a task definition with an execution role and the one container
/// given, which gets an image unless it has one.
fn task_with(mut container: Value) -> Value {
    if container.get("image").is_none() {
        container["image"] = json!("web-app:1");
    }
    json!({
        "family": "web-app",
        "executionRoleArn": EXECUTION_ROLE,
        "containerDefinitions": [container]
    })
}

/// Builds a container named `app` that reads one secret from `value_from`.
fn app_with_secret(value_from: &str) -> Value {
    json!({"name": "app", "image": "web-app:1", "secrets": [{"name": "DB_PASSWORD", "valueFrom": value_from}]})
}

/// Runs `validate --json` on `input` and returns the run and its findings.
#[track_caller]
fn validate_json(input: &Value) -> (Run, Vec<Value>) {
    let result = run(&["validate", "--json"], Some(&to_bytes(input)));
    let findings = match parse(&result.stdout) {
        Value::Array(findings) => findings,
        other => panic!("--json did not print an array: {other}"),
    };
    (result, findings)
}

/// Returns the one finding for `field` (in `container`, or task-level for
/// `None`), failing with the whole list when there is none.
#[track_caller]
fn finding<'a>(findings: &'a [Value], container: Option<&str>, field: &str) -> &'a Value {
    let container = container.map_or(Value::Null, |name| json!(name));
    findings
        .iter()
        .find(|finding| finding["container"] == container && finding["field"] == field)
        .unwrap_or_else(|| panic!("no finding for {container} {field}; findings: {findings:#?}"))
}

/// Checks that `input` has a finding for `field` whose shown value contains `value`.
#[track_caller]
fn assert_finding(input: &Value, container: Option<&str>, field: &str, value: &str) {
    let (result, findings) = validate_json(input);

    assert_eq!(result.code, Some(2), "stderr:\n{}", result.stderr);
    let found = finding(&findings, container, field);
    // The JSON form carries the value itself, so compare its JSON text.
    let shown = found["value"].to_string();
    assert!(shown.contains(value), "value {shown} lacks {value}");
}

/// Checks that `input` passes validation.
#[track_caller]
fn assert_valid(input: &Value) {
    let (result, findings) = validate_json(input);

    assert_eq!(findings, Vec::<Value>::new());
    assert_success(&result);
}

#[test]
fn clean_fixture_exits_0_silently() {
    let path = fixture("bcos-production.describe.json");

    let result = run(&["validate", path.to_str().unwrap()], None);

    assert_success(&result);
    assert_eq!(result.stdout, "");
}

#[test]
fn clean_fixture_json_is_empty_array() {
    let path = fixture("bcos-staging.describe.json");

    let result = run(&["validate", "--json", path.to_str().unwrap()], None);

    assert_success(&result);
    assert_eq!(parse(&result.stdout), json!([]));
}

#[test]
fn validate_reads_stdin_and_dash() {
    let input = to_bytes(&case_input("C11"));

    let from_stdin = run(&["validate"], Some(&input));
    let from_dash = run(&["validate", "-"], Some(&input));

    assert_eq!(from_stdin.code, Some(2));
    assert!(
        from_stdin.stdout.contains("executionRoleArn"),
        "{}",
        from_stdin.stdout
    );
    assert_eq!(from_dash.code, Some(2));
    assert!(
        from_dash.stdout.contains("executionRoleArn"),
        "{}",
        from_dash.stdout
    );
}

#[test]
fn validate_does_not_print_task_definition() {
    let result = run(&["validate"], Some(&to_bytes(&case_input("C01"))));

    assert_success(&result);
    assert_eq!(result.stdout, "");
}

#[test]
fn text_finding_names_container_field_value() {
    let input = task_with(app_with_secret("/web-app//db-password"));

    let result = run(&["validate"], Some(&to_bytes(&input)));

    assert_eq!(result.code, Some(2));
    let lines: Vec<&str> = result.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{}", result.stdout);
    assert!(lines[0].contains("container app"), "{}", lines[0]);
    assert!(lines[0].contains("secrets[0].valueFrom"), "{}", lines[0]);
    assert!(lines[0].contains("/web-app//db-password"), "{}", lines[0]);
}

#[test]
fn json_finding_has_all_fields() {
    let input = task_with(app_with_secret("/web-app//db-password"));

    let (result, findings) = validate_json(&input);

    assert_eq!(result.code, Some(2));
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(findings[0]["container"], "app");
    assert_eq!(findings[0]["field"], "secrets[0].valueFrom");
    assert!(
        findings[0]["value"]
            .as_str()
            .unwrap()
            .contains("/web-app//db-password")
    );
    assert!(
        findings[0]["reason"]
            .as_str()
            .is_some_and(|reason| !reason.is_empty())
    );
}

#[test]
fn every_problem_reported() {
    let input = json!({
        "family": "web-app",
        "cpu": 256,
        "containerDefinitions": [
            {"name": "app", "image": "web-app:1", "memory": "512", "secrets": [{"name": "", "valueFrom": "/web-app/a"}]},
            {"name": "worker", "image": "worker:1", "environment": [{"name": "", "value": "x"}]}
        ]
    });

    let (result, findings) = validate_json(&input);

    assert_eq!(result.code, Some(2));
    finding(&findings, None, "cpu");
    finding(&findings, Some("app"), "memory");
    finding(&findings, Some("app"), "secrets[0].name");
    finding(&findings, Some("worker"), "environment[0].name");
    finding(&findings, None, "executionRoleArn");
    assert_eq!(findings.len(), 5, "{findings:#?}");
}

#[test]
fn malformed_input_is_error_not_finding() {
    let result = run(&["validate", "--json"], Some(b"{\"family\": "));

    assert_bad_input(&result);
    assert_stderr_has(&result, "JSON");
}

#[test]
fn unknown_key_warned_with_findings() {
    // The misspelt `executionRoleArn` is the likely cause of the finding, so the
    // warning that names it must still appear.
    let mut input = task_with(app_with_secret("/web-app/db-password"));
    let role = input
        .as_object_mut()
        .unwrap()
        .remove("executionRoleArn")
        .unwrap();
    input["executionRoleARN"] = role;

    let result = run(&["validate"], Some(&to_bytes(&input)));

    assert_eq!(result.code, Some(2));
    assert!(
        result.stdout.contains("executionRoleArn"),
        "{}",
        result.stdout
    );
    assert_stderr_has(&result, "executionRoleARN");
}

#[test]
fn unknown_key_warned_when_clean() {
    let mut input = task_with(json!({"name": "app", "image": "web-app:1"}));
    input["futureSetting"] = json!(true);

    let result = run(&["validate"], Some(&to_bytes(&input)));

    assert_success(&result);
    assert_stderr_has(&result, "futureSetting");
}

#[test]
fn secrets_need_execution_role() {
    let mut input = task_with(app_with_secret("/web-app/db-password"));
    input.as_object_mut().unwrap().remove("executionRoleArn");

    let (result, findings) = validate_json(&input);

    assert_eq!(result.code, Some(2));
    let found = finding(&findings, None, "executionRoleArn");
    assert!(
        found["reason"].as_str().unwrap().contains("container app"),
        "{found}"
    );
}

#[test]
fn log_secret_options_need_execution_role() {
    let input = json!({
        "family": "web-app",
        "containerDefinitions": [{
            "name": "app",
            "logConfiguration": {
                "logDriver": "awsfirelens",
                "secretOptions": [{"name": "apikey", "valueFrom": "/web-app/log-api-key"}]
            }
        }]
    });

    let (result, findings) = validate_json(&input);

    assert_eq!(result.code, Some(2));
    let found = finding(&findings, None, "executionRoleArn");
    assert!(
        found["reason"].as_str().unwrap().contains("container app"),
        "{found}"
    );
}

#[test]
fn empty_secret_list_needs_no_role() {
    let mut input = task_with(json!({"name": "app", "secrets": []}));
    input.as_object_mut().unwrap().remove("executionRoleArn");

    assert_valid(&input);
}

#[test]
fn empty_secret_name_found() {
    let input =
        task_with(json!({"name": "app", "secrets": [{"name": "", "valueFrom": "/web-app/a"}]}));

    assert_finding(&input, Some("app"), "secrets[0].name", "\"\"");
}

#[test]
fn repeated_secret_name_found() {
    let input = task_with(json!({"name": "app", "secrets": [
        {"name": "DB_PASSWORD", "valueFrom": "/web-app/a"},
        {"name": "DB_PASSWORD", "valueFrom": "/web-app/b"}
    ]}));

    assert_finding(&input, Some("app"), "secrets[1].name", "DB_PASSWORD");
}

#[test]
fn secret_shared_with_environment_found() {
    let input = task_with(json!({
        "name": "app",
        "environment": [{"name": "DB_USER", "value": "app_user"}],
        "secrets": [{"name": "DB_USER", "valueFrom": "/web-app/db-user"}]
    }));

    assert_finding(&input, Some("app"), "environment[0].name", "DB_USER");
}

#[test]
fn shared_name_hides_plain_value() {
    let input = task_with(json!({
        "name": "app",
        "environment": [{"name": "DB_USER", "value": "plaintext-value-7f3a"}],
        "secrets": [{"name": "DB_USER", "valueFrom": "/web-app/db-user"}]
    }));

    let result = run(&["validate"], Some(&to_bytes(&input)));

    assert_eq!(result.code, Some(2));
    assert!(
        !result.stdout.contains("plaintext-value-7f3a"),
        "{}",
        result.stdout
    );
}

#[test]
fn empty_environment_name_found() {
    let input = task_with(json!({"name": "app", "environment": [{"name": "", "value": "x"}]}));

    assert_finding(&input, Some("app"), "environment[0].name", "\"\"");
}

#[test]
fn secrets_manager_forms_accepted() {
    for value_from in [
        SECRET.to_string(),
        format!("{SECRET}:password::"),
        format!("{SECRET}:password:AWSPREVIOUS:"),
        format!("{SECRET}:password::0123abcd-4567"),
        format!("{SECRET}::AWSCURRENT:"),
        "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:rds!db-0a1b2c3d-AbCdEf:password::".to_string(),
    ] {
        assert_valid(&task_with(app_with_secret(&value_from)));
    }
}

#[test]
fn partial_secrets_manager_arn_found() {
    let partial = "arn:aws:secretsmanager:us-east-1:123456789012:secret:web-app/db";

    assert_finding(
        &task_with(app_with_secret(partial)),
        Some("app"),
        "secrets[0].valueFrom",
        partial,
    );
}

#[test]
fn partial_arn_with_key_found() {
    let partial = "arn:aws:secretsmanager:us-east-1:123456789012:secret:web-app/db:password::";

    assert_finding(
        &task_with(app_with_secret(partial)),
        Some("app"),
        "secrets[0].valueFrom",
        partial,
    );
}

#[test]
fn wrong_field_count_found() {
    for tail in [
        ":password",
        ":password:",
        ":password:AWSCURRENT",
        ":a:b:c:d",
    ] {
        let value_from = format!("{SECRET}{tail}");

        assert_finding(
            &task_with(app_with_secret(&value_from)),
            Some("app"),
            "secrets[0].valueFrom",
            &value_from,
        );
    }
}

#[test]
fn stage_and_id_together_found() {
    let value_from = format!("{SECRET}:password:AWSCURRENT:0123abcd-4567");

    assert_finding(
        &task_with(app_with_secret(&value_from)),
        Some("app"),
        "secrets[0].valueFrom",
        &value_from,
    );
}

#[test]
fn ssm_forms_accepted() {
    for value_from in [
        "arn:aws:ssm:us-east-1:123456789012:parameter/web-app/db-password",
        "arn:aws:ssm:eu-west-1:123456789012:parameter/db-password",
        "/web-app/db-password",
        "db-password",
    ] {
        assert_valid(&task_with(app_with_secret(value_from)));
    }
}

#[test]
fn ssm_empty_segment_found() {
    for value_from in [
        "/web-app//db-password",
        "/web-app/db-password/",
        "arn:aws:ssm:us-east-1:123456789012:parameter/web-app//db-password",
        "arn:aws:ssm:us-east-1:123456789012:parameter/web-app/",
        "arn:aws:ssm:us-east-1:123456789012:parameter/",
    ] {
        assert_finding(
            &task_with(app_with_secret(value_from)),
            Some("app"),
            "secrets[0].valueFrom",
            value_from,
        );
    }
}

#[test]
fn empty_value_from_found() {
    assert_finding(
        &task_with(app_with_secret("")),
        Some("app"),
        "secrets[0].valueFrom",
        "\"\"",
    );
}

#[test]
fn secret_options_value_from_checked() {
    let bad = "arn:aws:secretsmanager:us-east-1:123456789012:secret:datadog/api-key";
    let input = task_with(json!({
        "name": "app",
        "logConfiguration": {
            "logDriver": "awsfirelens",
            "secretOptions": [{"name": "apikey", "valueFrom": bad}]
        }
    }));

    assert_finding(
        &input,
        Some("app"),
        "logConfiguration.secretOptions[0].valueFrom",
        bad,
    );
}

#[test]
fn task_cpu_number_found() {
    let mut input = task_with(json!({"name": "app"}));
    input["cpu"] = json!(256);

    assert_finding(&input, None, "cpu", "256");
}

#[test]
fn task_memory_number_found() {
    let mut input = task_with(json!({"name": "app"}));
    input["memory"] = json!(512);

    assert_finding(&input, None, "memory", "512");
}

#[test]
fn task_size_strings_accepted() {
    let mut input = task_with(json!({"name": "app"}));
    input["cpu"] = json!("1 vCPU");
    input["memory"] = json!("2048");

    assert_valid(&input);
}

#[test]
fn container_sizes_as_strings_found() {
    for field in ["cpu", "memory", "memoryReservation"] {
        let input = task_with(json!({"name": "app", field: "512"}));

        assert_finding(&input, Some("app"), field, "512");
    }
}

#[test]
fn container_size_fraction_found() {
    let input = task_with(json!({"name": "app", "cpu": 0.5}));

    assert_finding(&input, Some("app"), "cpu", "0.5");
}

#[test]
fn container_size_integers_accepted() {
    assert_valid(&task_with(
        json!({"name": "app", "cpu": 0, "memory": 512, "memoryReservation": 256}),
    ));
}

#[test]
fn ten_containers_accepted() {
    let containers: Vec<Value> = (0..10)
        .map(|i| json!({"name": format!("c{i}"), "image": "x:1"}))
        .collect();
    let input = json!({"family": "web-app", "containerDefinitions": containers});

    assert_valid(&input);
}

#[test]
fn missing_or_empty_image_found() {
    let input = json!({"family": "web-app", "containerDefinitions": [
        {"name": "app"}, {"name": "sidecar", "image": ""}
    ]});

    let (result, findings) = validate_json(&input);

    assert_eq!(result.code, Some(2));
    finding(&findings, Some("app"), "image");
    finding(&findings, Some("sidecar"), "image");
}

#[test]
fn eleven_containers_found() {
    let containers: Vec<Value> = (0..11)
        .map(|i| json!({"name": format!("c{i}"), "image": "x:1"}))
        .collect();
    let input = json!({"family": "web-app", "containerDefinitions": containers});

    let (result, findings) = validate_json(&input);

    assert_eq!(result.code, Some(2));
    let found = finding(&findings, None, "containerDefinitions");
    assert!(found["reason"].as_str().unwrap().contains("11"), "{found}");
}

fn tags(count: usize) -> Vec<Value> {
    (0..count)
        .map(|i| json!({"key": format!("k{i}"), "value": "v"}))
        .collect()
}

#[test]
fn fifty_tags_accepted() {
    let mut input = task_with(json!({"name": "app"}));
    input["tags"] = json!(tags(50));

    assert_valid(&input);
}

#[test]
fn fifty_one_tags_found() {
    let mut input = task_with(json!({"name": "app"}));
    input["tags"] = json!(tags(51));

    let (result, findings) = validate_json(&input);

    assert_eq!(result.code, Some(2));
    let found = finding(&findings, None, "tags");
    assert!(found["reason"].as_str().unwrap().contains("51"), "{found}");
}

#[test]
fn aws_tag_not_counted() {
    // `aws:` tags are dropped before register, so 50 others still fit.
    let mut outer = tags(50);
    outer.push(json!({"key": "aws:cloudformation:stack-name", "value": "BCOS-AppStack"}));
    let input = json!({"taskDefinition": task_with(json!({"name": "app"})), "tags": outer});

    assert_valid(&input);
}

/// Builds a task definition whose compact JSON is exactly `size` bytes.
fn task_of_size(size: usize) -> Value {
    let with_value = |value: String| {
        json!({
            "family": "web-app",
            "containerDefinitions": [{"name": "app", "image": "x:1", "environment": [{"name": "PAD", "value": value}]}]
        })
    };
    let base = serde_json::to_vec(&with_value(String::new()))
        .unwrap()
        .len();
    let task = with_value("x".repeat(size - base));
    assert_eq!(serde_json::to_vec(&task).unwrap().len(), size);
    task
}

#[test]
fn size_65536_bytes_accepted() {
    assert_valid(&task_of_size(65_536));
}

#[test]
fn size_65537_bytes_found() {
    let (result, findings) = validate_json(&task_of_size(65_537));

    assert_eq!(result.code, Some(2));
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert!(
        findings[0]["reason"].as_str().unwrap().contains("65537"),
        "{:#}",
        findings[0]
    );
}

#[test]
fn empty_container_list_found() {
    let input = json!({"family": "web-app", "containerDefinitions": []});

    let (result, findings) = validate_json(&input);

    assert_eq!(result.code, Some(2));
    finding(&findings, None, "containerDefinitions");
}

#[test]
fn missing_family_found() {
    let input = json!({"containerDefinitions": [{"name": "app"}]});

    let (result, findings) = validate_json(&input);

    assert_eq!(result.code, Some(2));
    finding(&findings, None, "family");
}
