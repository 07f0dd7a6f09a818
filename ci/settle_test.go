package ci

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// growing is a target that receives one more invoice per read, like an
// integration catching up.
func growing(reads *atomic.Int32, failFirst bool) Source {
	return SourceFunc(func(context.Context) ([]map[string]any, error) {
		n := int(reads.Add(1))
		if failFirst && n == 1 {
			return nil, errors.New("connection refused")
		}
		all := invoices()
		return all[:min(n, len(all))], nil
	})
}

func TestSettle(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		within    time.Duration
		failFirst bool
		passed    bool
		attempts  int32
	}{
		{"converges", 2 * time.Second, false, true, 3},
		{"converges after a read error", 2 * time.Second, true, true, 3},
		{"deadline first", 5 * time.Millisecond, false, false, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var reads atomic.Int32
			c := orderCheck(orders(), nil, ExactlyOnce)
			c.Target = growing(&reads, tt.failFirst)
			k, err := c.Compile()
			if err != nil {
				t.Fatal(err)
			}
			r, err := k.Settle(context.Background(), tt.within, 10*time.Millisecond)
			if err != nil {
				t.Fatal(err)
			}
			if r.Passed != tt.passed {
				t.Fatalf("passed=%v: %s", r.Passed, r.Reason)
			}
			if tt.passed && (r.Converged < 10*time.Millisecond || r.Attempts < 2) {
				t.Fatalf("converged=%s attempts=%d", r.Converged, r.Attempts)
			}
			if !tt.passed && (!strings.Contains(r.Reason, "not consistent within 5ms") || r.Converged != 0) {
				t.Fatalf("reason %q converged %s", r.Reason, r.Converged)
			}
			if tt.passed && !strings.Contains(r.Measured(), "converged after") {
				t.Fatalf("measured %q", r.Measured())
			}
		})
	}
}

func TestSettleCancelled(t *testing.T) {
	t.Parallel()
	c := orderCheck(orders(), nil, ExactlyOnce)
	c.Target = SourceFunc(func(context.Context) ([]map[string]any, error) { return nil, errors.New("down") })
	k, err := c.Compile()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = k.Settle(ctx, time.Hour, 5*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "down") || time.Since(start) > 5*time.Second {
		t.Fatalf("err=%v after %s", err, time.Since(start))
	}
}

func TestSettleAll(t *testing.T) {
	t.Parallel()
	var reads atomic.Int32
	good := orderCheck(orders(), nil, ExactlyOnce)
	good.Target = growing(&reads, false)
	bad := orderCheck(orders(), nil, ExactlyOnce)
	bad.Name = "down"
	bad.Target = SourceFunc(func(context.Context) ([]map[string]any, error) { return nil, errors.New("connection refused") })
	var ks []*Checker
	for _, c := range []Check{good, bad} {
		k, err := c.Compile()
		if err != nil {
			t.Fatal(err)
		}
		ks = append(ks, k)
	}
	rs, err := SettleAll(context.Background(), ks, 2*time.Second, 20*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), `check "down" did not settle`) || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("err = %v", err)
	}
	if !rs[0].Passed || rs[0].Check != "orders invoiced" {
		t.Fatalf("first check: %+v", rs[0])
	}
}

// A check whose only failures are mismatched fields, and whose counts have
// stopped moving, stops settling early; one still missing records waits
// the whole window, since the integration may yet catch up.
func TestSettleStopsEarlyOnStableMismatches(t *testing.T) {
	t.Parallel()
	wrong := invoices()
	for _, inv := range wrong {
		inv["amount_cents"] = 1
	}
	for _, c := range []struct {
		name   string
		target []map[string]any
		early  bool
	}{
		{"only mismatches", wrong, true},
		{"missing records", wrong[:len(wrong)-1], false},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			chk := orderCheck(orders(), nil, ExactlyOnce)
			chk.Target = SourceFunc(func(context.Context) ([]map[string]any, error) { return c.target, nil })
			chk.StableFor = 200 * time.Millisecond
			k, err := chk.Compile()
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			r, err := k.Settle(context.Background(), 3*time.Second, 20*time.Millisecond)
			took := time.Since(start)
			if err != nil || r.Passed {
				t.Fatalf("passed=%v err=%v", r.Passed, err)
			}
			if c.early != (took < 2*time.Second) || c.early != strings.Contains(r.Reason, "stopped settling") {
				t.Errorf("took %s, reason %q; want early=%v", took, r.Reason, c.early)
			}
		})
	}
}
