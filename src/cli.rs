//! The command line as typed: clap definitions only. Turning these values into
//! validated requests happens in the command modules.

use std::path::PathBuf;

use clap::{ArgGroup, Args, Parser, Subcommand};

/// Change an Amazon ECS task definition safely.
///
/// The pipe commands read the output of `aws ecs describe-task-definition
/// --include TAGS` (or a bare task definition) and write JSON that
/// `aws ecs register-task-definition --cli-input-json` accepts.
#[derive(Debug, Parser)]
#[command(name = "bcos-taskdef", version, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// Show more detail on stderr (removed read-only keys)
    #[arg(short, long, global = true, conflicts_with = "quiet")]
    pub verbose: bool,

    /// Show only warnings and errors on stderr
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Convert describe output into register input, without other changes
    Strip(StripArgs),

    /// Add secrets to a container (an upsert: a re-run changes nothing)
    AddSecrets(AddSecretsArgs),

    /// Remove secrets from a container
    RemoveSecrets(RemoveSecretsArgs),

    /// Report every problem ECS would reject or fail on; exit 2 if there is any
    Validate(ValidateArgs),

    /// Print the rollout as a bash script of the exact aws commands
    Plan(PlanArgs),

    /// Roll the change out: register, update, wait, verify; roll back on failure
    Run(RunArgs),

    /// Roll an environment back to the revision it ran before the last run
    Rollback(RollbackArgs),
}

#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Write the result to FILE (atomically) instead of stdout
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Write the JSON on one line instead of pretty-printed
    #[arg(long)]
    pub compact: bool,
}

#[derive(Debug, Args)]
pub struct StripArgs {
    /// Describe output or task definition to read; `-` or absent reads stdin
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("additions").required(true).multiple(true).args(["secrets", "secret_keys"])))]
pub struct AddSecretsArgs {
    /// Describe output or task definition to read; `-` or absent reads stdin
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,

    /// Container to change [default: `bcos`, else the only container]
    #[arg(short, long, value_name = "NAME")]
    pub container: Option<String>,

    /// Secret to add, with a complete valueFrom (Secrets Manager ARN, SSM
    /// parameter ARN or name)
    #[arg(long = "secret", value_name = "NAME=VALUEFROM")]
    pub secrets: Vec<String>,

    /// JSON key of the --secret-arn secret to add as `ARN:KEY::`, named KEY or NAME
    #[arg(long = "secret-key", value_name = "KEY|NAME=KEY")]
    pub secret_keys: Vec<String>,

    /// Secrets Manager secret for --secret-key [default: the one secret the
    /// container's existing secrets reference]
    #[arg(long, value_name = "ARN", requires = "secret_keys")]
    pub secret_arn: Option<String>,

    /// Change a secret that exists with another valueFrom instead of failing
    #[arg(long)]
    pub replace: bool,

    /// Remove an environment variable of the same name instead of failing
    #[arg(long)]
    pub move_from_environment: bool,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct RemoveSecretsArgs {
    /// An optional FILE, then the names of the secrets to remove. The first
    /// argument is the FILE when it is `-` or an existing file; otherwise every
    /// argument is a name and the input is read from stdin.
    #[arg(value_name = "[FILE] NAME", required = true, num_args = 1..)]
    pub arguments: Vec<String>,

    /// Container to change [default: `bcos`, else the only container]
    #[arg(short, long, value_name = "NAME")]
    pub container: Option<String>,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Describe output or task definition to read; `-` or absent reads stdin
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,

    /// Print the findings as a JSON array instead of one line each
    #[arg(long)]
    pub json: bool,
}

/// The change a rollout makes and its environments; shared by `plan` and `run`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("changes").required(true).multiple(true).args(["secrets", "secret_keys", "remove_secrets"])))]
pub struct RolloutArgs {
    /// Environment to roll out to, in order; repeat for several
    #[arg(long = "env", value_name = "NAME", required = true)]
    pub environments: Vec<String>,

    /// TOML file of environments, replacing the built-in BCOS ones
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Container to change [default: the environment's `container`, else `bcos`,
    /// else the only container]
    #[arg(short, long, value_name = "NAME")]
    pub container: Option<String>,

    /// Secret to add, with a complete valueFrom
    #[arg(long = "secret", value_name = "NAME=VALUEFROM")]
    pub secrets: Vec<String>,

    /// JSON key of the environment's secret to add as `ARN:KEY::`
    #[arg(long = "secret-key", value_name = "KEY|NAME=KEY")]
    pub secret_keys: Vec<String>,

    /// Secrets Manager secret for --secret-key in every environment
    /// [default: the environment's secret_arn or stack output]
    #[arg(long, value_name = "ARN", requires = "secret_keys")]
    pub secret_arn: Option<String>,

    /// Secret to remove; repeat for several
    #[arg(long = "remove-secret", value_name = "NAME")]
    pub remove_secrets: Vec<String>,

    /// Change a secret that exists with another valueFrom instead of failing
    #[arg(long)]
    pub replace: bool,

    /// Remove an environment variable of the same name instead of failing
    #[arg(long)]
    pub move_from_environment: bool,

    /// Also read each secret's value to check that the JSON keys used exist
    /// (only key names are ever shown)
    #[arg(long)]
    pub check_secret_keys: bool,

    /// Leave out a task definition key that the installed aws CLI does not accept
    #[arg(long = "drop-key", value_name = "KEY")]
    pub drop_keys: Vec<String>,

    /// Confirm every environment in advance (for CI)
    #[arg(short, long)]
    pub yes: bool,

    /// aws CLI profile for every call
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,

    /// AWS region for every call
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub rollout: RolloutArgs,

    /// Read the current state with read-only calls and comment on the real change
    #[arg(long)]
    pub live: bool,

    /// Write the script to FILE (atomically) instead of stdout
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub rollout: RolloutArgs,

    #[command(flatten)]
    pub wait: WaitArgs,

    /// How long the health URL may take to pass, e.g. 90s or 2m
    #[arg(long, value_name = "DURATION", default_value = "2m")]
    pub health_timeout: String,

    /// Leave a failed deployment in place instead of rolling back
    #[arg(long)]
    pub no_rollback: bool,
}

/// Polling, the journal, and recording; shared by `run` and `rollback`.
#[derive(Debug, Args)]
pub struct WaitArgs {
    /// Time between two describe-services polls, e.g. 5s
    #[arg(long, value_name = "DURATION", default_value = "5s")]
    pub poll_interval: String,

    /// How long a deployment may take, e.g. 15m
    #[arg(long, value_name = "DURATION", default_value = "15m")]
    pub timeout: String,

    /// Fail a deployment after this many stopped tasks (0: wait for ECS)
    #[arg(long, value_name = "COUNT", default_value_t = 3)]
    pub max_failed_tasks: u64,

    /// Directory of the run journal [default: $XDG_STATE_HOME/bcos-taskdef,
    /// else ~/.local/state/bcos-taskdef]
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,

    /// Record every call and its response to FILE (secret values redacted)
    #[arg(long, value_name = "FILE", conflicts_with = "replay")]
    pub record: Option<PathBuf>,

    /// Respond to every call from a recording instead of running aws
    #[arg(long, value_name = "FILE")]
    pub replay: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// Environment to roll back
    #[arg(long = "env", value_name = "NAME")]
    pub environment: String,

    /// TOML file of environments, replacing the built-in BCOS ones
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    #[command(flatten)]
    pub wait: WaitArgs,

    /// aws CLI profile for every call
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,

    /// AWS region for every call
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
}
