// Package forkserver is the engine of package mp's ForkServer start
// method.
//
// The fork server is this program started again, early in the life of the
// parent and from the environment and working directory the parent had when
// it called Main, so that nothing the parent did later reaches the children
// it makes. It keeps warm spares: children already started and waiting, at
// Main, for their start message. The server hands each spare to the parent
// as soon as it starts it, by sending the spare's control socket and a pidfd
// for it, so that a ForkServer start takes a spare the parent already holds
// and costs no round trip to the server. The server replaces a spare when
// it exits, or at once when the parent tells it that it took its last one.
// The parent talks to the child directly; the server, whose child it is,
// reaps it and reports its exit status.
//
// The server is tied to its parent like any child (parent-death signal and
// control socket), and its children to it, so killing the parent ends them
// all.
//
// The protocol between the parent and the server lives in this package
// alone: the server's first frame is a hello with the protocol's
// [Version], and a parent refuses another version with [ErrVersion].
package forkserver
