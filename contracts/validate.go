package contracts

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"regexp"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// Violation is one way a request or an answer breaks its contract, and where.
type Violation struct {
	In      string `json:"in"`                // path, query, header, cookie, body, security, method, route, status
	Name    string `json:"name,omitempty"`    // the parameter, header or security scheme
	Pointer string `json:"pointer,omitempty"` // JSON pointer into the body or the parameter's value
	Message string `json:"message"`
}

// String renders a violation as "in name pointer: message".
func (v Violation) String() string {
	var b strings.Builder
	b.WriteString(v.In)
	if v.Name != "" {
		b.WriteString(" " + v.Name)
	}
	if v.Pointer != "" {
		b.WriteString(" " + v.Pointer)
	}
	b.WriteString(": " + v.Message)
	return b.String()
}

// Where a violation was found, for Violation.In.
const (
	InPath     = "path"
	InQuery    = "query"
	InHeader   = "header"
	InCookie   = "cookie"
	InBody     = "body"
	InSecurity = "security"
	InStatus   = "status"
)

// Route names the operation a request resolved to, as the validator needs it.
type Route struct {
	Path       string // the contract's path template, e.g. /orders/{id}
	Method     string
	PathItem   *openapi3.PathItem
	Operation  *openapi3.Operation
	PathParams map[string]string // decoded values of the template's parameters
}

// Validator checks requests and answers against one OpenAPI document. It wraps
// kin-openapi's openapi3filter with every violation collected (MultiError),
// formats checked (date, date-time, byte, email, uuid, ipv4, ipv6) and
// security checked for presence: an API key in its header, query or cookie,
// an HTTP basic or bearer Authorization, an OAuth2 or OpenID Connect bearer.
// It is safe for concurrent use.
type Validator struct {
	doc       *openapi3.T
	reqOpts   *openapi3filter.Options
	respOpts  *openapi3filter.Options
	schemaOpt []openapi3.SchemaValidationOption
}

// NewValidator returns a validator for doc.
func NewValidator(doc *openapi3.T) *Validator {
	registerFormDecoder()
	schemaOpts := []openapi3.SchemaValidationOption{checkedFormats()}
	if doc == nil || !doc.IsOpenAPI31OrLater() {
		// Not with 3.1's JSON Schema 2020 validator, which refuses the option.
		schemaOpts = append(schemaOpts, openapi3.DisableSchemaErrorDetails())
	}
	v := &Validator{doc: doc, schemaOpt: schemaOpts}
	v.reqOpts = &openapi3filter.Options{
		MultiError:              true,
		AuthenticationFunc:      vAuthenticate,
		SkipSettingDefaults:     true,
		SchemaValidationOptions: schemaOpts,
		RegexCompiler:           vCompileRegex,
	}
	v.respOpts = &openapi3filter.Options{
		MultiError:              true,
		IncludeResponseStatus:   true,
		SchemaValidationOptions: schemaOpts,
		RegexCompiler:           vCompileRegex,
	}
	return v
}

// checkedFormats is the option that checks the string formats a Validator
// checks; Sample checks request examples with it too, so that an example the
// mock would refuse is never sent.
func checkedFormats() openapi3.SchemaValidationOption {
	return openapi3.WithStringFormatValidators(map[string]openapi3.StringFormatValidator{
		"email":     openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForEmail),
		"uuid":      openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForUUIDOfRFC9562),
		"ipv4":      vIPFormat{v4: true},
		"ipv6":      vIPFormat{},
		"date":      openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringDate),
		"date-time": openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringDateTime),
		"byte":      openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringByte),
	})
}

// vCompileRegex compiles a contract's pattern; one Go cannot compile (a
// look-ahead) matches everything rather than failing every request.
func vCompileRegex(expr string) (openapi3.RegexMatcher, error) {
	re, err := regexp.Compile(expr)
	if err != nil {
		return vMatchAll{}, nil
	}
	return re, nil
}

type vMatchAll struct{}

func (vMatchAll) MatchString(string) bool { return true }

type vIPFormat struct{ v4 bool }

func (f vIPFormat) Validate(s string) error {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Is4() != f.v4 {
		if f.v4 {
			return errors.New("not an IPv4 address")
		}
		return errors.New("not an IPv6 address")
	}
	return nil
}

func (v *Validator) route(rt Route) *routers.Route {
	return &routers.Route{Spec: v.doc, Path: rt.Path, PathItem: rt.PathItem, Method: rt.Method, Operation: rt.Operation}
}

