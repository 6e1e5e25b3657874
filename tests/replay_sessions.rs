//! Replayed sessions for what moto cannot produce: throttling, access denied,
//! expired credentials, an old CLI. Each session is the shipped demo recording
//! with one call's response replaced, so the arguments stay exactly those of a
//! real run and any call the tool makes after a failure breaks the replay.

use std::path::Path;
use std::process::Output;

use serde_json::{Value, json};

const JOB: [&str; 11] = [
    "run",
    "--config",
    "fixtures/demo/config.toml",
    "--env",
    "staging",
    "--env",
    "production",
    "--secret-key",
    "WEBAUTHN_RP_ID",
    "--secret-key",
    "MFA_TEMP_TOKEN_SECRET",
];

fn demo_session() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/bcos-rollout.recording.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn calls(session: &mut Value) -> &mut Vec<Value> {
    session["calls"].as_array_mut().unwrap()
}

/// Returns the index of the `nth` call (from 0) whose first two arguments are `command`.
fn find_call(session: &Value, command: [&str; 2], nth: usize) -> usize {
    let calls = session["calls"].as_array().unwrap();
    calls
        .iter()
        .enumerate()
        .filter(|(_, call)| call["args"][0] == command[0] && call["args"][1] == command[1])
        .nth(nth)
        .unwrap_or_else(|| panic!("the demo session has no call {nth} of {command:?}"))
        .0
}

/// Returns a failed response to the call at `index`, as the aws CLI prints it.
fn failure(session: &Value, index: usize, stderr: &str) -> Value {
    json!({"args": session["calls"][index]["args"], "exit_code": 254, "stdout": "", "stderr": stderr})
}

