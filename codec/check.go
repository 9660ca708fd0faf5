package codec

import (
	"encoding"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"
)

// Both codecs silently skip some things a caller would expect to cross (gob
// drops channel and function fields of a struct; an interface holding an
// unregistered struct reaches a CBOR peer as a map), and both overflow the
// stack on a cyclic value. A checker rejects such values before encoding.
// It looks at the static type once (the result is a plan, cached per type)
// and walks a value only when its type allows something the type alone
// cannot settle: an interface, or a recursive type.

// maxDepth is the deepest nesting of arrays, maps, structs and CBOR tags that
// Marshal accepts and the CBOR decoder allows (its MaxNestedLevels). Deeper
// values, cyclic ones included, are rejected with ErrUnsupported.
const maxDepth = 1024

// maxPointerRun bounds a chain of pointers to pointers, which adds no nesting
// but loops forever when cyclic.
const maxPointerRun = 64

// A checker knows what one codec can carry.
type checker struct {
	complexOK     bool                                           // the codec carries complex numbers
	bigUintInAny  bool                                           // an interface may hold an unsigned integer above MaxInt64
	marshalerKind func(t reflect.Type) (opaque bool, why string) // t encodes itself (why: it cannot be decoded)
	plans         sync.Map                                       // reflect.Type -> *plan
}

// A plan says what the static type settles about its values.
type plan struct {
	bad    *UnsupportedTypeError // a type inside that can never be encoded; Path is relative
	walk   bool                  // values must be walked: an interface is reachable, or the type is recursive
	iface  bool                  // an interface is reachable (CBOR decoding fixes up registered forms)
	depth  int                   // the deepest nesting a value can have, when !walk
	opaque bool                  // values encode themselves (MarshalBinary and the like)
	tagged bool                  // a registered type: CBOR wraps each value in a tag
	fields []fieldPlan           // for a struct: the fields the codecs encode
}

type fieldPlan struct {
	index int
	name  string
	typ   reflect.Type
}

var (
	typeBytes        = reflect.TypeFor[[]byte]()
	typeSliceAny     = reflect.TypeFor[[]any]()
	typeMapStringAny = reflect.TypeFor[map[string]any]()

	typeBinaryMarshaler   = reflect.TypeFor[encoding.BinaryMarshaler]()
	typeBinaryUnmarshaler = reflect.TypeFor[encoding.BinaryUnmarshaler]()
)

// implements reports whether a value of t, or a pointer to one, implements
// the interface it, as both codecs look for methods on either receiver.
func implements(t, it reflect.Type) bool {
	return t.Implements(it) || reflect.PointerTo(t).Implements(it)
}

// pairedMarshaler checks one marshaler interface and its unmarshaler: t is
// opaque if it implements m, and then it must implement u for decoding.
func pairedMarshaler(t, m, u reflect.Type) (opaque bool, why string) {
	if !implements(t, m) {
		return false, ""
	}
	if !reflect.PointerTo(t).Implements(u) {
		return true, "it implements " + m.String() + " but not " + u.String() + ", so it could not be decoded"
	}
	return true, ""
}

// plan returns the cached plan of t, computing it on first use. It must be
// called only after freeze.
func (c *checker) plan(t reflect.Type) *plan {
	if p, ok := c.plans.Load(t); ok {
		return p.(*plan)
	}
	b := planBuilder{c: c, memo: make(map[reflect.Type]*plan)}
	p := b.build(t)
	// Only the root's plan is complete: a type on a cycle that was finished
	// before its ancestor misses what lies behind the back edge.
	actual, _ := c.plans.LoadOrStore(t, p)
	return actual.(*plan)
}

type planBuilder struct {
	c    *checker
	memo map[reflect.Type]*plan // nil value: being built (a back edge means recursion)
}

func unsupported(t reflect.Type, why string) *plan {
	return &plan{bad: &UnsupportedTypeError{Type: t, Reason: why}}
}

// within merges into p, the plan of a container, the plan of child, which is
// reached from the container by step (a struct field when field is true).
func (p *plan) within(child *plan, step string, field bool) {
	if p.bad != nil {
		return
	}
	if child.bad != nil {
		bad := *child.bad
		bad.Path = step + bad.Path
		if child.bad.Path == "" {
			bad.field = field
		}
		p.bad = &bad
		return
	}
	p.walk = p.walk || child.walk
	p.iface = p.iface || child.iface
	p.depth = max(p.depth, child.depth)
}

func (b *planBuilder) build(t reflect.Type) *plan {
	if p, ok := b.memo[t]; ok {
		if p == nil { // recursive type
			return &plan{walk: true}
		}
		return p
	}
	b.memo[t] = nil
	p := b.buildNew(t)
	if e := lookup(t); e != nil && e.base == t {
		p.tagged = true
		p.depth++
	}
	b.memo[t] = p
	return p
}

