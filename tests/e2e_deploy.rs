//! End to end for what happens after `update-service`: waiting for this
//! deployment, verifying it, rolling back, the journal, `rollback` and Ctrl-C.
//! moto runs through tests/support/moto_ecs.py, which models deployments: a
//! secret named after a marker (fail-circuit-breaker, fail-tasks, never-stable)
//! makes the new revision fail that way, while the previous one stays healthy.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;
use support::health::refused_url;
use support::world::*;

/// Returns a `--secret` whose name makes moto fail the deployment of the new revision.
fn failing(marker: &str) -> String {
    format!("{marker}=/demo/flag")
}

/// `run` for staging then production, with `extra` arguments.
fn run_args(world: &World, config: &std::path::Path, extra: &[&str]) -> Vec<String> {
    let mut args = vec![
        "run".to_string(),
        "--config".into(),
        config.display().to_string(),
    ];
    for environment in ENVIRONMENTS {
        args.extend(["--env".to_string(), environment.to_string()]);
    }
    args.extend(["--yes".to_string()]);
    args.extend(extra.iter().map(|arg| arg.to_string()));
    let _ = world;
    args
}

/// Checks that a failed run left staging on `previous`, never started
/// production, and journaled the failure with a rollback.
#[track_caller]
fn assert_rolled_back(world: &World, output: &Output, previous: &str, reason: &str) {
    assert_exit(output, 1);
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(reason),
        "stderr lacks {reason:?}:\n{stderr}"
    );
    assert!(
        stderr.contains("staging: deploy failed:"),
        "no failure line:\n{stderr}"
    );
    assert_eq!(
        world.service_task_definition("staging"),
        previous,
        "staging is not back on its previous revision"
    );
    assert!(
        world
            .service_task_definition("production")
            .ends_with("demo-production:1"),
        "production was started after staging failed"
    );
    let entry = world.last_journal_entry("staging");
    assert_eq!(entry["outcome"]["state"], "failed", "{entry:#}");
    assert_eq!(entry["outcome"]["rolled_back"], true, "{entry:#}");
    assert_eq!(entry["previous_arn"], previous, "{entry:#}");
}

#[test]
fn healthy_rollout_succeeds_and_is_journaled() {
    let world = World::create();
    let previous = world.service_task_definition("staging");
    let args = run_args(&world, &world.config, &JOB);

    let output = world.run_tool(&strs(&args));

    assert_exit(&output, 0);
    let stderr = text(&output.stderr);
    assert!(stderr.contains("COMPLETED running 1/1"), "{stderr}");
    assert!(
        stderr.contains("health check of http://127.0.0.1:"),
        "{stderr}"
    );
    assert!(
        stderr.contains("staging: demo-staging:2 is deployed and verified"),
        "{stderr}"
    );
    let entry = world.last_journal_entry("staging");
    assert_eq!(entry["outcome"]["state"], "succeeded", "{entry:#}");
    assert_eq!(entry["previous_arn"], previous);
    assert_eq!(entry["new_arn"], world.service_task_definition("staging"));
    assert!(
        entry["deployment_id"]
            .as_str()
            .unwrap()
            .starts_with("ecs-svc/"),
        "{entry:#}"
    );
    assert_eq!(
        entry["steps"],
        serde_json::json!(["read", "registered", "updated", "waited", "verified"])
    );
}

#[test]
fn circuit_breaker_rollback_is_a_failure() {
    let world = World::create();
    let previous = world.service_task_definition("staging");
    // A revision registered meanwhile must not become the rollback target.
    let unused = world.register_unused_revision("staging");
    let secret = failing("fail-circuit-breaker");
    let args = run_args(
        &world,
        &world.config,
        &["--secret", &secret, "--max-failed-tasks", "0"],
    );

    let output = world.run_tool(&strs(&args));

    assert_rolled_back(
        &world,
        &output,
        &previous,
        "was rolled back by the circuit breaker; service runs demo-staging:1",
    );
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("this tool changed nothing more"),
        "{stderr}"
    );
    assert!(
        stderr.contains("stopped: TaskFailedToStart: ResourceInitializationError"),
        "{stderr}"
    );
    assert_ne!(world.service_task_definition("staging"), unused);
}

