"""CPython side of the queue benchmark: same cases as crates/queue/benches/queue.rs.

Prints one JSON line per case: {"group", "case", "ns"} with the median ns per operation
over 7 repeats (per put+get for the uncontended cases, per item for the threaded ones).
`uncontended_unbounded_simple` is queue.SimpleQueue (the Rust bench's `threading_simple` row
of `uncontended_unbounded`). Run by `cargo xtask bench`.
"""
import queue
import threading

from benchlib import emit, median_ns

CAP = 1024


def uncontended(q):
    def run(n):
        put, get = q.put, q.get
        for _ in range(n):
            put(1)
            get()
    return run


def threaded(producers, consumers):
    # Time per item: `producers` threads put n items between them, `consumers` threads get them.
    def run(n):
        q = queue.Queue(CAP)
        start = threading.Barrier(producers + consumers)

        def produce(k):
            start.wait()
            put = q.put
            for i in range(k):
                put(i)

        def consume(k):
            start.wait()
            get = q.get
            for _ in range(k):
                get()

        threads = [threading.Thread(target=produce, args=(n // producers,)) for _ in range(producers)]
        threads += [threading.Thread(target=consume, args=(n // consumers,)) for _ in range(consumers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    return run


def main():
    for case, fn, n in [
        ("uncontended_bounded", uncontended(queue.Queue(CAP)), 200_000),
        ("uncontended_unbounded", uncontended(queue.Queue(0)), 200_000),
        ("uncontended_unbounded_simple", uncontended(queue.SimpleQueue()), 200_000),
        ("spsc", threaded(1, 1), 100_000),
        ("mpmc_2x2", threaded(2, 2), 100_000),
    ]:
        emit("queue", case, median_ns(fn, n))


if __name__ == "__main__":
    main()
