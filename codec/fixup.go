package codec

import "reflect"

// The CBOR library decodes a registered type T into an interface as a T when
// the interface is empty (any) and as a *T otherwise (error, a user's
// interface). Gob decodes it in the form that was registered, which is the
// rule this package promises for both codecs, so after a CBOR decode fixForms
// converts each value held in an interface to its registered form.

// fixForms converts, in place, every value held in an interface inside the
// addressable value v to the form its type was registered in. c supplies the
// plans that say where interfaces can be.
func fixForms(c *checker, v reflect.Value) {
	if !c.plan(v.Type()).iface {
		return
	}
	switch v.Kind() {
	case reflect.Interface:
		if v.IsNil() {
			return
		}
		e := v.Elem()
		if c.plan(e.Type()).iface {
			// Values held in an interface are not addressable: fix a copy.
			cp := reflect.New(e.Type()).Elem()
			cp.Set(e)
			fixForms(c, cp)
			e = cp
		}
		if f, ok := registeredForm(e); ok && f.Type().AssignableTo(v.Type()) {
			e = f
		}
		if v.CanSet() {
			v.Set(e)
		}
	case reflect.Pointer:
		if !v.IsNil() {
			fixForms(c, v.Elem())
		}
	case reflect.Struct:
		for _, f := range c.plan(v.Type()).fields {
			fixForms(c, v.Field(f.index))
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			fixForms(c, v.Index(i))
		}
	case reflect.Map:
		if !c.plan(v.Type().Elem()).iface {
			return // keys holding interfaces are left as decoded
		}
		for it := v.MapRange(); it.Next(); {
			cp := reflect.New(v.Type().Elem()).Elem()
			cp.Set(it.Value())
			fixForms(c, cp)
			v.SetMapIndex(it.Key(), cp)
		}
	}
}

// registeredForm returns e converted to the form its type was registered in,
// and whether that differs from e.
func registeredForm(e reflect.Value) (reflect.Value, bool) {
	r := lookup(e.Type())
	if r == nil || r.typ == e.Type() {
		return e, false
	}
	if r.typ.Kind() == reflect.Pointer { // have a T, want a *T
		p := reflect.New(e.Type())
		p.Elem().Set(e)
		return p, true
	}
	if e.IsNil() { // have a *T, want a T
		return e, false
	}
	return e.Elem(), true
}
