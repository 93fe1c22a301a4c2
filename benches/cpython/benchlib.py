"""Shared helpers of the CPython benchmark scripts (`bench_<crate>.py`).

Every script measures the same cases as `crates/<crate>/benches/<crate>.rs` and prints one
JSON line per case, `{"group", "case", "ns"}`, with the median nanoseconds per operation over
REPEATS runs; `cargo xtask bench` reads those lines. The scripts are named `bench_<crate>.py`
so that none shadows a standard-library module (`queue`) for the others.
"""
import json
import statistics
import time

REPEATS = 7


def median_ns(fn, n, repeats=REPEATS):
    """The median over `repeats` runs of `fn(n)`, in nanoseconds per one of its `n` operations."""
    samples = []
    for _ in range(repeats):
        t = time.perf_counter_ns()
        fn(n)
        samples.append((time.perf_counter_ns() - t) / n)
    return statistics.median(samples)


def emit(group, case, ns):
    """Prints one result line for `cargo xtask bench`."""
    print(json.dumps({"group": group, "case": case, "ns": ns}), flush=True)
