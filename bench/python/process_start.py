#!/usr/bin/env python3
"""CPython's multiprocessing start methods, timed the way BenchmarkProcessStart
times ours: Process(target=noop).start() then join(), median over N starts.

Prints one line per method: python_process_start_<method>_p50_seconds S
"""

import argparse
import multiprocessing as mp
import statistics
import time


def noop():
    pass


def p50(method, n):
    ctx = mp.get_context(method)
    # One start outside the timing: forkserver starts its server then.
    p = ctx.Process(target=noop)
    p.start()
    p.join()
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        p = ctx.Process(target=noop)
        p.start()
        p.join()
        times.append(time.perf_counter() - t0)
        if p.exitcode != 0:
            raise SystemExit(f"{method}: child exited with {p.exitcode}")
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--starts", type=int, default=30, help="starts per method")
    args = ap.parse_args()
    for method in ("spawn", "forkserver", "fork"):
        print(f"python_process_start_{method}_p50_seconds {p50(method, args.starts):.6f}", flush=True)


if __name__ == "__main__":
    main()
