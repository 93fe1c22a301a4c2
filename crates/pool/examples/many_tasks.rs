//! Many trivial tasks through a pool, for profiling the per-task overhead (the `many_tasks`
//! bench case without criterion), e.g. with callgrind:
//!
//! ```text
//! cargo build --release -p threading-pool --example many_tasks
//! valgrind --tool=callgrind target/release/examples/many_tasks 200000
//! ```
//!
//! Arguments: the number of tasks (default 200 000), the batch size (default 10 000) and the
//! number of workers (default `available_parallelism()`). Every future is kept and its result
//! read, as in the bench. Prints the fastest and the median batch, in ns per task (on a busy
//! machine the fastest batch is the most repeatable number).

use std::hint::black_box;
use std::time::Instant;

use threading_pool::ThreadPoolExecutor;

fn main() {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<u64>().expect("a number"));
    let tasks = args.next().unwrap_or(200_000);
    let chunk = args.next().unwrap_or(10_000).max(1);
    let workers = args.next().map_or_else(
        || std::thread::available_parallelism().map_or(1, |n| n.get()),
        |n| usize::try_from(n).expect("fits"),
    );
    let pool = ThreadPoolExecutor::new(workers).expect("at least one worker");
    let mut left = tasks;
    let mut sum = 0_u64;
    let mut per_task = Vec::new();
    // One vector for every batch, as in the bench (a new one per batch is harness cost).
    let mut fs = Vec::with_capacity(usize::try_from(chunk).expect("fits"));
    while left > 0 {
        let k = left.min(chunk);
        let start = Instant::now();
        fs.extend((0..k).map(|i| pool.submit(move || black_box(i)).expect("open")));
        for f in &fs {
            sum = sum.wrapping_add(*f.result().expect("ran"));
        }
        fs.clear();
        per_task.push(start.elapsed().as_secs_f64() * 1e9 / k as f64);
        left -= k;
    }
    drop(pool);
    per_task.sort_by(f64::total_cmp);
    let (fastest, median) = (per_task[0], per_task[per_task.len() / 2]);
    println!(
        "{tasks} tasks, {workers} workers, batches of {chunk}: fastest batch {fastest:.0} ns/task, \
         median {median:.0} ns/task (checksum {sum})"
    );
}
