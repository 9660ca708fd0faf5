module github.com/multitask-go/multitask

go 1.26
