package scenarios

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/firedrill/firedrill/contracts"
	"github.com/firedrill/firedrill/mocks/store"
)

// Starter writes a commented starter scenario for the given contracts: a
// stateful mock of each, a flow on the first collection it can create and
// read, a commented service, a fault and gates to adapt. Contract paths in
// it are relative to dir, where the scenario will be saved. The result
// passes Validate once its service is filled in, and as it is.
func Starter(ctx context.Context, dir string, contractPaths ...string) ([]byte, error) {
	if len(contractPaths) == 0 {
		return nil, fmt.Errorf("scenarios: init needs at least one contract")
	}
	var b strings.Builder
	b.WriteString(starterHead)
	var flow string
	var systems []string
	used := map[string]bool{}
	for _, p := range contractPaths {
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			rel = p
		}
		name, steps, err := starterSystem(ctx, p)
		if err != nil {
			return nil, err
		}
		for base, i := name, 2; used[name]; i++ {
			name = fmt.Sprintf("%s%d", base, i)
		}
		used[name] = true
		systems = append(systems, name)
		fmt.Fprintf(&b, "  %s:\n    contract: %s\n    mock: {stateful: true}\n", name, yamlString(filepath.ToSlash(rel)))
		if flow == "" && steps != "" {
			flow = strings.ReplaceAll(steps, "${SYSTEM.", "${"+name+".")
			flow = strings.ReplaceAll(flow, "SYSTEM_", strings.ToUpper(strings.ReplaceAll(name, "-", "_"))+"_")
		}
	}
	b.WriteString(starterService)
	if flow == "" {
		flow = fmt.Sprintf("    - {name: probe, url: \"${%s.url}/\"}\n", systems[0])
	}
	fmt.Fprintf(&b, starterLoad, flow)
	fmt.Fprintf(&b, starterChaos, systems[0])
	b.WriteString(starterGates)
	return []byte(b.String()), nil
}

// starterSystem names a contract's system and, for OpenAPI, writes the flow
// steps for its first collection that can be created and read back.
func starterSystem(ctx context.Context, path string) (name, steps string, err error) {
	if isGraphQL(path) {
		if _, err := contracts.LoadGraphQL(ctx, path); err != nil {
			return "", "", err
		}
		return systemSlug(strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))), "", nil
	}
	c, err := contracts.LoadOpenAPI(ctx, path)
	if err != nil {
		return "", "", err
	}
	name = systemSlug(c.Name())
	for _, coll := range store.Infer(c.Doc) {
		if coll.CreateOp == "" || coll.GetOp == "" || len(coll.ParentParams) > 0 {
			continue
		}
		op := c.Doc.Paths.Find(coll.ListPath).Post
		body := "{}"
		if op.RequestBody != nil && op.RequestBody.Value != nil {
			if mt := op.RequestBody.Value.Content.Get("application/json"); mt != nil && mt.Schema != nil && mt.Schema.Value != nil {
				sample := contracts.Sample(mt.Schema.Value, contracts.SampleOptions{Seed: 1, Direction: contracts.Request, RequiredOnly: true})
				if data, err := json.Marshal(sample); err == nil {
					body = string(data)
				}
			}
		}
		item := strings.Replace(coll.ItemPath, "{"+coll.IDParam+"}", "${id}", 1)
		headers := credentialHeaders(c, op.Security, requiredHeaders(op))
		steps = fmt.Sprintf("    - name: create %s\n      method: POST\n      url: \"${SYSTEM.url}%s\"\n%s      body: %s\n      capture: {id: $.%s}\n    - name: read %s\n      url: \"${SYSTEM.url}%s\"\n%s",
			coll.Name, coll.ListPath, headers, escapeRefs(body), idField(coll), coll.Name, item, headers)
		return name, steps, nil
	}
	return name, "", nil
}

