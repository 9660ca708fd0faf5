package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"

	"github.com/multitask-go/multitask/futures"
	"github.com/multitask-go/multitask/mp"
)

func init() {
	// A dead task's error crosses from the worker that found it dead.
	mp.RegisterError("cluster.ErrDead", ErrDead)
}

// An Executor runs registered functions ([mp.Register]) through NATS
// JetStream: [mp.Func.Submit] and [mp.Func.Map] publish each call as a
// task to its queue, a worker somewhere runs it, and the result comes back
// through a stream. It implements [futures.Executor] and
// [mp.CallExecutor]; a closure submitted with futures.Submit fails at once.
//
// An Executor and those derived from it by [Executor.With] share one
// connection and one lifetime: Shutdown of any of them ends all.
type Executor struct {
	c    *client
	task taskConfig
	room chan struct{} // QueueSize's tokens; nil without a bound
}

// client is what an Executor and its derived executors share.
type client struct {
	cfg    config
	server *embedded // New's; nil after Connect
	nc     *nats.Conn
	l      *layout
	id     string
	reply  string
	local  *worker

	// The results: read in order, and purged up to the last one read.
	results    jetstream.Stream
	durable    jetstream.Consumer // on a cluster, the consumer that reads them
	recv       jetstream.ConsumeContext
	lastResult atomic.Uint64
	stopLoops  context.CancelFunc
	loops      sync.WaitGroup // the purge loop and the ack loop

	acks      chan published // first publishes, whose acknowledgements the ack loop waits for
	loopsDone <-chan struct{}

	// read is the stream sequence up to which every result of this
	// executor has been delivered to its future: a grant of a lease tells
	// workers, which forget the tasks they began up to it (see lease.go).
	read atomic.Uint64

	mu      sync.Mutex
	pending map[string]*entry
	closing bool
	idle    chan struct{} // closed once closing and nothing is pending

	leases   map[string]time.Time // by worker: when the lease it holds ends, as this process measures
	withheld map[string]*entry    // tasks that no lease covers: a cancellation or expiry settles, or the task ended and its message is still in the stream

	st       counters
	stopOnce sync.Once
}

// counters are the executor's own tallies for Stats.
type counters struct {
	submitted, done, failed, cancelled, retried, dead atomic.Int64
}

// entry is a task that has not ended, as its executor tracks it.
type entry struct {
	id    string
	t     futures.Task
	call  *mp.Call
	ex    *Executor
	seq   atomic.Uint64 // its stream sequence, once stored
	timer *time.Timer   // its queue timeout
	watch func() bool   // stops the watcher of its context

	// Guarded by the client's mu.
	worker   string        // the worker that last began it, as it asked
	settling chan struct{} // closed once a cancellation or expiry has settled
}

// New starts an executor with everything in this process: an embedded
// nats-server that listens on no port (unless [Listen] says so), JetStream
// on a file store in a temporary directory (or [StoreDir]), and local
// workers (see [Workers] and [Processes]). Give it any [Option] but
// those that say how to reach another server.
//
// The executor is ready when New returns. Shutdown it to stop the server
// and the workers.
func New(ctx context.Context, opts ...Option) (*Executor, error) {
	cfg := newConfig()
	if err := cfg.apply("New", scopeTask|scopeClient|scopeWorker|scopeServer, opts); err != nil {
		return nil, err
	}
	srv, err := startServer(&cfg)
	if err != nil {
		return nil, err
	}
	nc, err := srv.connect(&cfg)
	if err != nil {
		srv.stop()
		return nil, err
	}
	ex, err := newExecutor(ctx, nc, &cfg, srv, cfg.localWorkers(cfg.defaultWorkers()))
	if err != nil {
		nc.Close()
		srv.stop()
		return nil, err
	}
	return ex, nil
}

// Connect returns an executor that submits to the NATS servers at urls
// ("nats://a:4222,nats://b:4222"), where workers started with [Serve]
// take the tasks. With [Workers] it runs workers in this process too.
func Connect(ctx context.Context, urls string, opts ...Option) (*Executor, error) {
	cfg := newConfig()
	if err := cfg.apply("Connect", scopeTask|scopeClient|scopeWorker|scopeConn, opts); err != nil {
		return nil, err
	}
	if cfg.servers != "" {
		return nil, errors.New("cluster: Connect takes its servers as urls, not as the option Servers")
	}
	nc, err := dial(urls, &cfg)
	if err != nil {
		return nil, err
	}
	ex, err := newExecutor(ctx, nc, &cfg, nil, cfg.localWorkers(0))
	if err != nil {
		nc.Close()
		return nil, err
	}
	return ex, nil
}

