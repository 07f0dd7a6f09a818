package k8s_test

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/scenarios/k8s"
)

var update = flag.Bool("update", false, "rewrite the golden files")

const small = "testdata/small/scenarios/tickets.yaml"

// read reads and validates a scenario as firedrill k8s does.
func read(t testing.TB, file string) *scenarios.Scenario {
	t.Helper()
	s, err := scenarios.ReadFile(file)
	if err != nil {
		t.Fatalf("read %s: %v", file, err)
	}
	return s
}

// roundTrip writes objs and reads them back strictly, twice: through the
// API types' scheme, and document by document with yaml.UnmarshalStrict
// into the typed objects.
func roundTrip(t testing.TB, objs []runtime.Object) ([]runtime.Object, []byte) {
	t.Helper()
	var b bytes.Buffer
	if err := k8s.Write(&b, objs); err != nil {
		t.Fatalf("Write: %v", err)
	}
	got, err := k8s.Decode(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatalf("Decode: %v\n%s", err, b.String())
	}
	docs := strings.Split(strings.TrimPrefix(b.String(), "---\n"), "\n---\n")
	if len(docs) != len(objs) || len(got) != len(objs) {
		t.Fatalf("%d objects written, %d documents, %d decoded", len(objs), len(docs), len(got))
	}
	for i, doc := range docs {
		into := map[string]runtime.Object{"ConfigMap": &corev1.ConfigMap{}, "Service": &corev1.Service{}, "Job": &batchv1.Job{}}[kind(got[i])]
		if err := yaml.UnmarshalStrict([]byte(doc), into); err != nil {
			t.Errorf("document %d: UnmarshalStrict: %v", i, err)
		}
	}
	return got, b.Bytes()
}

func kind(o runtime.Object) string { return o.GetObjectKind().GroupVersionKind().Kind }

// TestObjectsOfTheExamples: the objects of the examples' scenarios, four
// shards, decode strictly and pass Validate; the shards' command names
// the scenario where the pod mounts it, the Service and four shards.
func TestObjectsOfTheExamples(t *testing.T) {
	t.Parallel()
	for _, file := range []string{
		"../../examples/ordersync/scenarios/flagship.yaml",
		"../../examples/ledgersync/scenarios/baseline.yaml",
		small,
	} {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			s := read(t, file)
			objs, err := k8s.Objects(s, k8s.Options{Shards: 4, Image: "firedrill:test", Namespace: "drills"})
			if err != nil {
				t.Fatal(err)
			}
			got, _ := roundTrip(t, objs)
			if err := k8s.Validate(got); err != nil {
				t.Fatal(err)
			}
			if kinds := []string{kind(got[0]), kind(got[1]), kind(got[2]), kind(got[3])}; strings.Join(kinds, ",") != "ConfigMap,Job,Service,Job" {
				t.Errorf("kinds %v, want ConfigMap, merge Job, Service, shards Job", kinds)
			}
			shards := got[3].(*batchv1.Job)
			args := shards.Spec.Template.Spec.Containers[0].Args
			name, _ := k8s.Name(s.Name)
			for _, want := range []string{"--shard $(JOB_COMPLETION_INDEX)/4", "--barrier http://" + name + "-merge.drills.svc:7070", "--seed " + strconv.FormatInt(s.Seed, 10)} {
				if !strings.Contains(strings.Join(args, " "), want) {
					t.Errorf("shard args %q lack %q", args, want)
				}
			}
			checkBundle(t, s, got[0].(*corev1.ConfigMap), shards)
		})
	}
}

