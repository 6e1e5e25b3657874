//! Masking secret values in log lines before they are printed or recorded:
//! whatever follows a secret's name (`NAME=value`, `"NAME": "value"`) is replaced.

/// The replacement for a masked value.
pub const MASK: &str = "****";

/// Returns `line` with the value after each occurrence of each name masked.
pub fn mask_secret_values(line: &str, names: &[String]) -> String {
    let mut masked = line.to_string();
    for name in names.iter().filter(|name| !name.is_empty()) {
        masked = mask_after(&masked, name);
    }
    masked
}

fn mask_after(line: &str, name: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(position) = rest.find(name) {
        let (before, after_start) = rest.split_at(position);
        out.push_str(before);
        out.push_str(name);
        let after = &after_start[name.len()..];

        // Separators between a name and its value: quotes, `=`, `:` and blanks.
        let separator_len = after
            .find(|c: char| !matches!(c, '"' | '\'' | '=' | ':' | ' ' | '\t'))
            .unwrap_or(after.len());
        let (separator, value_and_rest) = after.split_at(separator_len);
        out.push_str(separator);
        if !separator.contains(['=', ':']) {
            rest = value_and_rest;
            continue;
        }

        let value_len = value_and_rest
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ',' | '}' | ';' | '&'))
            .unwrap_or(value_and_rest.len());
        if value_len > 0 {
            out.push_str(MASK);
        }
        rest = &value_and_rest[value_len..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Vec<String> {
        vec!["MFA_TEMP_TOKEN_SECRET".into(), "WEBAUTHN_RP_ID".into()]
    }

    #[test]
    fn assignment_value_is_masked() {
        assert_eq!(
            mask_secret_values(
                "ERROR boot MFA_TEMP_TOKEN_SECRET=canary-123 failed",
                &names()
            ),
            "ERROR boot MFA_TEMP_TOKEN_SECRET=**** failed"
        );
    }

    #[test]
    fn json_value_is_masked() {
        assert_eq!(
            mask_secret_values(
                r#"{"level":"error","WEBAUTHN_RP_ID": "canary.example", "x":1}"#,
                &names()
            ),
            r#"{"level":"error","WEBAUTHN_RP_ID": "****", "x":1}"#
        );
    }

    #[test]
    fn name_without_value_is_left_alone() {
        assert_eq!(
            mask_secret_values("ERROR WEBAUTHN_RP_ID is not set", &names()),
            "ERROR WEBAUTHN_RP_ID is not set"
        );
    }

    #[test]
    fn every_occurrence_is_masked() {
        assert_eq!(
            mask_secret_values("WEBAUTHN_RP_ID=a WEBAUTHN_RP_ID: b", &names()),
            "WEBAUTHN_RP_ID=**** WEBAUTHN_RP_ID: ****"
        );
    }
}
