package cluster_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math"
	"math/big"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/multitask-go/multitask/cluster"
	"github.com/multitask-go/multitask/codec"
	"github.com/multitask-go/multitask/mp"
)

var (
	// countCalls counts its runs, so that a test can tell that nothing ran.
	countCalls atomic.Int64
	count      = mp.Register("cluster-test-count", func(ctx context.Context, x int) (int, error) {
		countCalls.Add(1)
		return x + 1, nil
	})
	failCalls  atomic.Int64
	errAlways  = errors.New("always fails")
	alwaysFail = mp.Register("cluster-test-always-fail", func(ctx context.Context, x int) (int, error) {
		failCalls.Add(1)
		return 0, errAlways
	})
)

func init() { mp.RegisterError("cluster-test.errAlways", errAlways) }

const (
	secUser = "alice"
	secPass = "correct horse battery staple"
)

// bounded returns a context that ends after a minute, so that a bug fails
// the test rather than hanging it.
func bounded(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// pki is a CA, a server certificate for 127.0.0.1 and a client
// certificate, written as PEM files in a temporary directory.
type pki struct {
	ca, clientCert, clientKey string // file names
	pool                      *x509.CertPool
	server, client            tls.Certificate
}

func newPKI(t *testing.T) *pki {
	t.Helper()
	dir := t.TempDir()
	write := func(name, kind string, der []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	newKey := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	serial := int64(0)
	sign := func(tmpl, parent *x509.Certificate, key, parentKey *ecdsa.PrivateKey) (*x509.Certificate, []byte) {
		serial++
		tmpl.SerialNumber = big.NewInt(serial)
		tmpl.NotBefore = time.Now().Add(-time.Hour)
		tmpl.NotAfter = time.Now().Add(time.Hour)
		if parent == nil {
			parent, parentKey = tmpl, key
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
		if err != nil {
			t.Fatal(err)
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		return cert, der
	}
	leaf := func(name string, key *ecdsa.PrivateKey, caCert *x509.Certificate, caKey *ecdsa.PrivateKey, usage x509.ExtKeyUsage) (tls.Certificate, string, string) {
		tmpl := &x509.Certificate{
			Subject:     pkix.Name{CommonName: name},
			KeyUsage:    x509.KeyUsageDigitalSignature,
			ExtKeyUsage: []x509.ExtKeyUsage{usage},
			IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
			DNSNames:    []string{"localhost"},
		}
		_, der := sign(tmpl, caCert, key, caKey)
		kder, err := x509.MarshalECPrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		certFile, keyFile := write(name+".pem", "CERTIFICATE", der), write(name+"-key.pem", "EC PRIVATE KEY", kder)
		pair, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			t.Fatal(err)
		}
		return pair, certFile, keyFile
	}

	caKey := newKey()
	caCert, caDER := sign(&x509.Certificate{
		Subject:               pkix.Name{CommonName: "multitask test CA"},
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}, nil, caKey, nil)
	p := &pki{ca: write("ca.pem", "CERTIFICATE", caDER), pool: x509.NewCertPool()}
	p.pool.AddCert(caCert)
	p.server, _, _ = leaf("server", newKey(), caCert, caKey, x509.ExtKeyUsageServerAuth)
	p.client, p.clientCert, p.clientKey = leaf("client", newKey(), caCert, caKey, x509.ExtKeyUsageClientAuth)
	return p
}

// serverTLS is the embedded server's TLS configuration; with mutual set,
// it asks clients for a certificate the CA signed, by setting ClientCAs
// only, as ServerTLS documents.
func (p *pki) serverTLS(mutual bool) *tls.Config {
	cfg := &tls.Config{Certificates: []tls.Certificate{p.server}, MinVersion: tls.VersionTLS12}
	if mutual {
		cfg.ClientCAs = p.pool
	}
	return cfg
}

// newSecure starts an executor whose embedded server listens on loopback
// with TLS and a password.
func newSecure(t *testing.T, p *pki, mutual bool, opts ...cluster.Option) *cluster.Executor {
	t.Helper()
	return newExecutor(t, append([]cluster.Option{cluster.Listen("127.0.0.1:0"),
		cluster.ServerTLS(p.serverTLS(mutual)), cluster.ServerAuth(secUser, secPass)}, opts...)...)
}

// connect is cluster.Connect, shut down at the end of the test when it
// succeeds.
func connect(t *testing.T, url string, opts ...cluster.Option) (*cluster.Executor, error) {
	t.Helper()
	ex, err := cluster.Connect(bounded(t), url, opts...)
	if err == nil {
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := ex.Shutdown(ctx); err != nil {
				t.Errorf("Shutdown: %v", err)
			}
		})
	}
	return ex, err
}

func TestListenRefusedWhenInsecure(t *testing.T) {
	p := newPKI(t)
	for _, tc := range []struct {
		name string
		opts []cluster.Option
	}{
		{"no TLS and no auth", []cluster.Option{cluster.Listen("127.0.0.1:0")}},
		{"Insecure on every IPv4 address", []cluster.Option{cluster.Listen("0.0.0.0:0"), cluster.Insecure()}},
		{"Insecure on every IPv6 address", []cluster.Option{cluster.Listen("[::]:0"), cluster.Insecure()}},
		{"Insecure on an empty host", []cluster.Option{cluster.Listen(":0"), cluster.Insecure()}},
		{"TLS without auth", []cluster.Option{cluster.Listen("127.0.0.1:0"), cluster.ServerTLS(p.serverTLS(false))}},
		{"auth without TLS", []cluster.Option{cluster.Listen("127.0.0.1:0"), cluster.ServerAuth(secUser, secPass)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ex, err := cluster.New(bounded(t), tc.opts...)
			if !errors.Is(err, cluster.ErrInsecure) {
				if ex != nil {
					ex.Shutdown(context.Background())
				}
				t.Fatalf("New: %v, want ErrInsecure", err)
			}
		})
	}
}

func TestTLSAndAuth(t *testing.T) {
	ctx := bounded(t)
	countCalls.Store(0)
	p := newPKI(t)
	srv := newSecure(t, p, false, cluster.Workers(0))
	url := srv.ClientURL()
	// A task waits for a worker: a refused client must not be able to
	// take it.
	queued := count.Submit(ctx, srv, 1)

	refused := []struct {
		name string
		opts []cluster.Option
		want error // nil: any error
	}{
		{"no credentials", []cluster.Option{cluster.ClientTLS(p.ca, "", "")}, nats.ErrAuthorization},
		{"wrong password", []cluster.Option{cluster.ClientTLS(p.ca, "", ""), cluster.UserInfo(secUser, "wrong")}, nats.ErrAuthorization},
		{"unknown user", []cluster.Option{cluster.ClientTLS(p.ca, "", ""), cluster.UserInfo("mallory", secPass)}, nats.ErrAuthorization},
		// nats.go upgrades to TLS when the server requires it, and then
		// cannot verify the server without the CA.
		{"no TLS", []cluster.Option{cluster.UserInfo(secUser, secPass)}, nil},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			ex, err := connect(t, url, append(tc.opts, cluster.Workers(1))...)
			if err == nil {
				t.Fatalf("Connect succeeded: %+v", ex.Stats())
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("Connect: %v, want %v", err, tc.want)
			}
			t.Logf("refused: %v", err)
		})
	}
	if n := countCalls.Load(); n != 0 {
		t.Fatalf("%d tasks ran after refused connections", n)
	}
	// A plain TCP connection that speaks no TLS is refused by the server
	// itself, whatever the client library does.
	rawClient(t, url, []byte("CONNECT {\"user\":\"alice\",\"pass\":\"correct horse battery staple\"}\r\nPUB multitask.tasks.default 2\r\nhi\r\n"))

	client, err := connect(t, url, cluster.ClientTLS(p.ca, "", ""), cluster.UserInfo(secUser, secPass), cluster.Workers(1))
	if err != nil {
		t.Fatal(err)
	}
	if v, err := queued.Result(ctx); err != nil || v != 2 {
		t.Fatalf("the queued task: %v, %v; want 2", v, err)
	}
	if v, err := count.Submit(ctx, client, 41).Result(ctx); err != nil || v != 42 {
		t.Fatalf("a task of the client: %v, %v; want 42", v, err)
	}
	if n := countCalls.Load(); n != 2 {
		t.Fatalf("%d runs, want 2", n)
	}
}

