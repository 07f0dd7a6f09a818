package contracts

import (
	"encoding/base64"
	"fmt"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/brianvoe/gofakeit/v7"
	"github.com/getkin/kin-openapi/openapi3"
)

// nameMatch says how a name rule's words are compared with a normalised name
// (lower case, letters and digits only: "First_Name" → "firstname").
type nameMatch int

const (
	matchExact    nameMatch = iota // the name is one of the words
	matchSuffix                    // the name ends with one of the words
	matchContains                  // the name contains one of the words
)

// nameRule maps property names to a fake-data function.
type nameRule struct {
	how   nameMatch
	words []string
	fake  func(f *gofakeit.Faker, s *openapi3.Schema) string
}

// nameRules is the table of realistic strings by property name, most
// specific first. The first rule that matches wins; constraints (length,
// pattern) are checked on the result by the caller.
var nameRules = []nameRule{
	{matchSuffix, []string{"email", "emailaddress", "emailid"}, func(f *gofakeit.Faker, _ *openapi3.Schema) string { return f.Email() }},
	{matchContains, []string{"firstname", "givenname", "forename"}, func(f *gofakeit.Faker, _ *openapi3.Schema) string { return f.FirstName() }},
	{matchContains, []string{"lastname", "familyname", "surname"}, func(f *gofakeit.Faker, _ *openapi3.Schema) string { return f.LastName() }},
	{matchContains, []string{"middlename"}, func(f *gofakeit.Faker, _ *openapi3.Schema) string { return f.MiddleName() }},
	{matchContains, []string{"username", "login", "nickname"}, func(f *gofakeit.Faker, _ *openapi3.Schema) string { return f.Username() }},
	{matchContains, []string{"password", "secret"}, func(f *gofakeit.Faker, _ *openapi3.Schema) string {
		return f.Password(true, true, true, false, false, 16)
	}},
	{matchContains, []string{"company", "organization", "organisation", "merchantname", "businessname", "legalname", "brandname"}, func(f *gofakeit.Faker, _ *openapi3.Schema) string { return f.Company() }},
	{matchContains, []string{"filename"}, func(f *gofakeit.Faker, _ *openapi3.Schema) string {
		return strings.ToLower(f.NounConcrete()) + "." + f.FileExtension()
	}},
	{matchContains, []string{"phone", "mobile", "fax", "msisdn"}, func(f *gofakeit.Faker, _ *openapi3.Schema) string { return "+1" + f.Phone() }},
	{matchContains, []string{"street", "addressline", "line1", "address1"}, func(f *gofakeit.Faker, _ *openapi3.Schema) string { return f.Street() }},
	{matchContains, []string{"line2", "address2"}, func(f *gofakeit.Faker, _ *openapi3.Schema) string { return "Apt " + f.Numerify("###") }},
	{matchContains, []string{"city", "town", "locality"}, func(f *gofakeit.Faker, _ *openapi3.Schema) string { return f.City() }},
	{matchContains, []string{"postalcode", "postcode", "zip"}, func(f *gofakeit.Faker, _ *openapi3.Schema) string { return f.Zip() }},
	{matchContains, []string{"countryname"}, func(f *gofakeit.Faker, _ *openapi3.Schema) string { return f.Country() }},
	{matchContains, []string{"country"}, func(f *gofakeit.Faker, _ *openapi3.Schema) string { return f.CountryAbr() }},
	{matchContains, []string{"province", "stateorprovince"}, fakeState},
	{matchExact, []string{"state", "region"}, fakeState},
	{matchContains, []string{"currency"}, func(f *gofakeit.Faker, _ *openapi3.Schema) string { return f.CurrencyShort() }},
	{matchContains, []string{"language", "locale"}, func(f *gofakeit.Faker, s *openapi3.Schema) string {
		if s.MaxLength != nil && *s.MaxLength <= 3 {
			return f.LanguageAbbreviation()
		}
		return f.LanguageBCP()
	}},
	{matchContains, []string{"timezone"}, func(f *gofakeit.Faker, _ *openapi3.Schema) string { return f.TimeZoneRegion() }},
	{matchContains, []string{"url", "uri", "website", "homepage", "href", "link", "webhook", "callback"}, fakeURL},
	{matchContains, []string{"domain", "hostname"}, func(f *gofakeit.Faker, _ *openapi3.Schema) string { return f.DomainName() }},
	{matchSuffix, []string{"ip", "ipaddress"}, func(f *gofakeit.Faker, _ *openapi3.Schema) string { return f.IPv4Address() }},
	{matchContains, []string{"useragent"}, func(f *gofakeit.Faker, _ *openapi3.Schema) string { return f.UserAgent() }},
	{matchContains, []string{"mimetype", "contenttype", "mediatype"}, func(f *gofakeit.Faker, _ *openapi3.Schema) string { return f.FileMimeType() }},
	{matchContains, []string{"color", "colour"}, func(f *gofakeit.Faker, _ *openapi3.Schema) string { return f.SafeColor() }},
	{matchContains, []string{"iban"}, func(f *gofakeit.Faker, _ *openapi3.Schema) string { return "DE" + f.Numerify("####################") }},
	{matchContains, []string{"createdat", "updatedat", "created", "updated", "timestamp", "datetime", "expiresat", "modified"}, fakeDateTime},
	{matchSuffix, []string{"amount", "price", "total", "subtotal", "balance", "fee", "cost"}, func(f *gofakeit.Faker, _ *openapi3.Schema) string {
		return fmt.Sprintf("%.2f", f.Price(1, 1000))
	}},
	{matchSuffix, []string{"quantity", "count"}, func(f *gofakeit.Faker, _ *openapi3.Schema) string { return fmt.Sprint(f.IntRange(1, 10)) }},
	{matchContains, []string{"uuid", "guid"}, func(f *gofakeit.Faker, _ *openapi3.Schema) string { return f.UUID() }},
	{matchSuffix, []string{"id"}, func(f *gofakeit.Faker, _ *openapi3.Schema) string { return f.UUID() }},
	{matchContains, []string{"token", "apikey", "key"}, func(f *gofakeit.Faker, _ *openapi3.Schema) string { return strings.ReplaceAll(f.UUID(), "-", "") }},
	{matchContains, []string{"reference", "invoicenumber", "ordernumber"}, func(f *gofakeit.Faker, _ *openapi3.Schema) string { return f.Numerify("REF-########") }},
	{matchContains, []string{"sku"}, func(f *gofakeit.Faker, _ *openapi3.Schema) string { return f.Numerify("SKU-#####") }},
	{matchContains, []string{"version"}, func(f *gofakeit.Faker, _ *openapi3.Schema) string { return f.AppVersion() }},
	{matchContains, []string{"description", "summary", "comment", "note", "message", "bio", "body", "text", "reason"}, func(f *gofakeit.Faker, _ *openapi3.Schema) string {
		return f.Sentence(8)
	}},
	{matchContains, []string{"title", "subject", "headline", "label", "caption"}, func(f *gofakeit.Faker, _ *openapi3.Schema) string {
		return strings.TrimSuffix(f.Sentence(3), ".")
	}},
	{matchContains, []string{"product", "item"}, func(f *gofakeit.Faker, _ *openapi3.Schema) string { return f.ProductName() }},
	{matchContains, []string{"status"}, func(f *gofakeit.Faker, _ *openapi3.Schema) string {
		return f.RandomString([]string{"active", "pending", "completed", "cancelled", "failed"})
	}},
	{matchContains, []string{"gender"}, func(f *gofakeit.Faker, _ *openapi3.Schema) string { return f.Gender() }},
	{matchContains, []string{"job"}, func(f *gofakeit.Faker, _ *openapi3.Schema) string { return f.JobTitle() }},
	{matchSuffix, []string{"name", "holder", "recipient"}, func(f *gofakeit.Faker, _ *openapi3.Schema) string { return f.Name() }},
}

