package toolkit

import "testing"

// BenchmarkFaultDraw is the cost of deciding whether a request is hit.
func BenchmarkFaultDraw(b *testing.B) {
	fs := NewFaultSet(1)
	if _, err := fs.Add(HTTPFault{ID: "x", Kind: FaultStatus, Rate: 0.3}); err != nil {
		b.Fatal(err)
	}
	f := fs.find("x")
	for b.Loop() {
		f.decide()
	}
}
