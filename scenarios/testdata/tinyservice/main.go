// Command tinyservice is the smallest service under test for the start
// benchmarks: it answers /healthz on $TINY_ADDR, says so on stderr, and writes, to $TINY_FIRST,
// the time (Unix nanoseconds) of the first request that is not a health
// check.
package main

import (
	"fmt"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"
)

func main() {
	var once sync.Once
	first := os.Getenv("TINY_FIRST")
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		at := time.Now().UnixNano()
		once.Do(func() {
			if first != "" {
				_ = os.WriteFile(first, []byte(strconv.FormatInt(at, 10)), 0o644)
			}
		})
		w.WriteHeader(http.StatusOK)
	})
	// The line the docker runtime's tests wait for (wait_log).
	fmt.Fprintln(os.Stderr, "tinyservice: serving on", os.Getenv("TINY_ADDR"))
	if err := http.ListenAndServe(os.Getenv("TINY_ADDR"), mux); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
