#!/usr/bin/env python3
"""CPython's side of BenchmarkQueue: multiprocessing.Queue messages per second.

One producer process puts N items into a multiprocessing.Queue made by the
parent, and one consumer process gets them, as the Go benchmark does with
mp.Queue. Both children start and say they are ready before the clock
starts; the time runs from the producer's go to the consumer's last get.

Payloads: "int" (the item number) and "struct100" (a dict with the fields
of the Go payload100 struct, about 100 bytes pickled).

Prints one line per payload, the best of --repeat runs:

    python_queue_<payload>_msgs_per_second N

Standard library only (CPython 3.11).
"""

import argparse
import multiprocessing as mp
import pickle
import time


def make_int(i):
    return i


def make_struct100(i):
    return {
        "ID": i,
        "Time": 1764000000 + i,
        "Name": "worker-0000000000000000000000001",
        "Note": "a small record of about one hundred byte",
        "Score": i / 3,
        "Flags": 7,
    }


MAKERS = {"int": make_int, "struct100": make_struct100}


def producer(q, n, payload, ready, go):
    make = MAKERS[payload]
    ready.set()
    go.wait()
    for i in range(n):
        q.put(make(i))


def consumer(q, n, ready, done):
    ready.set()
    for _ in range(n):
        q.get()
    done.value = time.perf_counter()


def run_once(method, payload, n):
    ctx = mp.get_context(method)
    q = ctx.Queue()
    p_ready, c_ready, go = ctx.Event(), ctx.Event(), ctx.Event()
    done = ctx.Value("d", 0.0)
    p = ctx.Process(target=producer, args=(q, n, payload, p_ready, go))
    c = ctx.Process(target=consumer, args=(q, n, c_ready, done))
    p.start()
    c.start()
    p_ready.wait()
    c_ready.wait()
    t0 = time.perf_counter()
    go.set()
    c.join()
    p.join()
    if p.exitcode != 0 or c.exitcode != 0:
        raise SystemExit(f"{payload}: children exited with {p.exitcode}, {c.exitcode}")
    return n / (done.value - t0)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--messages", type=int, default=200_000, help="messages per run")
    ap.add_argument("--repeat", type=int, default=3, help="runs per payload; the best is printed")
    ap.add_argument("--method", default="spawn", help="start method (the rate does not depend on it)")
    args = ap.parse_args()
    for payload in ("int", "struct100"):
        best = max(run_once(args.method, payload, args.messages) for _ in range(args.repeat))
        size = len(pickle.dumps(MAKERS[payload](12345)))
        print(f"python_queue_{payload}_msgs_per_second {best:.0f}", flush=True)
        print(f"# {payload}: {size} bytes pickled", flush=True)


if __name__ == "__main__":
    main()