func newExecutor(ctx context.Context, nc *nats.Conn, cfg *config, srv *embedded, workers int) (*Executor, error) {
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncTimeout(publishTimeout))
	if err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	l, err := ensure(ctx, js, cfg)
	if err != nil {
		return nil, err
	}
	c := &client{cfg: *cfg, server: srv, nc: nc, l: l, id: nuid.Next(),
		pending: make(map[string]*entry), idle: make(chan struct{}), acks: make(chan published, maxUnacked),
		leases: make(map[string]time.Time), withheld: make(map[string]*entry)}
	c.reply = resultsPrefix + c.id
	if c.results, err = js.Stream(ctx, resultsStream); err != nil {
		return nil, fmt.Errorf("cluster: the stream of results: %w", err)
	}
	if err := c.consumeResults(ctx, js); err != nil {
		return nil, err
	}
	// Workers ask before they begin a task, or for a lease; the
	// subscription ends with the connection, after the local workers. It
	// is in place at the server before New returns: a worker that asked
	// sooner would find no one to answer it, and fall back on the claims
	// bucket.
	if _, err := nc.Subscribe(beginPrefix+c.id, c.onBegin); err != nil {
		c.recv.Stop()
		return nil, fmt.Errorf("cluster: subscribe to workers' requests: %w", err)
	}
	fctx, stop := context.WithTimeout(ctx, claimTimeout)
	err = nc.FlushWithContext(fctx)
	stop()
	if err != nil {
		c.recv.Stop()
		return nil, fmt.Errorf("cluster: subscribe to workers' requests: %w", err)
	}
	if workers > 0 {
		if c.local, err = startWorker(ctx, nc, &c.cfg, workers, c); err != nil {
			c.recv.Stop()
			return nil, err
		}
	}
	loopCtx, stopLoops := context.WithCancel(context.Background())
	c.stopLoops, c.loopsDone = stopLoops, loopCtx.Done()
	c.loops.Add(2)
	go c.purgeLoop(loopCtx)
	go c.ackLoop(loopCtx)
	return c.executor(cfg.task), nil
}

// consumeResults starts reading the executor's results. The results stay
// in the stream until purged.
func (c *client) consumeResults(ctx context.Context, js jetstream.JetStream) error {
	var cons jetstream.Consumer
	var err error
	opts := []jetstream.PullConsumeOpt{jetstream.PullMaxMessages(1024),
		jetstream.ConsumeErrHandler(func(jetstream.ConsumeContext, error) {})}
	if c.l.replicas == 1 {
		// An ordered consumer reads the results without acknowledgements,
		// and after a reconnect or a server restart resumes after the last
		// one it delivered.
		cons, err = js.OrderedConsumer(ctx, resultsStream, jetstream.OrderedConsumerConfig{
			FilterSubjects: []string{c.reply},
		})
	} else {
		// On a cluster, an ordered consumer lives on one server, and after
		// that server's death it is made anew by a request that the
		// cluster may leave unanswered for minutes (it may place the new
		// one on the dead server). A durable consumer kept by as many
		// servers as the stream outlives the death of one; a result that
		// died on its way comes again after AckWait, and short pulls with
		// heartbeats find a pull lost with the server in seconds.
		cons, err = js.CreateOrUpdateConsumer(ctx, resultsStream, jetstream.ConsumerConfig{
			Durable:           "results_" + c.id,
			Description:       "multitask: the results of one executor",
			FilterSubject:     c.reply,
			AckPolicy:         jetstream.AckExplicitPolicy,
			AckWait:           c.cfg.ackWait,
			MaxAckPending:     -1,
			InactiveThreshold: time.Hour,
			Replicas:          c.l.replicas,
		})
		c.durable = cons
		opts = append(opts, jetstream.PullExpiry(5*time.Second), jetstream.PullHeartbeat(time.Second))
	}
	if err != nil {
		return fmt.Errorf("cluster: create the consumer of results: %w", err)
	}
	if c.recv, err = cons.Consume(c.onResult, opts...); err != nil {
		return fmt.Errorf("cluster: consume results: %w", err)
	}
	return nil
}

// purgeEvery is how often an executor removes the results it has read.
const purgeEvery = 250 * time.Millisecond

// purgeLoop removes the results the executor has read from the stream, in
// bulk, until ctx ends; then it removes the rest of them.
func (c *client) purgeLoop(ctx context.Context) {
	defer c.loops.Done()
	var done uint64
	t := time.NewTicker(purgeEvery)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-ctx.Done():
			pctx, stop := context.WithTimeout(context.Background(), claimTimeout)
			_ = c.results.Purge(pctx, jetstream.WithPurgeSubject(c.reply))
			stop()
			return
		}
		if last := c.lastResult.Load(); last > done {
			pctx, stop := context.WithTimeout(ctx, claimTimeout)
			if c.durable != nil {
				// Only those below every unacknowledged delivery: one
				// that died on its way comes again after later ones.
				last = 0
				if info, err := c.durable.Info(pctx); err == nil {
					last = info.AckFloor.Stream
				}
			}
			c.read.Store(max(c.read.Load(), last))
			if last > done && c.results.Purge(pctx, jetstream.WithPurgeSubject(c.reply), jetstream.WithPurgeSequence(last+1)) == nil {
				done = last
			}
			stop()
		}
		c.deleteWithheld()
	}
}

