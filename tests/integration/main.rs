//! Integration tests: one module per primitive.
#![cfg(not(threading_loom))]
