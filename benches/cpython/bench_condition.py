"""CPython side of the Condition benchmark: same cases as crates/condition/benches/condition.rs.

Prints one JSON line per case: {"group", "case", "ns"} with the median ns per operation
over 7 repeats. Run by `cargo xtask bench`.

* ping_pong: one round trip between two threads (A sets turn = B, notifies and waits until
  turn == A; B mirrors it), with the default Condition (over an RLock, the Rust side's
  `threading_rlock`).
* notify_no_waiters: one notify() with the lock held and nobody waiting.
"""
import threading
from benchlib import emit, median_ns


def ping_pong(n):
    cond = threading.Condition()
    turn = ["A"]
    start = threading.Barrier(2)

    def side(me, other):
        start.wait()
        for _ in range(n):
            with cond:
                if me == "A":
                    turn[0] = other
                    cond.notify()
                    cond.wait_for(lambda: turn[0] == me)
                else:
                    cond.wait_for(lambda: turn[0] == me)
                    turn[0] = other
                    cond.notify()

    b = threading.Thread(target=side, args=("B", "A"))
    b.start()
    side("A", "B")
    b.join()


def notify_no_waiters(n):
    cond = threading.Condition()
    notify = cond.notify
    with cond:
        for _ in range(n):
            notify()


def main():
    for case, fn, n in [
        ("ping_pong", ping_pong, 5_000),
        ("notify_no_waiters", notify_no_waiters, 1_000_000),
    ]:
        emit("condition", case, median_ns(fn, n))


if __name__ == "__main__":
    main()