func (b *planBuilder) buildNew(t reflect.Type) *plan {
	switch t.Kind() {
	case reflect.Chan:
		return unsupported(t, "channels cannot cross a process boundary")
	case reflect.Func:
		return unsupported(t, "functions cannot cross a process boundary")
	case reflect.UnsafePointer:
		return unsupported(t, "unsafe pointers cannot cross a process boundary")
	case reflect.Uintptr:
		return unsupported(t, "a uintptr holds a memory address, which means nothing in another process; use uint64")
	case reflect.Interface:
		return &plan{walk: true, iface: true}
	case reflect.Pointer:
		p := *b.build(t.Elem()) // a pointer adds no nesting
		p.tagged = false        // the tag is counted at the element
		return &p
	}
	if opaque, why := b.c.marshalerKind(t); opaque {
		if why != "" {
			return unsupported(t, why)
		}
		return &plan{opaque: true, depth: 1} // a tag, at most (time.Time)
	}
	switch t.Kind() {
	case reflect.Complex64, reflect.Complex128:
		if !b.c.complexOK {
			return unsupported(t, "CBOR cannot carry complex numbers; use two floats, or the Gob codec")
		}
		return &plan{}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return &plan{} // a byte string
		}
		p := &plan{}
		p.within(b.build(t.Elem()), "[i]", false)
		p.depth++
		return p
	case reflect.Map:
		p := &plan{}
		p.within(b.build(t.Key()), "(key)", false)
		p.within(b.build(t.Elem()), "[k]", false)
		p.depth++
		return p
	case reflect.Struct:
		p := &plan{}
		for i := range t.NumField() {
			f := t.Field(i)
			if !encoded(f) {
				continue
			}
			p.fields = append(p.fields, fieldPlan{index: i, name: f.Name, typ: f.Type})
			p.within(b.build(f.Type), "."+f.Name, true)
		}
		if t.NumField() > 0 && len(p.fields) == 0 {
			// Like *os.File or sync.Mutex: it would arrive as an empty shell.
			return unsupported(t, "it has no exported fields, so its state would not cross; implement encoding.BinaryMarshaler and encoding.BinaryUnmarshaler")
		}
		p.depth++
		return p
	}
	return &plan{} // bool, numbers, string
}

// encoded reports whether a codec may encode the struct field f: exported
// fields, and embedded structs whose exported fields CBOR promotes.
func encoded(f reflect.StructField) bool {
	if f.IsExported() {
		return true
	}
	if !f.Anonymous {
		return false
	}
	t := f.Type
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Kind() == reflect.Struct
}

// check returns an error if v, or anything inside it, cannot be encoded.
func (c *checker) check(v any) error {
	if v == nil {
		return nil
	}
	rv := reflect.ValueOf(v)
	t := rv.Type()
	p := c.plan(t)
	if p.bad != nil {
		bad := *p.bad
		if bad.Path != "" {
			bad.Path = rootName(t) + bad.Path
		}
		return &bad
	}
	if !p.walk && p.depth <= maxDepth {
		return nil
	}
	w := walker{c: c, path: []step{{name: rootName(t)}}}
	return w.walk(rv, p, 0, 0)
}

// rootName names the type of a value passed to Marshal, for paths.
func rootName(t reflect.Type) string {
	for i := 0; t.Kind() == reflect.Pointer && i < maxPointerRun; i++ {
		t = t.Elem()
	}
	if t.Name() != "" {
		return t.Name()
	}
	return t.String()
}

// A step is one element of a path: a field name, an index or a map key.
type step struct {
	name  string        // a struct field, or the root
	index int           // a slice or array index, when name == "" and !isKey
	key   reflect.Value // a map key, when isKey
	isKey bool
}

type walker struct {
	c    *checker
	path []step
}

func (w *walker) pathString() string {
	var s strings.Builder
	for i, st := range w.path {
		switch {
		case st.isKey:
			s.WriteByte('[')
			if st.key.Kind() == reflect.String {
				s.WriteString(strconv.Quote(st.key.String()))
			} else if st.key.CanInterface() {
				s.WriteString(formatKey(st.key))
			} else {
				s.WriteString("k")
			}
			s.WriteByte(']')
		case st.name != "":
			if i > 0 {
				s.WriteByte('.')
			}
			s.WriteString(st.name)
		default:
			s.WriteByte('[')
			s.WriteString(strconv.Itoa(st.index))
			s.WriteByte(']')
		}
	}
	return s.String()
}

func formatKey(k reflect.Value) string {
	switch k.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(k.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(k.Uint(), 10)
	case reflect.Bool:
		return strconv.FormatBool(k.Bool())
	}
	return "k"
}

