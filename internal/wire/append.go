package wire

// AppendFrame appends a whole frame of kind and payload to dst, for a caller
// that writes the frame by other means than a Writer, such as a sendmsg that
// carries file descriptors along.
func AppendFrame(dst []byte, kind Kind, payload []byte) []byte {
	return append(appendHeader(dst, kind, len(payload)), payload...)
}
