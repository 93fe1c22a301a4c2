"""CPython side of the pool benchmark: same cases as crates/pool/benches/pool.rs.

Prints one JSON line per case: {"group", "case", "ns"} with the median ns per operation
over the repeats (per task for round_trip and many_tasks; per whole job for cpu_bound_1 and
cpu_bound_n, which count primes in 32 pieces on 1 and on N = os.cpu_count() workers); the
CPU-bound speedup (the GIL keeps it near 1) goes to stderr. Run by `cargo xtask bench`.
"""
import os
import sys

from concurrent.futures import ThreadPoolExecutor
from benchlib import emit, median_ns

PIECES = 32
SPAN = 6_000


def trivial(x=1):
    return x


def round_trip(n):
    with ThreadPoolExecutor(1) as ex:
        submit = ex.submit
        for _ in range(n):
            submit(trivial).result()


def many_tasks(n):
    with ThreadPoolExecutor(os.cpu_count()) as ex:
        fs = [ex.submit(trivial, i) for i in range(n)]
        for f in fs:
            f.result()


def many_tasks_map(n):
    with ThreadPoolExecutor(os.cpu_count()) as ex:
        for _ in ex.map(trivial, range(n)):
            pass


def is_prime(n):
    if n < 2:
        return False
    d = 2
    while d * d <= n:
        if n % d == 0:
            return False
        d += 1
    return True


def count_piece(p):
    return sum(1 for k in range(p * SPAN, (p + 1) * SPAN) if is_prime(k))


def count_primes(workers):
    with ThreadPoolExecutor(workers) as ex:
        return sum(f.result() for f in [ex.submit(count_piece, p) for p in range(PIECES)])


def main():
    n = os.cpu_count()
    assert count_primes(1) == count_primes(n)
    for case, fn, k in [
        ("round_trip", round_trip, 20_000),
        ("many_tasks", many_tasks, 100_000),
        ("many_tasks_map", many_tasks_map, 100_000),
    ]:
        emit("pool", case, median_ns(fn, k))
    cpu = {}
    for case, workers in [("cpu_bound_1", 1), ("cpu_bound_n", n)]:
        cpu[case] = median_ns(lambda _: count_primes(workers), 1, repeats=3)
        emit("pool", case, cpu[case])
    speedup = cpu["cpu_bound_1"] / cpu["cpu_bound_n"]
    print(f"pool/cpu_bound (CPython): speedup {speedup:.2f} on {n} workers", file=sys.stderr)


if __name__ == "__main__":
    main()
