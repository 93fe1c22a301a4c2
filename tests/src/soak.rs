//! The soak engine behind `cargo xtask soak`: every primitive at once, many threads, random
//! timeouts and cancellations, invariants checked on every step (issue 7).
//!
//! [`run`] starts one group of threads per *workload* (one per primitive, some primitives with
//! two flavours), lets them run for [`Config::duration`], stops them and returns a [`Report`]:
//! per workload the operations done, timeouts hit, cancellations, expected errors (a broken
//! barrier, a shut-down queue), the longest single wait seen, and every failure.
//!
//! What counts as a failure:
//!
//! * a broken invariant (two holders of a lock, a lost or duplicated queue item, a future
//!   yielded by `as_completed` whose `done()` is false, ...), reported where it is seen;
//! * a timed wait that reports a timeout before its timeout has passed, or an infinite one
//!   that reports a timeout at all;
//! * a thread stuck in one operation for longer than that operation may take: a timed wait
//!   beyond its timeout plus [`Config::slack`], or a wait for something that happens all the
//!   time in its workload (an `Event` that is set every few milliseconds, a barrier whose other
//!   parties keep coming, a thread that ends in a few milliseconds) beyond [`Config::stall`].
//!   That is a lost wake-up;
//! * a workload in which no operation at all finished for [`Config::stall`]: a deadlock;
//! * a panic in a soak thread, or a thread that does not stop when asked;
//! * a waiter that is not served while the run is quiesced (below): a lost wake-up.
//!
//! What is *not* a failure: one thread waiting long for a contended `Lock`, `RLock`,
//! `Semaphore` or a full queue while the others keep going. Those primitives are unfair, as in
//! Python (a woken waiter can be overtaken), so that is starvation, shown as the workload's
//! "max wait". To tell starvation from a lost wake-up anyway, the monitor *quiesces* the run
//! every [`Config::quiesce_every`]: every thread stops at its next pause point (the top of its
//! loop, where it holds nothing), and then every thread still waiting for a lock or a permit,
//! or for a queue item, buffer slot or notification that is there, must be served within
//! [`Config::slack`]. Nobody is left to overtake it, so one that is not served was not woken.
//! Once that has settled, the monitor itself puts an item into every queue and buffer (or
//! takes one out of a full one), and the waiters still blocked must be served too.
//! (A lost wake-up that the next contender repairs, by waking the oldest waiter, only shows
//! if it happens just before a quiesce; the run's end is a last quiesce of the same kind.)
//!
//! Every choice comes from a seeded [`Rng`] per thread, so a seed names a mix of operations
//! (the interleaving itself still depends on the scheduler).
//!
//! This is test code: it uses `std::sync` freely for its own bookkeeping.

use std::cell::Cell;
use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex, MutexGuard, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use threading::futures::{ReturnWhen, as_completed, as_completed_timeout, wait, wait_timeout};
use threading::{
    Barrier, BoundedSemaphore, Condition, Event, FutureError, LifoQueue, Local, Lock, Lockable,
    PriorityQueue, Queue, RLock, Semaphore, SimpleQueue, Thread, ThreadPoolExecutor, Timer,
};

/// What to run: for how long, how many threads, which seed.
#[derive(Debug, Clone)]
pub struct Config {
    /// How long the workloads run before they are stopped.
    pub duration: Duration,
    /// Threads per workload (at least 2; the pool gets this many submitters).
    pub threads: usize,
    /// The seed of every thread's [`Rng`].
    pub seed: u64,
    /// How long a workload may go without finishing any operation, and a thread may wait for
    /// something that keeps happening, before it counts as a deadlock or lost wake-up.
    pub stall: Duration,
    /// How much longer than its timeout a timed wait may take to return; also how long a
    /// thread waiting for a lock or permit may take to get it once every other thread is
    /// paused.
    pub slack: Duration,
    /// How often the monitor quiesces the run (`None`: never): every thread pauses at its next
    /// pause point, where it holds nothing, so every thread still waiting for a lock or a
    /// permit must get it within [`slack`](Config::slack). That turns a lost wake-up in an
    /// unfair primitive, which otherwise looks like starvation, into a failure.
    pub quiesce_every: Option<Duration>,
}

impl Config {
    /// The defaults (4 threads per workload, seed 1, 10 s stall, 3 s slack, a quiesce every
    /// second) for `duration`.
    pub fn new(duration: Duration) -> Config {
        Config {
            duration,
            threads: 4,
            seed: 1,
            stall: Duration::from_secs(10),
            slack: Duration::from_secs(3),
            quiesce_every: Some(Duration::from_secs(1)),
        }
    }
}

/// A small, fast, seedable PRNG (splitmix64): no `rand` dependency.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// `true` with a probability of `percent` %.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// A random timeout: zero (15 %), up to 1 ms (50 %), 1–5 ms (25 %), and 10 % either
    /// [`Duration::MAX`] ("forever", if `forever` is allowed) or 5–20 ms.
    pub fn timeout(&mut self, forever: bool) -> Duration {
        match self.below(100) {
            0..15 => Duration::ZERO,
            15..65 => Duration::from_micros(1 + self.below(1000)),
            65..90 => Duration::from_micros(1000 + self.below(4000)),
            _ if forever => Duration::MAX,
            _ => Duration::from_micros(5000 + self.below(15_000)),
        }
    }
}

/// splitmix64's output function: a bijection that scrambles its input.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// One workload's numbers at the end of a run.
#[derive(Debug, Clone)]
pub struct WorkloadReport {
    /// The workload (`lock`, `condition(rlock)`, `pool`, ...).
    pub name: &'static str,
    /// How many soak threads ran it.
    pub threads: usize,
    /// Operations finished (acquires, waits, puts, gets, submits, ...).
    pub ops: u64,
    /// Timed operations that timed out.
    pub timeouts: u64,
    /// Cancellations: cancelled timers and futures, aborted barriers.
    pub cancels: u64,
    /// Errors the workload provokes on purpose (a broken barrier, a shut-down queue).
    pub expected_errors: u64,
    /// The longest single blocking operation (for the unfair primitives: starvation).
    pub max_wait: Duration,
    /// Failures seen in this workload.
    pub failures: u64,
}

/// The result of [`run`].
#[derive(Debug, Clone)]
pub struct Report {
    /// The configuration that ran.
    pub config: Config,
    /// How long the run took, stopping and final checks included.
    pub elapsed: Duration,
    /// One entry per workload.
    pub workloads: Vec<WorkloadReport>,
    /// The failure messages (the first [`MAX_MESSAGES`] of them).
    pub failures: Vec<String>,
    /// How many failures there were in all.
    pub failure_count: u64,
    /// How many times the run was quiesced (see [`Config::quiesce_every`]).
    pub quiesces: u64,
    /// The longest quiesce: until every waiter for a lock or permit had got it.
    pub max_quiesce: Duration,
}

/// How many failure messages a [`Report`] keeps.
pub const MAX_MESSAGES: usize = 100;

impl Report {
    /// Whether the run saw no failure at all.
    pub fn is_clean(&self) -> bool {
        self.failure_count == 0
    }

