//! WhatsApp provider adapters of the bridge's provider ports (webhook verification and
//! parsing, sending, media). One module per provider; `tests/provider_contract.rs` runs the same
//! scenarios against each.

pub mod dialog360;
pub mod green_api;
pub mod meta;
pub mod twilio;
pub mod wazzup;

mod items;
mod vcard;
