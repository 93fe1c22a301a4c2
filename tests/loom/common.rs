//! loom models: common.
