package contracts

import (
	"encoding/base64"
	"encoding/json"
	"math"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestFakeScalar(t *testing.T) {
	t.Parallel()
	isString := func(ok func(string) bool) func(any) bool {
		return func(v any) bool { s, is := v.(string); return is && ok(s) }
	}
	parses := func(layout string) func(any) bool {
		return isString(func(s string) bool { _, err := time.Parse(layout, s); return err == nil })
	}
	isURL := isString(func(s string) bool { u, err := url.Parse(s); return err == nil && u.Scheme == "https" && u.Host != "" })
	decimal := regexp.MustCompile(`^[0-9]+\.[0-9]{2}$`)
	tests := []struct {
		field, scalar string
		ok            func(any) bool
		bad           any // a value ok must refuse: the negative control
	}{
		{"id", "ID", isString(func(s string) bool { return uuidPattern.MatchString(s) }), "x"},
		{"email", "String", isString(func(s string) bool { return strings.Contains(s, "@") }), "nobody"},
		{"name", "String", isString(func(s string) bool { return len(s) > 2 && strings.Contains(s, " ") }), "x"},
		{"count", "Int", func(v any) bool {
			n, is := v.(int64)
			return is && n >= math.MinInt32 && n <= math.MaxInt32
		}, float64(1)},
		{"price", "Float", func(v any) bool { f, is := v.(float64); return is && f >= 1 && f <= 1000 }, int64(5)},
		{"viewerCanAdminister", "Boolean", func(v any) bool { _, is := v.(bool); return is }, "true"},
		{"createdAt", "DateTime", parses(time.RFC3339), "yesterday"},
		{"createdAt", "ISO8601DateTime", parses(time.RFC3339), "2020-01-01"},
		{"date", "Date", parses(time.DateOnly), "2020-02-30"},
		{"url", "URI", isURL, "/relative"},
		{"url", "URL", isURL, "ftp:"},
		{"email", "Email", isString(func(s string) bool { return strings.Contains(s, "@") }), "x"},
		{"bodyHTML", "HTML", isString(func(s string) bool { return strings.HasPrefix(s, "<p>") }), "plain"},
		{"metadata", "JSON", func(v any) bool { _, is := v.(map[string]any); return is }, "{}"},
		{"amount", "Money", isString(decimal.MatchString), "12.5"},
		{"amount", "Decimal", isString(decimal.MatchString), 12.5},
		{"oid", "GitObjectID", isString(regexp.MustCompile(`^[0-9a-f]{40}$`).MatchString), "abc"},
		{"certificate", "X509Certificate", isString(func(s string) bool { return strings.HasPrefix(s, "-----BEGIN CERTIFICATE-----\n") }), "cert"},
		{"data", "Base64String", isString(func(s string) bool { _, err := base64.StdEncoding.DecodeString(s); return err == nil && s != "" }), "!!"},
		{"databaseId", "BigInt", isString(func(s string) bool { _, err := strconv.ParseInt(s, 10, 64); return err == nil }), "1e9"},
		{"email", "SomeUnknownScalar", isString(func(s string) bool { return strings.Contains(s, "@") }), 3},
	}
	for _, tt := range tests {
		t.Run(tt.scalar+"/"+tt.field, func(t *testing.T) {
			t.Parallel()
			for seed := range int64(10) {
				v := FakeScalar(tt.field, tt.scalar, seed)
				if !tt.ok(v) {
					t.Fatalf("seed %d: %#v is not a %s for %s", seed, v, tt.scalar, tt.field)
				}
				if _, err := json.Marshal(v); err != nil {
					t.Fatalf("seed %d: %v", seed, err)
				}
				if again := FakeScalar(tt.field, tt.scalar, seed); jsonText(again) != jsonText(v) {
					t.Fatalf("seed %d: %v then %v", seed, v, again)
				}
			}
			if tt.ok(tt.bad) {
				t.Errorf("negative control: %#v passes the %s check", tt.bad, tt.scalar)
			}
		})
	}
}

func TestFakeScalarSeedsDiffer(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for seed := range int64(20) {
		seen[jsonText(FakeScalar("login", "String", seed))] = true
	}
	if len(seen) < 15 {
		t.Errorf("20 seeds gave only %d different logins", len(seen))
	}
}

func TestNameRules(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		want string // a word of the rule expected, "" for none
	}{
		{"email", "email"},
		{"billingEmail", "email"},
		{"email_address", "emailaddress"},
		{"emailSubject", "subject"},
		{"first_name", "firstname"},
		{"FirstName", "firstname"},
		{"name", "name"},
		{"company_name", "company"},
		{"capacity", ""},
		{"account_count", "count"},
		{"city", "city"},
		{"shipping_city", "city"},
		{"id", "id"},
		{"width", ""},
		{"state", "state"},
		{"statement", ""},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := ruleFor(tt.name)
			switch {
			case tt.want == "" && r != nil:
				t.Errorf("%q matched %v, want no rule", tt.name, r.words)
			case tt.want != "" && (r == nil || !fakeHasWord(r.words, tt.want)):
				t.Errorf("%q matched %v, want the rule with %q", tt.name, r, tt.want)
			}
		})
	}
}

func fakeHasWord(words []string, w string) bool {
	for _, x := range words {
		if x == w {
			return true
		}
	}
	return false
}
