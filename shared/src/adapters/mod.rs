//! Real implementations of the ports.

pub mod file_store;
pub mod dynamo_store;
pub mod meta;
pub mod planfix_rest;

pub use dynamo_store::DynamoStore;
pub use file_store::FileStore;
pub use planfix_rest::PlanfixRest;
