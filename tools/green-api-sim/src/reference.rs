//! Where the reference material (provider samples) is, for [`crate::webhook::sample`] and the tests.
//! A missing folder fails loudly: a test that passed without the samples would prove nothing.

use std::path::{Path, PathBuf};

/// `$BRIDGE_REFERENCE_DIR/providers/green-api`, else the reference folder beside the checkout
/// (`../shared/reference` next to the workspace root).
pub(crate) fn green_api_dir() -> (PathBuf, &'static str) {
    match std::env::var_os("BRIDGE_REFERENCE_DIR").filter(|value| !value.is_empty()) {
        Some(dir) => (PathBuf::from(dir).join("providers/green-api"), "BRIDGE_REFERENCE_DIR"),
        None => {
            // <workspace>/tools/green-api-sim → <workspace>/../shared/reference
            let around_checkout =
                Path::new(env!("CARGO_MANIFEST_DIR")).ancestors().nth(3).unwrap_or_else(|| Path::new("/"));
            (around_checkout.join("shared/reference/providers/green-api"), "the default location")
        }
    }
}

/// Path of one sample; panics, naming the path, when it is not there.
pub(crate) fn green_api_file(name: &str) -> PathBuf {
    let (dir, from) = green_api_dir();
    let path = dir.join(name);
    match std::fs::metadata(&path) {
        Ok(meta) if meta.is_file() => path,
        Ok(_) => missing(&path, from, "not a file"),
        Err(error) => missing(&path, from, &error.to_string()),
    }
}

pub(crate) fn missing(path: &Path, from: &str, problem: &str) -> ! {
    panic!(
        "the Green-API reference sample must be at {} ({from}): {problem}. Put the reference folder there, or \
         set BRIDGE_REFERENCE_DIR to a reference folder holding providers/green-api/.",
        path.display()
    )
}
