package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// The JetStream layout every executor and worker agrees on. All names start
// with multitask so that they share an account with other users' streams.
const (
	tasksStream   = "MULTITASK_TASKS"   // work queue: multitask.tasks.<queue>
	resultsStream = "MULTITASK_RESULTS" // limits, purged by the reader: multitask.results.<executor>
	deadStream    = "MULTITASK_DEAD"    // limits: multitask.dead.<queue>
	claimsBucket  = "multitask_claims"  // task id → who began it, or that it was cancelled
	workersBucket = "multitask_workers" // <queue>.<worker> → alive, with a short TTL
	totalsBucket  = "multitask_totals"  // <queue>.<worker> → the tasks it ended, kept totalsMaxAge
	objectsBucket = "multitask_payloads"

	tasksPrefix   = "multitask.tasks."
	resultsPrefix = "multitask.results."
	deadPrefix    = "multitask.dead."
	stopPrefix    = "multitask.stop."   // core NATS: <worker>, a task to stop
	beginPrefix   = "multitask.begin."  // core NATS: <executor>, may a worker begin a task
	recallPrefix  = "multitask.recall." // core NATS: <worker>, did it begin an executor's task under its lease
)

// Headers of a task message. What a result says is in the data of its
// message (see appendResult).
const (
	hID          = "Multitask-Id"
	hFunc        = "Multitask-Func"
	hReply       = "Multitask-Reply"
	hChunk       = "Multitask-Chunk"
	hTimeout     = "Multitask-Timeout"
	hRetries     = "Multitask-Retries"
	hRedeliv     = "Multitask-Redeliveries"
	hBackoff     = "Multitask-Backoff"
	hObject      = "Multitask-Object"
	hObjectAbove = "Multitask-Object-Above"
	// hRan, on a message of results, tells how long chunks of Map ran:
	// "i:nanoseconds" for the message's ith result, comma-separated.
	hRan = "Multitask-Ran"
)

// Result statuses.
const (
	statusOK    = "ok"
	statusError = "error"
	statusDead  = "dead"
)

// The answers of an executor to a worker that asks to begin a task, a
// byte per task.
const (
	beginYes = 'y'
	beginNo  = 'n'
)

// Claim values: the first writer of a task's key wins. A worker claims a
// task in the bucket only when the task's executor does not answer it.
const (
	claimRun     = "run "   // + the worker's id
	claimCancel  = "cancel" // cancelled before any worker began it
	claimExpired = "expired"
	claimStop    = "stop" // its context ended while it ran
)

const workersTTL = 15 * time.Second

// totalsMaxAge is how long the totals of a worker are kept after its last
// report, which a living worker renews with its heartbeat: the counts of
// a worker that stopped stay in the queue's totals for a week.
const totalsMaxAge = 7 * 24 * time.Hour

// claimsTTL is how long the claim of a task is kept. A claim matters
// while a delivery of its task may be in a worker's hands before the
// worker claims it, which takes moments; a task delivered again after its
// claim expired is claimed anew. Keeping claims short keeps the bucket
// small at any rate of tasks.
func claimsTTL(ackWait time.Duration) time.Duration { return max(time.Minute, 12*ackWait) }

// layout holds the handles of the streams and buckets, once made.
type layout struct {
	js      jetstream.JetStream
	tasks   jetstream.Stream
	claims  jetstream.KeyValue
	workers jetstream.KeyValue
	cfg     *config
	// replicas of the streams and consumers: cfg's, else those found
	replicas int
	// storage of the streams: memory when cfg says so, else as found, else
	// file
	storage jetstream.StorageType
	// retention of the streams: cfg's, else as found, else
	// DefaultRetention
	retention time.Duration
}

