package toolkit

import (
	"net/http"
	"strings"
	"time"
)

// Handler applies the set's faults to any handler, such as a GraphQL mock
// or a hand-written fake: the same kinds, rates and draws as Stage,
// with these differences, since h has no contract the set can read:
//
//   - a fault's Operation is matched against "METHOD /path", and the
//     names a handler in front gave with WithOperationNames;
//   - bad_data leaves answers alone (there is no schema to break);
//   - expired_credentials reads the Authorization header only, and
//     challenges with Bearer unless its challenge parameter says otherwise;
//   - h's own journal, if it keeps one, does not see which fault shaped an
//     answer: the set's List counts the hits.
//
// The admin API under AdminPrefix is never faulted: requests to FaultsPath
// go to the set's AdminHandler, the rest of the admin API to h.
//
// onFault, when not nil, is called after each answer a fault shaped, with
// the request and the label a mock's journal would show.
func (fs *FaultSet) Handler(h http.Handler, onFault func(r *http.Request, label string)) http.Handler {
	next := func(w http.ResponseWriter, x *Exchange) { h.ServeHTTP(w, x.Request) }
	admin := fs.AdminHandler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rest, ok := strings.CutPrefix(r.URL.Path, FaultsPath); ok && (rest == "" || rest[0] == '/') {
			admin.ServeHTTP(w, r)
			return
		}
		if strings.HasPrefix(r.URL.Path, AdminPrefix) {
			h.ServeHTTP(w, r)
			return
		}
		x := &Exchange{
			Request:   r,
			Operation: r.Method + " " + r.URL.Path,
			Template:  r.URL.Path,
			Entry:     &Entry{Time: time.Now(), Method: r.Method, Path: r.URL.Path},
		}
		if n, ok := r.Context().Value(fieldsKey{}).(operationNames); ok {
			x.Fields = append(n.fields, n.operation)
		}
		fs.serve(w, x, next)
		if x.Entry.Fault != "" && onFault != nil {
			onFault(r, x.Entry.Fault)
		}
	})
}

// Scoped reports whether an active fault names an operation: only then
// does a handler in front need to read which operation a request runs.
func (fs *FaultSet) Scoped() bool {
	for _, f := range *fs.faults.Load() {
		if f.spec.Operation != "" {
			return true
		}
	}
	return false
}
