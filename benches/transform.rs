//! Benchmarks for `add-secrets`, each measured beside the baseline it must beat:
//!
//! - `transform/*`: the in-process transform (parse, convert, add two secrets,
//!   validate, serialise pretty) against `serde_json` parsing and
//!   pretty-printing the same bytes. Target: at most 2× the baseline.
//! - `process/*`: the `bcos-taskdef add-secrets` process against the by-hand
//!   two-`jq` pipeline. Target: at most a tenth of the pipeline's wall time.
//!
//! Under `cargo test --all-targets` criterion runs each benchmark once, so the
//! checks below double as a smoke test of both paths. The results are in
//! `docs/benchmarks.md`, and `benches/ratios.sh` prints them after a run.

mod large_describe;

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use bcos_taskdef::taskdef::{AddSecrets, Edit, READ_ONLY_KEYS, SecretToAdd, transform};
use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use serde_json::Value;

use large_describe::{COMPACT_BYTES, large_describe};

/// The binary of this package. Under `cargo bench` it is the release build,
/// because Cargo's bench profile inherits from the release profile.
const TOOL: &str = env!("CARGO_BIN_EXE_bcos-taskdef");
const CONTAINER: &str = "bcos";
const SECRET_KEYS: [&str; 2] = ["WEBAUTHN_RP_ID", "MFA_TEMP_TOKEN_SECRET"];

fn staging_fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/bcos-staging.describe.json")
}

/// Returns the inputs of the in-process group, as `(name, bytes)`.
fn inputs() -> Vec<(&'static str, Vec<u8>)> {
    let staging = std::fs::read(staging_fixture()).expect("fixtures/bcos-staging.describe.json");
    let large = large_describe();
    let compact = serde_json::to_vec(&large).expect("a JSON value always serialises");
    assert_eq!(compact.len(), COMPACT_BYTES);
    vec![
        ("staging", staging),
        ("generated-64k-compact", compact),
        // The AWS CLI prints with four-space indentation, and that whitespace
        // is parsing work that the compact form hides.
        ("generated-64k-aws-cli", aws_cli_json(&large)),
    ]
}

fn aws_cli_json(value: &Value) -> Vec<u8> {
    use serde::Serialize;
    let mut bytes = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut serializer = serde_json::Serializer::with_formatter(&mut bytes, formatter);
    value
        .serialize(&mut serializer)
        .expect("a JSON value always serialises");
    bytes
}

fn add_two_secrets() -> Edit {
    let secrets = SECRET_KEYS
        .iter()
        .map(|key| SecretToAdd::parse_json_key(key).expect("a valid JSON key"))
        .collect();
    Edit::AddSecrets(AddSecrets {
        container: Some(CONTAINER.into()),
        secrets,
        secret_arn: None,
        ..AddSecrets::default()
    })
}

/// Runs the transform and serialises its result, as `add-secrets` does.
///
/// Kept out of line, like [`serde_json_baseline`], so that a profiler can
/// count each routine on its own (`valgrind --tool=callgrind
/// --toggle-collect=...`, see `docs/benchmarks.md`).
#[inline(never)]
fn add_secrets_in_process(bytes: &[u8], edits: &[Edit]) -> String {
    transform(bytes, edits)
        .expect("checked before measuring")
        .to_json(false)
}

/// Parses and pretty-prints `bytes` with plain `serde_json`, the baseline.
#[inline(never)]
fn serde_json_baseline(bytes: &[u8]) -> String {
    let value: Value = serde_json::from_slice(bytes).expect("valid JSON");
    serde_json::to_string_pretty(&value).expect("a JSON value always serialises")
}

fn in_process(c: &mut Criterion) {
    let edits = [add_two_secrets()];
    let mut group = c.benchmark_group("transform");
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));

    for (name, bytes) in inputs() {
        // Each run must reach the end, or the figure would time an early error.
        let output = transform(&bytes, &edits)
            .unwrap_or_else(|err| panic!("{name}: transform failed: {err}"))
            .to_json(false);
        for key in SECRET_KEYS {
            assert!(output.contains(key), "{name}: {key} is missing");
        }

        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function(format!("{name}/add-secrets"), |b| {
            b.iter(|| add_secrets_in_process(black_box(&bytes), &edits))
        });
        group.bench_function(format!("{name}/serde-json-baseline"), |b| {
            b.iter(|| serde_json_baseline(black_box(&bytes)))
        });
    }
    group.finish();
}

