// Command multitask runs jobs in parallel: a replacement for GNU parallel,
// xargs -P and rush that takes GNU parallel's options and gives the same
// output, exit status and joblog. See docs/multitask.md.
//
// With --cluster URL its jobs run on the workers of a cluster; the
// subcommands worker, server and status run them. All of that is
// multitask-cluster, a program beside this one that links the network
// code, so that this one, which starts twice per run, links none.
package main

import (
	"context"
	"os"

	"github.com/multitask-go/multitask/cmd/multitask/internal/reaper"
)

func main() {
	if reaper.IsReaper(os.Args) {
		os.Exit(reaper.Serve(os.Stdin))
	}
	if isClusterCommand(os.Args[1:]) {
		os.Exit(execCluster(os.Args[1:], os.Stderr))
	}
	os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
