//! Behaviour tests for [`threading::Local`]: CPython's `Lib/test/test_threading_local.py`, the
//! doctest of `Lib/_threading_local.py` (the seed demo) and the LOCAL-xx rows of
//! `python-semantics.md` §11, plus the Rust-side guarantees: a new thread never sees an old
//! value, every value is dropped exactly once (at its thread's exit or with the `Local`), and
//! memory returns to where it was after many threads and many `Local`s.
//!
//! Test names carry the row ID (`local_05_...`), the CPython test name (`test_...`) or say
//! what they check. Python's weak references become [`Census`] counters of live values.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Barrier, Mutex, Weak};
use std::thread;
use std::time::Duration;

use threading::Local;
use threading_core::thread::current_id;
use threading_local::__stats;
use threading_tests::{Bunch, wait_until};

/// Counts the values a test creates and drops (Python's weak-reference checks).
#[derive(Debug, Default)]
struct Census {
    created: AtomicUsize,
    dropped: AtomicUsize,
    /// `current_id()` of the thread that dropped each value, in order.
    dropped_on: Mutex<Vec<usize>>,
}

impl Census {
    fn new() -> Arc<Census> {
        Arc::new(Census::default())
    }

    fn created(&self) -> usize {
        self.created.load(SeqCst)
    }

    fn dropped(&self) -> usize {
        self.dropped.load(SeqCst)
    }

    fn live(&self) -> usize {
        self.created() - self.dropped()
    }

    fn dropped_on(&self) -> Vec<usize> {
        self.dropped_on.lock().unwrap().clone()
    }
}

/// A per-thread value counted by a [`Census`]; `n` is its payload.
struct Tracked {
    n: Cell<u64>,
    census: Arc<Census>,
}

impl Tracked {
    fn new(census: &Arc<Census>, n: u64) -> Tracked {
        census.created.fetch_add(1, SeqCst);
        Tracked { n: Cell::new(n), census: Arc::clone(census) }
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.census.dropped_on.lock().unwrap().push(current_id());
        self.census.dropped.fetch_add(1, SeqCst);
    }
}

/// A `Local` of [`Tracked`] values starting at `n`.
fn tracked(census: &Arc<Census>, n: u64) -> Local<Tracked> {
    let census = Arc::clone(census);
    Local::new(move || Tracked::new(&census, n))
}

/// Runs `f` on a new thread and returns its result (re-raising its panic).
fn on_thread<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
    thread::spawn(f).join().unwrap_or_else(|p| panic::resume_unwind(p))
}

// ---------------------------------------------------------------------------------------------
// The doctest of Lib/_threading_local.py (the seed demo)

/// A Python attribute value in the doctest: an int or a list.
#[derive(Debug, Clone, PartialEq)]
enum Attr {
    Int(i64),
    List(Vec<i64>),
}

/// A `local()`'s per-thread `__dict__`.
type Dict = RefCell<BTreeMap<&'static str, Attr>>;

/// The doctest's `f`: logs the sorted items of this thread's dict, sets `number = 11`, logs it.
fn doctest_f(mydata: &Local<Dict>, log: &Mutex<Vec<String>>) {
    let items = mydata.with_borrow(|d| format!("{:?}", d.iter().collect::<Vec<_>>()));
    log.lock().unwrap().push(items);
    mydata.with_borrow_mut(|d| d.insert("number", Attr::Int(11)));
    let number = mydata.with_borrow(|d| d["number"].clone());
    log.lock().unwrap().push(format!("{number:?}"));
}

#[test]
fn seed_demo_child_thread_sets_its_own_value_main_unchanged() {
    // >>> mydata = local(); mydata.number = 42; mydata.number
    let mydata: Arc<Local<Dict>> = Arc::new(Local::default());
    mydata.with_borrow_mut(|d| d.insert("number", Attr::Int(42)));
    assert_eq!(mydata.with_borrow(|d| d["number"].clone()), Attr::Int(42));
    // >>> mydata.__dict__ ; mydata.__dict__.setdefault('widgets', [])
    assert_eq!(mydata.with_borrow(|d| d.clone()), BTreeMap::from([("number", Attr::Int(42))]));
    let widgets =
        mydata.with_borrow_mut(|d| d.entry("widgets").or_insert(Attr::List(vec![])).clone());
    assert_eq!(widgets, Attr::List(vec![]));
    // >>> thread = threading.Thread(target=f); thread.start(); thread.join(); log
    let log = Arc::new(Mutex::new(Vec::new()));
    let (d, l) = (Arc::clone(&mydata), Arc::clone(&log));
    on_thread(move || doctest_f(&d, &l));
    assert_eq!(*log.lock().unwrap(), ["[]", "Int(11)"]);
    // >>> mydata.number
    assert_eq!(mydata.with_borrow(|d| d["number"].clone()), Attr::Int(42));
}

