//! A tour of the `threading` crate: `cargo run --example tour`.

mod barrier;
mod condition;
mod event;
mod local;
mod lock;
mod pool;
mod queue;
mod semaphore;
mod thread;
mod timer;

fn main() {
    lock::run();
    semaphore::run();
    event::run();
    condition::run();
    barrier::run();
    thread::run();
    timer::run();
    local::run();
    queue::run();
    pool::run();
}
