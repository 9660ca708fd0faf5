//go:build race

package cluster_test

// serverKilledTasks is how many tasks are in flight when TestServerKilled
// kills the server. The race detector makes each several times slower:
// 20,000 take most of a minute under it, and 5,000 exercise the same paths.
const serverKilledTasks = 5000
