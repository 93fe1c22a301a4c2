//! loom models: lock.
