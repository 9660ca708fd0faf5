// Package bench compares the futures.ThreadPool of multitask with other Go
// goroutine pools (ants, pond, conc, errgroup) and with a bare channel pool,
// and, through python/threadpool.py, with CPython's ThreadPoolExecutor.
//
// The package holds no code of its own: the benchmarks are in its _test.go
// files and cmd/report runs them and prints ratios. It is a separate module
// so that the rivals never enter the library's go.mod. See README.md.
package bench
