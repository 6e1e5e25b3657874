//! A generated `describe-task-definition` output of about 64 KiB for the
//! benchmarks. It has ten containers of the kind a production service runs,
//! and environment variables pad it until its compact JSON is exactly
//! [`COMPACT_BYTES`] long. The request built from it is smaller even with two
//! new secrets, because the read-only keys go, so validation's size check passes.

use bcos_taskdef::taskdef::MAX_JSON_BYTES;
use serde_json::{Map, Value, json};

/// Compact size of the generated output, one byte under ECS's limit for a
/// task definition.
pub const COMPACT_BYTES: usize = MAX_JSON_BYTES - 1;

const ACCOUNT: &str = "123456789012";
const REGION: &str = "us-east-1";
const FAMILY: &str = "bcos-production";

/// The Secrets Manager secret whose JSON keys the `bcos` container reads, so
/// that `add-secrets --secret-key` can infer the ARN.
const APP_SECRET_ARN: &str =
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:bcos/production/app-Xk29Qa";

/// One container of the generated task definition.
struct ContainerSpec {
    name: &'static str,
    image: &'static str,
    cpu: u32,
    memory: u32,
    ports: &'static [u16],
    essential: bool,
    /// JSON keys of [`APP_SECRET_ARN`].
    app_secret_keys: &'static [&'static str],
    /// Names of SSM parameters under `/bcos/production/`.
    ssm_parameters: &'static [&'static str],
    depends_on: &'static [&'static str],
    health_path: Option<&'static str>,
}

const CONTAINERS: [ContainerSpec; 10] = [
    ContainerSpec {
        name: "log-router",
        image: "public.ecr.aws/aws-observability/aws-for-fluent-bit:2.32.4",
        cpu: 64,
        memory: 128,
        ports: &[],
        essential: true,
        app_secret_keys: &[],
        ssm_parameters: &[],
        depends_on: &[],
        health_path: None,
    },
    ContainerSpec {
        name: "datadog-agent",
        image: "public.ecr.aws/datadog/agent:7.58.0",
        cpu: 128,
        memory: 256,
        ports: &[8125, 8126],
        essential: false,
        app_secret_keys: &[],
        ssm_parameters: &["DD_API_KEY", "DD_APP_KEY"],
        depends_on: &["log-router"],
        health_path: None,
    },
    ContainerSpec {
        name: "envoy",
        image: "840364872350.dkr.ecr.us-east-1.amazonaws.com/aws-appmesh-envoy:v1.29.6.0-prod",
        cpu: 128,
        memory: 256,
        ports: &[9901, 15000, 15001],
        essential: true,
        app_secret_keys: &[],
        ssm_parameters: &[],
        depends_on: &["log-router"],
        health_path: Some("/ready"),
    },
    ContainerSpec {
        name: "bcos",
        image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/bcos:2026.12.03-1a2b3c4",
        cpu: 1024,
        memory: 2048,
        ports: &[3000],
        essential: true,
        app_secret_keys: &[
            "DATABASE_URL",
            "JWT_SECRET",
            "SESSION_SECRET",
            "REDIS_PASSWORD",
            "STRIPE_API_KEY",
            "SENDGRID_API_KEY",
            "ENCRYPTION_KEY",
            "OAUTH_CLIENT_SECRET",
        ],
        ssm_parameters: &[],
        depends_on: &["log-router", "envoy", "migrations"],
        health_path: Some("/api/health"),
    },
    ContainerSpec {
        name: "bcos-worker",
        image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/bcos:2026.12.03-1a2b3c4",
        cpu: 512,
        memory: 1024,
        ports: &[],
        essential: true,
        app_secret_keys: &["DATABASE_URL", "REDIS_PASSWORD", "SENDGRID_API_KEY"],
        ssm_parameters: &[],
        depends_on: &["log-router", "migrations"],
        health_path: None,
    },
    ContainerSpec {
        name: "bcos-scheduler",
        image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/bcos:2026.12.03-1a2b3c4",
        cpu: 256,
        memory: 512,
        ports: &[],
        essential: false,
        app_secret_keys: &["DATABASE_URL", "REDIS_PASSWORD"],
        ssm_parameters: &[],
        depends_on: &["log-router", "migrations"],
        health_path: None,
    },
    ContainerSpec {
        name: "migrations",
        image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/bcos-migrations:2026.12.03-1a2b3c4",
        cpu: 128,
        memory: 256,
        ports: &[],
        essential: false,
        app_secret_keys: &["DATABASE_URL"],
        ssm_parameters: &[],
        depends_on: &["log-router"],
        health_path: None,
    },
    ContainerSpec {
        name: "otel-collector",
        image: "public.ecr.aws/aws-observability/aws-otel-collector:v0.41.1",
        cpu: 128,
        memory: 256,
        ports: &[4317, 4318, 13133],
        essential: false,
        app_secret_keys: &[],
        ssm_parameters: &["OTEL_EXPORTER_HEADERS"],
        depends_on: &["log-router"],
        health_path: None,
    },
    ContainerSpec {
        name: "nginx",
        image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/bcos-nginx:1.27.2",
        cpu: 128,
        memory: 128,
        ports: &[80, 443],
        essential: true,
        app_secret_keys: &[],
        ssm_parameters: &["TLS_CERTIFICATE_KEY"],
        depends_on: &["log-router", "bcos"],
        health_path: Some("/nginx-health"),
    },
    ContainerSpec {
        name: "clamav",
        image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/clamav:1.4.1",
        cpu: 256,
        memory: 1024,
        ports: &[3310],
        essential: false,
        app_secret_keys: &[],
        ssm_parameters: &[],
        depends_on: &["log-router"],
        health_path: None,
    },
];

