//! Tour: threads. Daemon and non-daemon threads, `current_thread()` and `enumerate()`, and a
//! panic that reaches the excepthook.

use std::sync::Arc;

use threading::{
    Event, ExceptHookArgs, Thread, current_thread, default_excepthook, enumerate, main_thread,
    set_excepthook,
};

/// Runs this part of the tour.
pub(crate) fn run() {
    println!("== Thread: current_thread(), a non-daemon and a daemon thread, enumerate()");
    println!("running on {:?}", current_thread());

    // A non-daemon thread (the default for threads the main thread creates): the program
    // waits for it at the end even if nobody joins it. A daemon thread: not waited for; this
    // one blocks forever and simply dies with the process.
    let go = Arc::new(Event::new());
    let g = Arc::clone(&go);
    let worker = Thread::builder().name("worker").build(move || {
        g.wait();
        format!("{} finished its work", current_thread().name())
    });
    let forever = Arc::new(Event::new());
    let f = Arc::clone(&forever);
    let watcher = Thread::builder().name("watcher").daemon(true).build(move || f.wait());
    worker.start().expect("start worker");
    watcher.start().expect("start watcher");
    println!("worker daemon: {}, watcher daemon: {}", worker.daemon(), watcher.daemon());

    // Every live thread, by ident: the main thread, the two above.
    let names: Vec<String> = enumerate().iter().map(Thread::name).collect();
    println!("alive: {names:?}");

    go.set();
    println!("{}", worker.clone().join_output().expect("the worker returns its message"));
    println!("worker alive after join: {}", worker.is_alive());

    // A panic that ends a thread goes to the excepthook, once; every join then says so.
    println!("\n== Thread: a panic ends a thread, the excepthook reports it once, join says so");
    set_excepthook(|args: &ExceptHookArgs| {
        let name = args.thread().map(Thread::name).unwrap_or_default();
        let at = args.location().map(|l| format!(" at {l}")).unwrap_or_default();
        println!("excepthook: thread {name:?} panicked{at}: {}", args.message());
    });
    let fragile = Thread::builder().name("fragile").build(|| -> u32 { panic!("out of luck") });
    fragile.start().expect("start fragile");
    println!("join: {:?}", fragile.join());
    set_excepthook(default_excepthook);

    println!("main thread: {:?}", main_thread());
    println!();
}