// checkBundle lays the ConfigMap's items out as the kubelet mounts them,
// and checks that every file the scenario names is there, with its
// bytes, where the mounted scenario resolves it; and that the mounted
// scenario reads and validates on its own, contracts and records loaded.
func checkBundle(t *testing.T, s *scenarios.Scenario, cm *corev1.ConfigMap, shards *batchv1.Job) {
	t.Helper()
	mount := t.TempDir()
	var items []corev1.KeyToPath
	for _, v := range shards.Spec.Template.Spec.Volumes {
		if v.ConfigMap != nil {
			items = v.ConfigMap.Items
		}
	}
	for _, it := range items {
		data, ok := cm.Data[it.Key]
		if !ok {
			data = string(cm.BinaryData[it.Key])
		}
		p := filepath.Join(mount, filepath.FromSlash(it.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	scenario, ok := strings.CutPrefix(shards.Spec.Template.Spec.Containers[0].Args[1], k8s.ScenarioMount+"/")
	if !ok {
		t.Fatalf("shard scenario %q is not under %s", shards.Spec.Template.Spec.Containers[0].Args[1], k8s.ScenarioMount)
	}
	mounted := filepath.Join(mount, filepath.FromSlash(scenario))
	if want, _ := os.ReadFile(s.File()); !bytes.Equal(mustRead(t, mounted), want) {
		t.Errorf("the shards run %s, which is not the scenario", scenario)
	}
	refs, err := k8s.References(s)
	if err != nil || len(refs) == 0 {
		t.Fatalf("References: %v, %v", refs, err)
	}
	for _, r := range refs {
		rel, err := filepath.Rel(s.Dir(), r.Path)
		if err != nil {
			t.Fatal(err)
		}
		inPod := filepath.Join(filepath.Dir(mounted), rel)
		if r.Dir {
			if fi, err := os.Stat(inPod); err != nil || !fi.IsDir() {
				t.Errorf("%s: folder %s is not in the pod", r.Field, rel)
			}
			continue
		}
		if want, _ := os.ReadFile(r.Path); !bytes.Equal(mustRead(t, inPod), want) {
			t.Errorf("%s: %s is not in the pod at %s", r.Field, rel, path.Clean(filepath.ToSlash(filepath.Join(filepath.Dir(scenario), rel))))
		}
	}
	if _, err := scenarios.ReadFile(mounted); err != nil {
		t.Errorf("the mounted scenario does not validate: %v", err)
	}
}

func mustRead(t testing.TB, p string) []byte {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Error(err)
	}
	return data
}

// TestReferencesOfTheExamples: the files a scenario names, contracts
// split by $ref and records files of mocks and data events included.
func TestReferencesOfTheExamples(t *testing.T) {
	t.Parallel()
	refs, err := k8s.References(read(t, small))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range refs {
		rel, _ := filepath.Rel("testdata/small", r.Path)
		got = append(got, r.Field+"="+filepath.ToSlash(rel))
	}
	want := "systems.helpdesk.contract=contracts/helpdesk.openapi.yaml systems.helpdesk.contract=contracts/parts/ticket.yaml " +
		"systems.helpdesk.mock.records.tickets=seed/tickets.ndjson chaos[0].insert.records=seed/late.ndjson"
	if strings.Join(got, " ") != want {
		t.Errorf("References:\n got %s\nwant %s", strings.Join(got, " "), want)
	}
}

// TestGolden: the objects of a small scenario, as firedrill k8s prints
// them; run with -update to accept a change after reviewing it.
func TestGolden(t *testing.T) {
	t.Parallel()
	objs, err := k8s.Objects(read(t, small), k8s.Options{Shards: 3, Image: "firedrill:golden"})
	if err != nil {
		t.Fatal(err)
	}
	_, out := roundTrip(t, objs)
	golden := "testdata/small.golden.yaml"
	if *update {
		if err := os.WriteFile(golden, out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if want, err := os.ReadFile(golden); err != nil || !bytes.Equal(out, want) {
		t.Errorf("output differs from %s (run with -update to accept): %v\n%s", golden, err, out)
	}
}

// Trees of scenarios and their files, and a scenario in each.
const (
	ordersync = "../../examples/ordersync"
	flagship  = "scenarios/flagship.yaml"
	smallTree = "testdata/small"
	tickets   = "scenarios/tickets.yaml"
)

// parse copies tree to a folder of the test, edits the scenario at file
// in it, and reads it as firedrill k8s would, without validating it.
func parse(t testing.TB, tree, file string, edit func(string) string) *scenarios.Scenario {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(tree)); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, file)
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	data = []byte(edit(string(data)))
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := scenarios.Parse(p, data)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestObjectsRefuse: what a pod cannot run, and bad options, are refused
// naming the field; the same scenario otherwise passes (the control).
func TestObjectsRefuse(t *testing.T) {
	t.Parallel()
	same := func(s string) string { return s }
	ok := k8s.Options{Shards: 2, Image: "firedrill:test"}
	for _, tc := range []struct {
		name   string
		s      *scenarios.Scenario
		opts   k8s.Options
		want   string
		notPod bool
	}{
		{"runtime docker", parse(t, ordersync, flagship, func(s string) string { return s + "runtime: docker\n" }), ok, "runtime: docker needs a Docker engine", true},
		{"runtime staging", parse(t, ordersync, flagship, func(s string) string { return s + "runtime: staging\n" }), ok, "runtime: staging is a drill against real endpoints: run it with firedrill drill", true},
		{"build without command", parse(t, ordersync, flagship, func(s string) string {
			return strings.Replace(s, "command: [go, run, ./service]", "", 1)
		}), ok, "systems.sync.service.build: a pod cannot build an image", true},
		{"no load", parse(t, smallTree, tickets, func(s string) string { return s[:strings.Index(s, "load:")] }), ok, "load: a sharded run splits the load", true},
		{"absolute contract", parse(t, smallTree, tickets, func(s string) string {
			abs, _ := filepath.Abs("testdata/small/contracts/helpdesk.openapi.yaml")
			return strings.Replace(s, "../contracts/helpdesk.openapi.yaml", filepath.ToSlash(abs), 1)
		}), ok, "systems.helpdesk.contract: \"/", false},
		{"missing records file", parse(t, smallTree, tickets, func(s string) string { return strings.Replace(s, "../seed/late.ndjson", "../seed/nowhere.ndjson", 1) }), ok, "chaos[0].insert.records:", false},
		{"dir outside the files", parse(t, ordersync, flagship, func(s string) string {
			s = strings.Replace(s, "build: ../service/Dockerfile", "", 1)
			return strings.Replace(s, "dir: ..", "dir: ../service", 1)
		}), ok,
			"systems.sync.service.dir: folder \"service\" holds none of the scenario's files", false},
		{"shards 0", parse(t, smallTree, tickets, same), k8s.Options{Shards: 0, Image: "x"}, "shards 0 is not between 1 and 1024", false},
		{"shards 1025", parse(t, smallTree, tickets, same), k8s.Options{Shards: 1025, Image: "x"}, "shards 1025 is not between 1 and 1024", false},
		{"no image", parse(t, smallTree, tickets, same), k8s.Options{Shards: 2}, "image is required", false},
		{"bad name", parse(t, smallTree, tickets, same), k8s.Options{Shards: 2, Image: "x", Name: "Bad_Name"}, "name \"Bad_Name\"", false},
		{"long name", parse(t, smallTree, tickets, same), k8s.Options{Shards: 2, Image: "x", Name: strings.Repeat("a", 53)}, "at most 52", false},
		{"bad namespace", parse(t, smallTree, tickets, same), k8s.Options{Shards: 2, Image: "x", Namespace: "No"}, "namespace \"No\"", false},
		{"bad cpu", parse(t, smallTree, tickets, same), k8s.Options{Shards: 2, Image: "x", CPU: "lots"}, "cpu \"lots\" is not a positive quantity", false},
		{"zero memory", parse(t, smallTree, tickets, same), k8s.Options{Shards: 2, Image: "x", Memory: "0"}, "memory \"0\" is not a positive quantity", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := k8s.Objects(tc.s, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Objects: %v, want an error with %q", err, tc.want)
			}
			if errors.Is(err, k8s.ErrNotInPod) != tc.notPod {
				t.Errorf("errors.Is(ErrNotInPod) = %v, want %v", !tc.notPod, tc.notPod)
			}
		})
	}
	if _, err := k8s.Objects(parse(t, ordersync, flagship, same), ok); err != nil {
		t.Errorf("control: %v", err)
	}
}

// TestBundleTooBig: a scenario whose files pass a ConfigMap's 1 MiB is
// refused, naming the biggest file; one just under passes.
func TestBundleTooBig(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		size int
		fail bool
	}{{k8s.MaxBundle + 1, true}, {k8s.MaxBundle - 8<<10, false}} {
		line := []byte(`{"id": "x", "subject": "` + strings.Repeat("s", 100) + `"}` + "\n")
		big := bytes.Repeat(line, tc.size/len(line))
		s := parse(t, smallTree, tickets, func(s string) string { return s })
		if err := os.WriteFile(filepath.Join(s.Dir(), "..", "seed", "late.ndjson"), big, 0o644); err != nil {
			t.Fatal(err)
		}
		var warned []string
		_, err := k8s.Objects(s, k8s.Options{Shards: 2, Image: "x", Warn: func(m string) { warned = append(warned, m) }})
		if !tc.fail && (len(warned) != 1 || !strings.Contains(warned[0], "apply with kubectl apply --server-side")) {
			t.Errorf("%d bytes: warnings %q, want one saying to apply server-side", tc.size, warned)
		}
		switch {
		case tc.fail && (!errors.Is(err, k8s.ErrBundleTooBig) || !strings.Contains(err.Error(), "the biggest: seed/late.ndjson (")):
			t.Errorf("%d bytes: %v, want ErrBundleTooBig naming seed/late.ndjson", tc.size, err)
		case !tc.fail && err != nil:
			t.Errorf("%d bytes: %v", tc.size, err)
		}
	}
}

// TestSeed: every shard gets one seed: --seed over the scenario's; one
// picked, and said, when there is none.
func TestSeed(t *testing.T) {
	t.Parallel()
	seedOf := func(objs []runtime.Object) string {
		args := objs[3].(*batchv1.Job).Spec.Template.Spec.Containers[0].Args
		for i, a := range args {
			if a == "--seed" {
				return args[i+1]
			}
		}
		return ""
	}
	var warned []string
	opts := k8s.Options{Shards: 2, Image: "x", Warn: func(m string) { warned = append(warned, m) }}
	objs, err := k8s.Objects(read(t, small), opts)
	if err != nil || seedOf(objs) != "11" || len(warned) != 0 {
		t.Errorf("the scenario's seed: %v, --seed %q, warned %q", err, seedOf(objs), warned)
	}
	seed := int64(-5)
	opts.Seed = &seed
	if objs, err = k8s.Objects(read(t, small), opts); err != nil || seedOf(objs) != "-5" {
		t.Errorf("--seed -5: %v, --seed %q", err, seedOf(objs))
	}
	opts.Seed = nil
	opts.PickSeed = func() int64 { return 99 }
	s := parse(t, smallTree, tickets, func(s string) string { return strings.Replace(s, "seed: 11\n", "", 1) })
	if objs, err = k8s.Objects(s, opts); err != nil || seedOf(objs) != "99" {
		t.Errorf("no seed: %v, --seed %q", err, seedOf(objs))
	}
	if len(warned) != 1 || !strings.Contains(warned[0], "every shard gets --seed 99") {
		t.Errorf("picked seed not said: %q", warned)
	}
	opts.PickSeed = nil
	if objs, err = k8s.Objects(s, opts); err != nil || seedOf(objs) == "" || k8s.Validate(objs) != nil {
		t.Errorf("random seed: %v, --seed %q", err, seedOf(objs))
	}
}

// TestWarnings: a service command the image must hold, and environment
// variables the pods do not set, are said; the scenario still runs.
func TestWarnings(t *testing.T) {
	t.Parallel()
	var warned []string
	s := parse(t, ordersync, flagship, func(s string) string {
		return strings.Replace(s, "${env:ORDERSYNC_NAIVE:-0}", "${env:ORDERSYNC_NAIVE}", 1)
	})
	if _, err := k8s.Objects(s, k8s.Options{Shards: 2, Image: "x", Warn: func(m string) { warned = append(warned, m) }}); err != nil {
		t.Fatal(err)
	}
	all := strings.Join(warned, "\n")
	for _, want := range []string{`systems.sync.service.command "go run ./service" runs inside each shard's pod: the image must hold it`, "${env:ORDERSYNC_NAIVE} with no default"} {
		if !strings.Contains(all, want) {
			t.Errorf("warnings lack %q:\n%s", want, all)
		}
	}
	if strings.Contains(all, "SHOP_WEBHOOK_SECRET") {
		t.Errorf("a variable with a default is warned of:\n%s", all)
	}
}

// TestName: run names made of scenario names are DNS-1035 labels of at
// most MaxName characters, cut at a dash; a name with nothing usable
// fails.
func TestName(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"order sync holds at 3x peak through an accounting outage", "order-sync-holds-at-3x-peak-through-an-accounting"},
		{"Ledger Sync: books *every* payment once!", "ledger-sync-books-every-payment-once"},
		{"3x peak", "run-3x-peak"},
		{"  --Über__größe--  ", "ber-gr-e"},
		{strings.Repeat("a", 80), strings.Repeat("a", 52)},
		{strings.Repeat("ab-", 30), "ab-ab-ab-ab-ab-ab-ab-ab-ab-ab-ab-ab-ab-ab-ab-ab-ab"},
		{"日本語", ""},
		{"---", ""},
	} {
		got, err := k8s.Name(tc.in)
		if got != tc.want || (err != nil) != (tc.want == "") {
			t.Errorf("Name(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
		if err == nil {
			if k8s.CheckName(got) != nil || len(got+"-shards") > 63 {
				t.Errorf("Name(%q) = %q is not a valid run name", tc.in, got)
			}
		}
	}
}

// TestBinaryFile: a file that is not UTF-8 goes into the ConfigMap's
// binaryData and reaches the pod byte for byte.
func TestBinaryFile(t *testing.T) {
	t.Parallel()
	s := parse(t, smallTree, tickets, func(s string) string { return s })
	latin1 := []byte("{\"id\": \"late-1\", \"subject\": \"caf\xe9\", \"priority\": \"low\"}\n")
	if err := os.WriteFile(filepath.Join(s.Dir(), "..", "seed", "late.ndjson"), latin1, 0o644); err != nil {
		t.Fatal(err)
	}
	objs, err := k8s.Objects(s, k8s.Options{Shards: 2, Image: "x"})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := roundTrip(t, objs)
	cm := got[0].(*corev1.ConfigMap)
	if !bytes.Equal(cm.BinaryData["004-late.ndjson"], latin1) || len(cm.BinaryData) != 1 {
		t.Errorf("binaryData %q, want the Latin-1 file alone", cm.BinaryData)
	}
	if err := k8s.Validate(got); err != nil {
		t.Error(err)
	}
	checkBundle(t, s, cm, got[3].(*batchv1.Job))
}
