//! loom models: event.
