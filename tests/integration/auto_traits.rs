//! Tests for auto_traits.
