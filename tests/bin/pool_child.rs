//! A child process for the pool tests that need the end of a program (EXE-26).
//!
//! `pool_child queued`: a pool that is never shut down (leaked) with three queued tasks; `main`
//! returns at once. The tasks must still run, after "main end", before the process exits.
//!
//! `pool_child submit_at_exit`: an at-exit handler (registered before the pool, so it runs
//! after the pool's own at-exit shutdown) submits a task and prints the error.
//!
//! `pool_child two_pools`: two pools nobody shuts down, each with an idle worker, and one
//! that never started a worker; an at-exit handler (running after the pools' own) submits to
//! one of the used pools and to the unused one. The process must exit (both used pools were
//! shut down at exit) and print `main end`, then both refusals (the interpreter-shutdown
//! one).
//!
//! `pool_child own_key`: two pools with a sleeping worker each, the other pool's parked
//! first; a submit to the first must wake its own worker (each pool parks its workers on a
//! key of its own). A process of its own: in the test binary other tests' pools shut down
//! all the time, and each shutdown wakes every worker parked on its key, which would hide a
//! shared key. Prints the submit's result.
//!
//! `pool_child spawn_fails`: with a stack size no thread can get (`set_stack_size`, process
//! wide, hence a child), a submit to a pool without workers fails with the spawn error and
//! queues nothing; a submit to a pool with a worker queues the task for that worker instead.

use std::sync::OnceLock;
use std::time::Duration;

use threading::futures::ThreadPoolExecutor;

static POOL: OnceLock<ThreadPoolExecutor> = OnceLock::new();
static UNUSED: OnceLock<ThreadPoolExecutor> = OnceLock::new();

extern "C" fn submit_to_both() {
    for (name, pool) in [("used", &POOL), ("unused", &UNUSED)] {
        match pool.get().expect("the pool was created").submit(|| 1) {
            Ok(_) => println!("{name} pool: accepted"),
            Err(e) => println!("{name} pool: runtime-error: {e}"),
        }
    }
}

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
        "two_pools" => {
            assert!(threading_core::process::at_exit(submit_to_both));
            UNUSED.get_or_init(|| ThreadPoolExecutor::new(1).unwrap());
            let used = POOL.get_or_init(|| ThreadPoolExecutor::new(1).unwrap());
            assert_eq!(used.submit(|| 1).unwrap().into_result(), Ok(1));
            let other = ThreadPoolExecutor::new(1).unwrap();
            assert_eq!(other.submit(|| 2).unwrap().into_result(), Ok(2));
            std::mem::forget(other);
            println!("main end");
        }
        "own_key" => own_key(),
        "spawn_fails" => spawn_fails(),
        other => panic!("unknown mode {other:?}"),
    }
}

/// `spawn_fails` (see the module docs). Prints `no worker: <error>`, `retried: Ok(1)` and
/// `queued behind: Ok(Ok(2)) workers 1` (the submit's result, then the task's).
fn spawn_fails() {
    let pool = ThreadPoolExecutor::new(2).unwrap();
    threading::set_stack_size(1 << 40).unwrap();
    match pool.submit(|| 1) {
        Ok(_) => println!("no worker: accepted"),
        Err(e) => println!("no worker: {e}"),
    }
    threading::set_stack_size(0).unwrap();
    println!("retried: {:?}", pool.submit(|| 1).unwrap().into_result());
    // One worker, busy: the second submit wants another worker, cannot start one, and leaves
    // the task queued for the busy one.
    let (release_tx, release) = std::sync::mpsc::channel::<()>();
    let busy = pool.submit(move || release.recv().unwrap()).unwrap();
    threading::set_stack_size(1 << 40).unwrap();
    let queued = pool.submit(|| 2);
    threading::set_stack_size(0).unwrap();
    release_tx.send(()).unwrap();
    busy.result().unwrap();
    let queued = queued.map(threading::futures::Future::into_result);
    println!("queued behind: {queued:?} workers {}", pool.worker_count());
}

/// `own_key` (see the module docs). Prints `Ok(1)`, or `Err(…)` if the worker was not woken.
fn own_key() {
    let prefixes = ["own-key-a", "own-key-b"];
    let pools: Vec<_> = prefixes
        .into_iter()
        .map(|p| {
            ThreadPoolExecutor::builder().max_workers(1).thread_name_prefix(p).build().unwrap()
        })
        .collect();
    // The other pool's worker parks first, so a wake-up on a shared key would reach it
    // (a parking queue wakes in arrival order).
    for (pool, prefix) in pools.iter().zip(prefixes).rev() {
        pool.submit(|| ()).unwrap().result().unwrap();
        threading_tests::wait_until_asleep(threading_tests::worker_ids(prefix)[0]);
    }
    println!("{:?}", pools[0].submit(|| 1).unwrap().result_timeout(Duration::from_secs(2)));
}
