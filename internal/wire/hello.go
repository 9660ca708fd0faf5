package wire

import (
	"encoding/binary"
	"fmt"
	"io"
)

// Version is the protocol version a hello carries. A peer with another version
// is refused, since parent and children must be the same build.
const Version = 1

// MaxTokenDefault is the longest token [ReadHello] accepts when not told
// otherwise.
const MaxTokenDefault = 4096

// magic opens every stream.
const magic = "MTSK"

// WriteHello writes the hello that opens a stream: the magic bytes "MTSK", the
// [Version] byte, the token's length as 4 bytes little-endian, and the token,
// in one Write.
func WriteHello(w io.Writer, token []byte) error {
	if uint64(len(token)) > maxPayload {
		return fmt.Errorf("wire: write hello: token of %d bytes is too long", len(token))
	}
	b := make([]byte, 0, len(magic)+1+4+len(token))
	b = append(b, magic...)
	b = append(b, Version)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(token)))
	b = append(b, token...)
	if err := write(w, b); err != nil {
		return fmt.Errorf("wire: write hello: %w", err)
	}
	return nil
}

// ReadHello reads the hello that opens a stream and returns its token, which
// the caller compares with the one it expects (with crypto/subtle's
// ConstantTimeCompare when the token is a secret). It reads exactly the
// hello's bytes, so r may be handed to [NewReader] afterwards, and it checks
// each part as it arrives, so a peer that sends something else is refused
// without waiting for more.
//
// A token longer than maxToken bytes (maxToken <= 0: [MaxTokenDefault]) is
// refused unread. Every failure wraps [ErrHandshake] and says what was wrong,
// for example "wire: bad handshake: version 2, want 1"; an early end of the
// stream also wraps io.EOF or io.ErrUnexpectedEOF.
func ReadHello(r io.Reader, maxToken int) ([]byte, error) {
	if maxToken <= 0 {
		maxToken = MaxTokenDefault
	}
	var h [len(magic) + 1 + 4]byte
	if _, err := io.ReadFull(r, h[:len(magic)]); err != nil {
		return nil, fmt.Errorf("%w: reading the magic bytes: %w", ErrHandshake, err)
	}
	if string(h[:len(magic)]) != magic {
		return nil, fmt.Errorf("%w: magic bytes %q, want %q", ErrHandshake, h[:len(magic)], magic)
	}
	if _, err := io.ReadFull(r, h[len(magic):len(magic)+1]); err != nil {
		return nil, fmt.Errorf("%w: reading the version: %w", ErrHandshake, unexpected(err))
	}
	if v := h[len(magic)]; v != Version {
		return nil, fmt.Errorf("%w: version %d, want %d", ErrHandshake, v, Version)
	}
	if _, err := io.ReadFull(r, h[len(magic)+1:]); err != nil {
		return nil, fmt.Errorf("%w: reading the token length: %w", ErrHandshake, unexpected(err))
	}
	n := binary.LittleEndian.Uint32(h[len(magic)+1:])
	if uint64(n) > uint64(maxToken) {
		return nil, fmt.Errorf("%w: token of %d bytes, limit %d", ErrHandshake, n, maxToken)
	}
	token := make([]byte, n)
	if _, err := io.ReadFull(r, token); err != nil {
		return nil, fmt.Errorf("%w: reading the token: %w", ErrHandshake, unexpected(err))
	}
	return token, nil
}

// unexpected turns io.EOF, met after the start of the hello, into
// io.ErrUnexpectedEOF.
func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
