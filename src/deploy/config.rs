//! The environments a rollout can target: the built-in BCOS services, or the
//! tables of a `--config` TOML file, which replaces them whole.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::DeployError;
use super::health_expect::{DEFAULT_HEALTH_EXPECT, HealthExpectation};

const BUILT_IN: &str = include_str!("bcos.toml");

/// One environment as the config file spells it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct EnvironmentTable {
    family: String,
    cluster: String,
    service: String,
    container: Option<String>,
    secret_arn: Option<String>,
    secret_stack: Option<String>,
    secret_arn_output: Option<String>,
    health_url: Option<String>,
    health_expect: Option<String>,
    log_group: Option<String>,
    log_error_pattern: Option<String>,
    confirm: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    environments: BTreeMap<String, EnvironmentTable>,
}

/// The source of an environment's Secrets Manager secret ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretArnSource {
    /// Given literally.
    Literal(String),
    /// An output of a CloudFormation stack.
    StackOutput { stack: String, output: String },
    /// Taken from the container's existing secrets.
    Inferred,
}

/// One validated environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Environment {
    pub name: String,
    pub family: String,
    pub cluster: String,
    pub service: String,
    /// `None` picks `bcos`, else the only container.
    pub container: Option<String>,
    pub secret_arn: SecretArnSource,
    pub health_url: Option<String>,
    /// A jq expression the health response must satisfy; `None` for the default.
    pub health_expect: Option<String>,
    pub log_group: Option<String>,
    /// A CloudWatch Logs filter pattern for error lines; `None` for the default.
    pub log_error_pattern: Option<String>,
    /// `None` means the default: ask before every environment after the first.
    pub confirm: Option<bool>,
}

/// The filter pattern for error lines when the config gives none: any of the terms.
pub const DEFAULT_LOG_ERROR_PATTERN: &str = "?ERROR ?FATAL ?Exception ?panic";

impl Environment {
    /// Returns the compiled health expectation.
    ///
    /// Fails only for an invalid expression, which config validation rejects first.
    pub fn health_expectation(&self) -> Result<HealthExpectation, DeployError> {
        let code = self
            .health_expect
            .as_deref()
            .unwrap_or(DEFAULT_HEALTH_EXPECT);
        HealthExpectation::compile(code).map_err(DeployError::Aws)
    }

    /// Returns the filter pattern for error lines in the logs.
    pub fn log_error_pattern(&self) -> &str {
        self.log_error_pattern
            .as_deref()
            .unwrap_or(DEFAULT_LOG_ERROR_PATTERN)
    }
}

/// All configured environments, by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub environments: BTreeMap<String, Environment>,
}

impl Config {
    /// Returns the built-in BCOS environments.
    pub fn built_in() -> Self {
        Self::parse(BUILT_IN, "the built-in configuration")
            .expect("the built-in configuration is valid")
    }

    /// Reads and validates a config file.
    ///
    /// Fails naming the file, the environment and the key at fault.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|err| format!("cannot read {}: {err}", path.display()))?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Parses config text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Self, String> {
        let file: ConfigFile = toml::from_str(text)
            .map_err(|err| format!("{origin}: {}", err.to_string().trim_end()))?;
        if file.environments.is_empty() {
            return Err(format!("{origin}: no [environments.NAME] table"));
        }

        let mut environments = BTreeMap::new();
        for (name, table) in file.environments {
            let environment = validate_environment(&name, table)
                .map_err(|reason| format!("{origin}: {reason}"))?;
            environments.insert(name, environment);
        }
        Ok(Self { environments })
    }

    /// Returns the environments named on the command line, in that order.
    ///
    /// Fails on an unknown or repeated name.
    pub fn select(&self, names: &[String]) -> Result<Vec<Environment>, String> {
        let mut selected: Vec<Environment> = Vec::new();
        for name in names {
            let Some(environment) = self.environments.get(name) else {
                let known: Vec<&str> = self.environments.keys().map(String::as_str).collect();
                return Err(format!(
                    "unknown environment {name:?} (configured: {})",
                    known.join(", ")
                ));
            };
            if selected.iter().any(|chosen| &chosen.name == name) {
                return Err(format!("environment {name:?} is given twice"));
            }
            selected.push(environment.clone());
        }
        Ok(selected)
    }
}

