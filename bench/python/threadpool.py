#!/usr/bin/env python3
"""CPython's side of BenchmarkThreadPool100k.

Submits 100k calls of a tiny function to a ThreadPoolExecutor of
os.cpu_count() workers, then calls result() on each future, as the Go
benchmark does with futures.ThreadPool. The executor is made once and warmed
up, as the Go pool is, and only the submit and result loops are timed.

Prints one machine-readable line on stdout, the best of --repeat runs:

    python_threadpool_100k_seconds 1.234567

and a human note on stderr. Standard library only (CPython 3.11).
"""

import argparse
import os
import platform
import sys
import time
from concurrent.futures import ThreadPoolExecutor

TASKS = 100_000


def inc(x):
    return x + 1


def run_once(executor, n):
    """Submits n tasks, collects every result, and returns the seconds taken."""
    start = time.perf_counter()
    futures = [executor.submit(inc, i) for i in range(n)]
    total = 0
    for f in futures:
        total += f.result()
    elapsed = time.perf_counter() - start
    want = n * (n + 1) // 2
    if total != want:
        sys.exit(f"threadpool.py: results add up to {total}, want {want}")
    return elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3,
                        help="timed runs; the best is printed (default 3)")
    parser.add_argument("--workers", type=int, default=os.cpu_count(),
                        help="max_workers (default os.cpu_count())")
    args = parser.parse_args()
    if args.repeat < 1 or args.workers < 1:
        parser.error("--repeat and --workers must be at least 1")

    with ThreadPoolExecutor(max_workers=args.workers) as executor:
        run_once(executor, 10 * args.workers)  # start the worker threads
        best = min(run_once(executor, TASKS) for _ in range(args.repeat))

    print(f"python {platform.python_version()}, workers={args.workers}, "
          f"best of {args.repeat}", file=sys.stderr)
    print(f"python_threadpool_100k_seconds {best:.6f}")


if __name__ == "__main__":
    main()
