//! Tests for semaphore.
