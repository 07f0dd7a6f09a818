package contracts

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/brianvoe/gofakeit/v7"
	"github.com/getkin/kin-openapi/openapi3"
)

// FakeScalar returns a value for a GraphQL scalar, realistic for the field
// name, deterministic for (fieldName, scalarType, seed). Built-in scalars:
// ID and String give strings, Int an int64 within 32 bits, Float a float64,
// Boolean a bool. Custom scalars known by name (DateTime, Date, URI, URL,
// Email, HTML, JSON, Money, Decimal, GitObjectID, X509Certificate,
// Base64String, BigInt...) give their usual string form, JSON an object; any
// other custom scalar gives a string realistic for the field name.
func FakeScalar(fieldName, scalarType string, seed int64) any {
	g := newSampler(SampleOptions{Seed: seed})
	key := childKey(childKey(g.root, scalarType), fieldName)
	f := g.faker(key)
	switch scalarType {
	case "ID":
		return g.str(&openapi3.Schema{}, idName(fieldName), key)
	case "String":
		return g.str(&openapi3.Schema{}, fieldName, key)
	case "Int":
		v := g.integer(&openapi3.Schema{Format: "int32"}, fieldName, key)
		return v
	case "Float":
		return g.number(&openapi3.Schema{}, fieldName, key)
	case "Boolean":
		return f.Bool()
	}
	if gen, ok := scalarFakers[normName(scalarType)]; ok {
		return gen(f, fieldName)
	}
	return g.str(&openapi3.Schema{}, fieldName, key)
}

// idName makes sure an ID field gets an identifier even when its name (id,
// node) says nothing.
func idName(field string) string {
	if ruleFor(field) == nil {
		return field + "_id"
	}
	return field
}

