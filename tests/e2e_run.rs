//! End to end for `plan` and `run`: two environments in moto on 127.0.0.1,
//! driven through the real `aws` CLI v1 by the built binary, then replayed
//! offline from the recording the live run made.

mod support;

use std::process::Command;

use serde_json::{Value, json};
use support::world::*;
#[test]
fn run_updates_both_environments_then_nothing() {
    let world = World::create();
    let before: Vec<String> = ENVIRONMENTS
        .iter()
        .map(|e| world.service_task_definition(e))
        .collect();
    let mut args = world.rollout_args("run");
    args.push("--yes".into());

    let first = world.run_tool(&strs(&args));

    assert_exit(&first, 0);
    for (index, environment) in ENVIRONMENTS.iter().enumerate() {
        let now = world.service_task_definition(environment);
        assert_ne!(
            now, before[index],
            "{environment} still runs its old revision"
        );
        assert!(
            text(&first.stdout).contains(&format!("{environment}: {} -> {now}", before[index])),
            "summary lacks {environment}: {}",
            text(&first.stdout)
        );

        let describe = world.describe(&now);
        let secrets = &container(&describe, "bcos")["secrets"];
        let arn = &world.secret_arns[index];
        assert_eq!(
            secrets,
            &json!([
                {"name": "DATABASE_URL", "valueFrom": format!("{arn}:DATABASE_URL::")},
                {"name": "WEBAUTHN_RP_ID", "valueFrom": format!("{arn}:WEBAUTHN_RP_ID::")},
                {"name": "MFA_TEMP_TOKEN_SECRET", "valueFrom": format!("{arn}:MFA_TEMP_TOKEN_SECRET::")},
            ]),
            "{environment} secrets"
        );
        assert!(
            container(&describe, "log-router").get("secrets").is_none(),
            "{environment} sidecar changed"
        );
        assert_eq!(
            describe["tags"],
            json!([{"key": "Project", "value": "demo"}, {"key": "Environment", "value": environment}]),
            "{environment} tags"
        );
    }

    let counts: Vec<usize> = ENVIRONMENTS
        .iter()
        .map(|e| world.revision_count(e))
        .collect();
    let second = world.run_tool(&strs(&args));

    assert_exit(&second, 0);
    let after: Vec<usize> = ENVIRONMENTS
        .iter()
        .map(|e| world.revision_count(e))
        .collect();
    assert_eq!(
        after, counts,
        "a second identical run registered a revision"
    );
    assert!(
        text(&second.stdout).contains("staging: unchanged"),
        "{}",
        text(&second.stdout)
    );
    assert!(
        text(&second.stderr).contains("already up to date"),
        "{}",
        text(&second.stderr)
    );
}

#[test]
fn recording_replays_without_moto() {
    let world = World::create();
    let recording = world.scratch.path().join("session.json");
    let mut args = world.rollout_args("run");
    args.extend([
        "--yes".into(),
        "--record".into(),
        recording.display().to_string(),
    ]);

    let live = world.run_tool(&strs(&args));
    assert_exit(&live, 0);
    let recorded = std::fs::read_to_string(&recording).unwrap();
    assert!(
        !recorded.contains("value-that-must-not-leak"),
        "the recording holds a secret value"
    );

    // No aws on PATH and no server: a replay must not start any process.
    let kept = tempfile::tempdir().unwrap();
    let config = kept.path().join("environments.toml");
    let kept_recording = kept.path().join("session.json");
    std::fs::copy(&world.config, &config).unwrap();
    std::fs::copy(&recording, &kept_recording).unwrap();
    drop(world);
    let mut replay_args = vec![
        "run".to_string(),
        "--config".into(),
        config.display().to_string(),
    ];
    for environment in ENVIRONMENTS {
        replay_args.extend(["--env".to_string(), environment.to_string()]);
    }
    replay_args.extend(JOB.iter().map(|arg| arg.to_string()));
    replay_args.extend([
        "--yes".into(),
        "--replay".into(),
        kept_recording.display().to_string(),
    ]);
    let replay = Command::new(env!("CARGO_BIN_EXE_bcos-taskdef"))
        .args(strs(&replay_args))
        .env("PATH", "/nonexistent")
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .output()
        .unwrap();

    assert_exit(&replay, 0);
    assert_eq!(text(&replay.stdout), text(&live.stdout));
}

