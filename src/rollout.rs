//! The `plan` and `run` commands: turn the typed flags into a validated
//! request, build the runner, and print the outcome.

use std::io::{BufRead, IsTerminal, Write};
use std::time::Duration;

use crate::aws::{AwsFailure, AwsOptions, CallObserver, Recording, Runner, Transport};
use crate::cli::{PlanArgs, RolloutArgs, RunArgs};
use crate::deploy::{
    ChangeRequest, Config, Console, Environment, EnvironmentResult, PlanRequest, RunRequest, plan,
    run,
};
use crate::exit_code::UsageError;
use crate::pipe::{Outcome, Reporter, write_output};
use crate::taskdef::SecretToAdd;

/// The validated parts of the flags that `plan` and `run` share.
struct Rollout {
    environments: Vec<Environment>,
    change: ChangeRequest,
    aws_options: AwsOptions,
}

fn parse_rollout(args: &RolloutArgs) -> anyhow::Result<Rollout> {
    let config = match &args.config {
        Some(path) => Config::load(path).map_err(UsageError)?,
        None => Config::built_in(),
    };
    let environments = config.select(&args.environments).map_err(UsageError)?;

    let mut add = Vec::new();
    for text in &args.secrets {
        add.push(SecretToAdd::parse_reference(text)?);
    }
    for text in &args.secret_keys {
        add.push(SecretToAdd::parse_json_key(text)?);
    }
    if let Some(arn) = &args.secret_arn {
        crate::taskdef::parse_whole_secret(arn, false)
            .map_err(|reason| UsageError(format!("invalid --secret-arn {arn}: {reason}")))?;
    }

    Ok(Rollout {
        environments,
        change: ChangeRequest {
            container: args.container.clone(),
            add,
            secret_arn: args.secret_arn.clone(),
            replace: args.replace,
            move_from_environment: args.move_from_environment,
            remove: args.remove_secrets.clone(),
        },
        aws_options: AwsOptions {
            profile: args.profile.clone(),
            region: args.region.clone(),
        },
    })
}

/// Runs `bcos-taskdef plan`.
pub fn run_plan(args: &PlanArgs, reporter: Reporter) -> anyhow::Result<Outcome> {
    let rollout = parse_rollout(&args.rollout)?;
    let request = PlanRequest {
        environments: rollout.environments,
        change: rollout.change,
        yes: args.rollout.yes,
        check_secret_keys: args.rollout.check_secret_keys,
        drop_keys: args.rollout.drop_keys.clone(),
        aws_options: rollout.aws_options.clone(),
    };
    let console = TerminalConsole { reporter };

    let mut runner = args.live.then(|| {
        live_runner(
            Transport::Live {
                program: "aws".into(),
            },
            rollout.aws_options,
            reporter,
        )
    });
    let script = plan(&request, runner.as_mut(), &console)?;

    write_output(args.output.as_deref(), &script)?;
    Ok(Outcome::Done)
}

/// Runs `bcos-taskdef run`.
pub fn run_rollout(args: &RunArgs, reporter: Reporter) -> anyhow::Result<Outcome> {
    let rollout = parse_rollout(&args.rollout)?;
    let request = RunRequest {
        environments: rollout.environments,
        change: rollout.change,
        yes: args.rollout.yes,
        check_secret_keys: args.rollout.check_secret_keys,
        drop_keys: args.rollout.drop_keys.clone(),
    };
    let console = TerminalConsole { reporter };

    let transport = match (&args.record, &args.replay) {
        (_, Some(path)) => Transport::Replay {
            recording: Recording::load(path).map_err(UsageError)?,
            next: 0,
        },
        (Some(path), None) => Transport::Record {
            program: "aws".into(),
            recording: Recording::default(),
            path: path.clone(),
        },
        (None, None) => Transport::Live {
            program: "aws".into(),
        },
    };
    let mut runner = live_runner(transport, rollout.aws_options, reporter);

    let mut reports = Vec::new();
    let result = run(&request, &mut runner, &console, &mut reports);
    reporter.debug(&format!("{} aws calls", runner.calls_made()));

    let mut summary = String::new();
    for report in reports {
        let line = match report.result {
            EnvironmentResult::Updated { previous, new } => {
                format!("{}: {previous} -> {new}\n", report.environment)
            }
            EnvironmentResult::Unchanged { current } => {
                format!("{}: unchanged ({current})\n", report.environment)
            }
        };
        summary.push_str(&line);
    }
    write_output(None, &summary)?;
    result.map(|()| Outcome::Done)
}

fn live_runner(transport: Transport, options: AwsOptions, reporter: Reporter) -> Runner {
    Runner::new(transport, options, Box::new(EchoObserver { reporter }))
}

/// Echoes calls at `-v` and reports retries.
struct EchoObserver {
    reporter: Reporter,
}

impl CallObserver for EchoObserver {
    fn calling(&self, command_line: &str) {
        self.reporter.debug(&format!("$ {command_line}"));
    }

    fn retrying(&self, failure: &AwsFailure, delay: Duration) {
        self.reporter
            .warning(&format!("{failure}; retrying in {} s", delay.as_secs_f32()));
    }
}

/// Progress on stderr; confirmations asked on the terminal.
struct TerminalConsole {
    reporter: Reporter,
}

impl Console for TerminalConsole {
    fn progress(&self, message: &str) {
        self.reporter.note(message);
    }

    fn warning(&self, message: &str) {
        self.reporter.warning(message);
    }

    fn can_confirm(&self) -> bool {
        std::io::stdin().is_terminal()
    }

    fn confirm(&self, question: &str) -> bool {
        eprint!("{question} [y/N] ");
        let _ = std::io::stderr().flush();

        let mut answer = String::new();
        if std::io::stdin().lock().read_line(&mut answer).is_err() {
            return false;
        }
        matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes")
    }
}
