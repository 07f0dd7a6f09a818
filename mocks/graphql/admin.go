package graphql

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/firedrill/firedrill/mocks/store"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

// adminError is the admin API's refusal: a problem, as every mock's admin
// API answers.
func adminError(w http.ResponseWriter, status int, detail string) {
	toolkit.WriteProblem(w, status, toolkit.Problem{Title: http.StatusText(status), Detail: detail})
}

// serveAdmin answers under AdminPrefix:
//
//	GET    /__firedrill/health              200, a toolkit.Health (base_path is the GraphQL path; operations the root fields)
//	GET    /__firedrill/requests            the journal, oldest first, streamed (?operation= &method= &status= &since= &until=,
//	                                        RFC 3339; &after=SEQ &limit=N page it, see toolkit.ServeEntries)
//	DELETE /__firedrill/requests            empty the journal (no parameter: 400 naming any)
//	GET    /__firedrill/collections         the collections and their sizes (stateful mode)
//	GET    /__firedrill/collections/{name}  the records of a collection
//	POST   /__firedrill/collections/{name}  insert a JSON object (or an array of them) as a create mutation
//	                                        would: 201 with the stored record(s), webhooks sent (see Insert);
//	                                        400 naming the field the type refuses, 409 on a duplicate id
//	                                        (?webhooks=false: stored without them)
//	PATCH  /__firedrill/collections/{name}/{id} apply a JSON merge patch to one record as an update mutation
//	                                        would: 200 with the record, the webhook sent (?webhooks=false: none);
//	                                        404 when no record has the id, 400 naming a field the type refuses
//	PUT    /__firedrill/collections/{name}  replace the records with a JSON array (no webhooks)
//	DELETE /__firedrill/collections/{name}  remove every record
//	GET    /__firedrill/webhooks            the delivery queue (WithWebhooks); POST .../pause, .../resume, .../drain
func (m *Mock) serveAdmin(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, AdminPrefix)
	switch {
	case rest == "health":
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			adminError(w, http.StatusMethodNotAllowed, "health is GET")
			return
		}
		ops := 0
		for _, root := range []*ast.Definition{m.schema.Query, m.schema.Mutation, m.schema.Subscription} {
			if root == nil {
				continue
			}
			for _, f := range root.Fields {
				if !strings.HasPrefix(f.Name, "__") { // __schema and __type are not the contract's
					ops++
				}
			}
		}
		writeJSON(w, http.StatusOK, toolkit.Health{Status: "ok", Name: m.opts.name, BasePath: m.opts.path,
			Operations: ops, Stateful: m.state != nil, Requests: m.journal.Total(), Journal: m.journal.Stats()})
	case rest == "requests":
		m.serveRequests(w, r)
	case (rest == "webhooks" || strings.HasPrefix(rest, "webhooks/")) && m.opts.webhooks != nil:
		m.opts.webhooks.AdminHandler().ServeHTTP(w, r)
	case rest == "collections" || strings.HasPrefix(rest, "collections/"):
		m.serveCollections(w, r, strings.TrimPrefix(strings.TrimPrefix(rest, "collections"), "/"))
	default:
		adminError(w, http.StatusNotFound, "no admin endpoint "+r.URL.Path)
	}
}

func (m *Mock) serveRequests(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
	case http.MethodDelete:
		if vs := toolkit.ParseReset(r.URL.Query()); len(vs) > 0 {
			toolkit.WriteProblem(w, http.StatusBadRequest, toolkit.Problem{Title: "Bad journal reset", Violations: vs})
			return
		}
		m.journal.Reset()
		w.WriteHeader(http.StatusNoContent)
		return
	default:
		w.Header().Set("Allow", "GET, DELETE")
		adminError(w, http.StatusMethodNotAllowed, "requests is GET or DELETE")
		return
	}
	toolkit.ServeEntries(w, r, m.journal) // the toolkit's reader, so both mocks' journals answer alike
}

func (m *Mock) serveCollections(w http.ResponseWriter, r *http.Request, name string) {
	if m.state == nil {
		adminError(w, http.StatusNotFound, "collections exist in stateful mode only")
		return
	}
	st := m.state.store
	if coll, id, ok := strings.Cut(name, "/"); ok {
		m.serveUpdate(w, r, coll, id)
		return
	}
	if name == "" {
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", "GET")
			adminError(w, http.StatusMethodNotAllowed, "collections is GET")
			return
		}
		out := map[string]int{}
		for _, c := range st.Collections() {
			out[c] = st.Len(c)
		}
		writeJSON(w, http.StatusOK, out)
		return
	}
	if _, ok := st.Collection(name); !ok {
		adminError(w, http.StatusNotFound, "no collection "+strconv.Quote(name)+": collections are the types mutations return")
		return
	}
	switch r.Method {
	case http.MethodGet:
		recs, _ := st.Snapshot(name)
		if recs == nil {
			recs = []store.Record{}
		}
		writeJSON(w, http.StatusOK, recs)
	case http.MethodDelete:
		_ = st.Reset(name)
		w.WriteHeader(http.StatusNoContent)
	case http.MethodPost:
		m.serveInsert(w, r, name)
	case http.MethodPut:
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxRequestBody))
		var recs []store.Record
		if err == nil {
			err = decodeJSON(body, &recs)
		}
		if err != nil {
			adminError(w, http.StatusBadRequest, "the body must be a JSON array of objects: "+err.Error())
			return
		}
		_ = st.Reset(name)
		if err := st.Seed(name, recs); err != nil {
			status := http.StatusBadRequest
			if errors.Is(err, store.ErrConflict) {
				status = http.StatusConflict
			}
			adminError(w, status, err.Error())
			return
		}
		recs, _ = st.Snapshot(name)
		writeJSON(w, http.StatusOK, recs)
	default:
		w.Header().Set("Allow", "GET, POST, PUT, DELETE")
		adminError(w, http.StatusMethodNotAllowed, "a collection is GET, POST, PUT or DELETE")
	}
}
