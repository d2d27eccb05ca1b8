package serving

import (
	"fmt"
	"strconv"
	"strings"
)

// A reader for the small protobuf text format files TensorFlow Serving takes
// on its command line (batching parameters, monitoring config): fields
// "name: scalar" and "name { ... }" (or "name: { ... }"), separated by
// white space, commas or semicolons, with # comments.

type textField struct {
	name   string
	scalar string      // a scalar's text, quotes removed from strings
	quoted bool        // the scalar was a string
	msg    []textField // a message's fields; nil for scalars
	isMsg  bool
}

func (f textField) int() (int64, error) {
	if f.isMsg || f.quoted {
		return 0, fmt.Errorf("%s: want an integer", f.name)
	}
	v, err := strconv.ParseInt(f.scalar, 0, 64)
	if err != nil {
		return 0, fmt.Errorf("%s: %q is not an integer", f.name, f.scalar)
	}
	return v, nil
}

// wrappedInt reads a google.protobuf.Int64Value field: name { value: N }.
func (f textField) wrappedInt() (int64, error) {
	if !f.isMsg {
		return 0, fmt.Errorf("%s: want { value: N }", f.name)
	}
	var v int64
	for _, g := range f.msg {
		if g.name != "value" {
			return 0, fmt.Errorf("%s: unknown field %q", f.name, g.name)
		}
		n, err := g.int()
		if err != nil {
			return 0, fmt.Errorf("%s.%w", f.name, err)
		}
		v = n
	}
	return v, nil
}

func (f textField) boolValue() (bool, error) {
	s := f.scalar
	if f.isMsg { // BoolValue { value: true }
		for _, g := range f.msg {
			if g.name == "value" {
				s = g.scalar
			}
		}
	}
	switch s {
	case "true", "True", "t", "1":
		return true, nil
	case "false", "False", "f", "0", "":
		return false, nil
	}
	return false, fmt.Errorf("%s: %q is not a bool", f.name, s)
}

type textParser struct {
	s    string
	pos  int
	line int
}

func parseTextProto(s string) ([]textField, error) {
	p := &textParser{s: s, line: 1}
	fields, err := p.fields(false)
	if err != nil {
		return nil, fmt.Errorf("line %d: %w", p.line, err)
	}
	return fields, nil
}

func (p *textParser) skip() {
	for p.pos < len(p.s) {
		switch c := p.s[p.pos]; c {
		case '\n':
			p.line++
			p.pos++
		case ' ', '\t', '\r', ',', ';':
			p.pos++
		case '#':
			for p.pos < len(p.s) && p.s[p.pos] != '\n' {
				p.pos++
			}
		default:
			return
		}
	}
}

func isIdent(c byte) bool {
	return c == '_' || c == '.' || c == '-' || c == '+' || c == '[' || c == ']' || c == '/' ||
		(c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

func (p *textParser) ident() string {
	start := p.pos
	for p.pos < len(p.s) && isIdent(p.s[p.pos]) {
		p.pos++
	}
	return p.s[start:p.pos]
}

func (p *textParser) fields(nested bool) ([]textField, error) {
	var out []textField
	for {
		p.skip()
		if p.pos >= len(p.s) {
			if nested {
				return nil, fmt.Errorf("missing '}'")
			}
			return out, nil
		}
		if p.s[p.pos] == '}' || p.s[p.pos] == '>' {
			if !nested {
				return nil, fmt.Errorf("unexpected %q", p.s[p.pos])
			}
			p.pos++
			return out, nil
		}
		name := p.ident()
		if name == "" {
			return nil, fmt.Errorf("expected a field name at %q", snippet(p.s[p.pos:]))
		}
		p.skip()
		colon := false
		if p.pos < len(p.s) && p.s[p.pos] == ':' {
			colon = true
			p.pos++
			p.skip()
		}
		if p.pos < len(p.s) && (p.s[p.pos] == '{' || p.s[p.pos] == '<') {
			p.pos++
			msg, err := p.fields(true)
			if err != nil {
				return nil, err
			}
			out = append(out, textField{name: name, msg: msg, isMsg: true})
			continue
		}
		if !colon {
			return nil, fmt.Errorf("expected ':' or '{' after %s", name)
		}
		if p.pos < len(p.s) && (p.s[p.pos] == '"' || p.s[p.pos] == '\'') {
			q := p.s[p.pos]
			end := p.pos + 1
			for end < len(p.s) && p.s[end] != q {
				if p.s[end] == '\\' {
					end++
				}
				end++
			}
			if end >= len(p.s) {
				return nil, fmt.Errorf("unterminated string for %s", name)
			}
			raw := p.s[p.pos : end+1]
			if q == '\'' {
				raw = `"` + strings.ReplaceAll(raw[1:len(raw)-1], `"`, `\"`) + `"`
			}
			v, err := strconv.Unquote(raw)
			if err != nil {
				return nil, fmt.Errorf("bad string for %s: %v", name, err)
			}
			p.pos = end + 1
			out = append(out, textField{name: name, scalar: v, quoted: true})
			continue
		}
		v := p.ident()
		if v == "" {
			return nil, fmt.Errorf("expected a value for %s", name)
		}
		out = append(out, textField{name: name, scalar: v})
	}
}

func snippet(s string) string {
	if len(s) > 20 {
		return s[:20] + "..."
	}
	return s
}

// MonitoringConfig is TensorFlow Serving's --monitoring_config_file:
//
//	prometheus_config {
//	  enable: true,
//	  path: "/monitoring/prometheus/metrics"
//	}
type MonitoringConfig struct {
	PrometheusEnable bool
	PrometheusPath   string // default DefaultPrometheusPath
}

// DefaultPrometheusPath is where TensorFlow Serving exports metrics.
const DefaultPrometheusPath = "/monitoring/prometheus/metrics"

// ParseMonitoringConfig reads a MonitoringConfig in protobuf text format.
func ParseMonitoringConfig(text []byte) (MonitoringConfig, error) {
	c := MonitoringConfig{PrometheusPath: DefaultPrometheusPath}
	fields, err := parseTextProto(string(text))
	if err != nil {
		return c, fmt.Errorf("serving: monitoring config: %w", err)
	}
	for _, f := range fields {
		if f.name != "prometheus_config" || !f.isMsg {
			return c, fmt.Errorf("serving: monitoring config: unknown field %q", f.name)
		}
		for _, g := range f.msg {
			switch g.name {
			case "enable":
				if c.PrometheusEnable, err = g.boolValue(); err != nil {
					return c, fmt.Errorf("serving: monitoring config: %w", err)
				}
			case "path":
				if g.scalar != "" {
					c.PrometheusPath = g.scalar
				}
			default:
				return c, fmt.Errorf("serving: monitoring config: unknown field prometheus_config.%s", g.name)
			}
		}
	}
	if !strings.HasPrefix(c.PrometheusPath, "/") {
		return c, fmt.Errorf("serving: monitoring config: path %q must start with /", c.PrometheusPath)
	}
	return c, nil
}