#[test]
fn failed_tasks_are_explained_then_rolled_back() {
    let world = World::create();
    let previous = world.service_task_definition("staging");
    world.register_unused_revision("staging");
    let secret = failing("fail-tasks");
    let args = run_args(&world, &world.config, &["--secret", &secret]);

    let output = world.run_tool(&strs(&args));

    assert_rolled_back(&world, &output, &previous, "3 tasks of deployment ecs-svc/");
    let stderr = text(&output.stderr);
    assert_eq!(
        stderr.matches("stopped: TaskFailedToStart").count(),
        3,
        "each stopped task is reported once:\n{stderr}"
    );
    assert!(
        stderr.contains("did not contain json key MISSING_KEY"),
        "{stderr}"
    );
    assert!(stderr.contains("rolled back to demo-staging:1"), "{stderr}");
}

#[test]
fn timeout_is_rolled_back_and_replays_the_same() {
    let world = World::create();
    let previous = world.service_task_definition("staging");
    world.register_unused_revision("staging");
    let secret = failing("never-stable");
    let recording = world.scratch.path().join("timeout-session.json");
    let recording_text = recording.display().to_string();
    let args = run_args(
        &world,
        &world.config,
        &[
            "--secret",
            &secret,
            "--timeout",
            "2s",
            "--record",
            &recording_text,
        ],
    );

    let output = world.run_tool(&strs(&args));

    assert_rolled_back(
        &world,
        &output,
        &previous,
        "timed out after 2 s; deployment ecs-svc/",
    );
    assert!(
        text(&output.stderr).contains("still IN_PROGRESS running 0/1"),
        "{}",
        text(&output.stderr)
    );

    // The recorded call times steer the replay's clock, so it times out at
    // the same poll and makes exactly the recorded calls.
    let replay_args: Vec<String> = args
        .iter()
        .map(|arg| {
            if arg == "--record" {
                "--replay".into()
            } else {
                arg.clone()
            }
        })
        .collect();
    let replay = world.run_tool(&strs(&replay_args));

    assert_exit(&replay, 1);
    let replayed = text(&replay.stderr);
    assert!(!replayed.contains("replay:"), "{replayed}");
    assert!(replayed.contains("timed out after 2 s"), "{replayed}");
    assert!(
        replayed.contains("rolled back to demo-staging:1"),
        "{replayed}"
    );
}

#[test]
fn unhealthy_endpoint_is_rolled_back() {
    let world = World::create();
    let previous = world.service_task_definition("staging");
    world.register_unused_revision("staging");
    world.health.set_response(200, r#"{"status":"degraded"}"#);
    let args = run_args(
        &world,
        &world.config,
        &[&JOB[..], &["--health-timeout", "1s"]].concat(),
    );

    let output = world.run_tool(&strs(&args));

    assert_rolled_back(
        &world,
        &output,
        &previous,
        r#"HTTP 200, but the response does not satisfy .status == "healthy""#,
    );
    assert!(
        world.health.requests() >= 2,
        "the health check was not retried"
    );
}

#[test]
fn unreachable_endpoint_is_rolled_back() {
    let world = World::create();
    let previous = world.service_task_definition("staging");
    world.register_unused_revision("staging");
    let config = world.config_with_health_url(&refused_url());
    let args = run_args(
        &world,
        &config,
        &[&JOB[..], &["--health-timeout", "1s"]].concat(),
    );

    let output = world.run_tool(&strs(&args));

    assert_rolled_back(&world, &output, &previous, "did not pass within 1 s");
}

#[test]
fn no_rollback_leaves_the_failed_revision() {
    let world = World::create();
    let secret = failing("never-stable");
    let args = run_args(
        &world,
        &world.config,
        &["--secret", &secret, "--timeout", "1s", "--no-rollback"],
    );

    let output = world.run_tool(&strs(&args));

    assert_exit(&output, 1);
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("not rolled back (--no-rollback); to roll back: bcos-taskdef rollback"),
        "{stderr}"
    );
    assert!(
        world
            .service_task_definition("staging")
            .ends_with("demo-staging:2")
    );
}

#[test]
fn rollback_command_restores_previous_revision() {
    let world = World::create();
    let previous = world.service_task_definition("staging");
    let args = run_args(&world, &world.config, &JOB);
    assert_exit(&world.run_tool(&strs(&args)), 0);
    assert_ne!(world.service_task_definition("staging"), previous);

    let config = world.config.display().to_string();
    let rollback = world.run_tool(&[
        "rollback",
        "--config",
        &config,
        "--env",
        "staging",
        "--poll-interval",
        "100ms",
    ]);

    assert_exit(&rollback, 0);
    assert_eq!(world.service_task_definition("staging"), previous);
    assert!(
        text(&rollback.stdout).starts_with("staging: "),
        "{}",
        text(&rollback.stdout)
    );
    assert_eq!(
        world.last_journal_entry("staging")["outcome"]["state"],
        "rolled-back"
    );

    let again = world.run_tool(&[
        "rollback",
        "--config",
        &config,
        "--env",
        "staging",
        "--poll-interval",
        "100ms",
    ]);
    assert_exit(&again, 0);
    assert!(
        text(&again.stdout).contains("unchanged"),
        "{}",
        text(&again.stdout)
    );
}

