#!/usr/bin/env python3
"""Dask distributed on the tiny tasks BenchmarkCluster sends through the
cluster executor: a LocalCluster of 2 worker processes with one thread
each, on loopback, client.map of a function that squares an int over
--tasks inputs, then client.gather; the best of --repeat runs, after one
untimed run that starts everything.

Needs the distributed package (Debian: python3-distributed). Prints:
  python_dask_tasks_per_s N
"""

import argparse
import logging
import time


def square(x):
    return x * x


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tasks", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    from distributed import Client, LocalCluster

    n = args.tasks
    want = sum(x * x for x in range(n))
    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        silence_logs=logging.ERROR,
    ) as cluster, Client(cluster) as client:
        client.wait_for_workers(2)
        # pure=False: every run computes its tasks afresh, never from
        # results Dask still holds under the same keys.
        client.gather(client.map(square, range(100), pure=False))
        best = 0.0
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            got = client.gather(client.map(square, range(n), pure=False))
            rate = n / (time.perf_counter() - t0)
            if sum(got) != want:
                raise SystemExit("wrong results")
            best = max(best, rate)
        print(f"python_dask_tasks_per_s {best:.0f}", flush=True)


if __name__ == "__main__":
    main()