func fakeState(f *gofakeit.Faker, s *openapi3.Schema) string {
	if s.MaxLength != nil && *s.MaxLength <= 3 {
		return f.StateAbr()
	}
	return f.State()
}

func fakeURL(f *gofakeit.Faker, _ *openapi3.Schema) string {
	return "https://" + f.DomainName() + "/" + f.UrlSlug(2)
}

// sampleEpoch and sampleSpan place generated instants between 2020 and 2027.
var sampleEpoch = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

const sampleSpan = 7 * 365 * 24 * time.Hour

func fakeInstant(f *gofakeit.Faker) time.Time {
	return sampleEpoch.Add(time.Duration(f.IntN(int(sampleSpan/time.Second))) * time.Second)
}

func fakeDateTime(f *gofakeit.Faker, _ *openapi3.Schema) string {
	return fakeInstant(f).Format(time.RFC3339)
}

func fakeDate(f *gofakeit.Faker, _ *openapi3.Schema) string {
	return fakeInstant(f).Format(time.DateOnly)
}

// normName reduces a name to lower-case letters and digits.
func normName(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// instantName reports whether a name reads as an instant: created_at, paidAt.
func instantName(name string) bool {
	return strings.HasSuffix(name, "_at") || strings.HasSuffix(name, "At")
}

// dateName reports whether a name reads as a date: date, due_date, birthDate.
func dateName(name string) bool {
	return strings.EqualFold(name, "date") || strings.HasSuffix(name, "_date") || strings.HasSuffix(name, "Date")
}

var (
	instantRule = nameRule{fake: fakeDateTime}
	dateRule    = nameRule{fake: fakeDate}
)

// ruleFor returns the first name rule matching name, or nil.
func ruleFor(name string) *nameRule {
	n := newNameWords(name)
	if n.joined == "" {
		return nil
	}
	switch {
	case instantName(name):
		return &instantRule
	case dateName(name):
		return &dateRule
	}
	for i := range nameRules {
		r := &nameRules[i]
		for _, w := range r.words {
			if n.match(r.how, w) {
				return r
			}
		}
	}
	return nil
}

// nameWords is a name split into lower-case words: "billingEmailAddress",
// "billing_email_address" → billing, email, address; joined is their
// concatenation and starts the offsets in joined where each word begins.
type nameWords struct {
	joined string
	starts []int
}

func newNameWords(name string) nameWords {
	var n nameWords
	var b strings.Builder
	rs := []rune(name)
	inWord := false
	for i, r := range rs {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			inWord = false
			continue
		}
		boundary := !inWord || unicode.IsUpper(r) && i > 0 && (unicode.IsLower(rs[i-1]) ||
			(unicode.IsUpper(rs[i-1]) && i+1 < len(rs) && unicode.IsLower(rs[i+1])))
		if boundary {
			n.starts = append(n.starts, b.Len())
		}
		b.WriteRune(unicode.ToLower(r))
		inWord = true
	}
	n.joined = b.String()
	return n
}

