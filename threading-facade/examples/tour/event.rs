//! Tour: event.

/// Runs this part of the tour.
pub fn run() {}
