package corpustest

import (
	"bytes"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the corpus NOTICE from MANIFEST.tsv")

// origin is what the NOTICE says of a source repository: the licence its
// files come under, the licence text copied beside the corpus, and what a
// reader must know beyond that.
type origin struct {
	licence string // SPDX identifier, or "none stated" where the source grants none
	text    string // licence text under licenses/, "" where there is none
	note    string
}

// origins holds every repository the corpus takes files from. A new
// source needs an entry here and its licence text under licenses/.
var origins = map[string]origin{
	"Adyen/adyen-openapi": {licence: "MIT", text: "licenses/Adyen__adyen-openapi.txt"},
	"APIs-guru/openapi-directory": {licence: "none stated", note: "" +
		"APIs.guru's README: \"All API definitions contributed to project by authors are\n" +
		"covered by the CC0 1.0 license. All API definitions acquired from public sources\n" +
		"under the Fair use principle.\" These files name their source in info.x-origin\n" +
		"(the vendor's own public API catalogue), so they are of the second kind: each is\n" +
		"the vendor's published API description, which APIs.guru redistributes on a fair\n" +
		"use footing and firedrill keeps as test data on the same footing, not under CC0.\n" +
		"Whoever redistributes firedrill should decide whether that suits them."},
	"mondaycom/mcp":          {licence: "MIT", text: "licenses/mondaycom__mcp.txt"},
	"octokit/graphql-schema": {licence: "MIT", text: "licenses/octokit__graphql-schema.txt"},
	"paypal/paypal-rest-api-specifications": {licence: "Apache-2.0", text: "licenses/paypal__paypal-rest-api-specifications.txt", note: "" +
		"Licensed under the Apache License, Version 2.0 (the \"License\"); you may not use\n" +
		"these files except in compliance with the License. A copy of the License, as the\n" +
		"repository held it at that commit, is in licenses/. The files are distributed\n" +
		"unmodified, on an \"AS IS\" BASIS, WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND.\n" +
		"The repository had no NOTICE file at that commit. Copyright 2023 PayPal."},
	"stripe/openapi": {licence: "MIT", text: "licenses/stripe__openapi.txt", note: "" +
		"The commit these files come from (2020) predates the repository's LICENSE file;\n" +
		"the MIT licence copied in licenses/, added in commit\n" +
		"abc131d3e19fc2a1c21c63ebc45ff85627cf42ae (2021-07-22), covers the repository."},
	"twilio/sendgrid-oai": {licence: "MIT", text: "licenses/twilio__sendgrid-oai.txt"},
	"twilio/twilio-oai":   {licence: "MIT", text: "licenses/twilio__twilio-oai.txt"},
	"vuestorefront/shopify": {licence: "MIT", text: "licenses/vuestorefront__shopify.txt", note: "" +
		"The schema describes Shopify's Storefront API (version 2021-10) as that\n" +
		"repository published it; the MIT licence is Vue Storefront's, for the repository."},
}

// entry is one row of MANIFEST.tsv.
type entry struct {
	file, repo, path, commit, licence string
	bytes                             int64
}

func readManifest(t *testing.T, dir string) []entry {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "MANIFEST.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comma, r.LazyQuotes = '\t', true
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatalf("MANIFEST.tsv: %v", err)
	}
	want := []string{"local_file", "repo", "path", "commit", "license", "bytes"}
	if len(rows) < 2 || len(rows[0]) < len(want) || !slices.Equal(rows[0][:len(want)], want) {
		t.Fatalf("MANIFEST.tsv: want a header starting %q and rows", want)
	}
	var es []entry
	for i, row := range rows[1:] {
		n, err := strconv.ParseInt(row[5], 10, 64)
		if err != nil {
			t.Errorf("MANIFEST.tsv line %d: bytes: %v", i+2, err)
		}
		es = append(es, entry{file: row[0], repo: row[1], path: row[2], commit: row[3], licence: row[4], bytes: n})
	}
	return es
}

// notice writes the NOTICE for a manifest, files in manifest order.
func notice(w io.Writer, es []entry) {
	fmt.Fprint(w, `Third-party files in firedrill's corpus of real vendor contracts
(contracts/testdata/corpus)

These files are not firedrill's work. Each one is an unmodified copy of a file
published in the repository named below, at the commit named below, kept here as
test data. The licence texts of those repositories are in licenses/.

This file is generated from MANIFEST.tsv; after changing the corpus, run
  go test ./contracts/corpustest -run TestNotice -update

`)
	var repos []string
	for _, e := range es {
		o := origins[e.repo]
		lic := o.licence
		if o.text != "" {
			lic += ", " + o.text
		}
		fmt.Fprintf(w, "%s\n  repository: https://github.com/%s\n  path:       %s\n  commit:     %s\n  licence:    %s\n\n",
			e.file, e.repo, e.path, e.commit, lic)
		if !slices.Contains(repos, e.repo) {
			repos = append(repos, e.repo)
		}
	}
	fmt.Fprint(w, "Notes by repository\n\n")
	for _, repo := range repos {
		if o := origins[repo]; o.note != "" {
			fmt.Fprintf(w, "%s (%s)\n%s\n\n", repo, o.licence, o.note)
		}
	}
}

// TestNotice: MANIFEST.tsv lists every corpus file with its size, every
// source has a known licence and its text, and NOTICE says so as
// MANIFEST.tsv would have it (-update rewrites it).
func TestNotice(t *testing.T) {
	dir := filepath.Join(root(t), filepath.FromSlash(Path))
	es := readManifest(t, dir)
	listed := map[string]bool{}
	for _, e := range es {
		listed[e.file] = true
		switch fi, err := os.Stat(filepath.Join(dir, filepath.FromSlash(e.file))); {
		case err != nil:
			t.Errorf("%s: %v", e.file, err)
		case fi.Size() != e.bytes:
			t.Errorf("%s: %d bytes, MANIFEST.tsv says %d", e.file, fi.Size(), e.bytes)
		}
		o, ok := origins[e.repo]
		switch {
		case !ok:
			t.Errorf("%s: no licence known for %s (add it to origins)", e.file, e.repo)
		case !strings.HasPrefix(e.licence, o.licence):
			t.Errorf("%s: MANIFEST.tsv says licence %q, origins %q", e.file, e.licence, o.licence)
		case o.text != "":
			if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(o.text))); err != nil {
				t.Errorf("%s: licence text: %v", e.repo, err)
			}
		case o.note == "":
			t.Errorf("%s: neither a licence text nor a note", e.repo)
		}
	}
	for _, kind := range []string{"openapi", "openapi-heldout", "graphql"} {
		files, _ := filepath.Glob(filepath.Join(dir, kind, "*"))
		for _, f := range files {
			if name := kind + "/" + filepath.Base(f); !listed[name] {
				t.Errorf("%s is not in MANIFEST.tsv", name)
			}
		}
	}

	var want bytes.Buffer
	notice(&want, es)
	path := filepath.Join(dir, "NOTICE")
	if *update {
		if err := os.WriteFile(path, want.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Errorf("NOTICE is not what MANIFEST.tsv gives; run go test ./contracts/corpustest -run TestNotice -update")
	}
}
