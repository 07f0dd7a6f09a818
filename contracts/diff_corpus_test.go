package contracts

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/firedrill/firedrill/contracts/corpustest"
)

// TestDiffCorpus: every real contract compared with itself has no change
// and never crashes the diff; the versions one vendor published of one API
// (Adyen's payment, checkout and recurring services, from Swagger 2.0 in
// 2019 to OpenAPI 3.1 now) differ, breakingly, at lines that exist.
func TestDiffCorpus(t *testing.T) {
	t.Parallel()
	for _, p := range corpustest.Files(t, "openapi", "*") {
		t.Run(filepath.Base(p), func(t *testing.T) {
			start := time.Now()
			changes, err := DiffOpenAPI(context.Background(), p, p)
			if err != nil {
				t.Fatal(err)
			}
			if len(changes) > 0 {
				t.Errorf("against itself: %d changes, first %v", len(changes), changes[0])
			}
			t.Logf("%s", time.Since(start).Round(time.Millisecond))
		})
	}
	for _, pair := range [][2]string{
		{"adyen__swagger2-PaymentService-V30.2019.json", "adyen__PaymentService-v68.json"},
		{"adyen__oas30-PaymentService-v46.2019.yaml", "adyen__PaymentService-v68.json"},
		{"adyen__swagger2-CheckoutService-V32.2019.yaml", "adyen__CheckoutService-v71.json"},
		{"adyen__swagger2-RecurringService-V25.2019.json", "adyen__RecurringService-v68.json"},
	} {
		base, rev := corpustest.File(t, "openapi", pair[0]), corpustest.File(t, "openapi", pair[1])
		t.Run(pair[0]+"→"+pair[1], func(t *testing.T) {
			changes, err := DiffOpenAPI(context.Background(), base, rev)
			if err != nil {
				t.Fatal(err)
			}
			lines := map[string]int{}
			for _, f := range []string{base, rev} {
				data, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				lines[f] = bytes.Count(data, []byte("\n")) + 1
			}
			breaking, located := 0, 0
			for _, c := range changes {
				if c.Breaking() {
					breaking++
				}
				for _, pos := range []*Position{c.Base, c.Revision} {
					if pos == nil {
						continue
					}
					located++
					if n, ok := lines[pos.File]; !ok || pos.Line < 1 || pos.Line > n {
						t.Errorf("%v located outside its files: %v", c, pos)
					}
				}
			}
			if breaking == 0 {
				t.Errorf("%d changes, none breaking", len(changes))
			}
			if located == 0 {
				t.Errorf("%d changes, none located", len(changes))
			}
			t.Logf("%d changes, %d breaking, %d positions", len(changes), breaking, located)
		})
	}
}

// TestDiffGraphQLCorpus: every real GraphQL schema compared with itself
// has no change.
func TestDiffGraphQLCorpus(t *testing.T) {
	t.Parallel()
	for _, p := range corpustest.Files(t, "graphql", "*.graphql") {
		changes, err := DiffGraphQL(context.Background(), []string{p}, []string{p})
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if len(changes) > 0 {
			t.Errorf("%s against itself: %d changes, first %v", filepath.Base(p), len(changes), changes[0])
		}
	}
}
