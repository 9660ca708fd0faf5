package main

import (
	"maps"
	"strings"
	"testing"
)

// bigSample is go test -bench output of the BigPayload group: argument at
// 0.10 and 0.30 (median 0.20), result at 2.27, queue at 1.05.
const bigSample = `BenchmarkBigPayload/argument-2   1   900000000 ns/op   0.1000 rss/B   1.050 other-rss/B
BenchmarkBigPayload/argument-2   1   900000000 ns/op   0.3000 rss/B   1.070 other-rss/B
BenchmarkBigPayload/result-2     1   900000000 ns/op   2.270 rss/B   1.200 other-rss/B
BenchmarkBigPayload/queue-2      1   900000000 ns/op   1.050 rss/B   2.000 other-rss/B
`

// pythonBig is python/big_payload.py's output.
const pythonBig = `python_big_argument_parent_per_byte 1.000
python_big_argument_other_per_byte 2.000
python_big_result_parent_per_byte 2.000
python_big_result_other_per_byte 2.000
python_big_queue_parent_per_byte 2.008
python_big_queue_other_per_byte 1.999
`

func TestParsePythonBig(t *testing.T) {
	t.Parallel()
	got, err := parsePythonBig(pythonBig)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 6 || got["queue_parent_per_byte"] != 2.008 || got["argument_other_per_byte"] != 2 {
		t.Errorf("parsePythonBig = %v", got)
	}
	if _, err := parsePythonBig("Traceback (most recent call last):\n"); err == nil {
		t.Error("no figures, no error")
	}
}

func TestBigTableAndTargets(t *testing.T) {
	t.Parallel()
	r := sampleReport(t, bigSample, "")
	var err error
	if r.pyBig, err = parsePythonBig(pythonBig); err != nil {
		t.Fatal(err)
	}
	checkRows(t, tableOf(t, r, groupBig), [][]string{
		{"argument", "2", "0.20", "1.00", "1.06", "2.00"},
		{"result", "1", "2.27", "2.00", "1.20", "2.00"},
		{"queue", "1", "1.05", "2.01", "2.00", "2.00"},
	})
	ts := r.bigTargets()
	want := map[string]string{
		"BigPayload: argument, parent RSS ≤ 0.25/byte": "PASS",
		"BigPayload: argument, other RSS ≤ 1.10/byte":  "PASS",
		"BigPayload: result, parent RSS ≤ 1.10/byte":   "MISS",
		"BigPayload: result, other RSS ≤ 1.25/byte":    "PASS",
		"BigPayload: queue, parent RSS ≤ 1.10/byte":    "PASS",
		"BigPayload: queue, other RSS ≤ 1.25/byte":     "MISS",
	}
	if got := verdicts(ts); !maps.Equal(got, want) {
		t.Errorf("targets = %v, want %v", got, want)
	}
	if want := "2.27 (CPython 2.00)"; ts[2].detail != want {
		t.Errorf("detail = %q, want %q", ts[2].detail, want)
	}

	// Only the queue ran, and CPython did not: the other steps' targets are
	// n/a, and the note says why CPython's figures are missing.
	r = sampleReport(t, without(without(bigSample, "argument"), "result"), "")
	r.pyBigStatus = "not run (-python is empty)"
	got := verdicts(r.bigTargets())
	if got["BigPayload: argument, parent RSS ≤ 0.25/byte"] != "n/a" || got["BigPayload: queue, parent RSS ≤ 1.10/byte"] != "PASS" {
		t.Errorf("targets = %v", got)
	}
	tb := tableOf(t, r, groupBig)
	checkRows(t, tb, [][]string{{"queue", "1", "1.05", "-", "2.00", "-"}})
	if notes := strings.Join(tb.notes, "\n"); !strings.Contains(notes, "big_payload.py: not run (-python is empty)") {
		t.Errorf("notes = %q", notes)
	}

	if ts := sampleReport(t, queueSample, "").bigTargets(); len(ts) != 0 {
		t.Errorf("targets without a BigPayload result: %v", ts)
	}
}