    /// All operations of all workloads.
    pub fn total_ops(&self) -> u64 {
        self.workloads.iter().map(|w| w.ops).sum()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.config;
        writeln!(
            f,
            "soak: seed {}, {:?} requested, {} threads per workload, ran {:.1?}",
            c.seed, c.duration, c.threads, self.elapsed
        )?;
        writeln!(
            f,
            "{:<20} {:>7} {:>11} {:>9} {:>8} {:>8} {:>10} {:>8}",
            "workload", "threads", "ops", "timeouts", "cancels", "expected", "max wait", "failures"
        )?;
        for w in &self.workloads {
            writeln!(
                f,
                "{:<20} {:>7} {:>11} {:>9} {:>8} {:>8} {:>10} {:>8}",
                w.name,
                w.threads,
                w.ops,
                w.timeouts,
                w.cancels,
                w.expected_errors,
                format!("{:.1?}", w.max_wait),
                w.failures
            )?;
        }
        write!(f, "total ops: {}; ", self.total_ops())?;
        if self.quiesces == 0 {
            writeln!(f, "never quiesced (max wait is raw starvation)")?;
        } else {
            writeln!(
                f,
                "quiesced {}x (every waiter served within {:.1?} of it)",
                self.quiesces, self.max_quiesce
            )?;
        }
        if self.is_clean() {
            writeln!(f, "result: clean (0 failures)")
        } else {
            writeln!(f, "result: {} FAILURES", self.failure_count)?;
            for m in &self.failures {
                writeln!(f, "  - {m}")?;
            }
            if self.failure_count > self.failures.len() as u64 {
                writeln!(f, "  ... ({} more)", self.failure_count - self.failures.len() as u64)?;
            }
            Ok(())
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Bookkeeping: statistics, thread slots, the context a worker gets.

#[derive(Default)]
struct Stats {
    ops: AtomicU64,
    timeouts: AtomicU64,
    cancels: AtomicU64,
    expected: AtomicU64,
    max_wait_ns: AtomicU64,
    failures: AtomicU64,
}

/// What one soak thread is doing, for the monitor.
struct Slot {
    workload: usize,
    name: String,
    /// Nanoseconds since the run's start (plus one) at which the current blocking operation
    /// began; 0 while not blocked.
    since: AtomicU64,
    /// How long the current operation may take, in nanoseconds (`u64::MAX`: unlimited).
    limit: AtomicU64,
    what: Mutex<&'static str>,
    /// Waiting at a pause point while the monitor quiesces the run.
    paused: AtomicBool,
    finished: AtomicBool,
}

impl Slot {
    fn new(workload: usize, name: String) -> Slot {
        Slot {
            workload,
            name,
            since: AtomicU64::new(0),
            limit: AtomicU64::new(Limit::UNBOUNDED),
            what: Mutex::new("-"),
            paused: AtomicBool::new(false),
            finished: AtomicBool::new(false),
        }
    }
}

struct Shared {
    config: Config,
    start: Instant,
    stop: AtomicBool,
    /// Set by the monitor to quiesce the run: threads wait at their next pause point.
    paused: AtomicBool,
    quiesces: AtomicU64,
    max_quiesce_ns: AtomicU64,
    stats: Vec<Stats>,
    names: Vec<&'static str>,
    messages: Mutex<Vec<String>>,
    failure_count: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl Shared {
    fn now_ns(&self) -> u64 {
        nanos(self.start.elapsed()).saturating_add(1)
    }

    fn stopped(&self) -> bool {
        self.stop.load(SeqCst)
    }

    fn fail(&self, workload: usize, message: String) {
        self.stats[workload].failures.fetch_add(1, SeqCst);
        self.failure_count.fetch_add(1, SeqCst);
        let at = self.start.elapsed().as_secs_f64();
        let message = format!("[{at:.3}s] {}: {message}", self.names[workload]);
        eprintln!("soak failure: {message}");
        let mut m = lock(&self.messages);
        if m.len() < MAX_MESSAGES {
            m.push(message);
        }
    }
}

/// What a workload's thread works with: its slot, its statistics, the stop flag.
struct Ctx<'a> {
    shared: &'a Shared,
    slot: &'a Slot,
    stats: &'a Stats,
}

impl Ctx<'_> {
    fn stopped(&self) -> bool {
        self.shared.stopped()
    }

    fn fail(&self, message: impl fmt::Display) {
        self.shared.fail(self.slot.workload, format!("{} ({})", message, self.slot.name));
    }

    /// Checks `ok`; a failure with `message` if it does not hold.
    fn check(&self, ok: bool, message: impl FnOnce() -> String) {
        if !ok {
            self.fail(message());
        }
    }

    /// Runs one blocking operation `f` that may take as long as `limit` says, timed and
    /// visible to the monitor; counts it as an operation.
    fn block<R>(&self, what: &'static str, limit: Limit, f: impl FnOnce() -> R) -> (R, Duration) {
        *lock(&self.slot.what) = what;
        self.slot.limit.store(limit.encode(), SeqCst);
        let t0 = Instant::now();
        self.slot.since.store(self.shared.now_ns(), SeqCst);
        let r = f();
        let elapsed = t0.elapsed();
        self.slot.since.store(0, SeqCst);
        self.stats.max_wait_ns.fetch_max(nanos(elapsed), SeqCst);
        self.tick();
        (r, elapsed)
    }

    /// A non-blocking operation finished.
    fn tick(&self) {
        self.stats.ops.fetch_add(1, SeqCst);
    }

    fn cancelled(&self) {
        self.stats.cancels.fetch_add(1, SeqCst);
    }

    fn expected_error(&self) {
        self.stats.expected.fetch_add(1, SeqCst);
    }

    /// The limit for a wait with timeout `t`: `t` plus the slack; `forever` for an infinite
    /// `t`.
    fn timed(&self, t: Duration, forever: Limit) -> Limit {
        if t == Duration::MAX {
            forever
        } else {
            Limit::Within(t.saturating_add(self.shared.config.slack))
        }
    }

    /// The limit for an untimed wait for something that keeps happening.
    fn recurring(&self) -> Limit {
        Limit::Within(self.shared.config.stall)
    }

    /// The top of every worker loop, where the thread holds nothing: waits while the monitor
    /// quiesces the run, then says whether to go on.
    fn running(&self) -> bool {
        self.pause_point();
        !self.stopped()
    }

    /// Waits here (holding nothing) while the monitor quiesces the run.
    fn pause_point(&self) {
        if self.shared.paused.load(SeqCst) {
            self.slot.paused.store(true, SeqCst);
            while self.shared.paused.load(SeqCst) && !self.stopped() {
                thread::sleep(Duration::from_millis(1));
            }
            self.slot.paused.store(false, SeqCst);
        }
    }

    /// A timed operation `what` with timeout `t` timed out after `elapsed`.
    fn timed_out(&self, what: &str, elapsed: Duration, t: Duration) {
        self.stats.timeouts.fetch_add(1, SeqCst);
        if t == Duration::MAX {
            self.fail(format!("{what} with an infinite timeout timed out after {elapsed:?}"));
        } else if elapsed < t {
            self.fail(format!("{what}({t:?}) timed out after only {elapsed:?}"));
        }
    }
}

/// How long a blocking operation may take before the monitor calls it a lost wake-up.
#[derive(Debug, Clone, Copy)]
enum Limit {
    /// At most this long.
    Within(Duration),
    /// Waits for a resource other threads hold only briefly (a lock, a permit): unlimited
    /// while they run (the primitives are unfair: that is starvation), but it must return
    /// within the slack once every other thread is paused (see [`monitor`]).
    Contended,
    /// Waits for other threads' work (an item, a notification): unlimited.
    Unbounded,
}

impl Limit {
    const UNBOUNDED: u64 = u64::MAX;
    const CONTENDED: u64 = u64::MAX - 1;

    fn encode(self) -> u64 {
        match self {
            Limit::Within(d) => nanos(d).min(Limit::CONTENDED - 1),
            Limit::Contended => Limit::CONTENDED,
            Limit::Unbounded => Limit::UNBOUNDED,
        }
    }
}

/// One primitive's part of the soak.
trait Workload: Send + Sync {
    fn name(&self) -> &'static str;
    /// How many soak threads run [`work`](Workload::work).
    fn threads(&self) -> usize;
    /// Thread `index`'s loop: runs until [`Ctx::stopped`] (and whatever `release` needs).
    fn work(&self, ctx: &Ctx<'_>, rng: &mut Rng, index: usize);
    /// Called (repeatedly) after the stop flag is set, to wake threads blocked forever.
    fn release(&self) {}
    /// Whether a thread may stay blocked in the unbounded wait `what` while the run is
    /// quiesced (everybody else paused): only if what it waits for is really not there.
    fn may_block(&self, _what: &'static str) -> bool {
        true
    }
    /// Called by the monitor once a quiesce has settled: hands the threads still blocked in
    /// unbounded waits what they wait for (an item, a free slot), as a producer or consumer
    /// of the workload would, so that they too must be served before the quiesce ends.
    fn probe(&self) {}
    /// The final checks, once every thread of the workload has returned.
    fn finish(&self, _ctx: &Ctx<'_>) {}
}

// ---------------------------------------------------------------------------------------------
// The critical section shared by the lock-like workloads.

/// Sometimes (10 %) sleeps up to a millisecond, holding nothing: without such gaps the other
/// side of a buffer or queue is nearly always there within the waiters' spin-and-yield phase,
/// and their parking path (where a lost wake-up would be) is hardly ever taken.
fn idle(rng: &mut Rng) {
    if rng.chance(10) {
        thread::sleep(Duration::from_micros(rng.below(1000)));
    }
}

/// A counter whose increment is a deliberately racy read-modify-write, plus an overlap
/// detector: two threads inside at once lose an update or see `inside > max`.
#[derive(Default)]
struct Guarded {
    value: AtomicU64,
    inside: AtomicUsize,
    entries: AtomicU64,
}

impl Guarded {
    fn enter(&self, ctx: &Ctx<'_>, rng: &mut Rng, max: usize) {
        let now = self.inside.fetch_add(1, SeqCst) + 1;
        ctx.check(now <= max, || format!("{now} threads inside, at most {max} allowed"));
        let v = self.value.load(SeqCst);
        match rng.below(100) {
            0..5 => thread::sleep(Duration::from_micros(rng.below(300))),
            5..30 => thread::yield_now(),
            _ => {}
        }
        self.value.store(v + 1, SeqCst);
        self.entries.fetch_add(1, SeqCst);
        self.inside.fetch_sub(1, SeqCst);
    }

    fn finish(&self, ctx: &Ctx<'_>) {
        let (v, n) = (self.value.load(SeqCst), self.entries.load(SeqCst));
        ctx.check(v == n, || format!("lost updates: counter {v} after {n} entries"));
    }
}

// ---------------------------------------------------------------------------------------------
// Lock

struct LockWork {
    threads: usize,
    lock: Lock,
    data: Guarded,
}

impl Workload for LockWork {
    fn name(&self) -> &'static str {
        "lock"
    }

    fn threads(&self) -> usize {
        self.threads
    }

    fn work(&self, ctx: &Ctx<'_>, rng: &mut Rng, _index: usize) {
        let lock = &self.lock;
        while ctx.running() {
            let t = rng.timeout(true);
            let got = match rng.below(6) {
                0 => {
                    ctx.block("Lock::acquire", Limit::Contended, || lock.acquire());
                    true
                }
                1 => {
                    let ok = lock.try_acquire();
                    ctx.tick();
                    ok
                }
                2 | 3 => {
                    let (ok, el) =
                        ctx.block("Lock::acquire_timeout", ctx.timed(t, Limit::Contended), || {
                            lock.acquire_timeout(t)
                        });
                    if !ok {
                        ctx.timed_out("Lock::acquire_timeout", el, t);
                    }
                    ok
                }
                4 => {
                    let (g, el) =
                        ctx.block("Lock::lock_timeout", ctx.timed(t, Limit::Contended), || {
                            lock.lock_timeout(t)
                        });
                    match g {
                        Some(_guard) => self.data.enter(ctx, rng, 1),
                        None => ctx.timed_out("Lock::lock_timeout", el, t),
                    }
                    continue;
                }
                _ => {
                    let (_guard, _) = ctx.block("Lock::lock", Limit::Contended, || lock.lock());
                    self.data.enter(ctx, rng, 1);
                    continue;
                }
            };
            if got {
                ctx.check(lock.locked(), || "locked() is false while held".into());
                self.data.enter(ctx, rng, 1);
                if let Err(e) = lock.release() {
                    ctx.fail(format!("release of a held Lock failed: {e}"));
                }
            }
        }
    }

    fn finish(&self, ctx: &Ctx<'_>) {
        self.data.finish(ctx);
        ctx.check(!self.lock.locked(), || "Lock still locked at the end".into());
        ctx.check(self.lock.release().is_err(), || "release of an unlocked Lock succeeded".into());
    }
}

// ---------------------------------------------------------------------------------------------
// RLock

struct RLockWork {
    threads: usize,
    lock: RLock,
    data: Guarded,
}

impl RLockWork {
    /// One acquisition in a random form; `reentrant` ones must succeed at once.
    fn acquire(&self, ctx: &Ctx<'_>, rng: &mut Rng, reentrant: bool) -> bool {
        let lock = &self.lock;
        let t = rng.timeout(true);
        let ok = match rng.below(4) {
            0 => {
                ctx.block("RLock::acquire", Limit::Contended, || lock.acquire());
                true
            }
            1 => {
                ctx.tick();
                lock.try_acquire()
            }
            _ => {
                let (ok, el) =
                    ctx.block("RLock::acquire_timeout", ctx.timed(t, Limit::Contended), || {
                        lock.acquire_timeout(t)
                    });
                if !ok && !reentrant {
                    ctx.timed_out("RLock::acquire_timeout", el, t);
                }
                ok
            }
        };
        ctx.check(ok || !reentrant, || "a re-entrant acquire of an owned RLock failed".into());
        ok
    }
}

impl Workload for RLockWork {
    fn name(&self) -> &'static str {
        "rlock"
    }

    fn threads(&self) -> usize {
        self.threads
    }

    fn work(&self, ctx: &Ctx<'_>, rng: &mut Rng, _index: usize) {
        let lock = &self.lock;
        while ctx.running() {
            if rng.chance(20) {
                // The guard form, nested.
                let t = rng.timeout(true);
                let (g, el) =
                    ctx.block("RLock::lock_timeout", ctx.timed(t, Limit::Contended), || {
                        lock.lock_timeout(t)
                    });
                let Some(_outer) = g else {
                    ctx.timed_out("RLock::lock_timeout", el, t);
                    continue;
                };
                let _inner = lock.lock();
                ctx.check(lock.recursion_count() == 2, || {
                    format!("recursion_count {} under two guards", lock.recursion_count())
                });
                self.data.enter(ctx, rng, 1);
                continue;
            }
            if !self.acquire(ctx, rng, false) {
                continue;
            }
            let depth = 1 + rng.below(4) as usize;
            for _ in 1..depth {
                self.acquire(ctx, rng, true);
            }
            ctx.check(lock.is_owned(), || "is_owned() is false while held".into());
            ctx.check(lock.recursion_count() == depth, || {
                format!("recursion_count {} at depth {depth}", lock.recursion_count())
            });
            self.data.enter(ctx, rng, 1);
            for _ in 0..depth {
                if let Err(e) = lock.release() {
                    ctx.fail(format!("release of an owned RLock failed: {e}"));
                }
            }
            ctx.check(!lock.is_owned(), || "is_owned() after the last release".into());
            if rng.chance(5) {
                ctx.check(lock.release().is_err(), || {
                    "release of an RLock this thread does not own succeeded".into()
                });
            }
        }
    }

    fn finish(&self, ctx: &Ctx<'_>) {
        self.data.finish(ctx);
        ctx.check(!self.lock.locked(), || "RLock still locked at the end".into());
    }
}

// ---------------------------------------------------------------------------------------------
// Condition: a bounded buffer with two conditions over one lock (Python's queue design).

const BUFFER: usize = 4;
const PRODUCER_SHIFT: u32 = 40;

struct CondWork<L: Lockable> {
    name: &'static str,
    threads: usize,
    /// Whether a thread that does not hold the lock is refused a notify (only for an RLock:
    /// a Lock counts as owned when anyone holds it).
    owned_check: bool,
    not_full: Condition<Arc<L>>,
    not_empty: Condition<Arc<L>>,
    /// Only ever touched under the condition lock: `try_lock` failing is an exclusion bug.
    buf: Mutex<VecDeque<u64>>,
    last: Vec<AtomicU64>,
    produced: AtomicU64,
    consumed: AtomicU64,
    /// The monitor's probe items so far (producer number `threads`).
    probes: AtomicU64,
}

impl<L: Lockable + Send + Sync + 'static> CondWork<L> {
    fn new(name: &'static str, threads: usize, lock: L, owned_check: bool) -> CondWork<L> {
        let lock = Arc::new(lock);
        CondWork {
            name,
            threads,
            owned_check,
            not_full: Condition::with_lock(Arc::clone(&lock)),
            not_empty: Condition::with_lock(lock),
            buf: Mutex::new(VecDeque::new()),
            // One more than the threads: the monitor's probe is a producer too.
            last: (0..=threads).map(|_| AtomicU64::new(0)).collect(),
            probes: AtomicU64::new(0),
            produced: AtomicU64::new(0),
            consumed: AtomicU64::new(0),
        }
    }

    fn buf(&self, ctx: &Ctx<'_>) -> Option<MutexGuard<'_, VecDeque<u64>>> {
        let b = self.buf.try_lock().ok();
        if b.is_none() {
            ctx.fail("the buffer is in use by another thread while this one holds the lock");
        }
        b
    }

    fn len(&self, ctx: &Ctx<'_>) -> usize {
        self.buf(ctx).map_or(0, |b| b.len())
    }

    fn produce(&self, ctx: &Ctx<'_>, rng: &mut Rng, index: usize, n: &mut u64) {
        let t = rng.timeout(true);
        let (_guard, _) = ctx.block("Condition::lock", Limit::Contended, || self.not_full.lock());
        let (r, el) = ctx.block("wait_for(not full)", ctx.timed(t, Limit::Unbounded), || {
            self.not_full.wait_for_timeout(|| ctx.stopped() || self.len(ctx) < BUFFER, t)
        });
        match r {
            Err(e) => ctx.fail(format!("wait_for with the lock held failed: {e}")),
            Ok(false) => ctx.timed_out("wait_for_timeout(not full)", el, t),
            Ok(true) if ctx.stopped() => {}
            Ok(true) => {
                if let Some(mut b) = self.buf(ctx) {
                    ctx.check(b.len() < BUFFER, || format!("{} items after wait_for", b.len()));
                    *n += 1;
                    b.push_back(((index as u64) << PRODUCER_SHIFT) | *n);
                    self.produced.fetch_add(1, SeqCst);
                }
                let r = if rng.chance(20) {
                    self.not_empty.notify_all()
                } else {
                    self.not_empty.notify()
                };
                ctx.check(r.is_ok(), || "notify with the lock held failed".into());
            }
        }
    }

    fn consume(&self, ctx: &Ctx<'_>, rng: &mut Rng) {
        let t = rng.timeout(true);
        let (_guard, _) = ctx.block("Condition::lock", Limit::Contended, || self.not_empty.lock());
        let (r, el) = ctx.block("wait_for(not empty)", ctx.timed(t, Limit::Unbounded), || {
            self.not_empty.wait_for_timeout(|| ctx.stopped() || self.len(ctx) > 0, t)
        });
        match r {
            Err(e) => ctx.fail(format!("wait_for with the lock held failed: {e}")),
            Ok(false) => ctx.timed_out("wait_for_timeout(not empty)", el, t),
            Ok(true) => {
                let item = self.buf(ctx).and_then(|mut b| b.pop_front());
                let Some(item) = item else {
                    ctx.check(ctx.stopped(), || "wait_for(not empty) true, buffer empty".into());
                    return;
                };
                self.consumed.fetch_add(1, SeqCst);
                let (p, n) =
                    ((item >> PRODUCER_SHIFT) as usize, item & ((1 << PRODUCER_SHIFT) - 1));
                match self.last.get(p) {
                    Some(last) => {
                        let prev = last.swap(n, SeqCst);
                        ctx.check(prev < n, || {
                            format!("producer {p}'s item {n} after its item {prev}")
                        });
                    }
                    None => ctx.fail(format!("item {item:#x} from no producer")),
                }
                ctx.check(self.not_full.notify().is_ok(), || "notify failed".into());
            }
        }
    }
}

impl<L: Lockable + Send + Sync + 'static> Workload for CondWork<L> {
    fn name(&self) -> &'static str {
        self.name
    }

