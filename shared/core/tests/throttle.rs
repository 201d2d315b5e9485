//! The Planfix pacing clock on a real store (the embedded SQLite one): a rate the millisecond
//! clock cannot space is not paced at all, and a paced rate spaces requests by its interval.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bridge_core::domain::AccountId;
use bridge_core::ports::{Store, Throttle};
use bridge_core::throttle::StoreThrottle;
use bridge_embedded::{SqliteDb, SqliteStore};

fn store() -> Arc<dyn Store> {
    let dir = std::env::temp_dir().join(format!("bridge-throttle-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    Arc::new(SqliteStore::new(SqliteDb::open(dir.join("bridge.db")).expect("db opens")))
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

#[tokio::test]
async fn a_rate_beyond_the_clocks_resolution_is_not_paced() {
    let store = store();
    let acct = AccountId::parse("fast").unwrap();
    let throttle = StoreThrottle::per_second(store.clone(), acct.clone(), 1_000_000.0);
    for _ in 0..50 {
        throttle.wait_turn().await.unwrap();
    }
    // Had the 50 calls reserved slots, the clock would now be tens of milliseconds ahead.
    let now = now_ms();
    let next = store.reserve_slot(&acct, "planfix", now, 1).await.unwrap();
    assert!(next <= now + 1, "the pacing clock was used: next slot {} ms ahead", next - now);
}

#[tokio::test]
async fn a_paced_rate_spaces_requests_by_its_interval() {
    let store = store();
    let throttle = StoreThrottle::per_second(store, AccountId::parse("paced").unwrap(), 50.0);
    let start = Instant::now();
    for _ in 0..6 {
        throttle.wait_turn().await.unwrap();
    }
    // 6 turns at 50/s (20 ms + slack): the last starts at least 5 intervals after the first.
    assert!(start.elapsed() >= Duration::from_millis(100), "{:?}", start.elapsed());
}
