package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/multitask-go/multitask/cluster"
	"github.com/multitask-go/multitask/cmd/multitask/internal/reaper"
	"github.com/multitask-go/multitask/cmd/multitask/internal/remote"
)

// DefaultQueue is the queue the command's jobs go to and its workers take
// them from.
const DefaultQueue = "multitask"

const usage = `usage:
  multitask server [--listen ADDR] [--insecure | --tls-cert F --tls-key F --user U --password P] [-j N]
  multitask worker [--cluster] URL [-j N] [connection options]
  multitask status [--cluster] URL [--json] [connection options]
  multitask --cluster URL|embedded [multitask's options] COMMAND ...
Run 'multitask SUBCOMMAND -h' for a subcommand's options.
`

// run is the whole program: main only calls it, so that tests run it
// in-process. It returns the exit status: 0, or 255 for its own errors
// as multitask's.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 255
	}
	var err error
	switch sub, rest := args[0], args[1:]; sub {
	case "server":
		err = server(ctx, rest, stdout, stderr)
	case "worker":
		err = worker(ctx, rest, stderr)
	case "status":
		err = status(ctx, rest, stdout, stderr)
	case "bridge":
		err = bridgeMain(rest, stdin, stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "multitask: unknown subcommand %q\n%s", sub, usage)
		return 255
	}
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case err != nil:
		fmt.Fprintf(stderr, "multitask %s: %s\n", args[0], trimUsage(err))
		return 255
	}
	return 0
}

// errUsage marks errors in a command line, after which the flag set's
// usage has been printed.
var errUsage = errors.New("usage")

var shortJobs = regexp.MustCompile(`^-j[0-9]+$`)

// parse parses args with fs, taking flags before and after the positional
// arguments, which it returns. It splits -jN into -j N, as multitask's own
// options take it.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var norm []string
	for _, a := range args {
		if shortJobs.MatchString(a) {
			norm = append(norm, "-j", a[2:])
			continue
		}
		norm = append(norm, a)
	}
	var positional []string
	for {
		if err := fs.Parse(norm); err != nil {
			return nil, err
		}
		norm = fs.Args()
		if len(norm) == 0 {
			return positional, nil
		}
		if norm[0] == "--" {
			return append(positional, norm[1:]...), nil
		}
		positional = append(positional, norm[0])
		norm = norm[1:]
	}
}

// conn is how to reach a cluster: its URL and credentials.
type conn struct {
	url, queue             string
	user, password         string
	creds, nkey            string
	tlsCA, tlsCert, tlsKey string
}

// addConnFlags declares the connection options, defaulting to the
// environment's.
func addConnFlags(fs *flag.FlagSet) *conn {
	c := &conn{}
	fs.StringVar(&c.url, "cluster", "", "the `URL` of the cluster's NATS servers (nats://host:4222, comma-separated)")
	addQueueFlag(fs, &c.queue)
	fs.StringVar(&c.user, "user", os.Getenv("MULTITASK_CLUSTER_USER"), "authenticate as `USER` ($MULTITASK_CLUSTER_USER)")
	fs.StringVar(&c.password, "password", os.Getenv("MULTITASK_CLUSTER_PASSWORD"), "with `PASSWORD` ($MULTITASK_CLUSTER_PASSWORD)")
	fs.StringVar(&c.creds, "creds", os.Getenv("MULTITASK_CLUSTER_CREDS"), "authenticate with the credentials `FILE` ($MULTITASK_CLUSTER_CREDS)")
	fs.StringVar(&c.nkey, "nkey", os.Getenv("MULTITASK_CLUSTER_NKEY"), "authenticate with the nkey seed in `FILE` ($MULTITASK_CLUSTER_NKEY)")
	fs.StringVar(&c.tlsCA, "tls-ca", os.Getenv("MULTITASK_CLUSTER_TLS_CA"), "use TLS, trusting the CA certificates in `FILE` ($MULTITASK_CLUSTER_TLS_CA)")
	fs.StringVar(&c.tlsCert, "tls-cert", os.Getenv("MULTITASK_CLUSTER_TLS_CERT"), "present the client certificate in `FILE` ($MULTITASK_CLUSTER_TLS_CERT)")
	fs.StringVar(&c.tlsKey, "tls-key", os.Getenv("MULTITASK_CLUSTER_TLS_KEY"), "with its key in `FILE` ($MULTITASK_CLUSTER_TLS_KEY)")
	return c
}

func addQueueFlag(fs *flag.FlagSet, q *string) {
	def := os.Getenv("MULTITASK_CLUSTER_QUEUE")
	if def == "" {
		def = DefaultQueue
	}
	fs.StringVar(q, "queue", def, "the `NAME` of the queue ($MULTITASK_CLUSTER_QUEUE)")
}

// parseConn parses args into fs, which holds c's flags, takes the URL
// and returns the connection's cluster options: what status and worker
// share.
func (c *conn) parseConn(fs *flag.FlagSet, args []string) ([]cluster.Option, error) {
	positional, err := parse(fs, args)
	if err != nil {
		return nil, err
	}
	if err := c.resolve(positional); err != nil {
		return nil, err
	}
	return c.options()
}

// resolve takes the URL from --cluster or the one positional argument.
func (c *conn) resolve(positional []string) error {
	switch {
	case len(positional) > 1 || len(positional) == 1 && c.url != "":
		return fmt.Errorf("%w: one URL, got %q", errUsage, append(positional, c.url))
	case len(positional) == 1:
		c.url = positional[0]
	case c.url == "":
		return fmt.Errorf("%w: no URL: give --cluster URL", errUsage)
	}
	return nil
}

// options are the cluster options of the connection.
func (c *conn) options() ([]cluster.Option, error) {
	opts := []cluster.Option{cluster.Queue(c.queue)}
	if c.user != "" || c.password != "" {
		opts = append(opts, cluster.UserInfo(c.user, c.password))
	}
	if c.creds != "" {
		opts = append(opts, cluster.CredsFile(c.creds))
	}
	if c.nkey != "" {
		opts = append(opts, cluster.NKeyFile(c.nkey))
	}
	switch {
	case c.tlsCA != "":
		opts = append(opts, cluster.ClientTLS(c.tlsCA, c.tlsCert, c.tlsKey))
	case c.tlsCert != "" || c.tlsKey != "":
		return nil, fmt.Errorf("%w: --tls-cert and --tls-key need --tls-ca", errUsage)
	}
	return opts, nil
}

// startReaper starts a reaper for the jobs this process will run, so that
// they die with it; the caller closes it once they have ended.
func startReaper() (*reaper.Client, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	rc, err := reaper.Start(exe)
	if err != nil {
		return nil, err
	}
	remote.UseReaper(rc)
	return rc, nil
}

// shutdown stops an executor, giving up after a while rather than hang.
func shutdown(ex *cluster.Executor) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = ex.Shutdown(ctx)
}

// flagSet returns a flag set for the subcommand that prints its errors
// and usage to stderr.
func flagSet(sub string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("multitask "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// trimUsage drops the errUsage prefix of an error's message.
func trimUsage(err error) string {
	return strings.TrimPrefix(err.Error(), errUsage.Error()+": ")
}