    fn threads(&self) -> usize {
        self.threads
    }

    fn work(&self, ctx: &Ctx<'_>, rng: &mut Rng, index: usize) {
        let mut n = 0;
        while ctx.running() {
            idle(rng);
            if index.is_multiple_of(2) {
                self.produce(ctx, rng, index, &mut n);
            } else {
                self.consume(ctx, rng);
            }
            if self.owned_check && rng.chance(2) {
                ctx.check(self.not_empty.notify().is_err(), || {
                    "notify without holding the RLock succeeded".into()
                });
                ctx.check(self.not_full.wait_timeout(Duration::ZERO).is_err(), || {
                    "wait without holding the RLock succeeded".into()
                });
            }
        }
    }

    fn may_block(&self, what: &'static str) -> bool {
        // Not `buf` itself: a worker that finds it locked reports an exclusion failure. The
        // counts are bumped under the condition lock, so their difference is its length.
        let (c, p) = (self.consumed.load(SeqCst), self.produced.load(SeqCst));
        let len = p.saturating_sub(c);
        match what {
            "wait_for(not empty)" => len == 0,
            "wait_for(not full)" => len >= BUFFER as u64,
            _ => true,
        }
    }

    fn probe(&self) {
        let _guard = self.not_full.lock();
        let Ok(mut b) = self.buf.try_lock() else { return };
        if b.len() >= BUFFER {
            // Producers may wait for room: take one item and say so.
            if b.pop_front().is_some() {
                self.consumed.fetch_add(1, SeqCst);
            }
            drop(b);
            let _ = self.not_full.notify();
        } else {
            // Consumers may wait for an item: one for each (at most the room there is).
            let k = (self.threads / 2).min(BUFFER - b.len());
            for _ in 0..k {
                let n = self.probes.fetch_add(1, SeqCst) + 1;
                b.push_back(((self.threads as u64) << PRODUCER_SHIFT) | n);
                self.produced.fetch_add(1, SeqCst);
            }
            drop(b);
            for _ in 0..k {
                let _ = self.not_empty.notify();
            }
        }
    }

