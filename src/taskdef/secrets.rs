//! Adding and removing a container's `secrets`, as an upsert: a re-run with the
//! same request changes nothing, so a pipeline can be run again safely.

use std::fmt;

use serde_json::{Map, Value, json};

use super::container::{family_name, select_container};
use super::document::json_type;
use super::error::TaskDefError;
use super::value_from::{SecretReference, parse_value_from, parse_whole_secret};

/// One secret to put into a container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretToAdd {
    pub name: String,
    pub source: SecretSource,
}

/// The source of a new secret's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// A complete `valueFrom`, written as given.
    ValueFrom(String),
    /// A JSON key of the request's Secrets Manager secret, written as `ARN:KEY::`.
    JsonKey(String),
}

impl SecretToAdd {
    /// Parses `NAME=VALUEFROM`, the form of `--secret`.
    pub fn parse_reference(text: &str) -> Result<Self, TaskDefError> {
        let (name, value_from) = split_assignment(text, "--secret", "NAME=VALUEFROM")?;
        Ok(Self {
            name: name.to_string(),
            source: SecretSource::ValueFrom(value_from.to_string()),
        })
    }

    /// Parses `KEY` or `NAME=KEY`, the forms of `--secret-key`; `KEY` alone
    /// names the secret after the key.
    pub fn parse_json_key(text: &str) -> Result<Self, TaskDefError> {
        let (name, key) = if text.contains('=') {
            split_assignment(text, "--secret-key", "KEY or NAME=KEY")?
        } else {
            (text, text)
        };
        if key.is_empty() || key.contains(':') {
            return Err(invalid_request(
                "--secret-key",
                text,
                "the JSON key must be non-empty and contain no ':'",
            ));
        }
        Ok(Self {
            name: name.to_string(),
            source: SecretSource::JsonKey(key.to_string()),
        })
    }
}

fn split_assignment<'a>(
    text: &'a str,
    option: &str,
    form: &str,
) -> Result<(&'a str, &'a str), TaskDefError> {
    match text.split_once('=') {
        Some((name, value)) if !name.is_empty() && !value.is_empty() => Ok((name, value)),
        _ => Err(invalid_request(
            option,
            text,
            &format!("expected {form}, with both sides non-empty"),
        )),
    }
}

fn invalid_request(option: &str, value: &str, reason: &str) -> TaskDefError {
    TaskDefError::InvalidRequest {
        option: option.to_string(),
        value: value.to_string(),
        reason: reason.to_string(),
    }
}

/// A request to add secrets to one container.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddSecrets {
    pub container: Option<String>,
    pub secrets: Vec<SecretToAdd>,
    /// The secret that `SecretSource::JsonKey` entries refer to; inferred from
    /// the container's existing secrets when absent.
    pub secret_arn: Option<String>,
    /// Overwrite a secret of the same name that has another `valueFrom`.
    pub replace: bool,
    /// Remove an environment variable of the same name instead of failing.
    pub move_from_environment: bool,
}

/// A request to remove secrets from one container.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RemoveSecrets {
    pub container: Option<String>,
    pub names: Vec<String>,
}

/// The effect of an edit on one secret name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretChange {
    Added(String),
    Unchanged(String),
    Replaced(String),
    Removed(String),
    /// Added as a secret after its plain environment variable was removed.
    MovedFromEnvironment(String),
}

impl fmt::Display for SecretChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Added(name) => write!(f, "added {name}"),
            Self::Unchanged(name) => write!(f, "unchanged {name}"),
            Self::Replaced(name) => write!(f, "replaced {name}"),
            Self::Removed(name) => write!(f, "removed {name}"),
            Self::MovedFromEnvironment(name) => write!(f, "moved {name} from environment"),
        }
    }
}

/// The changes an edit made to one container's secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerChanges {
    pub container: String,
    pub changes: Vec<SecretChange>,
}

impl ContainerChanges {
    /// Tells whether the edit changed anything.
    pub fn is_change(&self) -> bool {
        self.changes
            .iter()
            .any(|change| !matches!(change, SecretChange::Unchanged(_)))
    }
}

impl fmt::Display for ContainerChanges {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let changes: Vec<String> = self.changes.iter().map(SecretChange::to_string).collect();
        write!(f, "container {}: {}", self.container, changes.join(", "))
    }
}

