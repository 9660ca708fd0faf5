// Package mptest provides helpers for tests of programs that use mp.
//
// A test that checks that it leaves no process or goroutine behind stops
// what package mp keeps running for the life of the program, such as the
// fork server, with [StopForkServer] at its end.
package mptest
