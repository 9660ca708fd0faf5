package cluster

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/multitask-go/multitask/mp"
)

// An Option configures [New], [Connect] and [Serve]. Options that shape
// tasks (those listed at [Executor.With]) may also be given per call
// through [Executor.With]; an option that makes no sense where it is given
// is an error there, never silently ignored.
type Option struct {
	name  string
	scope scope
	set   func(*config) error
}

// scope says where an option may be given.
type scope uint8

const (
	scopeTask   scope = 1 << iota // per executor and per call (With)
	scopeClient                   // New and Connect
	scopeWorker                   // New (its local workers) and Serve
	scopeServer                   // New's embedded server
	scopeConn                     // how to reach NATS: Connect and Serve
)

// config is everything the options set.
type config struct {
	task taskConfig

	// The embedded server of New.
	storeDir  string
	inMemory  bool
	listen    string
	insecure  bool
	serverTLS *tls.Config
	users     []userPass

	// How to reach a NATS server.
	servers  string
	natsOpts []nats.Option
	user     userPass
	haveUser bool

	// The streams.
	replicas  int
	ackWait   time.Duration
	retention time.Duration

	// Workers.
	workers int // -1: the default of the entry point
	pool    []mp.PoolOption
	isolate bool
	grace   time.Duration
	retryIf func(error) bool
}

// taskConfig is what travels with each task: the options of [Executor.With].
type taskConfig struct {
	queue        string
	timeout      time.Duration
	queueTimeout time.Duration
	retries      int
	backoff      time.Duration
	maxBackoff   time.Duration
	redeliveries int
	queueSize    int
	failFast     bool
	maxPayload   int
	objectAbove  int
}

type userPass struct{ user, password string }

// Defaults.
const (
	DefaultQueue        = "default"
	DefaultAckWait      = 5 * time.Second
	DefaultRetention    = 24 * time.Hour
	DefaultMaxPayload   = 64 << 20
	DefaultObjectAbove  = 256 << 10
	DefaultRedeliveries = 3
	DefaultGrace        = 5 * time.Second
	defaultBackoff      = 100 * time.Millisecond
	defaultMaxBackoff   = 30 * time.Second
)

func newConfig() config {
	return config{
		task: taskConfig{
			queue:        DefaultQueue,
			backoff:      defaultBackoff,
			maxBackoff:   defaultMaxBackoff,
			redeliveries: DefaultRedeliveries,
			maxPayload:   DefaultMaxPayload,
			objectAbove:  DefaultObjectAbove,
		},
		replicas:  0, // as the streams have it, else 1
		ackWait:   DefaultAckWait,
		retention: 0, // as the streams have it, else DefaultRetention
		workers:   -1,
		grace:     DefaultGrace,
	}
}

// apply sets opts on c, refusing any whose scope is not in allowed.
func (c *config) apply(where string, allowed scope, opts []Option) error {
	for _, o := range opts {
		if o.set == nil {
			return fmt.Errorf("cluster: %s: the zero Option", where)
		}
		if o.scope&allowed == 0 {
			return fmt.Errorf("cluster: %s does not take the option %s", where, o.name)
		}
		if err := o.set(c); err != nil {
			return fmt.Errorf("cluster: %s: %w", o.name, err)
		}
	}
	if c.task.objectAbove > c.task.maxPayload {
		c.task.objectAbove = c.task.maxPayload
	}
	return nil
}

// localWorkers is how many tasks this process runs at once, given the
// entry point's default.
func (c *config) localWorkers(def int) int {
	if c.workers < 0 {
		return def
	}
	return c.workers
}

// defaultWorkers is how many tasks a worker runs at once unless told.
func (c *config) defaultWorkers() int {
	if c.isolate {
		return runtime.GOMAXPROCS(0)
	}
	return 4 * runtime.GOMAXPROCS(0)
}

// isName reports whether s is a name of letters, digits, '-' and '_': a
// token of a subject, and a key, as queue names and task ids are. Workers
// check every task's id with it, so it is a loop, not a regexp.
func isName(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_':
		default:
			return false
		}
	}
	return s != ""
}

// Queue sets the name of the queue tasks go to and workers take them from;
// the default is [DefaultQueue]. Executors and workers meet on a queue by
// its name. Names are letters, digits, '-' and '_'.
func Queue(name string) Option {
	return Option{"Queue", scopeTask | scopeWorker, func(c *config) error {
		if !isName(name) {
			return fmt.Errorf("queue name %q: want letters, digits, '-' and '_'", name)
		}
		c.task.queue = name
		return nil
	}}
}

