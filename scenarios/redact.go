package scenarios

import (
	"context"
	"log/slog"
	"reflect"
)

// redacted returns a copy of v with every secret redacted from each string
// and byte slice it holds, however deep (a report, a verdict, the entries
// of a journal). The copy shares nothing that it changed with v: a
// journal's entries stay as the mock keeps them. Unexported fields are
// copied as they are.
func redacted[T any](s *Secrets, v T) T {
	if s == nil || !s.any() {
		return v
	}
	rv := reflect.ValueOf(&v).Elem()
	return s.redactCopy(rv).Interface().(T)
}

func (s *Secrets) any() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.values) > 0
}

var errorType = reflect.TypeOf((*error)(nil)).Elem()

// redactCopy returns a redacted copy of v, of v's type.
func (s *Secrets) redactCopy(v reflect.Value) reflect.Value {
	out := reflect.New(v.Type()).Elem()
	switch v.Kind() {
	case reflect.String:
		out.SetString(s.Redact(v.String()))
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		if v.Type().Elem().Kind() == reflect.Uint8 {
			b := []byte(s.Redact(string(v.Bytes())))
			out.Set(reflect.ValueOf(b).Convert(v.Type()))
			return out
		}
		out.Set(reflect.MakeSlice(v.Type(), v.Len(), v.Len()))
		for i := range v.Len() {
			out.Index(i).Set(s.redactCopy(v.Index(i)))
		}
	case reflect.Array:
		for i := range v.Len() {
			out.Index(i).Set(s.redactCopy(v.Index(i)))
		}
	case reflect.Map:
		if v.IsNil() {
			return v
		}
		out.Set(reflect.MakeMapWithSize(v.Type(), v.Len()))
		for it := v.MapRange(); it.Next(); {
			out.SetMapIndex(s.redactCopy(it.Key()), s.redactCopy(it.Value()))
		}
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		p := reflect.New(v.Type().Elem())
		p.Elem().Set(s.redactCopy(v.Elem()))
		out.Set(p)
	case reflect.Interface:
		if v.IsNil() {
			return v
		}
		if v.Type() == errorType { // its text is in unexported fields
			out.Set(reflect.ValueOf(s.RedactError(v.Interface().(error))))
			return out
		}
		out.Set(s.redactCopy(v.Elem()))
	case reflect.Struct:
		out.Set(v)
		for i := range v.NumField() {
			if f := out.Field(i); f.CanSet() {
				f.Set(s.redactCopy(v.Field(i)))
			}
		}
	default:
		return v
	}
	return out
}

// redactHandler is a slog.Handler that redacts secrets from the message
// and from every attribute before its inner handler sees them.
type redactHandler struct {
	s     *Secrets
	inner slog.Handler
}

func (h redactHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.inner.Enabled(ctx, l)
}

func (h redactHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, h.s.Redact(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.inner.Handle(ctx, out)
}

func (h redactHandler) WithAttrs(as []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(as))
	for i, a := range as {
		clean[i] = h.attr(a)
	}
	return redactHandler{s: h.s, inner: h.inner.WithAttrs(clean)}
}

func (h redactHandler) WithGroup(name string) slog.Handler {
	return redactHandler{s: h.s, inner: h.inner.WithGroup(name)}
}

// attr redacts one attribute: strings, groups, and any other value by its
// text (an error, a URL, a struct), which is how a handler would print it.
func (h redactHandler) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, h.s.Redact(v.String()))
	case slog.KindGroup:
		g := v.Group()
		clean := make([]any, len(g))
		for i, x := range g {
			clean[i] = h.attr(x)
		}
		return slog.Group(a.Key, clean...)
	case slog.KindAny:
		text := v.String()
		if clean := h.s.Redact(text); clean != text {
			return slog.String(a.Key, clean)
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}
