package contracts

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
	"gopkg.in/yaml.v3"

	"github.com/firedrill/firedrill/contracts/corpustest"
)

// sampleDoc is one loaded corpus document.
type sampleDoc struct {
	name string
	v31  bool
	doc  *openapi3.T
}

// sampleDocs caches loaded documents: Sample never changes a schema, and the
// largest document costs seconds to load under the race detector.
var sampleDocs sync.Map // path → *sampleDoc

// loadSampleDoc loads an OpenAPI document with kin-openapi directly (the
// package loader is written separately): 2.0 through openapi2conv.ToV3.
func loadSampleDoc(tb testing.TB, path string) (*sampleDoc, error) {
	tb.Helper()
	if d, ok := sampleDocs.Load(path); ok {
		return d.(*sampleDoc), nil
	}
	d, err := readSampleDoc(path)
	if err == nil {
		sampleDocs.Store(path, d)
	}
	return d, err
}

func readSampleDoc(path string) (*sampleDoc, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	isJSON := len(bytes.TrimSpace(data)) > 0 && bytes.TrimSpace(data)[0] == '{'
	js := data
	if !isJSON { // YAML: decode once, carry on as JSON (the faster path)
		var raw any
		if err := yaml.Unmarshal(data, &raw); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if js, err = json.Marshal(raw); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	var head struct {
		Swagger string `json:"swagger"`
		OpenAPI string `json:"openapi"`
	}
	if err := json.Unmarshal(js, &head); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	d := &sampleDoc{name: filepath.Base(path), v31: strings.HasPrefix(head.OpenAPI, "3.1")}
	if head.Swagger != "" {
		var doc2 openapi2.T
		if err := json.Unmarshal(js, &doc2); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if d.doc, err = openapi2conv.ToV3(&doc2); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return d, nil
	}
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = true
	if d.doc, err = loader.LoadFromData(js); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return d, nil
}

// sampleTarget is one schema to sample and where it sits.
type sampleTarget struct {
	where  string
	schema *openapi3.Schema
	name   string
	dir    Direction
}

// sampleTargets lists every component schema (both directions) and every
// operation's parameter, request-body, response-body and response-header
// schemas, parameters and headers with their name as the hint.
func sampleTargets(d *sampleDoc) []sampleTarget {
	var out []sampleTarget
	if d.doc.Components != nil {
		names := make([]string, 0, len(d.doc.Components.Schemas))
		for n := range d.doc.Components.Schemas {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			ref := d.doc.Components.Schemas[n]
			if ref == nil || ref.Value == nil {
				continue
			}
			for _, dir := range []Direction{Response, Request} {
				out = append(out, sampleTarget{where: "#/components/schemas/" + n + " (" + dir.String() + ")", schema: ref.Value, dir: dir})
			}
		}
	}
	if d.doc.Paths == nil {
		return out
	}
	for _, path := range d.doc.Paths.InMatchingOrder() {
		item := d.doc.Paths.Value(path)
		for method, op := range item.Operations() {
			at := method + " " + path
			for _, p := range append(slices.Clone(item.Parameters), op.Parameters...) {
				if p != nil && p.Value != nil && p.Value.Schema != nil && p.Value.Schema.Value != nil {
					out = append(out, sampleTarget{where: at + " parameter " + p.Value.In + " " + p.Value.Name,
						schema: p.Value.Schema.Value, name: p.Value.Name, dir: Request})
				}
			}
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				for mt, media := range op.RequestBody.Value.Content {
					if media.Schema != nil && media.Schema.Value != nil {
						out = append(out, sampleTarget{where: at + " request " + mt, schema: media.Schema.Value, dir: Request})
					}
				}
			}
			if op.Responses == nil {
				continue
			}
			for code, resp := range op.Responses.Map() {
				if resp.Value == nil {
					continue
				}
				for mt, media := range resp.Value.Content {
					if media.Schema != nil && media.Schema.Value != nil {
						out = append(out, sampleTarget{where: at + " " + code + " " + mt, schema: media.Schema.Value, dir: Response})
					}
				}
				for name, h := range resp.Value.Headers {
					if h != nil && h.Value != nil && h.Value.Schema != nil && h.Value.Schema.Value != nil {
						out = append(out, sampleTarget{where: at + " " + code + " header " + name,
							schema: h.Value.Schema.Value, name: name, dir: Response})
					}
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].where < out[j].where })
	return out
}

// sampleFormats checks the formats kin-openapi leaves unchecked by default,
// so the proof covers them too (byte, date and date-time it checks itself).
func sampleFormats() map[string]openapi3.StringFormatValidator {
	email := regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[a-z]{2,}$`)
	uuid := regexp.MustCompile(openapi3.FormatOfStringForUUIDOfRFC4122)
	host := regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$`)
	check := func(name string, ok func(string) bool) openapi3.StringFormatValidator {
		return openapi3.NewCallbackValidator(func(v string) error {
			if !ok(v) {
				return fmt.Errorf("not a valid %s: %q", name, v)
			}
			return nil
		})
	}
	return map[string]openapi3.StringFormatValidator{
		"email":    check("email", email.MatchString),
		"uuid":     check("uuid", uuid.MatchString),
		"hostname": check("hostname", host.MatchString),
		"ipv4":     openapi3.NewIPValidator(true),
		"ipv6":     openapi3.NewIPValidator(false),
		"uri": check("uri", func(v string) bool {
			u, err := url.Parse(v)
			return err == nil && u.Scheme != "" && u.Host != ""
		}),
		"ppaas_ip_address_v1": check("ip", func(v string) bool { _, err := netip.ParseAddr(v); return err == nil }),
	}
}