#[test]
fn rollback_refuses_after_someone_else_deployed() {
    let world = World::create();
    let args = run_args(&world, &world.config, &JOB);
    assert_exit(&world.run_tool(&strs(&args)), 0);
    let theirs = world.register_unused_revision("staging");
    world.moto.aws_json(&[
        "ecs",
        "update-service",
        "--cluster",
        &cluster("staging"),
        "--service",
        &service("staging"),
        "--task-definition",
        &theirs,
    ]);

    let config = world.config.display().to_string();
    let rollback = world.run_tool(&["rollback", "--config", &config, "--env", "staging"]);

    assert_exit(&rollback, 1);
    assert!(
        text(&rollback.stderr).contains("which the last run"),
        "{}",
        text(&rollback.stderr)
    );
    assert_eq!(world.service_task_definition("staging"), theirs);
}

/// Starts `args`, waits until stderr shows the deployment in progress, sends
/// SIGINT, and returns the output.
fn interrupt_while_waiting(world: &World, args: &[&str]) -> Output {
    signal_after_line(world, args, "IN_PROGRESS", "-INT")
}

/// Starts `args`, waits for a stderr line containing `marker`, sends `signal`
/// (as `kill` spells it), and returns the output.
fn signal_after_line(world: &World, args: &[&str], marker: &str, signal: &str) -> Output {
    let mut child = world
        .tool(args)
        .stderr(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (lines_sender, lines) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            all.push_str(&line);
            all.push('\n');
            let _ = lines_sender.send(line);
        }
        all
    });

    let seen = lines.iter().any(|line| line.contains(marker));
    assert!(seen, "the run never printed {marker:?}");
    std::process::Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();

    let status = wait_with_timeout(&mut child, Duration::from_secs(30));
    let stdout = {
        use std::io::Read;
        let mut text = Vec::new();
        child.stdout.take().unwrap().read_to_end(&mut text).unwrap();
        text
    };
    Output {
        status,
        stdout,
        stderr: reader.join().unwrap().into_bytes(),
    }
}

fn wait_with_timeout(child: &mut std::process::Child, limit: Duration) -> std::process::ExitStatus {
    let deadline = std::time::Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("the run did not stop within {limit:?} of SIGINT");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn ctrl_c_stops_then_rollback_restores() {
    let world = World::create();
    let previous = world.service_task_definition("staging");
    let secret = failing("never-stable");
    let args = run_args(
        &world,
        &world.config,
        &["--secret", &secret, "--poll-interval", "200ms"],
    );

    let output = interrupt_while_waiting(&world, &strs(&args));

    assert_exit(&output, 130);
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("staging: interrupted while waiting for demo-staging:2"),
        "{stderr}"
    );
    assert!(
        stderr.contains("To roll back: bcos-taskdef rollback --config"),
        "{stderr}"
    );
    assert!(stderr.contains("--env staging"), "{stderr}");
    let entry = world.last_journal_entry("staging");
    assert_eq!(entry["outcome"]["state"], "interrupted", "{entry:#}");

    let config = world.config.display().to_string();
    let rollback = world.run_tool(&[
        "rollback",
        "--config",
        &config,
        "--env",
        "staging",
        "--poll-interval",
        "100ms",
    ]);
    assert_exit(&rollback, 0);
    assert_eq!(world.service_task_definition("staging"), previous);
}

#[test]
fn rerun_after_ctrl_c_resumes_the_wait() {
    // Twenty polls to complete: enough time to interrupt the first run.
    let world = World::create_with_ticks(20);
    let args = run_args(
        &world,
        &world.config,
        &[&JOB[..], &["--poll-interval", "200ms"]].concat(),
    );
    let interrupted = interrupt_while_waiting(&world, &strs(&args));
    assert_exit(&interrupted, 130);
    let revisions = world.revision_count("staging");

    let rerun = world.run_tool(&strs(&args));

    assert_exit(&rerun, 0);
    let stderr = text(&rerun.stderr);
    assert!(
        stderr
            .contains("stopped while deploying demo-staging:2; waiting for that deployment again"),
        "{stderr}"
    );
    assert_eq!(
        world.revision_count("staging"),
        revisions,
        "the re-run registered another revision"
    );
    assert!(
        world
            .service_task_definition("staging")
            .ends_with("demo-staging:2")
    );
    assert_eq!(
        world.last_journal_entry("production")["outcome"]["state"],
        "succeeded"
    );
}

