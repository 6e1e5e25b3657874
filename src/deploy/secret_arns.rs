//! Resolving each environment's secret ARN: given in the config, read from a
//! CloudFormation stack output (one `describe-stacks` per stack for the whole
//! run), or left to inference from the container's existing secrets.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::aws::{AwsCall, Runner};

use super::DeployError;
use super::config::{Environment, SecretArnSource};
use super::service::parse_answer;

/// Returns each environment's secret ARN by environment name; `None` where it
/// is to be inferred. Stack outputs are read only when `needed`.
pub fn resolve_secret_arns(
    environments: &[Environment],
    needed: bool,
    runner: &mut Runner,
) -> anyhow::Result<BTreeMap<String, Option<String>>> {
    let mut stack_outputs: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    let mut resolved = BTreeMap::new();

    for environment in environments {
        let arn = match &environment.secret_arn {
            SecretArnSource::Literal(arn) => Some(arn.clone()),
            SecretArnSource::Inferred => None,
            SecretArnSource::StackOutput { .. } if !needed => None,
            SecretArnSource::StackOutput { stack, output } => {
                if !stack_outputs.contains_key(stack) {
                    let answer = runner.run(&AwsCall::describe_stack(stack))?;
                    stack_outputs.insert(stack.clone(), read_outputs(&answer, stack)?);
                }
                Some(find_output(&stack_outputs[stack], stack, output)?)
            }
        };
        resolved.insert(environment.name.clone(), arn);
    }
    Ok(resolved)
}

fn read_outputs(answer: &str, stack: &str) -> Result<Vec<(String, String)>, DeployError> {
    let answer: Value = parse_answer(answer, "describe-stacks")?;
    let outputs = answer
        .pointer("/Stacks/0/Outputs")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();

    let pairs = outputs
        .iter()
        .filter_map(|output| {
            let key = output.get("OutputKey")?.as_str()?;
            let value = output.get("OutputValue")?.as_str()?;
            Some((key.to_string(), value.to_string()))
        })
        .collect::<Vec<_>>();
    if answer.pointer("/Stacks/0").is_none() {
        return Err(DeployError::Aws(format!(
            "stack `{stack}` is not in the describe-stacks response"
        )));
    }
    Ok(pairs)
}

fn find_output(
    outputs: &[(String, String)],
    stack: &str,
    output: &str,
) -> Result<String, DeployError> {
    match outputs.iter().find(|(key, _)| key == output) {
        Some((_, value)) => Ok(value.clone()),
        None => {
            let keys: Vec<&str> = outputs.iter().map(|(key, _)| key.as_str()).collect();
            let listed = if keys.is_empty() {
                "none".to_string()
            } else {
                keys.join(", ")
            };
            Err(DeployError::Aws(format!(
                "stack `{stack}` has no output `{output}` (outputs: {listed}); check the stack, or the environment's secret_arn_output"
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANSWER: &str = r#"{"Stacks":[{"StackName":"sec","Outputs":[
        {"OutputKey":"StagingSecretArn","OutputValue":"arn:aws:secretsmanager:us-east-1:123456789012:secret:s-AbCdEf"}]}]}"#;

    #[test]
    fn output_is_found_by_key() {
        let outputs = read_outputs(ANSWER, "sec").unwrap();

        let arn = find_output(&outputs, "sec", "StagingSecretArn").unwrap();

        assert_eq!(
            arn,
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:s-AbCdEf"
        );
    }

    #[test]
    fn missing_output_lists_the_outputs() {
        let outputs = read_outputs(ANSWER, "sec").unwrap();

        let err = find_output(&outputs, "sec", "ProductionSecretArn").unwrap_err();

        assert_eq!(
            err.to_string(),
            "stack `sec` has no output `ProductionSecretArn` (outputs: StagingSecretArn); check the stack, or the environment's secret_arn_output"
        );
    }
}
