// Command multitask-cluster is the multitask command's link to a cluster:
// the worker that runs jobs taken from a NATS JetStream queue, the server
// that holds the queue, the status of the queue, and the bridge through
// which `multitask --cluster URL` sends its jobs. It is a program of its
// own because it links the network code and the NATS server, which would
// make every local run of multitask start slower; multitask runs it for
// the subcommands worker, server and status, and as its bridge.
//
// Usage:
//
//	multitask server [--listen ADDR] [--insecure | --tls-cert F --tls-key F --user U --password P] [-j N]
//	multitask worker [--cluster] URL [-j N] [--user U --password P | --creds F | --nkey F] [--tls-ca F]
//	multitask status [--cluster] URL [--json]
//	multitask-cluster bridge URL|embedded   (started by multitask --cluster)
//
// The server is an embedded nats-server with JetStream. It listens on
// loopback without TLS and authentication only when told --insecure, and
// beyond loopback only with both. It prints the URL at which it accepts
// clients and workers, and runs until SIGINT or SIGTERM; with -j N it also
// runs N jobs at once itself.
//
// A worker runs up to -j jobs at once (default: the number of cores), each
// in a process group of its own, with the timeout, term sequence and
// memory limit the submitting command gave it, and reports each job's
// output and exit status. SIGINT or SIGTERM stops it taking jobs; the jobs
// it runs then have --grace to end before they are killed and run again
// elsewhere. A worker that dies mid-job has its job delivered again after
// --ack-wait, to another worker, and the command prints its output once.
//
// Connection options may come from the environment instead, which is how
// the bridge gets them from multitask --cluster: MULTITASK_CLUSTER_USER,
// MULTITASK_CLUSTER_PASSWORD, MULTITASK_CLUSTER_CREDS,
// MULTITASK_CLUSTER_NKEY, MULTITASK_CLUSTER_TLS_CA,
// MULTITASK_CLUSTER_TLS_CERT, MULTITASK_CLUSTER_TLS_KEY and
// MULTITASK_CLUSTER_QUEUE. A user and password may also be written in the
// URL: nats://user:password@host:4222.
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
