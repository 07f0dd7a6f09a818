package toolkit

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestFaultDrawIsExactAtItsRate(t *testing.T) {
	t.Parallel()
	for _, rate := range []float64{0.01, 0.05, 0.1, 0.3, 1.0 / 3, 0.5, 0.77, 0.999, 1} {
		for _, seed := range []int64{1, 2, 42} {
			key := faultKey(seed, "status-1")
			hits := 0
			for n := range uint64(2000) {
				if faultHit(key, rate, n) {
					hits++
				}
			}
			want := rate * 2000
			if math.Abs(float64(hits)-want) > 1 {
				t.Errorf("rate %v seed %d: %d hits over 2000 requests, want %v ± 1", rate, seed, hits, want)
			}
		}
	}
}

func TestFaultDrawIsAPureFunctionOfSeedIDAndN(t *testing.T) {
	t.Parallel()
	pattern := func(seed int64, id string) string {
		var b strings.Builder
		for n := range uint64(1000) {
			if faultHit(faultKey(seed, id), 0.3, n) {
				b.WriteByte('x')
			} else {
				b.WriteByte('.')
			}
		}
		return b.String()
	}
	a := pattern(7, "outage")
	if a != pattern(7, "outage") {
		t.Fatal("same seed and id gave different hits")
	}
	// Negative controls: another seed, another id, hit other requests.
	if a == pattern(8, "outage") {
		t.Error("seeds 7 and 8 hit the same requests")
	}
	if a == pattern(7, "other") {
		t.Error("ids outage and other hit the same requests")
	}
	// Hits are spread, not regular: some run of 3 hits in a row exists at
	// 30% over 1000 requests (a client's immediate retries can fail too).
	if !strings.Contains(a, "xxx") {
		t.Errorf("no three hits in a row: the draw looks periodic: %s", a[:200])
	}
	// decide (cached per block) agrees with the pure function, in order.
	fs := NewFaultSet(7)
	if _, err := fs.Add(HTTPFault{ID: "outage", Kind: FaultStatus, Rate: 0.3}); err != nil {
		t.Fatal(err)
	}
	f := fs.find("outage")
	for n := range 1000 {
		d := f.decide()
		if d.hit != (a[n] == 'x') || d.n != uint64(n) {
			t.Fatalf("request %d: decide %+v, pure function %c", n, d, a[n])
		}
	}
}

func TestFaultParamsAreChecked(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		f     HTTPFault
		field string // what the error must name; "" for a valid fault
	}{
		{"status default", HTTPFault{Kind: FaultStatus}, ""},
		{"status 429 with retry", HTTPFault{Kind: FaultStatus, Rate: 0.3, Params: map[string]string{"status": "429", "retry_after": "2"}}, ""},
		{"status 200", HTTPFault{Kind: FaultStatus, Params: map[string]string{"status": "200"}}, "params.status"},
		{"status text", HTTPFault{Kind: FaultStatus, Params: map[string]string{"status": "bad"}}, "params.status"},
		{"unknown param", HTTPFault{Kind: FaultStatus, Params: map[string]string{"code": "503"}}, "params.code"},
		{"rate above 1", HTTPFault{Kind: FaultStatus, Rate: 1.5}, "rate"},
		{"rate negative", HTTPFault{Kind: FaultStatus, Rate: -0.1}, "rate"},
		{"rate NaN", HTTPFault{Kind: FaultStatus, Rate: math.NaN()}, "rate"},
		{"unknown kind", HTTPFault{Kind: "explode"}, "kind"},
		{"rate_limited", HTTPFault{Kind: FaultRateLimited, Params: map[string]string{"retry_after": "3s", "limit": "50", "reset": "epoch", "limit_header": "X-Shopify-Limit"}}, ""},
		{"rate_limited reset", HTTPFault{Kind: FaultRateLimited, Params: map[string]string{"reset": "later"}}, "params.reset"},
		{"rate_limited header", HTTPFault{Kind: FaultRateLimited, Params: map[string]string{"limit_header": "X Limit"}}, "params.limit_header"},
		{"rate_limited zero retry", HTTPFault{Kind: FaultRateLimited, Params: map[string]string{"retry_after": "0s"}}, "params.retry_after"},
		{"slow", HTTPFault{Kind: FaultSlow, Params: map[string]string{"delay": "2s", "trickle": "1s"}}, ""},
		{"slow nothing", HTTPFault{Kind: FaultSlow}, "params.delay"},
		{"slow negative", HTTPFault{Kind: FaultSlow, Params: map[string]string{"delay": "-1s"}}, "params.delay"},
		{"slow too long", HTTPFault{Kind: FaultSlow, Params: map[string]string{"trickle": "2h"}}, "params.trickle"},
		{"slow chunks", HTTPFault{Kind: FaultSlow, Params: map[string]string{"delay": "1s", "chunks": "0"}}, "params.chunks"},
		{"truncated", HTTPFault{Kind: FaultTruncated, Params: map[string]string{"at": "0.25", "framing": "chunked"}}, ""},
		{"truncated at 1", HTTPFault{Kind: FaultTruncated, Params: map[string]string{"at": "1"}}, "params.at"},
		{"truncated framing", HTTPFault{Kind: FaultTruncated, Params: map[string]string{"framing": "gzip"}}, "params.framing"},
		{"malformed", HTTPFault{Kind: FaultMalformed, Params: map[string]string{"mode": "nan"}}, ""},
		{"malformed mode", HTTPFault{Kind: FaultMalformed, Params: map[string]string{"mode": "xml"}}, "params.mode"},
		{"bad_data", HTTPFault{Kind: FaultBadData, Params: map[string]string{"mode": "null"}}, ""},
		{"bad_data mode", HTTPFault{Kind: FaultBadData, Params: map[string]string{"mode": "wrong"}}, "params.mode"},
		{"expired", HTTPFault{Kind: FaultExpiredCredentials, Params: map[string]string{"challenge": `Bearer realm="x"`}}, ""},
		{"expired max", HTTPFault{Kind: FaultExpiredCredentials, Params: map[string]string{"max_credentials": "0"}}, "params.max_credentials"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := NewFaultSet(1).Add(tc.f)
			switch {
			case tc.field == "" && err != nil:
				t.Fatalf("valid fault refused: %v", err)
			case tc.field == "":
			case err == nil:
				t.Fatalf("invalid fault accepted, want an error naming %s", tc.field)
			case !errors.Is(err, ErrFaultInvalid):
				t.Fatalf("error %v does not wrap ErrFaultInvalid", err)
			case !strings.Contains(err.Error(), tc.field):
				t.Fatalf("error %q does not name %s", err, tc.field)
			}
		})
	}
}

