//! Public failure reports that a pure transform must handle, run through the
//! binary: read-only keys, the describe wrapper, console nulls, lost tags, a
//! sidecar at position 0, re-run duplicates, a secret that is also an
//! environment variable, and a missing execution role. The expected outputs and
//! messages are written out from the reports, not captured from the tool.

#[path = "cli_common/mod.rs"]
mod support;

use serde_json::{Value, json};

use support::{
    C01_REGISTER_INPUT, EXECUTION_ROLE, assert_bad_input, assert_stderr_has, assert_stderr_lacks,
    assert_success, case_input, container, run, stdout_json, to_bytes,
};

const C02_REGISTER_INPUT: &str = r#"{"family":"web-app","containerDefinitions":[{"name":"app","image":"123456789012.dkr.ecr.us-east-1.amazonaws.com/web-app:1.4.2","essential":true}],"requiresCompatibilities":["EC2"],"memory":"512","tags":[{"key":"team","value":"payments"}]}"#;

const C04_REGISTER_INPUT: &str = r#"{"family":"web-app","memory":"512","volumes":[],"containerDefinitions":[{"name":"app","image":"123456789012.dkr.ecr.us-east-1.amazonaws.com/web-app:1.4.2","essential":true,"cpu":0,"mountPoints":[]}]}"#;

const C06_REGISTER_INPUT: &str = r#"{"family":"web-app","containerDefinitions":[{"name":"app","image":"123456789012.dkr.ecr.us-east-1.amazonaws.com/web-app:1.4.2","essential":true}],"networkMode":"awsvpc","requiresCompatibilities":["FARGATE"],"cpu":"256","memory":"512","tags":[{"key":"cost-center","value":"cc-1234"},{"key":"env","value":"prod"}]}"#;

const C08_DB_PASSWORD: &str =
    "DB_PASSWORD=arn:aws:secretsmanager:us-east-1:123456789012:secret:web-app/db-AbCdEf:password::";
const C08_API_TOKEN: &str =
    "API_TOKEN=arn:aws:ssm:us-east-1:123456789012:parameter/web-app/api-token";
const C08_SECRETS: &str = r#"[{"name":"DB_PASSWORD","valueFrom":"arn:aws:secretsmanager:us-east-1:123456789012:secret:web-app/db-AbCdEf:password::"},{"name":"API_TOKEN","valueFrom":"arn:aws:ssm:us-east-1:123456789012:parameter/web-app/api-token"}]"#;

const C09_DB_USER: &str =
    "DB_USER=arn:aws:secretsmanager:us-east-1:123456789012:secret:web-app/db-AbCdEf:username::";

const C11_MESSAGE: &str = "container app has secrets but the task definition has no executionRoleArn (taskRoleArn is not used to fetch secrets)";

#[track_caller]
fn strip_compact(id: &str) -> String {
    let result = run(&["strip", "--compact"], Some(&to_bytes(&case_input(id))));
    assert_success(&result);
    result.stdout
}

#[track_caller]
fn add_c08_secrets(input: &[u8]) -> support::Run {
    run(
        &[
            "add-secrets",
            "--container",
            "app",
            "--secret",
            C08_DB_PASSWORD,
            "--secret",
            C08_API_TOKEN,
        ],
        Some(input),
    )
}

#[test]
fn strip_drops_newer_read_only_keys() {
    assert_eq!(strip_compact("C01"), format!("{C01_REGISTER_INPUT}\n"));
}

#[test]
fn removed_keys_listed_only_verbose() {
    let input = to_bytes(&case_input("C01"));

    let normal = run(&["strip"], Some(&input));
    let verbose = run(&["--verbose", "strip"], Some(&input));

    // Removing read-only keys is expected, so only --verbose reports it.
    assert_success(&normal);
    assert_stderr_lacks(&normal, "registeredAt");
    assert_success(&verbose);
    assert_stderr_has(&verbose, "registeredAt");
    assert_stderr_has(&verbose, "registeredBy");
}

#[test]
fn strip_unwraps_describe_output() {
    assert_eq!(strip_compact("C02"), format!("{C02_REGISTER_INPUT}\n"));
}

#[test]
fn strip_console_nulls_exact() {
    assert_eq!(strip_compact("C04"), format!("{C04_REGISTER_INPUT}\n"));
}

#[test]
fn strip_keeps_describe_tags() {
    assert_eq!(strip_compact("C06"), format!("{C06_REGISTER_INPUT}\n"));
}

#[test]
fn add_ambiguous_container_lists_names() {
    let result = run(
        &["add-secrets", "--secret", "API_TOKEN=/web-app/api-token"],
        Some(&to_bytes(&case_input("C07"))),
    );

    assert_bad_input(&result);
    assert_stderr_has(
        &result,
        "web-app has 2 containers (otel-collector, app); pass --container NAME",
    );
}

#[test]
fn add_unknown_container_lists_names() {
    let result = run(
        &[
            "add-secrets",
            "--container",
            "web",
            "--secret",
            "API_TOKEN=/web-app/api-token",
        ],
        Some(&to_bytes(&case_input("C07"))),
    );

    assert_bad_input(&result);
    assert_stderr_has(
        &result,
        "container 'web' not found in web-app (containers: otel-collector, app)",
    );
}

#[test]
fn remove_unknown_container_lists_names() {
    let result = run(
        &["remove-secrets", "--container", "web", "API_TOKEN"],
        Some(&to_bytes(&case_input("C07"))),
    );

    assert_bad_input(&result);
    assert_stderr_has(
        &result,
        "container 'web' not found in web-app (containers: otel-collector, app)",
    );
}

