//go:build !race

package cluster_test

// serverKilledTasks is how many tasks are in flight when TestServerKilled
// kills the server (see race_test.go for the race detector's count).
const serverKilledTasks = 20000
