//go:build !race

package mp

// raceEnabled is true when the race detector runs: see shm.raceRelease.
const raceEnabled = false