/// Adds secrets to the chosen container, in request order after the existing ones.
///
/// Fails before changing anything when the container is not found, the source
/// already has duplicate secret names, a `valueFrom` is malformed, a name is
/// taken with another `valueFrom` (without `replace`), or a name is an
/// environment variable (without `move_from_environment`).
pub fn add_secrets(
    task_definition: &mut Map<String, Value>,
    request: &AddSecrets,
) -> Result<ContainerChanges, TaskDefError> {
    let family = family_name(task_definition);
    let container = select_container(task_definition, request.container.as_deref())?;
    let container_name = container["name"].as_str().unwrap_or_default().to_string();
    let mut secrets = existing_secrets(container, &container_name)?;

    let resolved = resolve_value_froms(request, &secrets, &container_name, &family)?;
    let moved = check_environment(
        container,
        &container_name,
        &resolved,
        request.move_from_environment,
    )?;

    let mut changes = Vec::new();
    for (name, value_from) in resolved {
        let change = upsert(
            &mut secrets,
            &container_name,
            &name,
            &value_from,
            request.replace,
        )?;
        changes.push(if moved.contains(&name) {
            SecretChange::MovedFromEnvironment(name)
        } else {
            change
        });
    }

    remove_environment(container, &moved);
    container.insert("secrets".to_string(), Value::Array(secrets));
    Ok(ContainerChanges {
        container: container_name,
        changes,
    })
}

/// Removes the named secrets from the chosen container.
///
/// Fails, changing nothing, when a name is not among the container's secrets.
pub fn remove_secrets(
    task_definition: &mut Map<String, Value>,
    request: &RemoveSecrets,
) -> Result<ContainerChanges, TaskDefError> {
    let container = select_container(task_definition, request.container.as_deref())?;
    let container_name = container["name"].as_str().unwrap_or_default().to_string();
    let mut secrets = existing_secrets(container, &container_name)?;

    let available: Vec<String> = secrets
        .iter()
        .filter_map(secret_name)
        .map(str::to_string)
        .collect();
    if let Some(missing) = request.names.iter().find(|name| !available.contains(name)) {
        return Err(TaskDefError::SecretNotFound {
            container: container_name,
            name: missing.clone(),
            available,
        });
    }

    secrets.retain(|secret| {
        !secret_name(secret).is_some_and(|name| request.names.iter().any(|n| n == name))
    });
    container.insert("secrets".to_string(), Value::Array(secrets));

    let mut changes = Vec::new();
    for name in &request.names {
        let change = SecretChange::Removed(name.clone());
        if !changes.contains(&change) {
            changes.push(change);
        }
    }
    Ok(ContainerChanges {
        container: container_name,
        changes,
    })
}

fn secret_name(secret: &Value) -> Option<&str> {
    secret.get("name").and_then(Value::as_str)
}

fn existing_secrets(
    container: &Map<String, Value>,
    container_name: &str,
) -> Result<Vec<Value>, TaskDefError> {
    let secrets = match container.get("secrets") {
        None => return Ok(Vec::new()),
        Some(Value::Array(secrets)) => secrets.clone(),
        Some(other) => {
            return Err(TaskDefError::Shape(format!(
                "container {container_name}: secrets must be an array, found {}",
                json_type(other)
            )));
        }
    };

    let mut seen = Vec::new();
    for (index, secret) in secrets.iter().enumerate() {
        let Some(name) = secret_name(secret) else {
            return Err(TaskDefError::Shape(format!(
                "container {container_name}: secrets[{index}] has no string \"name\""
            )));
        };
        if seen.contains(&name) {
            return Err(TaskDefError::DuplicateSecretInSource {
                container: container_name.to_string(),
                name: name.to_string(),
            });
        }
        seen.push(name);
    }
    Ok(secrets)
}

