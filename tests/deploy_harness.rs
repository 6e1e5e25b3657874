//! Proves the deployment harness itself with the real `aws` CLI: what
//! `tests/support/moto_ecs.py` makes moto report for each image marker, tick
//! by tick, the stopped tasks it leaves behind, and the `HealthServer`.

mod support;

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Stdio;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::MotoServer;
use support::health::{HealthServer, refused_url};

const CLUSTER: &str = "harness";
const SERVICE: &str = "web";
const FAMILY: &str = "web-app";
const DESIRED_COUNT: u64 = 2;
const HEALTHY_IMAGE: &str = "registry.example/web:1.0";
const CIRCUIT_BREAKER_REASON: &str = "ECS deployment circuit breaker: tasks failed to start.";
const STOPPED_REASON: &str = "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): retrieved secret from Secrets Manager did not contain json key MISSING_KEY";

/// Creates the cluster, registers revision 1 of `FAMILY` with a healthy image
/// and creates `SERVICE` on it with `DESIRED_COUNT` tasks.
fn create_service(moto: &MotoServer) -> String {
    moto.aws_json(&["ecs", "create-cluster", "--cluster-name", CLUSTER]);
    let first = register(moto, &[HEALTHY_IMAGE]);
    moto.aws_json(&[
        "ecs",
        "create-service",
        "--cluster",
        CLUSTER,
        "--service-name",
        SERVICE,
        "--task-definition",
        &format!("{FAMILY}:1"),
        "--desired-count",
        &DESIRED_COUNT.to_string(),
    ]);
    first
}

/// Registers the next revision of `FAMILY` with one container per image and
/// returns its ARN.
fn register(moto: &MotoServer, images: &[&str]) -> String {
    let containers: Vec<Value> = images
        .iter()
        .enumerate()
        .map(|(index, image)| json!({"name": format!("c{index}"), "image": image, "memory": 128}))
        .collect();
    let registered = moto.aws_json(&[
        "ecs",
        "register-task-definition",
        "--family",
        FAMILY,
        "--container-definitions",
        &Value::Array(containers).to_string(),
    ]);
    text(&registered["taskDefinition"]["taskDefinitionArn"]).to_string()
}

/// Runs update-service to `task_definition` and returns the service it prints.
fn update(moto: &MotoServer, task_definition: &str) -> Value {
    let answer = moto.aws_json(&[
        "ecs",
        "update-service",
        "--cluster",
        CLUSTER,
        "--service",
        SERVICE,
        "--task-definition",
        task_definition,
    ]);
    answer["service"].clone()
}

/// Describes `SERVICE`, which advances its rollout by one tick.
fn tick(moto: &MotoServer) -> Value {
    let answer = moto.aws_json(&[
        "ecs",
        "describe-services",
        "--cluster",
        CLUSTER,
        "--services",
        SERVICE,
    ]);
    assert_eq!(answer["failures"], json!([]), "{answer:#}");
    answer["services"][0].clone()
}

fn ticks(moto: &MotoServer, count: usize) -> Value {
    let mut service = Value::Null;
    for _ in 0..count {
        service = tick(moto);
    }
    service
}

#[track_caller]
fn text(value: &Value) -> &str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("expected a string, got {value}"))
}

#[track_caller]
fn deployments(service: &Value) -> &Vec<Value> {
    service["deployments"]
        .as_array()
        .unwrap_or_else(|| panic!("service has no deployments array: {service:#}"))
}

fn messages(service: &Value) -> Vec<&str> {
    service["events"]
        .as_array()
        .map(|events| events.iter().map(|event| text(&event["message"])).collect())
        .unwrap_or_default()
}

