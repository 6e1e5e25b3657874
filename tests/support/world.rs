//! A two-environment world in moto for the rollout tests: secrets, clusters,
//! services, a stack whose outputs are the secret ARNs, a health endpoint, and
//! a config file pointing at all of it, with helpers to run the tool inside it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};
use tempfile::TempDir;

use super::MotoServer;
use super::health::HealthServer;

pub const ENVIRONMENTS: [&str; 2] = ["staging", "production"];
pub const STACK: &str = "Demo-SecurityStack";
/// Stands in for the health server's URL in the config text.
pub const UNUSED_HEALTH_URL: &str = "http://127.0.0.1:9/health";
pub const JOB: [&str; 4] = [
    "--secret-key",
    "WEBAUTHN_RP_ID",
    "--secret-key",
    "MFA_TEMP_TOKEN_SECRET",
];

/// Keys that change with every registration, whatever the content.
pub const PER_REVISION_KEYS: [&str; 4] = [
    "taskDefinitionArn",
    "revision",
    "registeredAt",
    "registeredBy",
];

/// Two environments in moto, each with its own cluster, service and secret,
/// and a config file that points at them.
pub struct World {
    pub moto: MotoServer,
    pub health: HealthServer,
    pub scratch: TempDir,
    pub config: PathBuf,
    pub secret_arns: Vec<String>,
}

pub fn family(environment: &str) -> String {
    format!("demo-{environment}")
}

pub fn cluster(environment: &str) -> String {
    format!("demo-{environment}-cluster")
}

pub fn service(environment: &str) -> String {
    format!("demo-{environment}-service")
}

pub fn output_key(environment: &str) -> String {
    format!("{environment}SecretArn")
}

impl World {
    /// Creates the secrets, clusters, task definitions (a sidecar first, then
    /// `bcos` with secrets by JSON key), services, and a stack whose outputs
    /// are the secret ARNs as literals, since moto's stacks cannot create secrets.
    pub fn create() -> World {
        World::create_with(MotoServer::start_with_deployments())
    }

    /// Like [`World::create`], with healthy rollouts taking `ticks` polls.
    pub fn create_with_ticks(ticks: u32) -> World {
        World::create_with(MotoServer::start_with_deployment_ticks(ticks))
    }

