//! The recording file: every `aws` call of a run with its exit code and
//! output, so that the run can be replayed offline. Secret values are redacted
//! before they reach the file.
//!
//! ```json
//! {
//!   "format": "bcos-taskdef recording",
//!   "version": 1,
//!   "calls": [
//!     {"args": ["ecs", "describe-services", "--cluster", "c", "--services", "s", "--output", "json"],
//!      "exit_code": 0, "stdout": {"services": […], "failures": []}}
//!   ]
//! }
//! ```
//!
//! `stdout` is the parsed JSON when the output is a JSON object or array, and
//! the text otherwise. `stderr` is present when the call printed to it.

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::call::{Redaction, shell_quote};
use super::runner::{CallError, Outcome};
use crate::atomic_file::write_atomically;
use crate::masking::mask_secret_values;

const FORMAT: &str = "bcos-taskdef recording";
const VERSION: u32 = 1;

/// Stands in for a secret value in a recording. The JSON keys stay, because a
/// pre-flight check of the keys must give the same result on replay.
pub const REDACTED: &str = "<redacted>";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recording {
    pub format: String,
    pub version: u32,
    pub calls: Vec<RecordedCall>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedCall {
    /// Arguments after `aws`, global options included.
    pub args: Vec<String>,
    pub exit_code: i32,
    #[serde(default)]
    pub stdout: Value,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub stderr: String,
    /// When the call ended, in milliseconds after the run started; a replay
    /// follows these times so that its timeouts fall where they fell live.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_ms: Option<u64>,
}

impl Default for Recording {
    fn default() -> Self {
        Self {
            format: FORMAT.to_string(),
            version: VERSION,
            calls: Vec::new(),
        }
    }
}

impl Recording {
    /// Reads a recording.
    ///
    /// Fails when the file cannot be read, is not JSON, or is not a recording
    /// of this format version.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|err| format!("cannot read {}: {err}", path.display()))?;
        let recording: Recording = serde_json::from_str(&text)
            .map_err(|err| format!("{} is not a recording: {err}", path.display()))?;
        if recording.format != FORMAT || recording.version != VERSION {
            return Err(format!(
                "{} is a {:?} version {} file; expected {FORMAT:?} version {VERSION}",
                path.display(),
                recording.format,
                recording.version
            ));
        }
        Ok(recording)
    }

    /// Writes the recording atomically, so an interrupted run leaves the
    /// calls made so far and never half a file.
    pub fn save(&self, path: &Path) -> Result<(), String> {
        let text = serde_json::to_string_pretty(self).map_err(|err| err.to_string())? + "\n";
        write_atomically(path, text.as_bytes()).map_err(|err| format!("{err:#}"))
    }

    /// Returns the recorded outcome of call number `index` (from 0), after
    /// checking that `args` are the recorded ones.
    pub fn answer(&self, index: usize, args: &[String]) -> Result<Outcome, CallError> {
        let shown = |args: &[String]| {
            let words: Vec<String> = args.iter().map(|arg| shell_quote(arg)).collect();
            format!("aws {}", words.join(" "))
        };

        let Some(recorded) = self.calls.get(index) else {
            return Err(CallError::Replay(format!(
                "call {} is `{}`, but the recording has only {} calls",
                index + 1,
                shown(args),
                self.calls.len()
            )));
        };
        if recorded.args != args {
            return Err(CallError::Replay(describe_mismatch(
                index,
                &recorded.args,
                args,
            )));
        }

        Ok(Outcome {
            exit_code: recorded.exit_code,
            stdout: match &recorded.stdout {
                Value::String(text) => text.clone(),
                Value::Null => String::new(),
                json => serde_json::to_string_pretty(json).expect("JSON values serialise") + "\n",
            },
            stderr: recorded.stderr.clone(),
        })
    }
}

/// Names the first argument where a call differs from the recording, with a
/// short window of each version: a register call's JSON is far too long to show whole.
fn describe_mismatch(index: usize, expected: &[String], actual: &[String]) -> String {
    let position = expected
        .iter()
        .zip(actual)
        .position(|(expected, actual)| expected != actual)
        .unwrap_or(expected.len().min(actual.len()));
    let before: Vec<String> = actual[..position]
        .iter()
        .map(|arg| shell_quote(&shorten(arg, 0, 40)))
        .collect();

    let (expected_arg, actual_arg) = (expected.get(position), actual.get(position));
    let offset = match (expected_arg, actual_arg) {
        (Some(expected), Some(actual)) => expected
            .bytes()
            .zip(actual.bytes())
            .take_while(|(e, a)| e == a)
            .count(),
        _ => 0,
    };
    let window = |arg: Option<&String>| {
        arg.map_or("(no argument)".to_string(), |arg| shorten(arg, offset, 60))
    };

    format!(
        "call {} differs from the recording at argument {} (after `aws {}`):\n  expected: {}\n  actual:   {}",
        index + 1,
        position + 1,
        before.join(" "),
        window(expected_arg),
        window(actual_arg),
    )
}

/// Returns up to `width` characters of `text` around byte `offset`, marking cuts with `…`.
fn shorten(text: &str, offset: usize, width: usize) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut boundary = offset.min(text.len());
    while !text.is_char_boundary(boundary) {
        boundary -= 1;
    }
    let center = text[..boundary].chars().count();
    let start = center.saturating_sub(width / 3);
    let end = (start + width).min(chars.len());

    let mut shown: String = chars[start..end].iter().collect();
    if start > 0 {
        shown.insert(0, '…');
    }
    if end < chars.len() {
        shown.push('…');
    }
    shown
}

