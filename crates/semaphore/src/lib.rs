//! Python's `threading.Semaphore` for Rust (work in progress).
#![warn(missing_docs)]
