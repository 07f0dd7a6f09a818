package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/firedrill/firedrill/ci"
	"github.com/firedrill/firedrill/contracts"
	"github.com/firedrill/firedrill/mocks"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

type diffFlags struct {
	format string
	failOn string
	usedBy []string
	all    bool
}

func newContractDiffCmd(st *state) *cobra.Command {
	var f diffFlags
	cmd := &cobra.Command{
		Use:   "diff BASE REVISION",
		Short: "List what changed between two versions of a contract, breaking changes first",
		Long: `diff compares two versions of a vendor's contract and lists each change with
its severity, operation and the line it is at: error (breaks clients: an
endpoint or field removed, a parameter that became required, a new required
property or argument...), warning (may break them: a new enum value in a
response...) and info (compatible; listed with --all). OpenAPI (2.0, 3.0 or
3.1, YAML or JSON) is judged by oasdiff's backward-compatibility checks;
GraphQL SDL by the type system's rules (what clients read may only become
stricter, what they send only looser).

--used-by narrows the list to what an integration really uses, read from the
journals firedrill run writes (RUN_FOLDER/journal-SYSTEM.jsonl): the
operations it called, or for GraphQL the fields its queries selected and the
inputs they sent. "Does the vendor's next version break us?" rather than
"does it break anyone?".

Exit status: 0 when nothing at or above --fail-on changed, 1 when something
did, 2 when a file cannot be read or loaded or the command line is wrong.`,
		Example: `  firedrill contract diff vendor/accounting-2026-01.yaml vendor/accounting-2026-07.yaml
  firedrill contract diff old.json new.json --used-by runs/demo/journal-accounting.jsonl
  firedrill contract diff crm.graphql crm-next.graphql --used-by runs/demo/journal-crm.jsonl
  firedrill contract diff old.yaml new.yaml --format markdown --fail-on warning > diff.md`,
		Args: usageArgs(func(_ *cobra.Command, args []string) error {
			if len(args) != 2 {
				return fmt.Errorf("contract diff: want two contracts, BASE and REVISION; got %d", len(args))
			}
			return nil
		}),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runContractDiff(cmd, st, args[0], args[1], f)
		},
	}
	cmd.Flags().StringVar(&f.format, "format", "text", "output format: text, markdown (a table, for a pull request) or json")
	cmd.Flags().StringVar(&f.failOn, "fail-on", "error", "exit 1 when a change of this severity or worse is listed: error, warning, info or none")
	cmd.Flags().StringArrayVar(&f.usedBy, "used-by", nil, "keep the changes to what this journal (journal-SYSTEM.jsonl of a run folder) records the integration using: operations, or GraphQL fields and inputs (repeatable)")
	cmd.Flags().BoolVar(&f.all, "all", false, "list compatible (info) changes too")
	return cmd
}

func runContractDiff(cmd *cobra.Command, st *state, base, rev string, f diffFlags) error {
	var errs []error
	if f.format != "text" && f.format != "json" && f.format != "markdown" {
		errs = append(errs, fmt.Errorf("--format %q: want text, markdown or json", f.format))
	}
	rank := map[string]int{"error": 0, "warning": 1, "info": 2, "none": -1}
	failRank, ok := rank[f.failOn]
	if !ok {
		errs = append(errs, fmt.Errorf("--fail-on %q: want error, warning, info or none", f.failOn))
	}
	gql := (mocks.KindOf(base) == mocks.KindGraphQL)
	if (mocks.KindOf(rev) == mocks.KindGraphQL) != gql {
		errs = append(errs, fmt.Errorf("%s and %s: one is a GraphQL schema, the other is not; diff compares two versions of one contract", base, rev))
	}
	if err := errors.Join(errs...); err != nil {
		return ci.WithExit(ci.ExitUsage, fmt.Errorf("contract diff: %w", err))
	}
	var (
		all, changes []contracts.Change
		used         int
		err          error
	)
	if gql {
		all, changes, used, err = diffGraphQL(cmd.Context(), base, rev, f.usedBy)
	} else {
		all, changes, used, err = diffOpenAPI(cmd.Context(), base, rev, f.usedBy)
	}
	if err != nil {
		if st.interrupted() {
			return ci.WithExit(ci.ExitInterrupted, err)
		}
		return ci.WithExit(ci.ExitUsage, fmt.Errorf("contract diff: %w", err))
	}
	r := diffReport{Base: base, Revision: rev, Total: len(all), Used: used, UsedWhat: "operation", Changes: []contracts.Change{}}
	if gql {
		r.UsedWhat = "field"
	}
	for _, c := range changes {
		switch c.Severity {
		case contracts.SeverityError:
			r.Breaking++
		case contracts.SeverityWarning:
			r.Warnings++
		default:
			r.Info++
			if !f.all {
				continue
			}
		}
		r.Changes = append(r.Changes, c)
	}
	if err := r.write(st.stdout, f.format, f.all); err != nil {
		return ci.WithExit(ci.ExitSetup, err)
	}
	if os.Getenv("GITHUB_ACTIONS") == "true" && f.format != "json" {
		r.annotate(st.stdout)
	}
	if failRank >= 0 && (r.Breaking > 0 || failRank >= 1 && r.Warnings > 0 || failRank >= 2 && r.Info > 0) {
		return ci.WithExit(ci.ExitFail, errReported)
	}
	return nil
}

