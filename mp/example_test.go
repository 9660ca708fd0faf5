package mp_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/multitask-go/multitask/mp"
)

// Functions that may run in a child are registered at package level.
var shout = mp.Register("example-shout", func(ctx context.Context, s string) (string, error) {
	return strings.ToUpper(s) + "!", nil
})

func ExampleNewProcess() {
	// In a program, main starts with mp.Main(); here TestMain does.
	ctx := context.Background()
	p := mp.NewProcess(shout, "hello")
	if err := p.Start(); err != nil {
		fmt.Println(err)
		return
	}
	s, err := shout.Result(ctx, p) // waits for the child, like Join
	fmt.Println(s, err, p.ExitCode())
	// Output: HELLO! <nil> 0
}

// count receives words until the other end closes, and returns how many.
var count = mp.Register("example-count", func(ctx context.Context, c *mp.Conn[string]) (int, error) {
	n := 0
	for {
		_, err := c.Recv(ctx)
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		n++
	}
})

func ExamplePipe() {
	ctx := context.Background()
	mine, theirs, err := mp.Pipe[string]()
	if err != nil {
		fmt.Println(err)
		return
	}
	p := mp.NewProcess(count, theirs) // the end crosses as an argument
	if err := p.Start(); err != nil {
		fmt.Println(err)
		return
	}
	theirs.Close() // the child has its own copy now
	for _, w := range []string{"one", "two", "three"} {
		mine.Send(ctx, w)
	}
	mine.Close() // the child sees io.EOF after the three words
	n, err := count.Result(ctx, p)
	fmt.Println(n, err)
	// Output: 3 <nil>
}

func ExampleMethod() {
	ctx := context.Background()
	// A warm spare of the fork server takes the task: no exec on the way.
	p := mp.NewProcess(shout, "fast", mp.Method(mp.ForkServer))
	if err := p.Start(); err != nil {
		fmt.Println(err)
		return
	}
	s, err := shout.Result(ctx, p)
	fmt.Println(s, err)
	// Output: FAST! <nil>
}
