"""CPython side of the Barrier benchmark: same cases as crates/barrier/benches/barrier.rs.

Prints one JSON line per case: {"group", "case", "ns"} with the median ns per round
over 7 repeats. Run by `cargo xtask bench`.
"""
import statistics
import threading
import time
from benchlib import REPEATS, emit


def rounds(parties, n):
    """Time per round on the main thread: `parties` threads pass one barrier n times, after a
    first round that lines them all up (thread start-up is not counted)."""
    barrier = threading.Barrier(parties)
    wait = barrier.wait

    def helper():
        for _ in range(n + 1):
            wait()

    helpers = [threading.Thread(target=helper) for _ in range(parties - 1)]
    for t in helpers:
        t.start()
    wait()
    t0 = time.perf_counter_ns()
    for _ in range(n):
        wait()
    elapsed = time.perf_counter_ns() - t0
    for t in helpers:
        t.join()
    return elapsed / n


def main():
    for case, parties, n in [
        ("rounds_2t", 2, 20_000),
        ("rounds_4t", 4, 5_000),
    ]:
        ns = statistics.median(rounds(parties, n) for _ in range(REPEATS))
        emit("barrier", case, ns)


if __name__ == "__main__":
    main()
