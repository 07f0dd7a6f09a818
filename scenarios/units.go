package scenarios

import (
	"fmt"
	"strconv"
	"strings"

	units "github.com/docker/go-units"

	"github.com/firedrill/firedrill/contracts"

	"gopkg.in/yaml.v3"
)

// Duration and Rate are the units every declaration shares, the mocks' as
// much as the scenario's: one grammar and one parser each, in contracts.
type (
	Duration = contracts.Duration
	Rate     = contracts.Rate
)

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "null"
		}
		return "value " + strconvQuote(n.Value)
	case yaml.AliasNode:
		return "alias"
	}
	return "document"
}

func strconvQuote(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return strconv.Quote(s)
}

// ParseBytes reads an amount of memory: 256Mi, 1Gi (as Kubernetes writes
// them), 256MiB, 512M, 1g (as Docker does), all powers of 1024.
func ParseBytes(s string) (int64, error) {
	t := strings.TrimSpace(s)
	if strings.HasSuffix(t, "i") {
		t += "B" // Kubernetes writes 256Mi; Docker's parser reads 256MiB
	}
	n, err := units.RAMInBytes(t)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%q is not an amount of memory", s)
	}
	return n, nil
}
