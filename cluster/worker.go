package cluster

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
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

// Serve makes this process a worker: it takes tasks from the queue (see
// [Queue]) of the NATS servers given with [Servers], runs them, and
// reports their results, until ctx ends. It then stops taking tasks,
// waits up to [Grace] for the running ones, and returns nil; tasks it had
// not finished run elsewhere. It returns an error only when it cannot
// start: no server, bad credentials, bad options.
//
// Tasks are registered functions ([mp.Register]) of this binary, run in a
// goroutine each or, with [Processes], in worker processes. The process
// must call [mp.Main] first, as every program that uses mp does.
func Serve(ctx context.Context, opts ...Option) error {
	cfg := newConfig()
	if err := cfg.apply("Serve", scopeWorker|scopeConn, opts); err != nil {
		return err
	}
	if cfg.servers == "" {
		return errors.New("cluster: Serve needs the servers to connect to: give Servers(urls)")
	}
	nc, err := dial(cfg.servers, &cfg)
	if err != nil {
		return err
	}
	defer nc.Close()
	w, err := startWorker(ctx, nc, &cfg, cfg.localWorkers(cfg.defaultWorkers()), nil)
	if err != nil {
		return err
	}
	<-ctx.Done()
	w.stop()
	return nil
}

// A worker takes tasks of one queue from JetStream and runs them, as many
// at a time as it has slots.
type worker struct {
	id      string
	cfg     *config
	nc      *nats.Conn
	l       *layout
	cons    jetstream.Consumer
	exec    *client            // the executor of this process, if any: asked by a call
	pool    *mp.Pool           // nil: tasks run in goroutines
	slots   chan struct{}      // a token per task fetched and not yet run
	tail    chan struct{}      // a token per task whose outcome is on its way
	asks    *batcher[*ask]     // by executor, the questions before tasks begin
	results *batcher[*outcome] // by executor, the outcomes to publish
	cancel  context.CancelFunc // ends the fetching
	abort   context.CancelCauseFunc
	runCtx  context.Context    // the parent of the tasks' contexts: aborted after the grace
	sub     *nats.Subscription // stop requests
	recalls *nats.Subscription
	leases  leases
	wg      sync.WaitGroup // fetches and tasks
	loops   sync.WaitGroup // the fetch loop, the lease loop, the heartbeat and the report loop

	// The tasks the worker ended, which it reports to the totals bucket.
	done, failed atomic.Int64
	ended        chan struct{}      // a token once a task has ended since the last report
	totals       jetstream.KeyValue // made at the first report; the report loop's, then stop's

	mu      sync.Mutex
	running map[string]context.CancelCauseFunc

	// ackWait is the AckWait of the queue's consumer as last read, at
	// most cfg.ackWait: the last worker to start sets it for all, and the
	// heartbeats of running tasks must come often enough for the shortest.
	ackWait atomic.Int64
}

// errStopped is the cause a task's context ends with when its submitter's
// context ended.
var errStopped = errors.New("cluster: the task's submitter stopped it")

