//! Tour: `Lock` and `RLock`, starting with the classic alphabet demo.

use std::io::Write;
use std::sync::Arc;
use std::thread;

use threading::{Lock, RLock};

const THREADS: usize = 3;

/// Prints the alphabet one letter at a time, yielding between letters so threads interleave.
fn print_alphabet(tag: usize) {
    let mut out = std::io::stdout();
    for c in 'a'..='z' {
        let _ = write!(out, "{c}");
        let _ = out.flush();
        thread::yield_now();
    }
    let _ = writeln!(out, " <- thread {tag}");
}

/// Runs this part of the tour.
pub(crate) fn run() {
    println!("== Lock: {THREADS} threads print the alphabet without a lock (letters interleave)");
    let handles: Vec<_> = (0..THREADS).map(|i| thread::spawn(move || print_alphabet(i))).collect();
    for h in handles {
        h.join().unwrap();
    }

    println!("\n== Lock: the same with `let _guard = lock.lock()` around each line (`with lock:`)");
    let lock = Arc::new(Lock::new());
    let handles: Vec<_> = (0..THREADS)
        .map(|i| {
            let lock = Arc::clone(&lock);
            thread::spawn(move || {
                let _guard = lock.lock();
                print_alphabet(i);
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }

    println!("\n== Lock: any thread may release it (a Mutex guard could not do this)");
    lock.acquire();
    let l = Arc::clone(&lock);
    thread::spawn(move || l.release().unwrap()).join().unwrap();
    println!("released by another thread; locked() = {}", lock.locked());
    match lock.release() {
        Ok(()) => println!("released twice?!"),
        Err(e) => println!("releasing an unlocked lock: RuntimeError({e:?}) \"{e}\""),
    }

    println!("\n== RLock: the owner may re-acquire; other threads wait for the last release");
    let rlock = Arc::new(RLock::new());
    rlock.acquire();
    rlock.acquire();
    println!("depth = {}", rlock.recursion_count());
    let r = Arc::clone(&rlock);
    let other = thread::spawn(move || {
        let got = r.try_acquire();
        let err = r.release().unwrap_err();
        (got, err)
    })
    .join()
    .unwrap();
    println!("other thread: try_acquire() = {}, release() = Err(\"{}\")", other.0, other.1);
    rlock.release().unwrap();
    rlock.release().unwrap();
    println!("after two releases: locked() = {}\n", rlock.locked());
}
