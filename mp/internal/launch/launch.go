package launch

import (
	"cmp"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"

	"github.com/multitask-go/multitask/internal/supervise"
)

// The markers and the shape of the control channel.
const (
	// EnvChild marks a child process that runs a task.
	EnvChild = "MULTITASK_CHILD"
	// ProtocolVersion is the version of the control protocol, which a
	// marker carries: a child of another build of the program refuses it.
	ProtocolVersion = "1"
	// ControlFD is the child's descriptor of its end of the control socket.
	ControlFD = 3
	// MaxToken bounds the length of the token in a marker and a hello.
	MaxToken = 64
	// MaxRights is the most descriptors one message carries (the kernel's
	// SCM_MAX_FD is 253).
	MaxRights = 253
	// ExitBootstrap is the exit status of a child that was not started by
	// a parent of this binary, or whose parent vanished.
	ExitBootstrap = 3
)

// Options say how [Start] starts a process.
type Options struct {
	Env            []string // nil: this process's own, at Start
	Dir            string
	Stdout, Stderr io.Writer // nil: this process's own
	Detached       bool
}

// Start starts this program again, marked with marker (such as [EnvChild])
// and a fresh token in its environment, with its end of a new control
// socket on descriptor [ControlFD]. It returns the process, this process's
// end of the socket and the token.
func Start(marker string, o Options) (*supervise.Child, *os.File, []byte, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("find this program: %w", err)
	}
	token := make([]byte, 16)
	rand.Read(token)
	mine, theirs, err := SocketPair()
	if err != nil {
		return nil, nil, nil, err
	}
	defer theirs.Close()
	env := slices.Clip(o.Env)
	if env == nil {
		env = os.Environ()
	}
	cmd := &exec.Cmd{
		Path:       exe,
		Args:       []string{os.Args[0]},
		Env:        append(env, markerEnv(marker, token)),
		Dir:        o.Dir,
		ExtraFiles: []*os.File{theirs},
		Stdout:     cmp.Or[io.Writer](o.Stdout, os.Stdout),
		Stderr:     cmp.Or[io.Writer](o.Stderr, os.Stderr),
	}
	c, err := supervise.Start(cmd, supervise.Options{Detached: o.Detached})
	if err != nil {
		mine.Close()
		return nil, nil, nil, err
	}
	return c, mine, token, nil
}

// markerEnv is the environment entry that marks a child: the protocol
// version and the token.
func markerEnv(marker string, token []byte) string {
	return marker + "=" + ProtocolVersion + ":" + hex.EncodeToString(token)
}

// ParseMarker reads the token from the value v of the marker variable.
func ParseMarker(marker, v string) ([]byte, error) {
	version, tok, ok := strings.Cut(v, ":")
	if !ok || version != ProtocolVersion {
		return nil, fmt.Errorf("mp: %s=%q: this binary speaks protocol %s", marker, v, ProtocolVersion)
	}
	token, err := hex.DecodeString(tok)
	if err != nil || len(token) == 0 || len(token) > MaxToken {
		return nil, fmt.Errorf("mp: %s=%q: malformed token", marker, v)
	}
	return token, nil
}

// ControlFile opens the child's end of the control channel, checking that
// it is a socket: a process started by hand with a marker set has some
// other file there, or none.
func ControlFile() (*os.File, error) {
	f := OpenInherited(ControlFD, "multitask-control")
	if f == nil {
		return nil, errors.New("no descriptor 3")
	}
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Mode()&os.ModeSocket == 0 {
		return nil, fmt.Errorf("descriptor 3 is a %v, not the control socket", st.Mode().Type())
	}
	return f, nil
}

// ChannelEnded reports whether err is the end of a control channel, as the
// death of the process at the other end makes it, rather than garbage.
func ChannelEnded(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}
