package k8s

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/scenarios/firedrill"
)

// MaxBundle is the most a ConfigMap may hold, its keys and values
// together, as the API server counts it.
const MaxBundle = 1 << 20

// ErrBundleTooBig is wrapped by the error of a scenario whose files do
// not fit in a ConfigMap.
var ErrBundleTooBig = errors.New("k8s: the scenario's files do not fit in a ConfigMap")

// File is one file of a bundle.
type File struct {
	// Path is where the file sits relative to the bundle's root, with
	// slashes: the same place under the mount as beside the scenario.
	Path string
	// Key is its key in the ConfigMap (which cannot hold a slash).
	Key  string
	Data []byte
}

// Bundle is a scenario and every file it names, laid out as they are on
// disk below their closest common folder.
type Bundle struct {
	// Scenario is the scenario file's Path.
	Scenario string
	Files    []File
}

// Size is what the bundle weighs in a ConfigMap, keys included.
func (b *Bundle) Size() int {
	n := 0
	for _, f := range b.Files {
		n += len(f.Key) + len(f.Data)
	}
	return n
}

// Reference is a path a scenario names, and the field that names it.
type Reference struct {
	Field string // e.g. systems.shop.contract
	// Path is resolved against the scenario's folder.
	Path string
	// Dir marks a service's working directory: it must exist in the pod.
	Dir bool
}

// References lists the files and folders a scenario names, each with its
// field, resolved against the scenario's folder: contracts (and the files
// an OpenAPI contract's $refs name), records files of the mocks and of
// the data events, the services' working directories and Dockerfiles
// (which Validate checks for, though a pod builds nothing).
func References(s *scenarios.Scenario) ([]Reference, error) {
	var refs []Reference
	var errs []error
	add := func(field, p string, dir bool) {
		if filepath.IsAbs(p) {
			errs = append(errs, fmt.Errorf("%s: %q is absolute: a pod sees the scenario's files below its mount, so give the path relative to the scenario file", field, p))
			return
		}
		refs = append(refs, Reference{Field: field, Path: s.Resolve(p), Dir: dir})
	}
	for _, name := range s.SystemNames() {
		sys := s.Systems[name]
		if sys == nil {
			continue
		}
		path := "systems." + name
		fields, contracts := sys.ContractFields(path)
		for i, c := range contracts {
			field := fields[i]
			parts, err := firedrill.ContractFiles(s.Resolve(c))
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", field, err))
				continue
			}
			for _, part := range parts {
				add(field, filepath.Join(filepath.Dir(c), part), false)
			}
		}
		if sys.Mock != nil {
			for _, coll := range sortedStrings(sys.Mock.Records) {
				if f := sys.Mock.Records[coll].File; f != "" {
					add(path+".mock.records."+coll, f, false)
				}
			}
		}
		if svc := sys.Service; svc != nil {
			if svc.Dir != "" {
				add(path+".service.dir", svc.Dir, true)
			}
			if svc.Build != "" {
				// Not built in a pod, but Validate checks it exists.
				add(path+".service.build", svc.Build, false)
			}
		}
	}
	for i, f := range s.Chaos {
		if f.Insert != nil && f.Insert.Records.File != "" {
			add(fmt.Sprintf("chaos[%d].insert.records", i), f.Insert.Records.File, false)
		}
	}
	return refs, errors.Join(errs...)
}

