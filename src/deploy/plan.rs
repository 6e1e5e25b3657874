//! `bcos-taskdef plan`: the rollout as a bash script of the exact `aws`
//! commands, for review or to run by hand. Values that only AWS returns (the ARN of
//! the revision the script registers) are shell variables. With `--live`, the
//! read-only steps run first and their findings become comments.

use std::fmt::Write as _;

use crate::aws::{AwsOptions, Runner, shell_quote};
use crate::taskdef::SecretSource;

use super::cli_model::inspect_cli;
use super::config::{Environment, SecretArnSource};
use super::console::Console;
use super::edits::ChangeRequest;
use super::prepare::{PrepareOptions, Prepared, prepare};
use super::run::needs_confirmation;
use super::secret_arns::resolve_secret_arns;
use super::service::short_name;

/// Everything a plan needs, validated.
#[derive(Debug, Clone)]
pub struct PlanRequest {
    pub environments: Vec<Environment>,
    pub change: ChangeRequest,
    /// Leaves the confirmation prompts out of the script.
    pub yes: bool,
    pub check_secret_keys: bool,
    pub drop_keys: Vec<String>,
    pub aws_options: AwsOptions,
}

/// Returns the plan script. With a runner (`--live`), reads each
/// environment first with read-only calls and comments on the real change.
pub fn plan(
    request: &PlanRequest,
    runner: Option<&mut Runner>,
    console: &dyn Console,
) -> anyhow::Result<String> {
    let live = match runner {
        Some(runner) => Some(read_live_state(request, runner, console)?),
        None => None,
    };

    let mut script = header(request);
    let names = variable_names(&request.environments);
    for (index, environment) in request.environments.iter().enumerate() {
        let prepared = live.as_ref().map(|states| &states[index]);
        let section = EnvironmentSection {
            request,
            environment,
            var: &names[index],
            ask: needs_confirmation(index, environment) && !request.yes,
            prepared,
        };
        script.push_str(&section.render());
    }
    Ok(script)
}

fn read_live_state(
    request: &PlanRequest,
    runner: &mut Runner,
    console: &dyn Console,
) -> anyhow::Result<Vec<Prepared>> {
    let cli = inspect_cli(runner)?;
    let secret_arns = resolve_secret_arns(
        &request.environments,
        request.change.uses_secret_arn(),
        runner,
    )?;

    let mut states = Vec::new();
    for environment in &request.environments {
        let options = PrepareOptions {
            change: &request.change,
            secret_arn: secret_arns[&environment.name].as_deref(),
            cli: &cli,
            drop_keys: &request.drop_keys,
            check_secret_keys: request.check_secret_keys,
        };
        states.push(prepare(environment, &options, runner, console)?);
    }
    Ok(states)
}

fn header(request: &PlanRequest) -> String {
    let names: Vec<&str> = request
        .environments
        .iter()
        .map(|environment| environment.name.as_str())
        .collect();
    format!(
        r#"#!/usr/bin/env bash
# Rollout plan by bcos-taskdef {version} for: {names}.
# Each environment: read what the service runs, change it with bcos-taskdef,
# register it unless nothing changed, check nobody else deployed meanwhile,
# then update the service.
set -euo pipefail
export AWS_PAGER=""
bcos="${{BCOS_TASKDEF:-bcos-taskdef}}"
command -v "$bcos" >/dev/null || {{ echo "bcos-taskdef not found; put it on PATH or set BCOS_TASKDEF" >&2; exit 2; }}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"#,
        version = env!("CARGO_PKG_VERSION"),
        names = names.join(", "),
    )
}

/// Turns environment names into distinct shell variable prefixes.
fn variable_names(environments: &[Environment]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for environment in environments {
        let mut name: String = environment
            .name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .collect();
        if name.starts_with(|c: char| c.is_ascii_digit()) || name.is_empty() {
            name.insert_str(0, "env_");
        }
        while names.contains(&name) {
            name.push('_');
        }
        names.push(name);
    }
    names
}

/// A word of a generated command.
enum Word<'a> {
    /// Taken literally, whatever it contains.
    Literal(&'a str),
    /// Expanded by the shell: a `$variable` inside a path or on its own.
    Expanded(String),
}

impl Word<'_> {
    fn quoted(&self) -> String {
        match self {
            Word::Literal(text) => shell_quote(text),
            Word::Expanded(text) => format!("\"{text}\""),
        }
    }
}

/// Wraps literal words for [`EnvironmentSection::aws`].
fn literal<'a>(words: &[&'a str]) -> Vec<Word<'a>> {
    words.iter().map(|word| Word::Literal(word)).collect()
}

