//! loom models: condition.
