//! Pre-flight checks of the secrets a new revision references: each Secrets
//! Manager secret exists and, when asked, has every JSON key referenced in the
//! version referenced. Only key names are ever put into messages, never a value.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::aws::{AwsCall, Runner};
use crate::taskdef::{SecretReference, SecretVersion, parse_value_from};

use super::DeployError;
use super::service::parse_answer;

/// One version of one secret: the ARN, and the stage or id a reference names
/// (`None` for the current version).
type SecretAndVersion = (String, Option<Version>);

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Version {
    Stage(String),
    Id(String),
}

/// A use of a secret: the variable's name and the JSON key it reads, if any.
type Use = (String, Option<String>);

/// Groups the Secrets Manager references of a task definition by secret and version.
fn referenced_secrets(request: &Map<String, Value>) -> BTreeMap<SecretAndVersion, Vec<Use>> {
    let mut secrets: BTreeMap<SecretAndVersion, Vec<Use>> = BTreeMap::new();
    let containers = request
        .get("containerDefinitions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();

    for container in &containers {
        let lists = [
            container.get("secrets"),
            container.pointer("/logConfiguration/secretOptions"),
        ];
        for secret in lists
            .into_iter()
            .flatten()
            .filter_map(Value::as_array)
            .flatten()
        {
            let name = secret
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let value_from = secret
                .get("valueFrom")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let Ok(SecretReference::SecretsManager {
                secret_arn,
                json_key,
                version,
            }) = parse_value_from(value_from)
            else {
                continue;
            };
            let version = version.map(|version| match version {
                SecretVersion::Stage(stage) => Version::Stage(stage.to_string()),
                SecretVersion::Id(id) => Version::Id(id.to_string()),
            });
            let key = json_key.filter(|key| !key.is_empty()).map(str::to_string);
            secrets
                .entry((secret_arn.to_string(), version))
                .or_default()
                .push((name.to_string(), key));
        }
    }
    secrets
}

/// Checks every referenced Secrets Manager secret, with `describe-secret`, or
/// with `get-secret-value` of each referenced version when `check_keys`
/// requests the JSON keys too. Returns the number of secrets checked.
///
/// Fails naming the variable, the secret (and the key) that is missing.
pub fn check_secrets(
    request: &Map<String, Value>,
    check_keys: bool,
    runner: &mut Runner,
) -> anyhow::Result<usize> {
    let secrets = referenced_secrets(request);
    let mut described: Vec<&str> = Vec::new();

    for ((secret_arn, version), uses) in &secrets {
        if !check_keys {
            if !described.contains(&secret_arn.as_str()) {
                runner.run(&AwsCall::describe_secret(secret_arn))?;
                described.push(secret_arn);
            }
            continue;
        }

        let call = match version {
            None => AwsCall::get_secret_value(secret_arn, None, None),
            Some(Version::Stage(stage)) => AwsCall::get_secret_value(secret_arn, Some(stage), None),
            Some(Version::Id(id)) => AwsCall::get_secret_value(secret_arn, None, Some(id)),
        };
        let answer = runner.run(&call)?;
        let first_name = uses
            .first()
            .map(|(name, _)| name.as_str())
            .unwrap_or_default();
        let keys = secret_keys(&answer, secret_arn, first_name)?;
        check_uses(secret_arn, version.as_ref(), uses, keys.as_deref())?;
    }

    let mut arns: Vec<&str> = secrets.keys().map(|(arn, _)| arn.as_str()).collect();
    arns.dedup();
    Ok(arns.len())
}

fn check_uses(
    secret_arn: &str,
    version: Option<&Version>,
    uses: &[Use],
    keys: Option<&[String]>,
) -> Result<(), DeployError> {
    let which = match version {
        None => String::new(),
        Some(Version::Stage(stage)) => format!(" (version stage {stage})"),
        Some(Version::Id(id)) => format!(" (version id {id})"),
    };
    for (name, key) in uses {
        let Some(key) = key else { continue };
        match keys {
            Some(keys) if keys.contains(key) => {}
            Some(keys) => {
                return Err(DeployError::Aws(format!(
                    "secret {name}: {secret_arn}{which} has no JSON key '{key}' (keys: {})",
                    keys.join(", ")
                )));
            }
            None => {
                return Err(DeployError::Aws(format!(
                    "secret {name}: {secret_arn}{which} is not a JSON object, but JSON key '{key}' was requested"
                )));
            }
        }
    }
    Ok(())
}

/// Returns the JSON keys of a `get-secret-value` response, or `None` when the
/// value is not a JSON object. The value itself is dropped here.
fn secret_keys(
    answer: &str,
    secret_arn: &str,
    name: &str,
) -> Result<Option<Vec<String>>, DeployError> {
    let answer: Value = parse_answer(answer, "get-secret-value")?;
    let Some(text) = answer.get("SecretString").and_then(Value::as_str) else {
        return Err(DeployError::Aws(format!(
            "secret {name}: {secret_arn} has no SecretString (a binary secret has no JSON keys)"
        )));
    };
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(object)) => Ok(Some(object.keys().cloned().collect())),
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SECRET: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:app-AbCdEf";

    #[test]
    fn references_are_grouped_by_secret_and_version() {
        let request = json!({"containerDefinitions": [
            {"name": "a", "secrets": [
                {"name": "K1", "valueFrom": format!("{SECRET}:k1::")},
                {"name": "WHOLE", "valueFrom": SECRET},
                {"name": "OLD", "valueFrom": format!("{SECRET}:k1:AWSPREVIOUS:")},
                {"name": "P", "valueFrom": "/ssm/param"}]},
            {"name": "b", "logConfiguration": {"secretOptions": [{"name": "apikey", "valueFrom": format!("{SECRET}:api::")}]}}
        ]});

        let secrets = referenced_secrets(request.as_object().unwrap());

        assert_eq!(secrets.len(), 2);
        assert_eq!(
            secrets[&(SECRET.to_string(), None)],
            [
                ("K1".to_string(), Some("k1".to_string())),
                ("WHOLE".to_string(), None),
                ("apikey".to_string(), Some("api".to_string()))
            ]
        );
        assert_eq!(
            secrets[&(
                SECRET.to_string(),
                Some(Version::Stage("AWSPREVIOUS".into()))
            )],
            [("OLD".to_string(), Some("k1".to_string()))]
        );
    }

    #[test]
    fn keys_are_read_and_values_dropped() {
        let answer = json!({"SecretString": "{\"a\":\"canary\",\"b\":\"x\"}"}).to_string();

        assert_eq!(
            secret_keys(&answer, SECRET, "A").unwrap(),
            Some(vec!["a".to_string(), "b".to_string()])
        );
    }

    #[test]
    fn non_json_secret_has_no_keys() {
        let answer = json!({"SecretString": "'quoted'"}).to_string();

        assert_eq!(secret_keys(&answer, SECRET, "A").unwrap(), None);
    }

    #[test]
    fn binary_secret_names_the_variable() {
        let answer = json!({"SecretBinary": "AAAA"}).to_string();

        let err = secret_keys(&answer, SECRET, "CERT").unwrap_err();

        assert!(err.to_string().starts_with("secret CERT: "), "{err}");
    }

    #[test]
    fn missing_key_in_a_stage_names_the_stage() {
        let uses = [("OLD".to_string(), Some("gone".to_string()))];
        let keys = ["kept".to_string()];

        let err = check_uses(
            SECRET,
            Some(&Version::Stage("AWSPREVIOUS".into())),
            &uses,
            Some(&keys),
        )
        .unwrap_err();

        assert_eq!(
            err.to_string(),
            format!(
                "secret OLD: {SECRET} (version stage AWSPREVIOUS) has no JSON key 'gone' (keys: kept)"
            )
        );
    }
}
