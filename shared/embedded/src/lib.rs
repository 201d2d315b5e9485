//! The local run's adapters of the bridge's ports — the embedded store and the durable queues
//! (one SQLite database), a folder as blob store — the workers that drain those queues with the
//! same core code the Lambda functions run, and the one-time import of the JSON file store of
//! earlier versions.

pub mod dir_blob;
pub mod json_import;
pub mod local_worker;
pub mod sqlite;

pub use dir_blob::DirBlobStore;
pub use sqlite::{SqliteDb, SqliteFileJobQueue, SqliteStore, SqliteWorkQueue};
