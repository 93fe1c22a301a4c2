"""CPython side of the RLock benchmark: same cases as crates/rlock/benches/rlock.rs.

Prints one JSON line per case: {"group", "case", "ns"} with the median ns per operation
over 7 repeats. Run by `cargo xtask bench`.
"""
import json
import statistics
import threading
import time

REPEATS = 7


def median_ns(fn, n):
    samples = []
    for _ in range(REPEATS):
        t = time.perf_counter_ns()
        fn(n)
        samples.append((time.perf_counter_ns() - t) / n)
    return statistics.median(samples)


def depth1(n):
    r = threading.RLock()
    acquire, release = r.acquire, r.release
    for _ in range(n):
        acquire()
        release()


def depth3(n):
    r = threading.RLock()
    acquire, release = r.acquire, r.release
    for _ in range(n):
        acquire()
        acquire()
        acquire()
        release()
        release()
        release()


def depth1_guard(n):
    r = threading.RLock()
    for _ in range(n):
        with r:
            pass


def depth3_guard(n):
    r = threading.RLock()
    for _ in range(n):
        with r:
            with r:
                with r:
                    pass


def main():
    for case, fn, n in [
        ("depth1", depth1_guard, 1_000_000),
        ("depth3", depth3_guard, 500_000),
        ("depth1_calls", depth1, 1_000_000),
        ("depth3_calls", depth3, 500_000),
    ]:
        print(json.dumps({"group": "rlock", "case": case, "ns": median_ns(fn, n)}), flush=True)


if __name__ == "__main__":
    main()
