//! `add-secrets` and `remove-secrets` through the binary: choosing the
//! container, the upsert, `--replace`, `--secret-key` with an inferred or given
//! secret ARN, bad flag values, and how `remove-secrets` splits `[FILE] NAME...`.

#[path = "cli_common/mod.rs"]
mod support;

use serde_json::{Value, json};

use support::{
    EXECUTION_ROLE, assert_bad_input, assert_stderr_has, assert_success, case_input, container,
    dir_entries, fixture, run, run_in, stdout_json, to_bytes,
};

/// The secret the production fixture's `bcos` container reads its keys from.
const PRODUCTION_SECRET: &str =
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:bcos/production/app-Hn4Wk9";
const OTHER_SECRET: &str =
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:shared/keys-Zz9Yy8";

fn production_path() -> String {
    fixture("bcos-production.describe.json")
        .to_str()
        .unwrap()
        .to_string()
}

fn production_input() -> Value {
    let text = std::fs::read_to_string(production_path()).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn names_of(secrets: &Value) -> Vec<&str> {
    secrets
        .as_array()
        .unwrap_or_else(|| panic!("secrets is not an array: {secrets}"))
        .iter()
        .map(|secret| secret["name"].as_str().unwrap())
        .collect()
}

/// Builds a one-container task definition with an execution role and `secrets`.
fn single_container(secrets: Value) -> Value {
    json!({
        "family": "web-app",
        "executionRoleArn": EXECUTION_ROLE,
        "containerDefinitions": [{"name": "app", "image": "web-app:1", "secrets": secrets}]
    })
}

#[test]
fn add_defaults_to_bcos_container() {
    let path = production_path();
    let sidecar_before = container(&production_input()["taskDefinition"], "datadog-agent").clone();

    let result = run(
        &[
            "add-secrets",
            &path,
            "--secret",
            "FEATURE_FLAG_KEY=/bcos/production/flags",
        ],
        None,
    );
    let output = stdout_json(&result);

    assert_eq!(
        names_of(&container(&output, "bcos")["secrets"]),
        [
            "DATABASE_URL",
            "JWT_SECRET",
            "SESSION_SECRET",
            "FEATURE_FLAG_KEY"
        ]
    );
    assert_eq!(container(&output, "datadog-agent"), &sidecar_before);
    assert_stderr_has(&result, "container bcos: added FEATURE_FLAG_KEY");
}

#[test]
fn add_container_flag_beats_bcos() {
    let path = production_path();

    let result = run(
        &[
            "add-secrets",
            &path,
            "--container",
            "datadog-agent",
            "--secret",
            "DD_APP_KEY=arn:aws:ssm:us-east-1:123456789012:parameter/bcos/production/datadog-app-key",
        ],
        None,
    );
    let output = stdout_json(&result);

    assert_eq!(
        names_of(&container(&output, "datadog-agent")["secrets"]),
        ["DD_API_KEY", "DD_APP_KEY"]
    );
    assert_eq!(
        names_of(&container(&output, "bcos")["secrets"]),
        ["DATABASE_URL", "JWT_SECRET", "SESSION_SECRET"]
    );
}

#[test]
fn add_picks_only_container() {
    let input = single_container(json!([]));

    let result = run(
        &["add-secrets", "--secret", "API_TOKEN=/web-app/api-token"],
        Some(&to_bytes(&input)),
    );
    let output = stdout_json(&result);

    assert_eq!(
        container(&output, "app")["secrets"],
        json!([{"name": "API_TOKEN", "valueFrom": "/web-app/api-token"}])
    );
}

#[test]
fn add_reads_dash_as_stdin() {
    let input = single_container(json!([]));

    let result = run(
        &[
            "add-secrets",
            "-",
            "--secret",
            "API_TOKEN=/web-app/api-token",
        ],
        Some(&to_bytes(&input)),
    );
    let output = stdout_json(&result);

    assert_eq!(
        names_of(&container(&output, "app")["secrets"]),
        ["API_TOKEN"]
    );
}

#[test]
fn add_writes_output_file() {
    let dir = tempfile::tempdir().unwrap();
    let input = single_container(json!([]));

    let result = run_in(
        dir.path(),
        &[
            "add-secrets",
            "--secret",
            "API_TOKEN=/web-app/api-token",
            "-o",
            "new.json",
        ],
        Some(&to_bytes(&input)),
    );

    assert_success(&result);
    assert_eq!(result.stdout, "");
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("new.json")).unwrap())
            .unwrap();
    assert_eq!(
        names_of(&container(&written, "app")["secrets"]),
        ["API_TOKEN"]
    );
    assert_eq!(dir_entries(dir.path()), ["new.json"]);
}

