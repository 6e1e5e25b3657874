//! One snapshot per real-shaped input: the shipped fixtures, the anonymised
//! corpus and the task definitions among the failure cases. Each snapshot contains
//! the register-ready output with the transform's report, or the error for an
//! input the tool must reject. Review changes with `cargo insta review`.

use std::path::{Path, PathBuf};

use bcos_taskdef::taskdef::{AddSecrets, Edit, SecretSource, SecretToAdd, Transformed, transform};
use serde_json::Value;

fn shared_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("shared")
        .join(name)
}

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|err| panic!("cannot list {}: {err}", dir.display()));
    let mut files: Vec<PathBuf> = entries
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no JSON files in {}", dir.display());
    files
}

/// Renders a transform's result as the snapshot text.
fn render(result: Result<Transformed, bcos_taskdef::taskdef::TaskDefError>) -> String {
    let transformed = match result {
        Ok(transformed) => transformed,
        Err(err) => return format!("error: {err}\n"),
    };

    let conversion = &transformed.conversion;
    let mut report = Vec::new();
    let lists = [
        ("removed read-only", &conversion.removed_read_only),
        ("kept unknown", &conversion.unknown_keys),
        (
            "kept unknown container keys",
            &conversion.unknown_container_keys,
        ),
        ("dropped reserved tags", &conversion.dropped_reserved_tags),
        ("ignored wrapper keys", &conversion.ignored_wrapper_keys),
    ];
    for (label, items) in lists {
        if !items.is_empty() {
            report.push(format!("{label}: {}", items.join(", ")));
        }
    }
    for changes in &transformed.secret_changes {
        report.push(changes.to_string());
    }

    format!("{}\n---\n{}", report.join("\n"), transformed.to_json(false))
}

fn snapshot_each(
    prefix: &str,
    files: &[PathBuf],
    edits_for: impl Fn(&[u8]) -> (Vec<u8>, Vec<Edit>),
) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);

    settings.bind(|| {
        for file in files {
            let bytes = std::fs::read(file).unwrap();
            let (input, edits) = edits_for(&bytes);
            let name = format!("{prefix}-{}", file.file_stem().unwrap().to_string_lossy());
            insta::assert_snapshot!(name, render(transform(&input, &edits)));
        }
    });
}

fn main_job_edit() -> Edit {
    Edit::AddSecrets(AddSecrets {
        container: Some("bcos".into()),
        secrets: vec![
            SecretToAdd::parse_json_key("WEBAUTHN_RP_ID").unwrap(),
            SecretToAdd::parse_json_key("MFA_TEMP_TOKEN_SECRET").unwrap(),
        ],
        ..AddSecrets::default()
    })
}

#[test]
fn fixtures_with_main_job_snapshots() {
    let files: Vec<PathBuf> = json_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures"))
        .into_iter()
        .filter(|path| path.to_string_lossy().ends_with(".describe.json"))
        .collect();

    snapshot_each("fixture", &files, |bytes| {
        (bytes.to_vec(), vec![main_job_edit()])
    });
}

#[test]
fn corpus_strip_snapshots() {
    let files = json_files(&shared_dir("corpus"));
    assert!(files.len() >= 48, "corpus shrank to {} files", files.len());

    snapshot_each("corpus", &files, |bytes| (bytes.to_vec(), Vec::new()));
}

/// Lists the case files whose content (without `_` annotations) is a task
/// definition or a describe output. The others describe deployments and logs.
fn case_task_definitions() -> Vec<PathBuf> {
    json_files(&shared_dir("cases"))
        .into_iter()
        .filter(|path| {
            let value: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
            value.get("containerDefinitions").is_some() || value.get("taskDefinition").is_some()
        })
        .collect()
}

/// Removes the annotation keys and turns a `_request` into an add-secrets edit.
fn case_input(bytes: &[u8]) -> (Vec<u8>, Vec<Edit>) {
    let mut value: Value = serde_json::from_slice(bytes).unwrap();
    let object = value.as_object_mut().unwrap();
    let request = object.get("_request").cloned();
    object.retain(|key, _| !key.starts_with('_'));

    let edits = request
        .map(|request| {
            let secrets = request["add_secrets"]
                .as_array()
                .unwrap()
                .iter()
                .map(|secret| SecretToAdd {
                    name: secret["name"].as_str().unwrap().to_string(),
                    source: SecretSource::ValueFrom(
                        secret["valueFrom"].as_str().unwrap().to_string(),
                    ),
                })
                .collect();
            Edit::AddSecrets(AddSecrets {
                container: request["container"].as_str().map(str::to_string),
                secrets,
                ..AddSecrets::default()
            })
        })
        .into_iter()
        .collect();

    (serde_json::to_vec(&value).unwrap(), edits)
}

#[test]
fn case_snapshots() {
    let files = case_task_definitions();
    assert!(
        files.len() >= 8,
        "expected at least 8 task-definition cases, found {}",
        files.len()
    );

    snapshot_each("case", &files, case_input);
}