// NewBundle reads the scenario file and every file it names. It fails on
// a file that cannot be read, a working directory no file of the bundle
// lies in (a ConfigMap mounts files, not empty folders), and a bundle over
// MaxBundle, naming its biggest files.
func NewBundle(s *scenarios.Scenario) (*Bundle, error) {
	if s.File() == "" {
		return nil, errors.New("k8s: the scenario was not read from a file: its files cannot be found")
	}
	refs, err := References(s)
	if err != nil {
		return nil, fmt.Errorf("k8s: %w", err)
	}
	refs = append([]Reference{{Field: "the scenario", Path: s.File()}}, refs...)
	abs := make([]string, len(refs))
	for i, r := range refs {
		if abs[i], err = filepath.Abs(r.Path); err != nil {
			return nil, fmt.Errorf("k8s: %s: %w", r.Field, err)
		}
	}
	root := filepath.Dir(abs[0])
	for i, r := range refs {
		dir := abs[i]
		if !r.Dir {
			dir = filepath.Dir(dir)
		}
		root = commonDir(root, dir)
	}
	b := &Bundle{}
	var dirs []Reference
	for i, r := range refs {
		rel, err := filepath.Rel(root, abs[i])
		if err != nil {
			return nil, fmt.Errorf("k8s: %s: %w", r.Field, err)
		}
		rel = filepath.ToSlash(rel)
		if r.Dir {
			dirs = append(dirs, Reference{Field: r.Field, Path: rel, Dir: true})
			continue
		}
		if slices.ContainsFunc(b.Files, func(f File) bool { return f.Path == rel }) {
			continue // a file two fields name
		}
		data, err := os.ReadFile(abs[i])
		if err != nil {
			return nil, fmt.Errorf("k8s: %s: %w", r.Field, err)
		}
		b.Files = append(b.Files, File{Path: rel, Key: fileKey(len(b.Files), rel), Data: data})
	}
	b.Scenario = b.Files[0].Path
	if got := digest(b.Files[0].Data); s.Digest() != "" && got != s.Digest() {
		return nil, fmt.Errorf("k8s: %s changed since it was read and validated: run again", s.File())
	}
	for _, d := range dirs {
		if !b.holds(d.Path) {
			return nil, fmt.Errorf("k8s: %s: folder %q holds none of the scenario's files, so it would not exist in the pod (a ConfigMap mounts files, not folders): drop dir (the command then runs where firedrill does, /tmp in the pod), or name the scenario's folder or one above its files", d.Field, d.Path)
		}
	}
	if err := b.checkSize(); err != nil {
		return nil, err
	}
	return b, nil
}

// digest is the scenarios package's digest of a file: "sha256:HEX".
func digest(data []byte) string {
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// holds reports whether the folder dir (relative to the root) exists
// once the bundle is mounted: the root, or a folder some file lies in.
func (b *Bundle) holds(dir string) bool {
	if dir == "." {
		return true
	}
	return slices.ContainsFunc(b.Files, func(f File) bool { return strings.HasPrefix(f.Path, dir+"/") })
}

// commonDir is the deepest folder both a and b (absolute, clean) lie in.
func commonDir(a, b string) string {
	for a != filepath.Dir(a) {
		if b == a || strings.HasPrefix(b, a+string(filepath.Separator)) {
			return a
		}
		a = filepath.Dir(a)
	}
	return a
}

var notKey = regexp.MustCompile(`[^-._a-zA-Z0-9]+`)

// fileKey names the i-th file of a bundle in its ConfigMap: its number
// (keys are unique whatever the names) and its base name, which says what
// it is to whoever reads the objects.
func fileKey(i int, path string) string {
	base := notKey.ReplaceAllString(filepath.Base(path), "_")
	key := fmt.Sprintf("%03d-%s", i, base)
	if len(key) > 253 {
		key = key[:253]
	}
	return key
}

// checkSize refuses a bundle a ConfigMap cannot hold, naming the biggest
// files so the user knows what to trim.
func (b *Bundle) checkSize() error {
	size := b.Size()
	if size <= MaxBundle {
		return nil
	}
	files := slices.Clone(b.Files)
	sort.SliceStable(files, func(i, j int) bool { return len(files[i].Data) > len(files[j].Data) })
	var big []string
	for i, f := range files {
		if i == 3 {
			break
		}
		big = append(big, fmt.Sprintf("%s (%s)", f.Path, bytesText(len(f.Data))))
	}
	return fmt.Errorf("%w: %s over %d files, the limit is %s; the biggest: %s", ErrBundleTooBig, bytesText(size), len(b.Files), bytesText(MaxBundle), strings.Join(big, ", "))
}

func bytesText(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.2f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// text reports whether a file goes into the ConfigMap's data (UTF-8) or
// its binaryData.
func (f File) text() bool { return utf8.Valid(f.Data) }