// ValidateRequest checks req against the operation rt resolved to and returns
// every violation, none when the request conforms. body is the request's
// body, already read; req.Body is left readable.
func (v *Validator) ValidateRequest(ctx context.Context, req *http.Request, body []byte, rt Route) []Violation {
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	if len(body) == 0 {
		req.Body = http.NoBody
	}
	in := &openapi3filter.RequestValidationInput{
		Request:    req,
		PathParams: rt.PathParams,
		Route:      v.route(rt),
		Options:    v.reqOpts,
	}
	err := openapi3filter.ValidateRequest(ctx, in)
	req.Body = io.NopCloser(bytes.NewReader(body))
	if err == nil {
		return nil
	}
	return Violations(err)
}

// ValidateResponse checks an answer to req (which resolved to rt) and returns
// every violation: an undeclared status, a header or a body that breaks the
// declared schema, a content type the operation does not declare.
func (v *Validator) ValidateResponse(ctx context.Context, req *http.Request, rt Route, status int, header http.Header, body []byte) []Violation {
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: req, PathParams: rt.PathParams, Route: v.route(rt), Options: v.reqOpts,
		},
		Status:  status,
		Header:  header,
		Options: v.respOpts,
	}
	in.SetBodyBytes(body)
	err := openapi3filter.ValidateResponse(ctx, in)
	if err == nil {
		return nil
	}
	return Violations(err)
}

// ValidateValue checks a JSON-shaped value (as encoding/json decodes it)
// against schema, as an answer's body (asResponse) or a request's.
func (v *Validator) ValidateValue(schema *openapi3.Schema, value any, asResponse bool) []Violation {
	return v.validateValue(schema, value, asResponse)
}

// ValidateRecord checks a record a mock is to hold (a seed, an insert
// through the admin API) against the schema of its collection's items: as
// a request is checked, so the properties the server writes (readOnly:
// the id, timestamps) need not be there, but may be.
func (v *Validator) ValidateRecord(schema *openapi3.Schema, value any) []Violation {
	return v.validateValue(schema, value, false, openapi3.DisableReadOnlyValidation())
}

func (v *Validator) validateValue(schema *openapi3.Schema, value any, asResponse bool, extra ...openapi3.SchemaValidationOption) []Violation {
	opts := append([]openapi3.SchemaValidationOption{openapi3.MultiErrors()}, v.schemaOpt...)
	opts = append(opts, extra...)
	opts = append(opts, openapi3.SetSchemaRegexCompiler(vCompileRegex))
	if asResponse {
		opts = append(opts, openapi3.VisitAsResponse())
	} else {
		opts = append(opts, openapi3.VisitAsRequest())
	}
	if v.doc != nil && v.doc.IsOpenAPI31OrLater() {
		opts = append(opts, openapi3.EnableJSONSchema2020())
	}
	err := schema.VisitJSON(value, opts...)
	if err == nil {
		return nil
	}
	var out []Violation
	vSchemaViolations(&out, Violation{In: InBody}, err)
	return out
}

// Violations vFlattens an error of openapi3filter's ValidateRequest or
// ValidateResponse into one violation per problem, each saying where.
func Violations(err error) []Violation {
	var out []Violation
	vFlatten(&out, err)
	sort.SliceStable(out, func(i, j int) bool { return vRank(out[i].In) < vRank(out[j].In) })
	return out
}

func vRank(in string) int {
	switch in {
	case InSecurity:
		return 0
	case InPath:
		return 1
	case InQuery:
		return 2
	case InHeader:
		return 3
	case InCookie:
		return 4
	case InBody:
		return 5
	}
	return 6
}

func vFlatten(out *[]Violation, err error) {
	var (
		multi openapi3.MultiError
		sec   *openapi3filter.SecurityRequirementsError
		req   *openapi3filter.RequestError
		resp  *openapi3filter.ResponseError
	)
	switch {
	case errors.As(err, &multi) && vIsMulti(err):
		for _, e := range multi {
			vFlatten(out, e)
		}
	case errors.As(err, &sec):
		*out = append(*out, vSecurityViolation(sec))
	case errors.As(err, &req):
		vRequestViolations(out, req)
	case errors.As(err, &resp):
		vResponseViolations(out, resp)
	default:
		*out = append(*out, Violation{In: InBody, Message: err.Error()})
	}
}

// vIsMulti reports whether err itself (not something it wraps) is a MultiError.
func vIsMulti(err error) bool {
	_, ok := err.(openapi3.MultiError)
	return ok
}

func vSecurityViolation(sec *openapi3filter.SecurityRequirementsError) Violation {
	var names, msgs []string
	for _, req := range sec.SecurityRequirements {
		var group []string
		for name := range req {
			group = append(group, name)
		}
		sort.Strings(group)
		names = append(names, strings.Join(group, "+"))
	}
	for _, e := range sec.Errors {
		var re *openapi3filter.RequestError
		if errors.As(e, &re) && re.Err != nil {
			msgs = append(msgs, re.Err.Error())
		} else {
			msgs = append(msgs, e.Error())
		}
	}
	return Violation{
		In:      InSecurity,
		Name:    strings.Join(names, " | "),
		Message: "no credentials the operation accepts: " + strings.Join(msgs, "; or "),
	}
}