// boundary reports whether offset i of joined is a word boundary.
func (n nameWords) boundary(i int) bool {
	return i == len(n.joined) || slices.Contains(n.starts, i)
}

// match compares the name with a rule word: exact is the whole name, suffix
// its last words, contains any run of its words, or (for words of five
// letters or more, safe from "capacity" matching "city") any substring.
func (n nameWords) match(how nameMatch, w string) bool {
	switch how {
	case matchExact:
		return n.joined == w
	case matchSuffix:
		return strings.HasSuffix(n.joined, w) && n.boundary(len(n.joined)-len(w))
	}
	if len(w) >= 5 {
		return strings.Contains(n.joined, w)
	}
	for _, at := range n.starts {
		if strings.HasPrefix(n.joined[at:], w) && n.boundary(at+len(w)) {
			return true
		}
	}
	return false
}

// fakeString is a realistic string for the property name, or a few words.
func fakeString(name string, s *openapi3.Schema, f *gofakeit.Faker) string {
	if r := ruleFor(name); r != nil {
		return r.fake(f, s)
	}
	if s.MaxLength != nil && *s.MaxLength < 8 {
		return strings.ToLower(f.NounConcrete())
	}
	return strings.ToLower(f.NounConcrete()) + " " + strings.ToLower(f.NounConcrete())
}