/// Settings that most services carry, as `(name, value)`.
const COMMON_ENVIRONMENT: [(&str, &str); 24] = [
    ("NODE_ENV", "production"),
    ("TZ", "UTC"),
    ("LANG", "C.UTF-8"),
    ("AWS_REGION", REGION),
    ("LOG_LEVEL", "info"),
    ("LOG_FORMAT", "json"),
    ("APP_URL", "https://app.bendcare.com"),
    ("API_BASE_URL", "https://api.bendcare.com/v2"),
    (
        "REDIS_HOST",
        "bcos-production.x1y2z3.ng.0001.use1.cache.amazonaws.com",
    ),
    ("REDIS_PORT", "6379"),
    ("REDIS_TLS", "true"),
    ("DB_POOL_MIN", "2"),
    ("DB_POOL_MAX", "20"),
    ("DB_STATEMENT_TIMEOUT_MS", "15000"),
    ("HTTP_TIMEOUT_MS", "10000"),
    ("HTTP_KEEPALIVE_TIMEOUT_MS", "65000"),
    (
        "CORS_ALLOWED_ORIGINS",
        "https://app.bendcare.com,https://admin.bendcare.com",
    ),
    ("SENTRY_ENVIRONMENT", "production"),
    ("SENTRY_TRACES_SAMPLE_RATE", "0.05"),
    ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://localhost:4317"),
    (
        "OTEL_RESOURCE_ATTRIBUTES",
        "deployment.environment=production,service.namespace=bcos",
    ),
    ("S3_BUCKET_UPLOADS", "bcos-production-uploads-123456789012"),
    (
        "SQS_QUEUE_URL",
        "https://sqs.us-east-1.amazonaws.com/123456789012/bcos-production-jobs",
    ),
    ("SES_FROM_ADDRESS", "no-reply@bendcare.com"),
];

/// Parts of feature-flag names, combined as `FEATURE_{AREA}_{CHANGE}`. These
/// flags are the many variables that fill the output to its size.
const FLAG_AREAS: [&str; 16] = [
    "BILLING",
    "CHECKOUT",
    "SEARCH",
    "REPORTS",
    "EXPORTS",
    "INVOICES",
    "SCHEDULING",
    "MESSAGING",
    "ONBOARDING",
    "AUDIT_LOG",
    "DASHBOARD",
    "PATIENTS",
    "CLAIMS",
    "NOTIFICATIONS",
    "WEBHOOKS",
    "SSO",
];
const FLAG_CHANGES: [&str; 12] = [
    "NEW_UI",
    "BATCHING",
    "CACHE",
    "V2_API",
    "RATE_LIMIT",
    "ASYNC_JOBS",
    "STRICT_VALIDATION",
    "PAGINATION",
    "DARK_LAUNCH",
    "READ_REPLICA",
    "COMPRESSION",
    "PREFETCH",
];