/// The doctest's `MyLocal(local)`: class attribute `number = 2`, `__init__(**kw)` filling the
/// per-thread dict, and a method.
struct MyLocal {
    dict: RefCell<BTreeMap<&'static str, Attr>>,
}

impl MyLocal {
    /// The class attribute: a default every thread sees until it sets its own `number`.
    const NUMBER: i64 = 2;

    fn new(kw: &[(&'static str, Attr)]) -> MyLocal {
        MyLocal { dict: RefCell::new(kw.iter().cloned().collect()) }
    }

    fn number(&self) -> i64 {
        match self.dict.borrow().get("number") {
            Some(Attr::Int(n)) => *n,
            _ => Self::NUMBER,
        }
    }

    fn squared(&self) -> i64 {
        self.number().pow(2)
    }
}

#[test]
fn seed_demo_subclass_init_replayed_in_each_thread_with_its_arguments() {
    // >>> mydata = MyLocal(color='red')
    let kw = vec![("color", Attr::Int(0xff0000))];
    let mydata = Arc::new(Local::new(move || MyLocal::new(&kw)));
    assert_eq!(mydata.with(MyLocal::number), 2);
    assert_eq!(mydata.with(|m| m.dict.borrow()["color"].clone()), Attr::Int(0xff0000));
    // >>> del mydata.color ; mydata.squared()
    mydata.with(|m| m.dict.borrow_mut().remove("color"));
    assert_eq!(mydata.with(MyLocal::squared), 4);
    // The thread runs __init__ again, with the same arguments: [[('color', 'red')], 11].
    let log = Arc::new(Mutex::new(Vec::new()));
    let (d, l) = (Arc::clone(&mydata), Arc::clone(&log));
    on_thread(move || {
        let items = d.with(|m| format!("{:?}", m.dict.borrow().iter().collect::<Vec<_>>()));
        l.lock().unwrap().push(items);
        d.with(|m| m.dict.borrow_mut().insert("number", Attr::Int(11)));
        l.lock().unwrap().push(d.with(MyLocal::number).to_string());
    });
    assert_eq!(*log.lock().unwrap(), ["[(\"color\", Int(16711680))]", "11"]);
    // Without affecting this thread's data: number is the default, color is gone.
    assert_eq!(mydata.with(MyLocal::number), 2);
    assert!(mydata.with(|m| !m.dict.borrow().contains_key("color")));
}

/// LOCAL-09: `__slots__` of a `local` subclass are shared by all threads. In Rust, shared
/// state simply lives outside the `Local`.
struct Slotted {
    number: AtomicUsize,
    per_thread: Local<Cell<usize>>,
}

#[test]
fn local_09_slots_are_shared_state_kept_outside_the_local() {
    let mydata = Arc::new(Slotted { number: AtomicUsize::new(42), per_thread: Local::default() });
    mydata.per_thread.set(1);
    let d = Arc::clone(&mydata);
    on_thread(move || {
        d.number.store(11, SeqCst);
        d.per_thread.set(2);
    });
    assert_eq!(mydata.number.load(SeqCst), 11, "shared state is shared");
    assert_eq!(mydata.per_thread.get(), 1, "per-thread state is not");
}

// ---------------------------------------------------------------------------------------------
// LOCAL rows and test_threading_local.py

/// CPython's `_test_one_class`: `f1` sets `x` and `y`, deletes `y` and stays alive; `f2`, in
/// another thread, must not see `x` (LOCAL-01).
#[test]
fn local_01_test_threading_local_attribute_set_in_one_thread_is_absent_in_another() {
    let obj: Arc<Local<Dict>> = Arc::new(Local::default());
    let (e1, e2) = (Arc::new(Barrier::new(2)), Arc::new(Barrier::new(2)));
    let t1 = {
        let (obj, e1, e2) = (Arc::clone(&obj), Arc::clone(&e1), Arc::clone(&e2));
        thread::spawn(move || {
            obj.with_borrow_mut(|d| {
                d.insert("x", Attr::Int(1));
                d.insert("y", Attr::Int(2));
                d.remove("y");
            });
            e1.wait();
            e2.wait();
            obj.with_borrow(|d| d.get("x").cloned())
        })
    };
    e1.wait();
    let o = Arc::clone(&obj);
    let seen_by_t2 = on_thread(move || o.with_borrow(|d| d.get("x").cloned()));
    assert_eq!(seen_by_t2, None, "incorrectly got a value set by another thread");
    e2.wait();
    assert_eq!(t1.join().unwrap(), Some(Attr::Int(1)), "f1's own value is intact");
}

/// LOCAL-02: a new thread starts from the initialiser; its writes do not affect others.
#[test]
fn local_02_new_threads_start_empty_and_their_writes_stay_local() {
    let d: Arc<Local<Cell<u64>>> = Arc::new(Local::default());
    d.set(42);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (d2, s) = (Arc::clone(&d), Arc::clone(&seen));
    Bunch::new(5, false, move |i| {
        let fresh = d2.get();
        d2.set(100 + i as u64);
        s.lock().unwrap().push((fresh, d2.get() - 100 == i as u64));
    })
    .wait_for_finished();
    assert_eq!(*seen.lock().unwrap(), vec![(0, true); 5]);
    assert_eq!(d.get(), 42);
}

/// LOCAL-03: `__dict__` is this thread's dict. In Rust the value *is* the dict; the
/// `RefCell` helpers may replace it, which Python forbids (a documented difference).
#[test]
fn local_03_test_dict_attribute_the_value_is_per_thread() {
    let obj: Local<Dict> = Local::default();
    obj.with_borrow_mut(|d| d.insert("x", Attr::Int(5)));
    assert_eq!(obj.with_borrow(|d| d.clone()), BTreeMap::from([("x", Attr::Int(5))]));
    thread::scope(|s| {
        s.spawn(|| assert!(obj.with_borrow(BTreeMap::is_empty)));
    });
    let old = obj.replace(BTreeMap::new());
    assert_eq!(old.len(), 1);
    assert!(obj.with_borrow(BTreeMap::is_empty));
}

/// LOCAL-04/05, CPython's `test_arguments`: arguments are captured by the initialiser, which
/// runs once in each thread that uses the object, with those arguments.
#[test]
fn local_04_test_arguments_are_captured_and_replayed_per_thread() {
    let calls = Arc::new(AtomicUsize::new(0));
    let (args, c) = ((1, String::from("a")), Arc::clone(&calls));
    let mylocal = Arc::new(Local::new(move || {
        c.fetch_add(1, SeqCst);
        RefCell::new(args.clone())
    }));
    assert_eq!(mylocal.with_borrow(|a| a.clone()), (1, String::from("a")));
    mylocal.with_borrow_mut(|a| a.0 = 99);
    let m = Arc::clone(&mylocal);
    Bunch::new(4, false, move |_| {
        assert_eq!(m.with_borrow(|a| a.clone()), (1, String::from("a")));
        m.with_borrow_mut(|a| a.0 += 1);
        assert_eq!(m.with_borrow(|a| a.0), 2);
    })
    .wait_for_finished();
    assert_eq!(mylocal.with_borrow(|a| a.0), 99);
    assert_eq!(calls.load(SeqCst), 5, "once on the main thread and once per thread");
}

/// LOCAL-05: the initialiser runs on a thread's first use only, however often it is used.
#[test]
fn local_05_init_runs_once_per_thread() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = Arc::clone(&calls);
    let local = Arc::new(Local::new(move || Cell::new(c.fetch_add(1, SeqCst))));
    for _ in 0..100 {
        local.with(|_| ());
    }
    assert_eq!(calls.load(SeqCst), 1);
    let l = Arc::clone(&local);
    Bunch::new(3, false, move |_| {
        for _ in 0..100 {
            let _ = l.get();
        }
    })
    .wait_for_finished();
    assert_eq!(calls.load(SeqCst), 4);
}

/// LOCAL-06: class attributes and methods are shared: `sq()` gives 4 in every thread.
#[test]
fn local_06_methods_and_class_defaults_work_in_every_thread() {
    let mydata = Arc::new(Local::new(|| MyLocal::new(&[])));
    assert_eq!(mydata.with(MyLocal::squared), 4);
    let m = Arc::clone(&mydata);
    Bunch::new(3, false, move |_| assert_eq!(m.with(MyLocal::squared), 4)).wait_for_finished();
}

/// LOCAL-07: a thread's value is dropped when the thread exits (before `join` returns), on
/// that thread.
#[test]
fn local_07_value_dropped_when_its_thread_exits() {
    let census = Census::new();
    let local = Arc::new(tracked(&census, 0));
    let l = Arc::clone(&local);
    let owner = on_thread(move || {
        l.with(|v| v.n.set(1));
        current_id()
    });
    assert_eq!((census.created(), census.dropped()), (1, 1));
    assert_eq!(census.dropped_on(), [owner], "dropped on its own thread");
    drop(local);
    assert_eq!(census.dropped(), 1, "not dropped again with the Local");
}

/// LOCAL-08: dropping the `Local` drops every thread's value, those of threads still running
/// included; their exits later drop nothing more.
#[test]
fn local_08_every_value_dropped_with_the_local() {
    let census = Census::new();
    let local = Arc::new(tracked(&census, 0));
    local.with(|_| ());
    let refs = Arc::new(Mutex::new(vec![Arc::clone(&local); 5]));
    let (r, used) = (Arc::clone(&refs), Arc::new(AtomicUsize::new(0)));
    let u = Arc::clone(&used);
    let bunch = Bunch::new(5, true, move |_| {
        let l = r.lock().unwrap().pop().unwrap();
        l.with(|v| v.n.set(1));
        drop(l);
        u.fetch_add(1, SeqCst);
    });
    wait_until("every thread has a value", || used.load(SeqCst) == 5);
    assert_eq!(census.live(), 6);
    drop(local); // the last reference, while the five threads are alive
    assert_eq!(census.live(), 0, "every value dropped with the Local");
    bunch.do_finish();
    bunch.wait_for_finished();
    assert_eq!(census.dropped(), 6, "each value exactly once");
}

/// LOCAL-08 with the threads alive: the last reference is dropped on yet another thread, which
/// drops every value (the main thread's and those of threads still running); their exits drop
/// nothing more.
#[test]
fn drop_local_from_another_thread_drops_every_value_there() {
    let census = Census::new();
    let local = Arc::new(tracked(&census, 0));
    local.with(|_| ());
    let ready = Arc::new(Barrier::new(4));
    let finish = Arc::new(Barrier::new(4));
    let threads: Vec<_> = (0..3)
        .map(|_| {
            let (l, ready, finish) = (Arc::clone(&local), Arc::clone(&ready), Arc::clone(&finish));
            thread::spawn(move || {
                l.with(|v| v.n.set(1));
                drop(l);
                ready.wait();
                finish.wait();
            })
        })
        .collect();
    ready.wait();
    assert_eq!(census.live(), 4);
    let dropper = on_thread(move || {
        drop(local); // the last reference
        current_id()
    });
    assert_eq!(census.live(), 0, "every value dropped with the Local");
    assert_eq!(census.dropped_on(), vec![dropper; 4], "all of them on the dropping thread");
    finish.wait();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(census.dropped(), 4, "the owners' exits dropped nothing more");
}

/// LOCAL-10, CPython's `test_derived` (bpo-3088): many threads' first uses at once, with an
/// initialiser that sleeps (so threads switch inside it), each reads back its own value.
#[test]
fn local_10_test_derived_concurrent_first_access_with_slow_init() {
    let local = Arc::new(Local::new(|| {
        thread::sleep(Duration::from_millis(10));
        Cell::new(usize::MAX)
    }));
    let start = Arc::new(Barrier::new(10));
    let l = Arc::clone(&local);
    Bunch::new(10, false, move |i| {
        start.wait();
        l.set(i);
        assert_eq!(l.get(), i);
        thread::yield_now();
        assert_eq!(l.get(), i);
    })
    .wait_for_finished();
}

/// LOCAL-12 (adapted): a thread's value lives as long as the thread, however many other
/// threads come and go (Python: the main thread's locals survive until interpreter exit).
#[test]
fn local_12_a_threads_value_survives_other_threads_exits() {
    static KEEP: Local<Cell<u32>> = Local::const_new(|| Cell::new(0));
    KEEP.set(7);
    for i in 0..20 {
        on_thread(move || KEEP.set(i));
    }
    assert_eq!(KEEP.get(), 7);
}

/// CPython's `test_local_refs` (n = 20, 50, 100): every thread's value is released when the
/// thread ends. The pure-Python implementation may keep the last thread's value alive
/// (`n - 1`); ours releases all `n`.
#[test]
fn test_local_refs_every_exited_threads_value_is_released() {
    struct Weakly(#[allow(dead_code)] Arc<()>);
    let sizes: &[usize] = if cfg!(miri) { &[5, 20] } else { &[20, 50, 100] };
    for &n in sizes {
        let local: Arc<Local<RefCell<Option<Weakly>>>> = Arc::new(Local::default());
        let weaklist: Arc<Mutex<Vec<Weak<()>>>> = Arc::new(Mutex::new(Vec::new()));
        for _ in 0..n {
            let (local, weaklist) = (Arc::clone(&local), Arc::clone(&weaklist));
            on_thread(move || {
                let weak = Arc::new(());
                weaklist.lock().unwrap().push(Arc::downgrade(&weak));
                local.set(Some(Weakly(weak)));
            });
        }
        let weaklist = weaklist.lock().unwrap();
        assert_eq!(weaklist.len(), n);
        let dead = weaklist.iter().filter(|w| w.upgrade().is_none()).count();
        assert_eq!(dead, n);
        // "Assignment to the same thread local frees it sometimes": not needed here.
        local.set(None);
        assert_eq!(weaklist.iter().filter(|w| w.upgrade().is_none()).count(), n);
    }
}

/// CPython's `test_derived_cycle_dealloc` (bpo-6990): a thread drops a `Local` it used; new
/// `Local`s, which reuse its id, must have no value in that thread.
#[test]
fn test_derived_cycle_dealloc_new_locals_reusing_ids_are_empty() {
    type Foo = Local<RefCell<Option<&'static str>>>;
    let (e1, e2) = (Arc::new(Barrier::new(2)), Arc::new(Barrier::new(2)));
    let locals: Arc<Mutex<Vec<Foo>>> = Arc::new(Mutex::new(Vec::new()));
    let t = {
        let (e1, e2, locals) = (Arc::clone(&e1), Arc::clone(&e2), Arc::clone(&locals));
        thread::spawn(move || {
            let cycle: Foo = Local::default();
            cycle.set(Some("bar"));
            drop(cycle);
            e1.wait();
            e2.wait();
            let locals = locals.lock().unwrap();
            let passed = locals.iter().all(|l| l.try_with(|_| ()).is_none());
            let fresh = locals.iter().all(|l| l.with_borrow(Option::is_none));
            (passed, fresh)
        })
    };
    e1.wait();
    locals.lock().unwrap().extend((0..10).map(|_| Local::default()));
    for l in locals.lock().unwrap().iter() {
        l.with(|_| ()); // give each its id (the freed one first)
    }
    e2.wait();
    assert_eq!(t.join().unwrap(), (true, true));
}

/// CPython's `test_cycle_collection`, adapted: Rust has no cycle collector, so a value that
/// holds an `Arc` to the object owning its `Local` keeps it alive while that value lives. A
/// thread's value is released when the thread exits, which breaks such a cycle; on a live
/// thread the cycle lasts until the value is taken out (as any `Arc` cycle would).
#[test]
fn test_cycle_collection_adapted_cycles_break_when_the_thread_exits() {
    struct X {
        local: Local<RefCell<Option<Arc<X>>>>,
    }
    let x = Arc::new(X { local: Local::default() });
    let wr = Arc::downgrade(&x);
    let x2 = Arc::clone(&x);
    on_thread(move || {
        let me = Arc::clone(&x2);
        x2.local.set(Some(me)); // x.local.x = x, in this thread
    });
    drop(x);
    assert!(wr.upgrade().is_none(), "the thread's exit released the cycle");

    // The same cycle on a live thread: kept alive until the value is taken out.
    let x = Arc::new(X { local: Local::default() });
    let wr = Arc::downgrade(&x);
    x.local.set(Some(Arc::clone(&x)));
    drop(x);
    let x = wr.upgrade().expect("an Arc cycle is not collected");
    drop(x.local.take());
    drop(x);
    assert!(wr.upgrade().is_none());
}

/// CPython's `test_threading_local_clear_race` (gh-100892): `Local`s created and dropped
/// while threads that used them exit; every value is dropped exactly once.
#[test]
fn test_threading_local_clear_race_drops_race_thread_exits() {
    let census = Census::new();
    // Under Miri every basic block is interpreted: fewer rounds and Locals, the same race.
    let (rounds, per_round) = if cfg!(miri) { (4, 10) } else { (20, 50) };
    for _ in 0..rounds {
        let locals: Vec<Arc<Local<Tracked>>> =
            (0..per_round).map(|i| Arc::new(tracked(&census, i))).collect();
        let mine: Vec<_> = locals.iter().map(Arc::clone).collect();
        let t = thread::spawn(move || {
            for l in &mine {
                l.with(|_| ());
            }
            // Exit while the main thread drops the Locals.
        });
        for l in &locals {
            l.with(|_| ());
        }
        drop(locals);
        t.join().unwrap();
    }
    wait_until("every value dropped", || census.live() == 0);
    assert_eq!(census.created(), rounds * per_round as usize * 2);
    assert_eq!(census.dropped(), census.created());
}

// ---------------------------------------------------------------------------------------------
// Rust-side guarantees

/// A new thread always starts from the initialiser, never from a value an exited thread left
/// behind (the `thread_local` crate hands a dead thread's slot, value included, to the next).
#[test]
fn new_threads_never_see_a_previous_threads_value() {
    let local: Arc<Local<Cell<u64>>> = Arc::new(Local::new(|| Cell::new(0)));
    for i in 1..=if cfg!(miri) { 30 } else { 200 } {
        let l = Arc::clone(&local);
        let (before, had) = on_thread(move || {
            let had = l.try_with(|_| ()).is_some();
            let before = l.get();
            l.set(i);
            (before, had)
        });
        assert_eq!((before, had), (0, false), "thread {i} saw an old value");
    }
}

/// 10,000 short threads using three `Local`s: every value is dropped at its thread's exit and
/// the registry returns to where it was (no tables left behind, no ids leaked).
#[test]
fn ten_thousand_short_threads_memory_returns_to_baseline() {
    let baseline_tables = __stats::live_tables();
    let census = Census::new();
    let locals: Arc<[Local<Tracked>; 3]> =
        Arc::new([tracked(&census, 1), tracked(&census, 2), tracked(&census, 3)]);
    const THREADS: usize = if cfg!(miri) { 64 } else { 10_000 };
    const AT_ONCE: usize = 8;
    for _ in 0..THREADS / AT_ONCE {
        let handles: Vec<_> = (0..AT_ONCE)
            .map(|_| {
                let locals = Arc::clone(&locals);
                thread::spawn(move || {
                    for (k, l) in locals.iter().enumerate() {
                        assert_eq!(l.with(|v| v.n.get()), k as u64 + 1);
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
    }
    assert_eq!(census.created(), 3 * THREADS);
    assert_eq!(census.live(), 0, "a value outlived its thread");
    // Other tests run in parallel and may hold tables for a moment.
    wait_until("thread tables back to baseline", || __stats::live_tables() <= baseline_tables);
}

/// The process-wide counters see what is alive: four threads parked holding a table each
/// (plus this one), three `Local`s in use. Lower bounds only: tests running in parallel add
/// their own tables and ids. The counters' exact arithmetic is unit-tested in `table.rs`.
#[test]
fn stats_count_live_tables_and_ids_in_use() {
    let census = Census::new();
    let locals: Arc<[Local<Tracked>; 3]> =
        Arc::new([tracked(&census, 1), tracked(&census, 2), tracked(&census, 3)]);
    for l in locals.iter() {
        l.with(|_| ());
    }
    let (inside, leave) = (Arc::new(Barrier::new(5)), Arc::new(Barrier::new(5)));
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let (locals, inside, leave) =
                (Arc::clone(&locals), Arc::clone(&inside), Arc::clone(&leave));
            thread::spawn(move || {
                locals[0].with(|_| ());
                inside.wait();
                leave.wait();
            })
        })
        .collect();
    inside.wait();
    let (tables, in_use, high) =
        (__stats::live_tables(), __stats::ids_in_use(), __stats::id_high_water());
    leave.wait();
    for h in handles {
        h.join().unwrap();
    }
    assert!(tables >= 5, "4 parked threads and this one have tables, counted {tables}");
    assert!(in_use >= 3, "3 Locals in use, counted {in_use}");
    // Read after `in_use`, and the mark never goes down.
    assert!(high >= in_use, "high-water mark {high} below the ids in use {in_use}");
}

/// Many `Local`s created, used and dropped one after another: ids are reused, so the highest
/// id stays small, and no value survives its `Local`.
#[test]
fn many_locals_reuse_ids() {
    let census = Census::new();
    let before = __stats::id_high_water();
    let n: u64 = if cfg!(miri) { 300 } else { 10_000 };
    for i in 0..n {
        let l = tracked(&census, i);
        assert_eq!(l.with(|v| v.n.get()), i);
    }
    assert_eq!(census.live(), 0);
    // Slack for the Locals that tests running in parallel keep alive (without reuse, the
    // mark would grow by n).
    let grown = __stats::id_high_water() - before;
    assert!(grown < n as usize / 10, "ids are not reused: the high-water mark grew by {grown}");
}

/// Several threads each juggle many `Local`s, created, kept and dropped in interleaved
/// orders: each thread only ever sees its own values and every value is dropped once.
#[test]
fn many_threads_many_locals_interleaved() {
    const PER_THREAD: u64 = if cfg!(miri) { 40 } else { 300 };
    let census = Census::new();
    let shared: Arc<Vec<Local<Tracked>>> =
        Arc::new((0..16).map(|i| tracked(&census, 1000 + i)).collect());
    let c = Arc::clone(&census);
    let s = Arc::clone(&shared);
    Bunch::new(4, false, move |t| {
        let mut kept: Vec<Local<Tracked>> = Vec::new();
        for i in 0..PER_THREAD {
            let l = tracked(&c, i);
            l.with(|v| v.n.set(v.n.get() * 10 + t as u64));
            assert_eq!(l.with(|v| v.n.get()), i * 10 + t as u64);
            let shared = &s[(i as usize) % s.len()];
            shared.with(|v| {
                if v.n.get() >= 1000 {
                    v.n.set(t as u64);
                }
                assert_eq!(v.n.get(), t as u64, "saw another thread's value");
            });
            if i % 3 == 0 {
                kept.push(l);
            }
            if i % 7 == 0 {
                kept.drain(..kept.len() / 2);
            }
        }
    })
    .wait_for_finished();
    drop(shared);
    assert_eq!(census.live(), 0);
    assert_eq!(census.created(), 4 * PER_THREAD as usize + 4 * 16);
}

/// `set` starts a thread's value without running the initialiser (as `LocalKey::set`);
/// `get`, `replace`, `take` and the `RefCell` helpers run it on first use.
#[test]
fn cell_and_refcell_helpers() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = Arc::clone(&calls);
    let cell = Local::new(move || {
        c.fetch_add(1, SeqCst);
        Cell::new(5)
    });
    cell.set(1);
    assert_eq!((cell.get(), calls.load(SeqCst)), (1, 0));
    thread::scope(|s| {
        s.spawn(|| {
            assert_eq!(cell.replace(6), 5);
            assert_eq!(cell.take(), 6);
            assert_eq!(cell.get(), 0);
        });
    });
    assert_eq!((cell.get(), calls.load(SeqCst)), (1, 1));

    let calls = Arc::new(AtomicUsize::new(0));
    let c = Arc::clone(&calls);
    let list = Local::new(move || {
        c.fetch_add(1, SeqCst);
        RefCell::new(vec![0])
    });
    list.set(vec![1, 2]);
    assert_eq!(calls.load(SeqCst), 0);
    list.with_borrow_mut(|v| v.push(3));
    assert_eq!(list.with_borrow(Vec::clone), [1, 2, 3]);
    assert_eq!(list.replace(vec![9]), [1, 2, 3]);
    assert_eq!(list.take(), [9]);
    assert!(list.with_borrow(Vec::is_empty));
    thread::scope(|s| {
        s.spawn(|| assert_eq!(list.take(), [0]));
    });
    assert_eq!(calls.load(SeqCst), 1);
    // `set` while borrowed panics, as `RefCell` does, and changes nothing.
    let r = panic::catch_unwind(AssertUnwindSafe(|| list.with_borrow(|_| list.set(vec![7]))));
    assert!(r.is_err());
    assert!(list.with_borrow(Vec::is_empty));
}

/// A panicking initialiser stores nothing; the next use runs it again.
#[test]
fn init_panic_stores_nothing_and_the_next_use_retries() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = Arc::clone(&calls);
    let local = Local::new(move || {
        if c.fetch_add(1, SeqCst) == 0 {
            panic!("first init fails");
        }
        Cell::new(3)
    });
    let r = panic::catch_unwind(AssertUnwindSafe(|| local.get()));
    assert!(r.is_err());
    assert_eq!(local.try_with(Cell::get), None, "nothing stored");
    assert_eq!(local.get(), 3);
    assert_eq!(calls.load(SeqCst), 2);
}

/// An initialiser that uses its own `Local` (recursive initialisation): the value the inner
/// use stored is kept, and the outer one is dropped.
#[test]
fn recursive_init_keeps_the_inner_value() {
    let census = Census::new();
    let c = Arc::clone(&census);
    let depth = Arc::new(AtomicUsize::new(0));
    let d = Arc::clone(&depth);
    let local: Arc<Mutex<Option<Arc<Local<Tracked>>>>> = Arc::new(Mutex::new(None));
    let me = Arc::clone(&local);
    let l = Arc::new(Local::new(move || {
        let level = d.fetch_add(1, SeqCst);
        if level == 0 {
            let inner = me.lock().unwrap().clone().unwrap();
            assert_eq!(inner.with(|v| v.n.get()), 2, "the inner use initialises");
        }
        Tracked::new(&c, level as u64 + 1)
    }));
    *local.lock().unwrap() = Some(Arc::clone(&l));
    assert_eq!(l.with(|v| v.n.get()), 2, "the inner (second) initialisation's value");
    assert_eq!((census.created(), census.dropped()), (2, 1));
    *local.lock().unwrap() = None;
    drop(l);
    assert_eq!(census.live(), 0);
}

/// A value whose `Drop` uses `Local`s while its thread exits: it gets fresh values, which are
/// dropped too before the thread is gone; nothing panics and nothing leaks.
#[test]
fn value_drop_may_use_locals_during_thread_exit() {
    struct UsesLocals {
        others: Arc<Local<Tracked>>,
        log: Arc<Mutex<Vec<u64>>>,
    }
    impl Drop for UsesLocals {
        fn drop(&mut self) {
            // This thread's value of `others` may be gone already (dropped in the same
            // teardown): then this builds a fresh one, which the teardown drops as well.
            let n = self.others.with(|v| v.n.get());
            self.log.lock().unwrap().push(n);
        }
    }
    let census = Census::new();
    let others = Arc::new(tracked(&census, 8));
    let log = Arc::new(Mutex::new(Vec::new()));
    let (o, l) = (Arc::clone(&others), Arc::clone(&log));
    let user =
        Arc::new(Local::new(move || UsesLocals { others: Arc::clone(&o), log: Arc::clone(&l) }));
    let (u, o) = (Arc::clone(&user), Arc::clone(&others));
    on_thread(move || {
        o.with(|v| v.n.set(9));
        u.with(|_| ());
    });
    let log = log.lock().unwrap().clone();
    assert!(log == [9] || log == [8], "the value's Drop saw {log:?}");
    assert_eq!(census.live(), 0, "values created during the thread's exit are dropped too");
}

/// `Debug` shows the calling thread's value only, never another thread's, and never runs the
/// initialiser.
#[test]
fn debug_never_touches_other_threads_values() {
    static FORMATTED: AtomicUsize = AtomicUsize::new(0);
    struct Loud(u32);
    impl fmt::Debug for Loud {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            FORMATTED.fetch_add(1, SeqCst);
            write!(f, "Loud({})", self.0)
        }
    }
    let local = Arc::new(Local::new(|| Loud(1)));
    let (in_use, done) = (Arc::new(Barrier::new(2)), Arc::new(Barrier::new(2)));
    let t = {
        let (l, in_use, done) = (Arc::clone(&local), Arc::clone(&in_use), Arc::clone(&done));
        thread::spawn(move || {
            l.with(|_| {
                in_use.wait();
                done.wait();
            });
        })
    };
    in_use.wait();
    assert_eq!(format!("{local:?}"), "Local { this_thread: None, .. }");
    assert_eq!(FORMATTED.load(SeqCst), 0, "formatted another thread's value");
    local.with(|_| ());
    assert_eq!(format!("{local:?}"), "Local { this_thread: Some(Loud(1)), .. }");
    assert_eq!(FORMATTED.load(SeqCst), 1);
    done.wait();
    t.join().unwrap();
}

/// `try_with` never runs the initialiser and is `None` until this thread has a value.
#[test]
fn try_with_is_none_until_this_thread_has_a_value() {
    let local: Local<Cell<u8>> = Local::new(|| panic!("try_with must not initialise"));
    assert_eq!(local.try_with(Cell::get), None);
    local.set(4);
    assert_eq!(local.try_with(Cell::get), Some(4));
    thread::scope(|s| {
        s.spawn(|| assert_eq!(local.try_with(Cell::get), None));
    });
}

/// A `Local` can be a `static` (`const_new`), shared by reference (scoped threads) or by `Arc`,
/// and `Default` builds `T::default()` in each thread.
#[test]
fn shared_by_static_reference_and_arc() {
    static COUNTER: Local<Cell<u32>> = Local::const_new(|| Cell::new(10));
    COUNTER.set(COUNTER.get() + 1);
    assert_eq!(on_thread(|| COUNTER.get()), 10);
    assert_eq!(COUNTER.get(), 11);

    let by_ref: Local<Cell<u32>> = Local::default();
    by_ref.set(1);
    let sum: u32 = thread::scope(|s| {
        let hs: Vec<_> = (1..=3)
            .map(|i| {
                let r = &by_ref;
                s.spawn(move || {
                    r.set(r.get() + i);
                    r.get()
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).sum()
    });
    assert_eq!((sum, by_ref.get()), (6, 1));

    let by_arc = Arc::new(Local::new(|| Cell::new(String::new())));
    let b = Arc::clone(&by_arc);
    assert_eq!(on_thread(move || b.replace("x".into())), "");
    assert_eq!(by_arc.take(), "");
}
