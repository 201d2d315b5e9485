//! Where the reference material (provider samples) is, for [`crate::webhook::sample`] and the tests.
//! A missing folder fails loudly: a test that passed without the samples would prove nothing.

use std::path::{Path, PathBuf};

/// `$BRIDGE_REFERENCE_DIR/providers/twilio/{name}`, else the reference folder beside the checkout
/// (`../shared/reference` next to the workspace root). Panics, naming the path, when it is missing.
pub(crate) fn twilio_file(name: &str) -> PathBuf {
    let set = std::env::var_os("BRIDGE_REFERENCE_DIR").filter(|value| !value.is_empty());
    let (dir, from) = match set {
        Some(dir) => (PathBuf::from(dir), "BRIDGE_REFERENCE_DIR"),
        None => {
            // <workspace>/tools/twilio-sim → <workspace>/../shared/reference
            let around_checkout = Path::new(env!("CARGO_MANIFEST_DIR"))
                .ancestors()
                .nth(3)
                .unwrap_or_else(|| Path::new("/"))
                .join("shared/reference");
            (around_checkout, "the default location")
        }
    };
    let path = dir.join("providers/twilio").join(name);
    match std::fs::metadata(&path) {
        Ok(meta) if meta.is_file() => path,
        Ok(_) => missing(&path, from, "not a file"),
        Err(error) => missing(&path, from, &error.to_string()),
    }
}

fn missing(path: &Path, from: &str, problem: &str) -> ! {
    panic!(
        "the Twilio reference sample must be at {} ({from}): {problem}. Put the reference folder there, or set \
         BRIDGE_REFERENCE_DIR to a reference folder holding providers/twilio/.",
        path.display()
    )
}