func TestMutualTLS(t *testing.T) {
	ctx := bounded(t)
	countCalls.Store(0)
	p := newPKI(t)
	other := newPKI(t)
	srv := newSecure(t, p, true, cluster.Workers(0))
	url := srv.ClientURL()
	queued := count.Submit(ctx, srv, 1)
	for _, tc := range []struct {
		name string
		opts []cluster.Option
	}{
		{"no client certificate", []cluster.Option{cluster.ClientTLS(p.ca, "", ""), cluster.UserInfo(secUser, secPass)}},
		{"a certificate of another CA", []cluster.Option{cluster.ClientTLS(p.ca, other.clientCert, other.clientKey), cluster.UserInfo(secUser, secPass)}},
		{"a certificate but no password", []cluster.Option{cluster.ClientTLS(p.ca, p.clientCert, p.clientKey)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if ex, err := connect(t, url, append(tc.opts, cluster.Workers(1))...); err == nil {
				t.Fatalf("Connect succeeded: %+v", ex.Stats())
			} else {
				t.Logf("refused: %v", err)
			}
		})
	}
	if n := countCalls.Load(); n != 0 {
		t.Fatalf("%d tasks ran after refused connections", n)
	}
	if _, err := connect(t, url, cluster.ClientTLS(p.ca, p.clientCert, p.clientKey), cluster.UserInfo(secUser, secPass), cluster.Workers(1)); err != nil {
		t.Fatal(err)
	}
	if v, err := queued.Result(ctx); err != nil || v != 2 {
		t.Fatalf("the queued task: %v, %v; want 2", v, err)
	}
}