func vRequestViolations(out *[]Violation, re *openapi3filter.RequestError) {
	switch {
	case re.Parameter != nil:
		base := Violation{In: re.Parameter.In, Name: re.Parameter.Name}
		if re.Err == nil || errors.Is(re.Err, openapi3filter.ErrInvalidRequired) || errors.Is(re.Err, openapi3filter.ErrInvalidEmptyValue) {
			base.Message = vReasonOf(re)
			*out = append(*out, base)
			return
		}
		vSchemaViolations(out, base, re.Err)
	case re.RequestBody != nil:
		base := Violation{In: InBody}
		if strings.HasPrefix(re.Reason, "header Content-Type") {
			*out = append(*out, Violation{In: InHeader, Name: "Content-Type", Message: vContentTypeMessage(re)})
			return
		}
		if re.Err == nil || errors.Is(re.Err, openapi3filter.ErrInvalidRequired) {
			base.Message = vReasonOf(re)
			if errors.Is(re.Err, openapi3filter.ErrInvalidRequired) {
				base.Message = "a body is required"
			}
			*out = append(*out, base)
			return
		}
		var se *openapi3.SchemaError
		var me openapi3.MultiError
		if !errors.As(re.Err, &se) && !errors.As(re.Err, &me) {
			base.Message = vReasonOf(re)
			*out = append(*out, base)
			return
		}
		vSchemaViolations(out, base, re.Err)
	default:
		*out = append(*out, Violation{In: InSecurity, Message: vReasonOf(re)})
	}
}

func vContentTypeMessage(re *openapi3filter.RequestError) string {
	var declared []string
	for mt := range re.RequestBody.Content {
		declared = append(declared, mt)
	}
	sort.Strings(declared)
	return fmt.Sprintf("%s; the operation accepts %s", re.Reason, strings.Join(declared, ", "))
}

func vReasonOf(re *openapi3filter.RequestError) string {
	switch {
	case re.Err == nil:
		return re.Reason
	case re.Reason == "" || re.Reason == re.Err.Error():
		return re.Err.Error()
	}
	return re.Reason + ": " + re.Err.Error()
}

func vResponseViolations(out *[]Violation, re *openapi3filter.ResponseError) {
	base := Violation{In: InBody}
	switch {
	case strings.HasPrefix(re.Reason, "status"):
		*out = append(*out, Violation{In: InStatus, Message: re.Reason})
		return
	case strings.Contains(re.Reason, "header"):
		base = Violation{In: InHeader, Name: vHeaderName(re.Reason)}
	}
	if re.Err == nil {
		base.Message = re.Reason
		*out = append(*out, base)
		return
	}
	var se *openapi3.SchemaError
	var me openapi3.MultiError
	if errors.As(re.Err, &se) || errors.As(re.Err, &me) {
		vSchemaViolations(out, base, re.Err)
		return
	}
	base.Message = re.Reason + ": " + re.Err.Error()
	*out = append(*out, base)
}

// vHeaderName picks the quoted header name out of a reason such as
// `unable to decode header "X-Rate" value`.
func vHeaderName(reason string) string {
	if i := strings.IndexByte(reason, '"'); i >= 0 {
		if j := strings.IndexByte(reason[i+1:], '"'); j >= 0 {
			return reason[i+1 : i+1+j]
		}
	}
	return ""
}

// vSchemaViolations turns a schema error tree into one violation per leaf,
// each with the JSON pointer to the value that failed.
func vSchemaViolations(out *[]Violation, base Violation, err error) {
	if me, ok := err.(openapi3.MultiError); ok {
		for _, e := range me {
			vSchemaViolations(out, base, e)
		}
		return
	}
	var se *openapi3.SchemaError
	if !errors.As(err, &se) {
		var me openapi3.MultiError
		if errors.As(err, &me) {
			vSchemaViolations(out, base, me)
			return
		}
		v := base
		v.Message = err.Error()
		*out = append(*out, v)
		return
	}
	v := base
	path := se.JSONPointer()
	if strings.HasSuffix(se.Reason, `" is unsupported`) {
		// kin-openapi points at the object; point at the extra property.
		if _, name, ok := strings.Cut(se.Reason, `property "`); ok {
			if name, _, ok = strings.Cut(name, `"`); ok {
				path = append(path, name)
			}
		}
	}
	v.Pointer = joinPointer(path)
	switch {
	case se.Reason != "":
		v.Message = se.Reason
	case se.Origin != nil:
		v.Message = se.Origin.Error()
	default:
		v.Message = fmt.Sprintf("does not match the schema's %q", se.SchemaField)
	}
	*out = append(*out, v)
}
