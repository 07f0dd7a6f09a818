package toolkit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// FaultsPath is where a mock's admin API manages its HTTP faults.
const FaultsPath = AdminPrefix + "faults"

// maxFaultBody bounds the JSON of one fault sent to the admin API.
const maxFaultBody = 64 << 10

// ParseHTTPFault reads one fault as the admin API takes it:
//
//	{"id": "outage", "kind": "status", "rate": 0.3, "operation": "createInvoice",
//	 "params": {"status": 503, "retry_after": "2s"}}
//
// Unknown fields are refused; parameter values may be strings, numbers or
// booleans; a rate, when given, must be in (0, 1] (absent means every
// request). The kind and its parameters are checked as FaultSet.Add does.
// Errors wrap ErrFaultInvalid and name the field (with line and column for
// JSON that does not parse).
func ParseHTTPFault(data []byte) (HTTPFault, error) {
	var wire struct {
		ID        string                     `json:"id"`
		Kind      string                     `json:"kind"`
		Rate      *float64                   `json:"rate"`
		Operation string                     `json:"operation"`
		Params    map[string]json.RawMessage `json:"params"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&wire); err != nil {
		return HTTPFault{}, fmt.Errorf("mocks: fault JSON: %s: %w", jsonErrorAt(data, err), ErrFaultInvalid)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return HTTPFault{}, fmt.Errorf("mocks: fault JSON: %s: text after the object: %w", lineCol(data, int(dec.InputOffset())), ErrFaultInvalid)
	}
	f := HTTPFault{ID: wire.ID, Kind: wire.Kind, Operation: wire.Operation}
	var errs []error
	if wire.Kind == "" {
		errs = append(errs, fmt.Errorf("mocks: fault JSON: field kind: required: %w", ErrFaultInvalid))
	}
	if strings.ContainsAny(wire.ID, "/?#% \t\r\n") {
		errs = append(errs, fmt.Errorf("mocks: fault JSON: field id: %q may not hold '/', '?', '#', '%%' or spaces: %w", wire.ID, ErrFaultInvalid))
	}
	if wire.Rate != nil {
		if !(*wire.Rate > 0 && *wire.Rate <= 1) {
			errs = append(errs, fmt.Errorf("mocks: fault JSON: field rate: %v is not in (0, 1] (leave it out to hit every request): %w", *wire.Rate, ErrFaultInvalid))
		}
		f.Rate = *wire.Rate
	}
	if len(wire.Params) > 0 {
		f.Params = make(map[string]string, len(wire.Params))
	}
	for k, raw := range wire.Params {
		v, err := paramText(raw)
		if err != nil {
			errs = append(errs, fmt.Errorf("mocks: fault JSON: field params.%s: %v: %w", k, err, ErrFaultInvalid))
			continue
		}
		f.Params[k] = v
	}
	if len(errs) > 0 {
		return HTTPFault{}, errors.Join(errs...)
	}
	if f.Kind != "" {
		if _, err := compileFault(0, f); err != nil {
			return HTTPFault{}, err
		}
	}
	return f, nil
}

// paramText turns a JSON string, number or boolean into a parameter's text.
func paramText(raw json.RawMessage) (string, error) {
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return "", err
	}
	switch v := v.(type) {
	case string:
		return v, nil
	case json.Number:
		return v.String(), nil
	case bool:
		return strconv.FormatBool(v), nil
	}
	return "", errors.New("must be a string, a number or a boolean")
}

// jsonErrorAt says where a decoding error is and what field it is about.
func jsonErrorAt(data []byte, err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return lineCol(data, int(syn.Offset)) + ": " + syn.Error()
	case errors.As(err, &typ):
		return lineCol(data, int(typ.Offset)) + ": field " + typ.Field + ": " + typ.Value + " where " + typ.Type.String() + " is expected"
	case errors.Is(err, io.EOF):
		return "empty body, want a JSON object"
	}
	return err.Error()
}

// lineCol names a byte offset of data as "line L, column C".
func lineCol(data []byte, offset int) string {
	offset = max(0, min(offset, len(data)))
	before := data[:offset]
	line := bytes.Count(before, []byte("\n")) + 1
	col := offset - bytes.LastIndexByte(before, '\n')
	return fmt.Sprintf("line %d, column %d", line, col)
}

// AdminHandler serves the fault part of a mock's admin API:
//
//	GET    /__firedrill/faults        the active faults, with their counts
//	POST   /__firedrill/faults        add one (ParseHTTPFault): 201, 400, 409
//	DELETE /__firedrill/faults        remove every fault
//	GET    /__firedrill/faults/{id}   one fault
//	DELETE /__firedrill/faults/{id}   remove one: 204, 404
func (fs *FaultSet) AdminHandler() http.Handler {
	return http.HandlerFunc(fs.serveAdmin)
}

func (fs *FaultSet) serveAdmin(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, FaultsPath)
	if !ok || (rest != "" && rest[0] != '/') {
		WriteProblem(w, http.StatusNotFound, Problem{Title: "No such admin endpoint", Detail: r.URL.Path})
		return
	}
	id := strings.TrimPrefix(rest, "/")
	if id == "" {
		fs.adminAll(w, r)
		return
	}
	if !AllowMethods(w, r, http.MethodGet, http.MethodDelete) {
		return
	}
	if r.Method == http.MethodDelete {
		if !fs.Remove(id) {
			WriteProblem(w, http.StatusNotFound, Problem{Title: "No such fault", Detail: id})
			return
		}
		w.WriteHeader(http.StatusNoContent)
		return
	}
	for _, f := range fs.List() {
		if f.ID == id {
			WriteJSON(w, http.StatusOK, f)
			return
		}
	}
	WriteProblem(w, http.StatusNotFound, Problem{Title: "No such fault", Detail: id})
}

func (fs *FaultSet) adminAll(w http.ResponseWriter, r *http.Request) {
	if !AllowMethods(w, r, http.MethodGet, http.MethodPost, http.MethodDelete) {
		return
	}
	switch r.Method {
	case http.MethodGet:
		WriteJSON(w, http.StatusOK, fs.List())
	case http.MethodDelete:
		fs.Clear()
		w.WriteHeader(http.StatusNoContent)
	default:
		data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxFaultBody))
		if err != nil {
			WriteProblem(w, http.StatusRequestEntityTooLarge, Problem{Title: "Fault unreadable", Detail: err.Error()})
			return
		}
		f, err := ParseHTTPFault(data)
		if err == nil {
			f.ID, err = fs.Add(f)
		}
		switch {
		case errors.Is(err, ErrFaultExists):
			WriteProblem(w, http.StatusConflict, Problem{Title: "Fault id in use", Detail: err.Error()})
		case err != nil:
			WriteProblem(w, http.StatusBadRequest, Problem{Title: "Invalid fault", Violations: faultViolations(err)})
		default:
			w.Header().Set("Location", FaultsPath+"/"+f.ID)
			for _, a := range fs.List() {
				if a.ID == f.ID {
					WriteJSON(w, http.StatusCreated, a)
					return
				}
			}
			WriteJSON(w, http.StatusCreated, ActiveFault{HTTPFault: f}) // removed meanwhile
		}
	}
}

// faultViolations lists each problem of a joined error as a violation.
func faultViolations(err error) []Violation {
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	out := make([]Violation, 0, len(errs))
	for _, e := range errs {
		msg := strings.TrimSuffix(e.Error(), ": "+ErrFaultInvalid.Error())
		out = append(out, Violation{In: "body", Message: strings.TrimPrefix(msg, "mocks: ")})
	}
	return out
}