    fn create_with(moto: MotoServer) -> World {
        let health = HealthServer::start(200, r#"{"status":"healthy"}"#);
        let scratch = tempfile::tempdir().unwrap();
        let mut secret_arns = Vec::new();

        for environment in ENVIRONMENTS {
            let secret = json!({
                "DATABASE_URL": "postgres://db", "WEBAUTHN_RP_ID": format!("{environment}.example.com"),
                "MFA_TEMP_TOKEN_SECRET": "value-that-must-not-leak"
            });
            let created = moto.aws_json(&[
                "secretsmanager",
                "create-secret",
                "--name",
                &format!("demo/{environment}/app"),
                "--secret-string",
                &secret.to_string(),
            ]);
            let arn = created["ARN"].as_str().unwrap().to_string();

            moto.aws_json(&[
                "ecs",
                "create-cluster",
                "--cluster-name",
                &cluster(environment),
            ]);
            let input = task_definition_input(environment, &arn);
            let path = scratch.path().join(format!("{environment}-input.json"));
            std::fs::write(&path, input.to_string()).unwrap();
            moto.aws_json(&[
                "ecs",
                "register-task-definition",
                "--cli-input-json",
                &format!("file://{}", path.display()),
                "--tags",
                "key=Project,value=demo",
                &format!("key=Environment,value={environment}"),
            ]);
            moto.aws_json(&[
                "ecs",
                "create-service",
                "--cluster",
                &cluster(environment),
                "--service-name",
                &service(environment),
                "--task-definition",
                &family(environment),
                "--desired-count",
                "1",
            ]);
            secret_arns.push(arn);
        }

        let outputs: serde_json::Map<String, Value> = ENVIRONMENTS
            .iter()
            .zip(&secret_arns)
            .map(|(environment, arn)| (output_key(environment), json!({"Value": arn})))
            .collect();
        let template =
            json!({"Resources": {"Marker": {"Type": "AWS::SQS::Queue"}}, "Outputs": outputs});
        moto.aws_json(&[
            "cloudformation",
            "create-stack",
            "--stack-name",
            STACK,
            "--template-body",
            &template.to_string(),
        ]);

        let config = scratch.path().join("environments.toml");
        std::fs::write(
            &config,
            config_text().replace(UNUSED_HEALTH_URL, &health.url()),
        )
        .unwrap();
        World {
            moto,
            health,
            scratch,
            config,
            secret_arns,
        }
    }

    /// Writes a copy of the config with another health URL and returns its path.
    pub fn config_with_health_url(&self, url: &str) -> PathBuf {
        let name: String = url
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        let path = self
            .scratch
            .path()
            .join(format!("environments-{name}.toml"));
        std::fs::write(&path, config_text().replace(UNUSED_HEALTH_URL, url)).unwrap();
        path
    }

    /// Registers another revision of the family that no service runs, as a
    /// colleague's unfinished attempt would be. Returns its ARN.
    pub fn register_unused_revision(&self, environment: &str) -> String {
        let input = task_definition_input(environment, &self.secret_arns[0]);
        let path = self
            .scratch
            .path()
            .join(format!("{environment}-unused.json"));
        std::fs::write(&path, input.to_string()).unwrap();
        let answer = self.moto.aws_json(&[
            "ecs",
            "register-task-definition",
            "--cli-input-json",
            &format!("file://{}", path.display()),
        ]);
        answer["taskDefinition"]["taskDefinitionArn"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Writes one application log line to the environment's log group, dated
    /// a minute after now so that it falls after the deployment's start.
    pub fn put_log_line(&self, environment: &str, message: &str) {
        let group = format!("/ecs/demo-{environment}");
        let _ = self
            .moto
            .aws(["logs", "create-log-group", "--log-group-name", &group])
            .output();
        let _ = self
            .moto
            .aws([
                "logs",
                "create-log-stream",
                "--log-group-name",
                &group,
                "--log-stream-name",
                "bcos/bcos/1",
            ])
            .output();
        let later = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis()
            + 60_000;
        let event = json!([{"timestamp": later as u64, "message": message}]).to_string();
        self.moto.aws_json(&[
            "logs",
            "put-log-events",
            "--log-group-name",
            &group,
            "--log-stream-name",
            "bcos/bcos/1",
            "--log-events",
            &event,
        ]);
    }

    /// Returns the run journal the tool wrote.
    pub fn journal(&self) -> Value {
        let path = self.scratch.path().join("bcos-taskdef/journal.json");
        serde_json::from_str(
            &std::fs::read_to_string(&path)
                .unwrap_or_else(|err| panic!("{}: {err}", path.display())),
        )
        .unwrap()
    }

    /// Returns the newest journal entry of an environment.
    pub fn last_journal_entry(&self, environment: &str) -> Value {
        let journal = self.journal();
        let entries = journal["entries"].as_array().unwrap();
        entries
            .iter()
            .rev()
            .find(|entry| entry["environment"] == environment)
            .cloned()
            .unwrap()
    }

    /// Builds a command with the same hermetic environment as the `aws`
    /// commands, so any aws CLI it starts reaches only moto.
    pub fn hermetic(&self, program: &str) -> Command {
        let template = self.moto.aws(Vec::<&str>::new());
        let mut command = Command::new(program);
        for (name, value) in template.get_envs() {
            match value {
                Some(value) => command.env(name, value),
                None => command.env_remove(name),
            };
        }
        command
            .env("PATH", tool_path())
            // The run journal goes to the scratch directory, not the home.
            .env("XDG_STATE_HOME", self.scratch.path())
            .stdin(std::process::Stdio::null());
        command
    }

    /// Builds a `bcos-taskdef` command; a `run` polls every 100 ms, since
    /// moto's deployments advance per poll rather than with time.
    pub fn tool(&self, args: &[&str]) -> Command {
        let mut command = self.hermetic(env!("CARGO_BIN_EXE_bcos-taskdef"));
        command.args(args);
        if args.first() == Some(&"run") && !args.contains(&"--poll-interval") {
            command.args(["--poll-interval", "100ms"]);
        }
        command
    }

    pub fn run_tool(&self, args: &[&str]) -> Output {
        self.tool(args).output().unwrap()
    }

    pub fn rollout_args(&self, command: &str) -> Vec<String> {
        let mut args = vec![
            command.to_string(),
            "--config".into(),
            self.config.display().to_string(),
        ];
        for environment in ENVIRONMENTS {
            args.extend(["--env".to_string(), environment.to_string()]);
        }
        args.extend(JOB.iter().map(|arg| arg.to_string()));
        args
    }

    /// Returns the ARN of the task definition the service runs.
    pub fn service_task_definition(&self, environment: &str) -> String {
        let answer = self.moto.aws_json(&[
            "ecs",
            "describe-services",
            "--cluster",
            &cluster(environment),
            "--services",
            &service(environment),
        ]);
        answer["services"][0]["taskDefinition"]
            .as_str()
            .unwrap()
            .to_string()
    }

    pub fn describe(&self, task_definition: &str) -> Value {
        self.moto.aws_json(&[
            "ecs",
            "describe-task-definition",
            "--task-definition",
            task_definition,
            "--include",
            "TAGS",
        ])
    }

    pub fn revision_count(&self, environment: &str) -> usize {
        let answer = self.moto.aws_json(&[
            "ecs",
            "list-task-definitions",
            "--family-prefix",
            &family(environment),
        ]);
        answer["taskDefinitionArns"].as_array().unwrap().len()
    }

    /// Returns each environment's service task definition, content only.
    pub fn end_state(&self) -> Vec<Value> {
        ENVIRONMENTS
            .iter()
            .map(|environment| {
                content_of(self.describe(&self.service_task_definition(environment)))
            })
            .collect()
    }
}

/// Puts the venv's `aws` first on PATH, as `scripts/test` does.
pub fn tool_path() -> String {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join(".tools/venv/bin");
    format!(
        "{}:{}",
        venv.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

pub fn task_definition_input(environment: &str, secret_arn: &str) -> Value {
    json!({
        "family": family(environment),
        "executionRoleArn": "arn:aws:iam::123456789012:role/demo-exec",
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "cpu": "512",
        "memory": "1024",
        "containerDefinitions": [
            {"name": "log-router", "image": "public.ecr.aws/aws-observability/aws-for-fluent-bit:2.32.0", "essential": false},
            {"name": "bcos", "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/bcos:1.0.0", "essential": true,
             "environment": [{"name": "NODE_ENV", "value": "production"}],
             "secrets": [{"name": "DATABASE_URL", "valueFrom": format!("{secret_arn}:DATABASE_URL::")}]}
        ]
    })
}

pub fn config_text() -> String {
    let mut text = String::new();
    for environment in ENVIRONMENTS {
        text.push_str(&format!(
            "[environments.{environment}]\nfamily = \"{}\"\ncluster = \"{}\"\nservice = \"{}\"\ncontainer = \"bcos\"\nsecret_stack = \"{STACK}\"\nsecret_arn_output = \"{}\"\nhealth_url = \"{UNUSED_HEALTH_URL}\"\nlog_group = \"/ecs/demo-{environment}\"\n\n",
            family(environment),
            cluster(environment),
            service(environment),
            output_key(environment),
        ));
    }
    text
}

pub fn content_of(mut describe: Value) -> Value {
    let task_definition = describe["taskDefinition"].as_object_mut().unwrap();
    for key in PER_REVISION_KEYS {
        task_definition.remove(key);
    }
    describe
}

pub fn container<'a>(describe: &'a Value, name: &str) -> &'a Value {
    let containers = describe["taskDefinition"]["containerDefinitions"]
        .as_array()
        .unwrap();
    containers
        .iter()
        .find(|container| container["name"] == name)
        .unwrap()
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[track_caller]
pub fn assert_exit(output: &Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        text(&output.stdout),
        text(&output.stderr)
    );
}

pub fn strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}
