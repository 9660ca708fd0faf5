// Package wire frames the messages that the processes of one program send each
// other over pipes and unix sockets, and the handshake that opens each stream.
//
// # Frames
//
// A frame is a 4-byte little-endian payload length, a 1-byte [Kind] and the
// payload. Kinds are defined by the user of the package; kind 0 is invalid, so
// that a run of zero bytes is never taken for a frame. A [Reader] refuses a
// frame longer than its limit ([MaxFrameDefault], 1 GiB, unless told
// otherwise) without allocating it, and grows the buffer of a long frame as the
// bytes arrive, so a stream that announces a huge frame and stops costs little
// memory; once a 64th of the frame has come, the buffer takes all of it, so a
// frame read in full costs little more than its length.
//
// # Writing
//
// A [Writer] is safe for concurrent use. Each [Writer.WriteFrame] returns once
// its frame has been handed to the operating system, or has failed. Writers
// that arrive while another is writing append their frames to a shared buffer,
// and the first of them to find the writer free writes the whole batch in one
// call (group commit): under load there are fewer write system calls than
// frames, and no frame waits for a timer. A payload of 64 KiB or more is
// written straight from the caller's slice, after the frames already batched.
// The first write error is sticky.
//
// # Handshake
//
// Each side of a stream first sends a hello ([WriteHello], [ReadHello]): the
// magic bytes "MTSK", the protocol [Version] and a token, which the parent
// generates and the child echoes, so that a stray process or a child of
// another build is refused with [ErrHandshake] before any frame is read.
//
// # Errors
//
// The sentinels live in errors.go. Reading returns io.EOF only at a clean end
// between frames; an end inside a frame is io.ErrUnexpectedEOF. A stream that
// returned an error is not read again: the Reader repeats the error.
package wire
