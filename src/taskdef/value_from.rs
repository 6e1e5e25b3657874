//! The forms a secret reference (`valueFrom`, `credentialsParameter`) may take,
//! and the checks ECS does only when a task starts, done here before register.
//!
//! Secrets Manager: `arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:NAME-XXXXXX`,
//! optionally followed by `:JSON-KEY:VERSION-STAGE:VERSION-ID`. SSM Parameter
//! Store: `arn:PARTITION:ssm:REGION:ACCOUNT:parameter/PATH`, or a parameter
//! name in the task's own region.

/// A well-formed secret reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretReference<'a> {
    SecretsManager {
        /// The whole-secret ARN, up to and including the 6-character suffix.
        secret_arn: &'a str,
        /// The JSON key, when the reference has the long form (it may be empty).
        json_key: Option<&'a str>,
        /// The version the reference names by stage or id, when it names one.
        version: Option<SecretVersion<'a>>,
    },
    SsmParameter(&'a str),
}

/// A secret version named in a reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretVersion<'a> {
    Stage(&'a str),
    Id(&'a str),
}

/// Parses a `valueFrom` (or `secretOptions[].valueFrom`) value.
///
/// Fails with a sentence naming what is wrong and what the right form is.
pub fn parse_value_from(value: &str) -> Result<SecretReference<'_>, String> {
    if value.is_empty() {
        return Err(
            "is empty; give a Secrets Manager secret ARN or an SSM parameter ARN or name".into(),
        );
    }
    if !value.starts_with("arn:") {
        check_parameter_name(value)?;
        return Ok(SecretReference::SsmParameter(value));
    }

    let service = value.split(':').nth(2).unwrap_or_default();
    if service != "secretsmanager" && service != "ssm" {
        return Err(format!(
            "is a {service:?} ARN; valueFrom takes a Secrets Manager secret or an SSM parameter"
        ));
    }

    let arn = Arn::parse(value)?;
    match arn.service {
        "secretsmanager" => parse_secrets_manager(value, &arn),
        "ssm" => {
            let path = arn.resource.strip_prefix("parameter/").ok_or_else(|| {
                format!(
                    "SSM ARN resource {:?} must start with \"parameter/\"",
                    arn.resource
                )
            })?;
            check_parameter_path(path)?;
            Ok(SecretReference::SsmParameter(value))
        }
        other => Err(format!(
            "is a {other:?} ARN; valueFrom takes a Secrets Manager secret or an SSM parameter"
        )),
    }
}

/// Parses a reference that must name a whole Secrets Manager secret, such as
/// `--secret-arn` or `repositoryCredentials.credentialsParameter`.
///
/// `allow_name` accepts a bare secret name as well, which ECS resolves in the
/// task's region for `credentialsParameter` only.
pub fn parse_whole_secret(value: &str, allow_name: bool) -> Result<&str, String> {
    if value.is_empty() {
        return Err("is empty; give the ARN of a Secrets Manager secret".into());
    }
    if allow_name && !value.starts_with("arn:") {
        check_secret_name(value)?;
        return Ok(value);
    }

    let arn = Arn::parse(value)?;
    if arn.service != "secretsmanager" {
        return Err(format!(
            "is a {:?} ARN; expected a Secrets Manager secret ARN",
            arn.service
        ));
    }
    match parse_secrets_manager(value, &arn)? {
        SecretReference::SecretsManager { json_key: None, secret_arn, .. } => Ok(secret_arn),
        _ => Err(
            "names a JSON key or version; give the whole secret's ARN, ending in its 6-character suffix"
                .into(),
        ),
    }
}

struct Arn<'a> {
    service: &'a str,
    resource: &'a str,
}

impl<'a> Arn<'a> {
    fn parse(value: &'a str) -> Result<Self, String> {
        let mut parts = value.splitn(6, ':');
        let (_, partition, service, region, account, resource) = (
            parts.next(),
            parts.next().unwrap_or(""),
            parts.next().unwrap_or(""),
            parts.next().unwrap_or(""),
            parts.next().unwrap_or(""),
            parts.next(),
        );
        let resource = resource.ok_or_else(|| {
            "is not a complete ARN; expected arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE"
                .to_string()
        })?;

        if partition != "aws" && !partition.starts_with("aws-") {
            return Err(placeholder_hint(
                partition,
                format!("has partition {partition:?}; expected aws, aws-cn or aws-us-gov"),
            ));
        }
        if !is_region(region) {
            return Err(placeholder_hint(
                region,
                format!("has region {region:?}; expected a region such as us-east-1"),
            ));
        }
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return Err(placeholder_hint(
                account,
                format!("has account {account:?}; expected a 12-digit account ID"),
            ));
        }

        Ok(Arn { service, resource })
    }
}

