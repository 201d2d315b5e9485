//! W2's duplicate guard: a `crmMessageId` already used by a send in the last 60 seconds is
//! refused with 400 `REPEATED_CRM_MESSAGE_ID`; after the window the same id is sent again.
//!
//! Only sends that got 201 count ("If it was sent, then if another request with the same
//! crmMessageId is received, the message will not be sent"). A send still being handled holds
//! its id, so two concurrent requests cannot both pass. Whether ids are scoped per account or
//! per channel is unconfirmed; the sim keeps one set per account.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use super::WazzupSim;

pub(crate) struct CrmIds {
    pub window: Duration,
    /// id → when its send was accepted.
    sent: HashMap<String, Instant>,
    in_flight: HashSet<String>,
}

impl Default for CrmIds {
    fn default() -> Self {
        Self { window: Duration::from_secs(60), sent: HashMap::new(), in_flight: HashSet::new() }
    }
}

impl CrmIds {
    /// False when `id` was sent within the window or is being sent; else holds it.
    fn reserve(&mut self, id: &str, now: Instant) -> bool {
        let window = self.window;
        self.sent.retain(|_, at| now.saturating_duration_since(*at) < window);
        if self.sent.contains_key(id) || self.in_flight.contains(id) {
            return false;
        }
        self.in_flight.insert(id.to_owned());
        true
    }
}

/// A held `crmMessageId`; released when dropped (an error answer, or a client that hung up
/// mid-download) unless [`Self::commit`]ted.
pub(crate) struct Reservation {
    sim: WazzupSim,
    id: Option<String>,
}

impl Reservation {
    /// Holds `id` (nothing to hold for a send without one); `None` when it is a repeat.
    pub fn take(sim: &WazzupSim, id: Option<&str>) -> Option<Self> {
        if let Some(id) = id {
            if !sim.lock().crm_ids.reserve(id, Instant::now()) {
                return None;
            }
        }
        Some(Self { sim: sim.clone(), id: id.map(str::to_owned) })
    }

    /// The send was accepted: the window starts now. Call with the state lock not held.
    pub fn commit(mut self) {
        if let Some(id) = self.id.take() {
            let mut state = self.sim.lock();
            state.crm_ids.in_flight.remove(&id);
            state.crm_ids.sent.insert(id, Instant::now());
        }
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if let Some(id) = self.id.take() {
            self.sim.lock().crm_ids.in_flight.remove(&id);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::CrmIds;

    #[test]
    fn an_id_is_refused_within_the_window_only() {
        let mut ids = CrmIds { window: Duration::from_secs(60), ..CrmIds::default() };
        let start = Instant::now();
        assert!(ids.reserve("a", start));
        assert!(!ids.reserve("a", start), "in flight");
        ids.in_flight.remove("a");
        ids.sent.insert("a".into(), start);
        assert!(!ids.reserve("a", start + Duration::from_secs(59)));
        assert!(ids.reserve("a", start + Duration::from_secs(60)));
        assert!(ids.reserve("b", start));
    }
}
