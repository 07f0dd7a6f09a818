package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/firedrill/firedrill/ci"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

// mockFaultKinds is the list of mock fault kinds for help texts, from the
// catalogue: "bad_data, expired_credentials, ...".
func mockFaultKinds() string { return strings.Join(toolkit.FaultKinds(), ", ") }

func newChaosFaultsCmd(st *state) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "faults",
		Short: "List the HTTP and data faults a mock applies and their parameters",
		Long: `faults lists the HTTP and data faults a firedrill mock applies (` + mockFaultKinds() + `),
each with its parameters: type, range or values, default. A scenario writes
them beside the kind, in a mock's faults: or in a chaos: event on a mocked
system ({fault: status, status: 503, rate: 0.1}); firedrill mock takes them as
--fault KIND,PARAM=VALUE...; /__firedrill/faults switches them at run time.
Network faults on a proxy (toxics) are listed by "firedrill chaos toxics".`,
		Example: `  firedrill chaos faults
  firedrill chaos faults --format markdown
  firedrill chaos faults --format json`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(*cobra.Command, []string) error {
			switch format {
			case "text":
				return writeFaultsText(st.stdout)
			case "markdown":
				return writeFaultsMarkdown(st.stdout)
			case "json":
				enc := json.NewEncoder(st.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(struct {
					Common []toolkit.FaultParamSpec `json:"common"`
					Kinds  []toolkit.FaultKindSpec  `json:"kinds"`
				}{toolkit.FaultCommonParams(), toolkit.FaultCatalogue()})
			}
			return ci.WithExit(ci.ExitUsage, fmt.Errorf("--format %q: want text, markdown or json", format))
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "output format: text, markdown (the README's table) or json")
	return cmd
}

// writeFaultsText prints the catalogue as chaos toxics prints its own.
func writeFaultsText(out io.Writer) error {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	param := func(p toolkit.FaultParamSpec) {
		fmt.Fprintf(w, "\t%s=…\t%s\t%s\n", p.Name, p.Summary(), p.Doc)
	}
	for _, k := range toolkit.FaultCatalogue() {
		fmt.Fprintf(w, "%s\t\t\t%s\n", k.Kind, k.Doc)
		for _, p := range k.Params {
			param(p)
		}
	}
	fmt.Fprintf(w, "(every kind)\t\t\tthe parameters every fault takes\n")
	for _, p := range toolkit.FaultCommonParams() {
		param(p)
	}
	fmt.Fprintln(w, "\nin a scenario: {fault: status, status: 503, rate: 0.1} in a mock's faults: or a chaos: event with system:")
	fmt.Fprintln(w, "on the command line: firedrill mock CONTRACT --fault status,status=503,rate=0.1")
	fmt.Fprintln(w, "network faults on a proxy (toxics): firedrill chaos toxics")
	return w.Flush()
}

// writeFaultsMarkdown prints the catalogue as the README's table.
func writeFaultsMarkdown(out io.Writer) error {
	var b strings.Builder
	b.WriteString("| fault | parameter | type | default | takes | what it does |\n")
	b.WriteString("| --- | --- | --- | --- | --- | --- |\n")
	param := func(p toolkit.FaultParamSpec) {
		def := mdCode(p.Default)
		if p.Required {
			def = "required"
		}
		takes := p.Range()
		if len(p.Values) > 0 {
			var vs []string
			for _, v := range p.Values {
				vs = append(vs, mdCode(v))
			}
			takes = strings.Join(vs, ", ")
		}
		fmt.Fprintf(&b, "| | `%s` | %s | %s | %s | %s |\n", p.Name, p.Type, def, takes, mdText(p.Doc))
	}
	b.WriteString("| *every kind* | | | | | the parameters every fault takes |\n")
	for _, p := range toolkit.FaultCommonParams() {
		param(p)
	}
	for _, k := range toolkit.FaultCatalogue() {
		fmt.Fprintf(&b, "| `%s` | | | | | %s |\n", k.Kind, mdText(k.Doc))
		for _, p := range k.Params {
			param(p)
		}
	}
	_, err := io.WriteString(out, b.String())
	return err
}

// mdCode writes a value as code in a table cell; "" stays empty.
func mdCode(v string) string {
	if v == "" {
		return ""
	}
	return "`" + strings.ReplaceAll(v, "|", `\|`) + "`"
}

// mdText escapes what Markdown would read as a tag, a cell's end or emphasis.
var mdText = strings.NewReplacer("<", `\<`, ">", `\>`, "|", `\|`, "*", `\*`).Replace