#[test]
fn add_other_value_from_is_conflict() {
    let existing = format!("{PRODUCTION_SECRET}:DATABASE_URL::");
    let path = production_path();

    let result = run(
        &[
            "add-secrets",
            &path,
            "--secret",
            "DATABASE_URL=/bcos/production/database-url",
        ],
        None,
    );

    assert_bad_input(&result);
    assert_stderr_has(&result, "DATABASE_URL");
    assert_stderr_has(&result, "container bcos");
    assert_stderr_has(&result, &existing);
    assert_stderr_has(&result, "/bcos/production/database-url");
    assert_stderr_has(&result, "--replace");
}

#[test]
fn add_replace_changes_in_place() {
    let path = production_path();

    let result = run(
        &[
            "add-secrets",
            &path,
            "--replace",
            "--secret",
            "JWT_SECRET=/bcos/production/jwt-secret",
        ],
        None,
    );
    let output = stdout_json(&result);

    let secrets = &container(&output, "bcos")["secrets"];
    assert_eq!(
        names_of(secrets),
        ["DATABASE_URL", "JWT_SECRET", "SESSION_SECRET"]
    );
    assert_eq!(secrets[1]["valueFrom"], "/bcos/production/jwt-secret");
    assert_stderr_has(&result, "replaced JWT_SECRET");
}

#[test]
fn add_same_value_from_is_unchanged() {
    let path = production_path();
    let existing = format!("JWT_SECRET={PRODUCTION_SECRET}:JWT_SECRET::");

    let result = run(&["add-secrets", &path, "--secret", &existing], None);
    let output = stdout_json(&result);

    assert_eq!(
        names_of(&container(&output, "bcos")["secrets"]),
        ["DATABASE_URL", "JWT_SECRET", "SESSION_SECRET"]
    );
    assert_stderr_has(&result, "unchanged JWT_SECRET");
}

#[test]
fn secret_key_infers_secret_arn() {
    let path = production_path();

    let result = run(
        &[
            "add-secrets",
            &path,
            "--secret-key",
            "WEBAUTHN_RP_ID",
            "--secret-key",
            "MFA_TEMP_TOKEN_SECRET",
        ],
        None,
    );
    let output = stdout_json(&result);

    let secrets = &container(&output, "bcos")["secrets"];
    assert_eq!(
        secrets[3],
        json!({"name": "WEBAUTHN_RP_ID", "valueFrom": format!("{PRODUCTION_SECRET}:WEBAUTHN_RP_ID::")})
    );
    assert_eq!(
        secrets[4],
        json!({"name": "MFA_TEMP_TOKEN_SECRET", "valueFrom": format!("{PRODUCTION_SECRET}:MFA_TEMP_TOKEN_SECRET::")})
    );
    assert_eq!(secrets.as_array().unwrap().len(), 5);
}

#[test]
fn secret_key_name_differs_from_key() {
    let path = production_path();

    let result = run(
        &["add-secrets", &path, "--secret-key", "RP_ID=webauthn_rp_id"],
        None,
    );
    let output = stdout_json(&result);

    assert_eq!(
        container(&output, "bcos")["secrets"][3],
        json!({"name": "RP_ID", "valueFrom": format!("{PRODUCTION_SECRET}:webauthn_rp_id::")})
    );
}

