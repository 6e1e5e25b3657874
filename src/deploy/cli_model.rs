//! What the installed `aws` CLI accepts. Its register-task-definition skeleton,
//! generated offline, lists the keys it accepts. A key it does not accept is
//! dropped only when its value is the API default, and is an error otherwise.

use serde_json::{Map, Value};

use crate::aws::{AwsCall, CliVersion, Runner, parse_cli_version};
use crate::exit_code::UsageError;

use super::service::parse_answer;

/// Keys whose value, when it is the API default, can be left out of a
/// register request without changing the revision.
const API_DEFAULTS: [(&str, Value); 1] = [("enableFaultInjection", Value::Bool(false))];

/// The installed CLI's version and the register keys it accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstalledCli {
    pub version: Option<CliVersion>,
    pub version_text: String,
    pub register_keys: Vec<String>,
}

/// Runs `aws --version` and the register skeleton, once per run.
pub fn inspect_cli(runner: &mut Runner) -> anyhow::Result<InstalledCli> {
    let version_text = runner.run(&AwsCall::version())?;
    let version = parse_cli_version(&version_text);

    let skeleton = runner.run(&AwsCall::register_skeleton())?;
    let skeleton = parse_answer(
        &skeleton,
        "register-task-definition --generate-cli-skeleton",
    )?;
    let register_keys = skeleton
        .as_object()
        .map(|keys| keys.keys().cloned().collect())
        .unwrap_or_default();

    Ok(InstalledCli {
        version,
        version_text: version_text.trim().to_string(),
        register_keys,
    })
}

/// Removes the keys the installed CLI would reject, returning a notice for
/// each one removed.
///
/// Fails, naming the key and the way out, when a key the CLI does not accept
/// has a value other than the API default and is not in `drop_keys`.
pub fn fit_to_cli(
    request: &mut Map<String, Value>,
    cli: &InstalledCli,
    drop_keys: &[String],
) -> Result<Vec<String>, UsageError> {
    let unknown: Vec<String> = request
        .keys()
        .filter(|key| !cli.register_keys.iter().any(|known| known == *key))
        .cloned()
        .collect();

    let mut notices = Vec::new();
    for key in unknown {
        let value = &request[&key];
        let is_default = API_DEFAULTS
            .iter()
            .any(|(name, default)| *name == key && default == value);
        if !is_default && !drop_keys.contains(&key) {
            return Err(UsageError(format!(
                "the installed aws CLI ({}) does not accept {key} = {value}, so register would fail; upgrade the aws CLI, or pass --drop-key {key} to register without it",
                cli.version_text
            )));
        }

        notices.push(format!(
            "dropped {key} = {value}: the installed aws CLI does not accept it{}",
            if is_default {
                " and it is the API default"
            } else {
                " (--drop-key)"
            }
        ));
        request.shift_remove(&key);
    }
    Ok(notices)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn old_cli() -> InstalledCli {
        InstalledCli {
            version: None,
            version_text: "aws-cli/1.30.0".into(),
            register_keys: vec!["family".into(), "containerDefinitions".into()],
        }
    }

    fn request(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn default_value_is_dropped_with_a_notice() {
        let mut request = request(
            json!({"family": "f", "containerDefinitions": [], "enableFaultInjection": false}),
        );

        let notices = fit_to_cli(&mut request, &old_cli(), &[]).unwrap();

        assert!(!request.contains_key("enableFaultInjection"));
        assert_eq!(notices.len(), 1);
        assert!(notices[0].contains("API default"), "{}", notices[0]);
    }

    #[test]
    fn other_value_is_an_error_naming_the_key() {
        let mut request = request(json!({"family": "f", "enableFaultInjection": true}));

        let err = fit_to_cli(&mut request, &old_cli(), &[]).unwrap_err();

        assert!(err.0.contains("enableFaultInjection = true"), "{err}");
        assert!(err.0.contains("--drop-key enableFaultInjection"), "{err}");
    }

    #[test]
    fn drop_key_removes_an_unknown_key() {
        let mut request = request(json!({"family": "f", "futureSetting": {"on": true}}));

        fit_to_cli(&mut request, &old_cli(), &["futureSetting".into()]).unwrap();

        assert!(!request.contains_key("futureSetting"));
    }

    #[test]
    fn known_keys_are_untouched() {
        let mut request = request(json!({"family": "f", "containerDefinitions": []}));

        let notices = fit_to_cli(&mut request, &old_cli(), &[]).unwrap();

        assert!(notices.is_empty());
        assert_eq!(request.len(), 2);
    }
}