// credentialHeaders writes the headers the operation's security asks for,
// read from the environment with a test default.
func credentialHeaders(c *contracts.OpenAPI, opSec *openapi3.SecurityRequirements, parts []string) string {
	reqs := c.Doc.Security
	if opSec != nil {
		reqs = *opSec
	}
	var first openapi3.SecurityRequirement
	if len(reqs) > 0 && c.Doc.Components != nil {
		first = reqs[0]
	}
	for name := range first {
		ref := c.Doc.Components.SecuritySchemes[name]
		if ref == nil || ref.Value == nil {
			continue
		}
		sc := ref.Value
		switch {
		case sc.Type == "apiKey" && sc.In == "header":
			parts = append(parts, fmt.Sprintf("%s: \"${env:SYSTEM_API_KEY:-test-key}\"", sc.Name))
		case sc.Type == "http" && strings.EqualFold(sc.Scheme, "bearer"), sc.Type == "oauth2", sc.Type == "openIdConnect":
			parts = append(parts, "Authorization: \"Bearer ${env:SYSTEM_TOKEN:-test-token}\"")
		case sc.Type == "http" && strings.EqualFold(sc.Scheme, "basic"):
			parts = append(parts, "Authorization: \"Basic dGVzdDp0ZXN0\"")
		}
	}
	if len(parts) == 0 {
		return ""
	}
	sort.Strings(parts)
	return "      headers: {" + strings.Join(parts, ", ") + "}\n"
}

// requiredHeaders fills the header parameters an operation requires: an
// idempotency key unique per iteration, a sample for the others.
func requiredHeaders(op *openapi3.Operation) []string {
	var parts []string
	for _, ref := range op.Parameters {
		p := ref.Value
		if p == nil || p.In != openapi3.ParameterInHeader || !p.Required {
			continue
		}
		value := "${uuid}"
		if !strings.Contains(strings.ToLower(p.Name), "idempotency") && p.Schema != nil && p.Schema.Value != nil {
			value = escapeRefs(fmt.Sprint(contracts.Sample(p.Schema.Value, contracts.SampleOptions{Seed: 1, Direction: contracts.Request, Name: p.Name})))
		}
		parts = append(parts, fmt.Sprintf("%s: %s", p.Name, yamlString(value)))
	}
	return parts
}

func idField(c store.Collection) string {
	if c.IDField != "" {
		return c.IDField
	}
	return "id"
}

// escapeRefs keeps "${" in generated sample text from reading as a reference.
func escapeRefs(s string) string { return strings.ReplaceAll(s, "$", "$$") }

var notSlug = regexp.MustCompile(`[^a-z0-9_-]+`)

// systemSlug makes a valid system name.
func systemSlug(s string) string {
	s = strings.Trim(notSlug.ReplaceAllString(strings.ToLower(s), "-"), "-_")
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		s = "vendor-" + s
	}
	return strings.TrimRight(s, "-")
}

func yamlString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

const starterHead = `# yaml-language-server: $schema=https://firedrill.dev/schemas/scenario.schema.json
# A starter scenario written by firedrill init. Check it with
#   firedrill validate <this file>
# then run it with firedrill run. Every field is described in the README.
name: my integration holds at 3x peak
owner: team@example.com
seed: 1
systems:
`

const starterService = `  # The service under test. Uncomment and adapt: its environment tells it
  # where each vendor is (the proxy in front of the mock, so faults apply).
  # service:
  #   service:
  #     command: [go, run, ./cmd/service]
  #     env: {PORT: "${service.port}", VENDOR_URL: "${<system>.url}"}
  #     health: /healthz
`

const starterLoad = `load:
  # One iteration of the business flow; ${seq}, ${uuid} and captured values
  # change per iteration.
  flow:
%s  peak: 10/s        # the expected peak
  multiplier: 3     # tested at 3x
  duration: 30s
`

const starterChaos = `chaos:
  # Half a second of latency on the first vendor, in the middle of the attack.
  - {at: 10s, for: 10s, proxy: %s, toxic: latency, latency: 500ms, jitter: 100ms}
`

const starterGates = `gates:
  load: ["p99 < 2s", "success >= 99%"]
  contract: {invalid_requests: 0}
`
