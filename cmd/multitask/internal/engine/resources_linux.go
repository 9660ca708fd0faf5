package engine

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"time"
)

// resourcesFree reports whether at least memFree bytes are available, as
// avail reads them, and the load (see load) is below maxLoad; a zero limit
// is not checked.
func resourcesFree(memFree int64, avail func() int64, maxLoad float64) bool {
	if memFree > 0 && avail() < memFree {
		return false
	}
	if maxLoad > 0 && load() >= maxLoad {
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

// load is GNU parallel's measure of the load: the processes (threads)
// running or waiting for a CPU, and those in uninterruptible sleep, now,
// less the one reading them (GNU parallel counts them with ps, and does
// not count ps). It is 0 when /proc/stat cannot be read.
func load() float64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	n := int64(0)
	for line := range bytes.Lines(b) {
		for _, key := range [][]byte{[]byte("procs_running "), []byte("procs_blocked ")} {
			if rest, ok := bytes.CutPrefix(line, key); ok {
				v, _ := strconv.ParseInt(string(bytes.TrimSpace(rest)), 10, 64)
				n += v
			}
		}
	}
	return float64(max(n-1, 0))
}

// swapCounts reads the pages swapped in and out since boot from
// /proc/vmstat; 0 when it cannot.
func swapCounts() (in, out int64) {
	b, err := os.ReadFile("/proc/vmstat")
	if err != nil {
		return 0, 0
	}
	for line := range bytes.Lines(b) {
		key, value, _ := bytes.Cut(bytes.TrimSpace(line), []byte(" "))
		n, _ := strconv.ParseInt(string(value), 10, 64)
		switch string(key) {
		case "pswpin":
			in = n
		case "pswpout":
			out = n
		}
	}
	return in, out
}

// A swapWatch tells whether the machine swaps both in and out, as GNU
// parallel's --noswap asks: from the counts of swapped pages, looked at
// again once a second has passed since the last look.
type swapWatch struct {
	counts  func() (in, out int64)
	at      time.Time // of the last look
	in, out int64
	active  bool
}

// swapping reports whether the machine swapped both in and out between
// the last two looks. Until it has looked twice it does not know, and
// says so, as GNU parallel does: the first start waits for a second look.
func (w *swapWatch) swapping() bool {
	if !w.at.IsZero() && time.Since(w.at) < time.Second {
		return w.active
	}
	in, out := w.counts()
	w.active = w.at.IsZero() || in > w.in && out > w.out
	w.at, w.in, w.out = time.Now(), in, out
	return w.active
}
