//! loom models: barrier.
