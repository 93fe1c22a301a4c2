//! A tour of the `threading` crate: `cargo run --example tour`.

mod barrier;
mod condition;
mod event;
mod local;
mod lock;
mod semaphore;

fn main() {
    lock::run();
    semaphore::run();
    event::run();
    condition::run();
    barrier::run();
    local::run();
}