// formatFakers generates strings by OpenAPI / JSON Schema format, and the
// custom formats real contracts use.
var formatFakers = map[string]func(f *gofakeit.Faker) string{
	"date-time":                        func(f *gofakeit.Faker) string { return fakeInstant(f).Format(time.RFC3339) },
	"date":                             func(f *gofakeit.Faker) string { return fakeInstant(f).Format(time.DateOnly) },
	"time":                             func(f *gofakeit.Faker) string { return fakeInstant(f).Format("15:04:05Z") },
	"duration":                         func(f *gofakeit.Faker) string { return fmt.Sprintf("PT%dM", f.IntRange(1, 120)) },
	"email":                            func(f *gofakeit.Faker) string { return f.Email() },
	"idn-email":                        func(f *gofakeit.Faker) string { return f.Email() },
	"uuid":                             func(f *gofakeit.Faker) string { return f.UUID() },
	"uri":                              func(f *gofakeit.Faker) string { return fakeURL(f, nil) },
	"url":                              func(f *gofakeit.Faker) string { return fakeURL(f, nil) },
	"iri":                              func(f *gofakeit.Faker) string { return fakeURL(f, nil) },
	"uri-reference":                    func(f *gofakeit.Faker) string { return "/" + f.UrlSlug(2) },
	"iri-reference":                    func(f *gofakeit.Faker) string { return "/" + f.UrlSlug(2) },
	"uri-template":                     func(f *gofakeit.Faker) string { return fakeURL(f, nil) + "/{id}" },
	"hostname":                         func(f *gofakeit.Faker) string { return f.DomainName() },
	"idn-hostname":                     func(f *gofakeit.Faker) string { return f.DomainName() },
	"ipv4":                             func(f *gofakeit.Faker) string { return f.IPv4Address() },
	"ipv6":                             func(f *gofakeit.Faker) string { return f.IPv6Address() },
	"byte":                             func(f *gofakeit.Faker) string { return base64.StdEncoding.EncodeToString([]byte(f.Sentence(4))) },
	"binary":                           func(f *gofakeit.Faker) string { return f.LetterN(16) },
	"password":                         func(f *gofakeit.Faker) string { return f.Password(true, true, true, false, false, 16) },
	"phone":                            func(f *gofakeit.Faker) string { return "+1" + f.Phone() },
	"phone-number":                     func(f *gofakeit.Faker) string { return "+1" + f.Phone() },
	"iso-country-code":                 func(f *gofakeit.Faker) string { return f.CountryAbr() },
	"ppaas_common_country_code_v2":     func(f *gofakeit.Faker) string { return f.CountryAbr() },
	"ppaas_common_currency_code_v2":    func(f *gofakeit.Faker) string { return f.CurrencyShort() },
	"ppaas_date_time_v3":               func(f *gofakeit.Faker) string { return fakeInstant(f).Format(time.RFC3339) },
	"ppaas_date_notime_v2":             func(f *gofakeit.Faker) string { return fakeInstant(f).Format(time.DateOnly) },
	"ppaas_common_language_v3":         func(f *gofakeit.Faker) string { return f.LanguageBCP() },
	"ppaas_ip_address_v1":              func(f *gofakeit.Faker) string { return f.IPv4Address() },
	"merchant_common_email_address_v2": func(f *gofakeit.Faker) string { return f.Email() },
	"ppaas_common_email_address_v2":    func(f *gofakeit.Faker) string { return f.Email() },
	"int32":                            func(f *gofakeit.Faker) string { return fmt.Sprint(f.IntRange(1, 100000)) },
	"int64":                            func(f *gofakeit.Faker) string { return fmt.Sprint(f.IntRange(1, 100000)) },
	"decimal":                          func(f *gofakeit.Faker) string { return fmt.Sprintf("%.2f", f.Price(1, 1000)) },
	"regex":                            func(f *gofakeit.Faker) string { return "^[a-z]+$" },
	"json-pointer":                     func(f *gofakeit.Faker) string { return "/" + strings.ToLower(f.NounConcrete()) },
}

