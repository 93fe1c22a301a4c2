//! loom models: rlock.
