//! Where the Planfix spec is, for the unit tests (`src/spec/tests.rs`) and `tests/http.rs` alike.
//! A missing spec fails the test: passing without it would prove nothing about the requests.

use std::path::{Path, PathBuf};

/// `PLANFIX_SWAGGER` (the file), else `$BRIDGE_REFERENCE_DIR/planfix/swagger.json`, else the
/// reference folder beside the checkout (`../shared/reference` next to the workspace root).
/// Panics, naming the path, when there is no file there.
pub fn spec_path() -> PathBuf {
    let set = |name| std::env::var_os(name).filter(|value| !value.is_empty());
    let (path, from) = if let Some(file) = set("PLANFIX_SWAGGER") {
        (PathBuf::from(file), "PLANFIX_SWAGGER")
    } else if let Some(dir) = set("BRIDGE_REFERENCE_DIR") {
        (Path::new(&dir).join("planfix/swagger.json"), "BRIDGE_REFERENCE_DIR")
    } else {
        // <workspace>/tools/planfix-sim → <workspace>/../shared/reference
        let around_checkout = Path::new(env!("CARGO_MANIFEST_DIR"))
            .ancestors()
            .nth(3)
            .expect("the crate sits at <workspace>/tools/planfix-sim");
        let path = around_checkout.join("shared/reference/planfix/swagger.json");
        (path, "the default location")
    };
    let problem = match std::fs::metadata(&path) {
        Ok(meta) if meta.is_file() => return path,
        Ok(_) => "not a file".to_owned(),
        Err(error) => error.to_string(),
    };
    panic!(
        "the Planfix OpenAPI spec must be at {} ({from}): {problem}. Put swagger.json there, or set \
         BRIDGE_REFERENCE_DIR to a reference folder holding planfix/swagger.json, or PLANFIX_SWAGGER \
         to the file itself.",
        path.display()
    );
}
