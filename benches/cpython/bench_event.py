"""CPython side of the Event benchmark: same cases as crates/event/benches/event.rs.

Prints one JSON line per case: {"group", "case", "ns"} with the median ns per operation
over 7 repeats. Run by `cargo xtask bench`.

set_no_waiters times one set() of an unset event (the events are cleared in batches outside
the timed region, as in the Rust bench); set_clear times a set() + clear() pair.
"""
import statistics
import threading
import time
from benchlib import REPEATS, emit

BATCH = 1024


def median_ns(fn, n):
    samples = []
    for _ in range(REPEATS):
        samples.append(fn(n) / n)
    return statistics.median(samples)


def timed(fn):
    def run(n):
        t = time.perf_counter_ns()
        fn(n)
        return time.perf_counter_ns() - t
    return run


@timed
def is_set(n):
    is_set = threading.Event().is_set
    for _ in range(n):
        is_set()


def set_no_waiters(n):
    events = [threading.Event() for _ in range(BATCH)]
    sets = [e.set for e in events]
    total = 0
    left = n
    while left > 0:
        k = min(left, BATCH)
        for e in events[:k]:
            e.clear()
        batch = sets[:k]
        t = time.perf_counter_ns()
        for s in batch:
            s()
        total += time.perf_counter_ns() - t
        left -= k
    return total


@timed
def set_clear(n):
    e = threading.Event()
    set_, clear = e.set, e.clear
    for _ in range(n):
        set_()
        clear()


@timed
def wait_set(n):
    e = threading.Event()
    e.set()
    wait = e.wait
    for _ in range(n):
        wait()


def ping_pong(n):
    # Time per round trip between two threads through two events.
    ping, pong = threading.Event(), threading.Event()
    stop = [False]

    def partner():
        while True:
            ping.wait()
            ping.clear()
            if stop[0]:
                break
            pong.set()

    t = threading.Thread(target=partner)
    t.start()
    start = time.perf_counter_ns()
    for _ in range(n):
        ping.set()
        pong.wait()
        pong.clear()
    elapsed = time.perf_counter_ns() - start
    stop[0] = True
    ping.set()
    t.join()
    return elapsed


def main():
    for case, fn, n in [
        ("is_set", is_set, 1_000_000),
        ("set_no_waiters", set_no_waiters, 1_000_000),
        ("set_clear", set_clear, 1_000_000),
        ("wait_set", wait_set, 1_000_000),
        ("ping_pong", ping_pong, 20_000),
    ]:
        emit("event", case, median_ns(fn, n))


if __name__ == "__main__":
    main()
