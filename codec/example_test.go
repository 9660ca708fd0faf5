package codec_test

import (
	"errors"
	"fmt"

	"github.com/multitask-go/multitask/codec"
)

// Overdrawn is an error that crosses process boundaries as itself.
type Overdrawn struct {
	Account string
	Short   int
}

func (e *Overdrawn) Error() string { return fmt.Sprintf("%s is short by %d", e.Account, e.Short) }

func init() {
	// At initialisation, so that parent and children register the same names.
	codec.Register[*Overdrawn]("example.Overdrawn")
}

func ExampleRegister() {
	c := codec.Default()
	var err error = &Overdrawn{Account: "alice", Short: 5}
	data, merr := c.Marshal(&err) // a pointer, so the codec sees the interface
	if merr != nil {
		fmt.Println(merr)
		return
	}

	var got error
	if uerr := c.Unmarshal(data, &got); uerr != nil {
		fmt.Println(uerr)
		return
	}
	var o *Overdrawn
	fmt.Println(errors.As(got, &o), o.Account, o.Short)
	// Output: true alice 5
}

func ExampleCodec_unsupported() {
	type Job struct {
		ID   int
		Done chan struct{}
	}
	_, err := codec.Default().Marshal(Job{ID: 1})
	fmt.Println(err)
	fmt.Println(errors.Is(err, codec.ErrUnsupported))
	// Output:
	// codec: cannot encode field Job.Done of type chan struct {}: channels cannot cross a process boundary
	// true
}

func ExampleDecode() {
	type Reading struct {
		Sensor string
		Value  float64
	}
	c := codec.Default()
	data, err := codec.Encode(c, Reading{Sensor: "t1", Value: 21.5})
	if err != nil {
		fmt.Println(err)
		return
	}
	r, err := codec.Decode[Reading](c, data)
	fmt.Println(r.Sensor, r.Value, err)
	// Output: t1 21.5 <nil>
}
