//! The installed `aws` CLI's major version, read from `aws --version`.

/// The major version of the aws CLI: 1 or 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CliVersion {
    pub major: u32,
    pub minor: u32,
}

/// Parses `aws-cli/1.45.11 Python/3.11.7 …` (CLI v1 prints it on stdout, old
/// releases on stderr, so the caller passes both).
pub fn parse_cli_version(output: &str) -> Option<CliVersion> {
    let version = output
        .split_whitespace()
        .find_map(|word| word.strip_prefix("aws-cli/"))?;
    let mut parts = version.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts
        .next()
        .and_then(|minor| minor.parse().ok())
        .unwrap_or(0);
    Some(CliVersion { major, minor })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v1_and_v2_are_told_apart() {
        let v1 = parse_cli_version("aws-cli/1.45.11 Python/3.11.7 Linux/6.1 botocore/1.43.11\n")
            .unwrap();
        let v2 = parse_cli_version("aws-cli/2.22.4 Python/3.12.6 Linux/6.1 exe/x86_64.debian.12\n")
            .unwrap();

        assert_eq!((v1.major, v1.minor), (1, 45));
        assert_eq!(v2.major, 2);
    }

    #[test]
    fn other_output_is_not_a_version() {
        assert_eq!(parse_cli_version("command not found"), None);
    }
}
