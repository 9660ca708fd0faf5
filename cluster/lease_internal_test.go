package cluster

import (
	"encoding/binary"
	"testing"
	"time"
)

func grantOf(read uint64, recalled string) []byte {
	b := binary.AppendUvarint([]byte{grantMark}, read)
	return append(b, recalled...)
}

// TestLeaseBookkeeping follows a worker's lease from one executor: what
// it begins without asking, and what it forgets.
func TestLeaseBookkeeping(t *testing.T) {
	w := &worker{leases: leases{m: make(map[string]*lease)}}
	of := func(id string, attempt int) *task {
		return &task{id: id, reply: resultsPrefix + "E", attempt: attempt}
	}
	if w.beginLeased(of("a", 1)) {
		t.Fatal("began a task without a lease")
	}
	w.granted("E", time.Now(), nil) // an answer without a lease
	if w.beginLeased(of("a", 1)) {
		t.Fatal("began a task after an answer that granted no lease")
	}
	w.granted("E", time.Now(), grantOf(0, " r1 r2"))
	a := of("a", 1)
	if !w.beginLeased(a) || !a.leased {
		t.Fatal("did not begin a task under a lease")
	}
	if w.beginLeased(of("r2", 1)) {
		t.Fatal("began a task the grant recalled")
	}
	if w.beginLeased(of("b", 2)) {
		t.Fatal("began a redelivered task without asking")
	}
	if w.beginLeased(&task{id: "c", reply: resultsPrefix + "F", attempt: 1}) {
		t.Fatal("began another executor's task under E's lease")
	}
	if !w.beginLeased(of("d", 1)) {
		t.Fatal("did not begin a second task")
	}
	w.stored("E", []*outcome{{result: result{id: "a"}}}, 40)
	w.stored("E", []*outcome{{result: result{id: "d"}}}, 50)
	w.granted("E", time.Now(), grantOf(45, ""))
	l := w.leases.m["E"]
	if _, ok := l.begun["a"]; ok {
		t.Error("kept a task whose result the executor read")
	}
	if _, ok := l.begun["d"]; !ok {
		t.Error("forgot a task whose result the executor had not read")
	}
	// An old grant never shortens the lease.
	until := l.until
	w.granted("E", time.Now().Add(-time.Hour), grantOf(45, ""))
	if !l.until.Equal(until) {
		t.Errorf("an older grant moved the lease's end from %v to %v", until, l.until)
	}
	w.leases.mu.Lock()
	l.until = time.Now().Add(-time.Millisecond)
	w.leases.mu.Unlock()
	if w.beginLeased(of("e", 1)) {
		t.Fatal("began a task under a lease that had ended")
	}
}

// TestGiveBackEndsLeases checks that a worker that gives its leases back
// begins no task under them, and takes no new one.
func TestGiveBackEndsLeases(t *testing.T) {
	w := &worker{leases: leases{m: make(map[string]*lease)}}
	w.granted("E", time.Now(), grantOf(0, ""))
	w.leases.m["E"].until = time.Now().Add(-time.Second) // nothing to send
	w.giveBack()
	w.granted("E", time.Now(), grantOf(0, ""))
	if w.beginLeased(&task{id: "a", reply: resultsPrefix + "E", attempt: 1}) {
		t.Fatal("began a task under a lease granted after the worker gave its leases back")
	}
}
