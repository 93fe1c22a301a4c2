//! A child process for the pool tests that need the end of a program (EXE-26).
//!
//! `pool_child queued`: a pool that is never shut down (leaked) with three queued tasks; `main`
//! returns at once. The tasks must still run, after "main end", before the process exits.
//!
//! `pool_child submit_at_exit`: an at-exit handler (registered before the pool, so it runs
//! after the pool's own at-exit shutdown) submits a task and prints the error.

use std::sync::OnceLock;
use std::time::Duration;

use threading::futures::ThreadPoolExecutor;

static POOL: OnceLock<ThreadPoolExecutor> = OnceLock::new();

extern "C" fn submit_at_exit() {
    let pool = POOL.get().expect("the pool was created");
    match pool.submit(|| 1) {
        Ok(_) => println!("accepted"),
        Err(e) => println!("runtime-error: {e}"),
    }
}

fn main() {
    let mode = std::env::args().nth(1).unwrap_or_default();
    match mode.as_str() {
        "queued" => {
            let pool = ThreadPoolExecutor::new(1).unwrap();
            for i in 0..3 {
                pool.submit(move || {
                    std::thread::sleep(Duration::from_millis(20));
                    println!("task {i}");
                })
                .unwrap();
            }
            std::mem::forget(pool); // never shut down, as a Python executor nobody closes
            println!("main end");
        }
        "submit_at_exit" => {
            assert!(threading_core::process::at_exit(submit_at_exit));
            let pool = POOL.get_or_init(|| ThreadPoolExecutor::new(2).unwrap());
            assert_eq!(pool.submit(|| 42).unwrap().into_result(), Ok(42));
            println!("main end");
        }
        other => panic!("unknown mode {other:?}"),
    }
}
