package forkserver

import "errors"

// ErrVersion is matched by the error of a start through a fork server that
// speaks another version of the protocol (see [Version]): a process of
// another build of the program.
var ErrVersion = errors.New("mp: fork server protocol version mismatch")
