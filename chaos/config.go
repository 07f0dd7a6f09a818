package chaos

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// ReadConfig reads a Toxiproxy config file: a JSON array of proxies, the
// format toxiproxy-server -config takes. Unknown fields are refused; an
// error names the file (name), the line and the field.
func ReadConfig(r io.Reader, name string) ([]ProxyConfig, error) {
	data, err := io.ReadAll(io.LimitReader(r, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("chaos: read %s: %w", name, err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var configs []ProxyConfig
	if err := dec.Decode(&configs); err != nil {
		return nil, fmt.Errorf("chaos: %s:%d: %s: %w", name, lineOf(data, dec.InputOffset(), err), describeJSONError(err), ErrInvalid)
	}
	if dec.More() {
		return nil, fmt.Errorf("chaos: %s:%d: data after the array: %w", name, lineOf(data, dec.InputOffset(), nil), ErrInvalid)
	}
	var errs []error
	for i, c := range configs {
		if c.Name == "" {
			errs = append(errs, fmt.Errorf("chaos: %s: proxy %d: name is required: %w", name, i, ErrInvalid))
		}
		if c.Upstream == "" {
			errs = append(errs, fmt.Errorf("chaos: %s: proxy %d (%s): upstream is required: %w", name, i, c.Name, ErrInvalid))
		}
		if c.Listen == "" {
			configs[i].Listen = DefaultListen
		}
	}
	return configs, errors.Join(errs...)
}

// lineOf returns the 1-based line of the error's offset in data (the
// decoder's offset when the error carries none).
func lineOf(data []byte, offset int64, err error) int {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		offset = syn.Offset
	case errors.As(err, &typ):
		offset = typ.Offset
	}
	offset = max(0, min(offset, int64(len(data))))
	return 1 + bytes.Count(data[:offset], []byte("\n"))
}

func describeJSONError(err error) string {
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		return fmt.Sprintf("field %s: want %s, got %s", typ.Field, typ.Type, typ.Value)
	}
	return err.Error()
}
