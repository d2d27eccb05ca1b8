package serving

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// A small JSON parser with what TensorFlow Serving's REST API accepts and
// encoding/json does not: NaN, Infinity and -Infinity as numbers (rapidjson's
// kParseNanAndInfFlag), numbers kept as written so an integer input can tell
// 7 from 7.0 as rapidjson does, and limits on depth and value count so a
// hostile body cannot take the server's memory or stack. Its error messages
// are rapidjson's, which TensorFlow Serving passes on.

type jkind uint8

const (
	jNull jkind = iota
	jFalse
	jTrue
	jNumber
	jString
	jArray
	jObject
)

type jvalue struct {
	kind jkind
	str  string // a number's literal, or a string's decoded value
	arr  []jvalue
	obj  []jmember
}

type jmember struct {
	key string
	val jvalue
}

func (v *jvalue) member(key string) *jvalue {
	for i := range v.obj {
		if v.obj[i].key == key {
			return &v.obj[i].val
		}
	}
	return nil
}

// typeName is rapidjson's name of v's type (JsonTypeString).
func (v *jvalue) typeName() string {
	return [...]string{"Null", "False", "True", "Number", "String", "Array", "Object"}[v.kind]
}

// jsonLimits bound what parseJSON accepts.
type jsonLimits struct {
	maxDepth  int
	maxValues int
}

type jparser struct {
	data   string
	pos    int
	values int
	limits jsonLimits
}

type jsonError struct {
	msg    string
	offset int
}

func (e *jsonError) Error() string {
	return fmt.Sprintf("JSON Parse error: %s at offset: %d", e.msg, e.offset)
}

// parseJSON parses the first JSON value of data; like rapidjson with
// kParseStopWhenDoneFlag it ignores what follows it.
func parseJSON(data []byte, limits jsonLimits) (jvalue, error) {
	if len(data) == 0 {
		return jvalue{}, errorf(InvalidArgument, "JSON Parse error: The document is empty")
	}
	p := &jparser{data: string(data), limits: limits}
	p.skipSpace()
	if p.pos == len(p.data) {
		return jvalue{}, errorf(InvalidArgument, "JSON Parse error: The document is empty. at offset: %d", p.pos)
	}
	v, err := p.value(0)
	if err != nil {
		return jvalue{}, errorf(InvalidArgument, "%s", err.Error())
	}
	return v, nil
}

func (p *jparser) fail(msg string) error { return &jsonError{msg, p.pos} }

func (p *jparser) skipSpace() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *jparser) value(depth int) (jvalue, error) {
	if depth > p.limits.maxDepth {
		return jvalue{}, p.fail(fmt.Sprintf("Nesting deeper than %d levels.", p.limits.maxDepth))
	}
	p.values++
	if p.limits.maxValues > 0 && p.values > p.limits.maxValues {
		return jvalue{}, p.fail(fmt.Sprintf("More than %d values.", p.limits.maxValues))
	}
	if p.pos >= len(p.data) {
		return jvalue{}, p.fail("Invalid value.")
	}
	switch c := p.data[p.pos]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"':
		s, err := p.string()
		return jvalue{kind: jString, str: s}, err
	case c == 't':
		return p.literal("true", jvalue{kind: jTrue})
	case c == 'f':
		return p.literal("false", jvalue{kind: jFalse})
	case c == 'n':
		return p.literal("null", jvalue{kind: jNull})
	case c == '-' || (c >= '0' && c <= '9') || c == 'N' || c == 'I':
		return p.number()
	}
	return jvalue{}, p.fail("Invalid value.")
}

func (p *jparser) literal(word string, v jvalue) (jvalue, error) {
	if !strings.HasPrefix(p.data[p.pos:], word) {
		return jvalue{}, p.fail("Invalid value.")
	}
	p.pos += len(word)
	return v, nil
}

func (p *jparser) number() (jvalue, error) {
	start := p.pos
	rest := p.data[p.pos:]
	for _, w := range []string{"NaN", "Infinity", "-Infinity", "Inf", "-Inf"} {
		if strings.HasPrefix(rest, w) {
			p.pos += len(w)
			return jvalue{kind: jNumber, str: w}, nil
		}
	}
	if p.data[p.pos] == '-' {
		p.pos++
	}
	digits := func() int {
		n := 0
		for p.pos < len(p.data) && p.data[p.pos] >= '0' && p.data[p.pos] <= '9' {
			p.pos++
			n++
		}
		return n
	}
	if p.pos < len(p.data) && p.data[p.pos] == '0' {
		p.pos++
	} else if digits() == 0 {
		return jvalue{}, p.fail("Invalid value.")
	}
	if p.pos < len(p.data) && p.data[p.pos] == '.' {
		p.pos++
		if digits() == 0 {
			return jvalue{}, p.fail("Missing fraction part in number.")
		}
	}
	if p.pos < len(p.data) && (p.data[p.pos] == 'e' || p.data[p.pos] == 'E') {
		p.pos++
		if p.pos < len(p.data) && (p.data[p.pos] == '+' || p.data[p.pos] == '-') {
			p.pos++
		}
		if digits() == 0 {
			return jvalue{}, p.fail("Missing exponent in number.")
		}
	}
	lit := p.data[start:p.pos]
	if _, err := strconv.ParseFloat(lit, 64); err != nil {
		p.pos = start
		return jvalue{}, p.fail("Number too big to be stored in double.")
	}
	return jvalue{kind: jNumber, str: lit}, nil
}

