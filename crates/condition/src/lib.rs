//! Python's `threading.Condition` for Rust (work in progress).
#![warn(missing_docs)]
