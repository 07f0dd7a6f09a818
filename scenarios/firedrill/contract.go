package firedrill

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/firedrill/firedrill/mocks"
)

// refPattern finds the targets of an OpenAPI document's $ref, in YAML or
// JSON: what precedes '#', when it is not empty.
var refPattern = regexp.MustCompile(`["']?\$ref["']?\s*:\s*["']?([^"'#\s,}]*)`)

// ContractFiles are the files a contract is made of, relative to its
// folder: the contract, then the files its $refs name, and theirs, in the
// contract's folder or below it (the container gets them at the same
// places). A $ref to a URL is left to the mock; one to a file that is not
// there, or outside the contract's folder, is an error.
func ContractFiles(contract string) ([]string, error) {
	files := []string{filepath.Base(contract)}
	if mocks.KindOf(contract) == mocks.KindGraphQL {
		return files, nil
	}
	root := filepath.Dir(contract)
	for i := 0; i < len(files); i++ {
		data, err := os.ReadFile(filepath.Join(root, files[i]))
		if err != nil {
			return nil, fmt.Errorf("contract %s: %w", contract, err)
		}
		for _, m := range refPattern.FindAllStringSubmatch(string(data), -1) {
			target := m[1]
			if target == "" || strings.Contains(target, "://") {
				continue
			}
			rel := filepath.Clean(filepath.Join(filepath.Dir(files[i]), filepath.FromSlash(target)))
			if filepath.IsAbs(target) || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
				return nil, fmt.Errorf("contract %s: $ref %q in %s: only files in the contract's folder are copied into the container", contract, target, files[i])
			}
			if slices.Contains(files, rel) {
				continue
			}
			if _, err := os.Stat(filepath.Join(root, rel)); err != nil {
				return nil, fmt.Errorf("contract %s: $ref %q in %s: %w", contract, target, files[i], err)
			}
			files = append(files, rel)
		}
	}
	return files, nil
}
