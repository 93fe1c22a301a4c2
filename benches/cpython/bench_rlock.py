"""CPython side of the RLock benchmark: same cases as crates/rlock/benches/rlock.rs.

Prints one JSON line per case: {"group", "case", "ns"} with the median ns per operation
over 7 repeats. Run by `cargo xtask bench`.
"""
import threading
from benchlib import emit, median_ns


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
        emit("rlock", case, median_ns(fn, n))


if __name__ == "__main__":
    main()
