package openapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/firedrill/firedrill/contracts"
	"github.com/firedrill/firedrill/mocks/internal/reqgen"
)

func jsonOf(tb testing.TB, resp *http.Response) map[string]any {
	tb.Helper()
	var v map[string]any
	if err := json.Unmarshal(readBody(tb, resp), &v); err != nil {
		tb.Fatalf("body is not a JSON object: %v", err)
	}
	return v
}

// validAnswer checks an in-process answer against the petstore contract.
func validAnswer(tb testing.TB, m *Mock, method, target string, resp *http.Response) {
	tb.Helper()
	c := m.contract
	req := httptest.NewRequest(method, target, nil)
	esc, _ := m.stripBase(req.URL.EscapedPath())
	op, params, _, ok := m.find(esc, method)
	if !ok || op == nil {
		tb.Fatalf("%s %s does not route", method, target)
	}
	rt := contracts.Route{Path: op.template, Method: op.method, PathItem: op.item, Operation: op.op, PathParams: params}
	if vs := contracts.NewValidator(c.Doc).ValidateResponse(context.Background(), req, rt, resp.StatusCode, resp.Header, readBody(tb, resp)); len(vs) > 0 {
		tb.Errorf("%s %s: the answer breaks the contract: %v", method, target, vs)
	}
}

func TestStatefulCRUD(t *testing.T) {
	t.Parallel()
	m := newPetstore(t, WithStateful(true))
	jsonCT := []string{key, "k", "Content-Type", "application/json"}

	resp := call(t, m, "POST", "/v1/pets", `{"name":"Rex","species":"dog","tags":["good"]}`, jsonCT...)
	if resp.StatusCode != 201 {
		t.Fatalf("create: %d %s", resp.StatusCode, readBody(t, resp))
	}
	validAnswer(t, m, "POST", "/v1/pets", resp)
	created := jsonOf(t, resp)
	if created["name"] != "Rex" || created["id"] == nil || created["created_at"] == nil {
		t.Fatalf("create answered %v: want the stored record with id and created_at", created)
	}
	id := fmt.Sprint(created["id"])
	item := "/v1/pets/" + id

	got := jsonOf(t, call(t, m, "GET", item, "", key, "k"))
	if got["name"] != "Rex" || fmt.Sprint(got["id"]) != id {
		t.Fatalf("get answered %v, want the created pet", got)
	}
	resp = call(t, m, "PATCH", item, `{"name":"Rexy","tags":null}`, key, "k", "Content-Type", "application/merge-patch+json")
	patched := jsonOf(t, resp)
	if patched["name"] != "Rexy" || patched["species"] != "dog" || patched["tags"] != nil {
		t.Fatalf("merge patch answered %v: want name changed, species kept, tags removed", patched)
	}
	resp = call(t, m, "PUT", item, `{"name":"Tom","species":"cat"}`, jsonCT...)
	replaced := jsonOf(t, resp)
	if replaced["species"] != "cat" || fmt.Sprint(replaced["id"]) != id || replaced["created_at"] != created["created_at"] {
		t.Fatalf("replace answered %v: want the new body with the id and creation time kept", replaced)
	}
	if resp := call(t, m, "DELETE", item, "", key, "k"); resp.StatusCode != 204 {
		t.Fatalf("delete: %d", resp.StatusCode)
	}
	resp = call(t, m, "GET", item, "", key, "k")
	if resp.StatusCode != 404 {
		t.Fatalf("get after delete: %d, want 404", resp.StatusCode)
	}
	if p := decodeProblem(t, resp); p.Status != 404 {
		t.Fatalf("404 problem %+v", p)
	}
	if resp := call(t, m, "PATCH", item, `{"name":"x"}`, key, "k", "Content-Type", "application/merge-patch+json"); resp.StatusCode != 404 {
		t.Fatalf("patch of a deleted pet: %d, want 404", resp.StatusCode)
	}
}

func TestStatefulListPaginates(t *testing.T) {
	t.Parallel()
	m := newPetstore(t, WithStateful(true))
	for i := range 25 {
		resp := call(t, m, "POST", "/v1/pets", fmt.Sprintf(`{"name":"pet%d","species":"fish"}`, i), key, "k", "Content-Type", "application/json")
		if resp.StatusCode != 201 {
			t.Fatalf("create %d: %d", i, resp.StatusCode)
		}
	}
	seen := map[string]bool{}
	for _, page := range []struct {
		query   string
		n       int
		hasMore bool
	}{{"limit=10", 10, true}, {"limit=10&offset=10", 10, true}, {"limit=10&offset=20", 5, false}} {
		target := "/v1/pets?" + page.query
		resp := call(t, m, "GET", target, "", key, "k")
		validAnswer(t, m, "GET", target, resp)
		body := jsonOf(t, resp)
		data, _ := body["data"].([]any)
		if len(data) != page.n || body["has_more"] != page.hasMore || body["total"] != float64(25) {
			t.Fatalf("%s: %d items, has_more %v, total %v; want %d, %v, 25", page.query, len(data), body["has_more"], body["total"], page.n, page.hasMore)
		}
		for _, d := range data {
			name := d.(map[string]any)["name"].(string)
			if seen[name] {
				t.Fatalf("%s listed twice", name)
			}
			seen[name] = true
		}
	}
	if len(seen) != 25 {
		t.Fatalf("walking the pages listed %d pets, want 25", len(seen))
	}
	if resp := call(t, m, "GET", "/v1/pets?limit=500", "", key, "k"); resp.StatusCode != 400 {
		t.Fatalf("a limit over the declared maximum answered %d, want 400", resp.StatusCode)
	}
}

