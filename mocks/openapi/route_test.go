package openapi

import (
	"net/url"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/firedrill/firedrill/mocks/toolkit"
)

// TestTwinTemplatesChosenByMethod: templates that differ only in their
// parameter names (Xero's attachments by id and by file name) are all
// served. A request goes to the twin that has its method, and among twins
// that both have it, to the one whose path parameters fit (a file name is
// not a uuid); its parameters carry that template's names, so the request
// validates. Only a method no twin has is a 405, whose Allow lists every
// twin's methods.
func TestTwinTemplatesChosenByMethod(t *testing.T) {
	t.Parallel()
	m, err := NewHandler(loadContract(t, filepath.Join("testdata", "twins.yaml")))
	if err != nil {
		t.Fatal(err)
	}
	const (
		invoice = "/api.xro/2.0/Invoices/0f7c5e26-5c2f-4b8e-9a51-3f1c1b3e8d10/Attachments/"
		byID    = invoice + "6a1e4c52-2c7e-4d2c-8f0e-5b9d8a7c6e21"
		byName  = invoice + "scan%201.pdf"
		quote   = "/api.xro/2.0/Quotes/Q-7/Attachments/terms.pdf"
		binary  = "application/octet-stream"
	)
	invoiceID := "0f7c5e26-5c2f-4b8e-9a51-3f1c1b3e8d10"
	tests := []struct {
		name       string
		method     string
		target     string
		wantStatus int
		wantOp     string
		wantParams map[string]string
		wantAllow  string
	}{
		{"PUT goes to the POST/PUT twin", "PUT", quote, 200, "createAttachmentByName",
			map[string]string{"Resource": "Quotes", "ResourceId": "Q-7", "AttachmentName": "terms.pdf"}, ""},
		{"POST goes to the POST/PUT twin", "POST", quote, 200, "updateAttachmentByName",
			map[string]string{"Resource": "Quotes", "ResourceId": "Q-7", "AttachmentName": "terms.pdf"}, ""},
		{"GET goes to the GET-only twin", "GET", quote, 200, "getAttachmentByFileName",
			map[string]string{"Resource": "Quotes", "ResourceID": "Q-7", "FileName": "terms.pdf"}, ""},
		{"a method no twin has", "DELETE", quote, 405, "", nil, "GET, POST, PUT"},
		{"GET by a uuid reads by id", "GET", byID, 200, "getInvoiceAttachmentById",
			map[string]string{"InvoiceID": invoiceID, "AttachmentID": "6a1e4c52-2c7e-4d2c-8f0e-5b9d8a7c6e21"}, ""},
		{"GET by a file name skips the uuid twin", "GET", byName, 200, "getInvoiceAttachmentByFileName",
			map[string]string{"InvoiceID": invoiceID, "FileName": "scan 1.pdf"}, ""},
		{"PUT by file name on the resource's own twin", "PUT", byName, 200, "createInvoiceAttachmentByFileName",
			map[string]string{"InvoiceID": invoiceID, "FileName": "scan 1.pdf"}, ""},
		{"every twin of every specificity in Allow", "PATCH", byName, 405, "", nil, "GET, POST, PUT"},
	}
	t.Run("requests", func(t *testing.T) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				resp := call(t, m, tt.method, tt.target, "%PDF-1.7", "Content-Type", binary)
				body := readBody(t, resp)
				if resp.StatusCode != tt.wantStatus {
					t.Fatalf("%s %s: status %d, want %d: %s", tt.method, tt.target, resp.StatusCode, tt.wantStatus, body)
				}
				if got := resp.Header.Get("Allow"); got != tt.wantAllow {
					t.Errorf("Allow %q, want %q", got, tt.wantAllow)
				}
				if tt.wantOp == "" {
					return
				}
				u, _ := url.Parse(tt.target)
				esc, _ := m.stripBase(u.EscapedPath())
				op, params, _, _ := m.find(esc, tt.method)
				if op == nil || op.id != tt.wantOp {
					t.Fatalf("routed to %v, want %s", op, tt.wantOp)
				}
				if diff := cmp.Diff(tt.wantParams, params); diff != "" {
					t.Errorf("path parameters (-want +got):\n%s", diff)
				}
			})
		}
	})
	for _, e := range m.Journal().Entries(toolkit.Filter{}) {
		if e.Status < 300 && !e.Valid {
			t.Errorf("%s %s answered %d on %s although the request breaks its contract: %v", e.Method, e.Path, e.Status, e.Operation, e.Violations)
		}
	}
}
