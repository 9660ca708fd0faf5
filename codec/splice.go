package codec

import "reflect"

// A Spliced is an encoding in parts, made by [MarshalSpliced]: Data with
// the bytes of each piece inserted at the piece's offset. The pieces are
// memory of the value that was encoded, not copies of it.
type Spliced struct {
	Data   []byte
	Pieces []Piece // by offset; nil when no string was long enough
}

// A Piece is a long byte or text string of an encoded value, which belongs
// in the encoding at offset At of [Spliced.Data].
type Piece struct {
	At    int
	Bytes []byte // the value's own memory, never to be written to
}

// Len returns the length of the whole encoding.
func (s Spliced) Len() int {
	n := len(s.Data)
	for _, p := range s.Pieces {
		n += len(p.Bytes)
	}
	return n
}

// AppendParts appends the parts of the encoding to parts, in order: the
// stretches of Data between the pieces, and the pieces' bytes. Written one
// after another they are the whole encoding.
func (s Spliced) AppendParts(parts [][]byte) [][]byte {
	at := 0
	for _, p := range s.Pieces {
		parts = append(parts, s.Data[at:p.At], p.Bytes)
		at = p.At
	}
	return append(parts, s.Data[at:])
}

// Bytes returns the whole encoding in one slice: Data itself when there is
// no piece, else a new slice with the pieces copied in.
func (s Spliced) Bytes() []byte {
	if len(s.Pieces) == 0 {
		return s.Data
	}
	b := make([]byte, 0, s.Len())
	at := 0
	for _, p := range s.Pieces {
		b = append(append(b, s.Data[at:p.At]...), p.Bytes...)
		at = p.At
	}
	return append(b, s.Data[at:]...)
}

// MarshalSpliced encodes v as c.Marshal(v) does, but leaves each byte slice
// and string of at least min bytes (min > 0) out of Data, as a [Piece] that
// shares v's memory, so that encoding a large value costs no copy of it.
// Under [CBOR], the strings of flat values (see CBOR) are left out; every
// other value is encoded whole, without pieces, as under any other codec.
//
// The pieces alias v: the caller must not change the memory of v's byte
// slices while it uses the encoding.
func MarshalSpliced(c Codec, v any, min int) (Spliced, error) {
	if _, ok := c.(cborCodec); ok && v != nil && min > 0 {
		freeze()
		sp := splicer{min: min}
		if b, ok := marshalFlat(reflect.ValueOf(v), &sp); ok {
			return Spliced{Data: b, Pieces: sp.pieces}, nil
		}
		b, err := marshalGeneral(v)
		return Spliced{Data: b}, err
	}
	b, err := c.Marshal(v)
	return Spliced{Data: b}, err
}

// A splicer collects the pieces that the flat encoder leaves out of its
// output: the strings of at least min bytes.
type splicer struct {
	min    int
	pieces []Piece
}

// leave records s as the piece that follows the encoding b, and returns b.
func (sp *splicer) leave(b []byte, s []byte) []byte {
	sp.pieces = append(sp.pieces, Piece{At: len(b), Bytes: s})
	return b
}
