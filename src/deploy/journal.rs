//! The run journal: what each rollout did to each environment (previous ARN,
//! new ARN, deployment id, steps, outcome), rewritten atomically after every
//! step, so that after a crash or Ctrl-C both `rollback` and a re-run know
//! which revision the service runs.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::atomic_file::write_atomically;

const FORMAT: &str = "bcos-taskdef journal";
const VERSION: u32 = 1;
const FILE_NAME: &str = "journal.json";
/// Entries kept; older ones are dropped when a new one is added.
const MAX_ENTRIES: usize = 200;

/// The outcome of an environment's rollout, or the fact that it has not ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "state")]
pub enum JournalOutcome {
    InProgress,
    Unchanged,
    Succeeded,
    /// Failed, and the service is back on `previous_arn` (by this tool or by
    /// the ECS circuit breaker) or, when `rolled_back` is false, is not.
    Failed {
        reason: String,
        rolled_back: bool,
    },
    /// Stopped by Ctrl-C in the step named.
    Interrupted {
        step: String,
    },
    /// A `rollback` command that put the service back on `previous_arn`.
    RolledBack,
}

/// One environment of one run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalEntry {
    pub run_id: String,
    /// Seconds since the Unix epoch.
    pub started_at: u64,
    pub environment: String,
    pub cluster: String,
    pub service: String,
    pub family: String,
    pub previous_arn: Option<String>,
    pub new_arn: Option<String>,
    pub deployment_id: Option<String>,
    /// A fingerprint of the registered request, to spot the same content again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registered_content: Option<String>,
    pub steps: Vec<String>,
    pub outcome: JournalOutcome,
}

#[derive(Debug, Serialize, Deserialize)]
struct JournalFile {
    format: String,
    version: u32,
    entries: Vec<JournalEntry>,
}

/// The journal file in a state directory, or a journal kept in memory only.
#[derive(Debug)]
pub struct Journal {
    /// `None` for a journal that is never written, as a replay uses.
    path: Option<PathBuf>,
    entries: Vec<JournalEntry>,
}

impl Journal {
    /// Opens the journal of `state_dir`, empty when the file does not exist yet.
    ///
    /// Fails when the file exists but cannot be read or is not a journal.
    pub fn open(state_dir: &Path) -> Result<Self, String> {
        let path = state_dir.join(FILE_NAME);
        let entries = match std::fs::read_to_string(&path) {
            Ok(text) => {
                let file: JournalFile = serde_json::from_str(&text).map_err(|err| {
                    format!("{} is not a bcos-taskdef journal: {err}", path.display())
                })?;
                if file.format != FORMAT || file.version != VERSION {
                    return Err(format!(
                        "{} is a journal of another format or version",
                        path.display()
                    ));
                }
                file.entries
            }
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(err) => return Err(format!("cannot read {}: {err}", path.display())),
        };
        Ok(Self {
            path: Some(path),
            entries,
        })
    }

    /// Returns an empty journal that is never written: a replay must leave
    /// the real journal alone, which records only what happened in AWS.
    pub fn in_memory() -> Self {
        Self {
            path: None,
            entries: Vec::new(),
        }
    }

    /// Returns the file's path, or `(in memory)`.
    pub fn path(&self) -> &Path {
        self.path.as_deref().unwrap_or(Path::new("(in memory)"))
    }

