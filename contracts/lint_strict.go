package contracts

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// StrictProblems runs kin-openapi's strict document validation, collecting
// every finding, and returns each as a warning located by the context the
// validator wraps it in (rule "openapi/" + kin-openapi's error code).
// Examples are left to the example-invalid rule (which locates each one),
// conflicting paths, duplicate operationIds and wrong defaults to their own
// rules.
//
// Loading does not run it: on Stripe's 2 MB contract it costs as much as
// the load itself, and real contracts fail it yet serve. Lint runs it; a
// mock may run it after it has started serving.
func (c *OpenAPI) StrictProblems(ctx context.Context) (out []Problem) {
	if c == nil || c.Doc == nil {
		return nil
	}
	defer func() {
		if r := recover(); r != nil {
			out = append(out, c.problemAt(SeverityWarning, RuleSpec, "", fmt.Sprintf("strict validation stopped: %v", r)))
		}
	}()
	err := c.Doc.Validate(ctx, openapi3.EnableMultiError(), openapi3.DisableExamplesValidation(),
		openapi3.AllowExtraSiblingFields("example"))
	if err == nil {
		return nil
	}
	var errs []error
	var me openapi3.MultiError
	if errors.As(err, &me) {
		errs = flattenMulti(me)
	} else {
		errs = []error{err}
	}
	seen := map[string]bool{}
	for _, e := range errs {
		var coded openapi3.CodedError
		rule, sev := RuleSpec, SeverityWarning
		if errors.As(e, &coded) {
			switch coded.Code() {
			case "conflicting-paths", "duplicate-operation-id", "default-violates-schema":
				continue
			case "unresolved-ref":
				// A cycle of bare $refs (A is B, B is A) loads but means nothing.
				rule, sev = RuleRefUnresolved, SeverityError
			default:
				rule += "/" + coded.Code()
			}
		}
		ptr, msg := c.validationContext(e)
		p := c.problemAt(sev, rule, ptr, msg)
		key := p.Pointer + "\x00" + p.Message
		if !seen[key] {
			seen[key] = true
			out = append(out, p)
		}
	}
	return out
}

func flattenMulti(me openapi3.MultiError) []error {
	var out []error
	for _, e := range me {
		var inner openapi3.MultiError
		if errors.As(e, &inner) && len(inner) > 0 {
			out = append(out, flattenMulti(inner)...)
			continue
		}
		out = append(out, e)
	}
	return out
}

// componentSections maps the validator's component section names to the
// keys of components.
var componentSections = map[string]string{
	"schema": "schemas", "parameter": "parameters", "header": "headers", "request body": "requestBodies",
	"response": "responses", "security scheme": "securitySchemes", "example": "examples", "link": "links", "callback": "callbacks",
}

// validationContext reads the pointer out of the validator's context
// wrappers and returns it with the innermost message.
func (c *OpenAPI) validationContext(err error) (string, string) {
	var tokens []string
	inner := err
	var param *openapi3.ParameterFieldValidationError
	for e := err; e != nil; e = errors.Unwrap(e) {
		wrapper := true
		switch x := e.(type) {
		case *openapi3.SectionValidationError:
			switch x.Section {
			case "external docs":
				tokens = append(tokens, "externalDocs")
			default:
				tokens = append(tokens, x.Section)
			}
		case *openapi3.ComponentValidationError:
			if s, ok := componentSections[x.Section]; ok {
				tokens = append(tokens, s, x.Name)
			}
		case *openapi3.PathValidationError:
			tokens = append(tokens, x.Path)
		case *openapi3.OperationValidationError:
			tokens = append(tokens, strings.ToLower(x.Method))
		case *openapi3.WebhookValidationError:
			tokens = append(tokens, x.Name)
		case *openapi3.ParameterFieldValidationError:
			param = x
			wrapper = false
		case *openapi3.HeaderFieldValidationError,
			*openapi3.TagValidationError, *openapi3.ExternalDocsURLValidationError,
			*openapi3.SecuritySchemeFlowValidationError, *openapi3.OAuthFlowValidationError,
			*openapi3.OAuthFlowFieldValidationError, *openapi3.SchemaCombinatorElementValidationError,
			*openapi3.MediaTypeEncodingValidationError:
			wrapper = false // they name what the message needs: keep them in it
		default:
			wrapper = false
		}
		if !wrapper {
			inner = e
			break
		}
	}
	if len(tokens) > 0 && tokens[0] == "security" {
		tokens = tokens[:1]
	}
	msg := firstLine(inner.Error())
	if param != nil {
		tokens = c.parameterTokens(tokens, param)
	}
	if len(tokens) == 1 && tokens[0] == "paths" {
		// Some path findings carry no path context but name the operation.
		if m := operationInMessage.FindStringSubmatch(msg); m != nil {
			tokens = append(tokens, m[2], strings.ToLower(m[1]))
		}
	}
	return joinPointer(tokens), msg
}

var operationInMessage = regexp.MustCompile(`operation ([A-Z]+) (/\S*)`)

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// parameterTokens extends the pointer of an operation, path item or
// parameter component with the index of the named parameter and the field
// the validator found wrong.
func (c *OpenAPI) parameterTokens(tokens []string, pe *openapi3.ParameterFieldValidationError) []string {
	var params openapi3.Parameters
	switch {
	case len(tokens) == 3 && tokens[0] == "components" && tokens[1] == "parameters":
		return append(tokens, pe.Field)
	case len(tokens) >= 2 && tokens[0] == "paths" && c.Doc.Paths != nil:
		item := c.Doc.Paths.Value(tokens[1])
		if item == nil {
			return tokens
		}
		params = item.Parameters
		if len(tokens) == 3 {
			op := item.GetOperation(strings.ToUpper(tokens[2]))
			if op == nil {
				return tokens
			}
			params = op.Parameters
		}
	default:
		return tokens
	}
	for i, p := range params {
		if p != nil && p.Value != nil && p.Value.Name == pe.ParameterName {
			return append(tokens, "parameters", strconv.Itoa(i), pe.Field)
		}
	}
	return tokens
}
