package cluster

import (
	"bytes"
	"errors"
	"slices"
	"sync"
	"testing"
)

// TestBatcherGathersWhileSending holds the first send of a destination
// until more items have come: they go together in the next send, in the
// order they came, and the batcher's goroutine ends once none is left.
func TestBatcherGathersWhileSending(t *testing.T) {
	var wg sync.WaitGroup
	started, release := make(chan struct{}), make(chan struct{})
	var (
		mu    sync.Mutex
		sends [][]int
	)
	b := newBatcher(&wg, func(dest string, items []int) int {
		if dest != "a" {
			t.Errorf("sent to %q", dest)
		}
		mu.Lock()
		first := len(sends) == 0
		sends = append(sends, slices.Clone(items))
		mu.Unlock()
		if first {
			close(started)
			<-release
		}
		return len(items)
	})
	b.add("a", 1)
	<-started
	for i := 2; i <= 5; i++ {
		b.add("a", i)
	}
	close(release)
	wg.Wait()
	want := [][]int{{1}, {2, 3, 4, 5}}
	if !slices.EqualFunc(sends, want, slices.Equal) {
		t.Fatalf("sends %v, want %v", sends, want)
	}
	if len(b.waiting) != 0 {
		t.Fatalf("the batcher still holds %v", b.waiting)
	}
}

// TestBatcherSendsPrefixes lets send take two items at a time: the rest
// wait for the next send, before the items that come later.
func TestBatcherSendsPrefixes(t *testing.T) {
	var wg sync.WaitGroup
	release := make(chan struct{})
	var sent []int
	first := true
	b := newBatcher(&wg, func(_ string, items []int) int {
		if first {
			first = false
			<-release
		}
		n := min(len(items), 2)
		sent = append(sent, items[:n]...)
		return n
	})
	for i := range 7 {
		b.add("a", i)
	}
	close(release)
	wg.Wait()
	if want := []int{0, 1, 2, 3, 4, 5, 6}; !slices.Equal(sent, want) {
		t.Fatalf("sent %v, want %v", sent, want)
	}
}

// TestBatcherKeepsDestinationsApart: a destination whose send hangs does
// not hold another's items.
func TestBatcherKeepsDestinationsApart(t *testing.T) {
	var wg sync.WaitGroup
	hang := make(chan struct{})
	got := make(chan int, 1)
	b := newBatcher(&wg, func(dest string, items []int) int {
		if dest == "slow" {
			<-hang
		} else {
			got <- items[0]
		}
		return len(items)
	})
	b.add("slow", 1)
	b.add("fast", 2)
	if v := <-got; v != 2 {
		t.Fatalf("fast got %d", v)
	}
	close(hang)
	wg.Wait()
}

func TestResultsRoundTrip(t *testing.T) {
	in := []result{
		{id: "a", status: statusOK, attempts: 1, data: []byte("value")},
		{id: "b", status: statusError, attempts: 3, data: []byte{0, 1, 2}},
		{id: "c", status: statusOK, attempts: 1, object: "c.result"},
		{id: "d", status: statusDead, attempts: 300},
	}
	var data []byte
	for i := range in {
		before := len(data)
		data = appendResult(data, &in[i])
		if n := len(data) - before; n > resultSize(&in[i]) {
			t.Errorf("%s: appended %d bytes, more than resultSize's %d", in[i].id, n, resultSize(&in[i]))
		}
	}
	out, err := parseResults(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != len(in) {
		t.Fatalf("%d results, want %d", len(out), len(in))
	}
	for i := range in {
		a, b := in[i], out[i]
		if a.id != b.id || a.status != b.status || a.attempts != b.attempts || a.object != b.object || !bytes.Equal(a.data, b.data) {
			t.Errorf("result %d: %+v, want %+v", i, b, a)
		}
	}
}

// TestMalformedResults: every cut of a message of results, and garbage,
// is refused rather than read past its end.
func TestMalformedResults(t *testing.T) {
	full := appendResult(nil, &result{id: "task", status: statusOK, attempts: 2, object: "o", data: []byte("data")})
	for n := 1; n < len(full); n++ {
		if _, err := parseResults(full[:n]); !errors.Is(err, errBadResults) {
			t.Errorf("cut at %d of %d: %v, want errBadResults", n, len(full), err)
		}
	}
	for _, bad := range [][]byte{
		{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
		{0x05, 'a'},
		append(appendString(appendString(nil, "id"), "ok"), 0xff, 0xff, 0xff, 0xff, 0x0f),
	} {
		if _, err := parseResults(bad); !errors.Is(err, errBadResults) {
			t.Errorf("%x: %v, want errBadResults", bad, err)
		}
	}
	if rs, err := parseResults(nil); err != nil || len(rs) != 0 {
		t.Errorf("no data: %v, %v", rs, err)
	}
}

// TestRanRoundTrip checks the header that tells how long chunks ran: it
// names the results that ran for a known time by their place, and a
// header that is not well formed gives what it can and no more.
func TestRanRoundTrip(t *testing.T) {
	outs := []*outcome{{}, {result: result{ran: 1500}}, {}, {result: result{ran: 7}}}
	h := string(appendRan(nil, outs))
	if h != "1:1500,3:7" {
		t.Fatalf("appendRan = %q, want %q", h, "1:1500,3:7")
	}
	rs := make([]result, len(outs))
	parseRan(h, rs)
	for i, o := range outs {
		if rs[i].ran != o.ran {
			t.Errorf("result %d ran %v, want %v", i, rs[i].ran, o.ran)
		}
	}
	if h := appendRan(nil, outs[:1]); len(h) != 0 {
		t.Errorf("appendRan of results that tell no time = %q, want nothing", h)
	}

	rs = make([]result, 3)
	parseRan("0:5,x:1,1:-3,9:4,2:,2:8:9,1", rs)
	if rs[0].ran != 5 || rs[1].ran != 0 || rs[2].ran != 0 {
		t.Errorf("parseRan of a malformed header set %v, %v, %v; want 5ns, 0, 0", rs[0].ran, rs[1].ran, rs[2].ran)
	}
}
