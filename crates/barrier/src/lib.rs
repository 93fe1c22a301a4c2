//! Python's `threading.Barrier` for Rust (work in progress).
#![warn(missing_docs)]