fn stopped_task_arns(moto: &MotoServer, service: &str) -> Vec<String> {
    let listed = moto.aws_json(&[
        "ecs",
        "list-tasks",
        "--cluster",
        CLUSTER,
        "--service-name",
        service,
        "--desired-status",
        "STOPPED",
    ]);
    listed["taskArns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|arn| text(arn).to_string())
        .collect()
}

#[track_caller]
fn assert_is_deployment_id(value: &Value) {
    let id = text(value);
    let digits = id.strip_prefix("ecs-svc/").unwrap_or("");
    assert!(
        !digits.is_empty() && digits.bytes().all(|byte| byte.is_ascii_digit()),
        "not an ECS deployment id: {id}"
    );
}

#[test]
fn created_service_is_steady() {
    let moto = MotoServer::start_with_deployments();
    let first = create_service(&moto);

    let service = tick(&moto);
    let only = &deployments(&service)[..];
    assert_eq!(only.len(), 1, "{service:#}");
    assert_eq!(only[0]["status"], "PRIMARY");
    assert_eq!(only[0]["rolloutState"], "COMPLETED");
    assert_eq!(only[0]["runningCount"], DESIRED_COUNT);
    assert_eq!(only[0]["pendingCount"], 0);
    assert_eq!(service["taskDefinition"], first);
    assert_eq!(service["runningCount"], DESIRED_COUNT);
    assert_eq!(
        messages(&service),
        ["(service web) has reached a steady state."]
    );
}

#[test]
fn healthy_update_completes_after_two_ticks() {
    let moto = MotoServer::start_with_deployments();
    let first = create_service(&moto);
    let original_id = tick(&moto)["deployments"][0]["id"].clone();
    let second = register(&moto, &[HEALTHY_IMAGE, "registry.example/sidecar:2"]);

    // The caller names `family:revision`; ECS reports the full ARN everywhere.
    let updated = update(&moto, &format!("{FAMILY}:2"));
    assert_eq!(updated["taskDefinition"], second);
    let [new, old] = &deployments(&updated)[..] else {
        panic!("expected two deployments: {updated:#}");
    };
    assert_is_deployment_id(&new["id"]);
    assert_ne!(new["id"], original_id);
    assert_eq!(new["status"], "PRIMARY");
    assert_eq!(new["taskDefinition"], second);
    assert_eq!(new["desiredCount"], DESIRED_COUNT);
    assert_eq!(new["pendingCount"], DESIRED_COUNT);
    assert_eq!(new["runningCount"], 0);
    assert_eq!(new["failedTasks"], 0);
    assert_eq!(new["rolloutState"], "IN_PROGRESS");
    assert_eq!(new["launchType"], "EC2");
    assert!(new["createdAt"].is_number(), "{new:#}");
    assert!(new["updatedAt"].is_number(), "{new:#}");
    let in_progress = format!("ECS deployment {} in progress.", text(&new["id"]));
    assert_eq!(new["rolloutStateReason"], in_progress.as_str());
    assert_eq!(old["status"], "ACTIVE");
    assert_eq!(old["id"], original_id);
    assert_eq!(old["taskDefinition"], first);
    let started = messages(&updated)[0];
    assert!(
        started.starts_with("(service web) has started 2 tasks: (task "),
        "{started}"
    );

    let halfway = tick(&moto);
    assert_eq!(halfway["deployments"][0]["rolloutState"], "IN_PROGRESS");
    assert_eq!(halfway["deployments"][0]["runningCount"], 1);
    assert_eq!(deployments(&halfway).len(), 2);

    let done = tick(&moto);
    let [only] = &deployments(&done)[..] else {
        panic!("expected one deployment: {done:#}");
    };
    assert_eq!(only["id"], new["id"]);
    assert_eq!(only["rolloutState"], "COMPLETED");
    assert_eq!(only["runningCount"], DESIRED_COUNT);
    assert_eq!(only["pendingCount"], 0);
    assert_eq!(done["taskDefinition"], second);
    assert_eq!(done["runningCount"], DESIRED_COUNT);
    assert_eq!(done["pendingCount"], 0);
    let completed = format!(
        "(service web) (deployment {}) deployment completed.",
        text(&new["id"])
    );
    assert_eq!(
        messages(&done)[..2],
        [
            "(service web) has reached a steady state.",
            completed.as_str()
        ]
    );

    let later = tick(&moto);
    assert_eq!(later["deployments"], done["deployments"]);
    assert_eq!(later["events"], done["events"]);
}

#[test]
fn ticks_variable_sets_rollout_length() {
    for ticks_to_complete in [1, 4] {
        let moto = MotoServer::start_with_deployment_ticks(ticks_to_complete);
        create_service(&moto);
        register(&moto, &[HEALTHY_IMAGE]);
        update(&moto, FAMILY);

        let before = ticks(&moto, ticks_to_complete as usize - 1);
        if ticks_to_complete > 1 {
            assert_eq!(before["deployments"][0]["rolloutState"], "IN_PROGRESS");
        }
        let done = tick(&moto);
        assert_eq!(
            done["deployments"][0]["rolloutState"], "COMPLETED",
            "after {ticks_to_complete} ticks: {done:#}"
        );
    }
}

#[test]
fn launcher_rejects_invalid_ticks() {
    for value in ["0", "-1", "two", "", "1.5"] {
        let mut child = support::deployment_launcher(Some(value))
            .args(["-H", "127.0.0.1", "-p", "9"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the launcher");
        let deadline = Instant::now() + Duration::from_secs(30);
        while child.try_wait().unwrap().is_none() {
            if Instant::now() >= deadline {
                child.kill().unwrap();
                child.wait().unwrap();
                panic!("the launcher kept running with BCOS_MOTO_TICKS_TO_COMPLETE={value:?}");
            }
            thread::sleep(Duration::from_millis(50));
        }
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{value:?} was accepted");
        assert!(
            stderr.contains("BCOS_MOTO_TICKS_TO_COMPLETE must be a whole number of at least 1"),
            "{value:?}: {stderr}"
        );
    }
}

#[test]
fn circuit_breaker_rolls_back() {
    let moto = MotoServer::start_with_deployments();
    let first = create_service(&moto);
    let original_id = tick(&moto)["deployments"][0]["id"].clone();
    let failing = register(&moto, &["registry.example/web:fail-circuit-breaker"]);
    let failing_id = update(&moto, &failing)["deployments"][0]["id"].clone();

    for failed_tasks in 1..=2 {
        let service = tick(&moto);
        assert_eq!(service["deployments"][0]["id"], failing_id);
        assert_eq!(service["deployments"][0]["failedTasks"], failed_tasks);
        assert_eq!(service["deployments"][0]["rolloutState"], "IN_PROGRESS");
        assert_eq!(service["taskDefinition"], failing);
    }

    let rolling_back = tick(&moto);
    let [rollback, failed, original] = &deployments(&rolling_back)[..] else {
        panic!("expected three deployments: {rolling_back:#}");
    };
    assert_eq!(rolling_back["taskDefinition"], first);
    assert_is_deployment_id(&rollback["id"]);
    assert_eq!(rollback["status"], "PRIMARY");
    assert_eq!(rollback["taskDefinition"], first);
    assert_eq!(rollback["rolloutState"], "IN_PROGRESS");
    assert_eq!(failed["id"], failing_id);
    assert_eq!(failed["status"], "ACTIVE");
    assert_eq!(failed["rolloutState"], "FAILED");
    assert_eq!(failed["rolloutStateReason"], CIRCUIT_BREAKER_REASON);
    assert_eq!(failed["failedTasks"], 3);
    assert_eq!(original["id"], original_id);
    assert_eq!(original["status"], "ACTIVE");
    let events = messages(&rolling_back);
    let failed_event = format!(
        "(service web) (deployment {}) deployment failed: tasks failed to start.",
        text(&failing_id)
    );
    let rollback_event = format!(
        "(service web) rolling back to deployment {}.",
        text(&original_id)
    );
    assert!(events.contains(&failed_event.as_str()), "{events:#?}");
    assert!(events.contains(&rollback_event.as_str()), "{events:#?}");

    let rolled_back = tick(&moto);
    let [only] = &deployments(&rolled_back)[..] else {
        panic!("expected one deployment: {rolled_back:#}");
    };
    assert_eq!(only["id"], rollback["id"]);
    assert_eq!(only["rolloutState"], "COMPLETED");
    assert_eq!(rolled_back["taskDefinition"], first);
    assert_eq!(stopped_task_arns(&moto, SERVICE).len(), 3);

    // Nothing moves once the rollback completed.
    assert_eq!(tick(&moto)["deployments"], rolled_back["deployments"]);
    assert_eq!(stopped_task_arns(&moto, SERVICE).len(), 3);
}

#[test]
fn stopped_tasks_describe_the_failure() {
    let moto = MotoServer::start_with_deployments();
    create_service(&moto);
    let failing = register(
        &moto,
        &[
            "registry.example/web:fail-tasks",
            "registry.example/sidecar:1",
        ],
    );
    let deployment_id = update(&moto, &failing)["deployments"][0]["id"].clone();
    ticks(&moto, 2);

    let arns = stopped_task_arns(&moto, SERVICE);
    assert_eq!(arns.len(), 2, "{arns:?}");
    let mut request = vec!["ecs", "describe-tasks", "--cluster", CLUSTER, "--tasks"];
    request.extend(arns.iter().map(String::as_str));
    let described = moto.aws_json(&request);
    assert_eq!(described["failures"], json!([]));
    let tasks = described["tasks"].as_array().unwrap();
    assert_eq!(tasks.len(), 2, "{described:#}");

    for task in tasks {
        assert!(
            arns.contains(&text(&task["taskArn"]).to_string()),
            "{task:#}"
        );
        assert_eq!(task["taskDefinitionArn"], failing);
        assert_eq!(task["startedBy"], deployment_id);
        assert_eq!(task["group"], "service:web");
        assert_eq!(task["lastStatus"], "STOPPED");
        assert_eq!(task["desiredStatus"], "STOPPED");
        assert_eq!(task["stopCode"], "TaskFailedToStart");
        assert_eq!(task["stoppedReason"], STOPPED_REASON);
        assert!(task["stoppedAt"].is_number(), "{task:#}");
        let containers = task["containers"].as_array().unwrap();
        let names: Vec<&str> = containers.iter().map(|c| text(&c["name"])).collect();
        assert_eq!(names, ["c0", "c1"]);
        for container in containers {
            assert_eq!(container["lastStatus"], "STOPPED");
            let reason = text(&container["reason"]);
            assert!(
                reason.starts_with("CannotStartContainerError: "),
                "{reason}"
            );
            // The containers never started, so none has an exit code.
            assert!(container.get("exitCode").is_none(), "{container:#}");
        }
    }

    // A task id works as well as its ARN.
    let task_id = arns[0].rsplit('/').next().unwrap();
    let by_id = moto.aws_json(&[
        "ecs",
        "describe-tasks",
        "--cluster",
        CLUSTER,
        "--tasks",
        task_id,
    ]);
    assert_eq!(by_id["tasks"][0]["taskArn"], arns[0].as_str());
}

#[test]
fn task_queries_reject_or_skip_bad_input() {
    let moto = MotoServer::start_with_deployments();
    create_service(&moto);
    moto.aws_json(&[
        "ecs",
        "create-service",
        "--cluster",
        CLUSTER,
        "--service-name",
        "other",
        "--task-definition",
        FAMILY,
        "--desired-count",
        "1",
    ]);
    let failing = register(&moto, &["registry.example/web:fail-tasks"]);
    update(&moto, &failing);
    tick(&moto);
    let arns = stopped_task_arns(&moto, SERVICE);
    assert_eq!(arns.len(), 1);

    // Another service's stopped tasks are not listed, nor are stopped tasks
    // without --desired-status STOPPED, as ECS lists RUNNING ones by default.
    assert_eq!(stopped_task_arns(&moto, "other"), Vec::<String>::new());
    let default_listing = moto.aws_json(&[
        "ecs",
        "list-tasks",
        "--cluster",
        CLUSTER,
        "--service-name",
        SERVICE,
    ]);
    assert_eq!(default_listing["taskArns"], json!([]));

    let unknown_service = moto
        .aws([
            "ecs",
            "list-tasks",
            "--cluster",
            CLUSTER,
            "--service-name",
            "nope",
            "--desired-status",
            "STOPPED",
        ])
        .output()
        .unwrap();
    assert!(!unknown_service.status.success());
    let stderr = String::from_utf8_lossy(&unknown_service.stderr);
    assert!(stderr.contains("ServiceNotFoundException"), "{stderr}");

    let missing_arn =
        "arn:aws:ecs:us-east-1:123456789012:task/harness/0123456789abcdef0123456789abcdef";
    let described = moto.aws_json(&[
        "ecs",
        "describe-tasks",
        "--cluster",
        CLUSTER,
        "--tasks",
        &arns[0],
        missing_arn,
        "not-a-task",
    ]);
    assert_eq!(described["tasks"].as_array().unwrap().len(), 1);
    assert_eq!(
        described["failures"],
        json!([
            {"arn": missing_arn, "reason": "MISSING"},
            {"arn": "arn:aws:ecs:us-east-1:123456789012:task/harness/not-a-task", "reason": "MISSING"}
        ])
    );

    // A task is found only in its own cluster.
    moto.aws_json(&["ecs", "create-cluster", "--cluster-name", "elsewhere"]);
    let elsewhere = moto.aws_json(&[
        "ecs",
        "describe-tasks",
        "--cluster",
        "elsewhere",
        "--tasks",
        &arns[0],
    ]);
    assert_eq!(elsewhere["tasks"], json!([]));
    assert_eq!(elsewhere["failures"][0]["reason"], "MISSING");
}

#[test]
fn fail_tasks_then_tool_rollback_completes() {
    let moto = MotoServer::start_with_deployments();
    let first = create_service(&moto);
    let failing = register(&moto, &["registry.example/web:fail-tasks"]);
    let failing_id = update(&moto, &failing)["deployments"][0]["id"].clone();

    let stuck = ticks(&moto, 5);
    assert_eq!(deployments(&stuck).len(), 2, "{stuck:#}");
    assert_eq!(stuck["deployments"][0]["id"], failing_id);
    assert_eq!(stuck["deployments"][0]["rolloutState"], "IN_PROGRESS");
    assert_eq!(stuck["deployments"][0]["failedTasks"], 5);
    assert_eq!(stuck["deployments"][0]["runningCount"], 0);
    assert_eq!(stuck["taskDefinition"], failing);
    assert_eq!(stopped_task_arns(&moto, SERVICE).len(), 5);

    // The tool rolls back by updating to the previous revision itself.
    let rolling_back = update(&moto, &first);
    let [rollback, abandoned, _original] = &deployments(&rolling_back)[..] else {
        panic!("expected three deployments: {rolling_back:#}");
    };
    assert_eq!(rollback["status"], "PRIMARY");
    assert_eq!(rollback["taskDefinition"], first);
    assert_eq!(abandoned["id"], failing_id);
    assert_eq!(abandoned["status"], "ACTIVE");

    let done = ticks(&moto, 2);
    let [only] = &deployments(&done)[..] else {
        panic!("expected one deployment: {done:#}");
    };
    assert_eq!(only["id"], rollback["id"]);
    assert_eq!(only["rolloutState"], "COMPLETED");
    assert_eq!(done["taskDefinition"], first);
    assert_eq!(stopped_task_arns(&moto, SERVICE).len(), 5);
}

#[test]
fn never_stable_stays_one_task_short() {
    let moto = MotoServer::start_with_deployments();
    create_service(&moto);
    let unstable = register(&moto, &["registry.example/web:never-stable"]);
    update(&moto, &unstable);

    let service = ticks(&moto, 6);
    let primary = &service["deployments"][0];
    assert_eq!(primary["taskDefinition"], unstable);
    assert_eq!(primary["rolloutState"], "IN_PROGRESS");
    assert_eq!(primary["runningCount"], DESIRED_COUNT - 1);
    assert_eq!(primary["pendingCount"], 1);
    assert_eq!(primary["failedTasks"], 0);
    assert_eq!(deployments(&service).len(), 2);
    assert_eq!(stopped_task_arns(&moto, SERVICE), Vec::<String>::new());
}

#[test]
fn rollout_failed_keeps_new_revision() {
    let moto = MotoServer::start_with_deployments();
    let first = create_service(&moto);
    let broken = register(&moto, &["registry.example/web:rollout-failed"]);
    let broken_id = update(&moto, &broken)["deployments"][0]["id"].clone();

    assert_eq!(tick(&moto)["deployments"][0]["rolloutState"], "IN_PROGRESS");
    let failed = tick(&moto);
    let [primary, previous] = &deployments(&failed)[..] else {
        panic!("expected two deployments: {failed:#}");
    };
    assert_eq!(primary["id"], broken_id);
    assert_eq!(primary["status"], "PRIMARY");
    assert_eq!(primary["rolloutState"], "FAILED");
    assert_eq!(primary["rolloutStateReason"], CIRCUIT_BREAKER_REASON);
    assert_eq!(previous["taskDefinition"], first);
    assert_eq!(failed["taskDefinition"], broken);
    let failed_event = format!(
        "(service web) (deployment {}) deployment failed: tasks failed to start.",
        text(&broken_id)
    );
    assert_eq!(messages(&failed)[0], failed_event);

    let later = ticks(&moto, 3);
    assert_eq!(later["deployments"], failed["deployments"]);
    assert_eq!(later["taskDefinition"], broken);
}

#[test]
fn force_new_deployment_redeploys_revision() {
    let moto = MotoServer::start_with_deployments();
    let first = create_service(&moto);
    let original_id = tick(&moto)["deployments"][0]["id"].clone();

    let forced = moto.aws_json(&[
        "ecs",
        "update-service",
        "--cluster",
        CLUSTER,
        "--service",
        SERVICE,
        "--force-new-deployment",
    ]);
    let [new, old] = &deployments(&forced["service"])[..] else {
        panic!("expected two deployments: {forced:#}");
    };
    assert_ne!(new["id"], original_id);
    assert_eq!(new["taskDefinition"], first);
    assert_eq!(new["rolloutState"], "IN_PROGRESS");
    // moto alone renames the existing deployment in place; ECS keeps its id.
    assert_eq!(old["id"], original_id);

    let done = ticks(&moto, 2);
    assert_eq!(deployments(&done).len(), 1);
    assert_eq!(done["deployments"][0]["id"], new["id"]);
    assert_eq!(done["deployments"][0]["rolloutState"], "COMPLETED");
}

#[test]
fn unchanged_update_starts_no_deployment() {
    let moto = MotoServer::start_with_deployments();
    let first = create_service(&moto);
    let original = tick(&moto)["deployments"][0].clone();

    let same = update(&moto, &format!("{FAMILY}:1"));
    assert_eq!(deployments(&same).len(), 1, "{same:#}");
    assert_eq!(same["deployments"][0]["id"], original["id"]);
    assert_eq!(same["taskDefinition"], first);

    let scaled = moto.aws_json(&[
        "ecs",
        "update-service",
        "--cluster",
        CLUSTER,
        "--service",
        SERVICE,
        "--desired-count",
        "3",
    ]);
    let scaled = &scaled["service"];
    assert_eq!(deployments(scaled).len(), 1, "{scaled:#}");
    assert_eq!(scaled["deployments"][0]["id"], original["id"]);
    assert_eq!(scaled["deployments"][0]["desiredCount"], 3);
    assert_eq!(scaled["deployments"][0]["runningCount"], 3);
    assert_eq!(scaled["runningCount"], 3);
    assert_eq!(scaled["desiredCount"], 3);
}

#[test]
fn update_to_missing_revision_changes_nothing() {
    let moto = MotoServer::start_with_deployments();
    let first = create_service(&moto);
    let before = tick(&moto);

    let output = moto
        .aws([
            "ecs",
            "update-service",
            "--cluster",
            CLUSTER,
            "--service",
            SERVICE,
            "--task-definition",
            &format!("{FAMILY}:99"),
        ])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("ClientException"), "{stderr}");

    let after = tick(&moto);
    assert_eq!(after["deployments"], before["deployments"]);
    assert_eq!(after["taskDefinition"], first);
}

#[test]
fn describe_ticks_each_service_once() {
    let moto = MotoServer::start_with_deployments();
    create_service(&moto);
    let second = register(&moto, &[HEALTHY_IMAGE]);
    update(&moto, &second);

    // Naming the service twice in one call is still one tick, and a missing
    // service is reported as a failure beside it.
    let describe = |names: &[&str]| {
        let mut args = vec![
            "ecs",
            "describe-services",
            "--cluster",
            CLUSTER,
            "--services",
        ];
        args.extend_from_slice(names);
        moto.aws_json(&args)
    };
    let first_call = describe(&[SERVICE, SERVICE, "missing"]);
    assert_eq!(first_call["services"].as_array().unwrap().len(), 2);
    assert_eq!(
        first_call["services"][0]["deployments"][0]["rolloutState"],
        "IN_PROGRESS"
    );
    assert_eq!(first_call["failures"][0]["reason"], "MISSING");
    assert_eq!(
        first_call["failures"][0]["arn"],
        "arn:aws:ecs:us-east-1:123456789012:service/missing"
    );

    let second_call = describe(&[SERVICE]);
    assert_eq!(
        second_call["services"][0]["deployments"][0]["rolloutState"],
        "COMPLETED"
    );

    // Other ECS calls do not tick.
    let third = register(&moto, &[HEALTHY_IMAGE]);
    update(&moto, &third);
    for _ in 0..3 {
        moto.aws_json(&["ecs", "list-services", "--cluster", CLUSTER]);
        stopped_task_arns(&moto, SERVICE);
    }
    assert_eq!(tick(&moto)["deployments"][0]["rolloutState"], "IN_PROGRESS");
}

/// Returns the address in an `http://IP:PORT/PATH` URL.
fn socket_address(url: &str) -> SocketAddr {
    let rest = url.strip_prefix("http://").expect("an http:// URL");
    let (authority, _) = rest.split_once('/').expect("a URL with a path");
    authority.parse().expect("a numeric host and port")
}

/// Sends `GET` to `url` and returns the status and body.
fn http_get(url: &str, timeout: Duration) -> io::Result<(u16, String)> {
    let address = socket_address(url);
    let (authority, path) = url["http://".len()..].split_once('/').unwrap();
    let mut stream = TcpStream::connect_timeout(&address, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    write!(
        stream,
        "GET /{path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;

    let invalid = || io::Error::new(io::ErrorKind::InvalidData, response.clone());
    let (head, body) = response.split_once("\r\n\r\n").ok_or_else(invalid)?;
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(invalid)?;
    Ok((status, body.to_string()))
}

const CLIENT_TIMEOUT: Duration = Duration::from_secs(5);

#[test]
fn health_server_answers_and_counts() {
    let server = HealthServer::start(200, "ok");
    assert!(
        server.url().starts_with("http://127.0.0.1:"),
        "{}",
        server.url()
    );
    assert!(server.url().ends_with("/health"), "{}", server.url());
    assert_eq!(server.requests(), 0);

    assert_eq!(
        http_get(&server.url(), CLIENT_TIMEOUT).unwrap(),
        (200, "ok".to_string())
    );
    assert_eq!(
        http_get(&server.url(), CLIENT_TIMEOUT).unwrap(),
        (200, "ok".to_string())
    );
    assert_eq!(server.requests(), 2);

    server.set_response(503, "{\"status\":\"starting\"}");
    assert_eq!(
        http_get(&server.url(), CLIENT_TIMEOUT).unwrap(),
        (503, "{\"status\":\"starting\"}".to_string())
    );
    server.set_response(299, "");
    assert_eq!(
        http_get(&server.url(), CLIENT_TIMEOUT).unwrap(),
        (299, String::new())
    );
    assert_eq!(server.requests(), 4);
}

#[test]
fn health_server_reads_request_body() {
    let server = HealthServer::start(200, "ok");
    let address = socket_address(&server.url());
    let mut stream = TcpStream::connect(address).unwrap();
    stream.set_read_timeout(Some(CLIENT_TIMEOUT)).unwrap();
    let body = "x".repeat(10_000);
    write!(
        stream,
        "POST /health HTTP/1.1\r\nHost: {address}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    assert!(response.ends_with("\r\n\r\nok"), "{response}");
}

#[test]
fn health_server_skips_silent_client() {
    let server = HealthServer::start(204, "");
    let address = socket_address(&server.url());
    // Connects and closes without a request, as a port probe does.
    drop(TcpStream::connect(address).unwrap());

    assert_eq!(
        http_get(&server.url(), CLIENT_TIMEOUT).unwrap(),
        (204, String::new())
    );
    assert_eq!(server.requests(), 1);
}

#[test]
fn hanging_health_server_times_out_client() {
    let server = HealthServer::hanging();
    let started = Instant::now();
    let error = http_get(&server.url(), Duration::from_millis(500)).unwrap_err();
    assert!(
        matches!(
            error.kind(),
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
        ),
        "{error:?}"
    );
    assert!(started.elapsed() >= Duration::from_millis(500));
    assert_eq!(server.requests(), 1);

    // A hanging server can be made to respond again, and the reverse.
    server.set_response(200, "back");
    assert_eq!(
        http_get(&server.url(), CLIENT_TIMEOUT).unwrap(),
        (200, "back".to_string())
    );
    server.set_hanging();
    assert!(http_get(&server.url(), Duration::from_millis(300)).is_err());
    assert_eq!(server.requests(), 3);
}

#[test]
fn health_server_closes_on_drop() {
    let server = HealthServer::start(200, "ok");
    let url = server.url();
    assert!(http_get(&url, CLIENT_TIMEOUT).is_ok());
    drop(server);

    let error = http_get(&url, CLIENT_TIMEOUT).unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::ConnectionRefused, "{error:?}");
}

#[test]
fn hanging_connections_close_on_drop() {
    let server = HealthServer::hanging();
    let address = socket_address(&server.url());
    let mut stream = TcpStream::connect(address).unwrap();
    stream.set_read_timeout(Some(CLIENT_TIMEOUT)).unwrap();
    write!(stream, "GET /health HTTP/1.1\r\nHost: {address}\r\n\r\n").unwrap();
    // Wait until the server has read the request, so it keeps the connection.
    let deadline = Instant::now() + CLIENT_TIMEOUT;
    while server.requests() == 0 && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(server.requests(), 1);

    drop(server);
    let mut rest = Vec::new();
    // End of stream, not a timeout: the held connection was closed.
    assert_eq!(stream.read_to_end(&mut rest).unwrap(), 0);
}

#[test]
fn refused_url_has_no_listener() {
    let url = refused_url();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let error = http_get(&url, CLIENT_TIMEOUT).unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::ConnectionRefused, "{error:?}");
}

#[test]
#[should_panic(expected = "HTTP status 42 is not a three-digit code")]
fn health_server_rejects_bad_status() {
    HealthServer::start(42, "");
}
