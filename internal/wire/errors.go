package wire

import "errors"

// ErrFrameTooLarge is returned by [Reader.ReadFrame] for a frame whose length
// exceeds the Reader's limit (the frame is not read), and by
// [Writer.WriteFrame] for a payload longer than the format can express.
var ErrFrameTooLarge = errors.New("wire: frame too large")

// ErrCorrupt is returned by [Reader.ReadFrame] for a frame of kind 0, which no
// writer sends: the stream is out of step or damaged. [Writer.WriteFrame]
// refuses kind 0 with it too.
var ErrCorrupt = errors.New("wire: corrupt stream")

// ErrHandshake is returned by [ReadHello] for a hello with the wrong magic
// bytes, another protocol version, a token longer than allowed, or one that
// ends early; the error says which.
var ErrHandshake = errors.New("wire: bad handshake")
