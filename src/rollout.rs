//! The `plan`, `run` and `rollback` commands: turn the typed flags into a
//! validated request, build the runner, and print the outcome.

use std::cell::{Cell, RefCell};
use std::io::{BufRead, IsTerminal, Write};
use std::time::Duration;

use crate::aws::{AwsFailure, AwsOptions, CallObserver, Recording, Runner, Transport, shell_quote};
use crate::cli::{PlanArgs, RollbackArgs, RolloutArgs, RunArgs, WaitArgs};
use crate::deploy::{
    Cancel, ChangeRequest, Clock, Config, Console, Environment, EnvironmentResult, FinishSettings,
    Journal, PlanRequest, RealClock, RollbackResult, RunRequest, Session, VerifySettings,
    VirtualClock, WaitSettings, default_state_dir, parse_duration, plan, roll_back_from_journal,
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
    let console = TerminalConsole::new(reporter);
    if !args.live && args.rollout.check_secret_keys {
        reporter.warning("--check-secret-keys applies to the read of --live only; the script checks that secrets exist, not their JSON keys");
    }
    if !args.live && !args.rollout.drop_keys.is_empty() {
        reporter.warning("--drop-key applies to the read of --live only; the script registers every key, and an aws CLI that rejects one fails at register");
    }

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
    let wait = wait_settings(&args.wait)?;
    let health_timeout = parse_duration(&args.health_timeout)
        .map_err(|reason| UsageError(format!("--health-timeout: {reason}")))?;
    let request = RunRequest {
        environments: rollout.environments,
        change: rollout.change,
        yes: args.rollout.yes,
        check_secret_keys: args.rollout.check_secret_keys,
        drop_keys: args.rollout.drop_keys.clone(),
        finish: FinishSettings {
            verify: VerifySettings {
                health_timeout,
                retry_interval: wait.poll_interval,
                ..VerifySettings::default()
            },
            wait,
            no_rollback: args.no_rollback,
            rollback_command: rollback_command(
                args.rollout.config.as_deref(),
                &args.wait,
                &rollout.aws_options,
            ),
        },
    };

    let console = TerminalConsole::new(reporter);
    let mut journal = open_journal(&args.wait)?;
    let mut runner = live_runner(transport_for(&args.wait)?, rollout.aws_options, reporter);
    let clock = clock_for(&args.wait, &runner);
    let cancel = install_ctrl_c()?;
    let mut session = Session {
        runner: &mut runner,
        console: &console,
        clock: clock.as_ref(),
        cancel: &cancel,
        journal: &mut journal,
    };

    let mut reports = Vec::new();
    let result = run(&request, &mut session, &mut reports);
    console.end_live_line();
    reporter.debug(&format!("{} calls", runner.calls_made()));

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
    result?;
    runner.check_replay_finished()?;
    Ok(Outcome::Done)
}

/// Runs `bcos-taskdef rollback`.
pub fn run_rollback(args: &RollbackArgs, reporter: Reporter) -> anyhow::Result<Outcome> {
    let config = match &args.config {
        Some(path) => Config::load(path).map_err(UsageError)?,
        None => Config::built_in(),
    };
    let environment = config
        .select(std::slice::from_ref(&args.environment))
        .map_err(UsageError)?
        .remove(0);
    let settings = wait_settings(&args.wait)?;
    let options = AwsOptions {
        profile: args.profile.clone(),
        region: args.region.clone(),
    };

    let console = TerminalConsole::new(reporter);
    let mut journal = open_journal(&args.wait)?;
    let mut runner = live_runner(transport_for(&args.wait)?, options, reporter);
    let clock = clock_for(&args.wait, &runner);
    let cancel = install_ctrl_c()?;
    let mut session = Session {
        runner: &mut runner,
        console: &console,
        clock: clock.as_ref(),
        cancel: &cancel,
        journal: &mut journal,
    };

    let result = roll_back_from_journal(&environment, &settings, &mut session);
    console.end_live_line();
    let result = result?;
    runner.check_replay_finished()?;
    let line = match result {
        RollbackResult::RolledBack { from, to } => {
            format!("{}: {from} -> {to}\n", environment.name)
        }
        RollbackResult::NothingToDo { current } => {
            reporter.note(&format!(
                "{}: the service already runs the revision from before the last run",
                environment.name
            ));
            format!("{}: unchanged ({current})\n", environment.name)
        }
    };
    write_output(None, &line)?;
    Ok(Outcome::Done)
}

