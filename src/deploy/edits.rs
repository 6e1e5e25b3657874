//! The change a rollout makes, as typed once on the command line and turned
//! into core edits for each environment.

use crate::taskdef::{AddSecrets, Edit, RemoveSecrets, SecretToAdd};

use super::config::Environment;

/// The secret edits requested for every environment of a rollout.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeRequest {
    /// Overrides each environment's `container`.
    pub container: Option<String>,
    pub add: Vec<SecretToAdd>,
    /// Overrides each environment's secret ARN for `--secret-key`.
    pub secret_arn: Option<String>,
    pub replace: bool,
    pub move_from_environment: bool,
    pub remove: Vec<String>,
}

impl ChangeRequest {
    /// Tells whether the request changes anything at all.
    pub fn is_empty(&self) -> bool {
        self.add.is_empty() && self.remove.is_empty()
    }

    /// Returns the container an environment's edits target.
    pub fn container_for(&self, environment: &Environment) -> Option<String> {
        self.container
            .clone()
            .or_else(|| environment.container.clone())
    }

    /// Builds the core edits for one environment; `secret_arn` is the
    /// environment's resolved secret, if it has one.
    pub fn edits_for(&self, environment: &Environment, secret_arn: Option<&str>) -> Vec<Edit> {
        let container = self.container_for(environment);
        let mut edits = Vec::new();
        if !self.add.is_empty() {
            edits.push(Edit::AddSecrets(AddSecrets {
                container: container.clone(),
                secrets: self.add.clone(),
                secret_arn: self.secret_arn.clone().or(secret_arn.map(str::to_string)),
                replace: self.replace,
                move_from_environment: self.move_from_environment,
            }));
        }
        if !self.remove.is_empty() {
            edits.push(Edit::RemoveSecrets(RemoveSecrets {
                container,
                names: self.remove.clone(),
            }));
        }
        edits
    }

    /// Tells whether any added secret is a JSON key of the environment's secret.
    pub fn uses_secret_arn(&self) -> bool {
        self.add
            .iter()
            .any(|secret| matches!(secret.source, crate::taskdef::SecretSource::JsonKey(_)))
    }
}
