package ci

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"
)

// Expect is what a consistency check requires of the target collection.
type Expect string

// The expectations a check can hold.
const (
	// ExactlyOnce: every source record has exactly one target record and
	// the target holds nothing else.
	ExactlyOnce Expect = "exactly-once"
	// AtLeastOnce: every source record has a target record; duplicates
	// are counted but allowed; the target holds nothing else.
	AtLeastOnce Expect = "at-least-once"
	// Subset: the source is a subset of the target: every source record has
	// exactly one target record; other target records are counted but allowed.
	Subset Expect = "subset"
)

// DefaultMaxExamples bounds the examples a Result keeps per outcome; counts
// stay exact.
const DefaultMaxExamples = 10

// Source yields the records of one collection.
type Source interface {
	Records(ctx context.Context) ([]map[string]any, error)
}

// Streamer is an optional ability of a Source: records one by one, so a
// check keeps only their canonical form. yield takes ownership of each map.
type Streamer interface {
	Stream(ctx context.Context, yield func(map[string]any) error) error
}

// SourceFunc adapts a function to a Source: the runner wraps a mock's store
// snapshot in one.
type SourceFunc func(ctx context.Context) ([]map[string]any, error)

// Records calls f.
func (f SourceFunc) Records(ctx context.Context) ([]map[string]any, error) { return f(ctx) }

// Static is a Source over records held in memory.
func Static(records []map[string]any) Source {
	return SourceFunc(func(context.Context) ([]map[string]any, error) { return records, nil })
}

// Join names the expressions that key a record on each side.
type Join struct {
	Source string `json:"source" yaml:"source"`
	Target string `json:"target" yaml:"target"`
}

// Field maps one canonical field on each side and says how to compare it.
type Field struct {
	Name   string `json:"name" yaml:"name"`
	Source string `json:"source" yaml:"source"` // CEL expression over a source record
	Target string `json:"target" yaml:"target"` // CEL expression over a target record
	// Tolerance is the largest absolute difference between two numbers
	// that still agree.
	Tolerance float64 `json:"tolerance,omitempty" yaml:"tolerance,omitempty"`
	// Time compares the values as instants (text in RFC 3339 and common
	// layouts, timestamps or Unix seconds), whatever their zones.
	Time bool `json:"time,omitempty" yaml:"time,omitempty"`
	// TimeTolerance is the largest difference between two instants that
	// still agree; it implies Time.
	TimeTolerance time.Duration `json:"time_tolerance,omitempty" yaml:"time_tolerance,omitempty"`
	// Zone is where times written without an offset are read (default UTC).
	Zone string `json:"zone,omitempty" yaml:"zone,omitempty"`
	// EmptyIsNull makes null, missing, "" and empty lists or maps agree.
	EmptyIsNull bool `json:"empty_is_null,omitempty" yaml:"empty_is_null,omitempty"`
	// Ignore maps the field (its expressions must compile) but never compares it.
	Ignore bool `json:"ignore,omitempty" yaml:"ignore,omitempty"`
}

// Check compares a source collection with a target collection.
type Check struct {
	Name string `json:"name" yaml:"name"`
	// StableFor is how long Settle waits, once the only failures left
	// are mismatched fields and no count has moved, before it stops
	// early (DefaultStableFor when 0).
	StableFor   time.Duration `json:"-" yaml:"-"`
	Source      Source        `json:"-" yaml:"-"`
	Target      Source        `json:"-" yaml:"-"`
	Join        Join          `json:"join" yaml:"join"`
	Expect      Expect        `json:"expect" yaml:"expect"`
	Fields      []Field       `json:"fields,omitempty" yaml:"fields,omitempty"`
	MaxExamples int           `json:"max_examples,omitempty" yaml:"max_examples,omitempty"` // DefaultMaxExamples when 0
	// SourceAggregate and TargetAggregate, when set, group that side's
	// records before the join: the join and the fields of the side then
	// read one record per group.
	SourceAggregate *Aggregate `json:"source_aggregate,omitempty" yaml:"source_aggregate,omitempty"`
	TargetAggregate *Aggregate `json:"target_aggregate,omitempty" yaml:"target_aggregate,omitempty"`

	viaCEL bool // plain references evaluated by CEL too: what tests hold the fast path to
}