/// Turns each requested secret into `(name, valueFrom)` and checks the result.
fn resolve_value_froms(
    request: &AddSecrets,
    existing: &[Value],
    container_name: &str,
    family: &str,
) -> Result<Vec<(String, String)>, TaskDefError> {
    let needs_arn = request
        .secrets
        .iter()
        .any(|secret| matches!(secret.source, SecretSource::JsonKey(_)));
    let secret_arn = if needs_arn {
        Some(resolve_secret_arn(
            request.secret_arn.as_deref(),
            existing,
            container_name,
            family,
        )?)
    } else {
        None
    };

    let mut resolved: Vec<(String, String)> = Vec::new();
    for secret in &request.secrets {
        let (option, value_from) = match &secret.source {
            SecretSource::ValueFrom(value_from) => ("--secret", value_from.clone()),
            SecretSource::JsonKey(key) => {
                let arn = secret_arn.as_deref().expect("resolved above for JSON keys");
                ("--secret-key", format!("{arn}:{key}::"))
            }
        };
        let shown = format!("{}={value_from}", secret.name);
        if let Err(reason) = parse_value_from(&value_from) {
            return Err(invalid_request(
                option,
                &shown,
                &format!("valueFrom {reason}"),
            ));
        }

        match resolved.iter().find(|(name, _)| name == &secret.name) {
            Some((_, earlier)) if earlier == &value_from => {}
            Some((_, earlier)) => {
                return Err(invalid_request(
                    option,
                    &shown,
                    &format!(
                        "{} is already requested with valueFrom {earlier}",
                        secret.name
                    ),
                ));
            }
            None => resolved.push((secret.name.clone(), value_from)),
        }
    }
    Ok(resolved)
}

/// Returns `--secret-arn`, checked, or the one Secrets Manager secret the
/// container's secrets already reference.
fn resolve_secret_arn(
    given: Option<&str>,
    existing: &[Value],
    container_name: &str,
    family: &str,
) -> Result<String, TaskDefError> {
    if let Some(arn) = given {
        return parse_whole_secret(arn, false)
            .map(str::to_string)
            .map_err(|reason| invalid_request("--secret-arn", arn, &reason));
    }

    let mut referenced: Vec<&str> = Vec::new();
    for secret in existing {
        let value_from = secret
            .get("valueFrom")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if let Ok(SecretReference::SecretsManager { secret_arn, .. }) = parse_value_from(value_from)
            && !referenced.contains(&secret_arn)
        {
            referenced.push(secret_arn);
        }
    }

    match referenced.as_slice() {
        [arn] => Ok(arn.to_string()),
        [] => Err(TaskDefError::SecretArnNotInferred(format!(
            "--secret-key needs --secret-arn: container {container_name} of {family} references no Secrets Manager secret to take it from"
        ))),
        several => Err(TaskDefError::SecretArnNotInferred(format!(
            "--secret-key needs --secret-arn: container {container_name} of {family} references {} Secrets Manager secrets ({}); pass the one to use",
            several.len(),
            several.join(", ")
        ))),
    }
}

/// Returns the requested names that are plain environment variables and may
/// be moved; fails on the first one when moving was not asked for.
fn check_environment(
    container: &Map<String, Value>,
    container_name: &str,
    resolved: &[(String, String)],
    move_from_environment: bool,
) -> Result<Vec<String>, TaskDefError> {
    let environment = container.get("environment").and_then(Value::as_array);
    let mut moved = Vec::new();
    for (name, _) in resolved {
        let shared = environment.is_some_and(|variables| {
            variables
                .iter()
                .any(|variable| variable.get("name").and_then(Value::as_str) == Some(name))
        });
        if !shared {
            continue;
        }
        if !move_from_environment {
            return Err(TaskDefError::SecretSharesEnvironment {
                container: container_name.to_string(),
                name: name.clone(),
            });
        }
        moved.push(name.clone());
    }
    Ok(moved)
}

fn remove_environment(container: &mut Map<String, Value>, names: &[String]) {
    if names.is_empty() {
        return;
    }
    if let Some(Value::Array(variables)) = container.get_mut("environment") {
        variables.retain(|variable| {
            !variable
                .get("name")
                .and_then(Value::as_str)
                .is_some_and(|name| names.iter().any(|n| n == name))
        });
    }
}

fn upsert(
    secrets: &mut Vec<Value>,
    container_name: &str,
    name: &str,
    value_from: &str,
    replace: bool,
) -> Result<SecretChange, TaskDefError> {
    let Some(existing) = secrets
        .iter_mut()
        .find(|secret| secret_name(secret) == Some(name))
    else {
        secrets.push(json!({"name": name, "valueFrom": value_from}));
        return Ok(SecretChange::Added(name.to_string()));
    };

    let current = existing
        .get("valueFrom")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if current == value_from {
        return Ok(SecretChange::Unchanged(name.to_string()));
    }
    if !replace {
        return Err(TaskDefError::SecretConflict {
            container: container_name.to_string(),
            name: name.to_string(),
            existing: current.to_string(),
            requested: value_from.to_string(),
        });
    }

    existing["valueFrom"] = Value::String(value_from.to_string());
    Ok(SecretChange::Replaced(name.to_string()))
}
