"""CPython side of the Lock benchmark: same cases as crates/lock/benches/lock.rs.

Prints one JSON line per case: {"group", "case", "ns"} with the median ns per operation
over 7 repeats. Run by `cargo xtask bench`.
"""
import threading
from benchlib import emit, median_ns


def uncontended(n):
    lock = threading.Lock()
    acquire, release = lock.acquire, lock.release
    for _ in range(n):
        acquire()
        release()


def uncontended_guard(n):
    lock = threading.Lock()
    for _ in range(n):
        with lock:
            pass


def contended_2t(n):
    # Time per increment, two threads each doing n // 2 locked increments.
    lock = threading.Lock()
    box = [0]
    start = threading.Barrier(2)

    def work():
        start.wait()
        for _ in range(n // 2):
            with lock:
                box[0] += 1

    t = threading.Thread(target=work)
    t.start()
    work()
    t.join()
    assert box[0] == 2 * (n // 2)


def main():
    for case, fn, n in [
        ("uncontended", uncontended, 1_000_000),
        ("uncontended_guard", uncontended_guard, 1_000_000),
        ("contended_2t", contended_2t, 200_000),
    ]:
        emit("lock", case, median_ns(fn, n))


if __name__ == "__main__":
    main()
