// Command quickstart hashes files in parallel on a thread pool of futures,
// printing each result as it completes, then a summary in input order.
//
// Usage:
//
//	go run ./examples/quickstart [-workers N] [-timeout D] [dir]
//
// It walks dir (the current directory by default), submits one SHA-256 task
// per regular file, and shows the three ways to collect futures: as they
// complete (AsCompleted, for progress), all at once (Wait), and in input
// order (Map).
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"time"

	"github.com/multitask-go/multitask/futures"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// digest is the result of hashing one file.
type digest struct {
	path string
	size int64
	sum  string
}

func run(args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("quickstart", flag.ContinueOnError)
	flags.SetOutput(stderr)
	workers := flags.Int("workers", 0, "hashing goroutines (0: one per CPU)")
	timeout := flags.Duration("timeout", time.Minute, "give up after this long")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	root := "."
	if flags.NArg() > 0 {
		root = flags.Arg(0)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()

	paths, err := listFiles(root)
	if err != nil {
		fmt.Fprintln(stderr, "quickstart:", err)
		return 1
	}
	if len(paths) == 0 {
		fmt.Fprintf(stderr, "quickstart: no files under %s\n", root)
		return 1
	}

	pool := futures.NewThreadPool(*workers)
	defer pool.Shutdown(context.Background())
	fmt.Fprintf(stdout, "hashing %d files under %s on %d goroutines\n", len(paths), root, pool.Size())

	// Submit everything at once: each call returns a future immediately.
	fs := make([]*futures.Future[digest], len(paths))
	for i, p := range paths {
		fs[i] = futures.Submit(ctx, pool, func(ctx context.Context) (digest, error) {
			return hashFile(ctx, p)
		})
	}

	// Progress: futures in the order they finish.
	n := 0
	for f := range futures.AsCompleted(ctx, fs) {
		n++
		d, err := f.Result(ctx)
		if err != nil {
			fmt.Fprintf(stdout, "[%*d/%d] error: %v\n", width(len(fs)), n, len(fs), err)
			continue
		}
		fmt.Fprintf(stdout, "[%*d/%d] %s  %s\n", width(len(fs)), n, len(fs), d.sum[:12], d.path)
	}
	if err := ctx.Err(); err != nil {
		fmt.Fprintln(stderr, "quickstart: stopped:", err)
		return 1
	}

	// All done: Wait returns at once, and tells failures from successes.
	done, _, _ := futures.Wait(ctx, fs, futures.AllCompleted)
	var total int64
	failed := 0
	for _, f := range done {
		d, err := f.Result(ctx)
		if err != nil {
			failed++
			continue
		}
		total += d.size
	}

	// Map gives results in input order: here, the largest file's digest.
	size := func(ctx context.Context, p string) (int64, error) {
		info, err := os.Stat(p)
		if err != nil {
			return 0, err
		}
		return info.Size(), nil
	}
	largest, largestSize := "", int64(-1)
	i := 0
	for s, err := range futures.Map(ctx, pool, size, slices.Values(paths)) {
		if err == nil && s > largestSize {
			largest, largestSize = paths[i], s
		}
		i++
	}

	fmt.Fprintf(stdout, "%d files, %d bytes hashed, %d failed; largest: %s (%d bytes)\n",
		len(done)-failed, total, failed, largest, largestSize)
	if failed > 0 {
		return 1
	}
	return 0
}

// listFiles returns the regular files under root, skipping .git.
func listFiles(root string) ([]string, error) {
	var paths []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir() && d.Name() == ".git":
			return filepath.SkipDir
		case d.Type().IsRegular():
			paths = append(paths, p)
		}
		return nil
	})
	return paths, err
}

// hashFile returns the SHA-256 of the file at path. It stops early when ctx
// ends, since a task must heed its context: nothing else can stop it.
func hashFile(ctx context.Context, path string) (digest, error) {
	f, err := os.Open(path)
	if err != nil {
		return digest{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, ctxReader{ctx, f})
	if err != nil {
		return digest{}, fmt.Errorf("hash %s: %w", path, err)
	}
	return digest{path: path, size: n, sum: hex.EncodeToString(h.Sum(nil))}, nil
}

// ctxReader fails reads once ctx has ended.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, errors.Join(io.ErrUnexpectedEOF, err)
	}
	return c.r.Read(p)
}

func width(n int) int { return len(fmt.Sprint(n)) }
