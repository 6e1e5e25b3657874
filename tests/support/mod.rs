//! Harness for the end-to-end tests: a moto server on 127.0.0.1, the real
//! `aws` CLI v1 pointed at it with a hermetic environment, and the built
//! `bcos-taskdef` binary. `scripts/install-test-tools` provides moto and the CLI.
//! `moto_ecs.py` beside this file runs moto with ECS deployments modelled, and
//! `health` serves the HTTP health checks a rollout is verified with.

// Each integration test file compiles this module on its own and uses only
// part of it, so the rest would be reported as dead code in that file.
#![allow(dead_code)]

pub mod health;
pub mod world;

use std::ffi::OsStr;
use std::fs;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

/// Upper bound on the wait for moto to respond to HTTP after it was spawned.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);
const POLL_INTERVAL: Duration = Duration::from_millis(100);
/// Tries with a new port when moto exits at start, as it does when another
/// process took the port between our probe and its bind.
const START_ATTEMPTS: usize = 3;

/// The moto launcher that models ECS deployments, relative to the crate root.
const LAUNCHER: &str = "tests/support/moto_ecs.py";
/// Environment variable that sets how many ticks a healthy rollout takes.
const TICKS_VARIABLE: &str = "BCOS_MOTO_TICKS_TO_COMPLETE";

/// Environment variables that would point the CLI at real credentials, another
/// endpoint or a proxy. Every `AWS_*` and `BOTO*` variable goes as well.
const INHERITED_VARIABLES_TO_REMOVE: [&str; 8] = [
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
];

/// A moto server on 127.0.0.1 that lives as long as this value. Dropping it
/// kills the process and removes its log and the CLI's config directory.
pub struct MotoServer {
    child: Child,
    port: u16,
    /// Directory with moto's log and the CLI's empty config, credentials and home.
    scratch: TempDir,
}

impl MotoServer {
    /// Starts `moto_server` on a free port of 127.0.0.1 and waits until it
    /// responds to HTTP. Panics when moto is not installed or does not come up.
    pub fn start() -> MotoServer {
        let program = find_tool("moto_server");
        MotoServer::start_command("moto_server", || Command::new(&program))
    }

    /// Starts moto through `tests/support/moto_ecs.py`, which models ECS
    /// deployments: update-service starts one, and each describe-services call
    /// naming the service advances it one tick. A healthy rollout completes
    /// after the launcher's default of 2 ticks.
    pub fn start_with_deployments() -> MotoServer {
        MotoServer::start_command(LAUNCHER, || deployment_launcher(None))
    }

    /// Like [`MotoServer::start_with_deployments`], with a healthy rollout
    /// completing after `ticks_to_complete` describe-services calls.
    pub fn start_with_deployment_ticks(ticks_to_complete: u32) -> MotoServer {
        MotoServer::start_command(LAUNCHER, || {
            deployment_launcher(Some(&ticks_to_complete.to_string()))
        })
    }

