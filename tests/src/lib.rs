//! Shared test support for the workspace's integration tests.