fn parse_secrets_manager<'a>(value: &'a str, arn: &Arn<'a>) -> Result<SecretReference<'a>, String> {
    let Some(tail) = arn.resource.strip_prefix("secret:") else {
        return Err(format!(
            "Secrets Manager ARN resource {:?} must start with \"secret:\"",
            arn.resource
        ));
    };

    let fields: Vec<&str> = tail.split(':').collect();
    if fields.len() != 1 && fields.len() != 4 {
        return Err(format!(
            "has {} fields after \"secret:\"; expected NAME-XXXXXX alone or NAME-XXXXXX:JSON-KEY:VERSION-STAGE:VERSION-ID (empty fields allowed, as in NAME-XXXXXX:password::)",
            fields.len()
        ));
    }

    let name = fields[0];
    check_secret_name(name)?;
    if !has_random_suffix(name) {
        return Err(format!(
            "is a partial ARN: secret name {name:?} lacks the 6-character suffix Secrets Manager adds (NAME-AbCdEf); copy the full ARN from `aws secretsmanager describe-secret`"
        ));
    }
    if fields.len() == 4 && !fields[2].is_empty() && !fields[3].is_empty() {
        return Err("sets both a version stage and a version id; give at most one".into());
    }

    let secret_arn_len = value.len() - tail.len() + name.len();
    Ok(SecretReference::SecretsManager {
        secret_arn: &value[..secret_arn_len],
        json_key: (fields.len() == 4).then(|| fields[1]),
        version: match fields.as_slice() {
            [_, _, stage, _] if !stage.is_empty() => Some(SecretVersion::Stage(stage)),
            [_, _, _, id] if !id.is_empty() => Some(SecretVersion::Id(id)),
            _ => None,
        },
    })
}

fn check_secret_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("has an empty secret name".into());
    }
    match name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "/_+=.@!-".contains(*c)))
    {
        Some(c) => Err(placeholder_hint(
            name,
            format!(
                "has character {c:?} in secret name {name:?}; Secrets Manager names use letters, digits and /_+=.@!-"
            ),
        )),
        None => Ok(()),
    }
}

/// Tells whether a secret name ends in the suffix Secrets Manager appends in
/// its ARN: a hyphen and six letters or digits.
fn has_random_suffix(name: &str) -> bool {
    let bytes = name.as_bytes();
    bytes.len() > 7
        && bytes[bytes.len() - 7] == b'-'
        && bytes[bytes.len() - 6..]
            .iter()
            .all(u8::is_ascii_alphanumeric)
}

fn check_parameter_name(name: &str) -> Result<(), String> {
    if name.contains(':') {
        return Err(placeholder_hint(
            name,
            "is neither an ARN (it does not start with \"arn:\") nor an SSM parameter name (which cannot contain ':')".into(),
        ));
    }
    if name.contains('/') && !name.starts_with('/') {
        return Err(format!(
            "SSM parameter name {name:?} has a path but no leading \"/\"; write /{name} or use the parameter's ARN"
        ));
    }
    check_parameter_path(name.strip_prefix('/').unwrap_or(name))
}

fn check_parameter_path(path: &str) -> Result<(), String> {
    if let Some(c) = path
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "_.-/".contains(*c)))
    {
        return Err(placeholder_hint(
            path,
            format!(
                "has character {c:?} in SSM parameter {path:?}; parameter names use letters, digits and _.-/"
            ),
        ));
    }
    if path.split('/').any(str::is_empty) {
        return Err(format!(
            "SSM parameter {path:?} has an empty path segment or a trailing \"/\""
        ));
    }
    Ok(())
}

fn is_region(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[..parts.len() - 1]
            .iter()
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1].bytes().all(|b| b.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty()
}

