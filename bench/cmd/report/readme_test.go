package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestREADMETablesMatchSavedResults regenerates the README's tables from the
// committed output of the run they come from, so that a figure edited by
// hand, or a run saved without its tables, fails here.
func TestREADMETablesMatchSavedResults(t *testing.T) {
	t.Parallel()
	saved, err := os.ReadFile(filepath.Join("..", "..", readmeResults))
	if err != nil {
		t.Fatalf("the README's tables come from bench/%s: %v", readmeResults, err)
	}
	readme := filepath.Join("..", "..", "..", "README.md")
	doc, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	sections, err := readmeSections(saved)
	if err != nil {
		t.Fatal(err)
	}
	want, err := rewriteReadme(doc, sections)
	if err != nil {
		t.Fatalf("README.md: %v", err)
	}
	if bytes.Equal(doc, want) {
		return
	}
	got, exp := strings.Split(string(doc), "\n"), strings.Split(string(want), "\n")
	for i := range min(len(got), len(exp)) {
		if got[i] != exp[i] {
			t.Fatalf("README.md line %d is not what bench/%s gives:\n got: %s\nwant: %s\n"+
				"Figures are not edited by hand: run `bash bench/run.sh -readme -input %s` to rewrite the tables "+
				"from the saved run, or `bash bench/run.sh -readme` to measure again.",
				i+1, readmeResults, got[i], exp[i], readmeResults)
		}
	}
	t.Fatalf("README.md has %d lines, bench/%s gives %d: run `bash bench/run.sh -readme -input %s`",
		len(got), readmeResults, len(exp), readmeResults)
}

// savedSample is a run as -readme saves it: the run's lines, go test's
// output, then the scripts'.
const savedSample = `run-date: 2026-01-02T03:04:05Z
run-took: 4m2s
run-command: bash bench/run.sh -readme -count 3
run-go: go1.26.0 linux/amd64
run-python: 3.11.7
run-cores: 2
run-gomaxprocs: 2
` + sample + processSample + syncSample + poolSample + queueSample + bigSample + clusterSample + pythonDask + `python_threadpool_100k_seconds 2.5
python_process_start_spawn_p50_seconds 0.1
python_sync_lock_ns_per_op 80
python_queue_int_msgs_per_second 100000
python_big_argument_parent_per_byte 1.0
`

func TestReadmeSections(t *testing.T) {
	t.Parallel()
	secs, err := readmeSections([]byte(savedSample))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string][]string{
		"pools": {
			"Measured 2026-01-02 on AMD EPYC, 2 cores, GOMAXPROCS 2; go1.26.0 linux/amd64, CPython 3.11.7. " +
				"Medians of 3 runs; the whole run took 4m2s. Reproduce: `bash bench/run.sh -readme -count 3`.",
			"| submit 200k tiny tasks, collect every result (ns/task) | **550** | 1000 | — | 900 | — | 250 |\n",
			"| 20k tasks of 1 µs CPU: efficiency (1.0 = all CPUs in task work) | 0.90 | — | **0.95** | — | — | — |\n",
			"costs 2.00 allocations",
			"CPython 3.11.7's `ThreadPoolExecutor` takes 50.0× as long as `futures.ThreadPool` for 100k submit + result (2.50 s against 50.0 ms",
		},
		"processes": {
			"| start a child, run a no-op, join it: `Spawn` (p50) | 3.50 ms | exec: 2.00 ms | 1.75 | 100 ms | 28.6 |\n",
			"| `Lock` + `Unlock` across processes, uncontended | 13.0 ns | `sync.Mutex`: 6.00 ns | 2.17 | 80.0 ns | 6.15 |\n",
			"| … a worker crashes: time to the next result (p50) | ",
			" | the pool is broken |  |\n",
			"| resident memory of an idle `Spawn` child | ",
		},
		"big": {
			"| as a pool task's argument (the other: the worker) | 0.20 | 1.00 | 1.06 | — |\n",
		},
		"codec": {"| payload | codec |"},
		"cluster": {
			"| tiny tasks, 2 worker processes (`Serve`), against New listening on loopback | 34.0 k tasks/s | " +
				"raw JetStream loop: 42.0 k tasks/s | 1.24 | 1.00 k tasks/s | 34.0 |\n",
			"| … 3 routed nats-servers, streams on all three (`Replicas(3)`) | 5.00 k tasks/s | `Replicas(1)`: 10.0 k tasks/s | 2.00 |  |  |\n",
			"| the same tiny tasks through `Map` (chunks of inputs), 2 worker processes; Dask: `client.map` | 1.00 M tasks/s |  |  | 1.00 k tasks/s | 1000 |\n",
			"| one task at a time, Submit → Result (p50) | 500 µs |  |  |  |  |\n",
			"| … with `InMemory` (p50) | — |  |  |  |  |\n",
			"the best of 3 runs of 2000",
		},
	} {
		for _, w := range want {
			if !strings.Contains(secs[name], w) {
				t.Errorf("section %s lacks %q:\n%s", name, w, secs[name])
			}
		}
	}
}

