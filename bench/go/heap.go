// heap.go — a Go program for heapscope's attach benchmark: a live heap of a
// given size, then obeys lines on standard input.
//
//	heap MIB     keep MIB MiB live (HeapAlloc, to within a few MiB): objects
//	             of 16 B to 8 KiB, half of them 16-64 B, every other one in a
//	             linked node with a pointer, all reachable from globals
//	lines:       "churn" starts one goroutine allocating short-lived 16-512 B
//	             objects in a loop; "count" answers "count N", the objects it
//	             has allocated so far; "exit" (or end of input) exits.
//
// It prints "ready PID" when the heap is built and collected once.
package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync/atomic"
)

type node struct {
	next *node
	data []byte
}

var (
	roots []*node
	raw   [][]byte
	sink  []byte
	count atomic.Int64
)

func build(mib int) {
	target := uint64(mib) << 20
	var ms runtime.MemStats
	sizes := []int{16, 24, 32, 48, 64, 96, 128, 256, 512, 1024, 2048, 4096, 8192}
	weights := []int{10, 10, 10, 10, 10, 8, 8, 8, 8, 6, 5, 4, 3}
	seed := uint32(1)
	pick := func() int {
		seed = seed*1664525 + 1013904223
		r := int(seed>>8) % 100
		for i, w := range weights {
			if r < w {
				return sizes[i]
			}
			r -= w
		}
		return sizes[0]
	}
	var head *node
	for i := 1; ; i++ {
		n := pick()
		if i%2 == 0 {
			head = &node{next: head, data: make([]byte, n)}
		} else {
			raw = append(raw, make([]byte, n))
		}
		if i%4096 == 0 {
			roots = append(roots, head)
			head = nil
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc >= target {
				break
			}
		}
	}
	roots = append(roots, head)
}

func churn() {
	for {
		for _, n := range []int{16, 32, 64, 128, 512} {
			sink = make([]byte, n)
			count.Add(1)
		}
	}
}

func main() {
	mib, _ := strconv.Atoi(os.Args[1])
	build(mib)
	runtime.GC()
	fmt.Println("ready", os.Getpid())
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		switch in.Text() {
		case "churn":
			go churn()
			fmt.Println("churning")
		case "count":
			fmt.Println("count", count.Load())
		case "exit":
			return
		}
	}
}
