//! Behaviour tests for the queues (placeholder).