// sampleValidation are the options to check a sample with, for the
// document's version and the sample's direction.
func sampleValidation(v31 bool, dir Direction, formatFakers map[string]openapi3.StringFormatValidator) []openapi3.SchemaValidationOption {
	opts := []openapi3.SchemaValidationOption{
		openapi3.MultiErrors(),
		openapi3.WithStringFormatValidators(formatFakers),
	}
	if dir == Request {
		opts = append(opts, openapi3.VisitAsRequest())
	} else {
		opts = append(opts, openapi3.VisitAsResponse())
	}
	if v31 {
		opts = append(opts, openapi3.EnableJSONSchema2020())
	}
	return opts
}

// checkSample marshals a sample, decodes it as a client would and validates
// it against the schema.
func checkSample(s *openapi3.Schema, v any, opts []openapi3.SchemaValidationOption) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("marshal: %w", err)
	}
	var decoded any
	if err := json.Unmarshal(b, &decoded); err != nil {
		return fmt.Errorf("unmarshal: %w", err)
	}
	return visitTolerant(s, decoded, opts...)
}

// TestSampleCorpusValid is the correctness proof: a sample of every schema
// of every corpus document validates against that schema, full or (every
// other schema) with required properties only.
func TestSampleCorpusValid(t *testing.T) {
	t.Parallel()
	files := corpustest.Files(t, "openapi", "*")
	formatFakers := sampleFormats()
	stride := 1
	if sampleRace && os.Getenv("FIREDRILL_CORPUS_FULL") == "" {
		stride = 3 // every third schema of every document; all of them without -race
	}
	type result struct {
		total, valid, contradictory int
		failures                    []string
	}
	results := make([]result, len(files))
	t.Run("docs", func(t *testing.T) {
		for i, file := range files {
			t.Run(filepath.Base(file), func(t *testing.T) {
				t.Parallel()
				d, err := loadSampleDoc(t, file)
				if err != nil {
					t.Skipf("kin-openapi cannot load it: %v", err)
				}
				r := &results[i]
				for j, tg := range sampleTargets(d) {
					if j%stride != 0 {
						continue
					}
					// Every other schema is sampled as a starter body is:
					// required properties only.
					v := Sample(tg.schema, SampleOptions{Seed: int64(j + 1), Direction: tg.dir, Name: tg.name, RequiredOnly: j%2 == 1})
					r.total++
					err := checkSample(tg.schema, v, sampleValidation(d.v31, tg.dir, formatFakers))
					if err == nil {
						r.valid++
						continue
					}
					msg := strings.SplitN(err.Error(), "\n", 2)[0]
					if sampleContradicts(err) {
						r.contradictory++
						msg = "(the contract contradicts itself) " + msg
					}
					r.failures = append(r.failures, d.name+" "+tg.where+": "+msg)
				}
			})
		}
	})
	var total, valid, contra int
	var failures []string
	for _, r := range results {
		total += r.total
		valid += r.valid
		contra += r.contradictory
		failures = append(failures, r.failures...)
	}
	if total == 0 {
		t.Fatal("no schema sampled: the corpus holds no loadable document")
	}
	share := 100 * float64(valid) / float64(total)
	t.Logf("sample validity over the corpus: %d/%d valid (%.2f%%), one schema in %d checked; "+
		"%d of the %d failures are schemas no value satisfies", valid, total, share, stride, contra, total-valid)
	for i, f := range failures {
		if i == 60 {
			t.Logf("... and %d more", len(failures)-60)
			break
		}
		t.Log(f)
	}
	if share < 99.5 {
		t.Errorf("valid share %.2f%% is under the 99.5%% target", share)
	}
}

// sampleContradicts reports whether a validation error is about a value no value
// could fix: a string enum none of whose values satisfies the schema's other
// keywords (Adyen's gender: enum MALE, FEMALE, UNKNOWN with maxLength 1).
func sampleContradicts(err error) bool {
	var se *openapi3.SchemaError
	if !errors.As(err, &se) || se.Schema == nil || len(se.Schema.Enum) == 0 {
		return false
	}
	for _, v := range se.Schema.Enum {
		if se.Schema.VisitJSON(v) == nil {
			return false
		}
	}
	return true
}
