//! Where the 360dialog reference samples are, for [`crate::webhook::sample`] and the tests.
//! A missing folder fails loudly: a test that passed without the samples would prove nothing.

use std::path::{Path, PathBuf};

/// `$BRIDGE_REFERENCE_DIR/providers/360dialog`, else the reference folder beside the checkout
/// (`../shared/reference` next to the workspace root).
fn dialog360_dir() -> (PathBuf, &'static str) {
    match std::env::var_os("BRIDGE_REFERENCE_DIR").filter(|value| !value.is_empty()) {
        Some(dir) => (PathBuf::from(dir).join("providers/360dialog"), "BRIDGE_REFERENCE_DIR"),
        None => {
            // <workspace>/tools/dialog360-sim → <workspace>/../shared/reference
            let around_checkout =
                Path::new(env!("CARGO_MANIFEST_DIR")).ancestors().nth(3).unwrap_or_else(|| Path::new("/"));
            (around_checkout.join("shared/reference/providers/360dialog"), "the default location")
        }
    }
}

/// Path of one sample; panics, naming the path, when it is not there.
pub(crate) fn dialog360_file(name: &str) -> PathBuf {
    let (dir, from) = dialog360_dir();
    let path = dir.join(name);
    match std::fs::metadata(&path) {
        Ok(meta) if meta.is_file() => path,
        Ok(_) => missing(&path, from, "not a file"),
        Err(error) => missing(&path, from, &error.to_string()),
    }
}

fn missing(path: &Path, from: &str, problem: &str) -> ! {
    panic!(
        "the 360dialog reference sample must be at {} ({from}): {problem}. Put the reference folder there, or \
         set BRIDGE_REFERENCE_DIR to a reference folder holding providers/360dialog/.",
        path.display()
    )
}
