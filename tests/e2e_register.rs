//! End-to-end proof that `bcos-taskdef` output registers: the real `aws` CLI v1
//! creates a secret and a task definition in moto on 127.0.0.1, the tool edits
//! the describe output, and the CLI registers and describes the result.

mod support;

use serde_json::{Value, json};
use support::{MotoServer, run_tool, run_tool_ok};

const FAMILY: &str = "bcos-staging";
const SIDECAR: &str = "datadog-agent";
const APP: &str = "bcos";
const ADD_SECRETS: [&str; 7] = [
    "add-secrets",
    "--container",
    APP,
    "--secret-key",
    "WEBAUTHN_RP_ID",
    "--secret-key",
    "MFA_TEMP_TOKEN_SECRET",
];

/// Keys that differ between two revisions of one family for reasons other than
/// their content. moto 5.2.1 returns only the first two. Real ECS also returns
/// `registeredAt` and `registeredBy`, so removing them keeps the comparison
/// valid there too.
const PER_REVISION_KEYS: [&str; 4] = [
    "taskDefinitionArn",
    "revision",
    "registeredAt",
    "registeredBy",
];

/// What `seed` created in moto.
struct Seeded {
    secret_arn: String,
    /// `describe-task-definition --include TAGS` output, byte for byte.
    describe: Vec<u8>,
}

/// Creates a Secrets Manager secret, a cluster, and revision 1 of `FAMILY`: a
/// sidecar first, then `bcos` with secrets that reference the new secret by
/// JSON key, shaped like `fixtures/bcos-staging.describe.json`.
fn seed(moto: &MotoServer) -> Seeded {
    let created = moto.aws_json(&[
        "secretsmanager",
        "create-secret",
        "--name",
        "bcos/staging/app",
        "--secret-string",
        r#"{"DATABASE_URL":"postgres://db/bcos","JWT_SECRET":"jwt","WEBAUTHN_RP_ID":"staging.example.com"}"#,
    ]);
    let secret_arn = created["ARN"]
        .as_str()
        .expect("create-secret output has an ARN")
        .to_string();
    let suffix = secret_arn
        .rsplit_once('-')
        .map(|(_, suffix)| suffix)
        .unwrap_or_default();
    assert_eq!(
        suffix.len(),
        6,
        "secret ARN {secret_arn} lacks the 6-character suffix that add-secrets must keep"
    );

    moto.aws_json(&["ecs", "create-cluster", "--cluster-name", FAMILY]);

    let containers = container_definitions(&secret_arn).to_string();
    moto.aws_json(&[
        "ecs",
        "register-task-definition",
        "--family",
        FAMILY,
        "--task-role-arn",
        "arn:aws:iam::123456789012:role/bcos-staging-task",
        "--execution-role-arn",
        "arn:aws:iam::123456789012:role/bcos-staging-execution",
        "--network-mode",
        "awsvpc",
        "--requires-compatibilities",
        "FARGATE",
        "--cpu",
        "1024",
        "--memory",
        "2048",
        "--runtime-platform",
        "cpuArchitecture=X86_64,operatingSystemFamily=LINUX",
        "--container-definitions",
        &containers,
        "--tags",
        "key=Project,value=bcos",
        "key=Environment,value=staging",
        "key=ManagedBy,value=cloudformation",
    ]);

    let describe = describe(moto, FAMILY);
    Seeded {
        secret_arn,
        describe,
    }
}