// formatValue is a string in the given format; false for formats not known.
func formatValue(format string, f *gofakeit.Faker) (string, bool) {
	gen, ok := formatFakers[format]
	if !ok {
		return "", false
	}
	return gen(f), true
}

// numberRange is the realistic range for a number or integer named name
// (integers: amounts in cents, instants in Unix seconds).
func numberRange(name string, integer bool) (float64, float64) {
	nw := newNameWords(name)
	n := nw.joined
	has := func(words ...string) bool {
		for _, w := range words {
			if nw.match(matchContains, w) {
				return true
			}
		}
		return false
	}
	switch {
	case has("latitude") || n == "lat":
		return -90, 90
	case has("longitude") || n == "lng" || n == "lon":
		return -180, 180
	case nw.match(matchSuffix, "count") || nw.match(matchSuffix, "size") || nw.match(matchSuffix, "limit"):
		return 1, 100
	case has("quantity", "qty"):
		return 1, 10
	case has("amount", "price", "total", "balance", "fee", "cost", "tax") && integer:
		return 100, 100000
	case has("amount", "price", "total", "balance", "fee", "cost", "tax"):
		return 1, 1000
	case has("percent", "rate"):
		return 0, 100
	case has("count", "size", "limit"):
		return 1, 100
	case has("year"):
		return 2020, 2027
	case has("month"):
		return 1, 12
	case n == "day" || has("dayofmonth"):
		return 1, 28
	case n == "age":
		return 18, 90
	case has("port"):
		return 1024, 65535
	case has("created", "updated", "timestamp", "expires", "modified") || instantName(name):
		return float64(sampleEpoch.Unix()), float64(sampleEpoch.Add(sampleSpan).Unix())
	case integer:
		return 1, 1000
	}
	return 0, 1000
}

// formatCheckers validate the string formats Sample generates, so a value made
// from a pattern is kept only when it is still in its format.
var formatCheckers = map[string]func(string) bool{
	"date-time": func(v string) bool { _, err := time.Parse(time.RFC3339, v); return err == nil },
	"date":      func(v string) bool { _, err := time.Parse(time.DateOnly, v); return err == nil },
	"email": func(v string) bool {
		at := strings.LastIndexByte(v, '@')
		return at > 0 && strings.Contains(v[at:], ".")
	},
	"uuid": uuidPattern.MatchString,
	"uri": func(v string) bool {
		u, err := url.Parse(v)
		return err == nil && u.Scheme != "" && u.Host != ""
	},
	"url": func(v string) bool {
		u, err := url.Parse(v)
		return err == nil && u.Scheme != "" && u.Host != ""
	},
	"ipv4": func(v string) bool { a, err := netip.ParseAddr(v); return err == nil && a.Is4() },
	"ipv6": func(v string) bool { a, err := netip.ParseAddr(v); return err == nil && a.Is6() },
	"byte": func(v string) bool { _, err := base64.StdEncoding.DecodeString(v); return err == nil },
}

var uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// formatValid reports whether v is in the format; formats without a check pass.
func formatValid(format, v string) bool {
	if check, ok := formatCheckers[format]; ok {
		return check(v)
	}
	return true
}