// deleteWithheld deletes again the messages of ended tasks whose deletion
// failed, and forgets the leases that have ended.
func (c *client) deleteWithheld() {
	var again []*entry
	c.mu.Lock()
	c.holdersLocked()
	for _, en := range c.withheld {
		if en.settling == nil && en.seq.Load() > 0 {
			again = append(again, en)
		}
	}
	c.mu.Unlock()
	for _, en := range again {
		c.deleteTask(en)
	}
}

func (c *client) executor(task taskConfig) *Executor {
	ex := &Executor{c: c, task: task}
	if task.queueSize > 0 {
		ex.room = make(chan struct{}, task.queueSize)
	}
	return ex
}

// With returns an executor that shares e's connection and lifetime but
// gives its tasks other settings: any of [Queue], [Timeout],
// [QueueTimeout], [Retries], [Backoff], [Redeliveries], [QueueSize],
// [FailFast], [MaxPayload] and [ObjectAbove].
func (e *Executor) With(opts ...Option) (*Executor, error) {
	cfg := config{task: e.task}
	if err := cfg.apply("Executor.With", scopeTask, opts); err != nil {
		return nil, err
	}
	return e.c.executor(cfg.task), nil
}

// ClientURL returns the URL at which the embedded server of an executor
// made by [New] with [Listen] accepts workers and clients, or "".
func (e *Executor) ClientURL() string { return e.c.server.clientURL() }

// errClosure fails a closure submitted with futures.Submit.
var errClosure = fmt.Errorf("cluster: a closure cannot run on other machines: register the function with mp.Register "+
	"and submit it with its Submit method: %w", mp.ErrNotRegistered)

// Execute implements [futures.Executor]. Only registered functions run on
// a cluster, so it fails every task with an error that matches
// [mp.ErrNotRegistered].
func (e *Executor) Execute(futures.Task) error { return errClosure }

// ExecuteCall implements [mp.CallExecutor]: it publishes the call as a
// task to the executor's queue, and delivers its outcome when a worker
// reports it.
func (e *Executor) ExecuteCall(t futures.Task, call *mp.Call) error {
	if call.HasHandles() {
		return fmt.Errorf("%w: the argument of %q", ErrHandles, call.Name())
	}
	arg := call.Arg()
	if len(arg) > e.task.maxPayload {
		return &PayloadError{Func: call.Name(), Size: len(arg), Limit: e.task.maxPayload}
	}
	if err := e.acquire(t.Context()); err != nil {
		return err
	}
	c := e.c
	en := &entry{id: nuid.Next(), t: t, call: call, ex: e}
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		e.releaseRoom()
		return futures.ErrShutdown
	}
	c.pending[en.id] = en
	c.mu.Unlock()
	c.st.submitted.Add(1)
	if !t.Guard(func() bool { return c.cancel(en) }) {
		c.take(en.id) // cancelled before it was handed over
		return nil
	}
	m := nats.NewMsg(tasksPrefix + e.task.queue)
	m.Header.Set(hID, en.id)
	m.Header.Set(hFunc, call.Name())
	m.Header.Set(hReply, c.reply)
	if call.Chunk() {
		m.Header.Set(hChunk, "1")
	}
	if e.task.timeout > 0 {
		m.Header.Set(hTimeout, strconv.FormatInt(int64(e.task.timeout), 10))
	}
	// A setting left at its default goes without a header, as the worker
	// reads a missing one: every header costs each task on the server and
	// in the worker.
	if e.task.retries != 0 {
		m.Header.Set(hRetries, strconv.Itoa(e.task.retries))
		m.Header.Set(hBackoff, e.task.backoff.String()+","+e.task.maxBackoff.String())
	}
	if e.task.redeliveries != DefaultRedeliveries {
		m.Header.Set(hRedeliv, strconv.Itoa(e.task.redeliveries))
	}
	if e.task.objectAbove != DefaultObjectAbove {
		m.Header.Set(hObjectAbove, strconv.Itoa(e.task.objectAbove))
	}
	if len(arg) > inline(e.task.objectAbove, c.nc) {
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		name, err := c.l.putObject(ctx, en.id+".arg", arg)
		cancel()
		if err != nil {
			c.take(en.id)
			return err
		}
		m.Header.Set(hObject, name)
	} else {
		m.Data = arg
	}
	// A task waits at most its queue timeout, and never longer than the
	// stream keeps it.
	d := c.l.retention
	if e.task.queueTimeout > 0 {
		d = min(d, e.task.queueTimeout)
	}
	c.mu.Lock()
	en.timer = time.AfterFunc(d, func() { c.expire(en, d) })
	c.mu.Unlock()
	ctx := t.Context()
	if ctx.Done() != nil {
		stop := context.AfterFunc(ctx, func() { c.stopRunning(en, ctx) })
		c.mu.Lock()
		en.watch = stop
		_, still := c.pending[en.id]
		c.mu.Unlock()
		if !still {
			stop()
		}
	}
	// The first publish is made here, so that tasks reach the stream, and
	// the workers, in the order they were submitted; only its
	// acknowledgement, and any retry, is waited for apart.
	opts := publishOptions(en.id, e.task.queueTimeout)
	f, err := c.l.js.PublishMsgAsync(m, opts...)
	select {
	case c.acks <- published{en, m, opts, f, err}:
	case <-c.loopsDone:
		// Torn down: the task was cancelled before this, as nothing that
		// is pending lets the executor end.
	}
	return nil
}