    /// Starts the server that `build` returns a command for, adding the host
    /// and port, with a new port for each attempt.
    fn start_command(name: &str, build: impl Fn() -> Command) -> MotoServer {
        let scratch = tempfile::tempdir().expect("create a temporary directory for moto");
        prepare_cli_files(scratch.path());

        let mut last_failure = String::new();
        for attempt in 1..=START_ATTEMPTS {
            let port = free_port();
            let log_path = scratch.path().join(format!("moto-{attempt}.log"));
            match spawn_and_wait(name, build(), port, &log_path) {
                Ok(child) => {
                    return MotoServer {
                        child,
                        port,
                        scratch,
                    };
                }
                Err(failure) => last_failure = failure,
            }
        }
        panic!("{name} did not start after {START_ATTEMPTS} attempts: {last_failure}");
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Builds an `aws` command aimed at this server, with test credentials and
    /// none of the caller's AWS configuration, profiles or proxies.
    pub fn aws<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut command = Command::new(find_tool("aws"));
        command.args(args).stdin(Stdio::null());

        for (name, _) in std::env::vars_os() {
            let text = name.to_string_lossy();
            if text.starts_with("AWS_") || text.starts_with("BOTO") {
                command.env_remove(&name);
            }
        }
        for name in INHERITED_VARIABLES_TO_REMOVE {
            command.env_remove(name);
        }

        let scratch = self.scratch.path();
        command
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env("AWS_DEFAULT_OUTPUT", "json")
            .env("AWS_ENDPOINT_URL", self.endpoint())
            .env("AWS_PAGER", "")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", scratch.join("aws-config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                scratch.join("aws-credentials"),
            )
            .env("HOME", scratch.join("home"))
            // The proxy variables were removed above. This also exempts
            // loopback from a proxy that a wrapper script might set again.
            .env("NO_PROXY", "127.0.0.1,localhost");
        command
    }

    /// Runs `aws ARGS` and returns its stdout unparsed, so callers can feed
    /// the exact bytes the CLI printed to the next program.
    #[track_caller]
    pub fn aws_stdout(&self, args: &[&str]) -> Vec<u8> {
        let output = self
            .aws(args)
            .output()
            .unwrap_or_else(|error| panic!("failed to run aws {args:?}: {error}"));
        assert_success(&output, &format!("aws {}", args.join(" ")));
        output.stdout
    }

    /// Runs `aws ARGS` and parses its stdout as JSON.
    #[track_caller]
    pub fn aws_json(&self, args: &[&str]) -> Value {
        let stdout = self.aws_stdout(args);
        serde_json::from_slice(&stdout).unwrap_or_else(|error| {
            panic!(
                "aws {} printed invalid JSON ({error}):\n{}",
                args.join(" "),
                String::from_utf8_lossy(&stdout)
            )
        })
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        kill_and_reap(&mut self.child);
        if thread::panicking() {
            // The log is deleted with the scratch directory, so show the part
            // that explains a failed request while it still exists.
            for entry in fs::read_dir(self.scratch.path()).into_iter().flatten() {
                let path = entry.map(|entry| entry.path()).unwrap_or_default();
                if path.extension() == Some(OsStr::new("log")) {
                    eprintln!("--- {} (last lines) ---", path.display());
                    eprintln!("{}", tail(&read_log(&path), 40));
                }
            }
        }
    }
}

/// Spawns `command` on `port` with its output in `log_path` and waits until it
/// responds to HTTP. On failure the process is killed and reaped before returning.
fn spawn_and_wait(
    name: &str,
    mut command: Command,
    port: u16,
    log_path: &Path,
) -> Result<Child, String> {
    let log = fs::File::create(log_path).expect("create moto's log file");
    let log_for_stderr = log.try_clone().expect("duplicate moto's log handle");
    let mut child = command
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log_for_stderr)
        .spawn()
        .unwrap_or_else(|error| panic!("failed to start {name}: {error}"));

    let deadline = Instant::now() + STARTUP_TIMEOUT;
    loop {
        if let Some(status) = child.try_wait().expect("poll moto") {
            return Err(format!(
                "{name} exited with {status} before responding; log:\n{}",
                read_log(log_path)
            ));
        }
        if responds_to_http(port) {
            return Ok(child);
        }
        if Instant::now() >= deadline {
            kill_and_reap(&mut child);
            return Err(format!(
                "{name} did not respond on 127.0.0.1:{port} within {STARTUP_TIMEOUT:?}; log:\n{}",
                read_log(log_path)
            ));
        }
        thread::sleep(POLL_INTERVAL);
    }
}

/// Builds the command that runs `tests/support/moto_ecs.py` with the
/// virtualenv's python, less the host and port arguments. `ticks_to_complete`
/// is passed through unchecked, so tests can give the launcher invalid values.
/// `None` leaves the launcher's default, even when the caller's environment
/// sets the variable.
pub fn deployment_launcher(ticks_to_complete: Option<&str>) -> Command {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join(LAUNCHER);
    let mut command = Command::new(find_tool("python"));
    command.arg(script).env_remove(TICKS_VARIABLE);
    if let Some(ticks) = ticks_to_complete {
        command.env(TICKS_VARIABLE, ticks);
    }
    command
}

