package worker

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
	"unsafe"

	"github.com/multitask-go/multitask/internal/wire"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// readFrame reads the one frame in b.
func readFrame(t *testing.T, b []byte) (wire.Kind, []byte) {
	t.Helper()
	kind, payload, err := wire.NewReader(bytes.NewReader(b), 0).ReadFrame()
	if err != nil {
		t.Fatalf("read the frame: %v", err)
	}
	return kind, payload
}

func TestReadyVersion(t *testing.T) {
	msg := []byte("outcome")
	other := AppendReady(nil, msg)
	other[5] = Version + 1 // the first byte of the payload, after the length and the kind
	tests := []struct {
		name  string
		frame []byte
		want  error
	}{
		{"same version", AppendReady(nil, msg), nil},
		{"other version", other, ErrVersion},
		{"empty", wire.AppendFrame(nil, KindReady, nil), ErrShortFrame},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kind, payload := readFrame(t, tt.frame)
			if kind != KindReady {
				t.Fatalf("kind %d, want KindReady", kind)
			}
			got, err := ParseReady(payload)
			if !errors.Is(err, tt.want) {
				t.Fatalf("ParseReady: %v, want %v", err, tt.want)
			}
			switch {
			case tt.want == nil && !bytes.Equal(got, msg):
				t.Fatalf("message %q, want %q", got, msg)
			case tt.want == ErrVersion && !strings.Contains(err.Error(), fmt.Sprintf("version %d, the pool %d", Version+1, Version)):
				t.Fatalf("the error %q does not say both versions", err)
			}
		})
	}
}

func TestFramesRoundTrip(t *testing.T) {
	t.Run("task", func(t *testing.T) {
		want := Task{Slot: MaxSlots - 1, Flags: TaskBatch, Seq: 1 << 40, Deadline: -5, Fn: "pkg.F",
			Refs: []Ref{{ID: 7, Files: 2}, {ID: 1 << 63, Files: 0}}, Arg: []byte{1, 2, 3}}
		kind, payload := readFrame(t, AppendTask(nil, &want))
		got, err := ParseTask(payload)
		if kind != KindTask || err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("got kind %d, %+v, %v; want %+v", kind, got, err, want)
		}
	})
	t.Run("done", func(t *testing.T) {
		want := Done{Slot: 3, Flags: DoneErr | DoneRecycle, Seq: 99, Nanos: 12345, Rest: []byte("result")}
		kind, payload := readFrame(t, AppendDone(nil, &want))
		got, err := ParseDone(payload)
		if kind != KindDone || err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("got kind %d, %+v, %v; want %+v", kind, got, err, want)
		}
	})
	for _, k := range []wire.Kind{KindBegan, KindCancel} {
		t.Run(fmt.Sprintf("slot and sequence, kind %d", k), func(t *testing.T) {
			kind, payload := readFrame(t, AppendSlotSeq(nil, k, 5, 1<<33))
			slot, seq, err := ParseSlotSeq(payload)
			if kind != k || slot != 5 || seq != 1<<33 || err != nil {
				t.Fatalf("got kind %d, slot %d, seq %d, %v", kind, slot, seq, err)
			}
		})
	}
}

func TestParseRefusesCorruptFrames(t *testing.T) {
	task := AppendTaskHead(nil, &Task{Slot: 1, Seq: 2, Fn: "f", Refs: []Ref{{ID: 1, Files: 1}}})
	tests := []struct {
		name  string
		parse func([]byte) error
		p     []byte
	}{
		{"task, empty", parseTask, nil},
		{"task, cut in its refs", parseTask, task[:len(task)-1]},
		{"task, slot out of range", parseTask, append([]byte{MaxSlots}, task[1:]...)},
		{"task, name past the end", parseTask, []byte{0, 0, 1, 0, 9, 'f'}},
		{"done, empty", parseDone, nil},
		{"done, slot out of range", parseDone, []byte{MaxSlots, 0, 1, 1}},
		{"done, no duration", parseDone, []byte{0, 0, 1}},
		{"slot and sequence, no sequence", parseSlotSeq, []byte{0}},
		{"slot and sequence, slot out of range", parseSlotSeq, []byte{MaxSlots, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.parse(tt.p); !errors.Is(err, ErrShortFrame) {
				t.Fatalf("got %v, want ErrShortFrame", err)
			}
		})
	}
}

