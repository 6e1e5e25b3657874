//! One pass from input bytes to a register-ready task definition: parse,
//! convert, apply the edits, validate. Nothing is returned unless every step
//! passed, so a caller never writes half a result.

use serde_json::{Map, Value};

use super::container::{container_names, family_name};
use super::document::parse_document;
use super::error::TaskDefError;
use super::register_input::{Conversion, to_register_input};
use super::secrets::{AddSecrets, ContainerChanges, RemoveSecrets, add_secrets, remove_secrets};
use super::validate::validate;

/// One change to make to the task definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    AddSecrets(AddSecrets),
    RemoveSecrets(RemoveSecrets),
}

/// A register-ready task definition and what was done to produce it.
#[derive(Debug, Clone, PartialEq)]
pub struct Transformed {
    pub request: Map<String, Value>,
    pub conversion: Conversion,
    /// One entry per secret edit, in the order the edits were given.
    pub secret_changes: Vec<ContainerChanges>,
}

impl Transformed {
    /// Serialises the request as JSON with a final newline: pretty-printed with
    /// two spaces, or on one line when `compact`.
    pub fn to_json(&self, compact: bool) -> String {
        let mut text = if compact {
            serde_json::to_string(&self.request)
        } else {
            serde_json::to_string_pretty(&self.request)
        }
        .expect("a JSON map with string keys always serialises");
        text.push('\n');
        text
    }
}

/// Converts `input` (describe output or a task definition) and applies `edits`.
///
/// Fails on input that is not a task definition, on an edit that cannot be
/// applied, and with every validation finding when the result would be
/// rejected by ECS.
pub fn transform(input: &[u8], edits: &[Edit]) -> Result<Transformed, TaskDefError> {
    let document = parse_document(input)?;
    let (mut request, conversion) = to_register_input(document)?;
    container_names(&request)?;

    let mut secret_changes = Vec::new();
    for edit in edits {
        let changes = match edit {
            Edit::AddSecrets(add) => add_secrets(&mut request, add)?,
            Edit::RemoveSecrets(remove) => remove_secrets(&mut request, remove)?,
        };
        secret_changes.push(changes);
    }

    let findings = validate(&request);
    if !findings.is_empty() {
        return Err(TaskDefError::Invalid {
            family: family_name(&request),
            findings,
        });
    }

    Ok(Transformed {
        request,
        conversion,
        secret_changes,
    })
}