fn wait_settings(args: &WaitArgs) -> anyhow::Result<WaitSettings> {
    let poll_interval = parse_duration(&args.poll_interval)
        .map_err(|reason| UsageError(format!("--poll-interval: {reason}")))?;
    let timeout = parse_duration(&args.timeout)
        .map_err(|reason| UsageError(format!("--timeout: {reason}")))?;
    if poll_interval.is_zero() {
        return Err(UsageError("--poll-interval must be more than 0".into()).into());
    }
    if timeout.is_zero() {
        return Err(UsageError("--timeout must be more than 0".into()).into());
    }
    Ok(WaitSettings {
        poll_interval,
        timeout,
        max_failed_tasks: args.max_failed_tasks,
    })
}

fn open_journal(args: &WaitArgs) -> anyhow::Result<Journal> {
    if args.replay.is_some() {
        return Ok(Journal::in_memory());
    }
    let state_dir = match &args.state_dir {
        Some(dir) => dir.clone(),
        None => default_state_dir().map_err(UsageError)?,
    };
    Ok(Journal::open(&state_dir).map_err(UsageError)?)
}

/// Chooses how calls are made.
fn transport_for(args: &WaitArgs) -> anyhow::Result<Transport> {
    Ok(match (&args.record, &args.replay) {
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
    })
}

/// Returns the wall clock, or for a replay a virtual clock that follows the
/// recorded times, so that recorded waits take no time and end the same way.
fn clock_for(args: &WaitArgs, runner: &Runner) -> Box<dyn Clock> {
    if args.replay.is_some() {
        Box::new(VirtualClock::following(runner.replay_time()))
    } else {
        Box::new(RealClock::new())
    }
}

/// Makes the first Ctrl-C a request to stop cleanly and a second one an
/// immediate exit with code 130.
fn install_ctrl_c() -> anyhow::Result<Cancel> {
    let cancel = Cancel::default();
    signal_hook::flag::register_conditional_shutdown(
        signal_hook::consts::SIGINT,
        130,
        cancel.flag(),
    )?;
    signal_hook::flag::register(signal_hook::consts::SIGINT, cancel.flag())?;
    Ok(cancel)
}

/// Returns the `rollback` command matching this run's options, without `--env`.
fn rollback_command(
    config: Option<&std::path::Path>,
    wait: &WaitArgs,
    options: &AwsOptions,
) -> String {
    let mut words = vec!["bcos-taskdef".to_string(), "rollback".to_string()];
    if let Some(config) = config {
        words.extend([
            "--config".to_string(),
            shell_quote(&config.display().to_string()),
        ]);
    }
    if let Some(state_dir) = &wait.state_dir {
        words.extend([
            "--state-dir".to_string(),
            shell_quote(&state_dir.display().to_string()),
        ]);
    }
    for arg in options.global_args() {
        words.push(shell_quote(&arg));
    }
    words.join(" ")
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
    /// Tells whether a live status line is on screen without its newline.
    live_line: Cell<bool>,
    last_state: RefCell<String>,
}

impl TerminalConsole {
    fn new(reporter: Reporter) -> Self {
        Self {
            reporter,
            live_line: Cell::new(false),
            last_state: RefCell::new(String::new()),
        }
    }

    fn end_live_line(&self) {
        if self.live_line.replace(false) {
            eprintln!();
        }
    }
}

impl Console for TerminalConsole {
    fn progress(&self, message: &str) {
        self.end_live_line();
        self.reporter.note(message);
    }

    fn warning(&self, message: &str) {
        self.end_live_line();
        self.reporter.warning(message);
    }

    fn status(&self, state: &str, elapsed: Duration) {
        if self.reporter.is_quiet() {
            return;
        }
        if std::io::stderr().is_terminal() {
            eprint!("\r\x1b[K{state} ({} s)", elapsed.as_secs());
            let _ = std::io::stderr().flush();
            self.live_line.set(true);
        } else if self.last_state.replace(state.to_string()) != state {
            self.reporter.note(state);
        }
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
