//! Tests for barrier.
