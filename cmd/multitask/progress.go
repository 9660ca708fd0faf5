package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// progress draws --bar and --eta on a terminal and prints a one-line
// summary at the end. It counts jobs as the input yields them, so it never
// reads ahead of the run: until the input ends, the total is a lower bound.
type progress struct {
	w        io.Writer
	bar, eta bool
	live     bool // w is a terminal: redraw in place
	start    time.Time
	total    int // the number of jobs when known before they are read; 0 if not

	mu      sync.Mutex
	read    int  // jobs read from the input
	ended   int  // jobs ended
	failed  int  // of which failed
	allRead bool // the input has ended

	stop chan struct{}
	done chan struct{}
}

func newProgress(w io.Writer, bar, eta bool, total int) *progress {
	p := &progress{w: w, bar: bar, eta: eta, live: isTerminal(w), start: time.Now(), total: total,
		stop: make(chan struct{}), done: make(chan struct{})}
	go p.draw()
	return p
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

func (p *progress) readOne() { p.mu.Lock(); p.read++; p.mu.Unlock() }

func (p *progress) inputEnded() { p.mu.Lock(); p.allRead = true; p.mu.Unlock() }

func (p *progress) endedOne(failed bool) {
	p.mu.Lock()
	p.ended++
	if failed {
		p.failed++
	}
	p.mu.Unlock()
}

func (p *progress) draw() {
	defer close(p.done)
	if !p.live {
		<-p.stop
		return
	}
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			fmt.Fprint(p.w, "\r\033[K")
			return
		case <-t.C:
			fmt.Fprintf(p.w, "\r\033[K%s", p.line())
		}
	}
}

// line is the progress as GNU parallel words it: the share done, jobs
// ended of those known, and the estimated time left.
func (p *progress) line() string {
	p.mu.Lock()
	read, ended, allRead := p.read, p.ended, p.allRead
	p.mu.Unlock()
	if p.total > 0 {
		read, allRead = max(read, p.total), true
	}
	elapsed := time.Since(p.start)
	total := fmt.Sprint(read)
	if !allRead {
		total += "+"
	}
	var b strings.Builder
	pct := 0
	if read > 0 {
		pct = ended * 100 / read
	}
	fmt.Fprintf(&b, "%3d%% %d:%s", pct, ended, total)
	if ended > 0 {
		left := time.Duration(float64(elapsed) / float64(ended) * float64(read-ended))
		fmt.Fprintf(&b, " ETA: %s", left.Round(time.Second))
	}
	if p.bar {
		const width = 30
		fill := pct * width / 100
		fmt.Fprintf(&b, " [%s%s]", strings.Repeat("#", fill), strings.Repeat(".", width-fill))
	}
	return b.String()
}

// finish stops drawing and prints the summary line.
func (p *progress) finish() {
	close(p.stop)
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	elapsed := time.Since(p.start)
	rate := 0.0
	if s := elapsed.Seconds(); s > 0 {
		rate = float64(p.ended) / s
	}
	fmt.Fprintf(p.w, "multitask: %d jobs, %d failed, in %s (%.1f jobs/s)\n",
		p.ended, p.failed, elapsed.Round(time.Millisecond), rate)
}