struct EnvironmentSection<'a> {
    request: &'a PlanRequest,
    environment: &'a Environment,
    var: &'a str,
    ask: bool,
    prepared: Option<&'a Prepared>,
}

impl EnvironmentSection<'_> {
    fn render(&self) -> String {
        let e = self.environment;
        let v = self.var;
        let mut out = String::new();

        let _ = writeln!(
            out,
            "\n# ---- {}: service {} in cluster {}",
            e.name, e.service, e.cluster
        );
        out.push_str(&self.live_comments());
        out.push_str(&self.secret_arn_lines());

        let describe_service = self.service_task_definition_command();
        let _ = writeln!(out, "{v}_current=$({describe_service})");
        let _ = writeln!(
            out,
            r#"[ -n "${v}_current" ] && [ "${v}_current" != None ] || {{ echo {}: service not found >&2; exit 1; }}"#,
            shell_quote(&e.name)
        );

        let mut describe = literal(&["ecs", "describe-task-definition", "--task-definition"]);
        describe.push(Word::Expanded(format!("${v}_current")));
        describe.extend(literal(&["--include", "TAGS", "--output", "json"]));
        let describe = self.aws(&describe);
        let _ = writeln!(out, r#"{describe} > "$work/{v}-current.json""#);
        let _ = writeln!(
            out,
            r#""$bcos" strip -q "$work/{v}-current.json" -o "$work/{v}-unchanged.json""#
        );
        out.push_str(&self.edit_lines());

        let _ = writeln!(
            out,
            r#"if cmp -s "$work/{v}-unchanged.json" "$work/{v}-new.json"; then"#
        );
        let _ = writeln!(
            out,
            r#"  echo "{}: already up to date (${v}_current)" >&2"#,
            shell_double(&e.name)
        );
        let _ = writeln!(out, "else");
        out.push_str(&self.confirm_lines());
        out.push_str(&self.write_lines());
        let _ = writeln!(out, "fi");
        out
    }

    /// Writes an `aws` command with the global options, each word quoted.
    fn aws(&self, words: &[Word]) -> String {
        let global = self.request.aws_options.global_args();
        let mut line = String::from("aws");
        for word in words.iter().chain(
            global
                .iter()
                .map(|arg| Word::Literal(arg.as_str()))
                .collect::<Vec<_>>()
                .iter(),
        ) {
            line.push(' ');
            line.push_str(&word.quoted());
        }
        line
    }

    fn live_comments(&self) -> String {
        let Some(prepared) = self.prepared else {
            return String::new();
        };
        let mut out = format!(
            "# live: the service runs {}\n",
            short_name(&prepared.current_arn)
        );
        if !prepared.changed {
            out.push_str("# live: already up to date; this section registers nothing\n");
            return out;
        }
        for changes in &prepared.secret_changes {
            let _ = writeln!(out, "# live: {changes}");
        }
        out
    }

    fn secret_arn_lines(&self) -> String {
        let v = self.var;
        if self.request.change.secret_arn.is_some() || !self.request.change.uses_secret_arn() {
            return String::new();
        }
        match &self.environment.secret_arn {
            SecretArnSource::Inferred => String::new(),
            SecretArnSource::Literal(arn) => {
                format!(
                    "{v}_secret_arn={}\n{}\n",
                    shell_quote(arn),
                    self.describe_secret_line()
                )
            }
            SecretArnSource::StackOutput { stack, output } => {
                let query = format!("Stacks[0].Outputs[?OutputKey=='{output}'].OutputValue | [0]");
                let describe = self.aws(&literal(&[
                    "cloudformation",
                    "describe-stacks",
                    "--stack-name",
                    stack,
                    "--query",
                    &query,
                    "--output",
                    "text",
                ]));
                let check = self.describe_secret_line();
                format!(
                    "{v}_secret_arn=$({describe})\n[ -n \"${v}_secret_arn\" ] && [ \"${v}_secret_arn\" != None ] || {{ echo {}: stack {} has no output {} >&2; exit 1; }}\n{check}\n",
                    shell_quote(&self.environment.name),
                    shell_quote(stack),
                    shell_quote(output),
                )
            }
        }
    }

    /// Returns the command that prints the task definition ARN the service runs.
    fn service_task_definition_command(&self) -> String {
        let e = self.environment;
        self.aws(&literal(&[
            "ecs",
            "describe-services",
            "--cluster",
            &e.cluster,
            "--services",
            &e.service,
            "--query",
            "services[0].taskDefinition",
            "--output",
            "text",
        ]))
    }

    /// Checks that the environment's secret exists, as the run's pre-flight does.
    fn describe_secret_line(&self) -> String {
        let mut check = literal(&["secretsmanager", "describe-secret", "--secret-id"]);
        check.push(Word::Expanded(format!("${}_secret_arn", self.var)));
        check.extend(literal(&["--query", "ARN", "--output", "text"]));
        format!("{} >/dev/null", self.aws(&check))
    }

    fn secret_arn_argument(&self) -> Option<String> {
        if let Some(arn) = &self.request.change.secret_arn {
            return Some(shell_quote(arn));
        }
        if !self.request.change.uses_secret_arn() {
            return None;
        }
        match &self.environment.secret_arn {
            SecretArnSource::Inferred => None,
            _ => Some(format!("\"${}_secret_arn\"", self.var)),
        }
    }

    fn edit_lines(&self) -> String {
        let v = self.var;
        let change = &self.request.change;
        let container = change
            .container_for(self.environment)
            .map(|name| format!(" --container {}", shell_quote(&name)))
            .unwrap_or_default();
        let mut out = String::new();

        let mut source = format!("$work/{v}-current.json");
        if !change.add.is_empty() {
            let mut line = format!(r#""$bcos" add-secrets -q "{source}"{container}"#);
            for secret in &change.add {
                let argument = match &secret.source {
                    SecretSource::ValueFrom(value_from) => format!(
                        " --secret {}",
                        shell_quote(&format!("{}={value_from}", secret.name))
                    ),
                    SecretSource::JsonKey(key) if key == &secret.name => {
                        format!(" --secret-key {}", shell_quote(key))
                    }
                    SecretSource::JsonKey(key) => format!(
                        " --secret-key {}",
                        shell_quote(&format!("{}={key}", secret.name))
                    ),
                };
                line.push_str(&argument);
            }
            if let Some(arn) = self.secret_arn_argument() {
                let _ = write!(line, " --secret-arn {arn}");
            }
            if change.replace {
                line.push_str(" --replace");
            }
            if change.move_from_environment {
                line.push_str(" --move-from-environment");
            }
            let _ = writeln!(out, r#"{line} -o "$work/{v}-new.json""#);
            source = format!("$work/{v}-new.json");
        }
        if !change.remove.is_empty() {
            let names: Vec<String> = change.remove.iter().map(|name| shell_quote(name)).collect();
            let _ = writeln!(
                out,
                r#""$bcos" remove-secrets -q "{source}"{container} {} -o "$work/{v}-new.json""#,
                names.join(" ")
            );
        }
        out
    }

    fn confirm_lines(&self) -> String {
        if !self.ask {
            return String::new();
        }
        let name = shell_double(&self.environment.name);
        format!(
            "  read -r -p \"Deploy to {name}? [y/N] \" answer </dev/tty || answer=\n  case \"$answer\" in y|Y|yes) ;; *) echo \"stopped before environment {name}: not confirmed\" >&2; exit 1 ;; esac\n"
        )
    }

    fn write_lines(&self) -> String {
        let e = self.environment;
        let v = self.var;
        let mut register = literal(&["ecs", "register-task-definition", "--cli-input-json"]);
        register.push(Word::Expanded(format!("file://$work/{v}-new.json")));
        register.extend(literal(&[
            "--query",
            "taskDefinition.taskDefinitionArn",
            "--output",
            "text",
        ]));
        let register = self.aws(&register);
        let reread = self.service_task_definition_command();
        let mut update = literal(&[
            "ecs",
            "update-service",
            "--cluster",
            &e.cluster,
            "--service",
            &e.service,
            "--task-definition",
        ]);
        update.push(Word::Expanded(format!("${v}_new")));
        update.extend(literal(&[
            "--query",
            "service.taskDefinition",
            "--output",
            "text",
        ]));
        let update = self.aws(&update);
        let name = shell_double(&e.name);
        format!(
            "  {v}_new=$({register})\n  {v}_now=$({reread})\n  if [ \"${v}_now\" != \"${v}_current\" ]; then\n    echo \"{name}: the service now runs ${v}_now, not ${v}_current; registered ${v}_new but did not deploy it\" >&2\n    exit 1\n  fi\n  {update} >/dev/null\n  echo \"{name}: ${v}_current -> ${v}_new\"\n"
        )
    }
}

/// Escapes text for use inside a double-quoted bash string.
fn shell_double(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '"' | '\\' | '$' | '`') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}
