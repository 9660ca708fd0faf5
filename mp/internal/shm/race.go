//go:build race

package shm

// raceEnabled is true when the race detector runs: see Object.RaceRelease.
const raceEnabled = true