/// Returns the shell pipeline a person would type for the same change: one
/// `jq` strips the read-only keys and unwraps, another appends the secrets.
///
/// It does less than the tool (no tags, `null`s or validation), which only
/// makes the comparison kinder to the pipeline.
fn jq_pipeline(file: &Path) -> String {
    let describe: Value =
        serde_json::from_slice(&std::fs::read(file).expect("readable input")).expect("valid JSON");
    let containers = describe["taskDefinition"]["containerDefinitions"]
        .as_array()
        .expect("containerDefinitions is an array");
    let index = containers
        .iter()
        .position(|container| container["name"] == CONTAINER)
        .expect("the input has a bcos container");
    // The ARN is what a person copies from an existing `ARN:KEY::` reference.
    let existing = containers[index]["secrets"][0]["valueFrom"]
        .as_str()
        .expect("the bcos container has a secret");
    let secret_arn = existing.split(':').take(7).collect::<Vec<_>>().join(":");

    let read_only = READ_ONLY_KEYS
        .iter()
        .map(|key| format!(".taskDefinition.{key}"))
        .collect::<Vec<_>>()
        .join(", ");
    let additions = SECRET_KEYS
        .iter()
        .map(|key| format!(r#"{{"name": "{key}", "valueFrom": "{secret_arn}:{key}::"}}"#))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "jq 'del({read_only}) | .taskDefinition' '{file}' | jq '.containerDefinitions[{index}].secrets += [{additions}]'",
        file = file.display()
    )
}

fn tool_command(file: &Path) -> Command {
    let mut command = Command::new(TOOL);
    command.arg("add-secrets").arg(file);
    for key in SECRET_KEYS {
        command.args(["--secret-key", key]);
    }
    command
}

fn shell_command(script: &str) -> Command {
    let mut command = Command::new("sh");
    command.args(["-c", script]);
    command
}

/// Runs `command` once and checks that it printed both new secrets, so a
/// failing command is not timed as a fast one.
fn check_output(name: &str, command: &mut Command) {
    let output = command
        .output()
        .unwrap_or_else(|err| panic!("{name}: cannot start: {err}"));
    assert!(
        output.status.success(),
        "{name}: {}: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let request: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|err| panic!("{name}: output is not JSON: {err}"));
    assert!(
        request.get("taskDefinitionArn").is_none(),
        "{name}: ARN kept"
    );
    let text = request.to_string();
    for key in SECRET_KEYS {
        assert!(text.contains(&format!(":{key}::")), "{name}: {key} missing");
    }
}

/// Runs `command` with its output discarded. Both sides of the comparison
/// write to `/dev/null`, so neither pays for a reader.
fn run_quietly(command: &mut Command) {
    let status = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("started before");
    assert!(status.success());
}

fn jq_available() -> bool {
    Command::new("jq")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

fn processes(c: &mut Criterion) {
    if cfg!(debug_assertions) {
        println!("process benchmarks run {TOOL} (a debug build: a test run, not a measurement)");
    } else {
        println!("process benchmarks run {TOOL}");
    }

    // The generated input exists only as a value, so the processes read a
    // temporary copy, in the AWS CLI's layout like the fixture.
    let mut large_file = tempfile::NamedTempFile::new().expect("a temporary file");
    std::io::Write::write_all(&mut large_file, &aws_cli_json(&large_describe()))
        .expect("writing the temporary file");
    let files = [
        ("staging", staging_fixture()),
        ("generated-64k-aws-cli", large_file.path().to_path_buf()),
    ];

    let with_jq = jq_available();
    if !with_jq {
        println!("jq is not installed: skipping the process/*/jq-pipeline benchmarks");
    }

    let mut group = c.benchmark_group("process");
    // Linear sampling would need n(n+1)/2 = 465 runs for 30 samples, about 14 s
    // at 30 ms a pipeline run. Flat sampling runs each sample equally often.
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));

    for (name, file) in &files {
        check_output(&format!("{name}: bcos-taskdef"), &mut tool_command(file));
        group.bench_function(format!("{name}/bcos-taskdef"), |b| {
            b.iter(|| run_quietly(&mut tool_command(file)))
        });

        if with_jq {
            let script = jq_pipeline(file);
            check_output(&format!("{name}: {script}"), &mut shell_command(&script));
            group.bench_function(format!("{name}/jq-pipeline"), |b| {
                b.iter(|| run_quietly(&mut shell_command(&script)))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, in_process, processes);
criterion_main!(benches);