impl RecordedCall {
    /// Builds the record of a call, with the parts `redaction` names hidden.
    pub fn new(args: Vec<String>, outcome: &Outcome, redaction: &Redaction) -> Self {
        let mut stdout = match serde_json::from_str::<Value>(&outcome.stdout) {
            Ok(json @ (Value::Object(_) | Value::Array(_))) => json,
            _ => Value::String(outcome.stdout.clone()),
        };
        match redaction {
            Redaction::None => {}
            Redaction::SecretValue => stdout = redact_secret_value(stdout),
            Redaction::LogMessages(names) => mask_log_messages(&mut stdout, names),
        }

        Self {
            args,
            exit_code: outcome.exit_code,
            stdout,
            stderr: outcome.stderr.clone(),
            at_ms: None,
        }
    }
}

/// Masks the values after secret names in each `events[].message` of a
/// `filter-log-events` response.
fn mask_log_messages(stdout: &mut Value, names: &[String]) {
    let events = stdout.get_mut("events").and_then(Value::as_array_mut);
    for event in events.into_iter().flatten() {
        if let Some(Value::String(message)) = event.get_mut("message") {
            *message = mask_secret_values(message, names);
        }
    }
}

/// Replaces the value of a `get-secret-value` response. A JSON object keeps its
/// keys with every value redacted; anything else becomes a non-JSON marker.
pub fn redact_secret_value(mut stdout: Value) -> Value {
    let Some(answer) = stdout.as_object_mut() else {
        return Value::String(REDACTED.to_string());
    };

    if let Some(Value::String(secret)) = answer.get("SecretString") {
        let redacted = match serde_json::from_str::<Value>(secret) {
            Ok(Value::Object(keys)) => {
                let keys: serde_json::Map<String, Value> = keys
                    .into_iter()
                    .map(|(key, _)| (key, Value::String(REDACTED.into())))
                    .collect();
                Value::Object(keys).to_string()
            }
            _ => format!("{REDACTED} (not a JSON object)"),
        };
        answer.insert("SecretString".to_string(), Value::String(redacted));
    }
    if answer.contains_key("SecretBinary") {
        answer.insert(
            "SecretBinary".to_string(),
            Value::String(REDACTED.to_string()),
        );
    }
    stdout
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secret_json_keeps_keys_and_loses_values() {
        let answer =
            json!({"ARN": "arn", "SecretString": "{\"A\":\"canary-1\",\"B\":\"canary-2\"}"});

        let redacted = redact_secret_value(answer).to_string();

        assert!(!redacted.contains("canary"), "{redacted}");
        assert!(redacted.contains(r#"\"A\":\"<redacted>\""#), "{redacted}");
    }

    #[test]
    fn non_json_secret_is_replaced_whole() {
        let answer = json!({"SecretString": "'quoted-canary'"});

        let redacted = redact_secret_value(answer);

        assert_eq!(redacted["SecretString"], "<redacted> (not a JSON object)");
    }

    #[test]
    fn unparsable_answer_is_replaced_whole() {
        assert_eq!(redact_secret_value(json!("canary")), json!("<redacted>"));
    }

    #[test]
    fn replay_names_the_first_differing_call() {
        let recording = Recording {
            calls: vec![RecordedCall {
                args: vec!["ecs".into(), "describe-services".into()],
                exit_code: 0,
                stdout: json!({}),
                stderr: String::new(),
                at_ms: None,
            }],
            ..Recording::default()
        };

        let err = recording
            .answer(0, &["ecs".into(), "list-services".into()])
            .unwrap_err();

        assert_eq!(
            err.to_string(),
            "replay: call 1 differs from the recording at argument 2 (after `aws ecs`):\n  expected: describe-services\n  actual:   list-services"
        );
    }

    #[test]
    fn replay_mismatch_shows_window() {
        let long_expected = format!(
            "{{\"family\":\"web\",{}\"secret\":\"A\"}}",
            "\"x\":1,".repeat(100)
        );
        let long_actual = long_expected.replace("\"A\"", "\"B\"");
        let recording = Recording {
            calls: vec![RecordedCall {
                args: vec![
                    "ecs".into(),
                    "register-task-definition".into(),
                    "--cli-input-json".into(),
                    long_expected,
                ],
                exit_code: 0,
                stdout: json!({}),
                stderr: String::new(),
                at_ms: None,
            }],
            ..Recording::default()
        };
        let actual = [
            "ecs",
            "register-task-definition",
            "--cli-input-json",
            &long_actual,
        ]
        .map(String::from);

        let message = recording.answer(0, &actual).unwrap_err().to_string();

        assert!(
            message.contains(
                "at argument 4 (after `aws ecs register-task-definition --cli-input-json`)"
            ),
            "{message}"
        );
        assert!(message.contains("\"secret\":\"A\"}"), "{message}");
        assert!(message.contains("\"secret\":\"B\"}"), "{message}");
        assert!(message.len() < 400, "{message}");
    }

    #[test]
    fn replay_past_the_end_is_an_error() {
        let err = Recording::default()
            .answer(0, &["--version".into()])
            .unwrap_err();

        assert!(
            err.to_string().contains("the recording has only 0 calls"),
            "{err}"
        );
    }
}
