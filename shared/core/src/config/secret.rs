use std::fmt;

use serde::{Deserialize, Serialize};

/// A credential. `Debug`/`Display` never print it, so it cannot leak through logs or error
/// messages; `expose` is the one door out and is greppable.
#[derive(Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
    /// Constant-time comparison (`subtle`), for tokens presented by callers. Both sides are
    /// hashed first: `ct_eq` on slices of different lengths answers at once, which would tell
    /// a caller the secret's length. An empty secret matches nothing.
    pub fn matches(&self, presented: &[u8]) -> bool {
        use sha2::{Digest, Sha256};
        use subtle::ConstantTimeEq;
        let (ours, theirs) = (Sha256::digest(self.0.as_bytes()), Sha256::digest(presented));
        !self.0.is_empty() && bool::from(ours.ct_eq(&theirs))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}
