#!/usr/bin/env bash
# Runs every benchmark of the bench module with CPython's side
# (python/threadpool.py, python/process_start.py, python/mp_sync.py,
# python/process_pool.py, python/mp_queue.py, python/big_payload.py, each
# when its group ran) and Dask's (python/dask_tasks.py, when Cluster ran), then
# prints the tables and targets. Flags go to cmd/report: bash run.sh -h.
set -euo pipefail
cd "$(dirname "$0")"
go run ./cmd/report "$@"
