//! Tests for event.
