#!/usr/bin/env python3
"""CPython's ProcessPoolExecutor(2), timed the way BenchmarkProcPool times
mp.Pool: 20,000 tiny tasks (x+1) submitted one by one and then collected;
the same through executor.map at its best chunksize of those tried; and the
median latency of one task submitted and waited for at a time.

Prints:
  python_pool_submit_tasks_per_s N
  python_pool_map_tasks_per_s N chunksize C
  python_pool_latency_p50_seconds S
"""

import argparse
import concurrent.futures as cf
import statistics
import time


def inc(x):
    return x + 1


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tasks", type=int, default=20_000)
    ap.add_argument("--latency-tasks", type=int, default=500)
    args = ap.parse_args()
    n = args.tasks
    with cf.ProcessPoolExecutor(2) as ex:
        # Start the workers outside the timing.
        list(ex.map(inc, range(100)))

        t0 = time.perf_counter()
        futs = [ex.submit(inc, i) for i in range(n)]
        for i, f in enumerate(futs):
            if f.result() != i + 1:
                raise SystemExit("wrong result")
        print(f"python_pool_submit_tasks_per_s {n / (time.perf_counter() - t0):.0f}", flush=True)

        best, best_chunk = 0.0, 0
        for chunk in (64, 256, 512, 1024, 4096):
            t0 = time.perf_counter()
            for i, v in enumerate(ex.map(inc, range(n), chunksize=chunk)):
                if v != i + 1:
                    raise SystemExit("wrong result")
            rate = n / (time.perf_counter() - t0)
            if rate > best:
                best, best_chunk = rate, chunk
        print(f"python_pool_map_tasks_per_s {best:.0f} chunksize {best_chunk}", flush=True)

        times = []
        for i in range(args.latency_tasks):
            t0 = time.perf_counter()
            ex.submit(inc, i).result()
            times.append(time.perf_counter() - t0)
        print(f"python_pool_latency_p50_seconds {statistics.median(times):.6f}", flush=True)


if __name__ == "__main__":
    main()
