//! Tour: condition.

/// Runs this part of the tour.
pub fn run() {}