    fn release(&self) {
        let _guard = self.not_full.lock();
        let _ = self.not_full.notify_all();
        let _ = self.not_empty.notify_all();
    }

    fn finish(&self, ctx: &Ctx<'_>) {
        let left = lock(&self.buf).len() as u64;
        let (p, c) = (self.produced.load(SeqCst), self.consumed.load(SeqCst));
        ctx.check(p == c + left, || format!("{p} produced, {c} consumed, {left} left"));
    }
}

// ---------------------------------------------------------------------------------------------
// Semaphore and BoundedSemaphore

const PERMITS: usize = 3;

/// The calls the semaphore workload makes, for both kinds.
trait Sem: Send + Sync {
    fn acquire(&self);
    fn try_acquire(&self) -> bool;
    fn acquire_timeout(&self, t: Duration) -> bool;
    fn release(&self) -> Result<(), String>;
    fn release_n(&self, n: usize) -> Result<(), String>;
    fn value(&self) -> usize;
    fn bounded(&self) -> bool;
}

impl Sem for Semaphore {
    fn acquire(&self) {
        Semaphore::acquire(self);
    }
    fn try_acquire(&self) -> bool {
        Semaphore::try_acquire(self)
    }
    fn acquire_timeout(&self, t: Duration) -> bool {
        Semaphore::acquire_timeout(self, t)
    }
    fn release(&self) -> Result<(), String> {
        Semaphore::release(self);
        Ok(())
    }
    fn release_n(&self, n: usize) -> Result<(), String> {
        Semaphore::release_n(self, n).map_err(|e| e.to_string())
    }
    fn value(&self) -> usize {
        Semaphore::value(self)
    }
    fn bounded(&self) -> bool {
        false
    }
}

impl Sem for BoundedSemaphore {
    fn acquire(&self) {
        BoundedSemaphore::acquire(self);
    }
    fn try_acquire(&self) -> bool {
        BoundedSemaphore::try_acquire(self)
    }
    fn acquire_timeout(&self, t: Duration) -> bool {
        BoundedSemaphore::acquire_timeout(self, t)
    }
    fn release(&self) -> Result<(), String> {
        BoundedSemaphore::release(self).map_err(|e| e.to_string())
    }
    fn release_n(&self, n: usize) -> Result<(), String> {
        BoundedSemaphore::release_n(self, n).map_err(|e| e.to_string())
    }
    fn value(&self) -> usize {
        BoundedSemaphore::value(self)
    }
    fn bounded(&self) -> bool {
        true
    }
}

struct SemWork<S: Sem> {
    name: &'static str,
    threads: usize,
    sem: S,
    /// Permits held right now, by the workload's own count.
    held: AtomicUsize,
}

impl<S: Sem> SemWork<S> {
    /// One permit in a random form; only the first of a batch may wait forever (a thread
    /// holding permits while waiting forever for more could deadlock the workload for real).
    fn acquire(&self, ctx: &Ctx<'_>, rng: &mut Rng, first: bool) -> bool {
        let sem = &self.sem;
        let t = rng.timeout(first);
        let ok = match rng.below(4) {
            0 if first => {
                ctx.block("acquire", Limit::Contended, || sem.acquire());
                true
            }
            1 => {
                ctx.tick();
                sem.try_acquire()
            }
            _ => {
                let (ok, el) = ctx.block("acquire_timeout", ctx.timed(t, Limit::Contended), || {
                    sem.acquire_timeout(t)
                });
                if !ok {
                    ctx.timed_out("acquire_timeout", el, t);
                }
                ok
            }
        };
        if ok {
            let now = self.held.fetch_add(1, SeqCst) + 1;
            ctx.check(now <= PERMITS, || format!("{now} permits held of {PERMITS}"));
        }
        ok
    }
}

impl<S: Sem> Workload for SemWork<S> {
    fn name(&self) -> &'static str {
        self.name
    }

    fn threads(&self) -> usize {
        self.threads
    }

    fn work(&self, ctx: &Ctx<'_>, rng: &mut Rng, _index: usize) {
        while ctx.running() {
            let want = if rng.chance(25) { 1 + rng.below(PERMITS as u64) as usize } else { 1 };
            let mut got = 0;
            while got < want && self.acquire(ctx, rng, got == 0) {
                got += 1;
            }
            if got == 0 {
                continue;
            }
            if rng.chance(10) {
                thread::sleep(Duration::from_micros(rng.below(200)));
            }
            self.held.fetch_sub(got, SeqCst);
            let r = if got > 1 && rng.chance(50) {
                self.sem.release_n(got)
            } else {
                (0..got).try_for_each(|_| self.sem.release())
            };
            if let Err(e) = r {
                ctx.fail(format!("releasing {got} held permits failed: {e}"));
            }
            ctx.tick();
        }
    }

    fn finish(&self, ctx: &Ctx<'_>) {
        let v = self.sem.value();
        ctx.check(v == PERMITS, || format!("value {v} at the end, {PERMITS} expected"));
        ctx.check(self.sem.release_n(0).is_err(), || "release_n(0) succeeded".into());
        if self.sem.bounded() {
            ctx.check(self.sem.release().is_err(), || "over-release succeeded".into());
            ctx.check(self.sem.value() == PERMITS, || "over-release changed the value".into());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Event

struct EventWork {
    threads: usize,
    event: Event,
    /// Completed `set` calls. Thread 0 is the only one that sets and clears during the run.
    sets: AtomicU64,
}

impl Workload for EventWork {
    fn name(&self) -> &'static str {
        "event"
    }

    fn threads(&self) -> usize {
        self.threads
    }

    fn work(&self, ctx: &Ctx<'_>, rng: &mut Rng, index: usize) {
        let ev = &self.event;
        while ctx.running() {
            if index == 0 {
                ev.set();
                self.sets.fetch_add(1, SeqCst);
                ctx.check(ev.is_set(), || "is_set() false right after set()".into());
                ctx.tick();
                thread::sleep(Duration::from_micros(rng.below(2000)));
                if rng.chance(80) && !ctx.stopped() {
                    ev.clear();
                    ctx.check(!ev.is_set() || ctx.stopped(), || {
                        "is_set() true right after clear()".into()
                    });
                    ctx.tick();
                    thread::sleep(Duration::from_micros(rng.below(2000)));
                }
                continue;
            }
            let t = rng.timeout(true);
            let (seen, el) = if t == Duration::MAX {
                ctx.block("Event::wait", ctx.recurring(), || {
                    ev.wait();
                    true
                })
            } else {
                ctx.block("Event::wait_timeout", ctx.timed(t, ctx.recurring()), || {
                    ev.wait_timeout(t)
                })
            };
            if seen {
                thread::yield_now(); // a set event returns at once: leave the cores to others
                // The setter counts after `set`, so a waiter may run ahead of the count by one.
                let sets = self.sets.load(SeqCst);
                ctx.check(sets > 0 || self.event.is_set(), || {
                    "a wait saw a set nobody made".into()
                });
            } else {
                ctx.timed_out("Event::wait_timeout", el, t);
            }
        }
    }

    fn release(&self) {
        self.event.set();
    }
}

// ---------------------------------------------------------------------------------------------
// Barrier

struct BarrierWork {
    threads: usize,
    barrier: Barrier,
    trips: Arc<AtomicU64>,
    /// Round (the trip count seen after passing) -> bit mask of the indices returned in it.
    rounds: Mutex<BTreeMap<u64, u64>>,
}

impl BarrierWork {
    fn new(threads: usize) -> BarrierWork {
        let trips = Arc::new(AtomicU64::new(0));
        let t = Arc::clone(&trips);
        BarrierWork {
            threads,
            barrier: Barrier::with_action(threads, move || {
                t.fetch_add(1, SeqCst);
            }),
            trips,
            rounds: Mutex::new(BTreeMap::new()),
        }
    }
}

impl Workload for BarrierWork {
    fn name(&self) -> &'static str {
        "barrier"
    }

    fn threads(&self) -> usize {
        self.threads
    }

    fn work(&self, ctx: &Ctx<'_>, rng: &mut Rng, _index: usize) {
        let b = &self.barrier;
        let parties = self.threads;
        while ctx.running() {
            let r = match rng.below(100) {
                0..2 => {
                    b.abort();
                    ctx.cancelled();
                    ctx.tick();
                    continue;
                }
                2..4 => {
                    b.reset();
                    ctx.tick();
                    continue;
                }
                4..50 => ctx.block("Barrier::wait", ctx.recurring(), || b.wait()).0,
                _ => {
                    let t = match rng.below(10) {
                        0 => Duration::ZERO,
                        1 => Duration::MAX,
                        _ => Duration::from_micros(500 + rng.below(20_000)),
                    };
                    ctx.block("Barrier::wait_timeout", ctx.timed(t, ctx.recurring()), || {
                        b.wait_timeout(t)
                    })
                    .0
                }
            };
            match r {
                Ok(index) => {
                    let round = self.trips.load(SeqCst);
                    ctx.check(index < parties, || format!("arrival index {index} of {parties}"));
                    let mut rounds = lock(&self.rounds);
                    let mask = rounds.entry(round).or_insert(0);
                    let bit = 1u64 << (index % 64);
                    ctx.check(*mask & bit == 0, || {
                        format!("arrival index {index} returned twice in round {round}")
                    });
                    *mask |= bit;
                    while rounds.len() > 64 {
                        rounds.pop_first();
                    }
                }
                Err(_) => {
                    ctx.expected_error();
                    if !ctx.stopped() && b.broken() {
                        b.reset();
                    }
                }
            }
            let waiting = b.n_waiting();
            ctx.check(waiting <= parties, || format!("n_waiting {waiting} of {parties}"));
        }
    }

    fn release(&self) {
        self.barrier.abort();
    }
}

