//! Many trivial tasks through a pool, for profiling the per-task overhead (the `many_tasks`
//! bench case without criterion), e.g. with callgrind:
//!
//! ```text
//! cargo build --release -p threading-pool --example many_tasks
//! valgrind --tool=callgrind target/release/examples/many_tasks 200000
//! ```
//!
//! Arguments: the number of tasks (default 200 000), the batch size (default 10 000), the
//! number of workers (default `available_parallelism()`) and `all` to also time the bench's
//! peers (`rayon::scope` + `spawn`, `threadpool` `execute` + `join`) on the same batches. Ours
//! keeps every future and reads its result, as in the bench. Prints the fastest and the median
//! batch in ns per task: on a busy machine the fastest batch is the most repeatable number.

use std::hint::black_box;
use std::time::Instant;

use threading_pool::ThreadPoolExecutor;

/// Runs `tasks` tasks in batches of `chunk` with `batch(k)` and prints the fastest and the
/// median batch, in ns per task.
fn report(name: &str, tasks: u64, chunk: u64, mut batch: impl FnMut(u64)) {
    let mut per_task = Vec::new();
    let mut left = tasks;
    while left > 0 {
        let k = left.min(chunk);
        let start = Instant::now();
        batch(k);
        #[allow(clippy::cast_precision_loss, reason = "a batch size, far below 2^52")]
        per_task.push(start.elapsed().as_secs_f64() * 1e9 / k as f64);
        left -= k;
    }
    per_task.sort_by(f64::total_cmp);
    let (fastest, median) = (per_task[0], per_task[per_task.len() / 2]);
    println!("{name:<10} fastest batch {fastest:>5.0} ns/task, median {median:>5.0} ns/task");
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mut number = |default: u64| args.next().map_or(default, |a| a.parse().expect("a number"));
    let tasks = number(200_000);
    let chunk = number(10_000).max(1);
    let workers = usize::try_from(number(0)).expect("fits");
    let workers = if workers == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        workers
    };
    let peers = std::env::args().nth(4).is_some_and(|a| a == "all");
    println!("{tasks} tasks, {workers} workers, batches of {chunk}");

    let pool = ThreadPoolExecutor::new(workers).expect("at least one worker");
    // One vector for every batch, as in the bench (a new one per batch is harness cost).
    let mut fs = Vec::with_capacity(usize::try_from(chunk).expect("fits"));
    let mut sum = 0_u64;
    report("threading", tasks, chunk, |k| {
        fs.extend((0..k).map(|i| pool.submit(move || black_box(i)).expect("open")));
        for f in &fs {
            sum = sum.wrapping_add(*f.result().expect("ran"));
        }
        fs.clear();
    });
    drop(pool);
    assert_eq!(
        sum,
        (0..tasks / chunk).map(|_| chunk * (chunk - 1) / 2).sum::<u64>() + {
            let r = tasks % chunk;
            r * r.saturating_sub(1) / 2
        }
    );
    if !peers {
        return;
    }

    let rayon_pool = rayon::ThreadPoolBuilder::new().num_threads(workers).build().expect("rayon");
    report("rayon", tasks, chunk, |k| {
        rayon_pool.scope(|s| {
            for i in 0..k {
                s.spawn(move |_| {
                    black_box(i);
                });
            }
        });
    });
    drop(rayon_pool);

    let tp = threadpool::ThreadPool::new(workers);
    report("threadpool", tasks, chunk, |k| {
        for i in 0..k {
            tp.execute(move || {
                black_box(i);
            });
        }
        tp.join();
    });
}
