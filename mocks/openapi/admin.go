package openapi

import (
	"net/http"
	"strings"

	"github.com/firedrill/firedrill/mocks/toolkit"
)

// The admin API, under AdminPrefix:
//
//	GET    /__firedrill/health                 200 {"status":"ok",...} once ready
//	GET    /__firedrill/requests?operation=&method=&status=&since=&until=&after=&limit=
//	                                           the journal, oldest first, streamed; after and limit
//	                                           page it (see toolkit.ServeEntries: next page in
//	                                           Firedrill-Next-After and Link)
//	DELETE /__firedrill/requests               empty the journal (no parameter: 400 naming any)
//	GET    /__firedrill/collections            the collections and their sizes
//	GET    /__firedrill/collections/{name}     every record
//	POST   /__firedrill/collections/{name}     insert a JSON object (or an array of them) as creates
//	                                           through the API would: 201 with the stored record(s);
//	                                           ?webhooks=false stores them without their webhooks
//	PATCH  /__firedrill/collections/{name}/{id} apply a JSON merge patch to one record as an update
//	                                           through the API would: 200 with the record; 404 when
//	                                           no record has the id; ?webhooks=false sends none
//	PUT    /__firedrill/collections/{name}     replace the records with a JSON array (no webhooks)
//	DELETE /__firedrill/collections/{name}     empty the collection
//
// POST is how records that do not come from the integration enter a
// vendor: a customer opening a ticket, an order placed in the shop's own
// front end. Each record is checked against its collection's item schema
// (400 naming the field), gets an id when it has none, is refused whole
// on a duplicate id (409), and sends the webhooks its create would send.
// Admin calls are not journaled: they are not the integration's traffic.
//
// With WithAuth, /__firedrill/auth (see toolkit.Auth.AdminHandler) and the
// OAuth2 token endpoint; with WithFaults, /__firedrill/faults (see
// toolkit.FaultSet.AdminHandler); with WithWebhooks, /__firedrill/webhooks
// (see toolkit.Webhooks.AdminHandler).
func (m *Mock) admin(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, toolkit.AdminPrefix)
	switch {
	case rest == "health":
		m.adminHealth(w, r)
	case rest == "requests":
		m.adminRequests(w, r)
	case rest == "collections" || strings.HasPrefix(rest, "collections/"):
		m.adminCollections(w, r, strings.TrimPrefix(strings.TrimPrefix(rest, "collections"), "/"))
	default:
		toolkit.WriteProblem(w, http.StatusNotFound, toolkit.Problem{Title: "No such admin endpoint", Detail: r.URL.Path})
	}
}

// frontRoute is an endpoint a vendor behaviour serves beside the contract's
// paths: an OAuth2 token endpoint, the admin API of auth or of webhooks.
type frontRoute struct {
	path   string
	prefix bool // also every path under path + "/"
	h      http.Handler
}

func (f frontRoute) match(p string) bool {
	return p == f.path || (f.prefix && strings.HasPrefix(p, f.path+"/"))
}

func (m *Mock) adminHealth(w http.ResponseWriter, r *http.Request) {
	if !toolkit.AllowMethods(w, r, http.MethodGet, http.MethodHead) {
		return
	}
	n := 0
	for _, rt := range m.routes {
		n += len(rt.ops)
	}
	toolkit.WriteJSON(w, http.StatusOK, toolkit.Health{Status: "ok", Name: m.name, BasePath: m.basePath, Operations: n, Stateful: m.stateful, Requests: m.journal.Total(), Journal: m.journal.Stats()})
}

func (m *Mock) adminRequests(w http.ResponseWriter, r *http.Request) {
	if !toolkit.AllowMethods(w, r, http.MethodGet, http.MethodDelete) {
		return
	}
	if r.Method == http.MethodDelete {
		if vs := toolkit.ParseReset(r.URL.Query()); len(vs) > 0 {
			toolkit.WriteProblem(w, http.StatusBadRequest, toolkit.Problem{Title: "Bad journal reset", Violations: vs})
			return
		}
		m.journal.Reset()
		w.WriteHeader(http.StatusNoContent)
		return
	}
	toolkit.ServeEntries(w, r, m.journal) // the toolkit's reader, so both mocks' journals answer alike
}

func (m *Mock) adminCollections(w http.ResponseWriter, r *http.Request, name string) {
	if !m.stateful {
		toolkit.WriteProblem(w, http.StatusNotFound, toolkit.Problem{Title: "No collections", Detail: "collections exist only in stateful mode (WithStateful, --stateful)"})
		return
	}
	if coll, id, ok := strings.Cut(name, "/"); ok {
		m.adminUpdate(w, r, coll, id)
		return
	}
	m.adminState(w, r, name)
}
