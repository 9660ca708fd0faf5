package codec

import (
	"encoding/gob"
	"fmt"
	"hash/fnv"
	"math"
	"reflect"
	"sync"

	"github.com/fxamacker/cbor/v2"
)

// A regEntry is one type registered with Register.
type regEntry struct {
	name string
	typ  reflect.Type // as registered: T or *T; values held in interfaces decode to this form
	base reflect.Type // typ without its pointer
	tag  uint64       // the CBOR tag number that marks a value of base
}

// registry holds the types registered with Register. Register writes it at
// package initialisation; the first Marshal or Unmarshal freezes it, after
// which it is only read, without the lock.
var registry = struct {
	mu     sync.Mutex
	frozen bool // guarded by mu

	// These are guarded by mu until frozen, and read-only afterwards.
	byName map[string]*regEntry
	byBase map[reflect.Type]*regEntry
	byTag  map[uint64]*regEntry
	tags   cbor.TagSet
}{
	byName: make(map[string]*regEntry),
	byBase: make(map[reflect.Type]*regEntry),
	byTag:  make(map[uint64]*regEntry),
	tags:   cbor.NewTagSet(),
}

// Register records the concrete type T under a stable name, so that a value of
// T held in an interface (a field of type any or error, an element of []any, a
// value of your own interface type) decodes back to a T in the other process.
// Values of concrete static type need no registration.
//
// T is a named type declared in a package, or a pointer to one. The form
// registered is the form decoded: after Register[*MyError], an error field
// that held a MyError or a *MyError decodes to a *MyError; after
// Register[MyError], to a MyError whenever MyError itself implements the
// interface. Register T or *T, not both.
//
// Call Register from a package-level variable declaration or an init function,
// so that every process of the binary registers the same names; pick names
// that will not change (for example "mypkg.MyError"), because they, not Go type
// names, identify the type on the wire. Under [CBOR] the name's 64-bit FNV-1a
// hash, in CBOR's first-come-first-served tag range, tags each value of T;
// under [Gob] the name goes to gob.RegisterName.
//
// Register panics, as these are programmer errors found at initialisation:
// when the name is empty or already registered, when T (or *T) is already
// registered under another name, when T is not a named type or a pointer to
// one, and when it is called after the first Marshal or Unmarshal of any codec
// in this package, because by then the other process may have decoded with a
// different registry.
func Register[T any](name string) {
	t := reflect.TypeFor[T]()
	base := t
	if base.Kind() == reflect.Pointer {
		base = base.Elem()
	}
	switch {
	case name == "":
		panic(fmt.Sprintf("codec: Register[%v] with an empty name", t))
	case base.Kind() == reflect.Pointer:
		panic(fmt.Sprintf("codec: Register[%v] (%q): register T or *T, not a pointer to a pointer", t, name))
	case base.Kind() == reflect.Interface:
		panic(fmt.Sprintf("codec: Register[%v] (%q): an interface type cannot be registered; register the concrete types that implement it", t, name))
	case base.Name() == "" || base.PkgPath() == "":
		panic(fmt.Sprintf("codec: Register[%v] (%q): only a named type declared in a package, or a pointer to one, can be registered", t, name))
	}
	e := &regEntry{name: name, typ: t, base: base, tag: tagFor(name)}

	registry.mu.Lock()
	defer registry.mu.Unlock()
	if old, ok := registry.byName[name]; ok {
		panic(fmt.Sprintf("codec: Register[%v]: name %q is already registered for %v", t, name, old.typ))
	}
	if old, ok := registry.byBase[base]; ok {
		panic(fmt.Sprintf("codec: Register[%v] (%q): %v is already registered as %q", t, name, old.typ, old.name))
	}
	if old, ok := registry.byTag[e.tag]; ok {
		panic(fmt.Sprintf("codec: Register[%v]: names %q and %q hash to the same tag; choose another name", t, name, old.name))
	}
	if registry.frozen {
		panic(fmt.Sprintf("codec: Register[%v] (%q) called after the first Marshal or Unmarshal; register types at package initialisation", t, name))
	}
	opts := cbor.TagOptions{EncTag: cbor.EncTagRequired, DecTag: cbor.DecTagRequired}
	if err := registry.tags.Add(opts, base, e.tag); err != nil {
		panic(fmt.Sprintf("codec: Register[%v] (%q): %v", t, name, err))
	}
	gob.RegisterName(name, reflect.Zero(t).Interface())
	registry.byName[name] = e
	registry.byBase[base] = e
	registry.byTag[e.tag] = e
}

// tagFor derives a CBOR tag number from a registered name: its FNV-1a hash
// with the top bit set, which lies in the first-come-first-served range
// (32768 and above) and avoids the numbers RFC 8949 reserves.
func tagFor(name string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	tag := h.Sum64() | 1<<63
	if tag == math.MaxUint64 { // reserved as an invalid tag
		tag--
	}
	return tag
}

// lookup returns the registration of t or of the type t points to, or nil. It
// is called only once the registry is frozen.
func lookup(t reflect.Type) *regEntry {
	if e, ok := registry.byBase[t]; ok {
		return e
	}
	if t.Kind() == reflect.Pointer {
		return registry.byBase[t.Elem()]
	}
	return nil
}

// built holds what the codecs build from the registry once it is frozen.
var built struct {
	once sync.Once
	em   cbor.EncMode
	dm   cbor.DecMode
	any  bool // some type is registered: CBOR decoding fixes up interface values
}

// freeze freezes the registry on first use and builds the CBOR modes with its
// tags. Every Marshal and Unmarshal calls it first; what it builds is read
// without a lock afterwards.
func freeze() {
	built.once.Do(func() {
		registry.mu.Lock()
		registry.frozen = true
		registry.mu.Unlock()
		var err error
		if built.em, err = cborEncOptions().EncModeWithTags(registry.tags); err != nil {
			panic("codec: building the CBOR encoder: " + err.Error())
		}
		if built.dm, err = cborDecOptions().DecModeWithTags(registry.tags); err != nil {
			panic("codec: building the CBOR decoder: " + err.Error())
		}
		built.any = len(registry.byBase) > 0
	})
}

func init() {
	// Let Gob carry the generic containers that may sit in an interface, as
	// CBOR does.
	gob.Register([]any(nil))
	gob.Register(map[string]any(nil))
}
