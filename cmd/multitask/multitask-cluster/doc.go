// Command multitask-cluster is the multitask command's link to a cluster:
// the worker that runs jobs taken from a NATS JetStream queue, the server
// that holds the queue, the status of the queue, and the bridge through
// which `multitask --cluster URL` sends its jobs. It is a program of its
// own because it links the network code and the NATS server, which would
// make every local run of multitask start slower and link it dynamically;
// multitask runs it, from beside itself or from PATH, for the subcommands
// worker, server and status, and as its bridge. `go install
// github.com/multitask-go/multitask/cmd/multitask/...@latest` installs
// both.
//
// Usage:
//
//	multitask server [--listen ADDR] [--insecure | --tls-cert F --tls-key F --user U --password P] [-j N]
//	multitask worker [--cluster] URL [-j N] [--user U --password P | --creds F | --nkey F] [--tls-ca F]
//	multitask status [--cluster] URL [--json]
//	multitask-cluster bridge URL|embedded   (started by multitask --cluster)
//
// # Server
//
// The server is an embedded nats-server with JetStream, on a file store in
// a temporary directory or --store DIR. It listens on loopback without TLS
// and authentication only when told --insecure, and beyond loopback only
// with both. It prints the URL at which it accepts clients and workers,
// and runs until SIGINT or SIGTERM; with -j N it also runs N jobs at once
// itself.
//
// # Worker
//
// A worker runs up to -j jobs at once (default: the number of cores),
// each in a process group of its own, with the timeout, term sequence and
// memory limit the submitting command gave it, and reports each job's
// output and exit status. A job runs in the worker's working directory,
// with the worker's environment and PATH plus the job's PARALLEL_SEQ,
// PARALLEL_JOBSLOT, PARALLEL_JOBSLOT0 (or the name --process-slot-var
// gives it) and PARALLEL_PID, and through the shell the submitting
// command names, as GNU parallel's jobs on another host run there.
//
// SIGINT or SIGTERM stops a worker taking jobs; the jobs it runs have
// --grace to end, and are then killed and run again elsewhere. A worker
// that dies mid-job has its job delivered again after --ack-wait, to
// another worker, and the command prints the job's output once: that of
// the run that finished. A reaper process kills the job's process group
// when its worker dies.
//
// # Status
//
// Status prints, for a queue, the workers alive, the jobs waiting, those
// running, those delivered again after a worker died, those the workers
// ended, done or failed, and the dead ones (delivered too often without a
// report), as a table or with --json. A job that ran to an exit status,
// whatever it was, is done; one stopped while it ran (by --halt now or a
// second Ctrl-C) or that could not run is failed. Done and failed sum each
// worker's counts since it started, a second or so behind, and keep those
// of a worker that stopped for 7 days.
//
// # Connecting
//
// Connection options may come from the environment instead of flags,
// which is how the bridge gets them from multitask --cluster:
// MULTITASK_CLUSTER_USER, MULTITASK_CLUSTER_PASSWORD,
// MULTITASK_CLUSTER_CREDS, MULTITASK_CLUSTER_NKEY,
// MULTITASK_CLUSTER_TLS_CA, MULTITASK_CLUSTER_TLS_CERT,
// MULTITASK_CLUSTER_TLS_KEY and MULTITASK_CLUSTER_QUEUE (default
// multitask). A user and password may also be written in the URL:
// nats://user:password@host:4222.
package main
