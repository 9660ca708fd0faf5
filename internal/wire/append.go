package wire

import "encoding/binary"

// AppendFrame appends a whole frame of kind and payload to dst, for a caller
// that writes the frame by other means than a Writer, such as a sendmsg that
// carries file descriptors along.
func AppendFrame(dst []byte, kind Kind, payload []byte) []byte {
	return append(appendHeader(dst, kind, len(payload)), payload...)
}

// StartFrame appends the header of a frame of kind to dst, for a caller that
// appends the payload in place, piece by piece, and then calls EndFrame with
// len(dst) as it was before StartFrame.
func StartFrame(dst []byte, kind Kind) []byte { return appendHeader(dst, kind, 0) }

// EndFrame sets the length of the frame that starts at b[start:], begun by
// StartFrame, to what was appended since, and returns b.
func EndFrame(b []byte, start int) []byte {
	binary.LittleEndian.PutUint32(b[start:], uint32(len(b)-start-headerSize))
	return b
}
