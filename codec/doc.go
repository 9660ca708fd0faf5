// Package codec turns typed values into bytes and back, so that they can cross
// from one process of a program to another: a parent and the worker children
// it started from the same binary.
//
// # The model
//
// A [Codec] has two methods, Marshal and Unmarshal, and two implementations:
// [CBOR], the [Default], and [Gob]. The process layer encodes a task's argument
// in the caller, so that a value that cannot cross is an error at Submit and
// not in the child; it frames the bytes (package internal/wire), and the child
// decodes them into a value of the same static type, runs the task, and sends
// the result back the same way. Both sides run the same binary, so both know
// the same types and the same registrations.
//
// Encoding is checked, not best effort. Each codec on its own drops some
// things without a word (gob skips channel and function fields; an interface
// holding an unregistered struct reaches a CBOR reader as a map) and
// overflows the stack on a cyclic value. Marshal therefore checks the type of
// its argument once (the result is cached per type) and walks the value only
// where the type leaves something open: interfaces and recursive types. What
// cannot cross is reported with an [*UnsupportedTypeError], which unwraps to
// [ErrUnsupported] and names the type and where it was found:
//
//	codec: cannot encode field Job.Done of type chan int: channels cannot cross a process boundary
//
// Decoding is defensive: it checks well-formedness and nesting first, creates
// only the target's types and the registered ones, bounds the memory it asks
// for in proportion to the length of the data, and turns whatever goes wrong into an error
// wrapping [ErrCorrupt], never a panic.
//
// # What can cross
//
// Booleans, integers of every size, floating-point numbers (bit for bit:
// negative zero, infinities, NaN payloads), strings (byte for byte: invalid
// UTF-8 is carried, not rejected or replaced), byte slices, arrays, slices,
// maps, pointers (a pointer chain arrives as a fresh copy, so two pointers to
// one value arrive as two values), structs with their exported fields,
// time.Time (the instant, to the nanosecond, with its zone offset but not its
// location name or monotonic reading) and time.Duration. A type that
// implements encoding.BinaryMarshaler and encoding.BinaryUnmarshaler crosses
// through those methods, also when the methods are on *T or the value sits in
// a field; the process layer's pipe and queue handles cross this way.
// encoding.TextMarshaler is not used, because gob ignores it: such a type
// crosses by its exported fields, as any other.
//
// These are refused with [ErrUnsupported], wherever they sit (at the top, in a
// field, an element, a map key or value, behind pointers): channels,
// functions, unsafe pointers, uintptr (an address means nothing in another
// process), complex numbers under [CBOR], structs whose fields are all
// unexported (an *os.File or a sync.Mutex would arrive as an empty shell), a
// type with a marshaling method but no matching unmarshaling one, and values
// nested more than 1024 levels deep, which includes every cyclic value.
// Unexported fields of other structs are not carried, as in encoding/json.
//
// Nil and empty differ by codec: [CBOR] keeps nil and empty slices, maps and
// byte slices apart; [Gob] decodes an empty slice or byte slice as nil.
//
// # Interfaces and registering types
//
// A value held in an interface (a field of type any or error, an element of
// []any, a value of your own interface type) is checked at Marshal by what it
// holds. It may hold:
//
//   - a type registered with [Register], or a pointer to one; it decodes to
//     the registered form;
//   - a predeclared boolean, integer, floating-point or string type, []byte,
//     []any or map[string]any (whose contents follow these rules in turn).
//     Under [Gob] these keep their exact type; under [CBOR] an integer comes
//     back as int64 and a float as float64, as JSON would give float64.
//
// Anything else, such as an unregistered struct, an error made by
// errors.New, []int, time.Time (which cannot be registered: keep it in a field
// of its own type) or a typed nil (a nil pointer, slice or map, which CBOR
// would deliver as a nil interface), is refused at Marshal with
// [ErrUnsupported] rather than arriving as something else. To send a value
// whose static type is an interface, pass a pointer to it (Marshal(&err)), so
// that the codec sees the interface; Gob needs this, CBOR accepts either.
//
// # Streams of one type
//
// [Encode], [Decode] and [DecodeOwned] are Marshal and Unmarshal for a type
// known at compile time. A call through the interface copies its argument to
// the heap (the value to encode, the target to decode into); these keep it
// in the caller's frame when the value is flat (see [CBOR]), and DecodeOwned
// also lets the value's strings point into data the caller gives up. The
// process layer's queues and pipes use them for every item.
//
// Register types from package-level declarations or init functions, so that
// the parent and every child register the same names before any value
// crosses; the first Marshal or Unmarshal freezes the registry and a later
// Register panics.
//
// # Choosing a codec
//
// Use [Default]. [CBOR] is faster, allocates less and writes fewer bytes than
// [Gob] for every payload bench/ measures except one (a slice of 16 structs,
// where gob's numbered fields make a smaller message than CBOR's named
// ones); it keeps up with msgpack on an int and on a large []byte and beats
// it on structs, without a further dependency; and it is self-describing,
// so a message can be inspected with any CBOR tool. [Gob] is the choice
// when a value needs complex numbers or exact predeclared types inside
// interfaces; since each Marshal is a self-contained message, every message
// repeats gob's type descriptions, which is what makes small gob messages
// slow.
//
// # Measured figures
//
// BenchmarkCodec, in the repository's bench/ module, times one Marshal plus
// one Unmarshal into a new value for CBOR, gob, msgpack
// (github.com/vmihailenco/msgpack/v5) and encoding/json, the reference
// point, on an int, a struct of about 100 bytes, 16 such records and a
// 1 MiB []byte, and records each message's size. The figures are in the
// Performance section of the repository's README, written by
// bench/run.sh; "bash bench/run.sh -bench Codec" measures them on another
// machine. The CBOR figures include this package's checks (a cached lookup
// per call for types without interfaces).
//
// Flat values take a fast path (see [CBOR]). With it, what the ~100 B
// struct, which is flat, still allocates under CBOR is the value's copy for
// Marshal, the encoding, the target and its two strings; through [Encode]
// and [DecodeOwned] the same round trip allocates only the encoding.
package codec