func TestFaultSetAddRemoveList(t *testing.T) {
	t.Parallel()
	fs := NewFaultSet(1)
	a, err := fs.Add(HTTPFault{Kind: FaultStatus, Rate: 0.5})
	if err != nil || a != "status-1" {
		t.Fatalf("first id %q, %v", a, err)
	}
	if _, err := fs.Add(HTTPFault{ID: "status-2", Kind: FaultSlow, Params: map[string]string{"delay": "1ms"}}); err != nil {
		t.Fatal(err)
	}
	b, err := fs.Add(HTTPFault{Kind: FaultStatus}) // skips the taken status-2
	if err != nil || b != "status-3" {
		t.Fatalf("third id %q, %v", b, err)
	}
	if _, err := fs.Add(HTTPFault{ID: a, Kind: FaultStatus}); !errors.Is(err, ErrFaultExists) {
		t.Fatalf("duplicate id: %v, want ErrFaultExists", err)
	}
	l := fs.List()
	if len(l) != 3 || l[0].ID != a || l[0].Rate != 0.5 || l[2].Rate != 1 {
		t.Fatalf("list %+v", l)
	}
	if !fs.Remove("status-2") || fs.Remove("status-2") {
		t.Fatal("Remove should report true once, then false")
	}
	fs.Clear()
	if len(fs.List()) != 0 {
		t.Fatal("Clear left faults")
	}
}

func TestNewHTTPFaultReadsFlatParams(t *testing.T) {
	t.Parallel()
	f, err := NewHTTPFault(FaultStatus, map[string]string{"status": "503", "rate": "0.5", "operation": "listPets", "id": "outage"})
	if err != nil || f.Rate != 0.5 || f.Operation != "listPets" || f.ID != "outage" || len(f.Params) != 1 || f.Params["status"] != "503" {
		t.Fatalf("%+v, %v", f, err)
	}
	for _, bad := range []map[string]string{{"rate": "2"}, {"rate": "x"}, {"status": "600"}, {"nope": "1"}} {
		if _, err := NewHTTPFault(FaultStatus, bad); !errors.Is(err, ErrFaultInvalid) {
			t.Errorf("%v: %v, want ErrFaultInvalid", bad, err)
		}
	}
}

func TestFaultKinds(t *testing.T) {
	t.Parallel()
	want := []string{FaultBadData, FaultExpiredCredentials, FaultMalformed, FaultRateLimited, FaultSlow, FaultStatus, FaultTruncated}
	if got := FaultKinds(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("kinds %v, want %v", got, want)
	}
}