fn container_definitions(secret_arn: &str) -> Value {
    let log_options = |prefix: &str| {
        json!({
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": "/ecs/bcos-staging",
                "awslogs-region": "us-east-1",
                "awslogs-stream-prefix": prefix
            }
        })
    };
    json!([
        {
            "name": SIDECAR,
            "image": "public.ecr.aws/datadog/agent:7.58.0",
            "cpu": 128,
            "memoryReservation": 256,
            "portMappings": [{"containerPort": 8126, "hostPort": 8126, "protocol": "tcp"}],
            "essential": false,
            "environment": [
                {"name": "ECS_FARGATE", "value": "true"},
                {"name": "DD_SITE", "value": "datadoghq.com"}
            ],
            "secrets": [{
                "name": "DD_API_KEY",
                "valueFrom": "arn:aws:ssm:us-east-1:123456789012:parameter/bcos/staging/datadog-api-key"
            }],
            "logConfiguration": log_options("datadog")
        },
        {
            "name": APP,
            "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/bcos:2026.12.03-1a2b3c4",
            "cpu": 896,
            "memory": 1792,
            "portMappings": [{
                "containerPort": 3000,
                "hostPort": 3000,
                "protocol": "tcp",
                "name": "bcos-3000-tcp",
                "appProtocol": "http"
            }],
            "essential": true,
            "environment": [
                {"name": "NODE_ENV", "value": "production"},
                {"name": "PORT", "value": "3000"}
            ],
            "secrets": [
                {"name": "DATABASE_URL", "valueFrom": format!("{secret_arn}:DATABASE_URL::")},
                {"name": "JWT_SECRET", "valueFrom": format!("{secret_arn}:JWT_SECRET::")}
            ],
            "dependsOn": [{"containerName": SIDECAR, "condition": "START"}],
            "logConfiguration": log_options("bcos"),
            "healthCheck": {
                "command": ["CMD-SHELL", "wget -qO- http://localhost:3000/api/health || exit 1"],
                "interval": 30,
                "timeout": 5,
                "retries": 3,
                "startPeriod": 60
            }
        }
    ])
}

fn describe(moto: &MotoServer, task_definition: &str) -> Vec<u8> {
    moto.aws_stdout(&[
        "ecs",
        "describe-task-definition",
        "--task-definition",
        task_definition,
        "--include",
        "TAGS",
    ])
}

/// Registers the file with `--cli-input-json` and returns the new revision.
fn register(moto: &MotoServer, input: &std::path::Path) -> u64 {
    let uri = format!("file://{}", input.display());
    let registered = moto.aws_json(&["ecs", "register-task-definition", "--cli-input-json", &uri]);
    registered["taskDefinition"]["revision"]
        .as_u64()
        .expect("register output has a numeric revision")
}

fn parse(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).expect("describe output is JSON")
}

fn container<'a>(task_definition: &'a Value, name: &str) -> &'a Value {
    task_definition["containerDefinitions"]
        .as_array()
        .expect("containerDefinitions is an array")
        .iter()
        .find(|container| container["name"] == name)
        .unwrap_or_else(|| panic!("container {name} not found"))
}

fn container_names(task_definition: &Value) -> Vec<&str> {
    task_definition["containerDefinitions"]
        .as_array()
        .expect("containerDefinitions is an array")
        .iter()
        .map(|container| container["name"].as_str().unwrap_or_default())
        .collect()
}

/// Returns the task definition without the keys that change with each revision.
fn content_of(task_definition: &Value) -> Value {
    let mut content = task_definition.clone();
    let object = content
        .as_object_mut()
        .expect("taskDefinition is an object");
    for key in PER_REVISION_KEYS {
        object.remove(key);
    }
    content
}

fn write_temp(directory: &tempfile::TempDir, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = directory.path().join(name);
    std::fs::write(&path, bytes).expect("write a temporary file");
    path
}

