package queue

import (
	"bytes"
	"fmt"
	"testing"
)

// The log keeps items in order across chunks, items pushed back to the
// front included, and hands big items through untouched.
func TestItemLogOrder(t *testing.T) {
	var l itemLog
	var want [][]byte
	payload := func(i int) []byte {
		switch {
		case i%97 == 0:
			return bytes.Repeat([]byte{byte(i)}, bigItem+i) // big
		case i%5 == 0:
			return []byte{} // empty
		}
		return bytes.Repeat([]byte(fmt.Sprint(i)), 1+i%300)
	}
	// Enough to fill several chunks.
	for i := range 20000 {
		b := payload(i)
		l.pushBack(item{kind: KindBytes, data: b})
		want = append(want, b)
	}
	// Take some, put them back in reverse, as takeBack does.
	var taken []item
	for range 3000 {
		taken = append(taken, l.takeFront())
	}
	for i := len(taken) - 1; i >= 0; i-- {
		l.pushFront(taken[i])
	}
	if l.len() != len(want) {
		t.Fatalf("len %d, want %d", l.len(), len(want))
	}
	for i, w := range want {
		f := l.front()
		if f.kind != KindBytes || !bytes.Equal(f.data, w) {
			t.Fatalf("item %d: kind %d, %d bytes; want %d bytes", i, f.kind, len(f.data), len(w))
		}
		if i%2 == 0 {
			l.dropFront()
			continue
		}
		it := l.takeFront()
		if !bytes.Equal(it.data, w) || it.data == nil {
			t.Fatalf("item %d taken: %d bytes, want %d", i, len(it.data), len(w))
		}
	}
	if l.len() != 0 || len(l.chunks) != 0 || len(l.bigs) != 0 {
		t.Fatalf("after draining: len %d, %d chunks, %d big items", l.len(), len(l.chunks), len(l.bigs))
	}
}

// An item taken from the log owns its memory: later pushes do not change it.
func TestItemLogTakeCopies(t *testing.T) {
	var l itemLog
	l.pushBack(item{kind: KindMessage, data: []byte("first")})
	it := l.takeFront()
	l.pushBack(item{kind: KindMessage, data: []byte("XXXXX")})
	if string(it.data) != "first" {
		t.Fatalf("taken item changed to %q", it.data)
	}
}
