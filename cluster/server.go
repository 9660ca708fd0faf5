package cluster

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nuid"
)

// embedded is New's own nats-server.
type embedded struct {
	srv     *server.Server
	tempDir string // the store, when New made it; removed at stop
}

// startServer starts the embedded server cfg asks for, with JetStream (on
// a file store unless cfg keeps the streams in memory), listening only when
// cfg says so and then only securely.
func startServer(cfg *config) (*embedded, error) {
	if err := checkListen(cfg); err != nil {
		return nil, err
	}
	if cfg.inMemory && cfg.storeDir != "" {
		return nil, errors.New("cluster: InMemory keeps nothing on disk, and StoreDir names where to keep it: give one of them")
	}
	e := &embedded{}
	dir := cfg.storeDir
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "multitask-jetstream-"); err != nil {
			return nil, fmt.Errorf("cluster: a directory for the JetStream store: %w", err)
		}
		e.tempDir = dir
	}
	opts := &server.Options{
		ServerName: "multitask-" + nuid.Next(),
		JetStream:  true,
		StoreDir:   dir,
		NoSigs:     true,
		NoLog:      true,
		DontListen: cfg.listen == "",
		// The embedded server holds one account; an unbounded store
		// gives it what the disk has.
		JetStreamMaxStore:  -1,
		JetStreamMaxMemory: -1,
	}
	if cfg.listen != "" {
		host, port, _ := net.SplitHostPort(cfg.listen)
		opts.Host = host
		opts.Port, _ = strconv.Atoi(port)
		if opts.Port == 0 {
			opts.Port = server.RANDOM_PORT
		}
		if cfg.serverTLS != nil {
			tc := cfg.serverTLS.Clone()
			if tc.ClientCAs != nil && tc.ClientAuth == tls.NoClientCert {
				// The server asks for a client's certificate only as
				// ClientAuth says, whatever ClientCAs holds.
				tc.ClientAuth = tls.RequireAndVerifyClientCert
			}
			opts.TLSConfig = tc
			opts.TLS = true
			opts.TLSVerify = tc.ClientAuth == tls.RequireAndVerifyClientCert
			opts.TLSTimeout = 5
		}
	}
	for _, u := range cfg.users {
		opts.Users = append(opts.Users, &server.User{Username: u.user, Password: u.password})
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		e.removeDir()
		return nil, fmt.Errorf("cluster: the embedded server: %w", err)
	}
	srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		srv.Shutdown()
		e.removeDir()
		return nil, errors.New("cluster: the embedded server did not become ready within 10s")
	}
	e.srv = srv
	return e, nil
}

// checkListen refuses a listener without TLS and authentication, unless it
// is insecure on loopback by request.
func checkListen(cfg *config) error {
	if cfg.listen == "" {
		if cfg.serverTLS != nil {
			return errors.New("cluster: ServerTLS without Listen: the embedded server listens on no port")
		}
		return nil
	}
	host, port, err := net.SplitHostPort(cfg.listen)
	if err != nil {
		return fmt.Errorf("cluster: Listen(%q): %w", cfg.listen, err)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("cluster: Listen(%q): bad port %q", cfg.listen, port)
	}
	if cfg.serverTLS != nil && len(cfg.users) > 0 {
		return nil
	}
	if !cfg.insecure {
		return fmt.Errorf("%w: Listen(%q) without ServerTLS and ServerAuth; give Insecure() to listen on loopback without them", ErrInsecure, cfg.listen)
	}
	if !isLoopback(host) {
		return fmt.Errorf("%w: Insecure() listens only on a loopback address, not %q", ErrInsecure, host)
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// connect opens New's own connection to its embedded server, in process.
func (e *embedded) connect(cfg *config) (*nats.Conn, error) {
	opts := append(connOptions(), nats.InProcessServer(e.srv))
	if len(cfg.users) > 0 {
		opts = append(opts, nats.UserInfo(cfg.users[0].user, cfg.users[0].password))
	}
	nc, err := nats.Connect("", opts...)
	if err != nil {
		return nil, fmt.Errorf("cluster: connect to the embedded server: %w", err)
	}
	return nc, nil
}

// connOptions are the options of every connection: reconnect for as long
// as it takes, since tasks and results wait in streams meanwhile.
func connOptions() []nats.Option {
	return []nats.Option{
		nats.Name("multitask"),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(100 * time.Millisecond),
		nats.ReconnectJitter(100*time.Millisecond, 100*time.Millisecond),
		nats.RetryOnFailedConnect(false),
		// The connection's asynchronous errors (a write to a server that
		// died) are recovered from by reconnecting; they are not the
		// user's to read on stderr. NATSOptions may set a handler.
		nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {}),
	}
}

// dial connects to the servers at urls with cfg's credentials.
func dial(urls string, cfg *config) (*nats.Conn, error) {
	opts := append(connOptions(), cfg.natsOpts...)
	nc, err := nats.Connect(urls, opts...)
	if err != nil {
		return nil, fmt.Errorf("cluster: connect to %s: %w", urls, err)
	}
	return nc, nil
}

// ClientURL returns the URL at which the embedded server of an executor
// made by [New] with [Listen] accepts clients and workers, or "" when it
// listens on no port.
func (e *embedded) clientURL() string {
	if e == nil || e.srv.Addr() == nil {
		return ""
	}
	return e.srv.ClientURL()
}

func (e *embedded) stop() {
	if e == nil {
		return
	}
	e.srv.Shutdown()
	e.srv.WaitForShutdown()
	e.removeDir()
}

func (e *embedded) removeDir() {
	if e.tempDir != "" {
		os.RemoveAll(e.tempDir)
	}
}
