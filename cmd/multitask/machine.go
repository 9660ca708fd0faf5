package main

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// gnuVersion is the GNU parallel release whose behaviour multitask
// follows: --minversion compares with it, as scripts written for GNU
// parallel expect.
const gnuVersion = 20221122

// maxArgLen is the longest argument GNU parallel finds exec takes on
// Linux, which --max-line-length-allowed prints (see maxLine).
const maxArgLen = 130329

// cpuTopology counts the sockets, cores and threads of this machine as
// GNU parallel counts them from /sys: sockets by their package ids, cores
// by their sets of sibling threads, and the threads this process may run
// on. Cores and sockets are at least 1 and no more than the threads.
func cpuTopology() (sockets, cores, threads int) {
	threads = runtime.NumCPU()
	packages, siblings := map[string]bool{}, map[string]bool{}
	dirs, _ := filepath.Glob("/sys/devices/system/cpu/cpu[0-9]*/topology")
	for _, d := range dirs {
		if b, err := os.ReadFile(filepath.Join(d, "physical_package_id")); err == nil {
			packages[strings.TrimSpace(string(b))] = true
		}
		if b, err := os.ReadFile(filepath.Join(d, "thread_siblings")); err == nil {
			siblings[strings.TrimSpace(string(b))] = true
		}
	}
	sockets = min(max(len(packages), 1), threads)
	cores = min(max(len(siblings), 1), threads)
	return sockets, cores, threads
}
