package bench_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"github.com/multitask-go/multitask/codec"
	"github.com/vmihailenco/msgpack/v5"
)

// The codec benchmarks pick codec.Default: each round-trips one payload
// (Marshal, then Unmarshal into a fresh value) through every candidate and
// reports the bytes on the wire beside time and allocations.

// codecSmall is a message of about 100 bytes: a task's argument or result.
type codecSmall struct {
	ID      int64
	Attempt int32
	Name    string
	Done    bool
	Score   float64
	Digest  []byte
}

// codecItem is one element of codecMedium.
type codecItem struct {
	Key   string
	Count int32
	Value float64
	OK    bool
}

// codecMedium is a message of about 1 KiB: a batch of 16 small records.
type codecMedium struct {
	Job   string
	Seq   uint64
	Items []codecItem
}

// A codecRoundTripper is one candidate: a marshal and an unmarshal function.
type codecRoundTripper struct {
	name      string
	marshal   func(any) ([]byte, error)
	unmarshal func([]byte, any) error
}

var codecCandidates = []codecRoundTripper{
	{"cbor", codec.CBOR.Marshal, codec.CBOR.Unmarshal},
	{"gob", codec.Gob.Marshal, codec.Gob.Unmarshal},
	{"msgpack", msgpack.Marshal, msgpack.Unmarshal},
	{"json", json.Marshal, json.Unmarshal}, // the reference point
}

func codecPayloads() []struct {
	name string
	v    any
} {
	small := codecSmall{
		ID: 1234567, Attempt: 2, Name: "resize-thumbnail", Done: true, Score: 0.875,
		Digest: bytes.Repeat([]byte{0xab}, 32),
	}
	medium := codecMedium{Job: "aggregate", Seq: 42}
	for i := range 16 {
		medium.Items = append(medium.Items, codecItem{
			Key: fmt.Sprintf("item-%04d", i), Count: int32(i * 3), Value: float64(i) / 7, OK: i%2 == 0,
		})
	}
	large := bytes.Repeat([]byte("0123456789abcdef"), (1<<20)/16)
	return []struct {
		name string
		v    any
	}{
		{"int", 123456789},
		{"struct100B", small},
		{"struct1KiB", medium},
		{"bytes1MiB", large},
	}
}

func BenchmarkCodec(b *testing.B) {
	for _, p := range codecPayloads() {
		typ := reflect.TypeOf(p.v)
		b.Run(p.name, func(b *testing.B) {
			for _, c := range codecCandidates {
				b.Run(c.name, func(b *testing.B) {
					// Check the round trip once, outside the timing.
					data, err := c.marshal(p.v)
					if err != nil {
						b.Fatal(err)
					}
					got := reflect.New(typ)
					if err := c.unmarshal(data, got.Interface()); err != nil {
						b.Fatal(err)
					}
					if !reflect.DeepEqual(got.Elem().Interface(), p.v) {
						b.Fatalf("%s changed the value: %#v", c.name, got.Elem().Interface())
					}
					b.ReportAllocs()
					for b.Loop() {
						data, err := c.marshal(p.v)
						if err != nil {
							b.Fatal(err)
						}
						if err := c.unmarshal(data, reflect.New(typ).Interface()); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(len(data)), "wire-bytes")
				})
			}
		})
	}
}