// startWorker starts a worker with n slots on nc, with cfg, in the
// process of executor exec, or of none when exec is nil.
func startWorker(ctx context.Context, nc *nats.Conn, cfg *config, n int, exec *client) (*worker, error) {
	if n < 1 {
		return nil, fmt.Errorf("cluster: a worker needs at least one slot, got %d", n)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	setup, cancelSetup := context.WithTimeout(ctx, 30*time.Second)
	defer cancelSetup()
	l, err := ensure(setup, js, cfg)
	if err != nil {
		return nil, err
	}
	cons, err := l.consumer(setup, cfg.task.queue)
	if err != nil {
		return nil, err
	}
	w := &worker{
		id:      nuid.Next(),
		cfg:     cfg,
		nc:      nc,
		l:       l,
		cons:    cons,
		exec:    exec,
		slots:   make(chan struct{}, n),
		tail:    make(chan struct{}, 4*n+64),
		running: make(map[string]context.CancelCauseFunc),
		ended:   make(chan struct{}, 1),
	}
	w.leases.m = make(map[string]*lease)
	w.asks = newBatcher(&w.wg, w.askExecutor)
	w.results = newBatcher(&w.wg, w.publishResults)
	w.adoptAckWait(cons.CachedInfo())
	if cfg.isolate {
		popts := append([]mp.PoolOption{mp.Workers(n), mp.Grace(cfg.grace)}, cfg.pool...)
		if w.pool, err = mp.NewPool(popts...); err != nil {
			return nil, fmt.Errorf("cluster: the worker's process pool: %w", err)
		}
	}
	if w.sub, err = nc.Subscribe(stopPrefix+w.id, w.stopTask); err != nil {
		w.closePool()
		return nil, fmt.Errorf("cluster: subscribe to stop requests: %w", err)
	}
	if w.recalls, err = nc.Subscribe(recallPrefix+w.id, w.answerRecall); err != nil {
		w.sub.Unsubscribe()
		w.closePool()
		return nil, fmt.Errorf("cluster: subscribe to recalls: %w", err)
	}
	w.runCtx, w.abort = context.WithCancelCause(context.Background())
	fetchCtx, cancel := context.WithCancel(context.Background())
	w.cancel = cancel
	w.loops.Add(4)
	go w.leaseLoop(fetchCtx)
	go w.fetchLoop(fetchCtx)
	go w.heartbeat(fetchCtx)
	go w.reportLoop(fetchCtx)
	return w, nil
}

// stop ends the fetching, waits up to the grace for the running tasks,
// then aborts them unacknowledged, so that they run elsewhere. It reports
// the worker's totals a last time, which stay after it.
func (w *worker) stop() {
	w.cancel()
	w.loops.Wait()
	w.giveBack()
	done := make(chan struct{})
	go func() { w.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(w.cfg.grace):
		w.abort(errors.New("cluster: the worker stopped"))
		<-done
	}
	w.abort(nil)
	w.sub.Unsubscribe()
	w.recalls.Unsubscribe()
	w.closePool()
	ctx, cancel := context.WithTimeout(context.Background(), claimTimeout)
	w.report(ctx)
	_ = w.l.workers.Delete(ctx, w.key())
	cancel()
}

func (w *worker) closePool() {
	if w.pool != nil {
		w.pool.ShutdownCancel(context.Background())
	}
}

func (w *worker) key() string { return w.cfg.task.queue + "." + w.id }

// heartbeat keeps the worker's key alive in the workers' bucket.
func (w *worker) heartbeat(ctx context.Context) {
	defer w.loops.Done()
	t := time.NewTicker(workersTTL / 3)
	defer t.Stop()
	for {
		put, cancel := context.WithTimeout(ctx, workersTTL/3)
		_, _ = w.l.workers.Put(put, w.key(), []byte(strconv.Itoa(cap(w.slots))))
		if info, err := w.cons.Info(put); err == nil {
			w.adoptAckWait(info)
		}
		cancel()
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		}
	}
}

// reportEvery is the least time between two reports of a worker's
// totals: tasks that end meanwhile wait for the next. Reporting soon after
// a task ends, rather than on the heartbeat alone, keeps Stats a second
// behind the workers instead of up to a heartbeat period.
const reportEvery = time.Second

// reportLoop reports the worker's totals soon after a task ends, at most
// once per reportEvery, and on every heartbeat period, which renews them
// in the bucket while the worker lives and retries a report that failed.
func (w *worker) reportLoop(ctx context.Context) {
	defer w.loops.Done()
	t := time.NewTicker(workersTTL / 3)
	defer t.Stop()
	for {
		select {
		case <-w.ended:
		case <-t.C:
		case <-ctx.Done():
			return
		}
		w.report(ctx)
		select {
		case <-time.After(reportEvery):
		case <-ctx.Done():
			return
		}
	}
}