#[test]
fn replay_with_other_arguments_names_the_call() {
    let world = World::create();
    let recording = world.scratch.path().join("session.json");
    let mut args = world.rollout_args("run");
    args.extend([
        "--yes".into(),
        "--record".into(),
        recording.display().to_string(),
    ]);
    assert_exit(&world.run_tool(&strs(&args)), 0);

    let replay = world.run_tool(&[
        "run",
        "--config",
        &world.config.display().to_string(),
        "--env",
        "staging",
        "--secret-key",
        "OTHER_KEY",
        "--yes",
        "--replay",
        &recording.display().to_string(),
    ]);

    assert_exit(&replay, 2);
    let stderr = text(&replay.stderr);
    assert!(
        stderr.contains("replay: call 7 differs from the recording"),
        "{stderr}"
    );
    assert!(
        stderr.contains("after `aws ecs register-task-definition --cli-input-json`"),
        "{stderr}"
    );
    assert!(stderr.contains("OTHER_KEY"), "{stderr}");
}

#[test]
fn plan_script_reaches_the_same_end_state() {
    let by_run = World::create();
    let mut run_args = by_run.rollout_args("run");
    run_args.push("--yes".into());
    assert_exit(&by_run.run_tool(&strs(&run_args)), 0);

    let by_plan = World::create();
    let mut plan_args = by_plan.rollout_args("plan");
    plan_args.push("--yes".into());
    let plan = by_plan.run_tool(&strs(&plan_args));
    assert_exit(&plan, 0);
    let script = by_plan.scratch.path().join("plan.sh");
    std::fs::write(&script, &plan.stdout).unwrap();

    let bash = by_plan
        .hermetic("bash")
        .arg(&script)
        .env("BCOS_TASKDEF", env!("CARGO_BIN_EXE_bcos-taskdef"))
        .output()
        .unwrap();

    assert_exit(&bash, 0);
    // Secret ARNs differ between the two worlds by their random suffix.
    let normalise = |world: &World, states: Vec<Value>| {
        let mut text = serde_json::to_string(&states).unwrap();
        for arn in &world.secret_arns {
            text = text.replace(arn, "SECRET");
        }
        text
    };
    assert_eq!(
        normalise(&by_plan, by_plan.end_state()),
        normalise(&by_run, by_run.end_state())
    );
}

#[test]
fn live_plan_comments_without_writing() {
    let world = World::create();
    let counts: Vec<usize> = ENVIRONMENTS
        .iter()
        .map(|e| world.revision_count(e))
        .collect();
    let mut args = world.rollout_args("plan");
    args.push("--live".into());

    let plan = world.run_tool(&strs(&args));

    assert_exit(&plan, 0);
    let script = text(&plan.stdout);
    assert!(
        script.contains("# live: the service runs demo-staging:1"),
        "{script}"
    );
    assert!(
        script
            .contains("# live: container bcos: added WEBAUTHN_RP_ID, added MFA_TEMP_TOKEN_SECRET"),
        "{script}"
    );
    let after: Vec<usize> = ENVIRONMENTS
        .iter()
        .map(|e| world.revision_count(e))
        .collect();
    assert_eq!(after, counts, "plan --live registered a revision");
}

/// Runs `args` and checks it fails with `code`, mentions `expected`, and left
/// every service and family as it was.
#[track_caller]
fn assert_fails_unchanged(world: &World, args: &[&str], code: i32, expected: &str) {
    let before: Vec<(String, usize)> = ENVIRONMENTS
        .iter()
        .map(|e| (world.service_task_definition(e), world.revision_count(e)))
        .collect();

    let output = world.run_tool(args);

    assert_exit(&output, code);
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(expected),
        "stderr lacks {expected:?}:\n{stderr}"
    );
    assert!(output.stdout.is_empty(), "stdout: {}", text(&output.stdout));
    let after: Vec<(String, usize)> = ENVIRONMENTS
        .iter()
        .map(|e| (world.service_task_definition(e), world.revision_count(e)))
        .collect();
    assert_eq!(after, before, "AWS changed");
}

