//! Tour: `Barrier`, the server/client example of Python's `threading` docs, and a barrier
//! whose action runs once per round.

use std::sync::{Arc, mpsc};
use std::thread;
use std::time::Duration;

use threading::Barrier;

const CONNECTIONS: usize = 3;
const WORKERS: usize = 3;
const ROUNDS: usize = 2;

/// Runs this part of the tour.
pub(crate) fn run() {
    println!("== Barrier: a server and a client start together (`Barrier(2, timeout=5)`)");
    // b = Barrier(2, timeout=5)
    let b = Arc::new(Barrier::builder(2).timeout(Duration::from_secs(5)).build());
    let (connect, accept) = mpsc::channel::<(usize, mpsc::Sender<String>)>();

    let server = {
        let b = Arc::clone(&b);
        thread::spawn(move || {
            println!("server: started"); // start_server()
            let index = b.wait().expect("the client arrived in time");
            println!("server: passed the barrier (arrival index {index})");
            for (n, reply) in accept.iter().take(CONNECTIONS) {
                // connection = accept_connection(); process_server_connection(connection)
                reply.send(format!("hello, connection {n}")).unwrap();
            }
        })
    };
    let client = {
        let b = Arc::clone(&b);
        thread::spawn(move || {
            let index = b.wait().expect("the server arrived in time");
            println!("client: passed the barrier (arrival index {index})");
            for n in 0..CONNECTIONS {
                // connection = make_connection(); process_client_connection(connection)
                let (reply, answer) = mpsc::channel();
                connect.send((n, reply)).unwrap();
                println!("client: {}", answer.recv().unwrap());
            }
        })
    };
    server.join().unwrap();
    client.join().unwrap();

    println!("\n== Barrier: {WORKERS} workers, {ROUNDS} rounds, an action printed once per round");
    let round = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let r = Arc::clone(&round);
    let barrier = Arc::new(Barrier::with_action(WORKERS, move || {
        // Runs in the last thread to arrive, before anyone is released.
        let n = r.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        println!("   -- round {n} complete: all {WORKERS} workers arrived --");
    }));
    let workers: Vec<_> = (0..WORKERS)
        .map(|w| {
            let barrier = Arc::clone(&barrier);
            thread::spawn(move || {
                for n in 0..ROUNDS {
                    println!("worker {w}: finished step {n}");
                    barrier.wait().unwrap();
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }

    println!("\n== Barrier: a wait that times out breaks the barrier for everyone");
    let lonely = Barrier::new(2);
    println!(
        "wait_timeout(10 ms) with nobody else = {:?}",
        lonely.wait_timeout(Duration::from_millis(10))
    );
    println!("broken = {}; a later wait = {:?}", lonely.broken(), lonely.wait());
    lonely.reset();
    println!("after reset(): broken = {}\n", lonely.broken());
}
