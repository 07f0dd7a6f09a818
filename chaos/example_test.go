package chaos_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net"
	"strings"
	"time"

	"github.com/firedrill/firedrill/chaos"
)

// A timeline on an embedded Toxiproxy: 800 ms ± 200 ms of latency on the
// accounting proxy, with an outage in the middle; afterwards, nothing is
// left, and the audit log tells what happened.
func Example() {
	ctx := context.Background()
	tp, err := chaos.Embedded(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer tp.Close()

	upstream, err := net.Listen("tcp", "127.0.0.1:0") // the vendor
	if err != nil {
		log.Fatal(err)
	}
	defer upstream.Close()
	if _, err := tp.Proxy(ctx, "accounting", upstream.Addr().String()); err != nil {
		log.Fatal(err)
	}

	var audit bytes.Buffer
	tl, err := chaos.NewTimeline([]chaos.Event{
		{At: 0, For: 60 * time.Millisecond, Target: "accounting", Kind: "latency", Params: map[string]string{"latency": "800ms", "jitter": "200ms"}},
		{At: 20 * time.Millisecond, For: 20 * time.Millisecond, Target: "accounting", Kind: chaos.Down},
	}, chaos.WithToxiproxy(tp), chaos.WithAuditLog(&audit))
	if err != nil {
		log.Fatal(err)
	}
	if err := tl.Run(ctx); err != nil {
		log.Fatal(err)
	}

	// What each event did, in order.
	perEvent := map[int][]string{}
	sc := bufio.NewScanner(&audit)
	for sc.Scan() {
		var r chaos.AuditRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			log.Fatal(err)
		}
		if r.Event != nil {
			what := r.Action + " " + r.Outcome
			if r.Reason != "" {
				what += " (" + r.Reason + ")"
			}
			perEvent[*r.Event] = append(perEvent[*r.Event], what)
		}
	}
	fmt.Println("latency:", strings.Join(perEvent[0], ", "))
	fmt.Println("down:", strings.Join(perEvent[1], ", "))

	p, err := tp.Lookup(ctx, "accounting")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("afterwards: enabled=%v, %d toxics\n", p.Enabled, len(p.Toxics))
	// Output:
	// latency: apply ok, revert ok (ended)
	// down: apply ok, revert ok (ended)
	// afterwards: enabled=true, 0 toxics
}

func ExampleParseToxic() {
	t, err := chaos.ParseToxic("bandwidth", map[string]string{"rate": "1.5MB/s", "direction": "upstream"})
	fmt.Println(t.Kind, t.Stream, t.Attributes["rate"], "KB/s", err)

	_, err = chaos.ParseToxic("latency", map[string]string{"latency": "fast"})
	fmt.Println(err)
	// Output:
	// bandwidth upstream 1500 KB/s <nil>
	// chaos: toxic latency: parameter latency="fast": not a duration (want a duration like 500ms, 0s..1h0m0s)
}