    /// Returns the entries of an environment, newest first.
    pub fn entries_for<'a>(
        &'a self,
        environment: &'a str,
    ) -> impl Iterator<Item = &'a JournalEntry> + 'a {
        self.entries
            .iter()
            .rev()
            .filter(move |entry| entry.environment == environment)
    }

    /// Returns the newest entry of an environment.
    pub fn last_for(&self, environment: &str) -> Option<&JournalEntry> {
        self.entries
            .iter()
            .rev()
            .find(|entry| entry.environment == environment)
    }

    /// Adds an entry and writes the file; returns the entry's index.
    pub fn add(&mut self, entry: JournalEntry) -> Result<usize, String> {
        self.entries.push(entry);
        if self.entries.len() > MAX_ENTRIES {
            let excess = self.entries.len() - MAX_ENTRIES;
            self.entries.drain(..excess);
        }
        self.save()?;
        Ok(self.entries.len() - 1)
    }

    /// Changes the newest entry of `environment` in run `run_id`, if there is
    /// one, with `change`, and writes the file.
    pub fn update_run_entry(
        &mut self,
        run_id: &str,
        environment: &str,
        change: impl FnOnce(&mut JournalEntry),
    ) -> Result<(), String> {
        let entry = self
            .entries
            .iter_mut()
            .rev()
            .find(|entry| entry.run_id == run_id && entry.environment == environment);
        match entry {
            Some(entry) => change(entry),
            None => return Ok(()),
        }
        self.save()
    }

    /// Changes the newest entry with `change` and writes the file.
    pub fn update(&mut self, change: impl FnOnce(&mut JournalEntry)) -> Result<(), String> {
        if let Some(entry) = self.entries.last_mut() {
            change(entry);
        }
        self.save()
    }

    fn save(&self) -> Result<(), String> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let file = JournalFile {
            format: FORMAT.to_string(),
            version: VERSION,
            entries: self.entries.clone(),
        };
        let text = serde_json::to_string_pretty(&file).map_err(|err| err.to_string())? + "\n";
        if let Some(directory) = path.parent() {
            std::fs::create_dir_all(directory)
                .map_err(|err| format!("cannot create {}: {err}", directory.display()))?;
        }
        // NOTE: two runs sharing a state directory each rewrite the whole file,
        // so the later one drops the other's entries; give each its own --state-dir.
        write_atomically(path, text.as_bytes())
            .map_err(|err| format!("writing {}: {err:#}", path.display()))
    }
}

/// Returns the default state directory: `$XDG_STATE_HOME/bcos-taskdef`, else
/// `~/.local/state/bcos-taskdef`.
pub fn default_state_dir() -> Result<PathBuf, String> {
    if let Some(state) = std::env::var_os("XDG_STATE_HOME").filter(|value| !value.is_empty()) {
        return Ok(PathBuf::from(state).join("bcos-taskdef"));
    }
    match std::env::var_os("HOME").filter(|value| !value.is_empty()) {
        Some(home) => Ok(PathBuf::from(home).join(".local/state/bcos-taskdef")),
        None => Err("neither XDG_STATE_HOME nor HOME is set; pass --state-dir".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(environment: &str) -> JournalEntry {
        JournalEntry {
            run_id: "r1".into(),
            started_at: 0,
            environment: environment.into(),
            cluster: "c".into(),
            service: "s".into(),
            family: "f".into(),
            previous_arn: Some("arn:prev".into()),
            new_arn: None,
            deployment_id: None,
            registered_content: None,
            steps: vec![],
            outcome: JournalOutcome::InProgress,
        }
    }

    #[test]
    fn entries_survive_a_reopen() {
        let directory = tempfile::tempdir().unwrap();
        let mut journal = Journal::open(directory.path()).unwrap();

        journal.add(entry("staging")).unwrap();
        journal
            .update(|entry| entry.outcome = JournalOutcome::Succeeded)
            .unwrap();

        let reopened = Journal::open(directory.path()).unwrap();
        assert_eq!(
            reopened.last_for("staging").unwrap().outcome,
            JournalOutcome::Succeeded
        );
        assert!(reopened.last_for("production").is_none());
    }

    #[test]
    fn state_dir_is_created() {
        let directory = tempfile::tempdir().unwrap();
        let nested = directory.path().join("a/b");
        let mut journal = Journal::open(&nested).unwrap();

        journal.add(entry("staging")).unwrap();

        assert!(nested.join("journal.json").is_file());
    }

    #[test]
    fn foreign_file_is_rejected() {
        let directory = tempfile::tempdir().unwrap();
        std::fs::write(directory.path().join("journal.json"), "{}").unwrap();

        let err = Journal::open(directory.path()).unwrap_err();

        assert!(err.contains("is not a bcos-taskdef journal"), "{err}");
    }
}
