#!/usr/bin/env bash
# Compares the multitask command with GNU parallel, xargs and rush (when
# installed) on job-runner scenarios, and prints the tables and targets.
# Flags go to cmd/jobs: bash jobs.sh -h. Run the full set on a quiet machine.
set -euo pipefail
cd "$(dirname "$0")"
go run ./cmd/jobs "$@"
