//! Messages on stderr, under one verbosity setting. stdout is kept for data.

use crate::taskdef::{Conversion, Transformed};

/// The amount of detail the commands write to stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verbosity {
    /// Warnings and errors only.
    Quiet,
    /// Also what was changed.
    Normal,
    /// Also what was removed as expected (read-only keys).
    Verbose,
}

/// Writes messages to stderr, each prefixed with the tool's name.
#[derive(Debug, Clone, Copy)]
pub struct Reporter {
    verbosity: Verbosity,
}

impl Reporter {
    pub fn new(verbosity: Verbosity) -> Self {
        Self { verbosity }
    }

    pub fn is_quiet(&self) -> bool {
        self.verbosity == Verbosity::Quiet
    }

    /// Reports a failure that is not an error of the tool itself, such as
    /// the problems `validate` found.
    pub fn failure(&self, message: &str) {
        eprintln!("bcos-taskdef: {message}");
    }

    pub fn warning(&self, message: &str) {
        eprintln!("bcos-taskdef: warning: {message}");
    }

    pub fn note(&self, message: &str) {
        if self.verbosity >= Verbosity::Normal {
            eprintln!("bcos-taskdef: {message}");
        }
    }

    pub fn debug(&self, message: &str) {
        if self.verbosity >= Verbosity::Verbose {
            eprintln!("bcos-taskdef: {message}");
        }
    }

    /// Reports what a transform removed, kept or changed.
    pub fn transformed(&self, family: &str, transformed: &Transformed) {
        self.conversion(&transformed.conversion);
        for changes in &transformed.secret_changes {
            self.note(&format!("{family}: {changes}"));
        }
    }

    /// Reports what the conversion to register input removed or kept.
    pub fn conversion(&self, conversion: &Conversion) {
        if !conversion.removed_read_only.is_empty() {
            self.debug(&format!(
                "removed read-only keys: {}",
                conversion.removed_read_only.join(", ")
            ));
        }
        for key in &conversion.ignored_wrapper_keys {
            self.warning(&format!(
                "ignored key {key:?} of the describe output; only taskDefinition and tags are used"
            ));
        }
        for key in &conversion.unknown_keys {
            self.warning(&format!(
                "kept key {key:?}, which is not a register-task-definition parameter this version knows; an older aws CLI may reject it"
            ));
        }
        for key in &conversion.unknown_container_keys {
            self.warning(&format!(
                "kept container key {key:?}, which is not a container definition parameter this version knows; register may reject it"
            ));
        }
        for key in &conversion.dropped_reserved_tags {
            self.note(&format!(
                "dropped tag {key:?}: AWS reserves the aws: prefix and register rejects it"
            ));
        }
    }
}
