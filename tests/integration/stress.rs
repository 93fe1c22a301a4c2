//! Tests for stress.