func positive(name string, d time.Duration, set func(*config)) Option {
	return Option{name, scopeTask, func(c *config) error {
		if d < 0 {
			return fmt.Errorf("negative duration %v", d)
		}
		set(c)
		return nil
	}}
}

// Timeout bounds how long each run of a task may take, counted from its
// start on a worker: its context ends then, and a task run in a worker
// process ([Processes]) that has not returned after the grace period is
// killed with its process. With Processes the time counts from when the
// task reaches the pool, so it includes the start of a worker process
// that replaces one killed or recycled. The run fails with an error that matches
// context.DeadlineExceeded, which [Retries] may retry. Zero, the default,
// is no bound.
func Timeout(d time.Duration) Option {
	return positive("Timeout", d, func(c *config) { c.task.timeout = d })
}

// QueueTimeout bounds how long a task may wait in the queue for a worker.
// One that no worker has started by then is removed from the stream (as a
// per-message TTL) and its future fails with [ErrQueueTimeout]. Zero, the
// default, is no bound.
func QueueTimeout(d time.Duration) Option {
	return positive("QueueTimeout", d, func(c *config) { c.task.queueTimeout = d })
}

// Retries lets a task that failed run again, up to n more times, after a
// delay that grows exponentially from [Backoff]'s base with jitter. Which
// errors are retried is [RetryIf]'s to say. The worker asks JetStream for
// the delay (a negative acknowledgement with a delay), so the task waits in
// the stream, not in a worker. A run on a worker that died counts as an
// attempt too.
func Retries(n int) Option {
	return Option{"Retries", scopeTask, func(c *config) error {
		if n < 0 {
			return fmt.Errorf("negative count %d", n)
		}
		c.task.retries = n
		return nil
	}}
}

// Backoff sets the delay before the first retry, doubled at each further
// one up to max, each with up to 50% jitter. The default is 100ms, up to
// 30s.
func Backoff(base, max time.Duration) Option {
	return Option{"Backoff", scopeTask, func(c *config) error {
		if base <= 0 || max < base {
			return fmt.Errorf("want 0 < base <= max, got %v and %v", base, max)
		}
		c.task.backoff, c.task.maxBackoff = base, max
		return nil
	}}
}

// Redeliveries sets how many extra deliveries a task gets when the workers
// that took it die or stall before they report, on top of its [Retries];
// the default is [DefaultRedeliveries]. A task that exhausts them is dead:
// its future fails with [ErrDead] and [Executor.DeadTasks] lists it.
func Redeliveries(n int) Option {
	return Option{"Redeliveries", scopeTask, func(c *config) error {
		if n < 0 {
			return fmt.Errorf("negative count %d", n)
		}
		c.task.redeliveries = n
		return nil
	}}
}

// RetryIf sets which failed runs [Retries] retries, on the worker that
// runs them. The default retries every error except those that a new run
// cannot change: a function that is not registered, an argument that
// cannot be decoded, a payload that is too large.
func RetryIf(retry func(err error) bool) Option {
	return Option{"RetryIf", scopeWorker, func(c *config) error {
		if retry == nil {
			return errors.New("nil function")
		}
		c.retryIf = retry
		return nil
	}}
}

// QueueSize bounds how many tasks an executor has submitted that have not
// ended: Submit blocks while the bound is reached, until a task ends or
// the task's context does, or fails at once with [ErrQueueFull] when
// [FailFast] is given. Zero, the default, is no bound.
func QueueSize(n int) Option {
	return Option{"QueueSize", scopeTask, func(c *config) error {
		if n < 0 {
			return fmt.Errorf("negative size %d", n)
		}
		c.task.queueSize = n
		return nil
	}}
}

// FailFast makes Submit fail with [ErrQueueFull] rather than wait when
// [QueueSize] is reached.
func FailFast() Option {
	return Option{"FailFast", scopeTask, func(c *config) error { c.task.failFast = true; return nil }}
}

// MaxPayload bounds the encoded argument of a task: a bigger one fails at
// Submit with a [*PayloadError], never retried. The default is
// [DefaultMaxPayload].
func MaxPayload(bytes int) Option {
	return Option{"MaxPayload", scopeTask, func(c *config) error {
		if bytes <= 0 {
			return fmt.Errorf("want a positive size, got %d", bytes)
		}
		c.task.maxPayload = bytes
		return nil
	}}
}

