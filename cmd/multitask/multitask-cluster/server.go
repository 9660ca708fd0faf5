package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/multitask-go/multitask/cluster"
)

// server runs an embedded nats-server with JetStream until SIGINT or
// SIGTERM, and prints the URL it accepts clients at.
func server(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flagSet("server", stderr)
	listen := fs.String("listen", "127.0.0.1:4222", "accept clients and workers on `ADDR` (host:port; port 0 picks one)")
	insecure := fs.Bool("insecure", false, "listen without TLS and authentication, on a loopback address only")
	cert := fs.String("tls-cert", "", "the server's TLS certificate `FILE` (PEM)")
	key := fs.String("tls-key", "", "its key `FILE` (PEM)")
	ca := fs.String("tls-ca", "", "require client certificates signed by the CA certificates in `FILE`")
	user := fs.String("user", os.Getenv("MULTITASK_CLUSTER_USER"), "accept `USER` ($MULTITASK_CLUSTER_USER)")
	password := fs.String("password", os.Getenv("MULTITASK_CLUSTER_PASSWORD"), "with `PASSWORD` ($MULTITASK_CLUSTER_PASSWORD)")
	store := fs.String("store", "", "keep the queue in `DIR`, so that a restarted server finds it (default: a temporary directory)")
	jobs := fs.Int("j", 0, "run `N` jobs at once in the server's process too")
	var queue string
	addQueueFlag(fs, &queue)
	positional, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(positional) > 0 {
		return fmt.Errorf("%w: unexpected %q", errUsage, positional)
	}
	opts := []cluster.Option{cluster.Listen(*listen), cluster.Queue(queue), cluster.Workers(max(*jobs, 0))}
	if *insecure {
		opts = append(opts, cluster.Insecure())
	}
	if *cert != "" || *key != "" {
		cfg, err := serverTLS(*cert, *key, *ca)
		if err != nil {
			return err
		}
		opts = append(opts, cluster.ServerTLS(cfg))
	}
	if *user != "" || *password != "" {
		opts = append(opts, cluster.ServerAuth(*user, *password))
	}
	if *store != "" {
		opts = append(opts, cluster.StoreDir(*store))
	}
	if *jobs > 0 {
		rc, err := startReaper()
		if err != nil {
			return err
		}
		defer rc.Close()
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	ex, err := cluster.New(ctx, opts...)
	if errors.Is(err, cluster.ErrInsecure) {
		return fmt.Errorf("listening on %s needs TLS and authentication (--tls-cert, --tls-key, --user and --password); "+
			"--insecure listens without them, on a loopback address only", *listen)
	}
	if err != nil {
		return err
	}
	defer shutdown(ex)
	fmt.Fprintln(stdout, ex.ClientURL())
	<-ctx.Done()
	return nil
}

// serverTLS loads the server's certificate and, when ca is given, the CAs
// whose client certificates it requires.
func serverTLS(cert, key, ca string) (*tls.Config, error) {
	if cert == "" || key == "" {
		return nil, fmt.Errorf("%w: --tls-cert and --tls-key go together", errUsage)
	}
	pair, err := tls.LoadX509KeyPair(cert, key)
	if err != nil {
		return nil, err
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}
	if ca != "" {
		pem, err := os.ReadFile(ca)
		if err != nil {
			return nil, err
		}
		cfg.ClientCAs = x509.NewCertPool()
		if !cfg.ClientCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s holds no PEM certificate", ca)
		}
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return cfg, nil
}
