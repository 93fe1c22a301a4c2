//! Thread bench (placeholder, filled in below).
fn main() {}
