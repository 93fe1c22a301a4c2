"""CPython side of the Thread benchmark: same cases as crates/thread/benches/thread.rs.

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


def noop():
    pass


def start_join(n):
    for _ in range(n):
        t = threading.Thread(target=noop)
        t.start()
        t.join()


def current_thread(n):
    current = threading.current_thread
    for _ in range(n):
        current()


def main():
    for case, fn, n in [
        ("start_join", start_join, 2_000),
        ("current_thread", current_thread, 1_000_000),
    ]:
        print(json.dumps({"group": "thread", "case": case, "ns": median_ns(fn, n)}), flush=True)


if __name__ == "__main__":
    main()
