package cluster

// A Result is a result as a message of results carries it, for the tests
// that read them from the stream.
type Result struct {
	ID, Status string
	Data       []byte
}

// ParseResults reads the results of a message's data.
func ParseResults(data []byte) ([]Result, error) {
	rs, err := parseResults(data)
	out := make([]Result, len(rs))
	for i, r := range rs {
		out[i] = Result{ID: r.id, Status: r.status, Data: r.data}
	}
	return out, err
}

// ExecutorID is the id of e's client, which names its subjects.
func ExecutorID(e *Executor) string { return e.c.id }