// report writes the worker's totals to the totals bucket, once it has
// any: a worker that ended no task adds nothing to the sums, and need not
// make the bucket.
func (w *worker) report(ctx context.Context) {
	t := tally{Done: w.done.Load(), Failed: w.failed.Load()}
	if t == (tally{}) {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, workersTTL/3)
	defer cancel()
	if w.totals == nil {
		kv, err := w.l.totals(ctx)
		if err != nil {
			return // the server is away: the next report tries again
		}
		w.totals = kv
	}
	b, err := json.Marshal(t)
	if err != nil {
		panic(err) // two integers always encode
	}
	_, _ = w.totals.Put(ctx, w.key(), b)
}

// count adds a task the worker ended, with status, to its totals, and
// wakes the report loop.
func (w *worker) count(status string) {
	if status == statusOK {
		w.done.Add(1)
	} else {
		w.failed.Add(1)
	}
	select {
	case w.ended <- struct{}{}:
	default: // a report is due already
	}
}

// fetchLoop asks JetStream for as many tasks as there are free slots, in
// one pull request per batch of slots that came free together, so that no
// task waits in this process while its AckWait runs.
func (w *worker) fetchLoop(ctx context.Context) {
	defer w.loops.Done()
	for {
		select {
		case w.slots <- struct{}{}:
		case <-ctx.Done():
			return
		}
		n := 1
	more:
		for n < cap(w.slots) {
			select {
			case w.slots <- struct{}{}:
				n++
			default:
				break more
			}
		}
		w.wg.Add(1)
		go w.fetch(ctx, n)
	}
}

// fetch pulls up to n tasks and runs each in a goroutine; it gives back
// the slots of those that did not come.
func (w *worker) fetch(ctx context.Context, n int) {
	defer w.wg.Done()
	got := 0
	defer func() { w.release(n - got) }()
	fctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	batch, err := w.cons.Fetch(n, jetstream.FetchContext(fctx))
	if err != nil {
		// The server is away or the worker stops: wait a little rather
		// than spin.
		select {
		case <-time.After(100 * time.Millisecond):
		case <-ctx.Done():
		}
		return
	}
	for msg := range batch.Messages() {
		got++
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			var once sync.Once
			free := func() { once.Do(func() { w.release(1) }) }
			defer free()
			w.handle(msg, free)
		}()
	}
}

func (w *worker) release(n int) {
	for range n {
		<-w.slots
	}
}

// task is a task message as the worker reads it.
type task struct {
	id, fn, reply string
	chunk         bool
	timeout       time.Duration
	retries       int
	redeliveries  int
	backoff, max  time.Duration
	object        string
	objectAbove   int
	attempt       int
	leased        bool          // begun under its executor's lease
	ran           time.Duration // how long a chunk of Map ran here
}