// ensure creates the streams and buckets, or updates them to the replicas,
// storage and retention that cfg gives; every executor and worker does it,
// so that any of them may come first.
func ensure(ctx context.Context, js jetstream.JetStream, cfg *config) (*layout, error) {
	l := &layout{js: js, cfg: cfg, replicas: cfg.replicas, storage: jetstream.FileStorage, retention: cfg.retention}
	if cfg.inMemory {
		l.storage = jetstream.MemoryStorage
	}
	// What is not given is kept as the layout in place has it, so that a
	// worker started without an option never undoes what an executor set.
	tasks, err := js.Stream(ctx, tasksStream)
	switch {
	case err == nil:
		have := tasks.CachedInfo().Config
		if l.replicas == 0 {
			l.replicas = max(1, have.Replicas)
		}
		if !cfg.inMemory {
			l.storage = have.Storage
		}
		if l.retention == 0 && have.MaxAge > 0 {
			l.retention = have.MaxAge
		}
	case errors.Is(err, jetstream.ErrStreamNotFound):
		l.replicas = max(1, l.replicas)
	default:
		return nil, fmt.Errorf("cluster: read the stream %s: %w", tasksStream, err)
	}
	if l.retention == 0 {
		l.retention = DefaultRetention
	}
	l.tasks, err = ensureStreamFound(ctx, js, tasks, jetstream.StreamConfig{
		Name:        tasksStream,
		Description: "multitask: tasks waiting for a worker, one subject per queue",
		Subjects:    []string{tasksPrefix + ">"},
		Retention:   jetstream.WorkQueuePolicy,
		Storage:     l.storage,
		Replicas:    l.replicas,
		MaxAge:      l.retention,
		Duplicates:  2 * time.Minute,
		AllowMsgTTL: true,
	})
	if err != nil {
		return nil, fmt.Errorf("cluster: create the stream %s: %w", tasksStream, err)
	}
	if _, err = ensureStream(ctx, js, jetstream.StreamConfig{
		Name:        resultsStream,
		Description: "multitask: results on their way to the executors that submitted the tasks",
		Subjects:    []string{resultsPrefix + ">"},
		// Each executor purges the results it has read, in bulk: a work
		// queue would remove each on its ack, and the file store replaces
		// its block file every time the stream runs empty.
		Retention:  jetstream.LimitsPolicy,
		Storage:    l.storage,
		Replicas:   l.replicas,
		MaxAge:     l.retention,
		Duplicates: 2 * time.Minute,
	}); err != nil {
		return nil, fmt.Errorf("cluster: create the stream %s: %w", resultsStream, err)
	}
	if _, err = ensureStream(ctx, js, jetstream.StreamConfig{
		Name:        deadStream,
		Description: "multitask: tasks that failed for good after retries, or whose deliveries ran out",
		Subjects:    []string{deadPrefix + ">"},
		Storage:     l.storage,
		Replicas:    l.replicas,
		MaxAge:      l.retention,
	}); err != nil {
		return nil, fmt.Errorf("cluster: create the stream %s: %w", deadStream, err)
	}
	if l.claims, err = ensureKeyValue(ctx, js, jetstream.KeyValueConfig{
		Bucket:      claimsBucket,
		Description: "multitask: which worker began a task, or that it was cancelled first",
		TTL:         claimsTTL(cfg.ackWait),
		Storage:     l.storage,
		Replicas:    l.replicas,
	}); err != nil {
		return nil, fmt.Errorf("cluster: create the bucket %s: %w", claimsBucket, err)
	}
	if l.workers, err = ensureKeyValue(ctx, js, jetstream.KeyValueConfig{
		Bucket:      workersBucket,
		Description: "multitask: the workers alive, each renewing its key",
		TTL:         workersTTL,
		// Stored as the rest: on file, a bucket in memory would be
		// missing from a server restarted from its store, and the
		// workers' beats would go nowhere.
		Storage:  l.storage,
		Replicas: l.replicas,
	}); err != nil {
		return nil, fmt.Errorf("cluster: create the bucket %s: %w", workersBucket, err)
	}
	return l, nil
}

// ensureStream creates the stream cfg names, or updates it when its
// configuration differs from cfg in what cfg sets. An update that changes
// nothing is not harmless: in nats-server v2.15 it races with a consumer
// being added to the stream, which other executors and workers starting
// at the same time do.
func ensureStream(ctx context.Context, js jetstream.JetStream, cfg jetstream.StreamConfig) (jetstream.Stream, error) {
	return ensureStreamFound(ctx, js, nil, cfg)
}

// ensureStreamFound is ensureStream for a stream the caller may have
// found already: found, or nil to look it up.
func ensureStreamFound(ctx context.Context, js jetstream.JetStream, found jetstream.Stream, cfg jetstream.StreamConfig) (jetstream.Stream, error) {
	s, err := found, error(nil)
	if s == nil {
		s, err = js.Stream(ctx, cfg.Name)
	}
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		s, err = js.CreateStream(ctx, cfg)
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			// Another starter made it first, perhaps as it was.
			s, err = js.Stream(ctx, cfg.Name)
		}
	}
	if err != nil {
		return nil, err
	}
	if have := s.CachedInfo().Config; have.Description == cfg.Description && slices.Equal(have.Subjects, cfg.Subjects) &&
		have.Retention == cfg.Retention && have.Storage == cfg.Storage && have.Replicas == cfg.Replicas &&
		have.MaxAge == cfg.MaxAge && (cfg.Duplicates == 0 || have.Duplicates == cfg.Duplicates) && have.AllowMsgTTL == cfg.AllowMsgTTL {
		return s, nil
	}
	return js.UpdateStream(ctx, cfg)
}

