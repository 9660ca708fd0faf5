package main

import (
	"context"
	"os"

	"github.com/multitask-go/multitask/cmd/multitask/internal/reaper"
	"github.com/multitask-go/multitask/mp"
)

func main() {
	if reaper.IsReaper(os.Args) {
		os.Exit(reaper.Serve(os.Stdin))
	}
	mp.Main()
	os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
