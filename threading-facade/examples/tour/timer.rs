//! Tour: timers. One that is cancelled before it fires, one that fires.

use std::sync::Arc;
use std::time::{Duration, Instant};

use threading::{Event, Timer};

/// Runs this part of the tour.
pub(crate) fn run() {
    println!("== Timer: one is cancelled before it fires (its thread wakes at once), one fires");

    // Cancelled: its hour never passes, and the cancel wakes its thread at once.
    let started = Instant::now();
    let alarm = Timer::builder().name("alarm").build(Duration::from_secs(3600), || {
        println!("the alarm rang (it should not have)");
    });
    alarm.start().expect("start alarm");
    alarm.cancel();
    alarm.join().expect("join alarm");
    println!("{:?} cancelled after {:?}", alarm, started.elapsed());

    // Fires: after 20 ms it calls its function on its own thread.
    let rang = Arc::new(Event::new());
    let r = Arc::clone(&rang);
    let reminder = Timer::new(Duration::from_millis(20), move || {
        println!("reminder: 20 ms have passed");
        r.set();
    });
    reminder.start().expect("start reminder");
    reminder.join().expect("join reminder");
    println!("fired: {}, finished: {}", rang.is_set(), reminder.finished().is_set());
    println!();
}
