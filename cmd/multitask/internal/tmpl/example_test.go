package tmpl_test

import (
	"fmt"

	"github.com/multitask-go/multitask/cmd/multitask/internal/tmpl"
)

func ExampleTemplate_Expand() {
	t, err := tmpl.Parse([]string{"convert", "{}", "{.}.png"}, tmpl.Options{Env: []string{}})
	if err != nil {
		panic(err)
	}
	cmd := t.Expand(1, 1, []string{"my photos/cat.jpg"})
	fmt.Println(cmd.Line)
	fmt.Printf("%q\n", cmd.Argv)

	t, err = tmpl.Parse([]string{"cat", "{}", "|", "wc", "-l"}, tmpl.Options{})
	if err != nil {
		panic(err)
	}
	cmd = t.Expand(1, 1, []string{"it's.txt"})
	fmt.Println(cmd.Line)
	fmt.Println(cmd.Argv == nil)
	// Output:
	// convert 'my photos/cat.jpg' 'my photos/cat'.png
	// ["convert" "my photos/cat.jpg" "my photos/cat.png"]
	// cat 'it'"'"'s.txt' | wc -l
	// true
}
