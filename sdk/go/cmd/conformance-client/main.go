// Command conformance-client is the Go SDK's client under test of the
// conformance suite (conformance/README.md): it reads one CaseRequest per
// stdin line (proto3 JSON), runs every step through the SDK's high-level
// Client, and writes one StepResult line per step to stdout. Cases run
// concurrently; the steps of a case run in order.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sync"

	"google.golang.org/protobuf/encoding/protojson"

	conformancev1 "github.com/turtacn/open-vcluster-api/sdk/go/internal/gen/conformance/v1"
)

func main() {
	concurrency := flag.Int("concurrency", 8, "cases run at once")
	flag.Parse()
	if err := run(os.Stdin, os.Stdout, *concurrency); err != nil {
		fmt.Fprintln(os.Stderr, "conformance-client:", err)
		os.Exit(1)
	}
}

// run executes every case read from in, writing results to out; it returns
// once stdin is closed and every case has finished.
func run(in io.Reader, out io.Writer, concurrency int) error {
	emitter := &emitter{out: bufio.NewWriter(out)}
	reader := bufio.NewReaderSize(in, 1<<20)
	slots := make(chan struct{}, max(concurrency, 1))
	var wg sync.WaitGroup
	var readErr error
	for {
		line, err := reader.ReadBytes('\n')
		if len(line) > 0 && len(trimSpace(line)) > 0 {
			request := &conformancev1.CaseRequest{}
			if uerr := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(line, request); uerr != nil {
				readErr = fmt.Errorf("not a CaseRequest line: %w", uerr)
				break
			}
			slots <- struct{}{}
			wg.Go(func() {
				defer func() { <-slots }()
				runCase(request, emitter.emit)
			})
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			readErr = err
			break
		}
	}
	wg.Wait()
	return errors.Join(readErr, emitter.err)
}

// emitter writes StepResult lines one at a time.
type emitter struct {
	mu  sync.Mutex
	out *bufio.Writer
	err error
}

func (e *emitter) emit(result *conformancev1.StepResult) {
	line, err := protojson.Marshal(result)
	e.mu.Lock()
	defer e.mu.Unlock()
	if err != nil {
		e.err = errors.Join(e.err, err)
		return
	}
	_, _ = e.out.Write(line)
	_ = e.out.WriteByte('\n')
	if err := e.out.Flush(); err != nil {
		e.err = errors.Join(e.err, err)
	}
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r' || b[len(b)-1] == ' ') {
		b = b[:len(b)-1]
	}
	return b
}
