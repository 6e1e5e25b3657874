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
    // ASCII lower-casing keeps byte offsets, so positions found in the
    // lower-case copy are valid in the line itself.
    let lower_line = line.to_ascii_lowercase();
    let lower_name = name.to_ascii_lowercase();
    let mut out = String::with_capacity(line.len());
    let mut position = 0;

    while let Some(found) = lower_line[position..].find(&lower_name) {
        let name_end = position + found + name.len();
        out.push_str(&line[position..name_end]);
        let after = &line[name_end..];

        // Separators between a name and its value: quotes, `=`, `:` and blanks.
        let separator_len = after
            .find(|c: char| !matches!(c, '"' | '\'' | '=' | ':' | ' ' | '\t'))
            .unwrap_or(after.len());
        let separator = &after[..separator_len];
        out.push_str(separator);
        position = name_end + separator_len;
        if !separator.contains(['=', ':']) {
            continue;
        }

        // A quoted value runs to its closing quote; a bare one to a blank or
        // a JSON or list delimiter.
        let value = &line[position..];
        let value_len = match separator.chars().last() {
            Some(quote @ ('"' | '\'')) => value.find(quote).unwrap_or(value.len()),
            _ => value
                .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ',' | '}' | ';'))
                .unwrap_or(value.len()),
        };
        if value_len > 0 {
            out.push_str(MASK);
        }
        position += value_len;
    }
    out.push_str(&line[position..]);
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
    fn quoted_value_is_masked_to_its_closing_quote() {
        assert_eq!(
            mask_secret_values(r#"MFA_TEMP_TOKEN_SECRET="two words" done"#, &names()),
            r#"MFA_TEMP_TOKEN_SECRET="****" done"#
        );
    }

    #[test]
    fn name_in_other_case_is_masked() {
        assert_eq!(
            mask_secret_values("webauthn_rp_id=canary next", &names()),
            "webauthn_rp_id=**** next"
        );
    }

    #[test]
    fn url_value_with_ampersand_is_masked_whole() {
        assert_eq!(
            mask_secret_values("WEBAUTHN_RP_ID=https://a?x=1&b=2 end", &names()),
            "WEBAUTHN_RP_ID=**** end"
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