#[test]
fn secret_key_uses_given_arn() {
    let path = production_path();

    let result = run(
        &[
            "add-secrets",
            &path,
            "--secret-key",
            "SIGNING_KEY",
            "--secret-arn",
            OTHER_SECRET,
        ],
        None,
    );
    let output = stdout_json(&result);

    assert_eq!(
        container(&output, "bcos")["secrets"][3]["valueFrom"],
        format!("{OTHER_SECRET}:SIGNING_KEY::")
    );
}

#[test]
fn secret_key_without_source_secret_fails() {
    let path = production_path();

    // The Datadog sidecar reads only an SSM parameter, so no secret ARN can be inferred.
    let result = run(
        &[
            "add-secrets",
            &path,
            "--container",
            "datadog-agent",
            "--secret-key",
            "DD_APP_KEY",
        ],
        None,
    );

    assert_bad_input(&result);
    assert_stderr_has(&result, "--secret-arn");
    assert_stderr_has(&result, "datadog-agent");
}

#[test]
fn secret_key_with_two_sources_fails() {
    let input = single_container(json!([
        {"name": "A", "valueFrom": format!("{PRODUCTION_SECRET}:A::")},
        {"name": "B", "valueFrom": format!("{OTHER_SECRET}:B::")}
    ]));

    let result = run(
        &["add-secrets", "--secret-key", "C"],
        Some(&to_bytes(&input)),
    );

    assert_bad_input(&result);
    assert_stderr_has(&result, "--secret-arn");
    assert_stderr_has(&result, PRODUCTION_SECRET);
    assert_stderr_has(&result, OTHER_SECRET);
}

#[test]
fn secret_arn_partial_rejected() {
    let path = production_path();
    let partial = "arn:aws:secretsmanager:us-east-1:123456789012:secret:bcos/production/app";

    let result = run(
        &[
            "add-secrets",
            &path,
            "--secret-key",
            "K",
            "--secret-arn",
            partial,
        ],
        None,
    );

    assert_bad_input(&result);
    assert_stderr_has(&result, "--secret-arn");
    assert_stderr_has(&result, partial);
}

#[test]
fn secret_arn_with_json_key_rejected() {
    let path = production_path();
    let with_key = format!("{PRODUCTION_SECRET}:DATABASE_URL::");

    let result = run(
        &[
            "add-secrets",
            &path,
            "--secret-key",
            "K",
            "--secret-arn",
            &with_key,
        ],
        None,
    );

    assert_bad_input(&result);
    assert_stderr_has(&result, "--secret-arn");
    assert_stderr_has(&result, &with_key);
}

#[test]
fn secret_arn_needs_secret_key() {
    let path = production_path();

    let result = run(
        &[
            "add-secrets",
            &path,
            "--secret",
            "A=/bcos/a",
            "--secret-arn",
            OTHER_SECRET,
        ],
        None,
    );

    assert_bad_input(&result);
    assert_stderr_has(&result, "--secret-key");
}

#[test]
fn add_without_secrets_is_usage_error() {
    let path = production_path();

    let result = run(&["add-secrets", &path], None);

    assert_bad_input(&result);
    assert_stderr_has(&result, "--secret");
}

#[test]
fn malformed_secret_flag_rejected() {
    let path = production_path();

    for value in ["API_TOKEN", "=/web-app/api-token", "API_TOKEN="] {
        let result = run(&["add-secrets", &path, "--secret", value], None);

        assert_bad_input(&result);
        assert_stderr_has(&result, "--secret");
        assert_stderr_has(&result, value);
    }
}

#[test]
fn malformed_secret_key_rejected() {
    let path = production_path();

    for value in ["", "a:b", "NAME=", "=key"] {
        let result = run(&["add-secrets", &path, "--secret-key", value], None);

        assert_bad_input(&result);
        assert_stderr_has(&result, "--secret-key");
    }
}

