#!/usr/bin/env python3
"""CPython's side of BenchmarkBigPayload: the memory a big bytes costs.

The growth of peak resident memory (VmHWM, reset before the step by writing
5 to /proc/self/clear_refs) per payload byte, for a 200 MiB bytes object:

  argument  sent to a ProcessPoolExecutor(1) task, which returns its length
  result    made and returned by such a task
  queue     put into a multiprocessing.Queue by a child process, got by the
            parent

"parent" is this process's growth, "other" the worker's (the child's for
queue), which includes the payload when that process makes it. Each step
runs in a fresh process, so that nothing of an earlier step stays in the
peak. Prints, per step:

    python_big_<step>_parent_per_byte 1.00
    python_big_<step>_other_per_byte 1.00

Linux only (it reads /proc); standard library only (CPython 3.11).
"""

import argparse
import concurrent.futures as cf
import gc
import multiprocessing as mp

MIB = 1 << 20


def status(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    raise SystemExit(f"no {key} in /proc/self/status")


def reset_peak(_=0):
    gc.collect()
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    return status("VmRSS")


def peak(_=0):
    return status("VmHWM")


def filled(n):
    # Every page written, as the Go side's payload.
    return bytes(range(256)) * (n // 256) + bytes(n % 256)


def length(b):
    return len(b)


def put_big(q, n):
    base = reset_peak()
    q.put(filled(n))
    q.close()
    q.join_thread()  # the item has been written to the pipe
    return peak() - base


def put_child(q, n, out):
    out.put(put_big(q, n))


def step(name, n, method):
    ctx = mp.get_context(method)
    with cf.ProcessPoolExecutor(max_workers=1, mp_context=ctx) as ex:
        ex.submit(length, filled(MIB)).result()
        ex.submit(filled, MIB).result()
        payload = filled(n) if name == "argument" else None
        other_base = ex.submit(reset_peak).result()
        base = reset_peak()
        if name == "argument":
            assert ex.submit(length, payload).result() == n
        elif name == "result":
            b = ex.submit(filled, n).result()
            assert len(b) == n
        else:
            q, out = ctx.Queue(), ctx.Queue()
            p = ctx.Process(target=put_child, args=(q, n, out))
            p.start()
            b = q.get()
            assert len(b) == n
            other = out.get()
            p.join()
        grown = peak() - base
        if name != "queue":
            other = ex.submit(peak).result() - other_base
    return grown, other


def run_step(name, n, method, conn):
    conn.send(step(name, n, method))
    conn.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mib", type=int, default=200, help="payload size in MiB")
    ap.add_argument("--method", default="spawn", help="start method")
    args = ap.parse_args()
    n = args.mib * MIB
    ctx = mp.get_context(args.method)
    for name in ("argument", "result", "queue"):
        recv, send = ctx.Pipe(duplex=False)
        p = ctx.Process(target=run_step, args=(name, n, args.method, send))
        p.start()
        send.close()
        grown, other = recv.recv()
        p.join()
        if p.exitcode != 0:
            raise SystemExit(f"{name}: the step's process exited with {p.exitcode}")
        print(f"python_big_{name}_parent_per_byte {grown / n:.3f}", flush=True)
        print(f"python_big_{name}_other_per_byte {other / n:.3f}", flush=True)


if __name__ == "__main__":
    main()