#[test]
fn errors_leave_aws_unchanged() {
    let world = World::create();
    let config = world.config.display().to_string();
    let dir = world.scratch.path();

    let unknown_cluster = dir.join("unknown-cluster.toml");
    std::fs::write(
        &unknown_cluster,
        config_text().replace("demo-staging-cluster", "no-such-cluster"),
    )
    .unwrap();
    assert_fails_unchanged(
        &world,
        &[
            "run",
            "--config",
            &unknown_cluster.display().to_string(),
            "--env",
            "staging",
            "--secret-key",
            "A",
            "--yes",
        ],
        1,
        "describing service `demo-staging-service` in cluster `no-such-cluster`",
    );

    let missing_output = dir.join("missing-output.toml");
    std::fs::write(
        &missing_output,
        config_text().replace("stagingSecretArn", "NoSuchOutput"),
    )
    .unwrap();
    assert_fails_unchanged(
        &world,
        &[
            "run",
            "--config",
            &missing_output.display().to_string(),
            "--env",
            "staging",
            "--secret-key",
            "A",
            "--yes",
        ],
        1,
        "stack `Demo-SecurityStack` has no output `NoSuchOutput` (outputs: stagingSecretArn, productionSecretArn)",
    );

    let bad_key = dir.join("bad-key.toml");
    std::fs::write(&bad_key, config_text() + "[environments.qa]\nfamily = \"f\"\ncluster = \"c\"\nservice = \"s\"\nregion = \"x\"\n").unwrap();
    assert_fails_unchanged(
        &world,
        &[
            "run",
            "--config",
            &bad_key.display().to_string(),
            "--env",
            "staging",
            "--secret-key",
            "A",
            "--yes",
        ],
        2,
        "unknown field `region`",
    );

    assert_fails_unchanged(
        &world,
        &[
            "run",
            "--config",
            &config,
            "--env",
            "staging",
            "--secret-key",
            "NODE_ENV",
            "--yes",
        ],
        2,
        "secret NODE_ENV: container bcos already sets NODE_ENV in environment",
    );

    assert_fails_unchanged(
        &world,
        &[
            "run",
            "--config",
            &config,
            "--env",
            "staging",
            "--secret",
            "=arn:aws:secretsmanager:us-east-1:123456789012:secret:x-AbCdEf",
            "--yes",
        ],
        2,
        "invalid --secret",
    );

    assert_fails_unchanged(
        &world,
        &[
            "run",
            "--config",
            &config,
            "--env",
            "staging",
            "--secret-key",
            "NOT_IN_SECRET",
            "--check-secret-keys",
            "--yes",
        ],
        1,
        "has no JSON key 'NOT_IN_SECRET' (keys: DATABASE_URL, WEBAUTHN_RP_ID, MFA_TEMP_TOKEN_SECRET)",
    );

    // No terminal and no --yes: production would need a confirmation.
    assert_fails_unchanged(&world, &strs(&world.rollout_args("run")), 2, "pass --yes");
}

#[test]
fn secret_values_never_reach_output() {
    let world = World::create();
    let recording = world.scratch.path().join("session.json");
    let mut args = world.rollout_args("run");
    args.extend(["--yes", "--check-secret-keys", "-v", "--record"].map(String::from));
    args.push(recording.display().to_string());

    let output = world.run_tool(&strs(&args));

    assert_exit(&output, 0);
    for (name, bytes) in [
        ("stdout", output.stdout.clone()),
        ("stderr", output.stderr.clone()),
        ("recording", std::fs::read(&recording).unwrap()),
    ] {
        assert!(
            !text(&bytes).contains("value-that-must-not-leak"),
            "{name} contains a secret value"
        );
        assert!(
            !text(&bytes).contains("staging.example.com"),
            "{name} contains a secret value"
        );
    }
}

/// A deploy that lands between the first read and the update is simulated by
/// editing the recorded response of the re-read.
#[test]
fn concurrent_change_stops_before_update() {
    let world = World::create();
    let recording = world.scratch.path().join("session.json");
    let mut args = vec!["run", "--config"];
    let config = world.config.display().to_string();
    let recording_arg = recording.display().to_string();
    args.extend([
        config.as_str(),
        "--env",
        "staging",
        "--secret-key",
        "WEBAUTHN_RP_ID",
        "--yes",
        "--record",
        &recording_arg,
    ]);
    assert_exit(&world.run_tool(&args), 0);

    let mut session: Value =
        serde_json::from_str(&std::fs::read_to_string(&recording).unwrap()).unwrap();
    let calls = session["calls"].as_array_mut().unwrap();
    // The re-read is the describe-services right before update-service.
    let update = calls
        .iter()
        .position(|call| call["args"][1] == "update-service")
        .unwrap();
    let reread = update - 1;
    assert_eq!(calls[reread]["args"][1], "describe-services");
    let someone_else = "arn:aws:ecs:us-east-1:123456789012:task-definition/demo-staging:7";
    calls[reread]["stdout"]["services"][0]["taskDefinition"] = json!(someone_else);
    calls.truncate(reread + 1);
    std::fs::write(&recording, session.to_string()).unwrap();

    let replay_args: Vec<&str> = args
        .iter()
        .map(|arg| if *arg == "--record" { "--replay" } else { arg })
        .collect();
    let replay = world.run_tool(&replay_args);

    assert_exit(&replay, 1);
    let stderr = text(&replay.stderr);
    assert!(
        stderr
            .contains("service `demo-staging-service` changed while this run prepared its update"),
        "{stderr}"
    );
    assert!(
        stderr.contains("it now runs demo-staging:7, not demo-staging:1"),
        "{stderr}"
    );
    // The recording ends at the re-read, so an update call would have failed the replay.
    assert!(!stderr.contains("replay:"), "{stderr}");
}
