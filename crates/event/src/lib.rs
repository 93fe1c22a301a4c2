//! Python's `threading.Event` for Rust (work in progress).
#![warn(missing_docs)]
