package engine

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
)

// resourcesFree reports whether at least memFree bytes are available and
// the load average is below load; a zero limit is not checked.
func resourcesFree(memFree int64, load float64) bool {
	if memFree > 0 && memAvailable() < memFree {
		return false
	}
	if load > 0 && loadAverage() >= load {
		return false
	}
	return true
}

// memAvailable is /proc/meminfo's MemAvailable in bytes, or a huge value
// when it cannot be read, so that a limit never blocks forever.
func memAvailable() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 1 << 62
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := bytes.CutPrefix(sc.Bytes(), []byte("MemAvailable:")); ok {
			kb, err := strconv.ParseInt(string(bytes.Fields(rest)[0]), 10, 64)
			if err == nil {
				return kb * 1024
			}
		}
	}
	return 1 << 62
}

// loadAverage is the one-minute load average, 0 when it cannot be read.
func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := bytes.Fields(b)
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(string(f[0]), 64)
	return v
}