// ensureKeyValue creates the bucket cfg names, or updates it when its
// TTL, storage, replicas or description differ from cfg's, for the reason
// ensureStream gives.
func ensureKeyValue(ctx context.Context, js jetstream.JetStream, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	kv, err := js.KeyValue(ctx, cfg.Bucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		if kv, err = js.CreateKeyValue(ctx, cfg); err == nil {
			return kv, nil
		}
		if errors.Is(err, jetstream.ErrBucketExists) {
			kv, err = js.KeyValue(ctx, cfg.Bucket) // another starter made it first
		}
	}
	if err != nil {
		return nil, err
	}
	st, err := kv.Status(ctx)
	if err != nil {
		return nil, err
	}
	if bs, ok := st.(*jetstream.KeyValueBucketStatus); ok {
		if have := bs.StreamInfo().Config; have.Description == cfg.Description && have.MaxAge == cfg.TTL &&
			have.Storage == cfg.Storage && have.Replicas == max(cfg.Replicas, 1) {
			return kv, nil
		}
	}
	return js.UpdateKeyValue(ctx, cfg)
}

// consumer returns the durable consumer the workers of queue share.
func (l *layout) consumer(ctx context.Context, queue string) (jetstream.Consumer, error) {
	c, err := l.tasks.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:       "workers_" + queue,
		Description:   "multitask: the workers of queue " + queue,
		FilterSubject: tasksPrefix + queue,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       l.cfg.ackWait,
		MaxDeliver:    -1, // workers count deliveries themselves and end a task that ran out
		MaxAckPending: -1,
		MaxWaiting:    4096,
		Replicas:      l.replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("cluster: create the consumer of queue %q: %w", queue, err)
	}
	return c, nil
}

// totals returns the bucket of the workers' totals, made with cfg's
// replicas when it is missing. Only a worker that has ended a task calls
// it, so that New, and a worker that never ends one, do not pay the round
// trips.
func (l *layout) totals(ctx context.Context) (jetstream.KeyValue, error) {
	kv, err := ensureKeyValue(ctx, l.js, jetstream.KeyValueConfig{
		Bucket:      totalsBucket,
		Description: "multitask: the tasks each worker ended, as of its last report",
		// The bucket's TTL is its stream's MaxAge: each key lives that
		// long after its last write, so a stopped worker's counts stay.
		TTL:      totalsMaxAge,
		Storage:  l.storage,
		Replicas: l.replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("cluster: the bucket %s: %w", totalsBucket, err)
	}
	return kv, nil
}

// tally is what a worker ended, as the totals bucket holds it.
type tally struct {
	Done   int64 `json:"done"`   // with a result
	Failed int64 `json:"failed"` // with an error, dead tasks included
}

// queueTotals sums the totals the workers of queue last reported. A
// missing bucket means that no worker has ended a task yet.
func (l *layout) queueTotals(ctx context.Context, queue string) (tally, error) {
	var sum tally
	kv, err := l.js.KeyValue(ctx, totalsBucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		return sum, nil
	}
	if err != nil {
		return sum, fmt.Errorf("cluster: read the totals of queue %q: %w", queue, err)
	}
	w, err := kv.Watch(ctx, queue+".*", jetstream.IgnoreDeletes())
	if err != nil {
		return sum, fmt.Errorf("cluster: read the totals of queue %q: %w", queue, err)
	}
	defer w.Stop()
	// A key written while it is read comes twice: its last value counts.
	last := make(map[string]tally)
	for {
		select {
		case e, ok := <-w.Updates():
			if !ok {
				return sum, fmt.Errorf("cluster: read the totals of queue %q: the watch ended", queue)
			}
			if e == nil { // every key's value has come
				for _, t := range last {
					sum.Done += t.Done
					sum.Failed += t.Failed
				}
				return sum, nil
			}
			var t tally
			// A value no worker wrote is left out of the sums.
			if json.Unmarshal(e.Value(), &t) == nil {
				last[e.Key()] = t
			}
		case <-ctx.Done():
			return sum, fmt.Errorf("cluster: read the totals of queue %q: %w", queue, ctx.Err())
		}
	}
}

// objects returns the object store of big payloads, made on first use.
func (l *layout) objects(ctx context.Context) (jetstream.ObjectStore, error) {
	os, err := l.js.ObjectStore(ctx, objectsBucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		os, err = l.js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{
			Bucket:      objectsBucket,
			Description: "multitask: arguments and results too big for a message",
			TTL:         l.retention,
			Storage:     l.storage,
			Replicas:    l.replicas,
		})
	}
	if err != nil {
		return nil, fmt.Errorf("cluster: the object store %s: %w", objectsBucket, err)
	}
	return os, nil
}