// acquire takes a token of QueueSize's, waiting for one unless FailFast.
func (e *Executor) acquire(ctx context.Context) error {
	if e.room == nil {
		return nil
	}
	select {
	case e.room <- struct{}{}:
		return nil
	default:
	}
	if e.task.failFast {
		return fmt.Errorf("%w: %d tasks have not ended", ErrQueueFull, cap(e.room))
	}
	select {
	case e.room <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (e *Executor) releaseRoom() {
	if e.room != nil {
		<-e.room
	}
}

// publishTimeout bounds the wait for the acknowledgement of a message
// published asynchronously, which is then published again (its id makes
// that harmless). Without it, a message the servers lost without the
// connection dropping, as when a cluster's stream leader dies, would be
// waited for forever.
const publishTimeout = 5 * time.Second

// publishOptions are those of a task's publish: its id, which makes a
// repeated publish harmless, and its queue timeout as the message's TTL.
func publishOptions(id string, ttl time.Duration) []jetstream.PublishOpt {
	opts := []jetstream.PublishOpt{jetstream.WithMsgID(id)}
	if ttl > 0 {
		opts = append(opts, jetstream.WithMsgTTL(max(ttl, time.Second)))
	}
	return opts
}

// maxUnacked is the most first publishes of tasks whose acknowledgements
// the ack loop has not seen: ExecuteCall waits beyond, as nats.go waits
// beyond its own bound of asynchronous publishes.
const maxUnacked = 4096

// published is a task's first publish, as ExecuteCall hands it to the ack
// loop: the message, its options, and the future of its acknowledgement or
// the error of the publish.
type published struct {
	en   *entry
	m    *nats.Msg
	opts []jetstream.PublishOpt
	f    jetstream.PubAckFuture
	err  error
}

// ackLoop waits for the acknowledgements of tasks' first publishes, in
// order, until ctx ends: one goroutine for all of them rather than one per
// task. A publish that failed is retried in a goroutine of its own.
func (c *client) ackLoop(ctx context.Context) {
	defer c.loops.Done()
	for {
		var p published
		select {
		case p = <-c.acks:
		case <-ctx.Done():
			return
		}
		if p.err == nil {
			select {
			case ack := <-p.f.Ok():
				p.en.seq.Store(ack.Sequence)
				if !c.isPending(p.en.id) {
					go c.deleteTask(p.en) // cancelled while it was on its way
				}
				continue
			case p.err = <-p.f.Err():
			case <-ctx.Done():
				return
			}
		}
		go c.publish(p.en, p.m, p.opts, nil, p.err)
	}
}

// publish waits for the acknowledgement of the task's first publish (f,
// or its error), and publishes it again while the server is away.
func (c *client) publish(en *entry, m *nats.Msg, opts []jetstream.PublishOpt, f jetstream.PubAckFuture, err error) {
	for wait := 10 * time.Millisecond; ; wait = min(2*wait, time.Second) {
		if err == nil {
			select {
			case ack := <-f.Ok():
				en.seq.Store(ack.Sequence)
				if !c.isPending(en.id) {
					c.deleteTask(en) // cancelled while it was on its way
				}
				return
			case err = <-f.Err():
			}
		}
		// A task cancelled meanwhile is published on, for its sequence:
		// the message may be stored, and must then be deleted.
		if pending, withheld := c.tracked(en.id); !pending && !withheld {
			return
		}
		if c.nc.IsClosed() || !transient(err) {
			if en := c.take(en.id); en != nil {
				en.t.Reject(fmt.Errorf("cluster: publish task %q: %w", en.call.Name(), err))
			}
			c.unwithhold(en.id) // not stored
			return
		}
		time.Sleep(wait)
		f, err = c.l.js.PublishMsgAsync(m, opts...)
	}
}

// tracked reports whether task id is pending here, and whether it is
// withheld from leases.
func (c *client) tracked(id string) (pending, withheld bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, pending = c.pending[id]
	_, withheld = c.withheld[id]
	return pending, withheld
}

func (c *client) isPending(id string) bool {
	pending, _ := c.tracked(id)
	return pending
}

// take removes the entry of id, which ends here, and returns it, or nil
// when it has already ended.
func (c *client) take(id string) *entry {
	c.mu.Lock()
	en := c.pending[id]
	if en == nil {
		c.mu.Unlock()
		return nil
	}
	delete(c.pending, id)
	if en.timer != nil {
		en.timer.Stop()
	}
	watch := en.watch
	if c.closing && len(c.pending) == 0 {
		c.closeIdleLocked()
	}
	c.mu.Unlock()
	if watch != nil {
		watch()
	}
	en.ex.releaseRoom()
	return en
}

func (c *client) closeIdleLocked() {
	select {
	case <-c.idle:
	default:
		close(c.idle)
	}
}

// claimTimeout bounds the round trip that settles a cancellation.
const claimTimeout = 5 * time.Second

// onBegin answers a worker that asks whether it may begin some tasks: yes
// to each, unless the task has ended here (cancelled, expired, stopped, or
// its result came already). The question is "<worker> <id>..." (the worker
// marked with leaselessMark first when it wants no lease), the answer a
// byte per id, beginYes or beginNo, and the lease it grants the worker
// (see lease.go). The executor's memory settles the race between a
// worker's start and a cancellation, which spares the claims bucket a
// write per task; a worker that gets no answer claims the task in the
// bucket instead, where a cancellation also looks (see settle).
func (c *client) onBegin(m *nats.Msg) {
	if q, ok := strings.CutPrefix(string(m.Data), string(releaseMark)); ok {
		c.onRelease(m, q)
		return
	}
	worker, ids, _ := strings.Cut(string(m.Data), " ")
	worker, leaseless := strings.CutPrefix(worker, string(leaselessMark))
	list := strings.Fields(ids)
	c.answerBegin(m, worker, !leaseless, list, make([]byte, len(list)), 0)
}

// answerBegin answers the question m from its id number from on, and
// then responds, with a lease unless the worker wants none; a task whose
// cancellation or expiry is settling is answered once it has settled, off
// the subscription's goroutine.
func (c *client) answerBegin(m *nats.Msg, worker string, lease bool, ids []string, answer []byte, from int) {
	for i := from; i < len(ids); i++ {
		ok, wait := c.mayBegin(ids[i], worker)
		if wait != nil {
			go func() { <-wait; c.answerBegin(m, worker, lease, ids, answer, i) }()
			return
		}
		answer[i] = beginNo
		if ok {
			answer[i] = beginYes
		}
	}
	if lease && isToken(worker) {
		answer = c.grant(worker, answer)
	}
	_ = m.Respond(answer)
}

// mayBegin answers worker, which asks to begin task id, unless a
// cancellation or expiry of the task is settling: it then returns what to
// wait for before asking again.
func (c *client) mayBegin(id, worker string) (ok bool, wait <-chan struct{}) {
	c.mu.Lock()
	en := c.pending[id]
	if en != nil && en.settling != nil {
		defer c.mu.Unlock()
		return false, en.settling
	}
	if en == nil || worker == "" {
		c.mu.Unlock()
		return false, nil
	}
	en.worker = worker
	c.mu.Unlock()
	en.t.Begin()
	return true, nil
}

// settle decides, for a cancellation or an expiry, whether the task ends
// unbegun. It recalls the task from the workers that hold leases, and
// records value in the claims bucket, unless a worker has begun the task,
// by asking here or under its lease; it ends the task when the bucket
// took it. Workers that ask meanwhile wait for the outcome. It reports
// whether the task ended here, and whether a worker had begun it; neither
// when a worker with a lease did not answer, or the bucket could not be
// written.
func (c *client) settle(en *entry, value string) (ended, begun bool) {
	c.mu.Lock()
	for en.settling != nil {
		wait := en.settling
		c.mu.Unlock()
		<-wait
		c.mu.Lock()
	}
	if begun := en.worker != ""; begun || c.pending[en.id] != en {
		c.mu.Unlock()
		return false, begun
	}
	done := make(chan struct{})
	en.settling = done
	c.withheld[en.id] = en
	holders := c.holdersLocked()
	c.mu.Unlock()

	worker, sure := c.recall(en.id, holders)
	if worker == "" && sure {
		ctx, stop := context.WithTimeout(context.Background(), claimTimeout)
		_, err := c.l.claims.Create(ctx, en.id, []byte(value))
		stop()
		if err == nil {
			ended = c.take(en.id) != nil
		}
		begun = errors.Is(err, jetstream.ErrKeyExists) // claimed there by a worker that got no answer
	}
	c.mu.Lock()
	en.settling = nil
	if worker != "" {
		en.worker, begun = worker, true
	}
	if !ended {
		delete(c.withheld, en.id)
	}
	c.mu.Unlock()
	close(done)
	return ended, begun
}

// cancel is the task's guard: it reports whether the cancellation won the
// race with a worker's start (see settle), and then the task never runs.
func (c *client) cancel(en *entry) bool {
	ended, begun := c.settle(en, claimCancel)
	if begun {
		en.t.Begin()
	}
	if !ended {
		return false
	}
	c.st.cancelled.Add(1)
	c.deleteTask(en)
	return true
}

// expire ends a task that no worker started within its queue timeout.
func (c *client) expire(en *entry, d time.Duration) {
	if ended, _ := c.settle(en, claimExpired); !ended {
		return // begun, or the server is away: the result will tell
	}
	c.st.failed.Add(1)
	en.t.Reject(fmt.Errorf("%w: task %q waited %v", ErrQueueTimeout, en.call.Name(), d))
	c.deleteTask(en)
}

// deleteTask removes a task that will not run from its stream, once it is
// there; a worker that took it already is told no when it asks to begin.
// Until the message is gone, the task is withheld from leases: a worker
// that gets it asks about it. A deletion that fails is tried again by the
// purge loop.
func (c *client) deleteTask(en *entry) {
	seq := en.seq.Load()
	if seq == 0 {
		return // the ack loop deletes it once stored
	}
	ctx, stop := context.WithTimeout(context.Background(), claimTimeout)
	err := c.l.tasks.DeleteMsg(ctx, seq)
	stop()
	if err == nil || errors.Is(err, jetstream.ErrMsgNotFound) {
		c.unwithhold(en.id)
	}
}

// unwithhold lets leases cover task id again: it will not come.
func (c *client) unwithhold(id string) {
	c.mu.Lock()
	delete(c.withheld, id)
	c.mu.Unlock()
}

// stopRunning handles the end of a task's context: a task no worker has
// begun is cancelled by its guard, which the future calls; one that runs
// is told to stop, and its future ends now with the context's error.
func (c *client) stopRunning(en *entry, ctx context.Context) {
	c.mu.Lock()
	worker, pending := en.worker, c.pending[en.id] == en
	c.mu.Unlock()
	if !pending {
		return
	}
	rctx, stop := context.WithTimeout(context.Background(), claimTimeout)
	defer stop()
	if worker == "" {
		worker = c.findRunner(rctx, en)
		if worker == "" {
			return
		}
	}
	// A worker that gets the task again, and no answer from here, must
	// not begin it either.
	_, _ = c.l.claims.Put(rctx, en.id, []byte(claimStop))
	if en := c.take(en.id); en != nil {
		c.st.failed.Add(1)
		en.deliver(nil, fmt.Errorf("cluster: task %q stopped after its context ended: %w", en.call.Name(), context.Cause(ctx)))
	}
	_, _ = c.nc.RequestWithContext(rctx, stopPrefix+worker, []byte(en.id))
}

// findRunner returns the worker that began en without asking here, if
// one did: under its lease, or claiming it in the claims bucket when it
// got no answer from here.
func (c *client) findRunner(ctx context.Context, en *entry) string {
	c.mu.Lock()
	holders := c.holdersLocked()
	c.mu.Unlock()
	if worker, _ := c.recall(en.id, holders); worker != "" {
		c.mu.Lock()
		en.worker = worker
		c.mu.Unlock()
		en.t.Begin()
		return worker
	}
	e, err := c.l.claims.Get(ctx, en.id)
	if err != nil || !strings.HasPrefix(string(e.Value()), claimRun) {
		return ""
	}
	return strings.TrimPrefix(string(e.Value()), claimRun)
}

// onResult delivers the results of a message to their futures; a later
// result of a task, from a task that ran more than once, is dropped.
//
// The message counts as read once its results are delivered, not before:
// a worker forgets the tasks it began under its lease once the executor
// has read their results (see lease.go).
func (c *client) onResult(msg jetstream.Msg) {
	if results, err := parseResults(msg.Data()); err == nil { // else no worker sent it
		if h := msg.Headers().Get(hRan); h != "" {
			parseRan(h, results)
		}
		for i := range results {
			c.deliverResult(&results[i])
		}
	}
	if md, err := msg.Metadata(); err == nil {
		c.lastResult.Store(max(c.lastResult.Load(), md.Sequence.Stream))
	}
	if c.durable != nil {
		_ = msg.Ack() // it is here: no need to deliver it again
	}
}

// deliverResult delivers r to its future, unless that has ended.
func (c *client) deliverResult(r *result) {
	en := c.take(r.id)
	if en == nil {
		return
	}
	if r.attempts > 1 {
		c.st.retried.Add(int64(r.attempts - 1))
	}
	en.call.Ran(r.ran)
	if r.status == statusOK && r.object != "" {
		go c.deliverObject(en, r.object)
		return
	}
	var err error
	var value []byte
	switch r.status {
	case statusOK:
		value = r.data
		c.st.done.Add(1)
	case statusDead:
		c.st.dead.Add(1)
		err = mp.UnmarshalError(r.data)
	default:
		c.st.failed.Add(1)
		err = mp.UnmarshalError(r.data)
	}
	en.deliver(value, err)
}

// deliver ends a task that a worker began with its outcome. It marks the
// task begun first: Run of a task not yet begun whose context has ended
// asks the guard, which finds the claim taken and would leave the future
// running for good.
func (en *entry) deliver(value []byte, err error) {
	en.call.Deliver(value, err)
	en.t.Begin()
	en.t.Run()
}

// deliverObject delivers a result that waits in the object store.
func (c *client) deliverObject(en *entry, name string) {
	ctx, stop := context.WithTimeout(context.Background(), time.Minute)
	defer stop()
	value, err := c.l.getObject(ctx, name)
	if err == nil {
		c.st.done.Add(1)
		c.l.deleteObject(ctx, name)
	} else {
		c.st.failed.Add(1)
	}
	en.deliver(value, err)
}

// Shutdown stops the executor from accepting tasks and waits, until ctx
// ends, for those it accepted to end. It then stops the local workers, the
// connection and the embedded server. When ctx ends first it returns
// ctx's error and leaves everything running; call it again to finish.
func (e *Executor) Shutdown(ctx context.Context) error {
	c := e.c
	c.mu.Lock()
	c.closing = true
	if len(c.pending) == 0 {
		c.closeIdleLocked()
	}
	c.mu.Unlock()
	select {
	case <-c.idle:
	case <-ctx.Done():
		return ctx.Err()
	}
	c.stopOnce.Do(c.teardown)
	return nil
}

func (c *client) teardown() {
	c.recv.Stop()
	if c.local != nil {
		c.local.stop()
	}
	c.stopLoops()
	c.loops.Wait()
	if c.durable != nil {
		ctx, stop := context.WithTimeout(context.Background(), claimTimeout)
		_ = c.l.js.DeleteConsumer(ctx, resultsStream, "results_"+c.id)
		stop()
	}
	c.nc.Close()
	c.server.stop()
}

// Stats are an executor's counts of its own tasks, and the state of its
// queue across the cluster.
type Stats struct {
	// This executor's tasks (and those of executors derived by With).
	Submitted int64 // accepted by ExecuteCall
	Done      int64 // ended with a result
	Failed    int64 // ended with an error, including timeouts and stops
	Cancelled int64 // cancelled before any worker began them
	Retried   int64 // runs beyond the first, over the tasks that ended
	Dead      int64 // ended with ErrDead

	// The queue, across every executor and worker that use it.
	Queued      int64 // waiting for a worker
	Running     int64 // delivered to a worker that has not reported
	Redelivered int64 // delivered again after a worker died or stalled, of those running
	DeadTasks   int64 // kept in the dead tasks of the queue (see DeadTasks)
	Workers     int64 // workers alive on the queue: one killed stops counting once its server sees it gone, one cut off within 15 s

	// The tasks the queue's workers ended, each worker's since it started,
	// as of their last reports: a worker reports about a second after a
	// task ends, and its counts stay for 7 days after it stopped. A task
	// that ran twice, because its worker stalled, counts twice.
	QueueDone   int64 // with a result
	QueueFailed int64 // with an error, dead tasks included

	// Err says why the queue's figures could not be read; they are then 0.
	Err error
}

// Stats returns the executor's counts, and reads those of its queue from
// the server, waiting at most a few seconds for them.
func (e *Executor) Stats() Stats {
	c := e.c
	s := Stats{
		Submitted: c.st.submitted.Load(), Done: c.st.done.Load(), Failed: c.st.failed.Load(),
		Cancelled: c.st.cancelled.Load(), Retried: c.st.retried.Load(), Dead: c.st.dead.Load(),
	}
	ctx, stop := context.WithTimeout(context.Background(), claimTimeout)
	defer stop()
	s.Err = e.queueStats(ctx, &s)
	return s
}

func (e *Executor) queueStats(ctx context.Context, s *Stats) error {
	l := e.c.l
	cons, err := l.js.Consumer(ctx, tasksStream, "workers_"+e.task.queue)
	switch {
	case errors.Is(err, jetstream.ErrConsumerNotFound):
		// No worker has served the queue yet: its tasks wait in the stream.
		ti, err := l.tasks.Info(ctx, jetstream.WithSubjectFilter(tasksPrefix+e.task.queue))
		if err != nil {
			return fmt.Errorf("cluster: read the queue %q: %w", e.task.queue, err)
		}
		s.Queued = int64(ti.State.Subjects[tasksPrefix+e.task.queue])
	case err != nil:
		return fmt.Errorf("cluster: read the queue %q: %w", e.task.queue, err)
	default:
		ci, err := cons.Info(ctx)
		if err != nil {
			return fmt.Errorf("cluster: read the queue %q: %w", e.task.queue, err)
		}
		s.Queued, s.Running, s.Redelivered = int64(ci.NumPending), int64(ci.NumAckPending), int64(ci.NumRedelivered)
	}
	dead, err := l.js.Stream(ctx, deadStream)
	if err != nil {
		return fmt.Errorf("cluster: read the dead tasks: %w", err)
	}
	di, err := dead.Info(ctx, jetstream.WithSubjectFilter(deadPrefix+e.task.queue))
	if err != nil {
		return fmt.Errorf("cluster: read the dead tasks: %w", err)
	}
	s.DeadTasks = int64(di.State.Subjects[deadPrefix+e.task.queue])
	keys, err := l.workers.ListKeysFiltered(ctx, e.task.queue+".*")
	if err != nil {
		return fmt.Errorf("cluster: read the workers: %w", err)
	}
	var ids []string
	for k := range keys.Keys() {
		ids = append(ids, strings.TrimPrefix(k, e.task.queue+"."))
	}
	s.Workers = e.c.liveWorkers(ctx, ids)
	t, err := l.queueTotals(ctx, e.task.queue)
	if err != nil {
		return err
	}
	s.QueueDone, s.QueueFailed = t.Done, t.Failed
	return nil
}

// pingTimeout bounds the wait for a worker's answer to liveWorkers: one
// that answers no sooner is counted alive.
const pingTimeout = time.Second

// liveWorkers counts the workers of ids that are alive. A worker that was
// killed leaves its key in the workers' bucket until the key's TTL has
// passed, but takes its subscriptions with it, so that a request to it
// fails at once with no responders.
func (c *client) liveWorkers(ctx context.Context, ids []string) int64 {
	ctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	var live atomic.Int64
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Go(func() {
			if _, err := c.nc.RequestWithContext(ctx, stopPrefix+id, nil); !errors.Is(err, nats.ErrNoResponders) {
				live.Add(1)
			}
		})
	}
	wg.Wait()
	return live.Load()
}

// DeadTasks yields the dead tasks of the executor's queue, oldest first,
// as kept for [Retention].
func (e *Executor) DeadTasks(ctx context.Context) iter.Seq2[DeadTask, error] {
	return func(yield func(DeadTask, error) bool) {
		cons, err := e.c.l.js.OrderedConsumer(ctx, deadStream, jetstream.OrderedConsumerConfig{
			FilterSubjects: []string{deadPrefix + e.task.queue},
		})
		if err != nil {
			yield(DeadTask{}, fmt.Errorf("cluster: read the dead tasks: %w", err))
			return
		}
		info, err := cons.Info(ctx)
		if err != nil {
			yield(DeadTask{}, fmt.Errorf("cluster: read the dead tasks: %w", err))
			return
		}
		for left := info.NumPending; left > 0; {
			batch, err := cons.Fetch(int(min(left, 256)), jetstream.FetchContext(ctx))
			if err != nil {
				yield(DeadTask{}, fmt.Errorf("cluster: read the dead tasks: %w", err))
				return
			}
			for msg := range batch.Messages() {
				left--
				var d DeadTask
				if err := json.Unmarshal(msg.Data(), &d); err != nil {
					if !yield(d, fmt.Errorf("cluster: a dead task's record: %w", err)) {
						return
					}
					continue
				}
				if !yield(d, nil) {
					return
				}
			}
			if err := batch.Error(); err != nil {
				yield(DeadTask{}, fmt.Errorf("cluster: read the dead tasks: %w", err))
				return
			}
		}
	}
}

// inline is the size above which a payload goes to the object store: the
// threshold asked for, within what the server takes in one message.
func inline(above int, nc *nats.Conn) int {
	const headers = 4 << 10
	return min(above, int(nc.MaxPayload())-headers)
}

// transient reports whether a failed publish may succeed if repeated: the
// server was away or busy, rather than refusing the message.
func transient(err error) bool {
	var api *jetstream.APIError
	if errors.As(err, &api) {
		return api.Code == 503 || api.Code == 0
	}
	return !errors.Is(err, nats.ErrMaxPayload) && !errors.Is(err, nats.ErrBadSubject)
}
