// binarytrees.go — the benchmark-game binary-trees program, written for
// heapscope's benchmarks so Go's own collector runs the same work as
// heapscope's `--workload binary-trees`: a stretch tree of depth n+1, a
// long-lived tree of depth n, then for d = 4, 6, ..., n, 2^(n-d+4) trees of
// depth d built and checked, each depth on its own goroutine.
//
// Usage: binarytrees DEPTH
package main

import (
	"fmt"
	"os"
	"strconv"
	"sync"
)

type node struct {
	left, right *node
}

func bottomUp(depth int) *node {
	if depth <= 0 {
		return &node{}
	}
	return &node{bottomUp(depth - 1), bottomUp(depth - 1)}
}

func (n *node) check() int {
	if n.left == nil {
		return 1
	}
	return 1 + n.left.check() + n.right.check()
}

func main() {
	n := 18
	if len(os.Args) > 1 {
		if v, err := strconv.Atoi(os.Args[1]); err == nil {
			n = v
		}
	}
	const minDepth = 4
	if n < minDepth+2 {
		n = minDepth + 2
	}
	stretch := n + 1
	fmt.Printf("stretch tree of depth %d\t check: %d\n", stretch, bottomUp(stretch).check())
	longLived := bottomUp(n)
	out := make([]string, n+1)
	var wg sync.WaitGroup
	for d := minDepth; d <= n; d += 2 {
		wg.Add(1)
		go func(depth int) {
			defer wg.Done()
			iterations := 1 << uint(n-depth+minDepth)
			check := 0
			for i := 0; i < iterations; i++ {
				check += bottomUp(depth).check()
			}
			out[depth] = fmt.Sprintf("%d\t trees of depth %d\t check: %d", iterations, depth, check)
		}(d)
	}
	wg.Wait()
	for d := minDepth; d <= n; d += 2 {
		fmt.Println(out[d])
	}
	fmt.Printf("long lived tree of depth %d\t check: %d\n", n, longLived.check())
}
