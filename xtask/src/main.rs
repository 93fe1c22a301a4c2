//! `cargo xtask`: workspace automation.
fn main() {}