// TestStatefulConcurrentWritesAreNeverLost creates and patches from many
// goroutines at once; every create must be listed and every patch kept.
func TestStatefulConcurrentWritesAreNeverLost(t *testing.T) {
	t.Parallel()
	m := newPetstore(t, WithStateful(true))
	const workers, each = 16, 40
	var wg sync.WaitGroup
	errs := make(chan string, workers*each)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				req := httptest.NewRequest("POST", "/v1/pets", strings.NewReader(fmt.Sprintf(`{"name":"w%d-%d","species":"cat"}`, w, i)))
				req.Header.Set(key, "k")
				req.Header.Set("Content-Type", "application/json")
				rec := httptest.NewRecorder()
				m.ServeHTTP(rec, req)
				if rec.Code != 201 {
					errs <- fmt.Sprintf("create: %d %s", rec.Code, rec.Body)
					continue
				}
				var pet map[string]any
				json.Unmarshal(rec.Body.Bytes(), &pet)
				req = httptest.NewRequest("PATCH", fmt.Sprintf("/v1/pets/%v", pet["id"]), strings.NewReader(`{"status":"sold"}`))
				req.Header.Set(key, "k")
				req.Header.Set("Content-Type", "application/merge-patch+json")
				rec = httptest.NewRecorder()
				m.ServeHTTP(rec, req)
				if rec.Code != 200 {
					errs <- fmt.Sprintf("patch: %d %s", rec.Code, rec.Body)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	recs, err := m.Store().Snapshot("pets")
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, r := range recs {
		ids[fmt.Sprint(r["id"])] = true
		if r["status"] != "sold" {
			t.Errorf("a patch was lost: %v", r)
		}
	}
	if len(recs) != workers*each || len(ids) != workers*each {
		t.Fatalf("%d records with %d distinct ids, want %d", len(recs), len(ids), workers*each)
	}
}

func TestAdminCollections(t *testing.T) {
	t.Parallel()
	m := newPetstore(t, WithStateful(true))
	resp := call(t, m, "PUT", "/__firedrill/collections/pets", `[{"id":5,"name":"Seeded","species":"bird","status":"available","created_at":"2024-01-01T00:00:00Z"}]`)
	if resp.StatusCode != 200 {
		t.Fatalf("seed: %d %s", resp.StatusCode, readBody(t, resp))
	}
	if got := jsonOf(t, call(t, m, "GET", "/v1/pets/5", "", key, "k")); got["name"] != "Seeded" {
		t.Fatalf("a seeded record is not served: %v", got)
	}
	var infos []CollectionInfo
	json.Unmarshal(readBody(t, call(t, m, "GET", "/__firedrill/collections", "")), &infos)
	if len(infos) == 0 || infos[0].Name != "pets" || infos[0].Records != 1 {
		t.Fatalf("collections %+v", infos)
	}
	var recs []map[string]any
	json.Unmarshal(readBody(t, call(t, m, "GET", "/__firedrill/collections/pets", "")), &recs)
	if len(recs) != 1 {
		t.Fatalf("snapshot %v", recs)
	}
	if resp := call(t, m, "DELETE", "/__firedrill/collections/pets", ""); resp.StatusCode != 204 || m.Store().Len("pets") != 0 {
		t.Fatalf("reset: %d, %d left", resp.StatusCode, m.Store().Len("pets"))
	}
	for _, bad := range []struct{ method, path, body string }{
		{"PUT", "/__firedrill/collections/pets", `{"not":"an array"}`},
		{"GET", "/__firedrill/collections/owners", ""},
		{"POST", "/__firedrill/collections/pets", ""},
	} {
		if resp := call(t, m, bad.method, bad.path, bad.body); resp.StatusCode < 400 || resp.StatusCode >= 500 {
			t.Errorf("%s %s answered %d, want a 4xx", bad.method, bad.path, resp.StatusCode)
		}
	}
	if resp := call(t, newPetstore(t), "GET", "/__firedrill/collections", ""); resp.StatusCode != 404 {
		t.Errorf("collections of a stateless mock answered %d, want 404", resp.StatusCode)
	}
}

// TestStatefulAnswersValidate runs every operation in stateful mode after
// one create, and validates each answer.
func TestStatefulAnswersValidate(t *testing.T) {
	t.Parallel()
	m := newPetstore(t, WithStateful(true))
	c := m.contract
	v := contracts.NewValidator(c.Doc)
	for _, op := range reqgen.Ops(c.Doc) {
		// Seed the pet the generated request names, so item operations find it.
		if resp := call(t, m, "PUT", "/__firedrill/collections/pets", `[{"id":1,"name":"A","species":"dog","status":"sold","created_at":"2024-01-01T00:00:00Z"}]`); resp.StatusCode != 200 {
			t.Fatalf("seed: %d", resp.StatusCode)
		}
		req, err := reqgen.Build(c.Doc, "http://127.0.0.1/v1", op, 1)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(op.Template, "{petId}") {
			req.URL.Path = "/v1/pets/1"
		}
		w := newRecorder()
		m.ServeHTTP(w, req)
		rt := contracts.Route{Path: op.Template, Method: op.Method, PathItem: op.PathItem, Operation: op.Operation}
		if w.code >= 400 {
			t.Errorf("%s: %d %s", op.Name(), w.code, w.body)
			continue
		}
		if vs := v.ValidateResponse(context.Background(), req, rt, w.code, w.header, w.body); len(vs) > 0 {
			t.Errorf("%s: %v", op.Name(), vs)
		}
	}
}
