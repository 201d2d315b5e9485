//! What the bridge reports through `tracing` while a flow runs: the time the Planfix pacing
//! clock made it sleep (the throttle's `wait_ms` events) and the bytes of JSON log the Lambdas'
//! formatter would write at their production level (`RUST_LOG=info`), i.e. CloudWatch ingestion.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// The throttle's module, whose debug event carries the sleep it is about to take.
const THROTTLE_TARGET: &str = "bridge_core::throttle";

#[derive(Clone, Default)]
pub struct Probe {
    pub pacing_ms: Arc<AtomicU64>,
    pub pacing_waits: Arc<AtomicU64>,
    pub log_bytes: Arc<AtomicU64>,
    pub log_lines: Arc<AtomicU64>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProbeReading {
    pub pacing_ms: u64,
    pub pacing_waits: u64,
    pub log_bytes: u64,
    pub log_lines: u64,
}

impl ProbeReading {
    pub fn since(&self, earlier: &ProbeReading) -> ProbeReading {
        ProbeReading {
            pacing_ms: self.pacing_ms.saturating_sub(earlier.pacing_ms),
            pacing_waits: self.pacing_waits.saturating_sub(earlier.pacing_waits),
            log_bytes: self.log_bytes.saturating_sub(earlier.log_bytes),
            log_lines: self.log_lines.saturating_sub(earlier.log_lines),
        }
    }
}

impl Probe {
    pub fn read(&self) -> ProbeReading {
        ProbeReading {
            pacing_ms: self.pacing_ms.load(Ordering::Relaxed),
            pacing_waits: self.pacing_waits.load(Ordering::Relaxed),
            log_bytes: self.log_bytes.load(Ordering::Relaxed),
            log_lines: self.log_lines.load(Ordering::Relaxed),
        }
    }

    /// Installs the probe as the global subscriber; false when one was already set (then the
    /// probe reads zero, which the report shows).
    pub fn install(&self) -> bool {
        let json = tracing_subscriber::fmt::layer()
            .json()
            .with_current_span(true)
            .with_target(false)
            .without_time()
            .with_writer(CountingWriter { bytes: self.log_bytes.clone(), lines: self.log_lines.clone() })
            .with_filter(EnvFilter::new("info"));
        let pacing = PacingLayer { ms: self.pacing_ms.clone(), waits: self.pacing_waits.clone() }
            .with_filter(Targets::new().with_target(THROTTLE_TARGET, Level::DEBUG));
        tracing_subscriber::registry().with(json).with(pacing).try_init().is_ok()
    }
}

struct PacingLayer {
    ms: Arc<AtomicU64>,
    waits: Arc<AtomicU64>,
}

#[derive(Default)]
struct WaitMs {
    ms: Option<u64>,
    message: String,
}

impl Visit for WaitMs {
    fn record_i64(&mut self, field: &Field, value: i64) {
        if field.name() == "wait_ms" {
            self.ms = u64::try_from(value).ok();
        }
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        if field.name() == "wait_ms" {
            self.ms = Some(value);
        }
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.message = format!("{value:?}");
        }
    }
}

impl<S: Subscriber> Layer<S> for PacingLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut visit = WaitMs::default();
        event.record(&mut visit);
        // Only the waits slept in place: a wait handed back to the queue costs no Lambda time.
        if let (Some(ms), true) = (visit.ms, visit.message.starts_with("waiting")) {
            self.ms.fetch_add(ms, Ordering::Relaxed);
            self.waits.fetch_add(1, Ordering::Relaxed);
        }
    }
}

#[derive(Clone)]
struct CountingWriter {
    bytes: Arc<AtomicU64>,
    lines: Arc<AtomicU64>,
}

impl std::io::Write for CountingWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.bytes.fetch_add(buf.len() as u64, Ordering::Relaxed);
        self.lines.fetch_add(buf.iter().filter(|b| **b == b'\n').count() as u64, Ordering::Relaxed);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for CountingWriter {
    type Writer = CountingWriter;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}
