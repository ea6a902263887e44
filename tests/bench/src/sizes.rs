//! The size of each release `bootstrap` that `cargo lambda build` wrote, and
//! of its zip, the archive Lambda is given.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

/// One built function for one architecture.
#[derive(Debug, Clone)]
pub struct Artifact {
    pub function: &'static str,
    pub arch: &'static str,
    pub bootstrap: PathBuf,
    pub bytes: Option<u64>,
    pub zip_bytes: Option<u64>,
}

impl Artifact {
    /// Looks for `<lambda_dir>/<function>/bootstrap` and, beside it or in
    /// `<zip_dir>/<function>/`, `bootstrap.zip`.
    pub fn find(
        function: &'static str,
        arch: &'static str,
        lambda_dir: &Path,
        zip_dir: &Path,
    ) -> Self {
        let bootstrap = lambda_dir.join(function).join("bootstrap");
        let size = |path: &Path| std::fs::metadata(path).ok().map(|m| m.len());
        let zip_bytes = size(&lambda_dir.join(function).join("bootstrap.zip"))
            .or_else(|| size(&zip_dir.join(function).join("bootstrap.zip")));
        Self {
            function,
            arch,
            bytes: size(&bootstrap),
            bootstrap,
            zip_bytes,
        }
    }

    pub fn to_json(&self) -> Value {
        json!({
            "function": self.function,
            "arch": self.arch,
            "bootstrapBytes": self.bytes,
            "bootstrapMiB": self.bytes.map(mib),
            "zipBytes": self.zip_bytes,
            "zipMiB": self.zip_bytes.map(mib),
        })
    }
}

/// Bytes in MiB, two decimals.
pub fn mib(bytes: u64) -> f64 {
    (bytes as f64 / 1024.0 / 1024.0 * 100.0).round() / 100.0
}