/// Adds a hint when a value looks like a template placeholder that was never
/// filled in (`${ACCOUNT}`, `{{REGION}}`, `<ACCOUNT_ID>`), a frequent cause.
fn placeholder_hint(part: &str, reason: String) -> String {
    if part.contains(['$', '{', '<']) {
        format!("{reason} (a template placeholder that was never filled in?)")
    } else {
        reason
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:web-app/db-AbCdEf";

    #[test]
    fn whole_secret_arn_is_accepted() {
        assert_eq!(
            parse_value_from(SECRET),
            Ok(SecretReference::SecretsManager {
                secret_arn: SECRET,
                json_key: None,
                version: None
            })
        );
    }

    #[test]
    fn json_key_reference_names_its_secret_and_key() {
        let value = format!("{SECRET}:password::");

        assert_eq!(
            parse_value_from(&value),
            Ok(SecretReference::SecretsManager {
                secret_arn: SECRET,
                json_key: Some("password"),
                version: None
            })
        );
    }

    #[test]
    fn version_stage_or_id_alone_is_accepted() {
        assert!(parse_value_from(&format!("{SECRET}:password:AWSCURRENT:")).is_ok());
        assert!(parse_value_from(&format!("{SECRET}::AWSPREVIOUS:")).is_ok());
        assert!(parse_value_from(&format!("{SECRET}:::0123-4567")).is_ok());
    }

    #[test]
    fn version_stage_or_id_is_named() {
        let (stage_text, id_text) = (
            format!("{SECRET}:k:AWSPREVIOUS:"),
            format!("{SECRET}:k::0123"),
        );
        let by_stage = parse_value_from(&stage_text).unwrap();
        let by_id = parse_value_from(&id_text).unwrap();

        assert!(matches!(
            by_stage,
            SecretReference::SecretsManager {
                version: Some(SecretVersion::Stage("AWSPREVIOUS")),
                ..
            }
        ));
        assert!(matches!(
            by_id,
            SecretReference::SecretsManager {
                version: Some(SecretVersion::Id("0123")),
                ..
            }
        ));
    }

    #[test]
    fn version_stage_and_id_together_are_rejected() {
        let err = parse_value_from(&format!("{SECRET}:k:AWSCURRENT:0123")).unwrap_err();

        assert!(
            err.contains("both a version stage and a version id"),
            "{err}"
        );
    }

    #[test]
    fn wrong_colon_count_is_rejected() {
        for tail in [":password", ":password:", ":a:b:c:d"] {
            let err = parse_value_from(&format!("{SECRET}{tail}")).unwrap_err();
            assert!(err.contains("fields after \"secret:\""), "{tail}: {err}");
        }
    }

    #[test]
    fn partial_secrets_manager_arn_is_rejected() {
        let err =
            parse_value_from("arn:aws:secretsmanager:us-east-1:123456789012:secret:web-app/db")
                .unwrap_err();

        assert!(err.contains("partial ARN"), "{err}");
    }

    #[test]
    fn rds_managed_secret_name_with_bang_is_accepted() {
        let value = "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:rds!db-0a1b2c3d-AbCdEf:password::";

        assert!(parse_value_from(value).is_ok());
    }

    #[test]
    fn ssm_parameter_arn_and_names_are_accepted() {
        for value in [
            "arn:aws:ssm:us-east-1:123456789012:parameter/web-app/api-token",
            "arn:aws-us-gov:ssm:us-gov-west-1:123456789012:parameter/token",
            "/app/prod/db/host",
            "plain-name",
        ] {
            assert_eq!(
                parse_value_from(value),
                Ok(SecretReference::SsmParameter(value)),
                "{value}"
            );
        }
    }

    #[test]
    fn ssm_paths_with_empty_segments_are_rejected() {
        for value in [
            "arn:aws:ssm:us-east-1:123456789012:parameter//a",
            "arn:aws:ssm:us-east-1:123456789012:parameter/a/",
            "/a//b",
            "/a/",
        ] {
            let err = parse_value_from(value).unwrap_err();
            assert!(err.contains("empty path segment"), "{value}: {err}");
        }
    }

    #[test]
    fn relative_ssm_path_is_rejected() {
        let err = parse_value_from("app/prod/key").unwrap_err();

        assert!(err.contains("no leading \"/\""), "{err}");
    }

    #[test]
    fn template_placeholders_get_a_hint() {
        let err =
            parse_value_from("arn:aws:ssm:us-east-1:${AWS_ACCOUNT_ID}:parameter/a").unwrap_err();
        assert!(err.contains("template placeholder"), "{err}");

        let err = parse_value_from("{{SECRETS_ARN}}:KEY::").unwrap_err();
        assert!(err.contains("template placeholder"), "{err}");
    }

    #[test]
    fn other_services_and_malformed_arns_are_rejected() {
        assert!(parse_value_from("arn:aws:s3:::bucket/key").is_err());
        assert!(
            parse_value_from("arn:aws:kms:us-east-1:123456789012:key/k")
                .unwrap_err()
                .contains("\"kms\"")
        );
        assert!(parse_value_from("arn:aws:secretsmanager:us-east-1").is_err());
        assert!(parse_value_from("").unwrap_err().contains("is empty"));
    }

    #[test]
    fn whole_secret_rejects_json_key_tail() {
        assert_eq!(parse_whole_secret(SECRET, false), Ok(SECRET));

        let err = parse_whole_secret(&format!("{SECRET}:password::"), false).unwrap_err();
        assert!(err.contains("JSON key"), "{err}");
    }

    #[test]
    fn whole_secret_accepts_a_name_only_when_allowed() {
        assert_eq!(
            parse_whole_secret("registry-creds", true),
            Ok("registry-creds")
        );
        assert!(parse_whole_secret("registry-creds", false).is_err());
    }
}