#[test]
fn malformed_value_from_rejected() {
    let path = production_path();
    let bad_values = [
        // A JSON key without the version fields: two fields after `secret:`.
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:bcos/app-AbCdEf:password",
        // No 6-character suffix.
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:bcos/app:password::",
        // Version stage and version id together.
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:bcos/app-AbCdEf:password:AWSCURRENT:0123",
        // Empty SSM path segments.
        "/bcos//api-token",
        "arn:aws:ssm:us-east-1:123456789012:parameter/bcos/api-token/",
        // Not a secret service at all.
        "arn:aws:s3:::bcos-bucket/key",
    ];

    for value_from in bad_values {
        let flag = format!("API_TOKEN={value_from}");

        let result = run(&["add-secrets", &path, "--secret", &flag], None);

        assert_bad_input(&result);
        assert_stderr_has(&result, value_from);
    }
}

#[test]
fn same_name_twice_differently_rejected() {
    let path = production_path();

    let result = run(
        &[
            "add-secrets",
            &path,
            "--secret",
            "API_TOKEN=/bcos/a",
            "--secret",
            "API_TOKEN=/bcos/b",
        ],
        None,
    );

    assert_bad_input(&result);
    assert_stderr_has(&result, "API_TOKEN");
    assert_stderr_has(&result, "/bcos/a");
    assert_stderr_has(&result, "/bcos/b");
}

#[test]
fn secrets_not_array_named() {
    let input = single_container(json!("DB_PASSWORD"));

    let result = run(
        &["add-secrets", "--secret", "API_TOKEN=/web-app/api-token"],
        Some(&to_bytes(&input)),
    );

    assert_bad_input(&result);
    assert_stderr_has(&result, "container app");
    assert_stderr_has(&result, "secrets");
}

#[test]
fn add_to_empty_container_list_named() {
    let input = json!({"family": "web-app", "executionRoleArn": EXECUTION_ROLE, "containerDefinitions": []});

    let result = run(
        &["add-secrets", "--secret", "API_TOKEN=/web-app/api-token"],
        Some(&to_bytes(&input)),
    );

    assert_bad_input(&result);
    assert_stderr_has(&result, "containerDefinitions");
}

#[test]
fn add_validates_other_containers() {
    let mut input = production_input();
    input["taskDefinition"]["containerDefinitions"][0]["secrets"][0]["valueFrom"] =
        json!("/bcos//datadog-api-key");

    let result = run(
        &["add-secrets", "--secret", "API_TOKEN=/bcos/api-token"],
        Some(&to_bytes(&input)),
    );

    assert_bad_input(&result);
    assert_stderr_has(&result, "datadog-agent");
    assert_stderr_has(&result, "secrets[0].valueFrom");
    assert_stderr_has(&result, "/bcos//datadog-api-key");
}

#[test]
fn remove_file_then_names() {
    let path = production_path();

    let result = run(
        &["remove-secrets", &path, "JWT_SECRET", "SESSION_SECRET"],
        None,
    );
    let output = stdout_json(&result);

    assert_eq!(
        names_of(&container(&output, "bcos")["secrets"]),
        ["DATABASE_URL"]
    );
    assert_stderr_has(&result, "removed JWT_SECRET, removed SESSION_SECRET");
}

#[test]
fn remove_names_only_reads_stdin() {
    let input = to_bytes(&production_input());

    let result = run(
        &["remove-secrets", "JWT_SECRET", "SESSION_SECRET"],
        Some(&input),
    );
    let output = stdout_json(&result);

    assert_eq!(
        names_of(&container(&output, "bcos")["secrets"]),
        ["DATABASE_URL"]
    );
}