#[test]
fn add_named_container_leaves_sidecar() {
    // Any secret needs an execution role, and this input has none. Adding one
    // lets the edit succeed, so only the choice of container is tested.
    let mut input = case_input("C07");
    input["executionRoleArn"] = json!(EXECUTION_ROLE);
    let sidecar_before = container(&input, "otel-collector").clone();

    let result = run(
        &[
            "add-secrets",
            "--container",
            "app",
            "--secret",
            "API_TOKEN=/web-app/api-token",
        ],
        Some(&to_bytes(&input)),
    );
    let output = stdout_json(&result);

    assert_eq!(container(&output, "otel-collector"), &sidecar_before);
    assert_eq!(
        container(&output, "app")["secrets"],
        json!([{"name": "API_TOKEN", "valueFrom": "/web-app/api-token"}])
    );
    assert_eq!(output["containerDefinitions"][0]["name"], "otel-collector");
}

#[test]
fn upsert_reports_unchanged_and_added() {
    let result = add_c08_secrets(&to_bytes(&case_input("C08")));

    assert_success(&result);
    assert_stderr_has(&result, "unchanged DB_PASSWORD, added API_TOKEN");
}

#[test]
fn upsert_exact_secrets() {
    let result = add_c08_secrets(&to_bytes(&case_input("C08")));
    let output = stdout_json(&result);

    let expected: Value = serde_json::from_str(C08_SECRETS).unwrap();
    assert_eq!(container(&output, "app")["secrets"], expected);
}

#[test]
fn upsert_changes_only_secrets() {
    let input = case_input("C08");

    let result = add_c08_secrets(&to_bytes(&input));
    let output = stdout_json(&result);

    let mut expected = input.clone();
    expected["containerDefinitions"][0]["secrets"] = serde_json::from_str(C08_SECRETS).unwrap();
    assert_eq!(output, expected);
}

#[test]
fn upsert_rerun_byte_identical() {
    let first = add_c08_secrets(&to_bytes(&case_input("C08")));
    assert_success(&first);

    let second = add_c08_secrets(first.stdout.as_bytes());

    assert_success(&second);
    assert_eq!(second.stdout, first.stdout);
    assert_stderr_has(&second, "unchanged DB_PASSWORD, unchanged API_TOKEN");
}

#[test]
fn duplicate_source_secret_fails() {
    let mut input = case_input("C08");
    let secrets = input["containerDefinitions"][0]["secrets"]
        .as_array_mut()
        .unwrap();
    secrets.push(secrets[0].clone());

    let result = add_c08_secrets(&to_bytes(&input));

    assert_bad_input(&result);
    assert_stderr_has(
        &result,
        "container app already has duplicate secret DB_PASSWORD; fix the source task definition",
    );
}

#[test]
fn environment_clash_fails() {
    let result = run(
        &["add-secrets", "--container", "app", "--secret", C09_DB_USER],
        Some(&to_bytes(&case_input("C09"))),
    );

    assert_bad_input(&result);
    assert_stderr_has(
        &result,
        "secret DB_USER: container app already sets DB_USER in environment; remove it from environment (or pass --move-from-environment)",
    );
}

#[test]
fn move_from_environment_exact() {
    let input = case_input("C09");

    let result = run(
        &[
            "add-secrets",
            "--container",
            "app",
            "--secret",
            C09_DB_USER,
            "--move-from-environment",
        ],
        Some(&to_bytes(&input)),
    );
    let output = stdout_json(&result);

    // Only the environment entry goes and the secret arrives, at the end of
    // the container because it had no `secrets` before.
    let mut expected = input.clone();
    let app = expected["containerDefinitions"][0].as_object_mut().unwrap();
    app["environment"] = json!([{"name": "DB_HOST", "value": "db.internal.example"}]);
    app.insert(
        "secrets".to_string(),
        json!([{"name": "DB_USER", "valueFrom": "arn:aws:secretsmanager:us-east-1:123456789012:secret:web-app/db-AbCdEf:username::"}]),
    );
    assert_eq!(output, expected);
    assert_eq!(
        support::keys_of(&output["containerDefinitions"][0]),
        support::keys_of(&expected["containerDefinitions"][0])
    );
}

#[test]
fn strip_secrets_need_execution_role() {
    let result = run(&["strip"], Some(&to_bytes(&case_input("C11"))));

    assert_bad_input(&result);
    assert_stderr_has(&result, C11_MESSAGE);
}

#[test]
fn validate_reports_missing_role() {
    let result = run(&["validate"], Some(&to_bytes(&case_input("C11"))));

    assert_eq!(result.code, Some(2));
    assert!(
        result.stdout.contains(C11_MESSAGE),
        "stdout lacks the finding:\n{}",
        result.stdout
    );
}

#[test]
fn first_secret_needs_execution_role() {
    let mut input = case_input("C11");
    input["containerDefinitions"][0]
        .as_object_mut()
        .unwrap()
        .remove("secrets");

    let result = run(
        &[
            "add-secrets",
            "--secret",
            "DB_PASSWORD=arn:aws:ssm:us-east-1:123456789012:parameter/web-app/db-password",
        ],
        Some(&to_bytes(&input)),
    );

    assert_bad_input(&result);
    assert_stderr_has(&result, C11_MESSAGE);
}
