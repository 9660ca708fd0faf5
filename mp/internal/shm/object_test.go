package shm

import (
	"errors"
	"os"
	"runtime"
	"strconv"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// newObject makes an object of kind for a test and closes it at its end.
func newObject(t *testing.T, kind Kind, elem uint8, param uint64) *Object {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("shared memory is Linux-only here")
	}
	o := new(Object)
	if err := o.Init(kind, elem, param, 42); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.Close() })
	return o
}

// TestObjectCrossing passes an object the way a child receives one: its
// encoding decoded into a zero Object, then its descriptor bound.
func TestObjectCrossing(t *testing.T) {
	tests := []struct {
		name  string
		kind  Kind
		elem  uint8
		param uint64
	}{
		{"Lock", KindLock, 0, 0},
		{"Barrier", KindBarrier, 0, 3},
		{"Array", KindArray, ElemByte, 1000},
		{"Raw", KindRaw, 0, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := newObject(t, tt.kind, tt.elem, tt.param)
			files, err := o.Files()
			if err != nil {
				t.Fatal(err)
			}
			// The child gets its own descriptor, as passing one makes.
			f, err := os.OpenFile("/proc/self/fd/"+strconv.Itoa(int(files[0].Fd())), os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			var c Object
			if err := c.Decode(o.AppendBinary(nil), tt.kind, tt.elem); err != nil {
				t.Fatal(err)
			}
			if err := c.Bind([]*os.File{f}); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close() })
			if c.ID() != 42 || c.Kind() != tt.kind || c.Param() != tt.param || !c.Open() {
				t.Fatalf("bound object: id %d kind %s param %d open %v", c.ID(), c.Kind(), c.Param(), c.Open())
			}
			*(*byte)(o.At(Data)) = 7
			if got := *(*byte)(c.At(Data)); got != 7 {
				t.Fatalf("the bound object reads %d, want the 7 the other wrote", got)
			}
		})
	}
}

func TestObjectDecodeRefuses(t *testing.T) {
	o := newObject(t, KindValue, ElemInt64, 0)
	enc := o.AppendBinary(nil)
	tests := []struct {
		name string
		b    []byte
		kind Kind
		elem uint8
	}{
		{"other kind", enc, KindLock, 0},
		{"other element type", enc, KindValue, ElemInt32},
		{"short", enc[:EncodedLen-1], KindValue, ElemInt64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c Object
			if err := c.Decode(tt.b, tt.kind, tt.elem); err == nil {
				t.Fatal("Decode took it")
			}
		})
	}
}

func TestObjectClosed(t *testing.T) {
	o := newObject(t, KindEvent, 0, 0)
	if err := o.Close(Data); err != nil {
		t.Fatal(err)
	}
	if err := o.Usable(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Usable after Close: %v, want ErrClosed", err)
	}
	if _, err := o.Files(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Files after Close: %v, want ErrClosed", err)
	}
	if err := o.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}
