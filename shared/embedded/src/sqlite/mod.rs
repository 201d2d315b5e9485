//! The embedded store and durable queues on SQLite: one database file in WAL mode, shared by
//! [`SqliteStore`] and the queues ([`SqliteWorkQueue`], [`SqliteFileJobQueue`]) through one
//! [`SqliteDb`], and safe to open from a second process at the same time (the admin CLI while
//! the server runs).
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use bridge_embedded::sqlite::{SqliteDb, SqliteStore, SqliteWorkQueue, SqliteFileJobQueue};
//! let db = SqliteDb::open("data/bridge.db")?;
//! let store = SqliteStore::new(db.clone());
//! let work = SqliteWorkQueue::new(db.clone());
//! let files = SqliteFileJobQueue::new(db);
//! # Ok(()) }
//! ```

mod db;
mod expiry;
mod queue;
pub mod schema;
mod store;

pub use db::{DbError, SqliteDb, SqliteOptions, Synchronous};
pub use queue::{
    DeadItem, QueueCounts, QueueItem, QueueOptions, Receipt, Received, SqliteFileJobQueue, SqliteQueue, SqliteWorkQueue,
};
pub use store::SqliteStore;
