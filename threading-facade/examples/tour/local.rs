//! Tour: `Local`, Python's `threading.local` (the `localdata` demo of `_threading_local`).

use std::cell::RefCell;
use std::sync::Arc;
use std::thread;

use threading::Local;

const THREADS: usize = 3;

/// Runs this part of the tour.
pub(crate) fn run() {
    println!("== Local: every thread has its own value; the main thread's is unchanged");
    // mydata = threading.local(); mydata.name = "main"
    let mydata: Arc<Local<RefCell<String>>> = Arc::new(Local::default());
    mydata.set(String::from("main"));

    let handles: Vec<_> = (0..THREADS)
        .map(|i| {
            let mydata = Arc::clone(&mydata);
            thread::spawn(move || {
                // A new thread starts from the initialiser (an empty string), never from
                // another thread's value.
                let before = mydata.with_borrow(String::clone);
                mydata.set(format!("worker {i}"));
                mydata.with_borrow(|name| println!("thread {i}: was {before:?}, now {name:?}"));
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    mydata.with_borrow(|name| println!("main thread: still {name:?}"));

    println!("\n== Local: a subclass with __init__ is an initialiser that runs once per thread");
    let color = String::from("red");
    let styled = Arc::new(Local::new(move || RefCell::new(vec![color.clone()])));
    styled.with_borrow_mut(|v| v.push(String::from("main's extra")));
    let s = Arc::clone(&styled);
    let seen = thread::spawn(move || s.with_borrow(Vec::clone)).join().unwrap();
    println!("other thread sees {seen:?}; main sees {:?}\n", styled.with_borrow(Vec::clone));
}