/// Builds the describe output, whose compact JSON is exactly [`COMPACT_BYTES`] long.
///
/// Panics when the fixed parts alone exceed that size or the flag names run
/// out, since either means the generator itself is wrong.
pub fn large_describe() -> Value {
    let mut containers: Vec<Value> = CONTAINERS.iter().map(container).collect();
    let fixed_size = compact_size(&describe_output(Value::Array(containers.clone())));
    assert!(
        fixed_size < COMPACT_BYTES,
        "the fixed parts already take {fixed_size} bytes"
    );

    // Environment variables are added round-robin, so each container grows
    // alike, until the next one would leave no room for the fingerprint.
    let fingerprint_cost = compact_size(&fingerprint(0)) + 1;
    let mut size = fixed_size + fingerprint_cost;
    let mut flag = 0;
    'fill: loop {
        for container in &mut containers {
            let variable = feature_flag(flag);
            // A member costs its compact JSON plus the comma before it.
            let cost = compact_size(&variable) + 1;
            if size + cost > COMPACT_BYTES {
                break 'fill;
            }
            environment(container).push(variable);
            size += cost;
        }
        flag += 1;
    }

    // The fingerprint's length takes up the last few bytes exactly.
    let bcos = containers
        .iter_mut()
        .find(|container| container["name"] == "bcos")
        .expect("one container is named bcos");
    environment(bcos).push(fingerprint(COMPACT_BYTES - size));

    let describe = describe_output(Value::Array(containers));
    let size = compact_size(&describe);
    assert_eq!(size, COMPACT_BYTES, "the padding missed the target size");
    describe
}

fn environment(container: &mut Value) -> &mut Vec<Value> {
    container["environment"]
        .as_array_mut()
        .expect("every generated container has an environment")
}

/// Returns a build fingerprint of `length` hex digits, the variable that
/// absorbs whatever bytes the feature flags leave over.
fn fingerprint(length: usize) -> Value {
    let digits: String = (0..length)
        .map(|i| char::from(b"0123456789abcdef"[(i * 7 + 3) % 16]))
        .collect();
    json!({"name": "BUILD_FINGERPRINT", "value": digits})
}

fn compact_size(value: &Value) -> usize {
    serde_json::to_vec(value)
        .expect("a JSON value always serialises")
        .len()
}

/// Returns the `n`th feature flag, varied across the three kinds of value
/// that flags take.
fn feature_flag(n: usize) -> Value {
    let pair = n % (FLAG_AREAS.len() * FLAG_CHANGES.len());
    assert_eq!(pair, n, "ran out of feature-flag names at flag {n}");
    let area = FLAG_AREAS[pair / FLAG_CHANGES.len()];
    let change = FLAG_CHANGES[pair % FLAG_CHANGES.len()];
    let value = match n % 3 {
        0 => "true".to_string(),
        1 => "false".to_string(),
        _ => format!("{}", (n * 7) % 100),
    };
    json!({"name": format!("FEATURE_{area}_{change}"), "value": value})
}

fn describe_output(containers: Value) -> Value {
    json!({
        "taskDefinition": {
            "taskDefinitionArn": format!("arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/{FAMILY}:214"),
            "containerDefinitions": containers,
            "family": FAMILY,
            "taskRoleArn": format!("arn:aws:iam::{ACCOUNT}:role/{FAMILY}-task"),
            "executionRoleArn": format!("arn:aws:iam::{ACCOUNT}:role/{FAMILY}-execution"),
            "networkMode": "awsvpc",
            "revision": 214,
            "volumes": [
                {"name": "tmp", "host": {}},
                {"name": "clamav-db", "host": {}},
                {"name": "nginx-cache", "host": {}}
            ],
            "status": "ACTIVE",
            "requiresAttributes": [
                {"name": "com.amazonaws.ecs.capability.logging-driver.awslogs"},
                {"name": "ecs.capability.execution-role-awslogs"},
                {"name": "com.amazonaws.ecs.capability.ecr-auth"},
                {"name": "com.amazonaws.ecs.capability.docker-remote-api.1.19"},
                {"name": "ecs.capability.secrets.asm.environment-variables"},
                {"name": "ecs.capability.secrets.ssm.environment-variables"},
                {"name": "ecs.capability.container-health-check"},
                {"name": "ecs.capability.container-ordering"},
                {"name": "ecs.capability.firelens.fluentbit"},
                {"name": "ecs.capability.task-eni"}
            ],
            "placementConstraints": [],
            "compatibilities": ["EC2", "FARGATE"],
            "requiresCompatibilities": ["FARGATE"],
            "cpu": "4096",
            "memory": "8192",
            "runtimePlatform": {"cpuArchitecture": "X86_64", "operatingSystemFamily": "LINUX"},
            "registeredAt": "2026-12-03T16:41:07.512000+00:00",
            "registeredBy": format!("arn:aws:sts::{ACCOUNT}:assumed-role/bcos-deployer/github-actions"),
            "enableFaultInjection": false
        },
        "tags": [
            {"key": "Project", "value": "bcos"},
            {"key": "Environment", "value": "production"},
            {"key": "ManagedBy", "value": "cloudformation"},
            {"key": "CostCenter", "value": "platform-1042"},
            {"key": "DataClassification", "value": "phi"},
            {"key": "aws:cloudformation:stack-name", "value": "BCOS-AppStack-production"},
            {"key": "aws:cloudformation:logical-id", "value": "AppTaskDefinition6F1D2C3B"}
        ]
    })
}