// ObjectAbove sets the size above which an argument or result travels
// through the JetStream object store, by reference, instead of inside its
// message; the default is [DefaultObjectAbove]. Stored objects expire with
// [Retention].
func ObjectAbove(bytes int) Option {
	return Option{"ObjectAbove", scopeTask, func(c *config) error {
		if bytes <= 0 {
			return fmt.Errorf("want a positive size, got %d", bytes)
		}
		c.task.objectAbove = bytes
		return nil
	}}
}

// Workers sets how many tasks this process runs at once as a worker: the
// local workers of [New] (default: 4 × GOMAXPROCS, so that goroutines
// overlap their round trips to the server), those of [Connect] (default:
// none) or of [Serve] (default: 4 × GOMAXPROCS). With [Processes] it is
// the number of worker processes, GOMAXPROCS by default. Workers(0) makes
// New and Connect only submit.
func Workers(n int) Option {
	return Option{"Workers", scopeWorker, func(c *config) error {
		if n < 0 {
			return fmt.Errorf("negative count %d", n)
		}
		c.workers = n
		return nil
	}}
}

// Processes makes the workers of this process run each task in an
// [mp.Pool] of worker processes, configured by opts, rather than in a
// goroutine: a task that crashes its process fails alone, and a [Timeout]
// kills the process running it. The pool's size is [Workers]'. The worker
// processes are copies of this program, which links nats-server: each
// starts slower and takes more memory than a child of a program that does
// not (bench/clusterbench exists apart for that reason).
func Processes(opts ...mp.PoolOption) Option {
	return Option{"Processes", scopeWorker, func(c *config) error {
		c.isolate, c.pool = true, opts
		return nil
	}}
}

// Grace sets how long a worker that is stopping waits for its running
// tasks to finish before it drops them (unacknowledged, so that they run
// elsewhere); the default is [DefaultGrace]. With [Processes] it is also
// the pool's grace before a kill.
func Grace(d time.Duration) Option {
	return Option{"Grace", scopeWorker, func(c *config) error {
		if d < 0 {
			return fmt.Errorf("negative duration %v", d)
		}
		c.grace = d
		return nil
	}}
}

// AckWait sets how long JetStream waits for a worker's word on a task it
// delivered before it delivers the task again. Workers renew it while a
// task runs, so it bounds how soon a dead worker's tasks run elsewhere, not
// how long a task may run. The default is [DefaultAckWait]. The workers of
// a queue share one: the last to start sets it, and the others renew
// their tasks often enough for it within seconds (a few seconds in which
// a task may be delivered twice).
func AckWait(d time.Duration) Option {
	return Option{"AckWait", scopeClient | scopeWorker, func(c *config) error {
		if d < 100*time.Millisecond {
			return fmt.Errorf("%v is below 100ms", d)
		}
		c.ackWait = d
		return nil
	}}
}

// Retention sets how long results, dead tasks, stored payloads and the
// marks of started and cancelled tasks are kept. It bounds how long a task
// may wait for a worker. Without it, an executor or worker keeps the
// retention of the streams it finds, and makes new ones with
// [DefaultRetention].
func Retention(d time.Duration) Option {
	return Option{"Retention", scopeClient | scopeWorker, func(c *config) error {
		if d < time.Minute {
			return fmt.Errorf("%v is below a minute", d)
		}
		c.retention = d
		return nil
	}}
}

// Replicas sets how many servers of a NATS cluster keep each stream. Use 3
// on a cluster of three or more servers, so that the loss of one loses
// nothing. Without it, an executor or worker keeps the replicas of the
// streams it finds, and makes new ones with 1: a worker started without
// it never shrinks what an executor set up.
func Replicas(n int) Option {
	return Option{"Replicas", scopeClient | scopeWorker, func(c *config) error {
		if n < 1 || n > 5 {
			return fmt.Errorf("want 1 to 5, got %d", n)
		}
		c.replicas = n
		return nil
	}}
}

// StoreDir sets the directory of the embedded server's JetStream file
// store; the default is a new temporary directory, removed at Shutdown.
// A directory given here is kept, so that a restarted program finds its
// queued tasks.
func StoreDir(dir string) Option {
	return Option{"StoreDir", scopeServer, func(c *config) error {
		if dir == "" {
			return errors.New("empty directory")
		}
		c.storeDir = dir
		return nil
	}}
}

