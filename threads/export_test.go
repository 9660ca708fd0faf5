package threads

// Unexported errors, exported for the external tests to match.
var (
	ErrNilFunc = errNilFunc
	ErrNilMain = errNilMain
)