// fail returns an error for t, found at the current path followed by rel (a
// path relative to the current value, from a plan; relField says whether its
// last step is a struct field).
func (w *walker) fail(t reflect.Type, rel, why string, relField bool) error {
	e := &UnsupportedTypeError{Type: t, Reason: why}
	switch {
	case rel != "":
		e.Path, e.field = w.pathString()+rel, relField
	case len(w.path) > 1:
		last := w.path[len(w.path)-1]
		e.Path, e.field = w.pathString(), last.name != "" && !last.isKey
	}
	return e
}

func (w *walker) tooDeep(t reflect.Type) error {
	return w.fail(t, "", "the value nests deeper than "+strconv.Itoa(maxDepth)+" levels; is it cyclic?", false)
}

// walk checks the value v of plan p, found at depth levels of nesting.
// ptrRun counts the pointers followed since the last level.
func (w *walker) walk(v reflect.Value, p *plan, depth, ptrRun int) error {
	if p.bad != nil {
		return w.fail(p.bad.Type, p.bad.Path, p.bad.Reason, p.bad.field)
	}
	if !p.walk && depth+p.depth <= maxDepth {
		return nil
	}
	if p.tagged {
		depth++
	}
	if p.opaque {
		if depth > maxDepth {
			return w.tooDeep(v.Type())
		}
		return nil
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return nil
		}
		if ptrRun >= maxPointerRun {
			return w.tooDeep(v.Type())
		}
		e := v.Elem()
		return w.walk(e, w.c.plan(e.Type()), depth, ptrRun+1)

	case reflect.Interface:
		if v.IsNil() {
			return nil
		}
		e := v.Elem()
		if err := w.held(e); err != nil {
			return err
		}
		return w.walk(e, w.c.plan(e.Type()), depth, 0)

	case reflect.Struct:
		if depth++; depth > maxDepth {
			return w.tooDeep(v.Type())
		}
		for _, f := range p.fields {
			fp := w.c.plan(f.typ)
			if !fp.walk && depth+fp.depth <= maxDepth {
				continue
			}
			w.path = append(w.path, step{name: f.name})
			err := w.walk(v.Field(f.index), fp, depth, 0)
			w.path = w.path[:len(w.path)-1]
			if err != nil {
				return err
			}
		}
		return nil

	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			return nil
		}
		if depth++; depth > maxDepth {
			return w.tooDeep(v.Type())
		}
		ep := w.c.plan(v.Type().Elem())
		if !ep.walk && depth+ep.depth <= maxDepth {
			return nil
		}
		for i := range v.Len() {
			w.path = append(w.path, step{index: i})
			err := w.walk(v.Index(i), ep, depth, 0)
			w.path = w.path[:len(w.path)-1]
			if err != nil {
				return err
			}
		}
		return nil

	case reflect.Map:
		if v.IsNil() {
			return nil
		}
		if depth++; depth > maxDepth {
			return w.tooDeep(v.Type())
		}
		kp, ep := w.c.plan(v.Type().Key()), w.c.plan(v.Type().Elem())
		walkKey := kp.walk || depth+kp.depth > maxDepth
		walkElem := ep.walk || depth+ep.depth > maxDepth
		if !walkKey && !walkElem {
			return nil
		}
		for it := v.MapRange(); it.Next(); {
			k := it.Key()
			if walkKey {
				w.path = append(w.path, step{key: k, isKey: true})
				err := w.walk(k, kp, depth, 0)
				w.path = w.path[:len(w.path)-1]
				if err != nil {
					return err
				}
			}
			if walkElem {
				w.path = append(w.path, step{key: k, isKey: true})
				err := w.walk(it.Value(), ep, depth, 0)
				w.path = w.path[:len(w.path)-1]
				if err != nil {
					return err
				}
			}
		}
		return nil
	}
	return nil
}

// held checks the dynamic value e of an interface: it must be of a registered
// type (or a pointer to one), or plain data that decodes to the same thing in
// an interface on the other side.
func (w *walker) held(e reflect.Value) error {
	t := e.Type()
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map:
		if e.IsNil() {
			return w.fail(t, "", "an interface holding a typed nil would arrive as a nil interface; leave the interface nil, or hold an empty value", false)
		}
	}
	if lookup(t) != nil {
		return nil
	}
	switch t {
	case typeBytes, typeSliceAny, typeMapStringAny:
		return nil
	}
	if t.Name() == "" || t.PkgPath() != "" {
		return w.fail(t, "", "an interface may hold only registered types (see Register), predeclared types such as int and string, []byte, []any and map[string]any", false)
	}
	switch t.Kind() {
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if !w.c.bigUintInAny && e.Uint() > math.MaxInt64 {
			return w.fail(t, "", "CBOR decodes an integer held in an interface as int64, which cannot hold "+strconv.FormatUint(e.Uint(), 10), false)
		}
	}
	return nil // predeclared: the kind checks in the plan settle the rest
}