func (p *jparser) string() (string, error) {
	p.pos++ // the opening quote
	start := p.pos
	// Fast path: no escapes.
	for p.pos < len(p.data) {
		c := p.data[p.pos]
		if c == '"' {
			s := p.data[start:p.pos]
			p.pos++
			if !utf8.ValidString(s) {
				return "", &jsonError{"Invalid encoding in string.", start}
			}
			return s, nil
		}
		if c == '\\' || c < 0x20 {
			break
		}
		p.pos++
	}
	var b strings.Builder
	b.WriteString(p.data[start:p.pos])
	for {
		if p.pos >= len(p.data) {
			return "", p.fail("Missing a closing quotation mark in string.")
		}
		c := p.data[p.pos]
		switch {
		case c == '"':
			p.pos++
			s := b.String()
			if !utf8.ValidString(s) {
				return "", &jsonError{"Invalid encoding in string.", start}
			}
			return s, nil
		case c < 0x20:
			return "", p.fail("Invalid encoding in string.")
		case c != '\\':
			b.WriteByte(c)
			p.pos++
			continue
		}
		p.pos++
		if p.pos >= len(p.data) {
			return "", p.fail("Missing a closing quotation mark in string.")
		}
		e := p.data[p.pos]
		p.pos++
		switch e {
		case '"', '\\', '/':
			b.WriteByte(e)
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			r, err := p.hex4()
			if err != nil {
				return "", err
			}
			if utf16.IsSurrogate(r) {
				if !strings.HasPrefix(p.data[p.pos:], `\u`) {
					return "", p.fail("The surrogate pair in string is invalid.")
				}
				p.pos += 2
				r2, err := p.hex4()
				if err != nil {
					return "", err
				}
				r = utf16.DecodeRune(r, r2)
				if r == utf8.RuneError {
					return "", p.fail("The surrogate pair in string is invalid.")
				}
			}
			b.WriteRune(r)
		default:
			p.pos--
			return "", p.fail("Invalid escape character in string.")
		}
	}
}

func (p *jparser) hex4() (rune, error) {
	if p.pos+4 > len(p.data) {
		return 0, p.fail("Incorrect hex digit after \\u escape in string.")
	}
	v, err := strconv.ParseUint(p.data[p.pos:p.pos+4], 16, 32)
	if err != nil {
		return 0, p.fail("Incorrect hex digit after \\u escape in string.")
	}
	p.pos += 4
	return rune(v), nil
}

func (p *jparser) array(depth int) (jvalue, error) {
	p.pos++
	v := jvalue{kind: jArray, arr: []jvalue{}}
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == ']' {
		p.pos++
		return v, nil
	}
	for {
		p.skipSpace()
		e, err := p.value(depth + 1)
		if err != nil {
			return jvalue{}, err
		}
		v.arr = append(v.arr, e)
		p.skipSpace()
		if p.pos < len(p.data) && p.data[p.pos] == ',' {
			p.pos++
			continue
		}
		if p.pos < len(p.data) && p.data[p.pos] == ']' {
			p.pos++
			return v, nil
		}
		return jvalue{}, p.fail("Missing a comma or ']' after an array element.")
	}
}

func (p *jparser) object(depth int) (jvalue, error) {
	p.pos++
	v := jvalue{kind: jObject, obj: []jmember{}}
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		return v, nil
	}
	for {
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != '"' {
			return jvalue{}, p.fail("Missing a name for object member.")
		}
		key, err := p.string()
		if err != nil {
			return jvalue{}, err
		}
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != ':' {
			return jvalue{}, p.fail("Missing a colon after a name of object member.")
		}
		p.pos++
		p.skipSpace()
		e, err := p.value(depth + 1)
		if err != nil {
			return jvalue{}, err
		}
		v.obj = append(v.obj, jmember{key, e})
		p.skipSpace()
		if p.pos < len(p.data) && p.data[p.pos] == ',' {
			p.pos++
			continue
		}
		if p.pos < len(p.data) && p.data[p.pos] == '}' {
			p.pos++
			return v, nil
		}
		return jvalue{}, p.fail("Missing a comma or '}' after an object member.")
	}
}

// debugString renders v for an error message as TensorFlow Serving's
// JsonValueToDebugString does: arrays on one line, objects indented, cut
// off after about 256 bytes.
func (v *jvalue) debugString() string {
	var b strings.Builder
	v.writeDebug(&b, 0)
	return b.String()
}

const maxDebugBytes = 256

func (v *jvalue) writeDebug(b *strings.Builder, indent int) {
	if b.Len() >= maxDebugBytes {
		return
	}
	switch v.kind {
	case jNull:
		b.WriteString("null")
	case jFalse:
		b.WriteString("false")
	case jTrue:
		b.WriteString("true")
	case jNumber:
		b.WriteString(v.str)
	case jString:
		b.WriteString(strconv.Quote(v.str))
	case jArray:
		b.WriteByte('[')
		for i := range v.arr {
			if b.Len() >= maxDebugBytes {
				return
			}
			if i > 0 {
				b.WriteString(", ")
			}
			v.arr[i].writeDebug(b, indent)
		}
		b.WriteByte(']')
	case jObject:
		b.WriteByte('{')
		for i := range v.obj {
			if b.Len() >= maxDebugBytes {
				return
			}
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString("\n" + strings.Repeat("    ", indent+1))
			b.WriteString(strconv.Quote(v.obj[i].key) + ": ")
			v.obj[i].val.writeDebug(b, indent+1)
		}
		if len(v.obj) > 0 {
			b.WriteString("\n" + strings.Repeat("    ", indent))
		}
		b.WriteByte('}')
	}
}
