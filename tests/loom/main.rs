//! loom models of the shipped primitives (built only under `--cfg threading_loom`).
#![cfg(threading_loom)]

mod common;

mod barrier;
mod condition;
mod core_model;
mod event;
mod local;
mod lock;
mod pool;
mod queue;
mod rlock;
mod semaphore;
mod thread;
mod timer;