// scalarFakers generates custom GraphQL scalars, by normalised scalar name.
var scalarFakers = map[string]func(f *gofakeit.Faker, field string) any{
	"datetime":        func(f *gofakeit.Faker, _ string) any { return fakeInstant(f).Format(time.RFC3339) },
	"iso8601datetime": func(f *gofakeit.Faker, _ string) any { return fakeInstant(f).Format(time.RFC3339) },
	"precisedatetime": func(f *gofakeit.Faker, _ string) any { return fakeInstant(f).Format(time.RFC3339Nano) },
	"timestamp":       func(f *gofakeit.Faker, _ string) any { return fakeInstant(f).Format(time.RFC3339) },
	"gittimestamp":    func(f *gofakeit.Faker, _ string) any { return fakeInstant(f).Format(time.RFC3339) },
	"date":            func(f *gofakeit.Faker, _ string) any { return fakeInstant(f).Format(time.DateOnly) },
	"time":            func(f *gofakeit.Faker, _ string) any { return fakeInstant(f).Format("15:04:05Z") },
	"uri":             func(f *gofakeit.Faker, _ string) any { return fakeURL(f, nil) },
	"url":             func(f *gofakeit.Faker, _ string) any { return fakeURL(f, nil) },
	"email":           func(f *gofakeit.Faker, _ string) any { return f.Email() },
	"html":            func(f *gofakeit.Faker, _ string) any { return "<p>" + f.Sentence(6) + "</p>" },
	"json":            func(f *gofakeit.Faker, field string) any { return map[string]any{normName(field) + "Key": f.Word()} },
	"money":           func(f *gofakeit.Faker, _ string) any { return fmt.Sprintf("%.2f", f.Price(1, 1000)) },
	"decimal":         func(f *gofakeit.Faker, _ string) any { return fmt.Sprintf("%.2f", f.Price(1, 1000)) },
	"bigint":          func(f *gofakeit.Faker, _ string) any { return fmt.Sprint(f.IntRange(1, math.MaxInt32) * 1000) },
	"long":            func(f *gofakeit.Faker, _ string) any { return fmt.Sprint(f.IntRange(1, math.MaxInt32)) },
	"gitobjectid":     func(f *gofakeit.Faker, _ string) any { return hexString(f, 20) },
	"gitrefname":      func(f *gofakeit.Faker, _ string) any { return "refs/heads/" + strings.ToLower(f.NounConcrete()) },
	"gitsshremote": func(f *gofakeit.Faker, _ string) any {
		return "git@github.com:" + f.Username() + "/" + strings.ToLower(f.NounConcrete()) + ".git"
	},
	"x509certificate": func(f *gofakeit.Faker, _ string) any { return fakeCertificate(f) },
	"base64string":    func(f *gofakeit.Faker, _ string) any { return base64.StdEncoding.EncodeToString([]byte(f.Sentence(4))) },
	"uuid":            func(f *gofakeit.Faker, _ string) any { return f.UUID() },
	"color":           func(f *gofakeit.Faker, _ string) any { return f.HexColor() },
	"hexcolor":        func(f *gofakeit.Faker, _ string) any { return f.HexColor() },
	"currencycode":    func(f *gofakeit.Faker, _ string) any { return f.CurrencyShort() },
	"countrycode":     func(f *gofakeit.Faker, _ string) any { return f.CountryAbr() },
	"comparevalue":    func(f *gofakeit.Faker, _ string) any { return strings.ToLower(f.NounConcrete()) },
	"file": func(f *gofakeit.Faker, _ string) any {
		return strings.ToLower(f.NounConcrete()) + "." + f.FileExtension()
	},
	"unsignedint64":  func(f *gofakeit.Faker, _ string) any { return fmt.Sprint(f.IntRange(1, math.MaxInt32)) },
	"unsignedfloat":  func(f *gofakeit.Faker, _ string) any { return f.Price(0, 1000) },
	"positiveint":    func(f *gofakeit.Faker, _ string) any { return int64(f.IntRange(1, 1000)) },
	"nonnegativeint": func(f *gofakeit.Faker, _ string) any { return int64(f.IntRange(0, 1000)) },
	"phonenumber":    func(f *gofakeit.Faker, _ string) any { return "+1" + f.Phone() },
	"emailaddress":   func(f *gofakeit.Faker, _ string) any { return f.Email() },
	"ipv4":           func(f *gofakeit.Faker, _ string) any { return f.IPv4Address() },
	"ipv6":           func(f *gofakeit.Faker, _ string) any { return f.IPv6Address() },
	"duration":       func(f *gofakeit.Faker, _ string) any { return fmt.Sprintf("PT%dM", f.IntRange(1, 120)) },
	"locale":         func(f *gofakeit.Faker, _ string) any { return f.LanguageBCP() },
	"void":           func(*gofakeit.Faker, string) any { return nil },
	"upload": func(f *gofakeit.Faker, _ string) any {
		return strings.ToLower(f.NounConcrete()) + "." + f.FileExtension()
	},
	"objectid":        func(f *gofakeit.Faker, _ string) any { return hexString(f, 12) },
	"semver":          func(f *gofakeit.Faker, _ string) any { return f.AppVersion() },
	"timezone":        func(f *gofakeit.Faker, _ string) any { return f.TimeZoneRegion() },
	"jsonobject":      func(f *gofakeit.Faker, field string) any { return map[string]any{normName(field) + "Key": f.Word()} },
	"formattedstring": func(f *gofakeit.Faker, _ string) any { return f.Sentence(5) },
	"richtext":        func(f *gofakeit.Faker, _ string) any { return "<p>" + f.Sentence(6) + "</p>" },
	"urlstring":       func(f *gofakeit.Faker, _ string) any { return fakeURL(f, nil) },
	"datetimeiso":     func(f *gofakeit.Faker, _ string) any { return fakeInstant(f).Format(time.RFC3339) },
	"iso8601date":     func(f *gofakeit.Faker, _ string) any { return fakeInstant(f).Format(time.DateOnly) },
}

// hexString is n random bytes in hex.
func hexString(f *gofakeit.Faker, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(f.IntN(256))
	}
	return hex.EncodeToString(b)
}

// fakeCertificate is a PEM block shaped like a certificate (not a parseable
// one: GraphQL servers return it as an opaque string).
func fakeCertificate(f *gofakeit.Faker) string {
	body := base64.StdEncoding.EncodeToString([]byte(f.Paragraph(1, 3, 12, " ")))
	return "-----BEGIN CERTIFICATE-----\n" + body + "\n-----END CERTIFICATE-----\n"
}
