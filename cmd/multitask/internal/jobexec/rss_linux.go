package jobexec

import (
	"bytes"
	"os"
	"strconv"
)

// treeRSS is the resident memory of process pid and its descendants, in
// bytes; processes that end while it reads are not counted.
func treeRSS(pid int) int64 {
	var total int64
	stack := []int{pid}
	page := int64(os.Getpagesize())
	for len(stack) > 0 {
		p := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if b, err := os.ReadFile("/proc/" + strconv.Itoa(p) + "/statm"); err == nil {
			if f := bytes.Fields(b); len(f) > 1 {
				pages, _ := strconv.ParseInt(string(f[1]), 10, 64)
				total += pages * page
			}
		}
		tasks, _ := os.ReadDir("/proc/" + strconv.Itoa(p) + "/task")
		for _, t := range tasks {
			b, _ := os.ReadFile("/proc/" + strconv.Itoa(p) + "/task/" + t.Name() + "/children")
			for _, c := range bytes.Fields(b) {
				if n, err := strconv.Atoi(string(c)); err == nil {
					stack = append(stack, n)
				}
			}
		}
	}
	return total
}