fn container(spec: &ContainerSpec) -> Value {
    let environment: Vec<Value> = COMMON_ENVIRONMENT
        .iter()
        .map(|(name, value)| json!({"name": name, "value": value}))
        .chain(std::iter::once(
            json!({"name": "OTEL_SERVICE_NAME", "value": spec.name}),
        ))
        .collect();

    let mut secrets: Vec<Value> = spec
        .app_secret_keys
        .iter()
        .map(|key| json!({"name": key, "valueFrom": format!("{APP_SECRET_ARN}:{key}::")}))
        .collect();
    secrets.extend(spec.ssm_parameters.iter().map(|name| {
        let parameter = name.to_ascii_lowercase().replace('_', "-");
        json!({
            "name": name,
            "valueFrom": format!("arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/bcos/production/{parameter}")
        })
    }));

    let port_mappings: Vec<Value> = spec
        .ports
        .iter()
        .map(|port| {
            json!({
                "containerPort": port,
                "hostPort": port,
                "protocol": "tcp",
                "name": format!("{}-{port}-tcp", spec.name),
                "appProtocol": "http"
            })
        })
        .collect();

    let depends_on: Vec<Value> = spec
        .depends_on
        .iter()
        .map(|name| {
            let condition = match *name {
                "migrations" => "SUCCESS",
                "envoy" | "bcos" => "HEALTHY",
                _ => "START",
            };
            json!({"containerName": name, "condition": condition})
        })
        .collect();

    let mut definition = Map::new();
    definition.insert("name".into(), json!(spec.name));
    definition.insert("image".into(), json!(spec.image));
    definition.insert("cpu".into(), json!(spec.cpu));
    definition.insert("memory".into(), json!(spec.memory));
    definition.insert("memoryReservation".into(), json!(spec.memory / 2));
    definition.insert("portMappings".into(), Value::Array(port_mappings));
    definition.insert("essential".into(), json!(spec.essential));
    definition.insert("environment".into(), Value::Array(environment));
    definition.insert(
        "mountPoints".into(),
        json!([{"sourceVolume": "tmp", "containerPath": "/tmp", "readOnly": false}]),
    );
    definition.insert("volumesFrom".into(), json!([]));
    definition.insert(
        "linuxParameters".into(),
        json!({"initProcessEnabled": true, "capabilities": {"drop": ["NET_RAW"]}}),
    );
    definition.insert("secrets".into(), Value::Array(secrets));
    if !depends_on.is_empty() {
        definition.insert("dependsOn".into(), Value::Array(depends_on));
    }
    definition.insert("stopTimeout".into(), json!(30));
    definition.insert("readonlyRootFilesystem".into(), json!(true));
    definition.insert(
        "ulimits".into(),
        json!([{"name": "nofile", "softLimit": 65536, "hardLimit": 65536}]),
    );
    definition.insert("logConfiguration".into(), log_configuration(spec.name));
    if spec.name == "log-router" {
        definition.insert(
            "firelensConfiguration".into(),
            json!({"type": "fluentbit", "options": {"enable-ecs-log-metadata": "true"}}),
        );
    }
    if let Some(path) = spec.health_path {
        let port = spec.ports.first().copied().unwrap_or(80);
        definition.insert(
            "healthCheck".into(),
            json!({
                "command": ["CMD-SHELL", format!("wget -qO- http://localhost:{port}{path} || exit 1")],
                "interval": 30,
                "timeout": 5,
                "retries": 3,
                "startPeriod": 60
            }),
        );
    }
    definition.insert("systemControls".into(), json!([]));
    Value::Object(definition)
}

/// Returns a container's log configuration. The log router ships its own logs
/// to CloudWatch, and every other container sends them through it, as FireLens
/// setups do.
fn log_configuration(container: &str) -> Value {
    if container == "log-router" {
        json!({
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": format!("/ecs/{FAMILY}/firelens"),
                "awslogs-region": REGION,
                "awslogs-stream-prefix": "log-router"
            },
            "secretOptions": []
        })
    } else {
        json!({
            "logDriver": "awsfirelens",
            "options": {
                "Name": "cloudwatch_logs",
                "region": REGION,
                "log_group_name": format!("/ecs/{FAMILY}"),
                "log_stream_prefix": format!("{container}/"),
                "auto_create_group": "false",
                "retry_limit": "2"
            },
            "secretOptions": []
        })
    }
}