// rawClient sends garbage to the server at url over plain TCP and checks
// that the server hangs up.
func rawClient(t *testing.T, rawURL string, garbage []byte) {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.DialTimeout("tcp", u.Host, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := conn.Write(garbage); err != nil {
		return // already hung up
	}
	buf := make([]byte, 4096)
	for {
		_, err := conn.Read(buf)
		if err == nil {
			continue
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatal("the server kept a connection that sent garbage")
		}
		return
	}
}

func TestGarbageBytes(t *testing.T) {
	ctx := bounded(t)
	countCalls.Store(0)
	p := newPKI(t)
	garbage := make([]byte, 64<<10)
	for i := range garbage {
		garbage[i] = byte(i*7 + i>>8)
	}
	for _, tc := range []struct {
		name string
		ex   func(t *testing.T) *cluster.Executor
	}{
		{"TLS", func(t *testing.T) *cluster.Executor { return newSecure(t, p, false, cluster.Workers(1)) }},
		{"insecure", func(t *testing.T) *cluster.Executor {
			return newExecutor(t, cluster.Listen("127.0.0.1:0"), cluster.Insecure(), cluster.Workers(1))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ex := tc.ex(t)
			rawClient(t, ex.ClientURL(), garbage)
			rawClient(t, ex.ClientURL(), []byte("PUB multitask.tasks.default 99999999999\r\n"))
			if n := countCalls.Load(); n != 0 {
				t.Fatalf("%d runs after garbage", n)
			}
			if v, err := count.Submit(ctx, ex, 1).Result(ctx); err != nil || v != 2 {
				t.Fatalf("a task after garbage: %v, %v", v, err)
			}
			countCalls.Store(0)
		})
	}
}

// intruder is a client with valid credentials that speaks to JetStream
// directly, as nats.go lets anyone.
type intruder struct {
	nc *nats.Conn
	js jetstream.JetStream
}

func newIntruder(t *testing.T, url string, p *pki) *intruder {
	t.Helper()
	js := jetStream(t, url, nats.Secure(&tls.Config{RootCAs: p.pool, MinVersion: tls.VersionTLS12}),
		nats.UserInfo(secUser, secPass))
	return &intruder{js.Conn(), js}
}

func (in *intruder) publish(t *testing.T, h nats.Header, data []byte) {
	t.Helper()
	m := &nats.Msg{Subject: "multitask.tasks.default", Header: h, Data: data}
	if _, err := in.js.PublishMsg(bounded(t), m); err != nil {
		t.Fatal(err)
	}
}

// drained waits until the workers have removed every task from the stream.
func (in *intruder) drained(t *testing.T) {
	t.Helper()
	ctx := bounded(t)
	s, err := in.js.Stream(ctx, "MULTITASK_TASKS")
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		info, err := s.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if info.State.Msgs == 0 {
			return
		}
	}
	t.Fatal("the worker left a task in the stream")
}

