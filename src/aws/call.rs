//! Every AWS call as a value: the `aws` arguments, the purpose (for messages),
//! and whether it writes. The runner decides how a call is carried out.

use std::fmt;

/// Whether a call changes AWS state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
}

/// One invocation of the `aws` CLI, before any global option is added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsCall {
    /// Arguments after `aws`, such as `["ecs", "describe-services", …]`.
    pub args: Vec<String>,
    /// The purpose of the call, as the start of an error message
    /// ("registering a new revision of `bcos-staging`").
    pub purpose: String,
    pub access: Access,
    /// The parts of the output to hide before it is recorded.
    pub redaction: Redaction,
}

/// Parts of a call's output that must never reach a recording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redaction {
    None,
    /// A `get-secret-value` response: the value goes, its JSON keys stay.
    SecretValue,
    /// Log events: the value after each of these secret names is masked.
    LogMessages(Vec<String>),
}

impl AwsCall {
    fn new(args: &[&str], purpose: impl Into<String>, access: Access) -> Self {
        Self {
            args: args.iter().map(|arg| arg.to_string()).collect(),
            purpose: purpose.into(),
            access,
            redaction: Redaction::None,
        }
    }

    /// Returns `aws --version`, which distinguishes CLI v1 from v2.
    pub fn version() -> Self {
        Self::new(&["--version"], "checking the aws CLI version", Access::Read)
    }

    /// Returns the register input skeleton call, which lists the keys the
    /// installed CLI accepts. The CLI generates it offline.
    pub fn register_skeleton() -> Self {
        Self::new(
            &[
                "ecs",
                "register-task-definition",
                "--generate-cli-skeleton",
                "input",
            ],
            "listing the register-task-definition parameters of the installed aws CLI",
            Access::Read,
        )
    }

    pub fn describe_stack(stack: &str) -> Self {
        Self::new(
            &[
                "cloudformation",
                "describe-stacks",
                "--stack-name",
                stack,
                "--output",
                "json",
            ],
            format!("reading the outputs of stack `{stack}`"),
            Access::Read,
        )
    }

    /// Describes up to 10 services of one cluster, the API's limit per call.
    pub fn describe_services(cluster: &str, services: &[&str]) -> Self {
        let mut args = vec![
            "ecs",
            "describe-services",
            "--cluster",
            cluster,
            "--services",
        ];
        args.extend_from_slice(services);
        args.extend_from_slice(&["--output", "json"]);
        Self::new(
            &args,
            format!(
                "describing service {} in cluster `{cluster}`",
                backquoted(services)
            ),
            Access::Read,
        )
    }

    /// Describes a task definition (family, `family:revision` or ARN) with its tags.
    pub fn describe_task_definition(task_definition: &str) -> Self {
        Self::new(
            &[
                "ecs",
                "describe-task-definition",
                "--task-definition",
                task_definition,
                "--include",
                "TAGS",
                "--output",
                "json",
            ],
            format!("describing task definition `{task_definition}`"),
            Access::Read,
        )
    }

    pub fn describe_secret(secret_arn: &str) -> Self {
        Self::new(
            &[
                "secretsmanager",
                "describe-secret",
                "--secret-id",
                secret_arn,
                "--output",
                "json",
            ],
            format!("checking that secret `{secret_arn}` exists"),
            Access::Read,
        )
    }

    /// Reads a secret's value, of the version with `stage` or `id` when given,
    /// to check its JSON keys; the output is a secret.
    pub fn get_secret_value(secret_arn: &str, stage: Option<&str>, id: Option<&str>) -> Self {
        let mut args = vec![
            "secretsmanager",
            "get-secret-value",
            "--secret-id",
            secret_arn,
        ];
        if let Some(stage) = stage {
            args.extend_from_slice(&["--version-stage", stage]);
        }
        if let Some(id) = id {
            args.extend_from_slice(&["--version-id", id]);
        }
        args.extend_from_slice(&["--output", "json"]);
        let mut call = Self::new(
            &args,
            format!("reading the JSON keys of secret `{secret_arn}`"),
            Access::Read,
        );
        call.redaction = Redaction::SecretValue;
        call
    }

    /// Registers a revision from register input given inline as JSON.
    pub fn register_task_definition(family: &str, input_json: &str) -> Self {
        Self::new(
            &[
                "ecs",
                "register-task-definition",
                "--cli-input-json",
                input_json,
                "--output",
                "json",
            ],
            format!("registering a new revision of `{family}`"),
            Access::Write,
        )
    }

