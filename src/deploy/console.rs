//! The workflow's interface to the user. The CLI layer implements it; the
//! workflow never prints by itself.

/// Progress, warnings and confirmations of a rollout.
pub trait Console {
    /// Reports a step (stderr in the CLI).
    fn progress(&self, message: &str);

    /// Reports the state of a wait at each poll. A terminal shows it as one
    /// live line; other outputs print it only when `state` changes.
    fn status(&self, state: &str, elapsed: std::time::Duration);

    /// Reports something the user should look at.
    fn warning(&self, message: &str);

    /// Tells whether `confirm` can ask a person.
    fn can_confirm(&self) -> bool;

    /// Asks a yes/no question; only called when `can_confirm` is true.
    fn confirm(&self, question: &str) -> bool;
}