// result reads the result of task id published to subject, skipping any
// other.
func (in *intruder) result(t *testing.T, subject, id string) (status string, err error) {
	t.Helper()
	ctx := bounded(t)
	cons, err := in.js.CreateOrUpdateConsumer(ctx, "MULTITASK_RESULTS", jetstream.ConsumerConfig{
		FilterSubject: subject,
		AckPolicy:     jetstream.AckExplicitPolicy,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer in.js.DeleteConsumer(context.Background(), "MULTITASK_RESULTS", cons.CachedInfo().Name)
	for {
		msg, err := cons.Next(jetstream.FetchMaxWait(20 * time.Second))
		if err != nil {
			t.Fatalf("no result of %s on %s: %v", id, subject, err)
		}
		if err := msg.DoubleAck(ctx); err != nil {
			t.Fatal(err)
		}
		results, err := cluster.ParseResults(msg.Data())
		if err != nil {
			t.Fatalf("the results on %s: %v", subject, err)
		}
		for _, r := range results {
			if r.ID == id {
				return r.Status, mp.UnmarshalError(r.Data)
			}
		}
	}
}

// taskHeader is the header of a well-formed task of fn with id, whose
// result goes to reply; set changes it.
func taskHeader(id, fn, reply string, set ...string) nats.Header {
	h := nats.Header{}
	h.Set("Multitask-Id", id)
	h.Set("Multitask-Func", fn)
	h.Set("Multitask-Reply", reply)
	h.Set("Multitask-Retries", "0")
	h.Set("Multitask-Redeliveries", "0")
	for i := 0; i+1 < len(set); i += 2 {
		if set[i+1] == "" {
			h.Del(set[i])
		} else {
			h.Set(set[i], set[i+1])
		}
	}
	return h
}

func encode(t *testing.T, v any) []byte {
	t.Helper()
	b, err := codec.Default().Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGarbageTasks(t *testing.T) {
	ctx := bounded(t)
	p := newPKI(t)
	// One slot: a task that got the worker stuck would stop all others.
	ex := newSecure(t, p, false, cluster.Workers(1))
	in := newIntruder(t, ex.ClientURL(), p)
	const reply = "multitask.results.intruder"
	arg := encode(t, 1)
	countCalls.Store(0)

	refused := []struct {
		name string
		h    nats.Header
	}{
		{"no headers", nil},
		{"no id", taskHeader("", count.Name(), reply)},
		{"no function", taskHeader("t1", "", reply)},
		{"no reply", taskHeader("t2", count.Name(), "")},
		{"an id with a wildcard", taskHeader("t3.*", count.Name(), reply)},
		{"an id that is no key", taskHeader("t4!", count.Name(), reply)},
		{"an id with a space", taskHeader("t 5", count.Name(), reply)},
		{"a reply outside the results", taskHeader("t6", count.Name(), "_INBOX.x")},
		{"a reply to the tasks", taskHeader("t7", count.Name(), "multitask.tasks.default")},
		{"a reply with a wildcard", taskHeader("t8", count.Name(), "multitask.results.>")},
		{"a reply with a star", taskHeader("t9", count.Name(), "multitask.results.*")},
		{"a reply without an executor", taskHeader("t10", count.Name(), "multitask.results.")},
		{"a reply of two tokens", taskHeader("t11", count.Name(), "multitask.results.a.b")},
		{"a reply that only starts alike", taskHeader("t12", count.Name(), "multitask.resultsx")},
		{"negative retries", taskHeader("t13", count.Name(), reply, "Multitask-Retries", "-1")},
		{"a timeout that is no number", taskHeader("t14", count.Name(), reply, "Multitask-Timeout", "soon")},
		{"a backoff that is no duration", taskHeader("t15", count.Name(), reply, "Multitask-Backoff", "x,y")},
		{"a backoff below zero", taskHeader("t16", count.Name(), reply, "Multitask-Backoff", "-1s,1s")},
		{"a retry count too big", taskHeader("t17", count.Name(), reply, "Multitask-Retries", "99999999999999999999")},
	}
	// A task that wedges the worker fails every later case: stop at the
	// first.
	for _, tc := range refused {
		ok := t.Run(tc.name, func(t *testing.T) {
			in.publish(t, tc.h, arg)
			in.drained(t)
			if n := countCalls.Load(); n != 0 {
				t.Fatalf("the function ran %d times", n)
			}
		})
		if !ok {
			t.FailNow()
		}
	}

	failing := []struct {
		name string
		h    nats.Header
		data []byte
		want error // nil: any error
	}{
		{"an unregistered function", taskHeader("f1", "cluster-test-no-such-function", reply), arg, mp.ErrNotRegistered},
		{"an argument that is no CBOR", taskHeader("f2", count.Name(), reply), []byte{0xff, 0xfe, 0x00, 0x1c}, nil},
		{"an argument of another type", taskHeader("f3", count.Name(), reply), encode(t, "one"), nil},
		{"an empty argument", taskHeader("f4", count.Name(), reply), nil, nil},
		{"a chunk that is no CBOR", taskHeader("f5", count.Name(), reply, "Multitask-Chunk", "1"), []byte{0x9f, 0x9f, 0x9f}, nil},
		{"a chunk of another type", taskHeader("f6", count.Name(), reply, "Multitask-Chunk", "1"), encode(t, map[string]int{"a": 1}), nil},
		{"a deep nesting", taskHeader("f7", count.Name(), reply), deepArray(100000), nil},
	}
	for _, tc := range failing {
		ok := t.Run(tc.name, func(t *testing.T) {
			in.publish(t, tc.h, tc.data)
			status, err := in.result(t, reply, tc.h.Get("Multitask-Id"))
			if status != "error" || err == nil || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Fatalf("result: %q, %v; want an error result matching %v", status, err, tc.want)
			}
			t.Logf("error result: %v", err)
			in.drained(t)
			if n := countCalls.Load(); n != 0 {
				t.Fatalf("the function ran %d times", n)
			}
		})
		if !ok {
			t.FailNow()
		}
	}

	// The worker lives on.
	if v, err := count.Submit(ctx, ex, 1).Result(ctx); err != nil || v != 2 {
		t.Fatalf("a task after the garbage: %v, %v", v, err)
	}
	// A well-formed task from the intruder, whose result goes to another
	// executor's subject, is a task like any other.
	in.publish(t, taskHeader("ok1", count.Name(), reply), encode(t, 5))
	if status, err := in.result(t, reply, "ok1"); status != "ok" {
		t.Fatalf("a well-formed task: status %q, %v", status, err)
	}
}

// deepArray is CBOR for an array nested n deep.
func deepArray(n int) []byte {
	b := make([]byte, n+1)
	for i := range n {
		b[i] = 0x81 // an array of one item
	}
	b[n] = 0x01
	return b
}

// A task whose object is missing fails, rather than being delivered again
// at once for as many retries as its header claims.
func TestMissingObject(t *testing.T) {
	ctx := bounded(t)
	p := newPKI(t)
	ex := newSecure(t, p, false, cluster.Workers(1))
	in := newIntruder(t, ex.ClientURL(), p)
	const reply = "multitask.results.intruder"
	countCalls.Store(0)
	in.publish(t, taskHeader("m1", count.Name(), reply, "Multitask-Object", "no-such-object",
		"Multitask-Retries", "1000000000"), nil)
	status, err := in.result(t, reply, "m1")
	if status != "error" || err == nil {
		t.Fatalf("result: %q, %v; want an error", status, err)
	}
	t.Logf("error result: %v", err)
	if v, err := count.Submit(ctx, ex, 1).Result(ctx); err != nil || v != 2 {
		t.Fatalf("a task after it: %v, %v", v, err)
	}
}

// A stored argument that is a link to itself fails its task, rather than
// holding a worker's slot while the object store follows it forever.
func TestObjectLinkLoop(t *testing.T) {
	ctx := bounded(t)
	p := newPKI(t)
	ex := newSecure(t, p, false, cluster.Workers(1))
	in := newIntruder(t, ex.ClientURL(), p)
	const bucket, name, reply = "multitask_payloads", "loop", "multitask.results.intruder"
	if _, err := in.js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: bucket}); err != nil {
		t.Fatal(err)
	}
	meta, err := json.Marshal(jetstream.ObjectInfo{
		ObjectMeta: jetstream.ObjectMeta{Name: name, Opts: &jetstream.ObjectMetaOptions{
			Link: &jetstream.ObjectLink{Bucket: bucket, Name: name}}},
		Bucket: bucket, NUID: "loop",
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := in.js.Publish(ctx, "$O."+bucket+".M."+base64.URLEncoding.EncodeToString([]byte(name)), meta); err != nil {
		t.Fatal(err)
	}
	countCalls.Store(0)
	in.publish(t, taskHeader("l1", count.Name(), reply, "Multitask-Object", name), nil)
	status, err := in.result(t, reply, "l1")
	if status != "error" || err == nil {
		t.Fatalf("result: %q, %v; want an error", status, err)
	}
	t.Logf("error result: %v", err)
	if v, err := count.Submit(ctx, ex, 1).Result(ctx); err != nil || v != 2 || countCalls.Load() != 1 {
		t.Fatalf("a task after it: %v, %v, %d runs", v, err, countCalls.Load())
	}
}

// A retry's delay, doubled from a base near the largest duration, must not
// overflow into a negative one and crash the worker.
func TestHugeBackoff(t *testing.T) {
	ctx := bounded(t)
	p := newPKI(t)
	srv := newSecure(t, p, false, cluster.Workers(0))
	workerOpts := []cluster.Option{cluster.ClientTLS(p.ca, "", ""), cluster.UserInfo(secUser, secPass), cluster.Workers(1)}
	// A worker that comes and goes makes the workers' consumer.
	first, err := cluster.Connect(ctx, srv.ClientURL(), workerOpts...)
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	in := newIntruder(t, srv.ClientURL(), p)
	failCalls.Store(0)
	in.publish(t, taskHeader("h1", alwaysFail.Name(), "multitask.results.intruder",
		"Multitask-Retries", "5",
		"Multitask-Backoff", time.Duration(math.MaxInt64-1).String()+","+time.Duration(math.MaxInt64).String()), encode(t, 1))
	// The intruder takes the first delivery and gives it back, so that a
	// worker gets the second, whose retry doubles the base.
	cons, err := in.js.Consumer(ctx, "MULTITASK_TASKS", "workers_default")
	if err != nil {
		t.Fatal(err)
	}
	msg, err := cons.Next(jetstream.FetchMaxWait(20 * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if err := msg.Nak(); err != nil {
		t.Fatal(err)
	}
	worker, err := connect(t, srv.ClientURL(), workerOpts...)
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); failCalls.Load() == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the worker did not run the task")
		}
	}
	if v, err := count.Submit(ctx, worker, 1).Result(ctx); err != nil || v != 2 {
		t.Fatalf("a task after it: %v, %v", v, err)
	}
	if n := failCalls.Load(); n != 1 {
		t.Fatalf("%d runs, want 1", n)
	}
}