// InMemory keeps the streams and buckets of [New]'s embedded server in
// memory rather than in a file store. A queue that often runs empty, as
// when tasks are submitted one at a time, costs far less: the file store
// replaces a block file each time a work queue empties (compare the
// roundtrip and roundtrip-mem figures of BenchmarkCluster, in the
// repository's bench/clusterbench). But queued tasks, unread results and
// big payloads then take the process's memory, and live only as long as
// it does. It suits a program whose tasks are worthless once it has ended;
// it cannot be combined with [StoreDir]. Workers that [Serve] the server's
// queues keep to the storage the streams have.
func InMemory() Option {
	return Option{"InMemory", scopeServer, func(c *config) error { c.inMemory = true; return nil }}
}

// Listen makes the embedded server of [New] accept clients and workers on
// addr ("host:port"; port 0 picks one, see [Executor.ClientURL]). It is
// refused without both [ServerTLS] and [ServerAuth], unless [Insecure] is
// given and host is a loopback address.
func Listen(addr string) Option {
	return Option{"Listen", scopeServer, func(c *config) error {
		if addr == "" {
			return errors.New("empty address")
		}
		c.listen = addr
		return nil
	}}
}

// Insecure lets [Listen] accept clients without TLS or authentication, on a
// loopback address only: for tests and for a single machine.
func Insecure() Option {
	return Option{"Insecure", scopeServer, func(c *config) error { c.insecure = true; return nil }}
}

// ServerTLS sets the TLS configuration of the embedded server's listener.
// With ClientCAs set, clients must present a certificate that they sign,
// unless ClientAuth asks for less. The server uses a copy of cfg.
func ServerTLS(cfg *tls.Config) Option {
	return Option{"ServerTLS", scopeServer, func(c *config) error {
		if cfg == nil || (len(cfg.Certificates) == 0 && cfg.GetCertificate == nil) {
			return errors.New("want a configuration with a certificate")
		}
		c.serverTLS = cfg
		return nil
	}}
}

// ServerAuth adds a user that the embedded server accepts. New's own
// connection uses the first one.
func ServerAuth(user, password string) Option {
	return Option{"ServerAuth", scopeServer, func(c *config) error {
		if user == "" || password == "" {
			return errors.New("want a user and a password")
		}
		c.users = append(c.users, userPass{user, password})
		return nil
	}}
}

// Servers sets the NATS servers that [Serve] connects to, as for
// [Connect]: "nats://a:4222,nats://b:4222".
func Servers(urls string) Option {
	return Option{"Servers", scopeConn, func(c *config) error {
		if urls == "" {
			return errors.New("no URL")
		}
		c.servers = urls
		return nil
	}}
}

// UserInfo authenticates to NATS with a user and a password.
func UserInfo(user, password string) Option {
	return Option{"UserInfo", scopeConn, func(c *config) error {
		c.user, c.haveUser = userPass{user, password}, true
		c.natsOpts = append(c.natsOpts, nats.UserInfo(user, password))
		return nil
	}}
}

// CredsFile authenticates to NATS with a credentials file (a user JWT and
// its nkey seed), as nsc writes them.
func CredsFile(path string) Option {
	return Option{"CredsFile", scopeConn, func(c *config) error {
		if _, err := os.Stat(path); err != nil {
			return err
		}
		c.natsOpts = append(c.natsOpts, nats.UserCredentials(path))
		return nil
	}}
}

// NKeyFile authenticates to NATS with the nkey seed in the file at path.
func NKeyFile(path string) Option {
	return Option{"NKeyFile", scopeConn, func(c *config) error {
		o, err := nats.NkeyOptionFromSeed(path)
		if err != nil {
			return err
		}
		c.natsOpts = append(c.natsOpts, o)
		return nil
	}}
}

// ClientTLS makes the connection to NATS use TLS, trusting the CA
// certificates in the PEM file caFile and, when certFile and keyFile are
// not empty, presenting that certificate.
func ClientTLS(caFile, certFile, keyFile string) Option {
	return Option{"ClientTLS", scopeConn, func(c *config) error {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return fmt.Errorf("%s holds no PEM certificate", caFile)
		}
		cfg := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
		if certFile != "" || keyFile != "" {
			cert, err := tls.LoadX509KeyPair(certFile, keyFile)
			if err != nil {
				return err
			}
			cfg.Certificates = []tls.Certificate{cert}
		}
		c.natsOpts = append(c.natsOpts, nats.Secure(cfg))
		return nil
	}}
}

// NATSOptions passes options to nats.Connect as they are, for what the
// options above do not cover.
func NATSOptions(opts ...nats.Option) Option {
	return Option{"NATSOptions", scopeConn, func(c *config) error {
		c.natsOpts = append(c.natsOpts, opts...)
		return nil
	}}
}