// diffOpenAPI diffs two OpenAPI contracts and keeps the changes to the
// operations the journals record calls to (all of them without journals).
func diffOpenAPI(ctx context.Context, base, rev string, journals []string) (all, kept []contracts.Change, used int, err error) {
	ops := map[string]bool{}
	if err := eachCall(journals, "an OpenAPI", func(e toolkit.Entry) (bool, error) {
		if e.Template == "" || e.Method == "" {
			return false, nil
		}
		ops[contracts.OperationKey(e.Method, e.Template)] = true
		return true, nil
	}); err != nil {
		return nil, nil, 0, err
	}
	if all, err = contracts.DiffOpenAPI(ctx, base, rev); err != nil || len(journals) == 0 {
		return all, all, 0, err
	}
	return all, contracts.Affecting(all, ops), len(ops), nil
}

// diffGraphQL diffs two GraphQL schemas and keeps the changes to what the
// queries the journals record select and send.
func diffGraphQL(ctx context.Context, base, rev string, journals []string) (all, kept []contracts.Change, used int, err error) {
	if all, err = contracts.DiffGraphQL(ctx, []string{base}, []string{rev}); err != nil || len(journals) == 0 {
		return all, all, 0, err
	}
	schema, err := contracts.LoadGraphQL(ctx, base)
	if err != nil {
		return nil, nil, 0, err
	}
	var usage contracts.GraphQLUsage
	if err := eachCall(journals, "a GraphQL", func(e toolkit.Entry) (bool, error) {
		var req struct {
			Query string `json:"query"`
		}
		if json.Unmarshal(e.Body, &req) != nil || req.Query == "" {
			return false, nil // a GET, or a body the journal cut short
		}
		return true, usage.UseGraphQL(schema, req.Query)
	}); err != nil {
		return nil, nil, 0, err
	}
	return all, contracts.AffectingGraphQL(all, usage), len(usage.Fields), nil
}

// eachCall hands use every call an integration made that the journals
// record (not the webhooks the mock delivered); use says whether it could
// read the call. A journal with no call it could read is an error.
func eachCall(journals []string, kind string, use func(toolkit.Entry) (bool, error)) error {
	var errs []error
	for _, p := range journals {
		n, err := readJournal(p, use)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("--used-by %s: %w", p, err))
		case n == 0:
			errs = append(errs, fmt.Errorf("--used-by %s: the journal records no call to %s contract (a run folder's journal-SYSTEM.jsonl of the system this contract describes does)", p, kind))
		}
	}
	return errors.Join(errs...)
}

// readJournal hands use the calls of one journal file (toolkit.ReadJournal)
// and counts those it could read.
func readJournal(path string, use func(toolkit.Entry) (bool, error)) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	entries, err := toolkit.ReadJournal(f)
	if err != nil {
		return 0, err
	}
	n := 0
	for i, e := range entries {
		if e.Direction == "webhook" {
			continue
		}
		ok, err := use(e)
		if err != nil {
			return n, fmt.Errorf("entry %d (seq %d): %w", i+1, e.Seq, err)
		}
		if ok {
			n++
		}
	}
	return n, nil
}

// diffReport is what contract diff says.
type diffReport struct {
	Base     string             `json:"base"`
	Revision string             `json:"revision"`
	Breaking int                `json:"breaking"`
	Warnings int                `json:"warnings"`
	Info     int                `json:"info"`
	Total    int                `json:"total"`          // changes before --used-by narrowed them
	Used     int                `json:"used,omitempty"` // operations (GraphQL: fields) the journals record
	UsedWhat string             `json:"-"`
	Changes  []contracts.Change `json:"changes"`
}

func (r diffReport) summary(all bool) string {
	s := fmt.Sprintf("%s → %s: %d breaking, %s, %d compatible", r.Base, r.Revision, r.Breaking, plural(r.Warnings, "warning"), r.Info)
	if r.Info > 0 && !all {
		s += " (listed with --all)"
	}
	if r.Used > 0 {
		s += fmt.Sprintf("; %d of %d changes touch the %s the integration used", r.Breaking+r.Warnings+r.Info, r.Total, plural(r.Used, r.UsedWhat))
	}
	return s
}

func (r diffReport) write(w io.Writer, format string, all bool) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	case "markdown":
		var b strings.Builder
		fmt.Fprintf(&b, "### Contract changes\n\n%s\n\n", r.summary(all))
		if len(r.Changes) > 0 {
			b.WriteString("| severity | operation | change | where |\n| --- | --- | --- | --- |\n")
			for _, c := range r.Changes {
				where := c.Revision.String()
				if where == "" {
					where = c.Base.String()
				}
				fmt.Fprintf(&b, "| %s | `%s` | %s | %s |\n", c.Severity, c.Operation(), strings.ReplaceAll(c.Message, "|", `\|`), where)
			}
		}
		_, err := io.WriteString(w, b.String())
		return err
	}
	var b strings.Builder
	for _, c := range r.Changes {
		b.WriteString(c.String() + "\n")
	}
	b.WriteString(r.summary(all) + "\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// annotate writes a GitHub Actions annotation for each breaking change and
// warning located in the revision, so that a pull request shows them on
// the lines that changed.
func (r diffReport) annotate(w io.Writer) {
	for _, c := range r.Changes {
		if c.Revision == nil || c.Severity == contracts.SeverityInfo {
			continue
		}
		fmt.Fprintf(w, "::%s file=%s,line=%d,title=%s::%s\n", c.Severity, c.Revision.File, c.Revision.Line, c.Rule,
			strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(c.Operation()+": "+c.Message))
	}
}