// ---------------------------------------------------------------------------------------------
// Timer

#[derive(Default)]
struct Shot {
    count: AtomicU64,
    at: Mutex<Option<Instant>>,
}

struct TimerWork {
    threads: usize,
}

impl Workload for TimerWork {
    fn name(&self) -> &'static str {
        "timer"
    }

    fn threads(&self) -> usize {
        self.threads
    }

    fn work(&self, ctx: &Ctx<'_>, rng: &mut Rng, _index: usize) {
        while ctx.running() {
            let case = rng.below(100);
            let interval = match case {
                15..40 if rng.chance(50) => Duration::MAX,
                15..40 => Duration::from_secs(3600),
                _ => Duration::from_micros(rng.below(3000)),
            };
            let shot = Arc::new(Shot::default());
            let s = Arc::clone(&shot);
            let timer = Timer::new(interval, move || {
                *lock(&s.at) = Some(Instant::now());
                s.count.fetch_add(1, SeqCst);
            });
            let mut cancelled_early = false;
            if case < 15 {
                timer.cancel();
                cancelled_early = true;
            }
            let before = Instant::now();
            if let Err(e) = timer.start() {
                ctx.fail(format!("Timer::start failed: {e}"));
                continue;
            }
            ctx.tick();
            let mut cancel_at = None;
            match case {
                0..15 => {}
                15..40 => {
                    if rng.chance(50) {
                        thread::sleep(Duration::from_micros(rng.below(500)));
                    }
                    timer.cancel();
                    cancelled_early = true;
                    cancel_at = Some(Instant::now());
                    ctx.cancelled();
                }
                40..70 => {}
                _ => {
                    thread::sleep(Duration::from_micros(rng.below(3000)));
                    timer.cancel();
                    ctx.cancelled();
                }
            }
            let (r, _) = ctx.block("Timer::join", ctx.recurring(), || timer.join());
            if let Err(e) = r {
                ctx.fail(format!("Timer::join failed: {e:?}"));
            }
            if let Some(at) = cancel_at {
                let el = at.elapsed();
                ctx.check(el < ctx.shared.config.slack, || {
                    format!("a timer of {interval:?} ended {el:?} after its cancel")
                });
            }
            ctx.check(timer.finished().is_set(), || "finished() unset after join".into());
            ctx.check(!timer.is_alive(), || "is_alive() after join".into());
            let count = shot.count.load(SeqCst);
            if cancelled_early {
                ctx.check(count == 0, || format!("a timer cancelled in time fired {count}×"));
            } else if (40..70).contains(&case) {
                ctx.check(count == 1, || format!("an uncancelled timer fired {count}×"));
            } else {
                ctx.check(count <= 1, || format!("a timer fired {count}×"));
            }
            if let Some(at) = *lock(&shot.at) {
                let el = at.saturating_duration_since(before);
                ctx.check(el >= interval, || format!("a timer of {interval:?} fired after {el:?}"));
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Local

/// A value that counts how many of its kind are alive.
struct Tracked {
    owner: u64,
    live: Arc<AtomicI64>,
}

impl Tracked {
    fn new(owner: u64, live: &Arc<AtomicI64>) -> Tracked {
        live.fetch_add(1, SeqCst);
        Tracked { owner, live: Arc::clone(live) }
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.live.fetch_sub(1, SeqCst);
    }
}

struct LocalWork {
    threads: usize,
    /// (owner tag, count): each thread sees only what it stored itself.
    counter: Local<Cell<(u64, u64)>>,
    tracked: Local<Cell<Option<Tracked>>>,
    live: Arc<AtomicI64>,
}

impl LocalWork {
    fn new(threads: usize) -> LocalWork {
        LocalWork {
            threads,
            counter: Local::new(|| Cell::new((0, 0))),
            tracked: Local::new(|| Cell::new(None)),
            live: Arc::new(AtomicI64::new(0)),
        }
    }

    /// This thread's view: its counter is `(tag, expected)` (or fresh), its tracked value its own.
    fn step(&self, ctx: &Ctx<'_>, tag: u64, count: &mut u64) {
        let (owner, n) = self.counter.get();
        ctx.check((owner, n) == (tag, *count) || (owner, n, *count) == (0, 0, 0), || {
            format!("Local value ({owner:#x}, {n}) seen by thread {tag:#x} after {count} sets")
        });
        *count += 1;
        self.counter.set((tag, *count));
        self.tracked.with(|c| {
            let t = c.take().unwrap_or_else(|| Tracked::new(tag, &self.live));
            ctx.check(t.owner == tag, || format!("thread {tag:#x} sees {:#x}'s value", t.owner));
            c.set(Some(t));
        });
        ctx.tick();
    }
}

impl Workload for LocalWork {
    fn name(&self) -> &'static str {
        "local"
    }

    fn threads(&self) -> usize {
        self.threads
    }

    fn work(&self, ctx: &Ctx<'_>, rng: &mut Rng, index: usize) {
        let tag = (1 << 32) | index as u64;
        let mut count = 0;
        let mut next_tag = 0u64;
        while ctx.running() {
            self.step(ctx, tag, &mut count);
            thread::yield_now(); // pure computation: leave the cores to the blocking workloads
            if rng.chance(2) {
                // A short-lived thread sees fresh values; its values go when it exits, and a
                // `Local` dropped here takes this thread's value with it.
                next_tag += 1;
                let child_tag = (2 << 32) | ((index as u64) << 20) | next_tag;
                let own_live = Arc::new(AtomicI64::new(0));
                let own = Arc::new(Local::new({
                    let live = Arc::clone(&own_live);
                    move || Tracked::new(0, &live)
                }));
                own.with(|_| ());
                let scratch = scratch_failures();
                thread::scope(|s| {
                    s.spawn(|| {
                        let mut c = 0;
                        for _ in 0..1 + rng.below(5) {
                            self.step(ctx, child_tag, &mut c);
                        }
                        own.with(|_| ());
                        if own_live.load(SeqCst) != 2 {
                            lock(&scratch).push("the child's own value is missing".into());
                        }
                    });
                });
                for m in lock(&scratch).drain(..) {
                    ctx.fail(m);
                }
                drop(own);
                let live = wait_for_value(&own_live, 0, ctx.shared.config.slack);
                ctx.check(live == 0, || format!("{live} values alive after the Local was dropped"));
                ctx.tick();
            }
        }
        // This thread's tracked value goes with the thread; release it now to check `take`.
        drop(self.tracked.take());
    }

    fn finish(&self, ctx: &Ctx<'_>) {
        let live = wait_for_value(&self.live, 0, ctx.shared.config.slack);
        ctx.check(live == 0, || format!("{live} Local values alive after every thread ended"));
    }
}

fn scratch_failures() -> Mutex<Vec<String>> {
    Mutex::new(Vec::new())
}

/// Polls `v` until it is `want` or `patience` has passed; returns the last value.
fn wait_for_value(v: &AtomicI64, want: i64, patience: Duration) -> i64 {
    let end = Instant::now() + patience;
    loop {
        let now = v.load(SeqCst);
        if now == want || Instant::now() >= end {
            return now;
        }
        thread::sleep(Duration::from_millis(1));
    }
}

// ---------------------------------------------------------------------------------------------
// Thread

struct ThreadWork {
    threads: usize,
    /// Other workers' threads, for a second joiner.
    shared: Mutex<VecDeque<Thread<u64>>>,
}

impl Workload for ThreadWork {
    fn name(&self) -> &'static str {
        "thread"
    }

    fn threads(&self) -> usize {
        self.threads
    }

    fn work(&self, ctx: &Ctx<'_>, rng: &mut Rng, _index: usize) {
        while ctx.running() {
            if rng.chance(30) {
                let other = lock(&self.shared).pop_front();
                if let Some(other) = other {
                    let t = rng.timeout(true);
                    let (r, el) =
                        ctx.block("Thread::join_timeout", ctx.timed(t, ctx.recurring()), || {
                            other.join_timeout(t)
                        });
                    match r {
                        Ok(true) => ctx.check(!other.is_alive(), || "alive after join".into()),
                        Ok(false) => ctx.timed_out("Thread::join_timeout", el, t),
                        Err(e) => ctx.fail(format!("join of another's thread failed: {e:?}")),
                    }
                }
            }
            let gate = Arc::new(Event::new());
            let g = Arc::clone(&gate);
            let tag = rng.next_u64();
            let hold = Duration::from_micros(rng.below(3000));
            let t = Thread::new(move || {
                let _ = g.wait_timeout(hold);
                tag
            });
            let (r, _) = ctx.block("Thread::start", ctx.recurring(), || t.start());
            if let Err(e) = r {
                ctx.fail(format!("Thread::start failed: {e}"));
                continue;
            }
            ctx.check(t.ident().is_some(), || "no ident after start".into());
            if rng.chance(50) {
                let mut q = lock(&self.shared);
                q.push_back(t.clone());
                if q.len() > 16 {
                    q.pop_front();
                }
            }
            let jt = rng.timeout(false);
            let (r, el) = ctx.block("Thread::join_timeout", ctx.timed(jt, ctx.recurring()), || {
                t.join_timeout(jt)
            });
            match r {
                Ok(true) => {}
                Ok(false) => ctx.timed_out("Thread::join_timeout", el, jt),
                Err(e) => ctx.fail(format!("join_timeout failed: {e:?}")),
            }
            if rng.chance(70) {
                gate.set();
            }
            let (r, _) = ctx.block("Thread::join", ctx.recurring(), || t.join());
            ctx.check(r.is_ok(), || format!("join failed: {r:?}"));
            ctx.check(!t.is_alive(), || "is_alive() after join".into());
            ctx.check(t.join_timeout(Duration::ZERO) == Ok(true), || "second join".into());
            match t.join_output() {
                Ok(v) => ctx.check(v == tag, || format!("thread returned {v:#x}, not {tag:#x}")),
                Err(e) => ctx.fail(format!("join_output failed: {e:?}")),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Queue, LifoQueue, PriorityQueue

/// The calls the queue workload makes, for the three bounded kinds.
trait Q: Send + Sync {
    /// `Ok`, or `Err(true)` if shut down, `Err(false)` if full.
    fn put(&self, item: u64, t: Option<Duration>) -> Result<(), bool>;
    /// `Ok(item)`, or `Err(true)` if shut down, `Err(false)` if empty.
    fn get(&self, t: Option<Duration>) -> Result<u64, bool>;
    fn task_done(&self) -> bool;
    fn join_timeout(&self, t: Duration) -> bool;
    fn unfinished(&self) -> usize;
    fn qsize(&self) -> usize;
    fn shutdown(&self);
}

macro_rules! impl_q {
    ($t:ident) => {
        impl Q for $t<u64> {
            fn put(&self, item: u64, t: Option<Duration>) -> Result<(), bool> {
                match t {
                    None => $t::put(self, item).map_err(|_| true),
                    Some(Duration::ZERO) => $t::put_nowait(self, item).map_err(|e| e.is_shutdown()),
                    Some(t) => $t::put_timeout(self, item, t).map_err(|e| e.is_shutdown()),
                }
            }
            fn get(&self, t: Option<Duration>) -> Result<u64, bool> {
                match t {
                    None => $t::get(self).map_err(|_| true),
                    Some(Duration::ZERO) => $t::get_nowait(self).map_err(|e| e.is_shutdown()),
                    Some(t) => $t::get_timeout(self, t).map_err(|e| e.is_shutdown()),
                }
            }
            fn task_done(&self) -> bool {
                $t::task_done(self).is_ok()
            }
            fn join_timeout(&self, t: Duration) -> bool {
                $t::join_timeout(self, t)
            }
            fn unfinished(&self) -> usize {
                $t::unfinished_tasks(self)
            }
            fn qsize(&self) -> usize {
                $t::qsize(self)
            }
            fn shutdown(&self) {
                $t::shutdown(self);
            }
        }
    };
}

impl_q!(Queue);
impl_q!(LifoQueue);
impl_q!(PriorityQueue);

/// Counts and a scrambled sum of the items that went through: a lost or duplicated item
/// changes both.
#[derive(Default)]
struct Tally {
    count: AtomicU64,
    sum: AtomicU64,
}

impl Tally {
    fn add(&self, item: u64) {
        self.count.fetch_add(1, SeqCst);
        self.sum.fetch_add(mix(item), SeqCst);
    }

    fn get(&self) -> (u64, u64) {
        (self.count.load(SeqCst), self.sum.load(SeqCst))
    }
}

struct QueueWork<T: Q> {
    name: &'static str,
    threads: usize,
    q: T,
    put: Tally,
    got: Tally,
    /// The monitor's probe items so far (producer number `threads`).
    probes: AtomicU64,
}

impl<T: Q> QueueWork<T> {
    fn new(name: &'static str, threads: usize, q: T) -> QueueWork<T> {
        QueueWork {
            name,
            threads,
            q,
            put: Tally::default(),
            got: Tally::default(),
            probes: AtomicU64::new(0),
        }
    }
}

/// The `maxsize` of the bounded queues.
const QUEUE_SIZE: usize = 8;

/// A timeout for a queue call: `None` is the blocking form, zero the `_nowait` one.
fn queue_timeout(rng: &mut Rng) -> Option<Duration> {
    Some(rng.timeout(true)).filter(|t| *t != Duration::MAX)
}

impl<T: Q> Workload for QueueWork<T> {
    fn name(&self) -> &'static str {
        self.name
    }

    fn threads(&self) -> usize {
        self.threads
    }

    fn work(&self, ctx: &Ctx<'_>, rng: &mut Rng, index: usize) {
        let mut n = 0u64;
        loop {
            ctx.pause_point();
            idle(rng);
            let t = queue_timeout(rng);
            let limit = t.map_or(Limit::Unbounded, |t| ctx.timed(t, Limit::Unbounded));
            if index.is_multiple_of(2) {
                // Producer: stops with the stop flag (or the shutdown that follows it).
                if ctx.stopped() {
                    return;
                }
                n += 1;
                let item = ((index as u64) << PRODUCER_SHIFT) | n;
                let (r, el) = ctx.block("put", limit, || self.q.put(item, t));
                match r {
                    Ok(()) => self.put.add(item),
                    Err(true) => {
                        ctx.check(ctx.stopped(), || "put: ShutDown before the shutdown".into());
                        ctx.expected_error();
                        return;
                    }
                    Err(false) => match t {
                        Some(t) if t > Duration::ZERO => ctx.timed_out("put_timeout", el, t),
                        _ => {
                            ctx.check(t.is_some(), || "a blocking put failed with Full".into());
                            ctx.stats.timeouts.fetch_add(1, SeqCst);
                        }
                    },
                }
            } else {
                // Consumer: drains until the queue is shut down and empty.
                let (r, el) = ctx.block("get", limit, || self.q.get(t));
                match r {
                    Ok(item) => {
                        self.got.add(item);
                        ctx.check(self.q.task_done(), || "task_done for a got item failed".into());
                    }
                    Err(true) => {
                        ctx.check(ctx.stopped(), || "get: ShutDown before the shutdown".into());
                        ctx.expected_error();
                        return;
                    }
                    Err(false) => match t {
                        Some(t) if t > Duration::ZERO => ctx.timed_out("get_timeout", el, t),
                        _ => {
                            ctx.check(t.is_some(), || "a blocking get failed with Empty".into());
                            ctx.stats.timeouts.fetch_add(1, SeqCst);
                        }
                    },
                }
                if rng.chance(3) {
                    let jt = Duration::from_micros(rng.below(2000));
                    let (done, el) =
                        ctx.block("join_timeout", ctx.timed(jt, Limit::Unbounded), || {
                            self.q.join_timeout(jt)
                        });
                    if !done {
                        ctx.timed_out("join_timeout", el, jt);
                    }
                }
            }
        }
    }

    fn may_block(&self, what: &'static str) -> bool {
        match what {
            "get" => self.q.qsize() == 0,
            "put" => self.q.qsize() >= QUEUE_SIZE,
            _ => true,
        }
    }

    fn probe(&self) {
        if self.q.qsize() >= QUEUE_SIZE {
            // Producers may wait for room.
            if let Ok(item) = self.q.get(Some(Duration::ZERO)) {
                self.got.add(item);
                self.q.task_done();
            }
        } else {
            // Consumers may wait for an item: one for each.
            for _ in 0..self.threads / 2 {
                let item = ((self.threads as u64) << PRODUCER_SHIFT)
                    | (self.probes.fetch_add(1, SeqCst) + 1);
                if self.q.put(item, Some(Duration::ZERO)).is_ok() {
                    self.put.add(item);
                }
            }
        }
    }

    fn release(&self) {
        self.q.shutdown();
    }

    fn finish(&self, ctx: &Ctx<'_>) {
        let (put, got) = (self.put.get(), self.got.get());
        let left = self.q.qsize();
        ctx.check(left == 0, || format!("{left} items left after the consumers drained"));
        ctx.check(put == got, || {
            format!("{} items put, {} got (or duplicated: the sums differ)", put.0, got.0)
        });
        let unfinished = self.q.unfinished();
        ctx.check(unfinished == 0, || format!("{unfinished} unfinished tasks at the end"));
        ctx.check(self.q.join_timeout(ctx.shared.config.slack), || "join hung at the end".into());
        ctx.check(self.q.put(1, Some(Duration::ZERO)) == Err(true), || {
            "put after shutdown did not fail with ShutDown".into()
        });
        ctx.check(!self.q.task_done(), || "task_done with no unfinished task succeeded".into());
    }
}

// ---------------------------------------------------------------------------------------------
// SimpleQueue

/// The item that tells a consumer to stop.
const SENTINEL: u64 = u64::MAX;

struct SimpleWork {
    threads: usize,
    q: SimpleQueue<u64>,
    put: Tally,
    got: Tally,
    /// The monitor's probe items so far (producer number `threads`).
    probes: AtomicU64,
}

impl Workload for SimpleWork {
    fn name(&self) -> &'static str {
        "simple-queue"
    }

    fn threads(&self) -> usize {
        self.threads
    }

    fn work(&self, ctx: &Ctx<'_>, rng: &mut Rng, index: usize) {
        let mut n = 0u64;
        loop {
            ctx.pause_point();
            if index.is_multiple_of(2) {
                if ctx.stopped() {
                    return;
                }
                // Keep the queue short: the consumers are outnumbered on a small machine.
                if self.q.qsize() > 64 {
                    thread::yield_now();
                    continue;
                }
                n += 1;
                let item = ((index as u64) << PRODUCER_SHIFT) | n;
                if rng.chance(50) {
                    self.q.put(item)
                } else {
                    self.q.put_nowait(item)
                }
                self.put.add(item);
                ctx.tick();
            } else {
                let t = rng.timeout(true);
                let (r, el) = match t {
                    Duration::MAX => ctx.block("SimpleQueue::get", Limit::Unbounded, || {
                        Ok::<_, threading::Empty>(self.q.get())
                    }),
                    Duration::ZERO => {
                        ctx.block("get_nowait", Limit::Contended, || self.q.get_nowait())
                    }
                    t => ctx.block("get_timeout", ctx.timed(t, Limit::Unbounded), || {
                        self.q.get_timeout(t)
                    }),
                };
                match r {
                    Ok(SENTINEL) => {
                        ctx.check(ctx.stopped(), || "a stop sentinel before the stop".into());
                        return;
                    }
                    Ok(item) => self.got.add(item),
                    Err(_) if t == Duration::ZERO => {
                        ctx.stats.timeouts.fetch_add(1, SeqCst);
                    }
                    Err(_) => ctx.timed_out("SimpleQueue::get_timeout", el, t),
                }
            }
        }
    }

    fn may_block(&self, what: &'static str) -> bool {
        what != "SimpleQueue::get" || self.q.empty()
    }

    fn probe(&self) {
        // Consumers may wait for an item: one for each.
        for _ in 0..self.threads / 2 {
            let item =
                ((self.threads as u64) << PRODUCER_SHIFT) | (self.probes.fetch_add(1, SeqCst) + 1);
            self.q.put(item);
            self.put.add(item);
        }
    }

    fn release(&self) {
        for _ in 0..self.threads / 2 {
            self.q.put(SENTINEL);
        }
    }

    fn finish(&self, ctx: &Ctx<'_>) {
        while let Ok(item) = self.q.get_nowait() {
            if item != SENTINEL {
                self.got.add(item);
            }
        }
        let (put, got) = (self.put.get(), self.got.get());
        ctx.check(put == got, || {
            format!("{} items put, {} got or left (or duplicated: the sums differ)", put.0, got.0)
        });
        ctx.check(self.q.empty(), || "not empty after draining".into());
    }
}

// ---------------------------------------------------------------------------------------------
// The thread pool

struct PoolWork {
    threads: usize,
    pool: ThreadPoolExecutor,
}

/// One submitted task: what it returns, whether its cancel succeeded, whether it ran.
struct Task {
    future: threading::Future<u64>,
    expected: u64,
    cancelled: bool,
    ran: Arc<AtomicBool>,
}

impl PoolWork {
    /// A future that `wait` or `as_completed` handed back as done.
    fn check_done(ctx: &Ctx<'_>, f: &threading::Future<u64>, by: &str) {
        ctx.check(f.done(), || format!("{by} yielded a future whose done() is false"));
    }
}

impl Workload for PoolWork {
    fn name(&self) -> &'static str {
        "pool"
    }

    fn threads(&self) -> usize {
        self.threads
    }

    fn work(&self, ctx: &Ctx<'_>, rng: &mut Rng, _index: usize) {
        while ctx.running() {
            let k = 1 + rng.below(8);
            let mut tasks = Vec::new();
            for _ in 0..k {
                let expected = rng.next_u64() >> 1;
                let work = if rng.chance(30) { rng.below(1000) } else { 0 };
                let ran = Arc::new(AtomicBool::new(false));
                let r = Arc::clone(&ran);
                let submitted = self.pool.submit(move || {
                    r.store(true, SeqCst);
                    if work > 0 {
                        thread::sleep(Duration::from_micros(work));
                    }
                    expected
                });
                ctx.tick();
                match submitted {
                    Ok(future) => tasks.push(Task { future, expected, cancelled: false, ran }),
                    Err(e) => ctx.fail(format!("submit to a live pool failed: {e}")),
                }
            }
            for task in &mut tasks {
                if rng.chance(25) {
                    task.cancelled = task.future.cancel();
                    if task.cancelled {
                        ctx.cancelled();
                    }
                }
            }
            let fs: Vec<_> = tasks.iter().map(|t| &t.future).collect();
            let t = rng.timeout(true);
            match rng.below(5) {
                0 | 1 => {
                    let when = if rng.chance(50) {
                        ReturnWhen::FirstCompleted
                    } else {
                        ReturnWhen::AllCompleted
                    };
                    let (split, el) =
                        ctx.block("wait_timeout", ctx.timed(t, ctx.recurring()), || {
                            wait_timeout(&fs, t, when)
                        });
                    for f in &split.done {
                        Self::check_done(ctx, f, "wait");
                    }
                    if el < t {
                        match when {
                            ReturnWhen::AllCompleted => {
                                ctx.check(split.not_done.is_empty(), || {
                                    format!("wait(ALL_COMPLETED) returned early after {el:?}")
                                });
                            }
                            _ => ctx.check(!split.done.is_empty(), || {
                                format!("wait(FIRST_COMPLETED) returned early after {el:?}")
                            }),
                        }
                    } else if !split.not_done.is_empty() {
                        ctx.stats.timeouts.fetch_add(1, SeqCst);
                    }
                }
                2 => {
                    let (n, el) =
                        ctx.block("as_completed_timeout", ctx.timed(t, ctx.recurring()), || {
                            let mut n = 0;
                            for item in as_completed_timeout(&fs, t) {
                                match item {
                                    Ok(f) => Self::check_done(ctx, f, "as_completed_timeout"),
                                    Err(_) => return None,
                                }
                                n += 1;
                            }
                            Some(n)
                        });
                    match n {
                        Some(n) => ctx.check(n == fs.len(), || {
                            format!("as_completed yielded {n} of {} futures", fs.len())
                        }),
                        None => ctx.timed_out("as_completed_timeout", el, t),
                    }
                }
                3 => {
                    let (n, _) = ctx.block("as_completed", ctx.recurring(), || {
                        as_completed(&fs)
                            .map(|item| match item {
                                Ok(f) => Self::check_done(ctx, f, "as_completed"),
                                Err(e) => ctx.fail(format!("as_completed without a timeout: {e}")),
                            })
                            .count()
                    });
                    ctx.check(n == fs.len(), || {
                        format!("as_completed yielded {n} of {}", fs.len())
                    });
                }
                _ => {
                    for task in &tasks {
                        let t = rng.timeout(true);
                        let (r, el) =
                            ctx.block("result_timeout", ctx.timed(t, ctx.recurring()), || {
                                task.future.result_timeout(t).copied()
                            });
                        match r {
                            Err(FutureError::Timeout(_)) => ctx.timed_out("result_timeout", el, t),
                            Err(FutureError::Cancelled(_)) => {}
                            Err(e) => ctx.fail(format!("result_timeout failed: {e}")),
                            Ok(v) => ctx.check(v == task.expected, || "wrong result".into()),
                        }
                    }
                }
            }
            let (split, _) = ctx.block("wait(ALL_COMPLETED)", ctx.recurring(), || {
                wait(&fs, ReturnWhen::AllCompleted)
            });
            ctx.check(split.not_done.is_empty(), || "wait(ALL_COMPLETED) left futures".into());
            for task in &tasks {
                let f = &task.future;
                Self::check_done(ctx, f, "wait(ALL_COMPLETED)");
                if task.cancelled {
                    ctx.check(f.cancelled(), || "cancel() true, cancelled() false".into());
                    ctx.check(!task.ran.load(SeqCst), || "a cancelled task ran".into());
                    ctx.check(matches!(f.result(), Err(FutureError::Cancelled(_))), || {
                        "a cancelled future has a result".into()
                    });
                } else {
                    ctx.check(!f.cancelled(), || "cancelled() true, cancel() was false".into());
                    match f.result() {
                        Ok(&v) => ctx.check(v == task.expected, || {
                            format!("result {v:#x}, expected {:#x}", task.expected)
                        }),
                        Err(e) => ctx.fail(format!("an uncancelled task failed: {e}")),
                    }
                }
            }
        }
    }

    fn finish(&self, ctx: &Ctx<'_>) {
        self.pool.shutdown();
        ctx.check(self.pool.submit(|| 0u64).is_err(), || "submit after shutdown succeeded".into());
    }
}

// ---------------------------------------------------------------------------------------------
// The run

fn workloads(threads: usize) -> Vec<Arc<dyn Workload>> {
    let n = threads.max(2);
    vec![
        Arc::new(LockWork { threads: n, lock: Lock::new(), data: Guarded::default() }),
        Arc::new(RLockWork { threads: n, lock: RLock::new(), data: Guarded::default() }),
        Arc::new(CondWork::new("condition(rlock)", n, RLock::new(), true)),
        Arc::new(CondWork::new("condition(lock)", n, Lock::new(), false)),
        Arc::new(SemWork {
            name: "semaphore",
            threads: n,
            sem: Semaphore::new(PERMITS),
            held: AtomicUsize::new(0),
        }),
        Arc::new(SemWork {
            name: "bounded-semaphore",
            threads: n,
            sem: BoundedSemaphore::new(PERMITS),
            held: AtomicUsize::new(0),
        }),
        Arc::new(EventWork { threads: n, event: Event::new(), sets: AtomicU64::new(0) }),
        Arc::new(BarrierWork::new(n.min(64))),
        Arc::new(TimerWork { threads: n }),
        Arc::new(LocalWork::new(n)),
        Arc::new(ThreadWork { threads: n, shared: Mutex::new(VecDeque::new()) }),
        Arc::new(QueueWork::new("queue", n, Queue::new(QUEUE_SIZE))),
        Arc::new(QueueWork::new("lifo-queue", n, LifoQueue::new(QUEUE_SIZE))),
        Arc::new(QueueWork::new("priority-queue", n, PriorityQueue::new(QUEUE_SIZE))),
        Arc::new(SimpleWork {
            threads: n,
            q: SimpleQueue::new(),
            put: Tally::default(),
            got: Tally::default(),
            probes: AtomicU64::new(0),
        }),
        Arc::new(PoolWork {
            threads: n,
            pool: ThreadPoolExecutor::builder()
                .max_workers(4)
                .thread_name_prefix("soak-pool")
                .build()
                .expect("a pool of 4"),
        }),
    ]
}

/// Runs the soak as `config` says and reports. Never panics on a failure of the code under
/// test: every failure is in the report. A thread that does not stop is left behind (and
/// reported).
pub fn run(config: Config) -> Report {
    let started = Instant::now();
    let works = workloads(config.threads);
    let shared = Arc::new(Shared {
        config: config.clone(),
        start: started,
        stop: AtomicBool::new(false),
        paused: AtomicBool::new(false),
        quiesces: AtomicU64::new(0),
        max_quiesce_ns: AtomicU64::new(0),
        stats: works.iter().map(|_| Stats::default()).collect(),
        names: works.iter().map(|w| w.name()).collect(),
        messages: Mutex::new(Vec::new()),
        failure_count: AtomicU64::new(0),
    });

    let mut slots = Vec::new();
    let mut handles = Vec::new();
    for (wi, w) in works.iter().enumerate() {
        for i in 0..w.threads() {
            let slot = Arc::new(Slot::new(wi, format!("{}#{i}", w.name())));
            slots.push(Arc::clone(&slot));
            let (w, shared) = (Arc::clone(w), Arc::clone(&shared));
            let seed = mix(config.seed ^ mix(((wi as u64) << 32) | i as u64));
            let h = thread::Builder::new()
                .name(slot.name.clone())
                .spawn(move || {
                    let ctx = Ctx { shared: &shared, slot: &slot, stats: &shared.stats[wi] };
                    let mut rng = Rng::new(seed);
                    let r = panic::catch_unwind(AssertUnwindSafe(|| w.work(&ctx, &mut rng, i)));
                    if let Err(p) = r {
                        ctx.fail(format!("panicked: {}", panic_message(&*p)));
                    }
                    slot.finished.store(true, SeqCst);
                })
                .expect("spawn a soak thread");
            handles.push(h);
        }
    }

    monitor(&shared, &works, &slots, started + config.duration);

    // Stop: the flag, then wake whatever waits forever, until every thread has returned.
    shared.stop.store(true, SeqCst);
    let grace = config.stall + config.slack;
    let end = Instant::now() + grace;
    loop {
        for w in &works {
            w.release();
        }
        if slots.iter().all(|s| s.finished.load(SeqCst)) || Instant::now() >= end {
            break;
        }
        thread::sleep(Duration::from_millis(20));
    }
    let mut stuck = vec![false; works.len()];
    for (slot, h) in slots.iter().zip(handles) {
        if slot.finished.load(SeqCst) {
            let _ = h.join();
        } else {
            stuck[slot.workload] = true;
            shared.fail(
                slot.workload,
                format!(
                    "{} did not stop within {grace:?} of the stop flag; blocked in {}",
                    slot.name,
                    lock(&slot.what)
                ),
            );
        }
    }

    // The final checks, on a thread of their own in case one of them hangs.
    let (tx, rx) = mpsc::channel();
    {
        let (shared, works) = (Arc::clone(&shared), works.clone());
        thread::Builder::new()
            .name("soak-finish".into())
            .spawn(move || {
                for (wi, w) in works.iter().enumerate() {
                    if stuck[wi] {
                        continue;
                    }
                    let slot = Slot::new(wi, "final check".into());
                    let ctx = Ctx { shared: &shared, slot: &slot, stats: &shared.stats[wi] };
                    let r = panic::catch_unwind(AssertUnwindSafe(|| w.finish(&ctx)));
                    if let Err(p) = r {
                        ctx.fail(format!("final check panicked: {}", panic_message(&*p)));
                    }
                }
                let _ = tx.send(());
            })
            .expect("spawn the final checks");
    }
    if rx.recv_timeout(grace).is_err() {
        shared.fail(0, format!("the final checks (queue join, pool shutdown) hung for {grace:?}"));
    }

    let workloads = works
        .iter()
        .enumerate()
        .map(|(wi, w)| {
            let s = &shared.stats[wi];
            WorkloadReport {
                name: w.name(),
                threads: w.threads(),
                ops: s.ops.load(SeqCst),
                timeouts: s.timeouts.load(SeqCst),
                cancels: s.cancels.load(SeqCst),
                expected_errors: s.expected.load(SeqCst),
                max_wait: Duration::from_nanos(s.max_wait_ns.load(SeqCst)),
                failures: s.failures.load(SeqCst),
            }
        })
        .collect();
    Report {
        config,
        elapsed: started.elapsed(),
        workloads,
        failures: lock(&shared.messages).clone(),
        failure_count: shared.failure_count.load(SeqCst),
        quiesces: shared.quiesces.load(SeqCst),
        max_quiesce: Duration::from_nanos(shared.max_quiesce_ns.load(SeqCst)),
    }
}

/// Watches the threads until `deadline`: a thread over its operation's limit is a lost
/// wake-up, a workload without any finished operation for the stall time a deadlock. Either
/// ends the run early.
fn monitor(shared: &Shared, works: &[Arc<dyn Workload>], slots: &[Arc<Slot>], deadline: Instant) {
    let n = shared.stats.len();
    let mut last_ops: Vec<u64> = vec![0; n];
    let mut last_change = vec![Instant::now(); n];
    let mut reported: Vec<u64> = vec![0; slots.len()];
    let stall = shared.config.stall;
    let mut give_up = false;
    let mut last_quiesce = Instant::now();
    while Instant::now() < deadline && !give_up {
        thread::sleep(Duration::from_millis(50));
        if let Some(every) = shared.config.quiesce_every
            && last_quiesce.elapsed() >= every
        {
            give_up |= !quiesce(shared, works, slots);
            last_quiesce = Instant::now();
            last_change.iter_mut().for_each(|t| *t = last_quiesce);
            continue;
        }
        let now_ns = shared.now_ns();
        for (si, slot) in slots.iter().enumerate() {
            let since = slot.since.load(SeqCst);
            let limit = slot.limit.load(SeqCst);
            if since == 0 || since != slot.since.load(SeqCst) || reported[si] == since {
                continue;
            }
            let blocked = now_ns.saturating_sub(since);
            if blocked > limit {
                reported[si] = since;
                let what = *lock(&slot.what);
                shared.fail(
                    slot.workload,
                    format!(
                        "{} blocked in {what} for {:?}, limit {:?}: a lost wake-up",
                        slot.name,
                        Duration::from_nanos(blocked),
                        Duration::from_nanos(limit)
                    ),
                );
                give_up = true;
            }
        }
        for wi in 0..n {
            let ops = shared.stats[wi].ops.load(SeqCst);
            if ops != last_ops[wi] {
                last_ops[wi] = ops;
                last_change[wi] = Instant::now();
            } else if last_change[wi].elapsed() > stall {
                let dump: Vec<String> = slots
                    .iter()
                    .filter(|s| s.workload == wi && !s.finished.load(SeqCst))
                    .map(|s| {
                        let since = s.since.load(SeqCst);
                        let blocked = if since == 0 { 0 } else { now_ns.saturating_sub(since) };
                        format!(
                            "{} in {} for {:?}",
                            s.name,
                            lock(&s.what),
                            Duration::from_nanos(blocked)
                        )
                    })
                    .collect();
                shared.fail(
                    wi,
                    format!(
                        "no operation finished for {stall:?}: deadlock or lost wake-up; {}",
                        dump.join(", ")
                    ),
                );
                last_change[wi] = Instant::now();
                give_up = true;
            }
        }
    }
}

/// Pauses every thread at its next pause point and waits until none is left running or
/// waiting for a lock or permit, or for an item or a notification that is there (the others
/// wait for work that the paused threads would do). A waiter that does not get what it waits
/// for within the slack, with nobody else running, was not woken: a failure. Returns whether
/// the quiesce completed.
fn quiesce(shared: &Shared, works: &[Arc<dyn Workload>], slots: &[Arc<Slot>]) -> bool {
    let t0 = Instant::now();
    shared.paused.store(true, SeqCst);
    let settled = |s: &Slot| {
        if s.finished.load(SeqCst) || s.paused.load(SeqCst) {
            return true;
        }
        let (since, limit) = (s.since.load(SeqCst), s.limit.load(SeqCst));
        since != 0
            && match limit {
                Limit::CONTENDED => false,
                Limit::UNBOUNDED => works[s.workload].may_block(*lock(&s.what)),
                _ => true,
            }
    };
    let mut ok = true;
    let mut probed = false;
    loop {
        if slots.iter().all(|s| settled(s)) {
            if probed {
                break;
            }
            // Everybody is paused or waiting: feed the waiters, then they must settle again.
            for w in works {
                w.probe();
            }
            probed = true;
            thread::sleep(Duration::from_millis(1));
            continue;
        }
        if t0.elapsed() > shared.config.slack {
            let now_ns = shared.now_ns();
            for s in slots.iter().filter(|s| !settled(s)) {
                let since = s.since.load(SeqCst);
                let message = if since == 0 {
                    "did not reach a pause point (running, or between operations)".to_owned()
                } else {
                    format!(
                        "waited {:?} in {} and was not served within {:?} of every other \
                         thread pausing, though what it waits for is there: a lost wake-up",
                        Duration::from_nanos(now_ns.saturating_sub(since)),
                        lock(&s.what),
                        shared.config.slack
                    )
                };
                shared.fail(s.workload, format!("{} {message}", s.name));
            }
            ok = false;
            break;
        }
        thread::sleep(Duration::from_millis(1));
    }
    shared.paused.store(false, SeqCst);
    shared.quiesces.fetch_add(1, SeqCst);
    shared.max_quiesce_ns.fetch_max(nanos(t0.elapsed()), SeqCst);
    ok
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(a non-string panic)".to_owned())
}
