package queue

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// The queue's sockets are made with system calls and wrapped in *os.File,
// non-blocking so that their reads and writes go through the runtime's
// poller (deadlines work, and Close wakes a blocked read or accept):
// importing package net would link its cgo resolver, and every child
// process would pay the dynamic loader at its start.

// queueBacklog is the listening socket's backlog; the kernel caps it at
// net.core.somaxconn (4096 by default). A full backlog makes a connect fail
// with EAGAIN, which queueDial waits out.
const queueBacklog = 4096

// queueListen listens on a fresh abstract unix address (Linux's names that
// live in no file system, written with a leading "@", which the kernel
// sees as a NUL), so that any process of the same user can reach the
// queue's broker without a file to clean up.
func queueListen() (*os.File, string, error) {
	var r [8]byte
	rand.Read(r[:])
	addr := fmt.Sprintf("@multitask-queue-%d-%s", os.Getpid(), hex.EncodeToString(r[:]))
	fd, err := unixSocket()
	if err != nil {
		return nil, "", err
	}
	if err := syscall.Bind(fd, &syscall.SockaddrUnix{Name: addr}); err != nil {
		syscall.Close(fd)
		return nil, "", os.NewSyscallError("bind", err)
	}
	if err := syscall.Listen(fd, queueBacklog); err != nil {
		syscall.Close(fd)
		return nil, "", os.NewSyscallError("listen", err)
	}
	return os.NewFile(uintptr(fd), "multitask-queue"), addr, nil
}

// unixSocket makes a unix stream socket, non-blocking and closed on exec.
func unixSocket() (int, error) {
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, os.NewSyscallError("socket", err)
	}
	return fd, nil
}

// queueAccept waits for a connection on the listening socket ln and returns
// it, pollable. Closing ln wakes it with an error that matches
// os.ErrClosed.
func queueAccept(ln *os.File) (*os.File, error) {
	rc, err := ln.SyscallConn()
	if err != nil {
		return nil, err
	}
	var nfd int
	var aerr error
	if err := rc.Read(func(fd uintptr) bool {
		for {
			nfd, _, aerr = syscall.Accept4(int(fd), syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC)
			// ECONNABORTED: a connection went away while in the
			// backlog; take the next one (as package net does).
			if aerr != syscall.ECONNABORTED && aerr != syscall.EINTR {
				return aerr != syscall.EAGAIN
			}
		}
	}); err != nil {
		// The listener has no deadline, so it fails only once closed
		// (with poll's own error, which is not os.ErrClosed).
		return nil, &os.PathError{Op: "accept", Path: ln.Name(), Err: os.ErrClosed}
	}
	if aerr != nil {
		return nil, os.NewSyscallError("accept4", aerr)
	}
	return os.NewFile(uintptr(nfd), "multitask-queue"), nil
}

// queueDial connects to a broker's address.
func queueDial(addr string) (*os.File, error) {
	fd, err := unixSocket()
	if err != nil {
		return nil, err
	}
	if err := connectUnix(fd, &syscall.SockaddrUnix{Name: addr}); err != nil {
		syscall.Close(fd)
		return nil, err
	}
	return os.NewFile(uintptr(fd), "multitask-queue"), nil
}

// connectUnix connects the non-blocking unix socket fd to sa. A unix
// connect never waits for the listener, so it never returns EINPROGRESS:
// it succeeds or fails at once, and fails with EAGAIN while the listener's
// backlog is full (many processes connecting together). Waiting for the
// socket to be writable would not help, as an unconnected unix socket
// always is, so connectUnix tries again after a pause that grows to
// maxConnectPause, for at most handshakeTimeout.
func connectUnix(fd int, sa *syscall.SockaddrUnix) error {
	pause := 50 * time.Microsecond
	deadline := time.Now().Add(handshakeTimeout)
	for {
		err := syscall.Connect(fd, sa)
		switch {
		case err == nil:
			return nil
		case err != syscall.EAGAIN, time.Now().After(deadline):
			return os.NewSyscallError("connect", err)
		}
		time.Sleep(pause)
		pause = min(2*pause, maxConnectPause)
	}
}

// maxConnectPause is the longest pause between two connects to a broker
// whose backlog is full.
const maxConnectPause = 10 * time.Millisecond

// peerUID returns the user id of the process at the other end of the
// socket f.
func peerUID(f *os.File) (uint32, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return 0, err
	}
	var cred *unix.Ucred
	var serr error
	if err := rc.Control(func(fd uintptr) {
		cred, serr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return 0, err
	}
	if serr != nil {
		return 0, os.NewSyscallError("getsockopt", serr)
	}
	return cred.Uid, nil
}

// sendFile writes b to the socket c with f's descriptor attached, and
// blocks until all of b is written (or c's write deadline passes).
func sendFile(c *os.File, b []byte, f *os.File) error {
	rc, err := c.SyscallConn()
	if err != nil {
		return err
	}
	frc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var fd int
	if err := frc.Control(func(x uintptr) { fd = int(x) }); err != nil {
		return err
	}
	rights := syscall.UnixRights(fd)
	for len(b) > 0 {
		var n int
		var serr error
		err := rc.Write(func(s uintptr) bool {
			n, serr = syscall.SendmsgN(int(s), b, rights, nil, 0)
			return serr != syscall.EAGAIN
		})
		if err == nil {
			err = serr
		}
		if err != nil {
			return err
		}
		// Keep f open until the kernel has taken its descriptor, which it
		// has once the first byte went out.
		runtime.KeepAlive(f)
		b, rights = b[n:], nil
	}
	return nil
}

// recvFile reads from the socket c until want bytes have arrived, with the
// one descriptor sent along, which it returns as a file; c's read deadline
// bounds the wait. The peer sends nothing more until it has had an answer,
// so no byte of a later message is read.
func recvFile(c *os.File, want int) ([]byte, *os.File, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return nil, nil, err
	}
	buf := make([]byte, want)
	// Room for a few descriptors, so that a peer that sends more is
	// told apart from one that sends one.
	oob := make([]byte, syscall.CmsgSpace(4*4))
	var fds []int
	fail := func(err error) ([]byte, *os.File, error) {
		for _, fd := range fds {
			syscall.Close(fd)
		}
		return nil, nil, err
	}
	for got := 0; got < want; {
		var n, oobn, flags int
		var serr error
		err := rc.Read(func(s uintptr) bool {
			n, oobn, flags, _, serr = syscall.Recvmsg(int(s), buf[got:], oob, syscall.MSG_CMSG_CLOEXEC)
			return serr != syscall.EAGAIN
		})
		if err == nil {
			err = serr
		}
		if err != nil {
			return fail(err)
		}
		if oobn > 0 {
			msgs, err := syscall.ParseSocketControlMessage(oob[:oobn])
			if err != nil {
				return fail(err)
			}
			for _, m := range msgs {
				got, err := syscall.ParseUnixRights(&m)
				fds = append(fds, got...)
				if err != nil {
					return fail(err)
				}
			}
		}
		if flags&syscall.MSG_CTRUNC != 0 {
			return fail(errors.New("descriptors sent with the hello were dropped"))
		}
		if n == 0 {
			return fail(io.ErrUnexpectedEOF)
		}
		got += n
	}
	if len(fds) != 1 {
		return fail(fmt.Errorf("%d descriptors arrived, want 1", len(fds)))
	}
	// A memfd, not a socket: it needs no poller, and came with
	// close-on-exec set (MSG_CMSG_CLOEXEC).
	return buf, os.NewFile(uintptr(fds[0]), "multitask-queue"), nil
}
