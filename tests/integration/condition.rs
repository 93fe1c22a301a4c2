//! Tests for condition.
