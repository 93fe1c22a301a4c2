//! loom models: core_model.