// field is a compiled Field.
type field struct {
	Field
	src, tgt *expr
	loc      *time.Location
}

// Checker is a compiled Check, safe for concurrent use.
type Checker struct {
	check    Check
	srcKey   *expr
	tgtKey   *expr
	fields   []field // sorted by name
	examples int
	srcAgg   *aggregator // nil: the side is not grouped
	tgtAgg   *aggregator
}

// Compile checks and compiles every expression of c once. The error names
// the check, the field and side, and carries CEL's message with its column.
func (c Check) Compile() (*Checker, error) {
	k := &Checker{check: c, examples: c.MaxExamples}
	if k.examples <= 0 {
		k.examples = DefaultMaxExamples
	}
	var errs []error
	switch c.Expect {
	case ExactlyOnce, AtLeastOnce, Subset:
	case "":
		k.check.Expect = ExactlyOnce
	default:
		errs = append(errs, fmt.Errorf("check %q: expect: unknown expectation %q (want %s, %s or %s)", c.Name, c.Expect, ExactlyOnce, AtLeastOnce, Subset))
	}
	var err error
	if k.srcKey, err = compileExpr(c.Join.Source, fmt.Sprintf("check %q join.source", c.Name), c.viaCEL); err != nil {
		errs = append(errs, err)
	}
	if k.tgtKey, err = compileExpr(c.Join.Target, fmt.Sprintf("check %q join.target", c.Name), c.viaCEL); err != nil {
		errs = append(errs, err)
	}
	if a := c.SourceAggregate; a != nil {
		if k.srcAgg, err = compileAggregate(*a, fmt.Sprintf("check %q source", c.Name)); err != nil {
			errs = append(errs, err)
		}
	}
	if a := c.TargetAggregate; a != nil {
		if k.tgtAgg, err = compileAggregate(*a, fmt.Sprintf("check %q target", c.Name)); err != nil {
			errs = append(errs, err)
		}
	}
	seen := map[string]bool{}
	for _, f := range c.Fields {
		if f.Name == "" {
			errs = append(errs, fmt.Errorf("check %q: a field has no name", c.Name))
			continue
		}
		if seen[f.Name] {
			errs = append(errs, fmt.Errorf("check %q field %q: declared twice", c.Name, f.Name))
			continue
		}
		seen[f.Name] = true
		cf := field{Field: f, loc: time.UTC}
		if cf.src, err = compileExpr(f.Source, fmt.Sprintf("check %q field %q source", c.Name, f.Name), c.viaCEL); err != nil {
			errs = append(errs, err)
		}
		if cf.tgt, err = compileExpr(f.Target, fmt.Sprintf("check %q field %q target", c.Name, f.Name), c.viaCEL); err != nil {
			errs = append(errs, err)
		}
		if f.Zone != "" {
			if cf.loc, err = time.LoadLocation(f.Zone); err != nil {
				errs = append(errs, fmt.Errorf("check %q field %q zone: %w", c.Name, f.Name, err))
			}
		}
		if f.Tolerance < 0 || f.TimeTolerance < 0 {
			errs = append(errs, fmt.Errorf("check %q field %q: tolerance must not be negative", c.Name, f.Name))
		}
		k.fields = append(k.fields, cf)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("ci: %w", errors.Join(errs...))
	}
	sort.Slice(k.fields, func(i, j int) bool { return k.fields[i].Name < k.fields[j].Name })
	return k, nil
}

// Name is the check's name.
func (k *Checker) Name() string { return k.check.Name }
