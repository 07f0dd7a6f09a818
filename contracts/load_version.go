package contracts

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
)

// versionLine is a top-level YAML line that states the version, its value
// plain (2.0, 3.0.3) or quoted, with an optional comment after it.
var versionLine = regexp.MustCompile(`^(swagger|openapi):[ \t]+(?:([0-9]+(?:\.[0-9]+)*)|'([0-9A-Za-z.\-+]*)'|"([0-9A-Za-z.\-+]*)")(?:[ \t]+#.*|[ \t]*)$`)

// quickVersion reads the version of a YAML document from its top-level
// swagger: or openapi: line without parsing the document, the way
// sniffVersion would read it (an unquoted 2.0 is the number 2.0), and the
// text the document wrote (what the loader reads in the field). ok is false
// when it cannot tell for sure: JSON, no such line or two of them, a value
// written any other way, or a version sniffVersion would refuse; the caller
// then reads the whole document with sniffVersion.
func quickVersion(data []byte) (version, text string, ok bool) {
	if !isYAML(data) {
		return "", "", false
	}
	var line, rest []byte
	for _, key := range []string{"swagger:", "openapi:"} {
		l, r, found, unique := topLevelLine(data, key)
		if !unique {
			return "", "", false
		}
		if found {
			if line != nil {
				return "", "", false
			}
			line, rest = l, r
		}
	}
	m := versionLine.FindSubmatch(bytes.TrimSuffix(line, []byte("\r")))
	if m == nil || continued(rest) {
		return "", "", false
	}
	swagger := string(m[1]) == "swagger"
	switch {
	case m[2] != nil:
		text = string(m[2])
		version, ok = plainVersion(text)
		if !ok {
			return "", "", false
		}
	case m[3] != nil:
		text, version = string(m[3]), string(m[3])
	default:
		text, version = string(m[4]), string(m[4])
	}
	if swagger && version != "2.0" || !swagger && !strings.HasPrefix(version, "3.") {
		return "", "", false
	}
	return version, text, true
}

// plainVersion is what YAML makes of an unquoted version, rendered as
// scalarString does: 2.0 is a float, 3 an int, 3.0.3 a string. A leading
// zero (an octal to some YAML readers) is left to sniffVersion.
func plainVersion(text string) (string, bool) {
	if len(text) > 1 && text[0] == '0' && text[1] != '.' {
		return "", false
	}
	switch strings.Count(text, ".") {
	case 0:
		n, err := strconv.Atoi(text)
		if err != nil {
			return "", false
		}
		return scalarString(n), true
	case 1:
		f, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return "", false
		}
		return scalarString(f), true
	}
	return text, true
}

// topLevelLine finds the line of data that starts with key at column 0,
// and what follows it. unique is false when more than one line does.
func topLevelLine(data []byte, key string) (line, rest []byte, found, unique bool) {
	k := []byte(key)
	at := -1
	if bytes.HasPrefix(data, k) {
		at = 0
	}
	nk := append([]byte{'\n'}, k...)
	for from := 0; ; {
		i := bytes.Index(data[from:], nk)
		if i < 0 {
			break
		}
		if at >= 0 {
			return nil, nil, false, false
		}
		at = from + i + 1
		from = at
	}
	if at < 0 {
		return nil, nil, false, true
	}
	end := bytes.IndexByte(data[at:], '\n')
	if end < 0 {
		return data[at:], nil, true, true
	}
	return data[at : at+end], data[at+end+1:], true, true
}

// continued reports whether the next line that is not blank is indented:
// it may continue the value of the line before (a plain scalar folds over
// lines), so the value is not known from that line alone.
func continued(rest []byte) bool {
	for len(rest) > 0 {
		line := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i], rest[i+1:]
		} else {
			rest = nil
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		return line[0] == ' ' || line[0] == '\t'
	}
	return false
}
