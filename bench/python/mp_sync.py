#!/usr/bin/env python3
"""CPython's side of BenchmarkSync: multiprocessing's Lock, Value and Event.

- lock: an uncontended Lock().acquire() + release() (a POSIX semaphore),
  ns per pair, the best of --repeat runs of --ops pairs;
- semaphore: the same with a Semaphore(1);
- value_add: `with v.get_lock(): v.value += 1` on a Value('q'), ns per
  increment, the best of --repeat runs of --ops increments;
- event_wake: a child process sleeps in Event.wait(); the time from set()
  in the parent to the child running again, read on the monotonic clock
  on both sides, p50 of --wakes wake-ups, each after a pause of 200 µs so
  that the child is asleep when set() comes.

Prints one line per figure:

    python_sync_lock_ns_per_op N
    python_sync_semaphore_ns_per_op N
    python_sync_value_add_ns_per_op N
    python_sync_event_wake_p50_ns N

Standard library only (CPython 3.11).
"""

import argparse
import multiprocessing as mp
import statistics
import time


def time_lock(ops):
    lock = mp.Lock()
    acquire, release = lock.acquire, lock.release
    t0 = time.perf_counter_ns()
    for _ in range(ops):
        acquire()
        release()
    return (time.perf_counter_ns() - t0) / ops


def time_semaphore(ops):
    sem = mp.Semaphore(1)
    acquire, release = sem.acquire, sem.release
    t0 = time.perf_counter_ns()
    for _ in range(ops):
        acquire()
        release()
    return (time.perf_counter_ns() - t0) / ops


def time_value_add(ops):
    v = mp.Value("q", 0)
    t0 = time.perf_counter_ns()
    for _ in range(ops):
        with v.get_lock():
            v.value += 1
    dt = time.perf_counter_ns() - t0
    if v.value != ops:
        raise SystemExit(f"value_add: {v.value} after {ops} increments")
    return dt / ops


def wake_child(ping, pong, stamp, latency):
    while True:
        ping.wait()
        now = time.perf_counter_ns()
        if stamp.value == 0:
            return
        latency.value = now - stamp.value
        ping.clear()
        pong.set()


def time_event_wake(method, wakes):
    ctx = mp.get_context(method)
    ping, pong = ctx.Event(), ctx.Event()
    stamp, latency = ctx.Value("q", 0, lock=False), ctx.Value("q", 0, lock=False)
    p = ctx.Process(target=wake_child, args=(ping, pong, stamp, latency))
    p.start()
    lat = []
    for i in range(wakes + 1):  # the first round waits for the child to start
        time.sleep(200e-6)
        stamp.value = time.perf_counter_ns()
        ping.set()
        pong.wait()
        pong.clear()
        if i > 0:
            lat.append(latency.value)
    stamp.value = 0
    ping.set()
    p.join()
    if p.exitcode != 0:
        raise SystemExit(f"event_wake: child exited with {p.exitcode}")
    return statistics.median(lat)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ops", type=int, default=1_000_000, help="operations per timed run of lock and value_add")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs of lock and value_add; the best is printed")
    ap.add_argument("--wakes", type=int, default=200, help="wake-ups timed for event_wake; the p50 is printed")
    ap.add_argument("--method", default="spawn", help="start method of event_wake's child")
    args = ap.parse_args()
    lock = min(time_lock(args.ops) for _ in range(args.repeat))
    print(f"python_sync_lock_ns_per_op {lock:.1f}", flush=True)
    sem = min(time_semaphore(args.ops) for _ in range(args.repeat))
    print(f"python_sync_semaphore_ns_per_op {sem:.1f}", flush=True)
    add = min(time_value_add(args.ops) for _ in range(args.repeat))
    print(f"python_sync_value_add_ns_per_op {add:.1f}", flush=True)
    wake = time_event_wake(args.method, args.wakes)
    print(f"python_sync_event_wake_p50_ns {wake:.0f}", flush=True)


if __name__ == "__main__":
    main()
