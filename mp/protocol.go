package mp

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/multitask-go/multitask/codec"
	"github.com/multitask-go/multitask/futures"
	"github.com/multitask-go/multitask/internal/wire"
	pw "github.com/multitask-go/multitask/mp/internal/worker"
)

// The control channel between a parent and a child is a unix socket on the
// child's descriptor 3. The child speaks first, with the hello that proves
// it is the child the parent started (the token came to it in the
// environment); the parent answers with the start frame; the child reports
// with one result frame and exits. Either side may be gone at any moment:
// the child treats the end of the channel as its parent's death, the parent
// as the child's exit.
const (
	kindStart  wire.Kind = 1 + iota // parent → child: startMsg
	kindResult                      // child → parent: resultMsg
	kindCancel                      // parent → child: cancel the function's context
)

// startMsg tells a child what to run.
type startMsg struct {
	Func     string
	Arg      []byte
	Name     string
	Daemon   bool
	Detached bool
	Handles  []handleRef // the handles in Arg, whose descriptors come with this message, in order
	Inherit  [][]byte    // Fork: values of the variables registered with Inherit, in order
	Files    int         // Fork: how many descriptors passed with PassFiles follow the handles'
	Worker   *pw.Config  // a pool worker: no function, tasks follow
}

// handleRef says which descriptors belong to a handle. It is the pool
// worker protocol's, so that a task's handles cross without a copy.
type handleRef = pw.Ref

// readyMsg, in a pool worker's ready frame, reports the outcome of its
// initializer.
type readyMsg struct {
	Err *errorMsg
}

// resultMsg is what the function returned.
type resultMsg struct {
	Value []byte
	Err   *errorMsg
}

// errorMsg carries an error across the process boundary: a kind that the
// parent rebuilds into the same sentinel or type, else the type's name and
// the message.
type errorMsg struct {
	Kind     string // one of the errKind constants
	Type     string
	Message  string
	Stack    []byte
	Sentinel string // the name of a sentinel registered with RegisterError that the error matches
}

const (
	errKindRemote        = ""
	errKindPanic         = "panic"
	errKindCanceled      = "canceled"
	errKindDeadline      = "deadline"
	errKindNotRegistered = "not-registered"
)

// toErrorMsg describes err for the other process.
func toErrorMsg(err error) *errorMsg {
	if err == nil {
		return nil
	}
	var pe *futures.PanicError
	switch {
	case errors.As(err, &pe):
		return &errorMsg{Kind: errKindPanic, Type: fmt.Sprintf("%T", pe.Value), Message: fmt.Sprint(pe.Value), Stack: pe.Stack}
	case errors.Is(err, ErrNotRegistered):
		return &errorMsg{Kind: errKindNotRegistered, Message: err.Error()}
	case errors.Is(err, context.DeadlineExceeded):
		return &errorMsg{Kind: errKindDeadline, Message: err.Error()}
	case errors.Is(err, context.Canceled):
		return &errorMsg{Kind: errKindCanceled, Message: err.Error()}
	}
	return &errorMsg{Type: fmt.Sprintf("%T", err), Message: err.Error(), Sentinel: sentinelName(err)}
}

// rebuild turns an errorMsg back into an error that matches what the child
// returned as far as the parent can tell.
func (m *errorMsg) rebuild() error {
	remote := &RemoteError{Type: m.Type, Message: m.Message, sentinel: lookupSentinel(m.Sentinel)}
	switch m.Kind {
	case errKindPanic:
		return &futures.PanicError{Value: remote, Stack: m.Stack}
	case errKindNotRegistered:
		return fmt.Errorf("%w (in another process): %s", ErrNotRegistered, m.Message)
	case errKindDeadline:
		return fmt.Errorf("mp: in another process: %w", context.DeadlineExceeded)
	case errKindCanceled:
		return fmt.Errorf("mp: in another process: %w", context.Canceled)
	}
	return remote
}

// marshalMsg and unmarshalMsg encode the protocol's own messages, always
// with CBOR whatever codec user values use.
func marshalMsg(v any) ([]byte, error) { return codec.CBOR.Marshal(v) }

func unmarshalMsg(b []byte, v any) error { return codec.CBOR.Unmarshal(b, v) }

// sentinels are the errors registered with RegisterError, in order, after
// those of this package that a child may return; like the function
// registry, every process of the binary fills it the same way at
// initialisation.
var sentinels = struct {
	sync.Mutex
	names []string
	errs  []error
}{names: []string{"mp.ErrTooLarge"}, errs: []error{ErrTooLarge}}

// RegisterError gives err, a sentinel error such as io.ErrUnexpectedEOF or
// one of your own, a name under which it crosses process boundaries: an
// error returned in a child process that matches err (errors.Is) comes
// back to the parent as a [*RemoteError] that matches err too. Call it at
// package level, as [Register]; it panics on an empty or taken name, a nil
// error, and after [Main].
func RegisterError(name string, err error) {
	if name == "" || err == nil {
		panic(fmt.Sprintf("mp: RegisterError(%q, %v): want a name and an error", name, err))
	}
	registry.mu.Lock()
	frozen := registry.frozen
	registry.mu.Unlock()
	if frozen {
		panic(fmt.Sprintf("mp: RegisterError(%q) after mp.Main or the first process started: register errors at package level", name))
	}
	sentinels.Lock()
	defer sentinels.Unlock()
	if slices.Contains(sentinels.names, name) {
		panic(fmt.Sprintf("mp: RegisterError(%q): the name is already registered", name))
	}
	sentinels.names = append(sentinels.names, name)
	sentinels.errs = append(sentinels.errs, err)
}

// sentinelName returns the name of the first registered sentinel err
// matches, or "".
func sentinelName(err error) string {
	sentinels.Lock()
	defer sentinels.Unlock()
	for i, s := range sentinels.errs {
		if errors.Is(err, s) {
			return sentinels.names[i]
		}
	}
	return ""
}

func lookupSentinel(name string) error {
	if name == "" {
		return nil
	}
	sentinels.Lock()
	defer sentinels.Unlock()
	if i := slices.Index(sentinels.names, name); i >= 0 {
		return sentinels.errs[i]
	}
	return nil
}
