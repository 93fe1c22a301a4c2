//! loom models: semaphore.
