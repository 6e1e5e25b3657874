//! Carrying out AWS calls: live through the user's `aws` CLI, live and
//! recorded, or served from a recording. Throttled calls are retried with
//! backoff whatever the transport, so a replayed session retries the same way.

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::{Duration, Instant};

use super::call::{AwsCall, Redaction};
use super::failure::{AwsFailure, FailureKind};
use super::recording::{RecordedCall, Recording};

/// The result of a finished `aws` process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub exit_code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// The reason a call produced no usable output.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    #[error(transparent)]
    Failed(#[from] AwsFailure),

    /// The call differs from the recording, or the recording ran out.
    #[error("replay: {0}")]
    Replay(String),

    #[error("recording to {path}: {reason}")]
    Recording { path: String, reason: String },
}

/// The options every call gets: `--profile` and `--region` when given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AwsOptions {
    pub profile: Option<String>,
    pub region: Option<String>,
}

impl AwsOptions {
    pub fn global_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        if let Some(profile) = &self.profile {
            args.extend(["--profile".to_string(), profile.clone()]);
        }
        if let Some(region) = &self.region {
            args.extend(["--region".to_string(), region.clone()]);
        }
        args
    }
}

/// Told about each call, so the CLI layer can echo commands and retries.
pub trait CallObserver {
    fn calling(&self, _command_line: &str) {}
    fn retrying(&self, _failure: &AwsFailure, _delay: Duration) {}
}

/// An observer that ignores everything.
pub struct Silent;

impl CallObserver for Silent {}

/// How calls reach AWS, or a recording of it.
pub enum Transport {
    Live {
        program: String,
    },
    Record {
        program: String,
        recording: Recording,
        path: PathBuf,
    },
    Replay {
        recording: Recording,
        next: usize,
    },
}

/// Runs calls through a transport, adding the global options, retrying
/// throttled calls and turning a non-zero exit into an [`AwsFailure`].
pub struct Runner {
    transport: Transport,
    options: AwsOptions,
    observer: Box<dyn CallObserver>,
    /// The first retry's delay; each further retry doubles it.
    retry_delay: Duration,
    max_retries: u32,
    calls_made: usize,
    /// When the runner was made; recorded calls note their end relative to it.
    started: Instant,
    /// The recorded time of the last replayed call, shared with the virtual
    /// clock of a replay so that timeouts fall at the same poll as live.
    replay_time: Rc<Cell<Duration>>,
}

impl Runner {
    pub fn new(transport: Transport, options: AwsOptions, observer: Box<dyn CallObserver>) -> Self {
        // A replay responds at once, so waiting between its retries only slows tests down.
        let retry_delay = match transport {
            Transport::Replay { .. } => Duration::ZERO,
            _ => Duration::from_secs(1),
        };
        Self {
            transport,
            options,
            observer,
            retry_delay,
            max_retries: 4,
            calls_made: 0,
            started: Instant::now(),
            replay_time: Rc::default(),
        }
    }

    /// Returns the number of calls made so far, retries included.
    pub fn calls_made(&self) -> usize {
        self.calls_made
    }

    /// Returns the time of the replayed calls, for a virtual clock to follow.
    pub fn replay_time(&self) -> Rc<Cell<Duration>> {
        Rc::clone(&self.replay_time)
    }

    /// Fails when a replay ended before using every recorded call: the run
    /// then did less than the recorded one, which a replay must not hide.
    pub fn check_replay_finished(&self) -> Result<(), CallError> {
        let Transport::Replay { recording, next } = &self.transport else {
            return Ok(());
        };
        match recording.calls.get(*next) {
            None => Ok(()),
            Some(unused) => Err(CallError::Replay(format!(
                "the run made {next} calls, but the recording has {}; the first one not made is `aws {}`",
                recording.calls.len(),
                unused
                    .args
                    .iter()
                    .take(2)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(" ")
            ))),
        }
    }

    /// Tells whether calls go to AWS rather than to a recording.
    pub fn is_live(&self) -> bool {
        !matches!(self.transport, Transport::Replay { .. })
    }

    /// Runs `call` and returns its stdout.
    ///
    /// Fails with the call's purpose and AWS's message when it exits non-zero
    /// (after up to four retries when throttled), or when a replay does not match.
    pub fn run(&mut self, call: &AwsCall) -> Result<String, CallError> {
        let mut delay = self.retry_delay;
        let mut retries = 0;
        loop {
            let outcome = self.execute(call)?;
            if outcome.exit_code == 0 {
                return Ok(outcome.stdout);
            }

            let failure = AwsFailure::from_stderr(
                &call.purpose,
                &call.command_line(&self.options.global_args()),
                Some(outcome.exit_code),
                &outcome.stderr,
            );
            if failure.kind != FailureKind::Throttling || retries == self.max_retries {
                return Err(failure.into());
            }

            self.observer.retrying(&failure, delay);
            std::thread::sleep(delay);
            delay *= 2;
            retries += 1;
        }
    }

