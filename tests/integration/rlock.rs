//! Tests for rlock.
