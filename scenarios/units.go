package scenarios

import (
	"strconv"

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