/// Kills the process by its id (SIGKILL) and reaps it, so neither a zombie nor
/// a listener outlives the test.
fn kill_and_reap(child: &mut Child) {
    if let Ok(None) = child.try_wait() {
        let _ = child.kill();
    }
    let _ = child.wait();
}

/// Runs the `bcos-taskdef` binary with `stdin` as its standard input.
pub fn run_tool(args: &[&str], stdin: &[u8]) -> Output {
    let program = env!("CARGO_BIN_EXE_bcos-taskdef");
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| panic!("failed to start {program}: {error}"));

    // Writing from another thread keeps a large input from deadlocking
    // against a child that fills its stdout pipe before reading all stdin.
    let mut child_stdin = child.stdin.take().expect("stdin was piped");
    let input = stdin.to_vec();
    let writer = thread::spawn(move || {
        // The tool may exit on bad arguments before reading, closing the pipe.
        let _ = child_stdin.write_all(&input);
    });
    let output = child
        .wait_with_output()
        .unwrap_or_else(|error| panic!("failed to wait for {program}: {error}"));
    writer.join().expect("stdin writer thread panicked");
    output
}

/// Runs `bcos-taskdef ARGS` and returns its stdout, panicking with the
/// arguments and stderr when it fails.
#[track_caller]
pub fn run_tool_ok(args: &[&str], stdin: &[u8]) -> Vec<u8> {
    let output = run_tool(args, stdin);
    assert_success(&output, &format!("bcos-taskdef {}", args.join(" ")));
    output.stdout
}

/// Panics with the command line, exit status and both streams when `output`
/// is not a success.
#[track_caller]
pub fn assert_success(output: &Output, command_line: &str) {
    assert!(
        output.status.success(),
        "`{command_line}` failed with {}\nstderr:\n{}\nstdout:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&output.stdout)
    );
}

/// Finds a test tool in the project's virtualenv first, then on PATH.
fn find_tool(name: &str) -> PathBuf {
    let venv_bin = Path::new(env!("CARGO_MANIFEST_DIR")).join(".tools/venv/bin");
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::iter::once(venv_bin)
        .chain(std::env::split_paths(&path))
        .map(|directory| directory.join(name))
        .find(|candidate| is_executable(candidate))
        .unwrap_or_else(|| {
            panic!("{name} not found in .tools/venv/bin or on PATH; run scripts/install-test-tools")
        })
}

fn is_executable(path: &Path) -> bool {
    fs::metadata(path)
        .map(|metadata| metadata.is_file() && metadata.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// Writes the empty config and credentials files and the home directory that
/// keep the CLI from reading the user's own `~/.aws`.
fn prepare_cli_files(scratch: &Path) {
    fs::write(scratch.join("aws-config"), "").expect("write an empty AWS config file");
    fs::write(scratch.join("aws-credentials"), "").expect("write an empty AWS credentials file");
    fs::create_dir(scratch.join("home")).expect("create a home directory for the CLI");
}

/// Returns a port that was free on 127.0.0.1 a moment ago. Another process
/// can take it before moto binds, which `START_ATTEMPTS` allows for.
fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1:0");
    listener
        .local_addr()
        .expect("read the bound address")
        .port()
}

/// Reports whether an HTTP server responds to a GET on the port, with any status.
fn responds_to_http(port: u16) -> bool {
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let Ok(mut stream) = TcpStream::connect_timeout(&address, Duration::from_secs(1)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let request = format!("GET /moto-api/ HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut status_line = [0u8; 5];
    stream.read_exact(&mut status_line).is_ok() && &status_line == b"HTTP/"
}

fn read_log(path: &Path) -> String {
    fs::read(path)
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_else(|error| format!("(cannot read {}: {error})", path.display()))
}

fn tail(text: &str, line_count: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(line_count);
    lines[start..].join("\n")
}