#[test]
fn remove_dash_then_names() {
    let input = to_bytes(&production_input());

    let result = run(&["remove-secrets", "-", "JWT_SECRET"], Some(&input));
    let output = stdout_json(&result);

    assert_eq!(
        names_of(&container(&output, "bcos")["secrets"]),
        ["DATABASE_URL", "SESSION_SECRET"]
    );
}

#[test]
fn remove_existing_file_name_is_file() {
    // A first argument that names an existing file is the input, even when it
    // looks like a secret name.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("JWT_SECRET"), to_bytes(&production_input())).unwrap();
    let other = to_bytes(&case_input("C08"));

    let result = run_in(
        dir.path(),
        &["remove-secrets", "JWT_SECRET", "SESSION_SECRET"],
        Some(&other),
    );
    let output = stdout_json(&result);

    assert_eq!(output["family"], "bcos-production");
    assert_eq!(
        names_of(&container(&output, "bcos")["secrets"]),
        ["DATABASE_URL", "JWT_SECRET"]
    );
}

#[test]
fn remove_missing_json_file_is_named() {
    let input = to_bytes(&production_input());

    let result = run(
        &["remove-secrets", "missing.json", "JWT_SECRET"],
        Some(&input),
    );

    assert_bad_input(&result);
    assert_stderr_has(&result, "cannot read missing.json: no such file");
}

#[test]
fn remove_missing_file_named_on_empty_stdin() {
    // A mistyped file name becomes a secret name, and the input then comes from
    // an empty stdin. The message has to point at the argument that was typed.
    let dir = tempfile::tempdir().unwrap();

    let result = run_in(
        dir.path(),
        &["remove-secrets", "td.jsno", "JWT_SECRET"],
        Some(b""),
    );

    assert_bad_input(&result);
    assert_stderr_has(&result, "td.jsno");
}

#[test]
fn remove_file_without_names_fails() {
    let path = production_path();

    let result = run(&["remove-secrets", &path], None);

    assert_bad_input(&result);
    assert_stderr_has(&result, "names");
}

#[test]
fn remove_dash_without_names_fails() {
    let input = to_bytes(&production_input());

    let result = run(&["remove-secrets", "-"], Some(&input));

    assert_bad_input(&result);
    assert_stderr_has(&result, "names");
}

#[test]
fn remove_without_arguments_is_usage_error() {
    let input = to_bytes(&production_input());

    let result = run(&["remove-secrets"], Some(&input));

    assert_bad_input(&result);
}

#[test]
fn remove_unknown_name_lists_secrets() {
    let path = production_path();

    let result = run(&["remove-secrets", &path, "JWT_SECRET", "NOT_THERE"], None);

    assert_bad_input(&result);
    assert_stderr_has(&result, "NOT_THERE");
    assert_stderr_has(&result, "container bcos");
    assert_stderr_has(&result, "DATABASE_URL, JWT_SECRET, SESSION_SECRET");
}

#[test]
fn remove_from_named_container() {
    let path = production_path();

    let result = run(
        &[
            "remove-secrets",
            &path,
            "--container",
            "datadog-agent",
            "DD_API_KEY",
        ],
        None,
    );
    let output = stdout_json(&result);

    assert_eq!(container(&output, "datadog-agent")["secrets"], json!([]));
    assert_eq!(
        names_of(&container(&output, "bcos")["secrets"]),
        ["DATABASE_URL", "JWT_SECRET", "SESSION_SECRET"]
    );
}

#[test]
fn remove_secret_of_other_container_fails() {
    let path = production_path();

    // DD_API_KEY belongs to the sidecar, but the default container is bcos.
    let result = run(&["remove-secrets", &path, "DD_API_KEY"], None);

    assert_bad_input(&result);
    assert_stderr_has(&result, "DD_API_KEY");
    assert_stderr_has(&result, "container bcos");
}

#[test]
fn remove_empty_name_rejected() {
    let path = production_path();

    let result = run(&["remove-secrets", &path, ""], None);

    assert_bad_input(&result);
    assert_stderr_has(&result, "empty");
}
