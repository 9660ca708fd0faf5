package main

import (
	"maps"
	"strings"
	"testing"
)

// queueSample is go test -bench output of the Queue group: int at 1 and 3
// million msgs/s (median 2 million), struct100 at 500000.
const queueSample = `BenchmarkQueue/int-2         	 1000000	      1000 ns/op	   1000000 msgs/s	       0 B/op	       0 allocs/op
BenchmarkQueue/int-2         	 3000000	       333.3 ns/op	   3000000 msgs/s	       0 B/op	       0 allocs/op
BenchmarkQueue/struct100-2   	  500000	      2000 ns/op	    500000 msgs/s	       0 B/op	       0 allocs/op
`

// pythonQueue is python/mp_queue.py's output: int 150000 msgs/s, struct100
// 100000, each followed by a comment.
const pythonQueue = `python_queue_int_msgs_per_second 150000
# int: 5 bytes pickled
python_queue_struct100_msgs_per_second 100000
# struct100: 150 bytes pickled
`

func TestParsePythonQueue(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, out string
		want      map[string]float64
		ok        bool
	}{
		{"both", pythonQueue, map[string]float64{"int_msgs_per_second": 150000, "struct100_msgs_per_second": 100000}, true},
		{"cut short", "python_queue_int_msgs_per_second 150000\n# int: 5 bytes pickled\nTraceback (most recent call last):\n",
			map[string]float64{"int_msgs_per_second": 150000}, true},
		{"missing", "# nothing\n", nil, false},
		{"not a number", "python_queue_int_msgs_per_second nan\n", nil, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, err := parsePythonQueue(c.out)
			if (err == nil) != c.ok || !maps.Equal(got, c.want) {
				t.Errorf("parsePythonQueue(%q) = %v, %v; want %v, ok=%v", c.out, got, err, c.want, c.ok)
			}
		})
	}
}

func TestQueueTableAndTargets(t *testing.T) {
	t.Parallel()
	const (
		intT    = "Queue: int msgs/s ≥ 10× CPython Queue"
		structT = "Queue: struct100 msgs/s ≥ 10× CPython Queue"
	)
	r := sampleReport(t, queueSample, "")
	var err error
	if r.pyQueue, err = parsePythonQueue(pythonQueue); err != nil {
		t.Fatal(err)
	}
	checkRows(t, tableOf(t, r, groupQueue), [][]string{
		{"int", "2", "2000000", "150000", "13.33"},
		{"struct100", "1", "500000", "100000", "5.00"},
	})
	ts := r.queueTargets()
	if got, want := verdicts(ts), map[string]string{intT: "PASS", structT: "MISS"}; !maps.Equal(got, want) {
		t.Errorf("targets = %v, want %v", got, want)
	}
	if want := "13.3× (2000000 vs CPython 150000 msgs/s)"; ts[0].detail != want {
		t.Errorf("detail = %q, want %q", ts[0].detail, want)
	}

	// Only int ran and CPython did not: struct100 keeps a target, n/a, and
	// CPython's figure for it still gets a row when it is there.
	r = sampleReport(t, without(queueSample, "struct100"), "")
	r.pyQueueStatus = "not run (-python is empty)"
	got := verdicts(r.queueTargets())
	if want := map[string]string{intT: "n/a", structT: "n/a"}; !maps.Equal(got, want) {
		t.Errorf("targets = %v, want %v", got, want)
	}
	tb := tableOf(t, r, groupQueue)
	checkRows(t, tb, [][]string{{"int", "2", "2000000", "-", "-"}})
	if notes := strings.Join(tb.notes, "\n"); !strings.Contains(notes, "mp_queue.py: not run (-python is empty)") {
		t.Errorf("notes = %q", notes)
	}
	r.pyQueue, r.pyQueueStatus = map[string]float64{"struct100_msgs_per_second": 100000}, ""
	checkRows(t, tableOf(t, r, groupQueue), [][]string{
		{"int", "2", "2000000", "-", "-"},
		{"struct100", "0", "-", "100000", "-"},
	})

	if ts := sampleReport(t, poolSample, "").queueTargets(); len(ts) != 0 {
		t.Errorf("targets without a Queue result: %v", ts)
	}
}
