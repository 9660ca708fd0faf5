package wire

// A Kind says what a frame carries. Its values are defined by the user of the
// package; 0 is invalid.
type Kind uint8

const (
	// MaxFrameDefault is the longest payload a [Reader] accepts when not told
	// otherwise: 1 GiB.
	MaxFrameDefault = 1 << 30

	// maxPayload is the longest payload the 4-byte length can express.
	maxPayload = 1<<32 - 1

	// headerSize is the length of a frame header: length and kind.
	headerSize = 5
)
