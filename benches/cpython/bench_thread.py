"""CPython side of the Thread benchmark: same cases as crates/thread/benches/thread.rs.

Prints one JSON line per case: {"group", "case", "ns"} with the median ns per operation
over 7 repeats. Run by `cargo xtask bench`.
"""
import threading
from benchlib import emit, median_ns


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
        emit("thread", case, median_ns(fn, n))


if __name__ == "__main__":
    main()
