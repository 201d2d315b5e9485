//! Provider- and Planfix-independent vocabulary of the bridge.

mod account;
mod file_job;
mod message;
mod phone;
mod work;

pub use account::AccountId;
pub use file_job::FileJob;
pub use message::{
    ContactCard, DeliveryFailure, DeliveryState, FailureKind, InboundEvent, InboundMessage, MediaRef, MessageContent,
    Origin, StatusUpdate,
};
pub use phone::{Phone, PhoneError};
pub use work::Work;

/// Seconds since the Unix epoch; the store and the leases work in these units.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}