// parseTask reads a task's headers; a message that is not a well-formed
// task is refused, never run.
func parseTask(msg jetstream.Msg) (*task, error) {
	h := msg.Headers()
	t := &task{id: h.Get(hID), fn: h.Get(hFunc), reply: h.Get(hReply), chunk: h.Get(hChunk) == "1", object: h.Get(hObject)}
	// The id becomes a key and part of subjects, and the reply a subject
	// to publish to: both must be plain tokens, or a crafted task could
	// wedge the worker on a key it can never write or a result it can
	// never publish, or send results outside the results stream.
	executor, isResult := strings.CutPrefix(t.reply, resultsPrefix)
	if !isToken(t.id) || t.fn == "" || !isResult || !isToken(executor) {
		return nil, errors.New("cluster: a message without a task's headers")
	}
	var err error
	num := func(key string) int {
		v := h.Get(key)
		if v == "" || err != nil {
			return 0
		}
		var n int
		if n, err = strconv.Atoi(v); err == nil && n < 0 {
			err = fmt.Errorf("negative %s", key)
		}
		return n
	}
	t.timeout = time.Duration(num(hTimeout))
	t.retries = num(hRetries)
	t.redeliveries = DefaultRedeliveries
	if h.Get(hRedeliv) != "" {
		t.redeliveries = num(hRedeliv)
	}
	t.objectAbove = cmp.Or(num(hObjectAbove), DefaultObjectAbove)
	if b := h.Get(hBackoff); b != "" && err == nil {
		base, max, _ := strings.Cut(b, ",")
		var err1, err2 error
		t.backoff, err1 = time.ParseDuration(base)
		t.max, err2 = time.ParseDuration(max)
		if err1 != nil || err2 != nil || t.backoff <= 0 || t.max < t.backoff {
			err = fmt.Errorf("bad %s %q", hBackoff, b)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("cluster: task %s: %w", t.id, err)
	}
	md, err := msg.Metadata()
	if err != nil {
		return nil, fmt.Errorf("cluster: task %s: %w", t.id, err)
	}
	t.attempt = int(md.NumDelivered)
	return t, nil
}

// isToken reports whether s is a plain token of a subject and a key: an
// id as nuid makes them.
func isToken(s string) bool { return len(s) <= 64 && isName(s) }

// handle runs one delivered task to its end: a result published and the
// task acknowledged, a retry asked for, or the task terminated.
//
// The task's slot is freed, by free, once its function has returned: the
// round trips that report the outcome overlap the next task's run, for as
// many tasks at a time as the tail allows.
func (w *worker) handle(msg jetstream.Msg, free func()) {
	t, err := parseTask(msg)
	if err != nil {
		_ = msg.TermWithReason(err.Error())
		return
	}
	ctx := w.runCtx
	if t.attempt > 1+t.retries+t.redeliveries {
		err := fmt.Errorf("%w: delivered %d times, and no worker reported on it", ErrDead, t.attempt-1)
		w.finish(ctx, msg, t, nil, err, statusDead)
		return
	}
	if !w.begin(ctx, t) {
		if w.runCtx.Err() != nil {
			return // the worker stopped before it could ask: the task runs elsewhere
		}
		_ = msg.Term() // its submitter gave up on it first
		return
	}
	arg := msg.Data()
	if t.object != "" {
		octx, cancel := context.WithTimeout(ctx, time.Minute)
		stop := w.keepAlive(msg)
		arg, err = w.l.getObject(octx, t.object)
		stop()
		cancel()
		if errors.Is(err, jetstream.ErrObjectNotFound) || errors.Is(err, errLink) {
			// No later delivery finds it either.
			w.finish(ctx, msg, t, nil, err, statusError)
			return
		}
		if err != nil {
			w.unlease(t)
			_ = msg.Nak() // the store may be back at the next delivery
			return
		}
	}
	stopTelling := w.tellBegun(t)
	start := time.Now()
	value, err := w.run(t, msg, arg)
	if t.chunk {
		t.ran = time.Since(start) // Map sizes its chunks by it
	}
	stopTelling()
	if w.runCtx.Err() != nil {
		return // the worker stopped: the task runs elsewhere
	}
	if err != nil && t.attempt <= t.retries && w.retryable(err) {
		w.unlease(t)
		_ = msg.NakWithDelay(backoff(t.backoff, t.max, t.attempt))
		return
	}
	status := statusOK
	if err != nil {
		status = statusError
	}
	free()
	w.finish(ctx, msg, t, value, err, status)
}

// askTimeout bounds the wait for an executor's answer to a worker that
// asks to begin a task, after which the worker claims it in the bucket.
const askTimeout = 2 * time.Second

// maxAsk is the most tasks a worker asks about in one question.
const maxAsk = 1024

// begin reports whether the worker may begin task t: under the lease of
// the task's executor (see lease.go), or else it asks the executor, which
// says no once the task has ended there, and claims the task in the
// claims bucket when the executor does not answer (it is gone, or out of
// reach for now). A task delivered again after its worker died is begun
// anew.
func (w *worker) begin(ctx context.Context, t *task) bool {
	if w.exec != nil && t.reply == w.exec.reply {
		for {
			ok, wait := w.exec.mayBegin(t.id, w.id)
			if wait == nil {
				return ok
			}
			<-wait
		}
	}
	if w.beginLeased(t) {
		return true
	}
	a := &ask{id: t.id, answer: make(chan byte, 1)}
	w.asks.add(beginPrefix+executorOf(t.reply), a)
	switch <-a.answer {
	case beginYes:
		return true
	case beginNo:
		return false
	}
	return w.claim(ctx, t.id)
}

// An ask is a task the worker asks its executor about; its answer is
// beginYes, beginNo, or 0 when the executor did not answer. An ask without
// an id only renews the worker's lease, and has no answer.
type ask struct {
	id     string
	answer chan byte
}

// askExecutor asks the executor at subject whether the worker may begin
// the tasks of some asks, at most maxAsk of them, and tells them its
// answers: none (zeros) when it does not answer well. It takes the lease
// the answer grants.
func (w *worker) askExecutor(subject string, asks []*ask) int {
	asks = asks[:min(len(asks), maxAsk)]
	var q strings.Builder
	w.leases.mu.Lock()
	if w.leases.givenBack {
		q.WriteByte(leaselessMark)
	}
	w.leases.mu.Unlock()
	q.WriteString(w.id)
	var tasks []*ask
	for _, a := range asks {
		if a.id != "" {
			q.WriteByte(' ')
			q.WriteString(a.id)
			tasks = append(tasks, a)
		}
	}
	asked := time.Now()
	ctx, cancel := context.WithTimeout(w.runCtx, askTimeout)
	reply, err := w.nc.RequestWithContext(ctx, subject, []byte(q.String()))
	cancel()
	answers := make([]byte, len(tasks))
	var grant []byte
	if err == nil && len(reply.Data) >= len(tasks) {
		answers, grant = reply.Data[:len(tasks)], reply.Data[len(tasks):]
	}
	w.granted(strings.TrimPrefix(subject, beginPrefix), asked, grant)
	for i, a := range tasks {
		a.answer <- answers[i]
	}
	return len(asks)
}

// claim records in the claims bucket that this worker begins task id,
// unless its executor cancelled it or its queue time ran out first.
func (w *worker) claim(ctx context.Context, id string) bool {
	mine := []byte(claimRun + w.id)
	for ctx.Err() == nil {
		if _, err := w.l.claims.Create(ctx, id, mine); err == nil {
			return true
		} else if !errors.Is(err, jetstream.ErrKeyExists) {
			time.Sleep(50 * time.Millisecond) // the server is away
			continue
		}
		e, err := w.l.claims.Get(ctx, id)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue // expired meanwhile: create it again
		} else if err != nil {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		if !strings.HasPrefix(string(e.Value()), claimRun) {
			return false
		}
		if _, err := w.l.claims.Update(ctx, id, mine, e.Revision()); err == nil {
			return true
		}
	}
	return false
}

// adoptAckWait takes the consumer's AckWait, from its info, when it is
// shorter than the worker's own: another worker set it.
func (w *worker) adoptAckWait(info *jetstream.ConsumerInfo) {
	d := w.cfg.ackWait
	if info != nil && info.Config.AckWait > 0 {
		d = min(d, info.Config.AckWait)
	}
	w.ackWait.Store(int64(d))
}

// keepAlive tells JetStream that the worker still holds msg, every third
// of AckWait, until stop is called: a big argument may take longer to read
// than AckWait.
func (w *worker) keepAlive(msg jetstream.Msg) (stop func()) {
	return every(func() time.Duration { return time.Duration(w.ackWait.Load()) / 3 }, func() bool {
		_ = msg.InProgress()
		return true
	})
}

// every calls fn after period(), and again after each period() for as long
// as fn returns true, until stop is called; no call follows stop. A timer
// does it, rather than a goroutine per task.
func every(period func() time.Duration, fn func() bool) (stop func()) {
	var (
		mu      sync.Mutex // held by a call, so that none follows stop
		stopped bool
		timer   *time.Timer
	)
	mu.Lock()
	defer mu.Unlock()
	timer = time.AfterFunc(period(), func() {
		mu.Lock()
		defer mu.Unlock()
		if !stopped && fn() {
			timer.Reset(period())
		}
	})
	return func() {
		mu.Lock()
		defer mu.Unlock()
		stopped = true
		timer.Stop()
	}
}

// run runs the task with a heartbeat that keeps JetStream from delivering
// it again meanwhile.
func (w *worker) run(t *task, msg jetstream.Msg, arg []byte) ([]byte, error) {
	ctx, cancel := context.WithCancelCause(w.runCtx)
	defer cancel(nil)
	if t.timeout > 0 {
		var stop context.CancelFunc
		ctx, stop = context.WithTimeout(ctx, t.timeout)
		defer stop()
	}
	w.mu.Lock()
	w.running[t.id] = cancel
	w.mu.Unlock()
	defer func() {
		w.mu.Lock()
		delete(w.running, t.id)
		w.mu.Unlock()
	}()

	stop := w.keepAlive(msg)
	defer stop()
	type outcome struct {
		value []byte
		err   error
	}
	done := make(chan outcome, 1)
	go func() {
		var o outcome
		if w.pool != nil {
			o.value, o.err = w.pool.SubmitCall(ctx, t.fn, arg, t.chunk).Result(context.Background())
		} else {
			o.value, o.err = mp.RunCall(ctx, t.fn, arg, t.chunk)
		}
		done <- o
	}()
	if w.pool != nil {
		// The pool kills the task after its grace when ctx ends, and
		// reports.
		o := <-done
		return o.value, o.err
	}
	select {
	case o := <-done:
		return o.value, o.err
	case <-ctx.Done():
		// A goroutine cannot be killed: report at once, and let it end in
		// its own time.
		return nil, fmt.Errorf("cluster: task %q: %w", t.fn, context.Cause(ctx))
	}
}

// stopTask handles a stop request: the task's context ends. An empty
// request only asks whether the worker is alive (see liveWorkers).
func (w *worker) stopTask(m *nats.Msg) {
	w.mu.Lock()
	cancel := w.running[string(m.Data)]
	w.mu.Unlock()
	if cancel != nil {
		cancel(errStopped)
	}
	_ = m.Respond(nil)
}

// retryable reports whether a failed run may be retried.
func (w *worker) retryable(err error) bool {
	if w.cfg.retryIf != nil {
		return w.cfg.retryIf(err)
	}
	return !errors.Is(err, mp.ErrNotRegistered) && !errors.Is(err, mp.ErrTooLarge) &&
		!errors.Is(err, errStopped) && !errors.Is(err, futures.ErrCancelled)
}

// backoff is the delay before retry number attempt: base doubled for each
// earlier one, at most max, with up to half of it as jitter.
func backoff(base, max time.Duration, attempt int) time.Duration {
	if base <= 0 {
		base = defaultBackoff
	}
	if max < base {
		max = defaultMaxBackoff
	}
	d := base
	for i := 1; i < attempt && d < max; i++ {
		if d > max/2 {
			d = max // doubling would pass max, or overflow
			break
		}
		d *= 2
	}
	d = min(d, max)
	return d/2 + rand.N(d/2+1)
}

// An outcome is a task's result on its way to its executor, with the
// task's message, which is acknowledged once the result is stored.
type outcome struct {
	result
	msg       jetstream.Msg
	stopBeats func() // of the heartbeat that keeps msg ours while the result waits
}

// finish records a task that failed for good after more than one delivery
// as dead, and queues the task's outcome to be published, with those of
// other tasks for the same executor; the task is acknowledged once its
// result is stored: until then, a crash leaves it to be delivered again.
func (w *worker) finish(ctx context.Context, msg jetstream.Msg, t *task, value []byte, runErr error, status string) {
	w.tail <- struct{}{} // given back by publishResults
	// A result may wait behind others while the server is slow or away.
	o := &outcome{msg: msg, result: result{id: t.id, status: status, attempts: t.attempt, ran: t.ran}, stopBeats: w.keepAlive(msg)}
	if runErr != nil {
		o.data = mp.MarshalError(runErr)
	} else if len(value) > inline(t.objectAbove, w.nc) {
		name, err := w.l.putObject(ctx, t.id+".result", value)
		if err != nil {
			o.status = statusError
			o.data = mp.MarshalError(err)
		} else {
			o.object = name
		}
	} else {
		o.data = value
	}
	// The dead record goes first, so that a caller whose future has
	// failed finds it in DeadTasks.
	if runErr != nil && (t.attempt > 1 || status == statusDead) {
		w.recordDead(ctx, t, runErr)
	}
	w.results.add(t.reply, o)
}

// publishResults publishes to reply the results of as many outcomes as
// one message holds, and acknowledges their tasks once it is stored.
func (w *worker) publishResults(reply string, outs []*outcome) int {
	limit := int(w.nc.MaxPayload()) - 4<<10 // room for the headers
	var data []byte
	n := 0
	for ; n < len(outs) && (n == 0 || len(data)+resultSize(&outs[n].result) <= limit); n++ {
		data = appendResult(data, &outs[n].result)
	}
	defer func() {
		for _, o := range outs[:n] {
			o.stopBeats()
			<-w.tail
		}
	}()
	m := &nats.Msg{Subject: reply, Data: data}
	if ran := appendRan(nil, outs[:n]); len(ran) > 0 {
		m.Header = nats.Header{hRan: []string{string(ran)}}
	}
	seq, ok := w.publish(w.runCtx, m, nuid.Next())
	if !ok {
		return n // the worker aborts: the tasks run elsewhere
	}
	w.stored(executorOf(reply), outs[:n], seq)
	for _, o := range outs[:n] {
		_ = o.msg.Ack()
		w.count(o.status)
	}
	return n
}

// publish stores m in its stream, retrying while the server is away,
// until the worker aborts, and returns its stream sequence. Its id makes a
// repeated publish harmless.
func (w *worker) publish(ctx context.Context, m *nats.Msg, id string) (uint64, bool) {
	if m.Header == nil {
		m.Header = nats.Header{}
	}
	m.Header.Set(jetstream.MsgIDHeader, id)
	// A publish lost with a stream leader that died is waited for a second
	// at first, since the results queued behind it wait too; the wait
	// doubles, up to 5 s, each time an answer takes longer.
	for wait := time.Second; ; {
		pctx, cancel := context.WithTimeout(ctx, wait)
		ack, err := w.nc.RequestMsgWithContext(pctx, m)
		cancel()
		var seq uint64
		if err == nil {
			seq, err = parsePubAck(ack.Data)
		}
		if err == nil {
			return seq, true
		}
		if errors.Is(err, context.DeadlineExceeded) {
			wait = min(2*wait, 5*time.Second)
		}
		select {
		case <-time.After(100 * time.Millisecond):
		case <-ctx.Done():
			return 0, false
		}
	}
}

// parsePubAck returns the stream sequence of JetStream's answer to a
// publish, a PubAck, or the error the answer holds. A PubAck is read
// without encoding/json: workers publish results all the time, and
// decoding each answer, as jetstream's PublishMsg does, took 6% of the
// CPU of New with its goroutine workers.
func parsePubAck(data []byte) (uint64, error) {
	if bytes.HasPrefix(data, []byte(`{"stream":"`)) && !bytes.Contains(data, []byte(`"error"`)) {
		if _, after, ok := bytes.Cut(data, []byte(`"seq":`)); ok {
			end := 0
			for end < len(after) && '0' <= after[end] && after[end] <= '9' {
				end++
			}
			if seq, err := strconv.ParseUint(string(after[:end]), 10, 64); err == nil {
				return seq, nil
			}
		}
	}
	var answer struct {
		Stream string              `json:"stream"`
		Seq    uint64              `json:"seq"`
		Error  *jetstream.APIError `json:"error"`
	}
	switch err := json.Unmarshal(data, &answer); {
	case err != nil:
		return 0, fmt.Errorf("cluster: the answer to a publish, %q: %w", data, err)
	case answer.Error != nil:
		return 0, answer.Error
	case answer.Stream == "":
		return 0, fmt.Errorf("cluster: the answer to a publish, %q, is no PubAck", data)
	}
	return answer.Seq, nil
}
