//! The error of processing one piece of work, and what it means for a retry.

use crate::ports::{PlanfixError, QueueError, StoreError};
use crate::retry::Retry;

#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    #[error(transparent)]
    Planfix(#[from] PlanfixError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Another worker holds the work (past the wait for it); a later try settles it.
    #[error("busy: {0}")]
    Busy(&'static str),
    #[error("configuration problem: {0}")]
    Config(String),
    #[error(transparent)]
    Queue(#[from] QueueError),
}

impl ProcessError {
    /// The one retry rule: each cause's own classification (Planfix's made by its adapter).
    pub fn retry(&self) -> Retry {
        match self {
            ProcessError::Planfix(e) => e.retry(),
            ProcessError::Store(e) => e.retry(),
            ProcessError::Busy(_) | ProcessError::Queue(_) => Retry::SOON,
            ProcessError::Config(_) => Retry::Never,
        }
    }

    /// Only waiting for Planfix's pacing slot: nothing was tried, no try is spent.
    pub fn paced(&self) -> Option<std::time::Duration> {
        match self {
            ProcessError::Planfix(PlanfixError::Paced { wait }) => Some(*wait),
            _ => None,
        }
    }
}
