//! Tour: the thread pool (Python's `concurrent.futures`). The classic
//! `executor.map(thread_function, range(3))`, a `submit` loop, a task that panics, and
//! `as_completed` over "downloads".

use std::time::{Duration, Instant};

use threading::current_thread;
use threading::futures::{ReturnWhen, ThreadPoolExecutor, as_completed, wait};

/// The seed's `thread_function`: log, sleep, log.
fn thread_function(name: u32) {
    println!("Thread {name}: starting on {}", current_thread().name());
    std::thread::sleep(Duration::from_millis(50));
    println!("Thread {name}: finishing");
}

/// A pretend download: sleeps for a while, returns the "page size".
fn download(url: &'static str, millis: u64) -> usize {
    std::thread::sleep(Duration::from_millis(millis));
    url.len() * 100
}

/// Runs this part of the tour.
pub(crate) fn run() {
    println!("== ThreadPoolExecutor: executor.map(thread_function, range(3))");

    // with concurrent.futures.ThreadPoolExecutor(max_workers=3) as executor:
    //     executor.map(thread_function, range(3))
    {
        let executor = ThreadPoolExecutor::new(3).expect("3 workers");
        let results = executor.map(thread_function, 0..3).expect("the pool is open");
        // The results come back in input order; here they are all `()`.
        assert!(results.into_iter().all(|r| r.is_ok()));
    } // the end of the `with` block: dropping the executor waits for its workers

    println!("\n== ThreadPoolExecutor: a submit loop, a task that panics, as_completed");
    // A submit loop, then the futures' values; an idle worker is reused before a new one
    // starts, so sequential submits need one thread only.
    let pool = ThreadPoolExecutor::builder()
        .max_workers(4)
        .thread_name_prefix("tour")
        .build()
        .expect("4 workers");
    let squares: Vec<_> =
        (1..=5).map(|i| pool.submit(move || i * i).expect("the pool is open")).collect();
    let values: Vec<i32> = squares.iter().map(|f| *f.result().expect("no failure")).collect();
    println!("squares: {values:?}");
    let done = wait(&squares, ReturnWhen::AllCompleted);
    println!("wait: {} done, {} not done", done.done.len(), done.not_done.len());

    // A task that panics: the worker survives, the panic is the future's error.
    let bad = pool.submit(|| -> u32 { panic!("this task failed") }).expect("the pool is open");
    match bad.result() {
        Ok(v) => println!("unexpected value {v}"),
        Err(e) => println!("the failed task: {e} (Python would re-raise it from result())"),
    }
    println!("the pool still works: {:?}", pool.submit(|| 6 * 7).expect("open").result());

    // as_completed over downloads that take different times: the fastest first.
    let start = Instant::now();
    let downloads: Vec<_> =
        [("a-slow-site.example", 150), ("fast.example", 20), ("mid.example", 80)]
            .into_iter()
            .map(|(url, ms)| (url, pool.submit(move || download(url, ms)).expect("open")))
            .collect();
    for f in as_completed(downloads.iter().map(|(_, f)| f)) {
        let f = f.expect("no timeout was set");
        let url = downloads.iter().find(|(_, g)| g == f).map(|(u, _)| *u).unwrap_or("?");
        println!(
            "{url}: {} bytes after {} ms",
            f.result().expect("downloaded"),
            start.elapsed().as_millis()
        );
    }
    println!("workers started: {} of at most {}", pool.worker_count(), pool.max_workers());
    pool.shutdown();
    println!();
}
