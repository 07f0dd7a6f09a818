package store

import (
	"errors"
	"fmt"
	"testing"
)

func TestFindByField(t *testing.T) {
	t.Parallel()
	s := New(Collection{Name: "customers", IDField: "id"})
	for i := range 5 {
		if _, err := s.Create("customers", nil, Record{"email": fmt.Sprintf("c%d@example.com", i), "n": i}); err != nil {
			t.Fatal(err)
		}
	}
	s.Create("customers", nil, Record{"email": "c3@example.com", "n": 99}) // a later duplicate
	rec, ok, err := s.Find("customers", "email", "c3@example.com")
	if err != nil || !ok || rec["n"] != 3 {
		t.Fatalf("Find = %v, %v, %v; want the first record with that email", rec, ok, err)
	}
	rec["email"] = "changed"
	if again, _, _ := s.Find("customers", "email", "c3@example.com"); again["email"] != "c3@example.com" {
		t.Error("Find returned the stored record itself, not a copy")
	}
	if _, ok, _ := s.Find("customers", "email", "nobody@example.com"); ok {
		t.Error("Find found a record that is not there")
	}
	id, _ := s.Snapshot("customers")
	s.Delete("customers", nil, fmt.Sprint(id[3]["id"]))
	if rec, ok, _ := s.Find("customers", "email", "c3@example.com"); !ok || rec["n"] != 99 {
		t.Errorf("after deleting the first, Find = %v %v; want the later one", rec, ok)
	}
	if _, _, err := s.Find("nope", "email", "x"); !errors.Is(err, ErrUnknownCollection) {
		t.Errorf("unknown collection: %v", err)
	}
}