func parseTask(p []byte) error { _, err := ParseTask(p); return err }

func parseDone(p []byte) error { _, err := ParseDone(p); return err }

func parseSlotSeq(p []byte) error { _, _, err := ParseSlotSeq(p); return err }

// newSlots returns a page of slots in this process, aligned for its words.
func newSlots() Slots {
	words := make([]uint64, PageSize/8)
	return unsafe.Slice((*byte)(unsafe.Pointer(&words[0])), PageSize)
}

func TestSlotBeginOrCancel(t *testing.T) {
	s := newSlots()
	for seq := uint64(1); seq <= 1000; seq++ {
		slot := int(seq % MaxSlots)
		s.Queue(slot, seq)
		var begun, cancelled bool
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); begun = s.Begin(slot, seq) }()
		go func() { defer wg.Done(); cancelled = s.Cancel(slot, seq) }()
		wg.Wait()
		if begun == cancelled {
			t.Fatalf("task %d: began %v and cancelled %v; exactly one must win", seq, begun, cancelled)
		}
		if s.Began(slot, seq) != begun {
			t.Fatalf("task %d: Began says %v after Begin said %v", seq, !begun, begun)
		}
		if s.Cancel(slot, seq) != cancelled {
			t.Fatalf("task %d: a second Cancel disagrees with the first", seq)
		}
		if s.Begin(slot, seq+1) || s.Cancel(slot, seq+1) {
			t.Fatalf("task %d: the slot answered for another task", seq)
		}
	}
}

func TestAssistCommitOrWithdraw(t *testing.T) {
	s := newSlots()
	for seq := uint64(1); seq <= 1000; seq++ {
		s.WantAssist(seq)
		if s.CommitAssist(seq+1) || s.WithdrawAssist(seq+1) {
			t.Fatalf("task %d: the request was taken for another task", seq)
		}
		var committed, withdrawn bool
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); committed = s.CommitAssist(seq) }()
		go func() { defer wg.Done(); withdrawn = s.WithdrawAssist(seq) }()
		wg.Wait()
		if committed == withdrawn {
			t.Fatalf("task %d: committed %v and withdrawn %v; exactly one must win", seq, committed, withdrawn)
		}
	}
}

func TestOutWritesEachFrameOnItsPipe(t *testing.T) {
	pipe := func() (*os.File, *os.File) {
		t.Helper()
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close(); w.Close() })
		return r, w
	}
	results, resultsW := pipe()
	assist, assistW := pipe()
	o := NewOut(wire.NewWriter(resultsW), wire.NewWriter(assistW))
	o.Began(false, 1, 10)
	o.Done(false, &Done{Slot: 1, Seq: 10, Rest: []byte("plain")})
	o.Began(true, 2, 11)
	o.Done(true, &Done{Slot: 2, Seq: 11, Rest: []byte("assisted")})
	o.Flush()

	for _, tt := range []struct {
		name string
		r    *os.File
		slot int
		seq  uint64
		rest string
	}{{"result pipe", results, 1, 10, "plain"}, {"assist pipe", assist, 2, 11, "assisted"}} {
		t.Run(tt.name, func(t *testing.T) {
			r := wire.NewReader(tt.r, 0)
			kind, payload, err := r.ReadFrame()
			if err != nil || kind != KindBegan {
				t.Fatalf("first frame: kind %d, %v; want a began frame", kind, err)
			}
			if slot, seq, err := ParseSlotSeq(payload); slot != tt.slot || seq != tt.seq || err != nil {
				t.Fatalf("began: slot %d, seq %d, %v", slot, seq, err)
			}
			kind, payload, err = r.ReadFrame()
			if err != nil || kind != KindDone {
				t.Fatalf("second frame: kind %d, %v; want a done frame", kind, err)
			}
			if d, err := ParseDone(payload); d.Slot != tt.slot || d.Seq != tt.seq || string(d.Rest) != tt.rest || err != nil {
				t.Fatalf("done: %+v, %v", d, err)
			}
		})
	}
}
