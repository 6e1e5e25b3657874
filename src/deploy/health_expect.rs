//! The health check's expectation: a jq expression, run by the embedded jaq on
//! the health endpoint's JSON response, so jq need not be installed.

use jaq_core::load::{Arena, File, Loader};
use jaq_core::{Compiler, Ctx, Native, Vars, data, unwrap_valr};
use jaq_json::Val;

/// The expectation used when the config gives none.
pub const DEFAULT_HEALTH_EXPECT: &str = r#".status == "healthy""#;

type Data = data::JustLut<Val>;

/// A compiled jq expression whose first output decides whether a response is healthy.
pub struct HealthExpectation {
    code: String,
    filter: jaq_core::compile::Filter<Native<Data>>,
}

impl std::fmt::Debug for HealthExpectation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("HealthExpectation")
            .field(&self.code)
            .finish()
    }
}

impl HealthExpectation {
    /// Compiles a jq expression.
    ///
    /// Fails with a message naming the expression when it does not parse or
    /// uses an undefined filter.
    pub fn compile(code: &str) -> Result<Self, String> {
        let defs = jaq_core::defs()
            .chain(jaq_std::defs())
            .chain(jaq_json::defs());
        let funs = jaq_core::funs()
            .chain(jaq_std::funs())
            .chain(jaq_json::funs());
        let loader = Loader::new(defs);
        let arena = Arena::default();

        let modules = loader
            .load(&arena, File { code, path: () })
            .map_err(|errors| {
                format!(
                    "invalid jq expression {code:?}: {} parse error(s)",
                    errors.len()
                )
            })?;
        let filter = Compiler::default()
            .with_funs(funs)
            .compile(modules)
            .map_err(|errors| {
                format!(
                    "invalid jq expression {code:?}: {} undefined name(s)",
                    errors.len()
                )
            })?;

        Ok(Self {
            code: code.to_string(),
            filter,
        })
    }

    /// Returns the expression as written.
    pub fn code(&self) -> &str {
        &self.code
    }

    /// Tells whether `body` is JSON whose first result under the expression is
    /// neither `false` nor `null`.
    ///
    /// Fails when the body is not JSON or the expression raises an error.
    pub fn is_met(&self, body: &[u8]) -> Result<bool, String> {
        let input = jaq_json::read::parse_single(body)
            .map_err(|err| format!("the response is not JSON ({err})"))?;
        let ctx = Ctx::<Data>::new(&self.filter.lut, Vars::new([]));
        let mut outputs = self.filter.id.run((ctx, input)).map(unwrap_valr);

        match outputs.next() {
            Some(Ok(value)) => Ok(jaq_core::ValT::as_bool(&value)),
            Some(Err(err)) => Err(format!("{} failed on the answer: {err}", self.code)),
            None => Ok(false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_expectation_checks_status() {
        let expectation = HealthExpectation::compile(DEFAULT_HEALTH_EXPECT).unwrap();

        assert_eq!(expectation.is_met(br#"{"status":"healthy"}"#), Ok(true));
        assert_eq!(expectation.is_met(br#"{"status":"degraded"}"#), Ok(false));
        assert_eq!(expectation.is_met(br#"{}"#), Ok(false));
    }

    #[test]
    fn std_filters_are_available() {
        let expectation = HealthExpectation::compile(r#".checks | map(.ok) | all"#).unwrap();

        assert_eq!(
            expectation.is_met(br#"{"checks":[{"ok":true},{"ok":true}]}"#),
            Ok(true)
        );
        assert_eq!(
            expectation.is_met(br#"{"checks":[{"ok":true},{"ok":false}]}"#),
            Ok(false)
        );
    }

    #[test]
    fn non_json_answer_is_an_error() {
        let expectation = HealthExpectation::compile(DEFAULT_HEALTH_EXPECT).unwrap();

        assert!(
            expectation
                .is_met(b"<html>")
                .unwrap_err()
                .contains("not JSON")
        );
    }

    #[test]
    fn invalid_expression_is_rejected() {
        assert!(
            HealthExpectation::compile(".status ==")
                .unwrap_err()
                .contains("invalid jq expression")
        );
        assert!(
            HealthExpectation::compile("no_such_filter")
                .unwrap_err()
                .contains("undefined")
        );
    }
}
