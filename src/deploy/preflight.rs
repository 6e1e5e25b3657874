//! Pre-flight checks of the secrets a new revision references: each Secrets
//! Manager secret exists and, when asked, has every JSON key referenced.
//! Only key names are ever put into messages, never a value.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::aws::{AwsCall, Runner};
use crate::taskdef::{SecretReference, parse_value_from};

use super::DeployError;
use super::service::parse_answer;

/// The Secrets Manager secrets a task definition references, each with the
/// secret names and JSON keys that use it.
fn referenced_secrets(
    request: &Map<String, Value>,
) -> BTreeMap<String, Vec<(String, Option<String>)>> {
    let mut secrets: BTreeMap<String, Vec<(String, Option<String>)>> = BTreeMap::new();
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
            if let Ok(SecretReference::SecretsManager {
                secret_arn,
                json_key,
            }) = parse_value_from(value_from)
            {
                let key = json_key.filter(|key| !key.is_empty()).map(str::to_string);
                secrets
                    .entry(secret_arn.to_string())
                    .or_default()
                    .push((name.to_string(), key));
            }
        }
    }
    secrets
}

/// Checks every referenced Secrets Manager secret, with `describe-secret`, or
/// with `get-secret-value` when `check_keys` asks for the JSON keys too.
///
/// Fails naming the secret (and the key) that is missing.
pub fn check_secrets(
    request: &Map<String, Value>,
    check_keys: bool,
    runner: &mut Runner,
) -> anyhow::Result<usize> {
    let secrets = referenced_secrets(request);
    for (secret_arn, uses) in &secrets {
        if !check_keys {
            runner.run(&AwsCall::describe_secret(secret_arn))?;
            continue;
        }

        let answer = runner.run(&AwsCall::get_secret_value(secret_arn))?;
        let keys = secret_keys(&answer, secret_arn)?;
        for (name, key) in uses {
            let Some(key) = key else { continue };
            if let Some(keys) = &keys
                && !keys.contains(key)
            {
                return Err(DeployError::Aws(format!(
                    "secret {name}: {secret_arn} has no JSON key '{key}' (keys: {})",
                    keys.join(", ")
                ))
                .into());
            }
            if keys.is_none() {
                return Err(DeployError::Aws(format!(
                    "secret {name}: {secret_arn} is not a JSON object, but JSON key '{key}' was requested"
                ))
                .into());
            }
        }
    }
    Ok(secrets.len())
}

/// Returns the JSON keys of a `get-secret-value` answer, or `None` when the
/// value is not a JSON object. The value itself is dropped here.
fn secret_keys(answer: &str, secret_arn: &str) -> Result<Option<Vec<String>>, DeployError> {
    let answer: Value = parse_answer(answer, "get-secret-value")?;
    let Some(text) = answer.get("SecretString").and_then(Value::as_str) else {
        return Err(DeployError::Aws(format!(
            "secret {secret_arn} has no SecretString (a binary secret has no JSON keys)"
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
    fn references_are_grouped_by_secret() {
        let request = json!({"containerDefinitions": [
            {"name": "a", "secrets": [
                {"name": "K1", "valueFrom": format!("{SECRET}:k1::")},
                {"name": "WHOLE", "valueFrom": SECRET},
                {"name": "P", "valueFrom": "/ssm/param"}]},
            {"name": "b", "logConfiguration": {"secretOptions": [{"name": "apikey", "valueFrom": format!("{SECRET}:api::")}]}}
        ]});

        let secrets = referenced_secrets(request.as_object().unwrap());

        assert_eq!(secrets.len(), 1);
        assert_eq!(
            secrets[SECRET],
            [
                ("K1".to_string(), Some("k1".to_string())),
                ("WHOLE".to_string(), None),
                ("apikey".to_string(), Some("api".to_string()))
            ]
        );
    }

    #[test]
    fn keys_are_read_and_values_dropped() {
        let answer = json!({"SecretString": "{\"a\":\"canary\",\"b\":\"x\"}"}).to_string();

        assert_eq!(
            secret_keys(&answer, SECRET).unwrap(),
            Some(vec!["a".to_string(), "b".to_string()])
        );
    }

    #[test]
    fn non_json_secret_has_no_keys() {
        let answer = json!({"SecretString": "'quoted'"}).to_string();

        assert_eq!(secret_keys(&answer, SECRET).unwrap(), None);
    }
}
