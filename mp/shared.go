package mp

import (
	"os"

	"github.com/multitask-go/multitask/mp/internal/shm"
)

// An engine is what a shared-memory type of this package is built on: a
// type of package shm (or, for the generic ones, of this package) that
// embeds an shm.Object and lays itself out on its memory.
type engine[E any] interface {
	*E
	Base() *shm.Object
	// Setup lays the engine out on its memory, after Init or Bind.
	Setup()
	UnmarshalBinary(b []byte) error
	Close() error
}

// A shared is embedded in each of the shared-memory types (the primitives,
// Value, Array and SharedMemory) and gives them what makes them handles:
// Close, the codec's MarshalBinary and UnmarshalBinary, and the passing of
// their memory to a child. Their own methods use the engine e directly, so
// that the fast paths cost no extra call.
type shared[E any, P engine[E]] struct {
	e E
}

func (s *shared[E, P]) eng() P { return P(&s.e) }

// init makes the memory of a new object of kind and lays the engine out.
func (s *shared[E, P]) init(kind shm.Kind, elem uint8, param uint64) error {
	if err := s.eng().Base().Init(kind, elem, param, newHandleID()); err != nil {
		return err
	}
	s.eng().Setup()
	return nil
}

// Close releases this process's mapping and descriptor of the object;
// other processes keep theirs, and the kernel frees the memory once every
// process has closed it or exited. Calls waiting in this process return an
// error matching [ErrClosed]; what else Close lets go of, or keeps, the
// type's doc says. Close is idempotent.
func (s *shared[E, P]) Close() error { return s.eng().Close() }

// MarshalBinary encodes the object as its id, kind and layout, for the
// codec; its memory travels beside the argument as a descriptor.
func (s *shared[E, P]) MarshalBinary() ([]byte, error) {
	return s.eng().Base().AppendBinary(nil), nil
}

// UnmarshalBinary decodes what MarshalBinary wrote; an object of another
// type is an error. The child binds the memory before its function runs.
func (s *shared[E, P]) UnmarshalBinary(b []byte) error { return s.eng().UnmarshalBinary(b) }

func (s *shared[E, P]) handleID() uint64                 { return s.eng().Base().ID() }
func (s *shared[E, P]) handleFiles() ([]*os.File, error) { return s.eng().Base().Files() }
func (s *shared[E, P]) bindFiles(files []*os.File) error {
	if err := s.eng().Base().Bind(files); err != nil {
		return err
	}
	s.eng().Setup()
	return nil
}
