//! Integration tests: one binary, one module per primitive (built only without loom).
#![cfg(not(threading_loom))]

mod auto_traits;
mod barrier;
mod condition;
mod event;
mod facade;
mod local;
mod lock;
mod pool;
mod queue;
mod rlock;
mod semaphore;
mod soak;
mod stress;
mod thread;
mod timer;
