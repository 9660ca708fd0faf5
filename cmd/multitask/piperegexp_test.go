package main

import "testing"

func TestRecordRegexps(t *testing.T) {
	r, err := newRecordRegexps(`\n`, `^>`, false, true)
	if err != nil {
		t.Fatal(err)
	}
	buf := []byte("junk\n>a\nA\n>b\nB\n>c")
	if got := r.garbage(buf); got != len("junk\n") {
		t.Errorf("garbage: %d", got)
	}
	if got := r.garbage(buf[5:]); got != 0 {
		t.Errorf("garbage of a buffer that starts with a record: %d", got)
	}
	// --recstart alone: records divide before each start past the first.
	if got, want := r.nthCut(buf[5:], 1), len(">a\nA\n"); got != want {
		t.Errorf("nthCut 1: %d, want %d", got, want)
	}
	if got, want := r.nthCut(buf[5:], 2), len(">a\nA\n>b\nB\n"); got != want {
		t.Errorf("nthCut 2: %d, want %d", got, want)
	}
	if got := r.nthCut(buf[5:], 3); got != -1 {
		t.Errorf("nthCut past the records: %d, want -1", got)
	}
	if got, want := r.lastCut(buf), len("junk\n>a\nA\n>b\nB\n"); got != want {
		t.Errorf("lastCut: %d, want %d", got, want)
	}
	if got := r.lastCut([]byte(">a\nA\n")); got != 0 {
		t.Errorf("lastCut of one record: %d, want 0", got)
	}

	both, err := newRecordRegexps(`;\n`, `[a-z]`, true, true)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(both.removeSep([]byte("a1;\nb2;\n"))), "12"; got != want {
		// GNU's order: every end+start, then the start, then the end.
		t.Errorf("removeSep: %q, want %q", got, want)
	}
	anyByte, err := newRecordRegexps("", "", true, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := anyByte.nthCut([]byte("abc"), 2); got != 2 {
		t.Errorf("an empty --recend ends a record at every byte: nthCut 2 = %d", got)
	}
}
