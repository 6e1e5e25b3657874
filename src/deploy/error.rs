//! Failures of a rollout that are about AWS state rather than about input.

/// A rollout step found AWS in a state it cannot proceed from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeployError {
    /// A response that lacks something, or a resource in the wrong state.
    #[error("{0}")]
    Aws(String),

    /// Someone else changed the service between the first read and the update.
    #[error(
        "service `{service}` changed while this run prepared its update: it now runs {now}, not {before}. Registered {registered} but did not deploy it; run again to base the change on {now}"
    )]
    ConcurrentChange {
        service: String,
        before: String,
        now: String,
        registered: String,
    },

    /// The service is between deployments, or on a failed one. The message
    /// names which and what to do.
    #[error("{0}")]
    Unsettled(String),

    /// The journal could not be written; the message names the file.
    #[error("{0}")]
    Journal(String),

    /// The user declined the confirmation before an environment.
    #[error("stopped before environment {0}: not confirmed")]
    NotConfirmed(String),

    /// The deployment or its verification failed. `rollback` states what
    /// became of the service.
    #[error("{environment}: deploy failed: {reason}; {rollback}")]
    Failed {
        environment: String,
        reason: String,
        rollback: String,
    },

    /// Ctrl-C stopped the run; the journal records where.
    #[error("{environment}: interrupted {during}. {advice}")]
    Interrupted {
        environment: String,
        during: String,
        /// The next step: the rollback command, or the fact that nothing changed.
        advice: String,
    },
}
