"""CPython side of the Semaphore benchmark: same cases as crates/semaphore/benches/semaphore.rs.

Prints one JSON line per case: {"group", "case", "ns"} with the median ns per operation
over 7 repeats. Run by `cargo xtask bench`.
"""
import threading
from benchlib import emit, median_ns


def uncontended(n):
    sem = threading.Semaphore(1)
    acquire, release = sem.acquire, sem.release
    for _ in range(n):
        acquire()
        release()


def uncontended_guard(n):
    sem = threading.Semaphore(1)
    for _ in range(n):
        with sem:
            pass


def contended_2t(n):
    # Time per increment, two threads each doing n // 2 increments under a Semaphore(1).
    sem = threading.Semaphore(1)
    box = [0]
    start = threading.Barrier(2)

    def work():
        start.wait()
        for _ in range(n // 2):
            with sem:
                box[0] += 1

    t = threading.Thread(target=work)
    t.start()
    work()
    t.join()
    assert box[0] == 2 * (n // 2)


def main():
    for case, fn, n in [
        ("uncontended", uncontended, 300_000),
        ("uncontended_guard", uncontended_guard, 300_000),
        ("contended_2t", contended_2t, 100_000),
    ]:
        emit("semaphore", case, median_ns(fn, n))


if __name__ == "__main__":
    main()