// TestReadmeMissingFigures checks that a run without a group, or without
// the scripts, gives dashes, not a failure.
func TestReadmeMissingFigures(t *testing.T) {
	t.Parallel()
	secs, err := readmeSections([]byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"pools":     "This run has no comparison with CPython's `ThreadPoolExecutor`.",
		"processes": "| a small message to a child over a `Pipe` and back | — | echo program: — |  |  |  |\n",
		"big":       "| as its result (the worker makes it) | — | — | — | — |\n",
		"codec":     "| — | — | — | — | — | — |",
		"cluster":   "| `New` until ready (p50) | — |  |  |  |  |\n",
	} {
		if !strings.Contains(secs[name], want) {
			t.Errorf("section %s lacks %q:\n%s", name, want, secs[name])
		}
	}
	if !strings.Contains(secs["pools"], "Measured unknown on AMD EPYC") {
		t.Errorf("pools section without the run's lines:\n%s", secs["pools"])
	}
}

func TestRewriteReadme(t *testing.T) {
	t.Parallel()
	sections := map[string]string{"a": "table A\n", "b": "| b |"}
	doc := "# Title\n\n<!-- bench:table a -->\nold A\n<!-- bench:end -->\ntext\n<!-- bench:table b -->\n<!-- bench:end -->\nend\n"
	want := "# Title\n\n<!-- bench:table a -->\n\ntable A\n\n<!-- bench:end -->\ntext\n<!-- bench:table b -->\n\n| b |\n\n<!-- bench:end -->\nend\n"
	got, err := rewriteReadme([]byte(doc), sections)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Fatalf("rewriteReadme:\n%s\nwant:\n%s", got, want)
	}
	again, err := rewriteReadme(got, sections)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, got) {
		t.Errorf("a second rewrite changed the README:\n%s\nwant:\n%s", again, got)
	}

	for _, c := range []struct{ name, doc, err string }{
		{"missing marker", "<!-- bench:table a -->\n<!-- bench:end -->\n", "no <!-- bench:table NAME --> marker for table b"},
		{"unknown table", doc + "<!-- bench:table c -->\n<!-- bench:end -->\n", `line 10: unknown table "c" (known: a, b)`},
		{"twice", doc + "<!-- bench:table a -->\n<!-- bench:end -->\n", `line 10: table "a" a second time`},
		{"no end", "<!-- bench:table a -->\n<!-- bench:end -->\n<!-- bench:table b -->\nx\n", `table "b" has no <!-- bench:end -->`},
		{"nested", "<!-- bench:table a -->\n<!-- bench:table b -->\n<!-- bench:end -->\n", `line 2: table "b" starts inside table "a"`},
		{"end alone", "x\n<!-- bench:end -->\n", "line 2: <!-- bench:end --> without a table marker"},
		{"malformed", "<!-- bench:table a\n", `line 1: malformed marker`},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := rewriteReadme([]byte(c.doc), sections)
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("rewriteReadme error = %v, want one with %q", err, c.err)
			}
		})
	}
}

// TestRunReadmeFromInput drives run with -readme -input: it rewrites the
// README's tables from the saved file, runs no script and saves nothing.
func TestRunReadmeFromInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	input := filepath.Join(dir, "readme.txt")
	readme := filepath.Join(dir, "README.md")
	var doc strings.Builder
	for _, name := range []string{"pools", "processes", "big", "codec", "cluster"} {
		doc.WriteString("## " + name + "\n\n<!-- bench:table " + name + " -->\nold\n<!-- bench:end -->\n\n")
	}
	if err := os.WriteFile(input, []byte(savedSample), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(readme, []byte(doc.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	// A python that does not exist would fail any script that ran.
	args := []string{"--readme", "-input", input, "-readme-file", readme, "-python", filepath.Join(dir, "none")}
	if code := run(context.Background(), args, &stdout, &stderr); code != 0 {
		t.Fatalf("run %q = %d, stderr:\n%s", args, code, stderr.String())
	}
	got, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	secs, err := readmeSections([]byte(savedSample))
	if err != nil {
		t.Fatal(err)
	}
	want, err := rewriteReadme([]byte(doc.String()), secs)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("README after run:\n%s\nwant:\n%s", got, want)
	}
	if strings.Contains(stderr.String(), "python") {
		t.Errorf("a script ran:\n%s", stderr.String())
	}
	// The scripts' figures in the input reach the report's tables too.
	if !strings.Contains(stdout.String(), "CPython takes 50.0× as long") {
		t.Errorf("report lacks CPython's figure from the input:\n%s", stdout.String())
	}
}
