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

// TestLocate: a record is found by its id alone, with the parent it is
// under; an id no record has is ErrNotFound, one records under two parents
// have is ErrConflict, and a deleted record is gone.
func TestLocate(t *testing.T) {
	t.Parallel()
	s := New(Collection{Name: "addresses", IDField: "id", IDParam: "id", ParentParams: []string{"customer_id"},
		ListPath: "/customers/{customer_id}/addresses", ItemPath: "/customers/{customer_id}/addresses/{id}"})
	if err := s.Seed("addresses", []Record{{"id": "a1", "customer_id": "c1", "city": "Lyon"},
		{"id": "a1", "customer_id": "c2"}, {"id": "a2", "customer_id": "c2", "city": "Oslo"}}); err != nil {
		t.Fatal(err)
	}
	parent, rec, err := s.Locate("addresses", "a2")
	if err != nil || len(parent) != 1 || parent[0] != "c2" || rec["city"] != "Oslo" {
		t.Fatalf("Locate a2 = %v, %v, %v; want it under c2", parent, rec, err)
	}
	if _, _, err := s.Locate("addresses", "a1"); !errors.Is(err, ErrConflict) {
		t.Errorf("an id under two parents: %v, want ErrConflict", err)
	}
	if _, _, err := s.Locate("addresses", "a9"); !errors.Is(err, ErrNotFound) {
		t.Errorf("an unknown id: %v, want ErrNotFound", err)
	}
	if err := s.Delete("addresses", []string{"c2"}, "a2"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Locate("addresses", "a2"); !errors.Is(err, ErrNotFound) {
		t.Errorf("a deleted record: %v, want ErrNotFound", err)
	}
}