#[test]
fn add_secrets_registers_and_reruns_unchanged() {
    let moto = MotoServer::start();
    let seeded = seed(&moto);
    let source = parse(&seeded.describe);
    let source_definition = &source["taskDefinition"];
    assert_eq!(
        container_names(source_definition),
        [SIDECAR, APP],
        "seeded family should list the sidecar before bcos"
    );

    let edited = run_tool_ok(&ADD_SECRETS, &seeded.describe);
    let scratch = tempfile::tempdir().expect("create a temporary directory");
    let input_file = write_temp(&scratch, "register-input.json", &edited);
    let revision = register(&moto, &input_file);
    let source_revision = source_definition["revision"].as_u64().unwrap_or_default();
    assert_eq!(
        revision,
        source_revision + 1,
        "register should create the next revision"
    );

    let new_describe = describe(&moto, &format!("{FAMILY}:{revision}"));
    let result = parse(&new_describe);
    let result_definition = &result["taskDefinition"];

    let secrets = container(result_definition, APP)["secrets"]
        .as_array()
        .expect("bcos has a secrets array")
        .clone();
    let value_from = |name: &str| {
        secrets
            .iter()
            .find(|secret| secret["name"] == name)
            .map(|secret| secret["valueFrom"].clone())
    };
    assert_eq!(
        value_from("WEBAUTHN_RP_ID"),
        Some(json!(format!("{}:WEBAUTHN_RP_ID::", seeded.secret_arn))),
        "WEBAUTHN_RP_ID should reference the inferred secret by JSON key"
    );
    assert_eq!(
        value_from("MFA_TEMP_TOKEN_SECRET"),
        Some(json!(format!(
            "{}:MFA_TEMP_TOKEN_SECRET::",
            seeded.secret_arn
        ))),
        "MFA_TEMP_TOKEN_SECRET should reference the inferred secret by JSON key"
    );

    assert_eq!(
        container(result_definition, SIDECAR),
        container(source_definition, SIDECAR),
        "the sidecar container should be unchanged"
    );
    assert_eq!(
        result["tags"], source["tags"],
        "the new revision should carry the source's tags"
    );

    // With the two added secrets taken out again, nothing may differ: not the
    // container order, the existing secrets, nor any task-level field.
    let mut result_without_added = content_of(result_definition);
    let app_index = container_names(result_definition)
        .iter()
        .position(|name| *name == APP)
        .expect("bcos is in the new revision");
    result_without_added["containerDefinitions"][app_index]["secrets"]
        .as_array_mut()
        .expect("bcos has a secrets array")
        .retain(|secret| {
            secret["name"] != "WEBAUTHN_RP_ID" && secret["name"] != "MFA_TEMP_TOKEN_SECRET"
        });
    assert_eq!(
        result_without_added,
        content_of(source_definition),
        "every field but the added secrets should equal the source revision"
    );

    let rerun = run_tool_ok(&ADD_SECRETS, &new_describe);
    assert!(
        rerun == edited,
        "add-secrets on the new revision should print the registered file byte for byte\n\
         registered:\n{}\nrerun:\n{}",
        String::from_utf8_lossy(&edited),
        String::from_utf8_lossy(&rerun)
    );
}

#[test]
fn strip_output_registers_with_real_cli() {
    let moto = MotoServer::start();
    let seeded = seed(&moto);
    let scratch = tempfile::tempdir().expect("create a temporary directory");

    // The CLI validates --cli-input-json against its ECS model before sending,
    // so the unconverted describe output must fail. Without that check, the
    // successful register below would prove nothing about strip.
    let raw_file = write_temp(&scratch, "describe.json", &seeded.describe);
    let raw_uri = format!("file://{}", raw_file.display());
    let rejected = moto
        .aws([
            "ecs",
            "register-task-definition",
            "--cli-input-json",
            &raw_uri,
        ])
        .output()
        .expect("run aws");
    assert!(
        !rejected.status.success(),
        "the CLI should reject describe output given as register input"
    );
    let rejection = String::from_utf8_lossy(&rejected.stderr);
    assert!(
        rejection.contains("Unknown parameter in input: \"taskDefinition\""),
        "the CLI should name the describe wrapper as an unknown parameter; stderr:\n{rejection}"
    );

    let stripped_file = scratch.path().join("stripped.json");
    let stripped_path = stripped_file.to_str().expect("temporary path is UTF-8");
    let stdout = run_tool_ok(&["strip", "-o", stripped_path], &seeded.describe);
    assert!(stdout.is_empty(), "strip -o should print nothing on stdout");

    let revision = register(&moto, &stripped_file);
    let source = parse(&seeded.describe);
    let result = parse(&describe(&moto, &format!("{FAMILY}:{revision}")));
    assert_eq!(
        content_of(&result["taskDefinition"]),
        content_of(&source["taskDefinition"]),
        "the stripped revision should equal the source in every field"
    );
    assert_eq!(
        result["tags"], source["tags"],
        "the stripped revision should carry the source's tags"
    );
}

