"""CPython side of the Timer benchmark: same case as crates/timer/benches/timer.rs.

Prints one JSON line per case: {"group", "case", "ns"} with the median ns per operation
over 7 repeats. Run by `cargo xtask bench`.
"""
import json
import statistics
import threading
import time

REPEATS = 7
HOUR = 3600.0


def median_ns(fn, n):
    samples = []
    for _ in range(REPEATS):
        t = time.perf_counter_ns()
        fn(n)
        samples.append((time.perf_counter_ns() - t) / n)
    return statistics.median(samples)


def never():
    raise AssertionError("cancelled")


def start_cancel_join(n):
    for _ in range(n):
        t = threading.Timer(HOUR, never)
        t.start()
        t.cancel()
        t.join()


def main():
    for case, fn, n in [("start_cancel_join", start_cancel_join, 2_000)]:
        print(json.dumps({"group": "timer", "case": case, "ns": median_ns(fn, n)}), flush=True)


if __name__ == "__main__":
    main()
