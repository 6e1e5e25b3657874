//! Helpers for the `cli_*` tests: running the built `bcos-taskdef` binary,
//! loading the shared inputs, and the checks every bad-input test repeats.
//!
//! Each `cli_*.rs` file includes this one with `#[path]`. Cargo also builds it
//! as a test target of its own, which contains no tests.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

/// The register input that case C01 must produce, as written in the case notes.
pub const C01_REGISTER_INPUT: &str = r#"{"family":"web-app","containerDefinitions":[{"name":"app","image":"123456789012.dkr.ecr.us-east-1.amazonaws.com/web-app:1.4.2","essential":true,"portMappings":[{"containerPort":8080,"hostPort":8080,"protocol":"tcp"}]}],"executionRoleArn":"arn:aws:iam::123456789012:role/web-app-exec","networkMode":"awsvpc","requiresCompatibilities":["FARGATE"],"cpu":"256","memory":"512"}"#;

/// An execution role ARN for inputs that need one.
pub const EXECUTION_ROLE: &str = "arn:aws:iam::123456789012:role/web-app-exec";

/// What one run of the binary produced.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// Returns a command for the built binary, with stdin closed unless a test
/// writes to it.
pub fn bcos_taskdef() -> Command {
    assert_cmd::cargo::cargo_bin_cmd!("bcos-taskdef")
}

/// Runs the binary with `args`, feeding `stdin` when given.
#[track_caller]
pub fn run(args: &[&str], stdin: Option<&[u8]>) -> Run {
    run_command(bcos_taskdef(), args, stdin)
}

/// Runs the binary with `args` inside `dir`, feeding `stdin` when given.
#[track_caller]
pub fn run_in(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Run {
    let mut command = bcos_taskdef();
    command.current_dir(dir);
    run_command(command, args, stdin)
}

#[track_caller]
fn run_command(mut command: Command, args: &[&str], stdin: Option<&[u8]>) -> Run {
    command.args(args);
    if let Some(bytes) = stdin {
        command.write_stdin(bytes.to_vec());
    }
    let output = command
        .output()
        .unwrap_or_else(|err| panic!("cannot run bcos-taskdef {args:?}: {err}"));
    Run {
        code: output.status.code(),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
    }
}

/// Returns the path of `name` under the repository's `fixtures/`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// Returns the path of `name` under `../shared/corpus/`.
pub fn corpus(name: &str) -> PathBuf {
    shared_dir("corpus").join(name)
}

fn shared_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("shared")
        .join(name)
}

/// Returns the input of failure case `id` (such as `C01`) with the harness
/// annotations removed: the top-level keys that start with `_`.
#[track_caller]
pub fn case_input(id: &str) -> Value {
    let path = shared_dir("cases").join(format!("{id}.json"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()));
    let mut value: Value = serde_json::from_str(&text)
        .unwrap_or_else(|err| panic!("{} is not JSON: {err}", path.display()));
    value
        .as_object_mut()
        .expect("every case input is a JSON object")
        .retain(|key, _| !key.starts_with('_'));
    value
}

/// Returns `value` as pretty JSON bytes, ready for stdin or a file.
pub fn to_bytes(value: &Value) -> Vec<u8> {
    serde_json::to_vec_pretty(value).expect("a JSON value serialises")
}

/// Parses `text` as JSON, keeping its key order.
#[track_caller]
pub fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|err| panic!("not JSON ({err}):\n{text}"))
}

/// Returns the top-level keys of a JSON object, in order.
#[track_caller]
pub fn keys_of(value: &Value) -> Vec<String> {
    value
        .as_object()
        .unwrap_or_else(|| panic!("not a JSON object: {value}"))
        .keys()
        .cloned()
        .collect()
}

/// Returns the container named `name` from a task definition.
#[track_caller]
pub fn container<'a>(task_definition: &'a Value, name: &str) -> &'a Value {
    task_definition["containerDefinitions"]
        .as_array()
        .unwrap_or_else(|| panic!("no containerDefinitions array in {task_definition}"))
        .iter()
        .find(|container| container["name"] == name)
        .unwrap_or_else(|| panic!("no container {name} in {task_definition}"))
}

/// Checks that the run succeeded, and shows stderr when it did not.
#[track_caller]
pub fn assert_success(run: &Run) {
    assert_eq!(
        run.code,
        Some(0),
        "expected exit 0; stderr:\n{}",
        run.stderr
    );
}

/// Checks that the run's stdout is JSON and returns it.
#[track_caller]
pub fn stdout_json(run: &Run) -> Value {
    assert_success(run);
    parse(&run.stdout)
}

/// Checks the bad-input contract: exit code 2 and nothing on stdout.
#[track_caller]
pub fn assert_bad_input(run: &Run) {
    assert_eq!(
        run.code,
        Some(2),
        "expected exit 2 for bad input; stderr:\n{}",
        run.stderr
    );
    assert_eq!(run.stdout, "", "stdout must be empty on bad input");
}

/// Checks that stderr contains `needle`.
#[track_caller]
pub fn assert_stderr_has(run: &Run, needle: &str) {
    assert!(
        run.stderr.contains(needle),
        "stderr does not contain {needle:?}; stderr:\n{}",
        run.stderr
    );
}

/// Checks that stderr does not contain `needle`.
#[track_caller]
pub fn assert_stderr_lacks(run: &Run, needle: &str) {
    assert!(
        !run.stderr.contains(needle),
        "stderr contains {needle:?}; stderr:\n{}",
        run.stderr
    );
}

/// Returns the names of the entries of `dir`, sorted.
#[track_caller]
pub fn dir_entries(dir: &Path) -> Vec<String> {
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|err| panic!("cannot list {}: {err}", dir.display()));
    let mut names: Vec<String> = entries
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}