    fn execute(&mut self, call: &AwsCall) -> Result<Outcome, CallError> {
        let mut args = call.args.clone();
        args.extend(self.options.global_args());
        self.observer
            .calling(&call.command_line(&self.options.global_args()));
        self.calls_made += 1;

        match &mut self.transport {
            Transport::Live { program } => run_process(program, &args, call),
            Transport::Record {
                program,
                recording,
                path,
            } => {
                let outcome = run_process(program, &args, call)?;
                let record = RecordedCall::new(args, &outcome, &call.redaction);
                append_and_save(recording, path, record, self.started)?;
                Ok(outcome)
            }
            Transport::Replay { recording, next } => {
                replay_next(recording, next, &args, &self.replay_time)
            }
        }
    }
}

/// Adds a call, stamped with its end time, to the recording and rewrites the file.
fn append_and_save(
    recording: &mut Recording,
    path: &Path,
    mut record: RecordedCall,
    started: Instant,
) -> Result<(), CallError> {
    record.at_ms = Some(elapsed_millis(started));
    recording.calls.push(record);
    recording.save(path).map_err(|reason| CallError::Recording {
        path: path.display().to_string(),
        reason,
    })
}

/// Returns the recorded outcome of the next call, and moves the replay's time
/// to when that call ended.
fn replay_next(
    recording: &Recording,
    next: &mut usize,
    args: &[String],
    time: &Cell<Duration>,
) -> Result<Outcome, CallError> {
    let outcome = recording.answer(*next, args)?;
    follow_recorded_time(time, recording.calls[*next].at_ms);
    *next += 1;
    Ok(outcome)
}

fn elapsed_millis(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// Moves the replay's time forward to a call's recorded end, never back.
fn follow_recorded_time(time: &Cell<Duration>, at_ms: Option<u64>) {
    if let Some(at_ms) = at_ms {
        time.set(time.get().max(Duration::from_millis(at_ms)));
    }
}

/// The response to an HTTP GET, or the reason there was none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpAnswer {
    /// The status code, or `None` when no response came (refused, timed out).
    pub status: Option<u16>,
    /// The first 64 KiB of the body, as text.
    pub body: String,
    /// The reason no response came.
    pub error: Option<String>,
}

/// The largest health response read, because health endpoints return a few lines.
const MAX_HTTP_BODY: u64 = 64 * 1024;

impl Runner {
    /// Sends an HTTP GET (a health check) live, or answers it from the
    /// recording, so that a replay reaches no network at all.
    pub fn http_get(&mut self, url: &str, timeout: Duration) -> Result<HttpAnswer, CallError> {
        let args = vec!["(http)".to_string(), "GET".to_string(), url.to_string()];
        self.observer.calling(&format!("GET {url}"));

        match &mut self.transport {
            Transport::Live { .. } => Ok(http_get_live(url, timeout)),
            Transport::Record {
                recording, path, ..
            } => {
                let answer = http_get_live(url, timeout);
                let outcome = Outcome {
                    exit_code: answer.status.map_or(0, i32::from),
                    stdout: answer.body.clone(),
                    stderr: answer.error.clone().unwrap_or_default(),
                };
                let record = RecordedCall::new(args, &outcome, &Redaction::None);
                append_and_save(recording, path, record, self.started)?;
                Ok(answer)
            }
            Transport::Replay { recording, next } => {
                let outcome = replay_next(recording, next, &args, &self.replay_time)?;
                Ok(HttpAnswer {
                    status: u16::try_from(outcome.exit_code)
                        .ok()
                        .filter(|status| *status != 0),
                    body: outcome.stdout,
                    error: Some(outcome.stderr).filter(|error| !error.is_empty()),
                })
            }
        }
    }
}

fn http_get_live(url: &str, timeout: Duration) -> HttpAnswer {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .build()
        .into();

    match agent.get(url).call() {
        Ok(mut response) => {
            let status = response.status().as_u16();
            let body = response
                .body_mut()
                .with_config()
                .limit(MAX_HTTP_BODY)
                .read_to_string()
                .unwrap_or_else(|err| format!("(unreadable body: {err})"));
            HttpAnswer {
                status: Some(status),
                body,
                error: None,
            }
        }
        Err(err) => HttpAnswer {
            status: None,
            body: String::new(),
            error: Some(err.to_string()),
        },
    }
}

/// Runs the `aws` process with the user's environment, minus the pager.
fn run_process(program: &str, args: &[String], call: &AwsCall) -> Result<Outcome, CallError> {
    let output = duct::cmd(program, args)
        // The pager would wait for a key press on a terminal.
        .env("AWS_PAGER", "")
        .stdin_null()
        .stdout_capture()
        .stderr_capture()
        .unchecked()
        .run()
        .map_err(|err| {
            CallError::Failed(AwsFailure {
                purpose: call.purpose.clone(),
                command: call.command_line(&[]),
                exit_code: None,
                message: format!(
                    "cannot run `{}`: {err}; install the aws CLI or put it on PATH",
                    program
                ),
                kind: FailureKind::Other,
            })
        })?;

    Ok(Outcome {
        // A process killed by a signal has no code; 128 + signal is what shells report.
        exit_code: output.status.code().unwrap_or(128),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    })
}
