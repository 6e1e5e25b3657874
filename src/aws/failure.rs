//! A failed `aws` call: its purpose, the error AWS returned, and a hint when
//! the cause is a known one.

use std::fmt;

/// The causes of a failed call that get their own hint or handling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    Credentials,
    NoRegion,
    AccessDenied,
    /// The installed CLI does not know an argument or a parameter.
    CliTooOld,
    /// Retried with backoff before it is reported.
    Throttling,
    NotFound,
    Other,
}

/// A call that ended with a non-zero exit code, or could not be started.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct AwsFailure {
    pub purpose: String,
    /// The command line, quoted, for the user to run by hand.
    pub command: String,
    /// The exit code, or `None` when the process could not be started.
    pub exit_code: Option<i32>,
    /// The error as AWS phrased it, on one line (`AccessDeniedException: …`).
    pub message: String,
    pub kind: FailureKind,
}

impl fmt::Display for AwsFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.purpose, self.message)
    }
}

impl AwsFailure {
    /// Builds a failure from the stderr of a call that exited with `exit_code`.
    pub fn from_stderr(purpose: &str, command: &str, exit_code: Option<i32>, stderr: &str) -> Self {
        Self {
            purpose: purpose.to_string(),
            command: command.to_string(),
            exit_code,
            message: summarise(stderr, exit_code),
            kind: classify(stderr),
        }
    }

    /// Returns a paragraph on what to do, for causes that are recognised.
    pub fn hint(&self) -> Option<String> {
        let text = match self.kind {
            FailureKind::Credentials => {
                "The aws CLI has no valid credentials. Log in as you usually do (for example `aws sso login --profile NAME`), or pass --profile; check with `aws sts get-caller-identity`."
            }
            FailureKind::NoRegion => {
                "No AWS region is set. Pass --region, or set AWS_DEFAULT_REGION (aws CLI v1 reads only that one; v2 also reads AWS_REGION) or the profile's region."
            }
            FailureKind::AccessDenied => {
                "The caller lacks a permission for this call; the message above names the action. Ask for it, or run as a role that has it."
            }
            FailureKind::CliTooOld => {
                "The installed aws CLI does not know an argument of this call. Upgrade the aws CLI (`aws --version` shows the installed one)."
            }
            FailureKind::Throttling => {
                "AWS kept throttling the call after several retries. Wait a minute and run the command again."
            }
            FailureKind::NotFound | FailureKind::Other => return None,
        };
        Some(format!("{text}\nThe failed command was: {}", self.command))
    }
}

/// Extracts the line that explains the failure. The CLI writes
/// `An error occurred (CODE) when calling the OP operation: MESSAGE`.
fn summarise(stderr: &str, exit_code: Option<i32>) -> String {
    let lines = stderr
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty());
    if let Some(line) = lines
        .clone()
        .find(|line| line.contains("An error occurred ("))
    {
        let code = line
            .split_once("An error occurred (")
            .and_then(|(_, rest)| rest.split_once(')'))
            .map(|(code, _)| code);
        let message = line.split_once(" operation").and_then(|(_, rest)| {
            // The CLI may insert "(reached max retries: 4)" before the colon.
            let rest = match rest.strip_prefix(" (") {
                Some(inner) => inner.split_once(')').map_or(rest, |(_, after)| after),
                None => rest,
            };
            rest.strip_prefix(": ")
        });
        if let (Some(code), Some(message)) = (code, message) {
            return format!("{code}: {message}");
        }
        return line.to_string();
    }

    let joined: Vec<&str> = lines.collect();
    match (joined.is_empty(), exit_code) {
        (false, _) => joined.join(" "),
        (true, Some(code)) => format!("aws exited with code {code} and printed no error"),
        (true, None) => "aws could not be started".to_string(),
    }
}

fn classify(stderr: &str) -> FailureKind {
    let has = |needle: &str| stderr.contains(needle);
    if has("Unable to locate credentials")
        || has("ExpiredToken")
        || has("InvalidClientTokenId")
        || has("UnrecognizedClientException")
        || has("security token included in the request is expired")
        || has("The SSO session associated with this profile has expired")
        || has("Error loading SSO Token")
    {
        FailureKind::Credentials
    } else if has("You must specify a region") || has("NoRegionError") {
        FailureKind::NoRegion
    } else if has("AccessDenied") || has("not authorized to perform") {
        FailureKind::AccessDenied
    } else if has("Throttling")
        || has("Rate exceeded")
        || has("TooManyRequestsException")
        || has("RequestLimitExceeded")
    {
        FailureKind::Throttling
    } else if has("Unknown options")
        || has("Unknown parameter")
        || has("Invalid choice")
        || has("argument operation: Invalid choice")
    {
        FailureKind::CliTooOld
    } else if has("ResourceNotFoundException")
        || has("ClusterNotFoundException")
        || has("ServiceNotFoundException")
        || has("does not exist")
    {
        FailureKind::NotFound
    } else {
        FailureKind::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(stderr: &str) -> AwsFailure {
        AwsFailure::from_stderr(
            "registering a new revision of `bcos-staging`",
            "aws ecs register-task-definition",
            Some(254),
            stderr,
        )
    }

    #[test]
    fn service_error_becomes_code_and_message() {
        let failure = failure(
            "\nAn error occurred (AccessDeniedException) when calling the RegisterTaskDefinition operation: User: arn:aws:iam::123456789012:user/ci is not authorized to perform: ecs:RegisterTaskDefinition\n",
        );

        assert_eq!(
            failure.to_string(),
            "registering a new revision of `bcos-staging`: AccessDeniedException: User: arn:aws:iam::123456789012:user/ci is not authorized to perform: ecs:RegisterTaskDefinition"
        );
        assert_eq!(failure.kind, FailureKind::AccessDenied);
        assert!(
            failure
                .hint()
                .unwrap()
                .contains("aws ecs register-task-definition")
        );
    }

    #[test]
    fn missing_credentials_are_recognised() {
        assert_eq!(failure("Unable to locate credentials. You can configure credentials by running \"aws configure\".").kind, FailureKind::Credentials);
        assert_eq!(
            failure("An error occurred (ExpiredTokenException) when calling the DescribeServices operation: The security token included in the request is expired").kind,
            FailureKind::Credentials
        );
    }

    #[test]
    fn missing_region_is_recognised() {
        assert_eq!(failure("You must specify a region. You can also configure your region by running \"aws configure\".").kind, FailureKind::NoRegion);
    }

    #[test]
    fn throttling_is_recognised() {
        let failure = failure(
            "An error occurred (ThrottlingException) when calling the DescribeServices operation (reached max retries: 4): Rate exceeded",
        );

        assert_eq!(failure.kind, FailureKind::Throttling);
        assert_eq!(failure.message, "ThrottlingException: Rate exceeded");
    }

    #[test]
    fn old_cli_is_recognised() {
        let stderr = "usage: aws [options] <command> <subcommand> [<subcommand> ...] [parameters]\naws: error: argument operation: Invalid choice, valid choices are:";
        assert_eq!(failure(stderr).kind, FailureKind::CliTooOld);
        assert_eq!(
            failure("Unknown options: --include, TAGS").kind,
            FailureKind::CliTooOld
        );
    }

    #[test]
    fn silent_failure_names_the_exit_code() {
        assert_eq!(
            failure("").message,
            "aws exited with code 254 and printed no error"
        );
        assert_eq!(failure("").hint(), None);
    }
}
