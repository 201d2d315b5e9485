//! The assembled bridge: the accounts it serves, the ports it talks through and its
//! processors. The composition root (`bridge-app`) builds one per cold start; the HTTP routes,
//! the workers and the file relay all run on it.

use std::sync::Arc;

use crate::accounts::Accounts;
use crate::file_relay::FileRelay;
use crate::inbound::InboundProcessor;
use crate::outbound::OutboundProcessor;
use crate::ports::{BlobStore, Store, WorkQueue};

pub struct Bridge {
    pub accounts: Accounts,
    pub store: Arc<dyn Store>,
    /// Present where files are relayed (the file-relay function, the local run).
    pub blob: Option<Arc<dyn BlobStore>>,
    pub relay: FileRelay,
    pub inbound: InboundProcessor,
    pub outbound: OutboundProcessor,
    /// Where the webhooks hand work to the worker.
    pub work: Arc<dyn WorkQueue>,
    /// The base URL providers call the webhooks at (`https://…/prod`), from which the URL a
    /// provider signed is rebuilt (Twilio); None where it is not configured.
    pub public_url: Option<String>,
}
