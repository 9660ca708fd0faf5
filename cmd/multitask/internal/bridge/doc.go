// Package bridge connects the multitask command to a cluster through a
// child process, so that the command itself links no network code: a
// `multitask-cluster bridge` process talks to the cluster, and the command
// talks to it over the child's stdin and stdout.
//
// # Protocol
//
// Every message is a frame of package internal/wire. The bridge opens its
// stdout with a hello that carries the token the command gave it in the
// environment variable TokenEnv, so that the command never reads the
// frames of another program or build, then sends Ready, or Refused with
// the reason it could not reach the cluster, and exits.
//
// The command then sends Submit (a job's id and its jobexec.Job) and Cancel
// (an id), from any number of goroutines; the bridge answers each Submit
// with one Result (the id, and a jobexec.Report or the reason the cluster
// could not run the job), in the order the jobs end. A Cancel of a job
// that has ended is ignored.
//
// The command ends the conversation by closing the bridge's stdin: the
// bridge cancels the jobs it has not answered, answers them, shuts its
// executor down and exits. A command that dies closes it too, so the
// bridge never outlives it by more than its shutdown.
//
// Integers are varints (encoding/binary); byte strings and lists are a
// length followed by their elements, and a nil list or byte string, which
// means something else than an empty one (no argument vector, no stdin),
// is length 0 with every other length one more than the real one.
package bridge
