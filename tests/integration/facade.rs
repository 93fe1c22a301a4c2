//! Tests for facade.
