package contracts

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"

	"github.com/oasdiff/oasdiff/checker"
	"github.com/oasdiff/oasdiff/diff"
)

// SeverityInfo ranks a Change that breaks no client.
const SeverityInfo Severity = "info"

// Change is one difference between two versions of an OpenAPI contract, as
// oasdiff's backward-compatibility checks judge it: an error breaks
// clients, a warning may, info does not.
type Change struct {
	Severity    Severity  `json:"severity"`
	Rule        string    `json:"rule"` // oasdiff's check id, e.g. request-parameter-became-required
	Method      string    `json:"method,omitempty"`
	Path        string    `json:"path,omitempty"` // the path template, as the revision writes it
	OperationID string    `json:"operation_id,omitempty"`
	Coordinate  string    `json:"coordinate,omitempty"` // GraphQL: the schema coordinate, "Customer.email", "Query.customers(first:)"
	Message     string    `json:"message"`
	Base        *Position `json:"base,omitempty"`     // where in the base (removals, modifications)
	Revision    *Position `json:"revision,omitempty"` // where in the revision (additions, modifications)
}

// Position is a place in a contract file.
type Position struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Column int    `json:"column,omitempty"`
}

func (p *Position) String() string {
	if p == nil {
		return ""
	}
	if p.Column > 0 {
		return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Column)
	}
	return fmt.Sprintf("%s:%d", p.File, p.Line)
}

// Operation is the change's operation as "METHOD /path", its schema
// coordinate for GraphQL, "" for a change of the whole document.
func (c Change) Operation() string {
	if c.Coordinate != "" {
		return c.Coordinate
	}
	if c.Method == "" {
		return c.Path
	}
	return c.Method + " " + c.Path
}

// String renders a change the way Problem does: where, severity, message.
func (c Change) String() string {
	loc := c.Revision.String()
	if loc == "" {
		loc = c.Base.String()
	}
	s := c.Message
	if op := c.Operation(); op != "" {
		s = op + ": " + s
	}
	if loc != "" {
		s = loc + ": " + string(c.Severity) + ": " + s
	} else {
		s = string(c.Severity) + ": " + s
	}
	return s + " [" + c.Rule + "]"
}

// Breaking reports whether the change breaks clients.
func (c Change) Breaking() bool { return c.Severity == SeverityError }

// DiffOpenAPI compares two versions of an OpenAPI contract (2.0, 3.0 or
// 3.1, each loaded as LoadOpenAPI does, tolerant and with located errors)
// with oasdiff's backward-compatibility checks and returns every change
// they find, errors first, then warnings, then info, each in operation
// order. A file that cannot be loaded is an error naming where.
func DiffOpenAPI(ctx context.Context, basePath, revisionPath string) ([]Change, error) {
	base, err := loadForDiff(ctx, basePath)
	if err != nil {
		return nil, err
	}
	rev, err := loadForDiff(ctx, revisionPath)
	if err != nil {
		return nil, err
	}
	return diffDocs(base, rev)
}

func loadForDiff(ctx context.Context, path string) (*OpenAPI, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("contracts: read contract: %w", err)
	}
	c, _, err := parseOpenAPIOrigins(ctx, path, data, true)
	return c, err
}

// diffDocs runs oasdiff on two loaded documents. oasdiff panics on some
// documents it does not expect; that is an error here, never a crash.
func diffDocs(base, rev *OpenAPI) (changes []Change, err error) {
	defer func() {
		if r := recover(); r != nil {
			changes, err = nil, fmt.Errorf("contracts: diff %s → %s: the diff engine failed on these documents: %v", base.Path, rev.Path, r)
		}
	}()
	d, err := diff.Get(diff.NewConfig(), base.Doc, rev.Doc)
	if err != nil {
		return nil, fmt.Errorf("contracts: diff %s → %s: %w", base.Path, rev.Path, err)
	}
	found := checker.CheckBackwardCompatibilityUntilLevel(checker.NewConfig(checker.GetAllChecks()), d, &diff.OperationsSourcesMap{}, checker.INFO)
	l := checker.NewDefaultLocalizer()
	changes = make([]Change, 0, len(found))
	for _, f := range found {
		c := Change{
			Severity: severityOf(f.GetLevel()), Rule: f.GetId(), Method: f.GetOperation(), Path: f.GetPath(),
			OperationID: f.GetOperationId(), Message: f.GetUncolorizedText(l),
		}
		if s := f.GetBaseSource(); s != nil && s.Line > 0 {
			c.Base = &Position{File: fileOf(s.File, base.Path), Line: s.Line, Column: s.Column}
		}
		if s := f.GetRevisionSource(); s != nil && s.Line > 0 {
			c.Revision = &Position{File: fileOf(s.File, rev.Path), Line: s.Line, Column: s.Column}
		}
		changes = append(changes, c)
	}
	sortChanges(changes)
	return changes, nil
}

// sortChanges orders changes breaking first, then warnings, then info,
// each in operation order.
func sortChanges(changes []Change) {
	rank := map[Severity]int{SeverityError: 0, SeverityWarning: 1, SeverityInfo: 2}
	sort.SliceStable(changes, func(i, j int) bool {
		a, b := changes[i], changes[j]
		if rank[a.Severity] != rank[b.Severity] {
			return rank[a.Severity] < rank[b.Severity]
		}
		if a.Coordinate != b.Coordinate {
			return a.Coordinate < b.Coordinate
		}
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.Method < b.Method
	})
}

func severityOf(l checker.Level) Severity {
	switch l {
	case checker.ERR:
		return SeverityError
	case checker.WARN:
		return SeverityWarning
	}
	return SeverityInfo
}

// fileOf is the file a source location names, the contract's own path
// when the loader recorded the root document under another name.
func fileOf(file, contract string) string {
	if file == "" || strings.HasSuffix(contract, file) || strings.HasSuffix(file, contract) {
		return contract
	}
	return file
}

var pathParam = regexp.MustCompile(`\{[^}]*\}`)

// OperationKey is how a diff and a journal name one operation: the method
// and the path template with its parameters unnamed ("GET /invoices/{}"),
// so that renaming a path parameter does not hide a change.
func OperationKey(method, template string) string {
	return strings.ToUpper(method) + " " + pathParam.ReplaceAllString(template, "{}")
}

// Affecting keeps the changes to the operations used (OperationKey names)
// and the changes of the whole document; the others are of operations the
// integration does not call.
func Affecting(changes []Change, used map[string]bool) []Change {
	var out []Change
	for _, c := range changes {
		if c.Path == "" || used[OperationKey(c.Method, c.Path)] {
			out = append(out, c)
		}
	}
	return out
}