/// Checks a family, cluster or service name: 1 to 255 letters, digits,
/// hyphens and underscores, as ECS allows.
fn check_ecs_name(name: &str) -> Result<(), String> {
    let valid_chars = name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if name.is_empty() || name.len() > 255 || !valid_chars {
        return Err(
            "is not an ECS name (1 to 255 letters, digits, hyphens and underscores)".into(),
        );
    }
    Ok(())
}

/// Checks a CloudFormation stack name: a letter, then letters, digits and
/// hyphens, at most 128 characters.
fn check_stack_name(name: &str) -> Result<(), String> {
    let starts_with_letter = name.starts_with(|c: char| c.is_ascii_alphabetic());
    let valid_chars = name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if !starts_with_letter || !valid_chars || name.len() > 128 {
        return Err("is not a stack name (a letter, then letters, digits and hyphens)".into());
    }
    Ok(())
}

fn validate_environment(name: &str, table: EnvironmentTable) -> Result<Environment, String> {
    let table_path = format!("environments.{name}");
    for (key, value) in [
        ("family", &table.family),
        ("cluster", &table.cluster),
        ("service", &table.service),
    ] {
        check_ecs_name(value).map_err(|reason| format!("{table_path}.{key} {value:?} {reason}"))?;
    }

    let secret_arn = match (
        table.secret_arn,
        table.secret_stack,
        table.secret_arn_output,
    ) {
        (Some(arn), None, None) => {
            crate::taskdef::parse_whole_secret(&arn, false)
                .map_err(|reason| format!("{table_path}.secret_arn {arn:?} {reason}"))?;
            SecretArnSource::Literal(arn)
        }
        (None, Some(stack), Some(output)) => {
            check_stack_name(&stack)
                .map_err(|reason| format!("{table_path}.secret_stack {stack:?} {reason}"))?;
            if output.is_empty() || !output.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(format!(
                    "{table_path}.secret_arn_output {output:?} is not a stack output name (letters and digits only)"
                ));
            }
            SecretArnSource::StackOutput { stack, output }
        }
        (None, None, None) => SecretArnSource::Inferred,
        (Some(_), _, _) => {
            return Err(format!(
                "{table_path} sets secret_arn and secret_stack/secret_arn_output; keep one"
            ));
        }
        _ => {
            return Err(format!(
                "{table_path} needs both secret_stack and secret_arn_output, both non-empty"
            ));
        }
    };

    if let Some(url) = &table.health_url {
        let host = url
            .strip_prefix("http://")
            .or_else(|| url.strip_prefix("https://"));
        if host.is_none_or(|rest| {
            rest.is_empty() || rest.starts_with('/') || rest.contains(char::is_whitespace)
        }) {
            return Err(format!(
                "{table_path}.health_url {url:?} must be an http:// or https:// URL with a host"
            ));
        }
    }
    if let Some(code) = &table.health_expect {
        HealthExpectation::compile(code)
            .map_err(|reason| format!("{table_path}.health_expect: {reason}"))?;
    }
    if let Some(pattern) = &table.log_error_pattern
        && pattern.trim().is_empty()
    {
        return Err(format!("{table_path}.log_error_pattern is empty"));
    }
    if let Some(group) = &table.log_group
        && group.is_empty()
    {
        return Err(format!("{table_path}.log_group is empty"));
    }
    if let Some(container) = &table.container
        && container.is_empty()
    {
        return Err(format!("{table_path}.container is empty"));
    }

    Ok(Environment {
        name: name.to_string(),
        family: table.family,
        cluster: table.cluster,
        service: table.service,
        container: table.container,
        secret_arn,
        health_url: table.health_url,
        health_expect: table.health_expect,
        log_group: table.log_group,
        log_error_pattern: table.log_error_pattern,
        confirm: table.confirm,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
[environments.qa]
family = "web-qa"
cluster = "main"
service = "web"
"#;

    #[test]
    fn built_in_describes_bcos() {
        let config = Config::built_in();

        let staging = &config.environments["staging"];
        assert_eq!(staging.cluster, "bcos-staging-cluster");
        assert_eq!(staging.service, "bcos-staging-service");
        assert_eq!(
            staging.secret_arn,
            SecretArnSource::StackOutput {
                stack: "BCOS-SecurityStack".into(),
                output: "StagingSecretArn".into()
            }
        );
        assert_eq!(
            config.environments["production"].health_url.as_deref(),
            Some("https://app.bendcare.com/api/health")
        );
    }

    #[test]
    fn minimal_environment_infers_the_secret() {
        let config = Config::parse(MINIMAL, "test").unwrap();

        assert_eq!(
            config.environments["qa"].secret_arn,
            SecretArnSource::Inferred
        );
    }

    #[test]
    fn unknown_key_is_an_error_naming_it() {
        let err = Config::parse(&format!("{MINIMAL}colour = \"blue\"\n"), "qa.toml").unwrap_err();

        assert!(err.starts_with("qa.toml: "), "{err}");
        assert!(err.contains("colour"), "{err}");
    }

    #[test]
    fn both_secret_sources_are_an_error() {
        let text = format!(
            "{MINIMAL}secret_arn = \"arn:aws:secretsmanager:us-east-1:123456789012:secret:a-AbCdEf\"\nsecret_stack = \"s\"\nsecret_arn_output = \"o\"\n"
        );

        let err = Config::parse(&text, "t").unwrap_err();

        assert!(err.contains("keep one"), "{err}");
    }

    #[test]
    fn stack_without_output_is_an_error() {
        let err = Config::parse(&format!("{MINIMAL}secret_stack = \"s\"\n"), "t").unwrap_err();

        assert!(
            err.contains("needs both secret_stack and secret_arn_output"),
            "{err}"
        );
    }

    #[test]
    fn partial_secret_arn_is_an_error() {
        let text = format!(
            "{MINIMAL}secret_arn = \"arn:aws:secretsmanager:us-east-1:123456789012:secret:app\"\n"
        );

        let err = Config::parse(&text, "t").unwrap_err();

        assert!(err.contains("environments.qa.secret_arn"), "{err}");
        assert!(err.contains("partial ARN"), "{err}");
    }

    #[test]
    fn invalid_health_expect_is_an_error() {
        let err =
            Config::parse(&format!("{MINIMAL}health_expect = \".status ==\"\n"), "t").unwrap_err();

        assert!(
            err.contains("environments.qa.health_expect: invalid jq expression"),
            "{err}"
        );
    }

    #[test]
    fn health_url_must_be_http_with_a_host() {
        for url in ["ftp://x", "http://", "https:///health", "http://a b/"] {
            let err =
                Config::parse(&format!("{MINIMAL}health_url = \"{url}\"\n"), "t").unwrap_err();

            assert!(
                err.contains("must be an http:// or https:// URL with a host"),
                "{url}: {err}"
            );
        }
    }

    #[test]
    fn names_outside_ecs_rules_are_rejected() {
        let text = MINIMAL.replace("cluster = \"main\"", "cluster = \"main qa; x\"");

        let err = Config::parse(&text, "t").unwrap_err();

        assert!(
            err.contains("environments.qa.cluster \"main qa; x\" is not an ECS name"),
            "{err}"
        );
    }

    #[test]
    fn quote_in_output_name_is_rejected() {
        let text = format!("{MINIMAL}secret_stack = \"Sec\"\nsecret_arn_output = \"Qa'Arn\"\n");

        let err = Config::parse(&text, "t").unwrap_err();

        assert!(err.contains("is not a stack output name"), "{err}");
    }

    #[test]
    fn select_keeps_command_line_order_and_rejects_unknown() {
        let config = Config::built_in();

        let order: Vec<String> = config
            .select(&["production".into(), "staging".into()])
            .unwrap()
            .into_iter()
            .map(|e| e.name)
            .collect();
        assert_eq!(order, ["production", "staging"]);

        let err = config.select(&["prod".into()]).unwrap_err();
        assert_eq!(
            err,
            "unknown environment \"prod\" (configured: production, staging)"
        );
    }
}