#[test]
fn canary_secret_value_appears_nowhere() {
    let world = World::create();
    let canary = "canary-7f3e9c1d";
    world.moto.aws_json(&[
        "secretsmanager", "put-secret-value", "--secret-id", &world.secret_arns[0], "--secret-string",
        &format!(r#"{{"DATABASE_URL":"postgres://db","WEBAUTHN_RP_ID":"{canary}","MFA_TEMP_TOKEN_SECRET":"{canary}-2"}}"#),
    ]);
    world.put_log_line(
        "staging",
        &format!(
            "ERROR webauthn rejected: WEBAUTHN_RP_ID={canary} MFA_TEMP_TOKEN_SECRET={canary}-2"
        ),
    );
    let recording = world.scratch.path().join("canary-session.json");
    let recording_text = recording.display().to_string();
    let args = run_args(
        &world,
        &world.config,
        &[
            &JOB[..],
            &["--check-secret-keys", "-v", "--record", &recording_text],
        ]
        .concat(),
    );

    let output = world.run_tool(&strs(&args));

    assert_exit(&output, 0);
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("WEBAUTHN_RP_ID=**** MFA_TEMP_TOKEN_SECRET=****"),
        "the log line was not shown masked:\n{stderr}"
    );
    let journal = world.journal().to_string();
    let recorded = std::fs::read_to_string(&recording).unwrap();
    for (place, content) in [
        ("stdout", text(&output.stdout)),
        ("stderr", stderr),
        ("journal", journal),
        ("recording", recorded),
    ] {
        assert!(
            !content.contains(canary),
            "the canary appears in the {place}"
        );
    }
}

#[test]
fn failed_register_in_replay_leaves_journal_alone() {
    // Kept with the live tests because it edits a live recording.
    let world = World::create();
    let recording = world.scratch.path().join("session.json");
    let recording_text = recording.display().to_string();
    let args = run_args(
        &world,
        &world.config,
        &[&JOB[..], &["--record", &recording_text]].concat(),
    );
    assert_exit(&world.run_tool(&strs(&args)), 0);

    let mut session: Value =
        serde_json::from_str(&std::fs::read_to_string(&recording).unwrap()).unwrap();
    let calls = session["calls"].as_array_mut().unwrap();
    let register = calls
        .iter()
        .position(|call| {
            call["args"][1] == "register-task-definition" && call["args"][2] == "--cli-input-json"
        })
        .unwrap();
    calls.truncate(register + 1);
    calls[register]["exit_code"] = 254.into();
    calls[register]["stdout"] = "".into();
    calls[register]["stderr"] = "An error occurred (ClientException) when calling the RegisterTaskDefinition operation: Too many concurrent attempts to create a new revision of the specified family.".into();
    std::fs::write(&recording, session.to_string()).unwrap();
    let replay_args: Vec<String> = args
        .iter()
        .map(|arg| {
            if arg == "--record" {
                "--replay".into()
            } else {
                arg.clone()
            }
        })
        .collect();

    let output = world.run_tool(&strs(&replay_args));

    assert_exit(&output, 1);
    assert!(text(&output.stderr).contains("registering a new revision of `demo-staging`: ClientException: Too many concurrent attempts"));
    // The journal records what happened in AWS, which a replay does not touch.
    let entry = world.last_journal_entry("staging");
    assert_eq!(entry["outcome"]["state"], "succeeded", "{entry:#}");
}

#[test]
fn rerun_after_crash_reuses_registered_revision() {
    let world = World::create();
    let args = run_args(&world, &world.config, &JOB);
    // SIGKILL right after the registration: no handler runs, as in a crash.
    let crashed = signal_after_line(
        &world,
        &strs(&args),
        "staging: registered demo-staging:2",
        "-KILL",
    );
    assert_eq!(crashed.status.code(), None, "the run was not killed");
    assert!(
        world
            .service_task_definition("staging")
            .ends_with("demo-staging:1")
    );
    assert_eq!(world.revision_count("staging"), 2);

    let rerun = world.run_tool(&strs(&args));

    assert_exit(&rerun, 0);
    let stderr = text(&rerun.stderr);
    assert!(
        stderr.contains("staging: using demo-staging:2, which the interrupted run"),
        "{stderr}"
    );
    assert_eq!(
        world.revision_count("staging"),
        2,
        "the re-run registered the same content again"
    );
    assert!(
        world
            .service_task_definition("staging")
            .ends_with("demo-staging:2")
    );
}