#[test]
fn add_secrets_bad_input_exits_2() {
    let moto = MotoServer::start();
    let seeded = seed(&moto);

    // The sidecar's only secret is an SSM parameter, so no Secrets Manager ARN
    // can be inferred for it.
    let cases: [(&[&str], &str); 2] = [
        (
            &["add-secrets", "--container", SIDECAR, "--secret-key", "X"],
            "sidecar without a Secrets Manager secret",
        ),
        (
            &["add-secrets", "--container", "missing", "--secret-key", "X"],
            "container not in the task definition",
        ),
    ];
    for (args, case) in cases {
        let output = run_tool(args, &seeded.describe);
        assert_eq!(output.status.code(), Some(2), "{case}: exit code");
        assert!(output.stdout.is_empty(), "{case}: stdout should be empty");
        assert!(
            !output.stderr.is_empty(),
            "{case}: stderr should explain the error"
        );
    }
}

#[test]
fn add_secrets_needs_arn_when_two_secrets() {
    let moto = MotoServer::start();
    let seeded = seed(&moto);
    let other = moto.aws_json(&[
        "secretsmanager",
        "create-secret",
        "--name",
        "bcos/staging/mfa",
        "--secret-string",
        r#"{"MFA_TEMP_TOKEN_SECRET":"mfa"}"#,
    ]);
    let other_arn = other["ARN"]
        .as_str()
        .expect("create-secret output has an ARN");

    // Give bcos a secret from a second Secrets Manager secret, register that,
    // and describe it, so the ambiguity comes from real describe output.
    let scratch = tempfile::tempdir().expect("create a temporary directory");
    let reference = format!("MFA_TEMP_TOKEN_SECRET={other_arn}:MFA_TEMP_TOKEN_SECRET::");
    let two_secrets = run_tool_ok(
        &["add-secrets", "--container", APP, "--secret", &reference],
        &seeded.describe,
    );
    let revision = register(&moto, &write_temp(&scratch, "two.json", &two_secrets));
    let two_describe = describe(&moto, &format!("{FAMILY}:{revision}"));

    let args = [
        "add-secrets",
        "--container",
        APP,
        "--secret-key",
        "WEBAUTHN_RP_ID",
    ];
    let ambiguous = run_tool(&args, &two_describe);
    assert_eq!(
        ambiguous.status.code(),
        Some(2),
        "two referenced secrets without --secret-arn should exit 2"
    );
    assert!(
        ambiguous.stdout.is_empty(),
        "a failed add-secrets should print nothing on stdout"
    );
    let message = String::from_utf8_lossy(&ambiguous.stderr);
    assert!(
        message.contains("--secret-arn"),
        "the error should name --secret-arn as the way out; stderr:\n{message}"
    );
    assert!(
        message.contains(&seeded.secret_arn) && message.contains(other_arn),
        "the error should list both candidate secrets; stderr:\n{message}"
    );

    let chosen = run_tool_ok(
        &[
            "add-secrets",
            "--container",
            APP,
            "--secret-key",
            "WEBAUTHN_RP_ID",
            "--secret-arn",
            &seeded.secret_arn,
        ],
        &two_describe,
    );
    let revision = register(&moto, &write_temp(&scratch, "chosen.json", &chosen));
    let result = parse(&describe(&moto, &format!("{FAMILY}:{revision}")));
    let secrets = &container(&result["taskDefinition"], APP)["secrets"];
    let added = secrets
        .as_array()
        .expect("bcos has a secrets array")
        .iter()
        .find(|secret| secret["name"] == "WEBAUTHN_RP_ID")
        .map(|secret| secret["valueFrom"].clone());
    assert_eq!(
        added,
        Some(json!(format!("{}:WEBAUTHN_RP_ID::", seeded.secret_arn))),
        "--secret-arn should pick the secret that WEBAUTHN_RP_ID references"
    );
}
