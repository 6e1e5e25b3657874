//! The pipe commands (`strip`, `add-secrets`, `remove-secrets`, `validate`):
//! read a document, run the transform core, write JSON or findings.

mod input;
mod output;
mod report;

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::cli::{AddSecretsArgs, Cli, Command, OutputArgs, RemoveSecretsArgs, ValidateArgs};
use crate::exit_code::UsageError;
use crate::taskdef::{
    AddSecrets, Edit, Finding, RemoveSecrets, SecretToAdd, container_names, family_name,
    parse_document, to_register_input, transform, validate,
};

pub use input::read_input;
pub use output::write_output;
pub use report::{Reporter, Verbosity};

/// The end of a command that did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Done,
    /// `validate` found problems and printed them.
    ProblemsFound,
}

/// Runs the command the user typed.
pub fn run(cli: Cli) -> anyhow::Result<Outcome> {
    let verbosity = match (cli.quiet, cli.verbose) {
        (true, _) => Verbosity::Quiet,
        (false, true) => Verbosity::Verbose,
        (false, false) => Verbosity::Normal,
    };
    let reporter = Reporter::new(verbosity);

    match cli.command {
        Command::Strip(args) => {
            let bytes = read_input(args.file.as_deref())?;
            run_transform(&bytes, args.file.as_deref(), &[], &args.output, reporter)
        }
        Command::AddSecrets(args) => {
            let edit = add_secrets_edit(&args)?;
            let bytes = read_input(args.file.as_deref())?;
            run_transform(
                &bytes,
                args.file.as_deref(),
                &[edit],
                &args.output,
                reporter,
            )
        }
        Command::RemoveSecrets(args) => {
            let (file, edit) = remove_secrets_edit(&args)?;
            let bytes = read_input(file.as_deref())?;
            if file.is_none() && bytes.iter().all(u8::is_ascii_whitespace) {
                return Err(UsageError(format!(
                    "stdin is empty; {} is not an existing file, so it was taken as a secret name. Pass an existing FILE, or pipe the task definition",
                    args.arguments[0]
                ))
                .into());
            }
            run_transform(&bytes, file.as_deref(), &[edit], &args.output, reporter)
        }
        Command::Validate(args) => run_validate(&args, reporter),
        Command::Plan(args) => crate::rollout::run_plan(&args, reporter),
        Command::Run(args) => crate::rollout::run_rollout(&args, reporter),
        Command::Rollback(args) => crate::rollout::run_rollback(&args, reporter),
    }
}

fn run_transform(
    bytes: &[u8],
    file: Option<&Path>,
    edits: &[Edit],
    output: &OutputArgs,
    reporter: Reporter,
) -> anyhow::Result<Outcome> {
    let transformed = transform(bytes, edits).with_context(|| input_context(file))?;

    reporter.transformed(&family_name(&transformed.request), &transformed);
    write_output(
        output.output.as_deref(),
        &transformed.to_json(output.compact),
    )?;
    Ok(Outcome::Done)
}

/// Names the input in front of an error about its content, as compilers do.
fn input_context(file: Option<&Path>) -> String {
    input::describe_source(file)
}

fn add_secrets_edit(args: &AddSecretsArgs) -> anyhow::Result<Edit> {
    let mut secrets = Vec::new();
    for text in &args.secrets {
        secrets.push(SecretToAdd::parse_reference(text)?);
    }
    for text in &args.secret_keys {
        secrets.push(SecretToAdd::parse_json_key(text)?);
    }

    Ok(Edit::AddSecrets(AddSecrets {
        container: args.container.clone(),
        secrets,
        secret_arn: args.secret_arn.clone(),
        replace: args.replace,
        move_from_environment: args.move_from_environment,
    }))
}

/// Splits `[FILE] NAME...`: the first argument is the file when it is `-` or
/// an existing file, because nothing else distinguishes a secret name from a path.
fn remove_secrets_edit(args: &RemoveSecretsArgs) -> anyhow::Result<(Option<PathBuf>, Edit)> {
    let (first, rest) = args
        .arguments
        .split_first()
        .ok_or_else(|| UsageError("give the names of the secrets to remove".into()))?;

    let first_is_file = first == "-" || Path::new(first).is_file();
    if !first_is_file && looks_like_path(first) {
        return Err(UsageError(format!(
            "cannot read {first}: no such file (secret names do not contain '/' or end in .json)"
        ))
        .into());
    }
    let (file, names) = if first_is_file {
        (Some(PathBuf::from(first)), rest.to_vec())
    } else {
        (None, args.arguments.clone())
    };
    if names.is_empty() {
        return Err(UsageError(format!(
            "no secret names given after the input file {first}; give the names of the secrets to remove"
        ))
        .into());
    }
    if let Some(empty) = names.iter().position(String::is_empty) {
        return Err(UsageError(format!("secret name #{} is empty", empty + 1)).into());
    }

    let edit = Edit::RemoveSecrets(RemoveSecrets {
        container: args.container.clone(),
        names,
    });
    Ok((file, edit))
}

fn looks_like_path(argument: &str) -> bool {
    argument.contains('/') || argument.ends_with(".json")
}

fn run_validate(args: &ValidateArgs, reporter: Reporter) -> anyhow::Result<Outcome> {
    let file = args.file.as_deref();
    let bytes = read_input(file)?;

    // The steps of `transform`, taken one by one so that the conversion's
    // warnings (an unknown key may explain a finding) are shown either way.
    let document = parse_document(&bytes).with_context(|| input_context(file))?;
    let (request, conversion) = to_register_input(document).with_context(|| input_context(file))?;
    reporter.conversion(&conversion);
    container_names(&request).with_context(|| input_context(file))?;
    let family = family_name(&request);
    let findings = validate(&request);

    let text = if args.json {
        format!("{}\n", findings_json(&findings))
    } else {
        findings
            .iter()
            .map(|finding| format!("{finding}\n"))
            .collect()
    };
    write_output(None, &text)?;

    if findings.is_empty() {
        reporter.note(&format!("{family}: no problems found"));
        Ok(Outcome::Done)
    } else {
        let count = findings.len();
        let plural = if count == 1 { "" } else { "s" };
        reporter.failure(&format!("{family}: {count} problem{plural} found"));
        Ok(Outcome::ProblemsFound)
    }
}

fn findings_json(findings: &[Finding]) -> String {
    let items: Vec<serde_json::Value> = findings
        .iter()
        .map(|finding| {
            serde_json::json!({
                "container": finding.container,
                "field": finding.field,
                "value": finding.value,
                "reason": finding.reason,
            })
        })
        .collect();
    serde_json::to_string_pretty(&items).expect("findings always serialise")
}