fn replay(session: &Value) -> Output {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("session.json");
    std::fs::write(&path, session.to_string()).unwrap();

    let mut args: Vec<&str> = JOB.to_vec();
    let path_text = path.display().to_string();
    args.extend(["--yes", "--replay", &path_text]);
    let state = tempfile::tempdir().unwrap();
    let state_text = state.path().display().to_string();
    args.extend(["--state-dir", &state_text]);
    std::process::Command::new(env!("CARGO_BIN_EXE_bcos-taskdef"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(&args)
        // A replay starts no process, so no aws may be found either.
        .env("PATH", "/nonexistent")
        .output()
        .unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[track_caller]
fn assert_exit(output: &Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "stderr:\n{}",
        stderr(output)
    );
}

#[test]
fn demo_session_replays_cleanly() {
    let output = replay(&demo_session());

    assert_exit(&output, 0);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(
            "staging: arn:aws:ecs:us-east-1:123456789012:task-definition/bcos-staging:1 -> "
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "production: arn:aws:ecs:us-east-1:123456789012:task-definition/bcos-production:1 -> "
        ),
        "{stdout}"
    );
}

#[test]
fn throttled_call_is_retried_then_succeeds() {
    let mut session = demo_session();
    let index = find_call(&session, ["ecs", "describe-services"], 0);
    let throttled = failure(
        &session,
        index,
        "\nAn error occurred (ThrottlingException) when calling the DescribeServices operation (reached max retries: 4): Rate exceeded\n",
    );
    calls(&mut session).splice(index..index, [throttled.clone(), throttled]);

    let output = replay(&session);

    assert_exit(&output, 0);
    let stderr = stderr(&output);
    assert_eq!(
        stderr
            .matches("ThrottlingException: Rate exceeded; retrying in")
            .count(),
        2,
        "{stderr}"
    );
}

#[test]
fn throttling_that_persists_fails_with_a_hint() {
    let mut session = demo_session();
    let index = find_call(&session, ["ecs", "describe-services"], 0);
    let throttled = failure(
        &session,
        index,
        "An error occurred (ThrottlingException) when calling the DescribeServices operation: Rate exceeded",
    );
    calls(&mut session).splice(index..=index, std::iter::repeat_n(throttled, 5));

    let output = replay(&session);

    assert_exit(&output, 1);
    let stderr = stderr(&output);
    assert!(
        stderr.contains("error: describing service `bcos-staging-service` in cluster `bcos-staging-cluster`: ThrottlingException: Rate exceeded"),
        "{stderr}"
    );
    assert!(
        stderr.contains("AWS kept throttling the call after several retries"),
        "{stderr}"
    );
}

#[test]
fn access_denied_at_register_stops_with_hint() {
    let mut session = demo_session();
    let index = find_call(&session, ["ecs", "register-task-definition"], 1);
    let denied = failure(
        &session,
        index,
        "An error occurred (AccessDeniedException) when calling the RegisterTaskDefinition operation: User: arn:aws:sts::123456789012:assumed-role/ci/x is not authorized to perform: ecs:RegisterTaskDefinition",
    );
    // Nothing after the failed call: any further call would break the replay.
    calls(&mut session).truncate(index);
    calls(&mut session).push(denied);

    let output = replay(&session);

    assert_exit(&output, 1);
    let stderr = stderr(&output);
    assert!(
        stderr.contains("error: registering a new revision of `bcos-staging`: AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/ci/x is not authorized to perform: ecs:RegisterTaskDefinition"),
        "{stderr}"
    );
    assert!(stderr.contains("The caller lacks a permission"), "{stderr}");
    assert!(
        stderr.contains("The failed command was: aws ecs register-task-definition"),
        "{stderr}"
    );
    assert!(
        output.stdout.is_empty(),
        "a summary was printed for a failed run"
    );
}

#[test]
fn expired_credentials_get_a_hint() {
    let mut session = demo_session();
    let index = find_call(&session, ["cloudformation", "describe-stacks"], 0);
    let expired = failure(
        &session,
        index,
        "An error occurred (ExpiredToken) when calling the DescribeStacks operation: The security token included in the request is expired",
    );
    calls(&mut session).truncate(index);
    calls(&mut session).push(expired);

    let output = replay(&session);

    assert_exit(&output, 1);
    let stderr = stderr(&output);
    assert!(
        stderr.contains("reading the outputs of stack `BCOS-SecurityStack`: ExpiredToken"),
        "{stderr}"
    );
    assert!(stderr.contains("aws sso login"), "{stderr}");
}

#[test]
fn failure_in_production_keeps_staging_result() {
    let mut session = demo_session();
    let index = find_call(&session, ["ecs", "update-service"], 1);
    let denied = failure(
        &session,
        index,
        "An error occurred (AccessDeniedException) when calling the UpdateService operation: not authorized to perform: ecs:UpdateService",
    );
    calls(&mut session).truncate(index);
    calls(&mut session).push(denied);

    let output = replay(&session);

    assert_exit(&output, 1);
    let stderr = stderr(&output);
    assert!(
        stderr.contains("staging: service `bcos-staging-service` updated to bcos-staging:2"),
        "{stderr}"
    );
    assert!(
        stderr.contains("error: updating service `bcos-production-service` to `arn:aws:ecs:us-east-1:123456789012:task-definition/bcos-production:2`: AccessDeniedException"),
        "{stderr}"
    );
}

#[test]
fn unknown_cli_option_says_cli_too_old() {
    let mut session = demo_session();
    let index = find_call(&session, ["ecs", "describe-task-definition"], 0);
    let old = failure(&session, index, "\nUnknown options: --include, TAGS\n");
    calls(&mut session).truncate(index);
    calls(&mut session).push(old);

    let output = replay(&session);

    assert_exit(&output, 1);
    assert!(
        stderr(&output).contains("Upgrade the aws CLI"),
        "{}",
        stderr(&output)
    );
}

const STAGING_PREVIOUS: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/bcos-staging:1";

/// Returns the calls of a rollback of staging to revision 1 that completes at once,
/// written by hand: moto cannot fail a poll, so no live run records these.
fn staging_rollback_calls() -> Vec<Value> {
    let deployment = |state: &str, running: u32| {
        json!({"id": "ecs-svc/1000000000000000001", "status": "PRIMARY", "taskDefinition": STAGING_PREVIOUS,
               "rolloutState": state, "runningCount": running, "desiredCount": 2, "createdAt": 1796416828.379})
    };
    let service = |state: &str, running: u32| {
        json!({"serviceName": "bcos-staging-service", "status": "ACTIVE", "taskDefinition": STAGING_PREVIOUS,
               "deployments": [deployment(state, running)], "events": []})
    };
    vec![
        json!({
            "args": ["ecs", "update-service", "--cluster", "bcos-staging-cluster", "--service", "bcos-staging-service",
                     "--task-definition", STAGING_PREVIOUS, "--output", "json"],
            "exit_code": 0,
            "stdout": {"service": service("IN_PROGRESS", 0)}
        }),
        json!({
            "args": ["ecs", "describe-services", "--cluster", "bcos-staging-cluster", "--services", "bcos-staging-service",
                     "--output", "json"],
            "exit_code": 0,
            "stdout": {"services": [service("COMPLETED", 2)], "failures": []}
        }),
    ]
}

#[test]
fn failed_poll_rolls_back_to_recorded_revision() {
    let mut session = demo_session();
    let update = find_call(&session, ["ecs", "update-service"], 0);
    let poll = update + 1;
    let denied = failure(
        &session,
        poll,
        "An error occurred (AccessDeniedException) when calling the DescribeServices operation: not authorized to perform: ecs:DescribeServices",
    );
    let logs = session["calls"][find_call(&session, ["logs", "filter-log-events"], 0)].clone();
    calls(&mut session).truncate(poll);
    calls(&mut session).push(denied);
    // The logs are read before the rollback, to explain the failure.
    calls(&mut session).push(logs);
    calls(&mut session).extend(staging_rollback_calls());

    let output = replay(&session);

    assert_exit(&output, 1);
    let stderr = stderr(&output);
    assert!(
        stderr.contains("error: staging: deploy failed: describing service `bcos-staging-service` in cluster `bcos-staging-cluster`: AccessDeniedException"),
        "{stderr}"
    );
    assert!(
        stderr.contains("; rolled back to bcos-staging:1"),
        "{stderr}"
    );
    assert!(
        output.stdout.is_empty(),
        "staging did not succeed, so no summary line"
    );
}

#[test]
fn failed_rollback_says_so() {
    let mut session = demo_session();
    let update = find_call(&session, ["ecs", "update-service"], 0);
    let poll = update + 1;
    let denied = failure(
        &session,
        poll,
        "An error occurred (AccessDeniedException) when calling the DescribeServices operation: not authorized",
    );
    let mut rollback = staging_rollback_calls();
    rollback.truncate(1);
    rollback[0]["exit_code"] = json!(254);
    rollback[0]["stdout"] = json!("");
    rollback[0]["stderr"] = json!(
        "An error occurred (AccessDeniedException) when calling the UpdateService operation: not authorized to perform: ecs:UpdateService"
    );
    let logs = session["calls"][find_call(&session, ["logs", "filter-log-events"], 0)].clone();
    calls(&mut session).truncate(poll);
    calls(&mut session).push(denied);
    calls(&mut session).push(logs);
    calls(&mut session).extend(rollback);

    let output = replay(&session);

    assert_exit(&output, 1);
    let stderr = stderr(&output);
    assert!(
        stderr.contains(
            "the rollback to bcos-staging:1 failed too: updating service `bcos-staging-service`"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("then run bcos-taskdef rollback --config fixtures/demo/config.toml"),
        "{stderr}"
    );
}

#[test]
fn failed_describe_stops_before_any_write() {
    let mut session = demo_session();
    let index = find_call(&session, ["ecs", "describe-task-definition"], 0);
    let denied = failure(
        &session,
        index,
        "An error occurred (ClientException) when calling the DescribeTaskDefinition operation: Unable to describe task definition.",
    );
    calls(&mut session).truncate(index);
    calls(&mut session).push(denied);

    let output = replay(&session);

    assert_exit(&output, 1);
    assert!(
        stderr(&output).contains("error: describing task definition `bcos-staging`: ClientException: Unable to describe task definition."),
        "{}",
        stderr(&output)
    );
}

#[test]
fn unused_recorded_calls_fail_the_replay() {
    let mut session = demo_session();
    let extra = session["calls"][0].clone();
    calls(&mut session).push(extra);

    let output = replay(&session);

    assert_exit(&output, 2);
    assert!(
        stderr(&output).contains("the first one not made is `aws --version`"),
        "{}",
        stderr(&output)
    );
}
