//! Loopback fake of the Planfix REST API for end-to-end tests and the local simulation mode.
//!
//! - [`SpecValidator`] compiles Planfix's published OpenAPI spec (`swagger.json`, loaded at
//!   runtime) and rejects any request the spec does not allow.
//! - [`PlanfixSim`] serves the calls the bridge makes (contacts, tasks, statuses, comments, files) on
//!   an in-memory state, with Planfix's envelopes and error codes, and records every request.
//!
//! Ids: contacts count from 1, tasks from 101, comments from 1001 and files from 50001, so that
//! an id of the wrong kind is unlikely to name an existing object.

mod conn;
mod envelope;
mod gate;
mod model;
mod reference;
mod render;
mod routes;
mod sim;
mod spec;
mod state;

pub use model::{Comment, Contact, Failure, FiredFault, RecordedRequest, Task};
pub use reference::spec_path;
pub use sim::{PlanfixSim, PlanfixSimConfig};
pub use spec::SpecValidator;
pub use state::{ProcessStatus, PROCESS_ID, PROCESS_STATUSES};