    pub fn update_service(cluster: &str, service: &str, task_definition: &str) -> Self {
        Self::new(
            &[
                "ecs",
                "update-service",
                "--cluster",
                cluster,
                "--service",
                service,
                "--task-definition",
                task_definition,
                "--output",
                "json",
            ],
            format!("updating service `{service}` to `{task_definition}`"),
            Access::Write,
        )
    }

    /// Lists the stopped tasks of a service, to explain failed tasks.
    pub fn list_stopped_tasks(cluster: &str, service: &str) -> Self {
        Self::new(
            &[
                "ecs",
                "list-tasks",
                "--cluster",
                cluster,
                "--service-name",
                service,
                "--desired-status",
                "STOPPED",
                "--output",
                "json",
            ],
            format!("listing the stopped tasks of service `{service}`"),
            Access::Read,
        )
    }

    /// Describes up to 100 tasks of one cluster, the API's limit per call.
    pub fn describe_tasks(cluster: &str, task_arns: &[&str]) -> Self {
        let mut args = vec!["ecs", "describe-tasks", "--cluster", cluster, "--tasks"];
        args.extend_from_slice(task_arns);
        args.extend_from_slice(&["--output", "json"]);
        Self::new(
            &args,
            format!("describing stopped tasks in cluster `{cluster}`"),
            Access::Read,
        )
    }

    /// Reads at most `max_items` log events matching `pattern` since
    /// `start_millis`; `--max-items` bounds the CLI's automatic paging.
    pub fn filter_log_events(
        log_group: &str,
        start_millis: i64,
        pattern: &str,
        max_items: u32,
        secret_names: Vec<String>,
    ) -> Self {
        let start = start_millis.to_string();
        let max_items = max_items.to_string();
        let mut call = Self::new(
            &[
                "logs",
                "filter-log-events",
                "--log-group-name",
                log_group,
                "--start-time",
                &start,
                "--filter-pattern",
                pattern,
                "--max-items",
                &max_items,
                "--output",
                "json",
            ],
            format!("reading recent errors from log group `{log_group}`"),
            Access::Read,
        );
        call.redaction = Redaction::LogMessages(secret_names);
        call
    }

    /// Returns the command line as a shell would need it, quoted where needed.
    pub fn command_line(&self, global_args: &[String]) -> String {
        let words = std::iter::once("aws")
            .chain(self.args.iter().map(String::as_str))
            .chain(global_args.iter().map(String::as_str));
        words.map(shell_quote).collect::<Vec<_>>().join(" ")
    }
}

impl fmt::Display for AwsCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.command_line(&[]))
    }
}

fn backquoted(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|name| format!("`{name}`")).collect();
    quoted.join(", ")
}

/// Quotes a word for bash. Words without special characters stay bare.
pub fn shell_quote(word: &str) -> String {
    // try_quote fails only on a NUL byte, which a process argument cannot contain.
    shlex::try_quote(word)
        .map(|quoted| quoted.into_owned())
        .unwrap_or_else(|_| word.replace('\0', ""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describe_always_includes_tags_and_json_output() {
        let call = AwsCall::describe_task_definition("bcos-staging");

        assert_eq!(
            call.args,
            [
                "ecs",
                "describe-task-definition",
                "--task-definition",
                "bcos-staging",
                "--include",
                "TAGS",
                "--output",
                "json"
            ]
        );
        assert_eq!(call.access, Access::Read);
    }

    #[test]
    fn writes_are_marked_as_writes() {
        assert_eq!(
            AwsCall::register_task_definition("f", "{}").access,
            Access::Write
        );
        assert_eq!(AwsCall::update_service("c", "s", "t").access, Access::Write);
    }

    #[test]
    fn secret_value_output_is_marked() {
        assert_eq!(
            AwsCall::get_secret_value("arn", None, None).redaction,
            Redaction::SecretValue
        );
        assert_eq!(AwsCall::describe_secret("arn").redaction, Redaction::None);
    }

    #[test]
    fn command_line_quotes_hostile_words() {
        let call = AwsCall::update_service("my cluster", "it's", "$(reboot)");

        let line = call.command_line(&["--region".into(), "us-east-1".into()]);

        assert_eq!(
            line,
            r#"aws ecs update-service --cluster 'my cluster' --service "it's" --task-definition '$(reboot)' --output json --region us-east-1"#
        );
    }
}
