// Package launch starts children of this program and passes descriptors to
// them over unix sockets: the machinery under package mp's processes and
// under its fork server.
//
// A child is this program started again, with a marker variable in its
// environment that carries the protocol version and a token, and its end of
// a control socket on descriptor [ControlFD]. The child speaks first on the
// socket, with a hello carrying the token, which proves it is the child
// that the parent started.
package launch
