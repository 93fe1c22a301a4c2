"""CPython side of the Local benchmark: same cases as crates/local/benches/local.rs.

Prints one JSON line per case: {"group", "case", "ns"} with the median ns per operation
over 7 repeats. Run by `cargo xtask bench`.
"""
import threading
from benchlib import emit, median_ns


def get(n):
    # An attribute read on a threading.local() whose value this thread already set.
    d = threading.local()
    d.x = 1
    for _ in range(n):
        d.x


def new_get_drop(n):
    # Create a local, set and read this thread's value, drop the local.
    local = threading.local
    for _ in range(n):
        d = local()
        d.x = 1
        d.x
        del d


def main():
    for case, fn, n in [
        ("get", get, 2_000_000),
        ("new_get_drop", new_get_drop, 200_000),
    ]:
        emit("local", case, median_ns(fn, n))


if __name__ == "__main__":
    main()
