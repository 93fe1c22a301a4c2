"""CPython side of the Timer benchmark: same case as crates/timer/benches/timer.rs.

Prints one JSON line per case: {"group", "case", "ns"} with the median ns per operation
over 7 repeats. Run by `cargo xtask bench`.
"""
import threading
from benchlib import emit, median_ns

HOUR = 3600.0


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
        emit("timer", case, median_ns(fn, n))


if __name__ == "__main__":
    main()
