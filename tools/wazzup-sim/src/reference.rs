//! Where the reference samples are, for [`crate::webhook::sample`] and the tests. A missing folder
//! fails loudly: a test that passed without the samples would prove nothing.

use std::path::{Path, PathBuf};

/// `$BRIDGE_REFERENCE_DIR/providers/wazzup`, else the reference folder beside the checkout
/// (`../shared/reference` next to the workspace root), and which of the two it was.
pub(crate) fn wazzup_dir() -> (PathBuf, &'static str) {
    match std::env::var_os("BRIDGE_REFERENCE_DIR").filter(|value| !value.is_empty()) {
        Some(dir) => (PathBuf::from(dir).join("providers/wazzup"), "BRIDGE_REFERENCE_DIR"),
        None => {
            // <workspace>/tools/wazzup-sim → <workspace>/../shared/reference
            let around_checkout =
                Path::new(env!("CARGO_MANIFEST_DIR")).ancestors().nth(3).unwrap_or_else(|| Path::new("/"));
            (around_checkout.join("shared/reference/providers/wazzup"), "the default location")
        }
    }
}

/// Path of one sample; panics, naming the path, when it is not there.
pub(crate) fn wazzup_file(name: &str) -> PathBuf {
    let (dir, from) = wazzup_dir();
    let path = dir.join(name);
    match std::fs::metadata(&path) {
        Ok(meta) if meta.is_file() => path,
        Ok(_) => missing(&path, from, "not a file"),
        Err(error) => missing(&path, from, &error.to_string()),
    }
}

pub(crate) fn missing(path: &Path, from: &str, problem: &str) -> ! {
    panic!(
        "the Wazzup reference sample must be at {} ({from}): {problem}. Put the reference folder there, or \
         set BRIDGE_REFERENCE_DIR to a reference folder holding providers/wazzup/.",
        path.display()
    )
}
