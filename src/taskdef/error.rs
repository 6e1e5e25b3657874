//! The errors of the transform core. Each variant carries the facts a user needs
//! to find the fault: the container, the JSON field and the offending value.

use std::fmt;

use serde_json::Value;

/// One problem found in a task definition by validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The container the field belongs to, or `None` for a task-level field.
    pub container: Option<String>,
    /// The field's path inside the container, or inside the task definition for
    /// task-level fields (`secrets[1].valueFrom`, `cpu`).
    pub field: String,
    /// The offending value, or `None` where showing it would print something
    /// that may be sensitive (an environment variable's value).
    pub value: Option<Value>,
    /// The reason the value is rejected, and the fix.
    pub reason: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(container) = &self.container {
            write!(f, "container {container}: ")?;
        }
        write!(f, "{}", self.field)?;
        if let Some(value) = &self.value {
            write!(f, " = {}", shortened(value))?;
        }
        write!(f, ": {}", self.reason)
    }
}

/// Shows a value as compact JSON, cut short so one finding stays one line.
fn shortened(value: &Value) -> String {
    const LIMIT: usize = 160;
    let text = value.to_string();
    if text.chars().count() <= LIMIT {
        return text;
    }
    let cut: String = text.chars().take(LIMIT).collect();
    format!("{cut}…")
}

/// The reason a transform could not produce a register-ready task definition.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TaskDefError {
    #[error("the input is empty; expected the JSON output of `aws ecs describe-task-definition`")]
    EmptyInput,

    #[error("the input is not valid JSON: {0}")]
    Json(String),

    #[error("the input has a {0}; JSON readers disagree on which value wins, so keep only one")]
    DuplicateKey(String),

    #[error("the input is not a task definition: {0}")]
    Shape(String),

    #[error("{family} has {count} containers ({names}); pass --container NAME", count = .names.len(), names = .names.join(", "))]
    ContainerAmbiguous { family: String, names: Vec<String> },

    #[error("container '{name}' not found in {family} (containers: {available})", available = .available.join(", "))]
    ContainerNotFound {
        family: String,
        name: String,
        available: Vec<String>,
    },

    #[error(
        "container {container} already has duplicate secret {name}; fix the source task definition"
    )]
    DuplicateSecretInSource { container: String, name: String },

    #[error(
        "secret {name}: container {container} already has it with valueFrom {existing}, not {requested}; pass --replace to change it"
    )]
    SecretConflict {
        container: String,
        name: String,
        existing: String,
        requested: String,
    },

    #[error(
        "secret {name}: container {container} already sets {name} in environment; remove it from environment (or pass --move-from-environment)"
    )]
    SecretSharesEnvironment { container: String, name: String },

    #[error("secret {name} not found in container {container} (secrets: {available})", available = list_or_none(.available))]
    SecretNotFound {
        container: String,
        name: String,
        available: Vec<String>,
    },

    #[error("{0}")]
    SecretArnNotInferred(String),

    #[error("invalid {option} {value}: {reason}")]
    InvalidRequest {
        option: String,
        value: String,
        reason: String,
    },

    #[error("{} problem{} in {family}:\n  {}", .findings.len(), if .findings.len() == 1 { "" } else { "s" }, join_findings(.findings))]
    Invalid {
        family: String,
        findings: Vec<Finding>,
    },
}

fn list_or_none(names: &[String]) -> String {
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    }
}

fn join_findings(findings: &[Finding]) -> String {
    let lines: Vec<String> = findings.iter().map(Finding::to_string).collect();
    lines.join("\n  ")
}
