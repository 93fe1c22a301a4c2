//! Tests for lock.
