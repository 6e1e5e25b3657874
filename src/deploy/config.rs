//! The environments a rollout can target: the built-in BCOS services, or the
//! tables of a `--config` TOML file, which replaces them whole.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

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
    log_group: Option<String>,
    confirm: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    environments: BTreeMap<String, EnvironmentTable>,
}

/// Where an environment's Secrets Manager secret ARN comes from.
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
    pub log_group: Option<String>,
    /// `None` means the default: ask before every environment after the first.
    pub confirm: Option<bool>,
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

fn validate_environment(name: &str, table: EnvironmentTable) -> Result<Environment, String> {
    let where_ = format!("environments.{name}");
    for (key, value) in [
        ("family", &table.family),
        ("cluster", &table.cluster),
        ("service", &table.service),
    ] {
        if value.trim().is_empty() {
            return Err(format!("{where_}.{key} is empty"));
        }
    }

    let secret_arn = match (
        table.secret_arn,
        table.secret_stack,
        table.secret_arn_output,
    ) {
        (Some(arn), None, None) => {
            crate::taskdef::parse_whole_secret(&arn, false)
                .map_err(|reason| format!("{where_}.secret_arn {arn:?} {reason}"))?;
            SecretArnSource::Literal(arn)
        }
        (None, Some(stack), Some(output)) if !stack.is_empty() && !output.is_empty() => {
            SecretArnSource::StackOutput { stack, output }
        }
        (None, None, None) => SecretArnSource::Inferred,
        (Some(_), _, _) => {
            return Err(format!(
                "{where_} sets secret_arn and secret_stack/secret_arn_output; keep one"
            ));
        }
        _ => {
            return Err(format!(
                "{where_} needs both secret_stack and secret_arn_output, both non-empty"
            ));
        }
    };

    if let Some(url) = &table.health_url
        && !(url.starts_with("http://") || url.starts_with("https://"))
    {
        return Err(format!(
            "{where_}.health_url {url:?} must start with http:// or https://"
        ));
    }
    if let Some(group) = &table.log_group
        && group.is_empty()
    {
        return Err(format!("{where_}.log_group is empty"));
    }
    if let Some(container) = &table.container
        && container.is_empty()
    {
        return Err(format!("{where_}.container is empty"));
    }

    Ok(Environment {
        name: name.to_string(),
        family: table.family,
        cluster: table.cluster,
        service: table.service,
        container: table.container,
        secret_arn,
        health_url: table.health_url,
        log_group: table.log_group,
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
    fn health_url_must_be_http() {
        let err = Config::parse(&format!("{MINIMAL}health_url = \"ftp://x\"\n"), "t").unwrap_err();

        assert!(err.contains("must start with http:// or https://"), "{err}");
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
